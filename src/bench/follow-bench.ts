// What following a live log costs: `bounce-origin run` follows a file that a writer appends realistic
// lines to at a steady rate, in batches, as syslog would. Measured: the daemon's CPU time (utime +
// stime from /proc/PID/stat over the writing window, as % of one core), `tail -F` on the same file
// over the same window as a yardstick, and how long a line takes from its write to the index
// (probes: a queue id first seen in each batch, polled for through a read-only connection).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateLog } from './generate.js';
import { summarize, type Summary } from './stats.js';
import { Store } from '../db/store.js';

export interface CpuTicks {
  utime: number;
  stime: number;
}

/**
 * utime and stime (fields 14 and 15, in clock ticks) of a /proc/PID/stat line. The command name
 * (field 2) is in parentheses and may itself hold spaces and ')', so count from the last ')'.
 */
export function parseProcStat(text: string): CpuTicks {
  const close = text.lastIndexOf(')');
  if (close === -1) throw new Error(`not a /proc/PID/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const f = text.slice(close + 2).trim().split(/\s+/);
  // f[0] is field 3 (state), so field n is f[n - 3].
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`no utime/stime in /proc/PID/stat line: ${JSON.stringify(text.slice(0, 120))}`);
  return { utime, stime };
}

export function readCpuTicks(pid: number): CpuTicks {
  return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** Ticks per second of /proc/PID/stat times (USER_HZ, almost always 100). */
export function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** CPU used between two readings as a percentage of one core over `seconds` of wall time. */
export function cpuPercent(before: CpuTicks, after: CpuTicks, ticksPerSecond: number, seconds: number): number {
  const used = after.utime + after.stime - before.utime - before.stime;
  return (100 * used) / ticksPerSecond / seconds;
}

const QUEUE_ID = /postfix(?:\/[\w.-]+)+\[\d+\]: ([0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}): /;

/** The Postfix queue id a line is about, or null (NOQUEUE, other programs, statistics). */
export function queueIdOf(line: string): string | null {
  return QUEUE_ID.exec(line)?.[1] ?? null;
}

export interface Batch {
  text: string;
  lines: number;
  /** A queue id no earlier line named, so its appearance in the index dates from this batch. */
  probe: string | null;
}

/** Cuts lines into batches of `perBatch` and picks each batch's probe. */
export function planBatches(lines: readonly string[], perBatch: number): Batch[] {
  if (!(Number.isInteger(perBatch) && perBatch > 0)) throw new Error(`planBatches: perBatch must be a positive integer, got ${perBatch}`);
  const seen = new Set<string>();
  const out: Batch[] = [];
  for (let i = 0; i < lines.length; i += perBatch) {
    const part = lines.slice(i, i + perBatch);
    let probe: string | null = null;
    for (const l of part) {
      const q = queueIdOf(l);
      if (q === null) continue;
      if (probe === null && !seen.has(q)) probe = q;
      seen.add(q);
    }
    out.push({ text: `${part.join('\n')}\n`, lines: part.length, probe });
  }
  return out;
}

export interface FollowBenchOptions {
  workDir: string;
  cliPath: string;
  node?: string;
  /** Lines per second the writer appends (default 1000). */
  rate?: number;
  seconds?: number;
  /** Milliseconds between batches (default 100). */
  batchMs?: number;
  seed?: number;
  /** Measure `tail -F` on the same file alongside (default true). */
  peer?: boolean;
  log?: (message: string) => void;
}

export interface FollowBenchResult {
  rate: number;
  seconds: number;
  lines: number;
  bytes: number;
  batches: number;
  /** Wall time of the measured window: first write to the last probe found (or given up). */
  windowSeconds: number;
  /** How late the writer ran behind its schedule at worst, in ms (a busy machine shows here). */
  writerMaxLagMs: number;
  clockTicksPerSecond: number;
  daemon: {
    cpuPercent: number;
    cpuSeconds: number;
    rssMiB: number | null;
    peakRssMiB: number | null;
    /** The daemon's committed byte offset at the end equals what was written: nothing left unread. */
    caughtUp: boolean;
    checkpointOffset: number | null;
    exitCode: number | null;
    shutdownSeconds: number;
  };
  tail: { cpuPercent: number; cpuSeconds: number } | null;
  probes: number;
  probesFound: number;
  /** Milliseconds from write() returning to the probe's queue id being readable in the index. */
  latencyMs: Summary | null;
}

interface StartedChild {
  child: ChildProcess;
  exited: Promise<number | null>;
}

function start(cmd: string, args: string[], out: number | 'ignore', err: number | 'ignore'): StartedChild {
  const child = spawn(cmd, args, { stdio: ['ignore', out, err] });
  const exited = new Promise<number | null>((res) => {
    child.once('exit', (code, signal) => res(code ?? (signal === null ? null : 128)));
    child.once('error', () => res(null));
  });
  return { child, exited };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function statusKiB(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

async function waitFor(what: string, ms: number, ok: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`follow bench: gave up after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Realistic lines: the generator at a message rate that makes its timestamps advance with the wall clock. */
function makeLines(count: number, rate: number, seed: number): string[] {
  const chunks: string[] = [];
  // About 11 lines per accepted message in the generator's mix.
  const messagesPerMinute = (rate / 11) * 60;
  generateLog({ lines: count, seed, start: new Date(), messagesPerMinute }, (c) => chunks.push(c));
  const lines = chunks.join('').split('\n');
  return lines.slice(0, count);
}

export async function runFollowBench(opts: FollowBenchOptions): Promise<FollowBenchResult> {
  const log = opts.log ?? (() => {});
  const rate = opts.rate ?? 1000;
  const seconds = opts.seconds ?? 30;
  const batchMs = opts.batchMs ?? 100;
  const perBatch = Math.max(1, Math.round((rate * batchMs) / 1000));
  const dir = resolve(opts.workDir, 'follow');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'mail.log');
  const database = join(dir, 'index.db');
  const config = join(dir, 'config.json');
  writeFileSync(logFile, '');
  writeFileSync(config, `${JSON.stringify({ source: { type: 'file', path: logFile }, database, logLevel: 'info' }, null, 2)}\n`);

  const lines = makeLines(Math.round(rate * seconds), rate, opts.seed ?? 7);
  const batches = planBatches(lines, perBatch);
  const hz = clockTicksPerSecond();

  const outFd = openSync(join(dir, 'daemon.out'), 'w');
  const errFd = openSync(join(dir, 'daemon.err'), 'w');
  const daemon = start(opts.node ?? process.execPath, [opts.cliPath, 'run', '--config', config], outFd, errFd);
  closeSync(outFd);
  closeSync(errFd);
  const tail = opts.peer === false ? null : start('tail', ['-F', '-n', '0', logFile], 'ignore', 'ignore');
  let store: Store | null = null;
  let writeFd: number | null = null;
  try {
    const daemonPid = daemon.child.pid;
    if (daemonPid === undefined) throw new Error('follow bench: the daemon did not start');
    let exitedEarly: number | null | undefined;
    void daemon.exited.then((c) => (exitedEarly = c));
    await waitFor('the daemon to log its start', 30_000, () => {
      if (exitedEarly !== undefined) {
        throw new Error(`follow bench: the daemon exited ${String(exitedEarly)}: ${readFileSync(join(dir, 'daemon.err'), 'utf8').trim().split('\n').pop() ?? ''}`);
      }
      return readFileSync(join(dir, 'daemon.out'), 'utf8').includes('"op":"start"');
    });
    store = new Store(database, { readonly: true });
    // Let start-up work (JIT, first poll) finish outside the window.
    await sleep(1000);
    log(`writing ${lines.length} lines at ${rate}/s in batches of ${perBatch} every ${batchMs} ms`);

    const pending = new Map<string, number>();
    const latencies: number[] = [];
    let probes = 0;
    let writing = true;
    const s = store;
    const poller = (async () => {
      while (writing || pending.size > 0) {
        for (const [q, at] of pending) {
          if (s.generationsByQueueId(q).length > 0) {
            latencies.push(performance.now() - at);
            pending.delete(q);
          }
        }
        await sleep(10);
      }
    })();

    writeFd = openSync(logFile, 'a');
    const d0 = readCpuTicks(daemonPid);
    const t0Ticks = tail?.child.pid === undefined || tail === null ? null : readCpuTicks(tail.child.pid);
    const t0 = performance.now();
    let maxLag = 0;
    let bytes = 0;
    for (let k = 0; k < batches.length; k++) {
      const due = t0 + k * batchMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      maxLag = Math.max(maxLag, performance.now() - due);
      const b = batches[k] as Batch;
      bytes += writeSync(writeFd, b.text);
      if (b.probe !== null) {
        pending.set(b.probe, performance.now());
        probes++;
      }
    }
    closeSync(writeFd);
    writeFd = null;
    // Give the last lines up to 5 s to arrive, then stop waiting for them.
    const giveUp = performance.now() + 5000;
    while (pending.size > 0 && performance.now() < giveUp) await sleep(10);
    const lost = pending.size;
    pending.clear();
    writing = false;
    await poller;
    const t1 = performance.now();
    const d1 = readCpuTicks(daemonPid);
    const t1Ticks = t0Ticks === null || tail?.child.pid === undefined ? null : readCpuTicks(tail.child.pid);
    const windowSeconds = (t1 - t0) / 1000;
    const rssKiB = statusKiB(daemonPid, 'VmRSS');
    const hwmKiB = statusKiB(daemonPid, 'VmHWM');
    // The checkpoint commits with the rows it covers; wait a poll or two for the last batch.
    let checkpointOffset: number | null = null;
    const key = `file:${logFile}`;
    for (let i = 0; i < 100; i++) {
      const cp = s.checkpoint(key) as { offset?: number } | null;
      checkpointOffset = typeof cp?.offset === 'number' ? cp.offset : null;
      if (checkpointOffset === bytes) break;
      await sleep(50);
    }

    const stopAt = performance.now();
    daemon.child.kill('SIGTERM');
    const killTimer = setTimeout(() => daemon.child.kill('SIGKILL'), 15_000);
    const exitCode = await daemon.exited;
    clearTimeout(killTimer);
    const shutdownSeconds = (performance.now() - stopAt) / 1000;
    log(`daemon exited ${String(exitCode)} after SIGTERM in ${shutdownSeconds.toFixed(2)} s`);

    return {
      rate,
      seconds,
      lines: lines.length,
      bytes,
      batches: batches.length,
      windowSeconds,
      writerMaxLagMs: maxLag,
      clockTicksPerSecond: hz,
      daemon: {
        cpuPercent: cpuPercent(d0, d1, hz, windowSeconds),
        cpuSeconds: (d1.utime + d1.stime - d0.utime - d0.stime) / hz,
        rssMiB: rssKiB === null ? null : rssKiB / 1024,
        peakRssMiB: hwmKiB === null ? null : hwmKiB / 1024,
        caughtUp: checkpointOffset === bytes,
        checkpointOffset,
        exitCode,
        shutdownSeconds,
      },
      tail: t0Ticks === null || t1Ticks === null
        ? null
        : { cpuPercent: cpuPercent(t0Ticks, t1Ticks, hz, windowSeconds), cpuSeconds: (t1Ticks.utime + t1Ticks.stime - t0Ticks.utime - t0Ticks.stime) / hz },
      probes,
      probesFound: probes - lost,
      latencyMs: latencies.length === 0 ? null : summarize(latencies),
    };
  } finally {
    if (writeFd !== null) closeSync(writeFd);
    store?.close();
    if (daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    if (tail !== null) {
      tail.child.kill('SIGTERM');
      await tail.exited;
    }
  }
}
