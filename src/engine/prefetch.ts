/**
 * Read ahead of the consumer by at most `depth` items, so fetching the next pages overlaps with writing the
 * current batch while memory stays bounded (the consumer's item plus `depth` more). Errors surface in
 * order, after the items before them.
 */
export async function* prefetch<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  if (depth <= 0) {
    yield* source;
    return;
  }
  const it = source[Symbol.asyncIterator]();
  const buffer: Promise<IteratorResult<T>>[] = [];
  let done = false;
  const fill = () => {
    // Async generators queue next() calls, so several outstanding calls are safe and keep order.
    while (!done && buffer.length < depth) {
      const p = it.next();
      p.then(
        (r) => {
          if (r.done) done = true;
        },
        () => {
          done = true;
        },
      );
      buffer.push(p);
    }
  };
  try {
    for (;;) {
      fill();
      const head = buffer.shift();
      if (!head) return;
      // Ask for the next item before waiting on this one, so `depth` reads stay outstanding while the
      // consumer works on the item it holds (refilling only at the next pull left depth 1 with no overlap).
      fill();
      const r = await head;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}
