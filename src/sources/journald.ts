// Follows the systemd journal through `journalctl --follow --output=json` and hands Postfix entries
// to the indexer as LogRecords, checkpointed by journal cursor.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { Readable } from 'node:stream';
import type { LogRecord } from '../parser/types.js';
import { abortableSleep } from '../sleep.js';
import type { LogSource, SourceChunk, SourceProblem } from './types.js';

export interface JournaldCheckpoint {
  cursor: string;
}

export interface JournaldBackoff {
  initialMs: number;
  maxMs: number;
}

export interface JournaldSourceOptions {
  /** Resume after this entry; null reads the whole journal from its oldest entry. */
  checkpoint: JournaldCheckpoint | null;
  /** Read the journal files in this directory (e.g. collected by systemd-journal-remote). */
  directory?: string;
  /** Read exactly these journal files (tests). */
  files?: string[];
  /** Match these systemd units (`_SYSTEMD_UNIT=`) instead of the mail facility. */
  units?: string[];
  /** Match these syslog identifiers (`SYSLOG_IDENTIFIER=`, exact) instead of the mail facility. */
  identifiers?: string[];
  /** Path of journalctl; default `journalctl` from PATH. */
  journalctl?: string;
  onProblem: (p: SourceProblem) => void;
  /** Most records per chunk; default 500. */
  maxChunk?: number;
  /** Longest a record waits for more to fill its chunk; default 100 ms. */
  batchMs?: number;
  /** Delay between journalctl restarts, doubling per failure; default 500 ms up to 30 s. */
  backoff?: JournaldBackoff;
  /** Waits `ms` or until `signal` aborts, whichever comes first. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Milliseconds; decides whether a journalctl run lasted long enough to reset the back-off. */
  clock?: () => number;
}

/** Counts kept for the daemon's status log. */
export interface JournaldStats {
  /** Entries journalctl printed (after its match filter). */
  entries: number;
  records: number;
  /** Entries whose MESSAGE journalctl printed as null: skipped. */
  nullMessages: number;
  /** Lines skipped as unreadable (reported through onProblem). */
  malformed: number;
  /** journalctl runs that ended without being asked to. */
  exits: number;
}

/** Fields the record needs beyond the ones JSON output always carries (__CURSOR, __REALTIME_TIMESTAMP...). */
const OUTPUT_FIELDS = ['MESSAGE', 'SYSLOG_IDENTIFIER', 'SYSLOG_PID', '_PID', '_COMM', '_HOSTNAME'];

const MAIL_FACILITY = '2';

/** journalctl's match arguments: same-field matches are ORed by journalctl, `+` ORs the two fields. */
export function matchArgs(units: readonly string[] = [], identifiers: readonly string[] = []): string[] {
  const unitMatches = units.map((u) => `_SYSTEMD_UNIT=${u}`);
  const idMatches = identifiers.map((i) => `SYSLOG_IDENTIFIER=${i}`);
  if (unitMatches.length && idMatches.length) return [...unitMatches, '+', ...idMatches];
  if (unitMatches.length || idMatches.length) return [...unitMatches, ...idMatches];
  return [`SYSLOG_FACILITY=${MAIL_FACILITY}`];
}

export interface JournalctlArgsInput {
  cursor: string | null;
  directory?: string;
  files?: readonly string[];
  units?: readonly string[];
  identifiers?: readonly string[];
}

export function journalctlArgs(input: JournalctlArgsInput): string[] {
  const args = [
    '--follow',
    // Without it --follow starts with only the last 10 entries, even after --after-cursor.
    '--lines=all',
    // --follow otherwise implies --boot: entries of earlier boots after the cursor would be skipped,
    // and in a journal-remote directory only the newest boot of one host would ever be followed.
    '--merge',
    '--output=json',
    // Without --all, journalctl prints fields over 4096 bytes as null.
    '--all',
    `--output-fields=${OUTPUT_FIELDS.join(',')}`,
    '--no-pager',
    '--quiet',
  ];
  if (input.cursor !== null) args.push(`--after-cursor=${input.cursor}`);
  if (input.directory !== undefined) args.push(`--directory=${input.directory}`);
  // journalctl --follow cannot watch a file given by a relative path ("Failed to get journal fd").
  for (const f of input.files ?? []) args.push(`--file=${resolvePath(f)}`);
  args.push(...matchArgs(input.units, input.identifiers));
  return args;
}

/** A journal field value as journalctl's JSON prints it: text, bytes (not UTF-8), null (too big), or several. */
export function decodeField(value: unknown): string | null | undefined {
  if (typeof value === 'string') return value;
  if (value === null) return null;
  if (Array.isArray(value)) {
    if (value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      return Buffer.from(value as number[]).toString('utf8');
    }
    // A field set more than once: an array of values; the first is the one syslog would have shown.
    return value.length ? decodeField(value[0]) : undefined;
  }
  return undefined;
}

export type EntryResult =
  | { kind: 'record'; cursor: string; record: LogRecord }
  | { kind: 'null-message'; cursor: string }
  | { kind: 'malformed'; cursor: string | null; problem: SourceProblem };

function malformed(cursor: string | null, code: string, message: string): EntryResult {
  return { kind: 'malformed', cursor, problem: { code, message } };
}

function parsePid(value: string | null | undefined): number | null {
  if (value == null || !/^\d+$/.test(value)) return null;
  return Number(value);
}

/** One line of `journalctl --output=json` -> a record, a skipped null MESSAGE, or a problem naming the line. */
export function parseEntry(line: string): EntryResult {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return malformed(null, 'journal-bad-json', `journalctl printed a line that is not JSON: ${line.slice(0, 200)}`);
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return malformed(null, 'journal-bad-json', `journalctl printed JSON that is not an object: ${line.slice(0, 200)}`);
  }
  const fields = entry as Record<string, unknown>;
  const cursor = fields.__CURSOR;
  if (typeof cursor !== 'string' || cursor === '') {
    return malformed(null, 'journal-missing-field', `journal entry lacks __CURSOR: ${line.slice(0, 200)}`);
  }
  const stamp = fields.__REALTIME_TIMESTAMP;
  if (typeof stamp !== 'string' || !/^\d+$/.test(stamp)) {
    return malformed(cursor, 'journal-missing-field', `journal entry ${cursor} lacks a numeric __REALTIME_TIMESTAMP (${JSON.stringify(stamp)})`);
  }
  if (!('MESSAGE' in fields)) {
    return malformed(cursor, 'journal-missing-field', `journal entry ${cursor} lacks MESSAGE`);
  }
  const text = decodeField(fields.MESSAGE);
  if (text === null) return { kind: 'null-message', cursor };
  if (text === undefined) {
    return malformed(cursor, 'journal-bad-field', `journal entry ${cursor} has an unreadable MESSAGE: ${JSON.stringify(fields.MESSAGE).slice(0, 200)}`);
  }
  const program = decodeField(fields.SYSLOG_IDENTIFIER) ?? decodeField(fields._COMM);
  if (!program) {
    return malformed(cursor, 'journal-missing-field', `journal entry ${cursor} lacks SYSLOG_IDENTIFIER and _COMM`);
  }
  const host = decodeField(fields._HOSTNAME);
  if (!host) {
    return malformed(cursor, 'journal-missing-field', `journal entry ${cursor} lacks _HOSTNAME`);
  }
  const pid = parsePid(decodeField(fields.SYSLOG_PID)) ?? parsePid(decodeField(fields._PID));
  const record: LogRecord = {
    // Microseconds: integer division keeps it exact where a float would round.
    time: Number(BigInt(stamp) / 1000n),
    host,
    program,
    daemon: program.slice(program.lastIndexOf('/') + 1),
    pid,
    text,
  };
  return { kind: 'record', cursor, record };
}

export function backoffDelay(failures: number, backoff: JournaldBackoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, failures - 1));
}


type NextLine = { line: string } | 'timeout' | 'end' | 'abort';

/** How one journalctl process ended. */
interface RunEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError: NodeJS.ErrnoException | null;
  stderr: string;
}

const STDERR_KEEP = 4000;

/** One journalctl process: its stdout as a queue of lines, with back-pressure. */
class JournalctlRun {
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private readonly lines: string[] = [];
  private partial = '';
  private stderr = '';
  private spawnError: NodeJS.ErrnoException | null = null;
  private closed = false;
  private paused = false;
  private wake: (() => void) | null = null;
  readonly ended: Promise<RunEnd>;

  constructor(command: string, args: string[], private readonly highWater: number) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (data: string) => this.onData(data));
    this.child.stderr.on('data', (data: string) => {
      this.stderr = (this.stderr + data).slice(-STDERR_KEEP);
    });
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      this.spawnError ??= err;
    });
    this.ended = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        if (this.partial !== '') this.lines.push(this.partial);
        this.partial = '';
        this.closed = true;
        this.notify();
        resolve({ code, signal, spawnError: this.spawnError, stderr: this.stderr.trim() });
      });
    });
  }

  private onData(data: string): void {
    const parts = (this.partial + data).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) if (p !== '') this.lines.push(p);
    if (this.lines.length >= this.highWater && !this.paused) {
      this.paused = true;
      this.child.stdout.pause();
    }
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** The next line, or why there is none: `timeoutMs` passed, journalctl ended, or `signal` aborted. */
  async next(timeoutMs: number, signal: AbortSignal): Promise<NextLine> {
    for (;;) {
      if (signal.aborted) return 'abort';
      const line = this.lines.shift();
      if (line !== undefined) {
        if (this.paused && this.lines.length < this.highWater / 2) {
          this.paused = false;
          this.child.stdout.resume();
        }
        return { line };
      }
      if (this.closed) return 'end';
      if (timeoutMs <= 0) return 'timeout';
      const woke = await new Promise<boolean>((resolve) => {
        const finish = (byData: boolean) => {
          if (timer) clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          this.wake = null;
          resolve(byData);
        };
        const onAbort = () => finish(true);
        const timer = Number.isFinite(timeoutMs) ? setTimeout(() => finish(false), timeoutMs) : null;
        signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => finish(true);
      });
      if (!woke) return 'timeout';
    }
  }

  /** Stops journalctl (if still running) and waits until it has gone. */
  async stop(): Promise<RunEnd> {
    if (!this.closed) {
      this.child.stdout.resume();
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      const end = await this.ended;
      clearTimeout(killer);
      return end;
    }
    return this.ended;
  }
}

function describeEnd(command: string, end: RunEnd): SourceProblem {
  if (end.spawnError) {
    return {
      code: 'journalctl-missing',
      message: `cannot run journalctl '${command}': ${end.spawnError.code ?? end.spawnError.message}`,
      path: command,
    };
  }
  const how = end.signal ? `was killed by ${end.signal}` : `exited with code ${end.code}`;
  if (/Failed to seek to cursor/.test(end.stderr)) {
    return { code: 'journal-bad-cursor', message: `journalctl rejected the saved cursor and ${how}: ${end.stderr}` };
  }
  return { code: 'journalctl-exited', message: `journalctl ${how}${end.stderr ? `: ${end.stderr}` : ' (no stderr)'}` };
}

export class JournaldSource implements LogSource {
  private readonly opts: JournaldSourceOptions;
  private readonly command: string;
  private readonly maxChunk: number;
  private readonly batchMs: number;
  private readonly backoff: JournaldBackoff;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly clock: () => number;
  /** The cursor of the last chunk yielded: where a restarted journalctl picks up. */
  private resumeCursor: string | null;
  readonly stats: JournaldStats = { entries: 0, records: 0, nullMessages: 0, malformed: 0, exits: 0 };

  constructor(opts: JournaldSourceOptions) {
    const cp = opts.checkpoint as unknown;
    if (cp !== null && (typeof cp !== 'object' || typeof (cp as { cursor?: unknown }).cursor !== 'string')) {
      throw new Error(`journald checkpoint must be { cursor: string } or null, got ${JSON.stringify(cp)}`);
    }
    if (opts.directory !== undefined && opts.files?.length) {
      throw new Error('journald source takes either directory or files, not both');
    }
    this.opts = opts;
    this.command = opts.journalctl ?? 'journalctl';
    this.maxChunk = opts.maxChunk ?? 500;
    this.batchMs = opts.batchMs ?? 100;
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.sleep = opts.sleep ?? abortableSleep;
    this.clock = opts.clock ?? Date.now;
    this.resumeCursor = opts.checkpoint?.cursor ?? null;
    if (!(this.maxChunk >= 1)) throw new Error(`journald maxChunk must be at least 1, got ${opts.maxChunk}`);
  }

  /** A missing journal gives a clearer message than journalctl's, and needs no process to find out. */
  private async missingJournal(): Promise<SourceProblem | null> {
    const paths = this.opts.directory !== undefined ? [this.opts.directory] : (this.opts.files ?? []);
    for (const path of paths) {
      try {
        await stat(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        return { code: 'journal-missing', message: `journal ${path} is not there (${code}); waiting for it`, path };
      }
    }
    return null;
  }

  async *chunks(signal: AbortSignal): AsyncGenerator<SourceChunk> {
    let failures = 0;
    while (!signal.aborted) {
      const missing = await this.missingJournal();
      if (missing) {
        this.opts.onProblem(missing);
        failures += 1;
        await this.sleep(backoffDelay(failures, this.backoff), signal);
        continue;
      }
      const startedAt = this.clock();
      const entriesBefore = this.stats.entries;
      const run = new JournalctlRun(
        this.command,
        journalctlArgs({ ...this.opts, cursor: this.resumeCursor }),
        Math.max(1000, this.maxChunk * 4),
      );
      let end: RunEnd;
      try {
        yield* this.batches(run, signal);
      } finally {
        // Also reached when the consumer stops iterating: never leave journalctl behind.
        end = await run.stop();
      }
      if (signal.aborted) return;
      this.stats.exits += 1;
      this.opts.onProblem(describeEnd(this.command, end));
      const healthy = this.stats.entries > entriesBefore || this.clock() - startedAt >= this.backoff.maxMs;
      failures = healthy ? 1 : failures + 1;
      await this.sleep(backoffDelay(failures, this.backoff), signal);
    }
  }

  /** Chunks from one journalctl run, until it ends or `signal` aborts. */
  private async *batches(run: JournalctlRun, signal: AbortSignal): AsyncGenerator<SourceChunk> {
    let items: LogRecord[] = [];
    let cursor: string | null = null;
    let firstAt = 0;
    const take = (): SourceChunk => {
      const chunk: SourceChunk = { items, checkpoint: { cursor: cursor! } satisfies JournaldCheckpoint };
      this.resumeCursor = cursor;
      items = [];
      return chunk;
    };
    for (;;) {
      const wait = items.length ? this.batchMs - (performance.now() - firstAt) : Infinity;
      const next = await run.next(wait, signal);
      if (next === 'abort') return;
      if (next === 'timeout') {
        yield take();
        continue;
      }
      if (next === 'end') {
        if (items.length) yield take();
        return;
      }
      const result = parseEntry(next.line);
      if (result.kind === 'malformed') {
        this.stats.malformed += 1;
        this.opts.onProblem(result.problem);
      } else {
        this.stats.entries += 1;
        if (result.kind === 'null-message') this.stats.nullMessages += 1;
        else {
          this.stats.records += 1;
          if (!items.length) firstAt = performance.now();
          items.push(result.record);
        }
      }
      // A skipped entry moves the checkpoint too: the chunk ends at the last entry read, record or not.
      if (result.cursor !== null) cursor = result.cursor;
      if (items.length >= this.maxChunk) yield take();
    }
  }
}
