// Decoding a byte range as UTF-8: the line splitter and the parser both read straight from read buffers.

type Slicer = (this: Buffer, start: number, end: number) => string;
// Buffer#utf8Slice skips toString's argument checks; fall back if a runtime lacks it.
const utf8Slice: Slicer =
  (Buffer.prototype as unknown as { utf8Slice?: Slicer }).utf8Slice ??
  function (this: Buffer, start: number, end: number) {
    return this.toString('utf8', start, end);
  };

/** buf[start, end) decoded as UTF-8 (invalid sequences become U+FFFD). */
export function decode(buf: Buffer, start: number, end: number): string {
  return utf8Slice.call(buf, start, end);
}
