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
