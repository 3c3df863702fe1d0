// Runs one command and measures its wall time and peak resident memory.
// GNU time (Debian package `time`, not installed by default: priority optional) reads the peak from
// wait4()'s rusage, which is exact. Without it we poll /proc: VmHWM is the kernel's own high-water
// mark but vanishes with the process, so it is read while the process lives, every pollMs.
import { spawn } from 'node:child_process';
import { accessSync, constants, closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type RssMethod = 'time' | 'proc';

export interface MeasureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Send the child's stdout to this file instead of capturing it (for large outputs). */
  stdoutFile?: string;
  /** Captured stdout/stderr are cut after this many bytes each (default 16 MiB). */
  captureLimitBytes?: number;
  /** `auto` (default) uses GNU time when present, else /proc polling. */
  method?: RssMethod | 'auto';
  timeBinary?: string;
  pollMs?: number;
  /** Kill the child (SIGKILL) after this long; the result then has signal 'SIGKILL'. */
  timeoutMs?: number;
}

export interface Measurement {
  seconds: number;
  peakRssMiB: number;
  /** The child's exit code; 128 + signal number when it was killed by a signal. */
  exitCode: number;
  signal: string | null;
  stdout: string;
  stderr: string;
  method: RssMethod;
}

export const GNU_TIME = '/usr/bin/time';

export function hasGnuTime(path: string = GNU_TIME): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A `/proc/PID/status` field in KiB (`VmHWM:    183108 kB`), or null when absent. */
export function parseProcStatusKiB(status: string, field: string): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return m === null ? null : Number(m[1]);
}

/**
 * The `-o` file of `time -f %M`: GNU time puts "Command exited with non-zero status N" or
 * "Command terminated by signal N" before the format's line, so take the last line that is a number.
 */
export function parseGnuTimeKiB(text: string): number | null {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l));
  const last = lines[lines.length - 1];
  return last === undefined ? null : Number(last);
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

class Capture {
  private parts: Buffer[] = [];
  private size = 0;
  constructor(private limit: number) {}
  add(b: Buffer): void {
    if (this.size >= this.limit) return;
    const room = this.limit - this.size;
    const piece = b.length > room ? b.subarray(0, room) : b;
    this.parts.push(piece);
    this.size += piece.length;
  }
  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

function readStatus(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
}

/** The pid and its live descendants, through /proc/PID/task/TID/children. */
function processTree(root: number): number[] {
  const seen: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    seen.push(pid);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
          if (c.trim() !== '') stack.push(Number(c));
        }
      } catch {
        // The thread or process ended between readdir and read.
      }
    }
  }
  return seen;
}

/**
 * Peak RSS of the tree: the larger of the root's own high-water mark and the largest sum of the
 * tree's current RSS seen at a poll (children's peaks between polls can be missed).
 */
class ProcPoller {
  peakKiB = 0;
  private timer: NodeJS.Timeout;
  constructor(private pid: number, pollMs: number) {
    this.poll();
    this.timer = setInterval(() => this.poll(), pollMs);
  }
  poll(): void {
    let sum = 0;
    for (const p of processTree(this.pid)) {
      const status = readStatus(p);
      if (status === null) continue;
      sum += parseProcStatusKiB(status, 'VmRSS') ?? 0;
      if (p === this.pid) this.peakKiB = Math.max(this.peakKiB, parseProcStatusKiB(status, 'VmHWM') ?? 0);
    }
    this.peakKiB = Math.max(this.peakKiB, sum);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export async function measureCommand(cmd: string, args: string[], opts: MeasureOptions = {}): Promise<Measurement> {
  const requested = opts.method ?? 'auto';
  const timeBinary = opts.timeBinary ?? GNU_TIME;
  let method: RssMethod;
  if (requested === 'auto') method = hasGnuTime(timeBinary) ? 'time' : 'proc';
  else method = requested;
  if (method === 'time' && !hasGnuTime(timeBinary)) throw new Error(`measureCommand: ${timeBinary} is not an executable (install Debian package "time")`);
  const limit = opts.captureLimitBytes ?? 16 * 1024 * 1024;
  const pollMs = opts.pollMs ?? 50;

  let tmp: string | null = null;
  let timeOut = '';
  let file = cmd;
  let argv = args;
  if (method === 'time') {
    tmp = mkdtempSync(join(tmpdir(), 'measure-'));
    timeOut = join(tmp, 'rss');
    file = timeBinary;
    argv = ['-f', '%M', '-o', timeOut, '--', cmd, ...args];
  }
  const outFd = opts.stdoutFile === undefined ? null : openSync(opts.stdoutFile, 'w');
  try {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', outFd ?? 'pipe', 'pipe'],
      // Its own process group, so a timeout kills the command and not only /usr/bin/time.
      detached: true,
    });
    const out = new Capture(limit);
    const err = new Capture(limit);
    child.stdout?.on('data', (b: Buffer) => out.add(b));
    child.stderr?.on('data', (b: Buffer) => err.add(b));
    let poller: ProcPoller | null = null;
    const killTimer = opts.timeoutMs === undefined ? null : setTimeout(() => killGroup(child.pid), opts.timeoutMs);
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error: Error | null }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('spawn', () => {
        if (method === 'proc' && child.pid !== undefined) poller = new ProcPoller(child.pid, pollMs);
      });
      child.once('close', (code, signal) => resolve({ code, signal, error: null }));
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (killTimer !== null) clearTimeout(killTimer);
    (poller as ProcPoller | null)?.stop();
    if (result.error !== null) throw new Error(`measureCommand: cannot run ${cmd}: ${result.error.message}`);
    let peakKiB: number;
    if (method === 'time') {
      let text = '';
      try {
        text = readFileSync(timeOut, 'utf8');
      } catch {
        // time itself was killed before writing: no figure.
      }
      peakKiB = parseGnuTimeKiB(text) ?? 0;
    } else {
      peakKiB = (poller as ProcPoller | null)?.peakKiB ?? 0;
    }
    const signal = result.signal;
    return {
      seconds,
      peakRssMiB: peakKiB / 1024,
      exitCode: result.code ?? 128 + (signal === null ? 0 : (SIGNALS[signal] ?? 0)),
      signal,
      stdout: out.text(),
      stderr: err.text(),
      method,
    };
  } finally {
    if (outFd !== null) closeSync(outFd);
    if (tmp !== null) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: empty list');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
