// Follows one log file through appends, rename rotation (logrotate, `postfix logrotate`),
// copytruncate and restarts, handing out complete lines with byte-offset checkpoints.
//
// Replaces the tail-file package: it keeps no byte offsets and resumes by re-reading from byte 0,
// so it cannot give the "nothing lost, nothing doubled" checkpoints the indexer commits with rows.
//
// Model: a queue of files to finish (`backlog`: a renamed file still being drained, a rotated file
// found on restart, copytruncate's copy) ahead of the file now at `path` (`current`). Each chunk
// comes from one file and its checkpoint names that file, so a restart can always find it again.
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { fingerprintOfHandle } from './file-fingerprint.js';
import { findLaterRotations, findRotatedFile, type FileIdentity } from './file-rotated.js';
import { GzipSegment, PlainSegment, type Segment, type SegmentRead } from './file-segment.js';
import { DEFAULT_MAX_LINE_BYTES } from './lines.js';
import { abortableSleep } from '../sleep.js';
import type { LogSource, SourceChunk, SourceProblem } from './types.js';

/** Where to resume: JSON-serialisable, stored by the indexer with the rows of the chunk. */
export interface FileCheckpoint {
  /** The followed path (not the name a rotated file has now). */
  path: string;
  dev: number;
  ino: number;
  /** Hash of the file's first line (or first 256 bytes); '' if nothing was read from it yet. */
  fingerprint: string;
  /** Bytes (not characters) from the file's start to just after the last line handed out. */
  offset: number;
}

/** Checks a checkpoint read back from storage; the error names the bad field. */
export function parseFileCheckpoint(value: unknown): FileCheckpoint {
  if (typeof value !== 'object' || value === null) throw new Error(`file checkpoint must be an object, got ${JSON.stringify(value)}`);
  const v = value as Record<string, unknown>;
  const count = (k: string): number => {
    const n = v[k];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new Error(`file checkpoint field ${k} must be a non-negative integer, got ${JSON.stringify(n)}`);
    }
    return n;
  };
  const text = (k: string): string => {
    if (typeof v[k] !== 'string') throw new Error(`file checkpoint field ${k} must be a string, got ${JSON.stringify(v[k])}`);
    return v[k] as string;
  };
  return { path: text('path'), dev: count('dev'), ino: count('ino'), fingerprint: text('fingerprint'), offset: count('offset') };
}

export interface FileSourceOptions {
  path: string;
  checkpoint: FileCheckpoint | null;
  onProblem: (p: SourceProblem) => void;
  /** How often to look for new data when idle. */
  pollMs?: number;
  /**
   * How long a renamed file is still read after rotation: the writer may log to its old descriptor
   * until it reopens (rsyslog's HUP, `postfix logrotate`'s reload). New-file lines wait that long.
   */
  rotateWaitMs?: number;
  maxChunkLines?: number;
  maxLineBytes?: number;
  now?: () => number;
  /** Waits ms or until signal aborts; never rejects. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

interface Tracked {
  seg: Segment;
  id: { dev: number; ino: number; fingerprint: string | null };
  /** Finish the file once caught up at/after this time; null: once caught up (it cannot grow). */
  drainUntil: number | null;
}

interface Current extends Tracked {
  seg: PlainSegment;
}


function errCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return null;
    throw err;
  }
}

export class FileSource implements LogSource {
  private readonly path: string;
  private readonly onProblem: (p: SourceProblem) => void;
  private readonly pollMs: number;
  private readonly rotateWaitMs: number;
  private readonly maxChunkLines: number;
  private readonly maxLineBytes: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private checkpoint: FileCheckpoint | null;
  private started = false;
  private readonly backlog: Tracked[] = [];
  private current: Current | null = null;
  /** Problems already reported and still ongoing, so a poll loop does not repeat them. */
  private readonly ongoing = new Set<string>();

  constructor(opts: FileSourceOptions) {
    this.path = opts.path;
    this.checkpoint = opts.checkpoint;
    this.onProblem = opts.onProblem;
    this.pollMs = opts.pollMs ?? 250;
    this.rotateWaitMs = opts.rotateWaitMs ?? 500;
    this.maxChunkLines = opts.maxChunkLines ?? 5000;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? abortableSleep;
    if (!Number.isInteger(this.maxChunkLines) || this.maxChunkLines < 1) {
      throw new Error(`maxChunkLines must be a positive integer, got ${String(opts.maxChunkLines)}`);
    }
  }

  async *chunks(signal: AbortSignal): AsyncIterable<SourceChunk> {
    try {
      while (!signal.aborted) {
        let chunk: SourceChunk | null = null;
        try {
          chunk = await this.poll();
        } catch (err) {
          this.reportOnce('read-error', `reading ${this.path} failed: ${errCode(err)}; retrying`);
        }
        if (chunk) yield chunk;
        else await this.sleep(this.pollMs, signal);
      }
    } finally {
      await this.close();
    }
  }

  /**
   * One step: the next chunk of complete lines if any is available now, else null.
   * chunks() calls it in a loop; tests call it directly instead of waiting on timers.
   */
  async poll(): Promise<SourceChunk | null> {
    if (!this.started) {
      // Only marked done once it succeeded, so a failure here is retried with the checkpoint.
      await this.resume(this.checkpoint);
      this.started = true;
      this.checkpoint = null;
    }
    for (;;) {
      const head = this.backlog[0];
      if (head) {
        let r: SegmentRead;
        try {
          r = await head.seg.read(this.maxChunkLines);
        } catch (err) {
          this.report('read-error', `reading a rotated file of ${this.path} failed (${errCode(err)}); skipping the rest of it`);
          await head.seg.close();
          this.backlog.shift();
          continue;
        }
        if (r.lines.length > 0 || r.oversized > 0) return this.chunkOf(head, r);
        if (!r.caughtUp) continue;
        if (head.drainUntil !== null && this.now() < head.drainUntil) return null;
        const tail = head.seg.finish();
        const last = tail.lines.length > 0 || tail.oversized > 0 ? await this.chunkOf(head, tail) : null;
        await head.seg.close();
        this.backlog.shift();
        if (last) return last;
        continue;
      }

      const cur = this.current ?? (await this.openCurrent());
      if (!cur) return null;
      if (await this.truncated(cur)) {
        await this.afterTruncation(cur);
        continue;
      }
      const r = await cur.seg.read(this.maxChunkLines);
      if (r.lines.length > 0 || r.oversized > 0) return this.chunkOf(cur, r);
      if (!r.caughtUp) continue;
      const atPath = await statOrNull(this.path);
      if (atPath && atPath.dev === cur.id.dev && atPath.ino === cur.id.ino) return null;
      // Renamed away (or deleted): finish it through the open descriptor, then take the new file.
      this.backlog.push({ seg: cur.seg, id: cur.id, drainUntil: this.now() + this.rotateWaitMs });
      this.current = null;
    }
  }

  /** Closes every open file; chunks() does it when it ends. */
  async close(): Promise<void> {
    const all: Tracked[] = [...this.backlog.splice(0), ...(this.current ? [this.current] : [])];
    this.current = null;
    await Promise.all(all.map((t) => t.seg.close()));
  }

  private async resume(cp: FileCheckpoint | null): Promise<void> {
    if (!cp) return;
    if (cp.path !== this.path) {
      this.report('checkpoint-mismatch', `checkpoint is for ${cp.path}, not ${this.path}; reading ${this.path} from its start`);
      return;
    }
    const atPath = await statOrNull(this.path);
    let why = `${this.path} is now another file`;
    let exclude: { dev: number; ino: number } | null = null;
    if (atPath && atPath.dev === cp.dev && atPath.ino === cp.ino) {
      exclude = { dev: cp.dev, ino: cp.ino };
      const fh = await open(this.path, 'r');
      const fp = await fingerprintOfHandle(fh).catch(() => null);
      const sameStart = cp.fingerprint === '' || fp === cp.fingerprint;
      if (sameStart && atPath.size >= cp.offset) {
        this.current = this.track(fh, atPath, cp.offset, fp);
        return;
      }
      await fh.close();
      why = sameStart
        ? `${this.path} is shorter than the checkpoint (truncated)`
        : `${this.path} has the checkpoint's inode but another first line (inode reused or rewritten)`;
    } else if (!atPath) {
      why = `${this.path} is missing`;
    }
    const want: FileIdentity = { dev: cp.dev, ino: cp.ino, fingerprint: cp.fingerprint };
    const found = await findRotatedFile(this.path, want, cp.offset, exclude);
    if (!found) {
      this.report('checkpoint-file-gone', `${why} and no rotated file holds the checkpoint's data; reading ${this.path} from its start`);
      return;
    }
    const seg =
      found.kind === 'gzip'
        ? new GzipSegment(found.fh, cp.offset, this.maxLineBytes)
        : new PlainSegment(found.fh, cp.offset, this.maxLineBytes);
    // A renamed plain file may still be written to by a writer that has not reopened yet.
    const drainUntil = found.kind === 'plain' && exclude === null ? this.now() + this.rotateWaitMs : null;
    this.backlog.push({ seg, id: { dev: cp.dev, ino: cp.ino, fingerprint: cp.fingerprint }, drainUntil });
    // Rotated more than once while we were down: the files between the checkpoint's and the live one
    // were never read. Read them whole, oldest first, before the live file.
    const foundStat = await found.fh.stat();
    const live = atPath && !(atPath.dev === cp.dev && atPath.ino === cp.ino) ? [{ dev: atPath.dev, ino: atPath.ino, fingerprint: null }] : [];
    const later = await findLaterRotations(this.path, foundStat.mtimeMs, [
      { dev: foundStat.dev, ino: foundStat.ino, fingerprint: cp.fingerprint || null },
      ...live,
    ]);
    for (const r of later) {
      this.report('rotated-while-down', `${r.path} was rotated while bounce-origin was not running; reading it whole`);
      const s = r.kind === 'gzip' ? new GzipSegment(r.fh, 0, this.maxLineBytes) : new PlainSegment(r.fh, 0, this.maxLineBytes);
      this.backlog.push({ seg: s, id: r.id, drainUntil: null });
    }
  }

  private track(fh: FileHandle, st: Stats, offset: number, fingerprint: string | null): Current {
    return {
      seg: new PlainSegment(fh, offset, this.maxLineBytes),
      id: { dev: st.dev, ino: st.ino, fingerprint },
      drainUntil: null,
    };
  }

  private async openCurrent(): Promise<Current | null> {
    let fh: FileHandle;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT') this.reportOnce('missing', `${this.path} does not exist; waiting for it to appear`);
      else this.reportOnce('unreadable', `cannot open ${this.path}: ${code}; retrying`);
      return null;
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      this.reportOnce('unreadable', `${this.path} is not a regular file; waiting`);
      return null;
    }
    this.ongoing.delete('missing');
    this.ongoing.delete('unreadable');
    this.current = this.track(fh, st, 0, null);
    return this.current;
  }

  /** copytruncate: the file shrank below what we read, or its first line changed. */
  // The first bytes are compared on every poll, not only when the size changed: a file truncated
  // and refilled to the same size between two polls would otherwise go unnoticed. It is one small pread.
  private async truncated(cur: Current): Promise<boolean> {
    const st = await cur.seg.fh.stat();
    if (st.size < cur.seg.readPos) return true;
    if (st.size === 0) return false;
    const fp = await fingerprintOfHandle(cur.seg.fh);
    if (cur.id.fingerprint === null) {
      cur.id.fingerprint = fp;
      return false;
    }
    return fp !== cur.id.fingerprint;
  }

  private async afterTruncation(cur: Current): Promise<void> {
    const offset = cur.seg.offset;
    let note = '';
    if (cur.id.fingerprint !== null) {
      // The copy holds whatever was written after our last read and before the truncation.
      const want: FileIdentity = { dev: cur.id.dev, ino: cur.id.ino, fingerprint: cur.id.fingerprint };
      const copy = await findRotatedFile(this.path, want, offset, { dev: cur.id.dev, ino: cur.id.ino });
      if (copy) {
        const seg =
          copy.kind === 'gzip'
            ? new GzipSegment(copy.fh, offset, this.maxLineBytes)
            : new PlainSegment(copy.fh, offset, this.maxLineBytes);
        this.backlog.push({ seg, id: { ...cur.id }, drainUntil: null });
        note = `; finishing its copy ${copy.path} first`;
      } else {
        note = '; no copy of it found, lines written since the last read may be lost';
      }
    }
    this.report('truncated', `${this.path} was truncated or rewritten in place (copytruncate?); reading it again from its start${note}`);
    cur.seg.restart();
    cur.id.fingerprint = null;
  }

  private async chunkOf(t: Tracked, r: SegmentRead): Promise<SourceChunk> {
    if (r.oversized > 0) {
      this.report('oversized-line', `skipped ${r.oversized} line(s) of ${this.path} longer than ${this.maxLineBytes} bytes`);
    }
    if (t.id.fingerprint === null && t.seg instanceof PlainSegment) {
      t.id.fingerprint = await fingerprintOfHandle(t.seg.fh);
    }
    this.ongoing.delete('read-error');
    const checkpoint: FileCheckpoint = {
      path: this.path,
      dev: t.id.dev,
      ino: t.id.ino,
      fingerprint: t.id.fingerprint ?? '',
      offset: t.seg.offset,
    };
    return { items: r.lines, checkpoint };
  }

  private report(code: string, message: string): void {
    this.onProblem({ code, message, path: this.path });
  }

  private reportOnce(code: string, message: string): void {
    if (this.ongoing.has(code)) return;
    this.ongoing.add(code);
    this.report(code, message);
  }
}
