/**
 * Builds one JSON object as text, field by field. Generators write records straight to JSON because
 * building an object and calling JSON.stringify is about twice as slow, and the Humaans benchmark serves a
 * million records.
 *
 * `str` trusts its value: generators only pass ids, formatted numbers and dates, and words from their
 * vocabularies (plain printable ASCII without quotes or backslashes, which a test checks). Anything else
 * goes through `text`, which escapes.
 */
export class JsonWriter {
  private out = '{';
  private first = true;

  private key(k: string): void {
    if (this.first) {
      this.out += `"${k}":`;
      this.first = false;
    } else {
      this.out += `,"${k}":`;
    }
  }

  /** A trusted string (see above), or null. */
  str(k: string, v: string | null): this {
    this.key(k);
    this.out += v === null ? 'null' : `"${v}"`;
    return this;
  }

  /** Any string, escaped. */
  text(k: string, v: string | null): this {
    this.key(k);
    this.out += v === null ? 'null' : asciiJson(v);
    return this;
  }

  num(k: string, v: number | null): this {
    this.key(k);
    this.out += v === null ? 'null' : String(v);
    return this;
  }

  /**
   * A number written exactly as given, for values a double cannot hold: a bigint (ids past 2^53) or the
   * text of a JSON number (`1e400`). `num` would round the first and print Infinity for the second.
   */
  exact(k: string, v: bigint | string | null): this {
    this.key(k);
    this.out += v === null ? 'null' : jsonNumberText(v);
    return this;
  }

  bool(k: string, v: boolean | null): this {
    this.key(k);
    this.out += v === null ? 'null' : v ? 'true' : 'false';
    return this;
  }

  /** Already-serialised JSON (a nested object or array). */
  raw(k: string, json: string): this {
    this.key(k);
    this.out += json;
    return this;
  }

  /** A ready-made `,"key":value` fragment (or ''), as built by optional-field helpers; never the first field. */
  append(fragment: string): this {
    this.out += fragment;
    return this;
  }

  /** An array of trusted strings. */
  strs(k: string, v: readonly string[] | null): this {
    this.key(k);
    this.out += v === null ? 'null' : v.length === 0 ? '[]' : `["${v.join('","')}"]`;
    return this;
  }

  end(): string {
    // join copies the rope built by `+=` into one flat string while its pieces are still in cache;
    // flattening it later, when the page is written, costs several times more.
    return [this.out, '}'].join('');
  }
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The exact JSON text of a bigint or of a numeric string (checked against JSON's number grammar). */
export function jsonNumberText(v: bigint | string): string {
  const text = typeof v === 'bigint' ? v.toString() : v;
  if (!JSON_NUMBER.test(text)) throw new Error(`not a JSON number: ${JSON.stringify(text)}`);
  return text;
}

/**
 * JSON.stringify with every non-ASCII character escaped, so a page can be written to the socket as latin1
 * bytes (one byte per character, no UTF-8 encoding pass).
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
