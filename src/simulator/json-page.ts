/**
 * Assembles a list response from pre-serialised records. Writing each record into one buffer as latin1
 * skips both the join of a 250-record string and its UTF-8 encoding, which together cost more than
 * generating the records. Record JSON is ASCII by construction (see json-writer.ts), so latin1 bytes are
 * the UTF-8 bytes.
 */
export function jsonPage(head: string, records: readonly string[], tail: string): Buffer {
  let size = head.length + tail.length + records.length;
  for (const r of records) size += r.length;
  const buf = Buffer.allocUnsafe(size);
  let off = buf.write(head, 0, 'latin1');
  for (let i = 0; i < records.length; i++) {
    if (i > 0) buf[off++] = 0x2c; // ','
    off += buf.write(records[i], off, 'latin1');
  }
  off += buf.write(tail, off, 'latin1');
  return buf.subarray(0, off);
}
