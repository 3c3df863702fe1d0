// One file being read as lines with byte offsets: a plain file read with pread from an offset
// (it may still grow), or a gzip file inflated as a stream after skipping `offset` bytes.
import type { FileHandle } from 'node:fs/promises';
import { gunzipChunks, LineSplitter } from './lines.js';

const READ_BYTES = 256 * 1024;

export interface SegmentRead {
  lines: string[];
  oversized: number;
  /** Nothing more to read for now (plain: end of file as it stands; gzip: end of stream). */
  caughtUp: boolean;
}

export interface Segment {
  /** Bytes from the start of the (decompressed) file to just after the last line handed out. */
  readonly offset: number;
  read(maxLines: number): Promise<SegmentRead>;
  /** The file will not grow any more: a held last line without a newline becomes a line. */
  finish(): SegmentRead;
  close(): Promise<void>;
}

function takeOversized(splitter: LineSplitter): number {
  const n = splitter.oversized;
  splitter.oversized = 0;
  return n;
}

export class PlainSegment implements Segment {
  private splitter: LineSplitter;
  private base: number;
  private buf: Buffer | null = null;

  constructor(
    readonly fh: FileHandle,
    offset: number,
    private readonly maxLineBytes: number,
  ) {
    this.base = offset;
    this.splitter = new LineSplitter(maxLineBytes);
  }

  get offset(): number {
    return this.base + this.splitter.lineEnd;
  }

  /** Where the next read starts: past a held partial line, which is not re-read. */
  get readPos(): number {
    return this.base + this.splitter.position;
  }

  /** Starts over at byte 0 (the file was truncated in place). */
  restart(): void {
    this.base = 0;
    this.splitter = new LineSplitter(this.maxLineBytes);
  }

  async read(maxLines: number): Promise<SegmentRead> {
    this.buf ??= Buffer.allocUnsafe(READ_BYTES);
    const lines: string[] = [];
    for (;;) {
      const { bytesRead } = await this.fh.read(this.buf, 0, READ_BYTES, this.readPos);
      if (bytesRead === 0) return { lines, oversized: takeOversized(this.splitter), caughtUp: true };
      const used = this.splitter.push(this.buf.subarray(0, bytesRead), lines, maxLines);
      // Bytes past the line limit are simply read again next time, from readPos.
      if (used < bytesRead || lines.length >= maxLines) {
        return { lines, oversized: takeOversized(this.splitter), caughtUp: false };
      }
      if (bytesRead < READ_BYTES) return { lines, oversized: takeOversized(this.splitter), caughtUp: true };
    }
  }

  finish(): SegmentRead {
    const lines: string[] = [];
    this.splitter.finish(lines);
    return { lines, oversized: takeOversized(this.splitter), caughtUp: true };
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

export class GzipSegment implements Segment {
  private readonly splitter: LineSplitter;
  private readonly chunks: AsyncGenerator<Buffer>;
  private toSkip: number;
  private leftover: Buffer | null = null;
  private done = false;

  constructor(
    readonly fh: FileHandle,
    private readonly skip: number,
    maxLineBytes: number,
  ) {
    this.toSkip = skip;
    this.splitter = new LineSplitter(maxLineBytes);
    this.chunks = gunzipChunks(fh);
  }

  get offset(): number {
    return this.skip - this.toSkip + this.splitter.lineEnd;
  }

  async read(maxLines: number): Promise<SegmentRead> {
    const lines: string[] = [];
    while (!this.done && lines.length < maxLines) {
      let chunk = this.leftover;
      this.leftover = null;
      if (chunk === null) {
        const next = await this.chunks.next();
        if (next.done) {
          this.done = true;
          break;
        }
        chunk = next.value;
      }
      if (this.toSkip > 0) {
        if (chunk.length <= this.toSkip) {
          this.toSkip -= chunk.length;
          continue;
        }
        chunk = chunk.subarray(this.toSkip);
        this.toSkip = 0;
      }
      const used = this.splitter.push(chunk, lines, maxLines);
      if (used < chunk.length) this.leftover = chunk.subarray(used);
    }
    return { lines, oversized: takeOversized(this.splitter), caughtUp: this.done };
  }

  finish(): SegmentRead {
    const lines: string[] = [];
    this.splitter.finish(lines);
    return { lines, oversized: takeOversized(this.splitter), caughtUp: true };
  }

  async close(): Promise<void> {
    await this.chunks.return(undefined).catch(() => undefined);
    await this.fh.close().catch(() => undefined);
  }
}
