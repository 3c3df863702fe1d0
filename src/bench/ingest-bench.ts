// Side-by-side throughput of `bounce-origin ingest` and pflogsumm over the same generated log.
// pflogsumm is the yardstick an operator knows: it reads a whole mail log in one pass and keeps
// counters, so it bounds what one pass over the log costs in Perl. Rounds alternate which tool runs
// first, so neither always gets the cold page cache, and the medians are reported.
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateLogFile, type GroundTruth, type PflogsummCounts } from './generate.js';
import { measureCommand, median, hasGnuTime, type Measurement, type RssMethod } from './measure.js';
import type { IngestStages } from './ingest-stages.js';
import { spawnSync } from 'node:child_process';

export type Tool = 'pflogsumm' | 'ours';

export interface IngestBenchOptions {
  /** Lines of generated log (the benchmark uses ~1.6M). */
  lines: number;
  workDir: string;
  seed: number;
  rounds?: number;
  pflogsumm?: string;
  /** The CLI to benchmark; default dist/cli.js next to this compiled file. */
  cliPath?: string;
  /** The node binary that runs cliPath (default: this one). */
  node?: string;
  method?: RssMethod | 'auto';
  /** Where the log starts; default the day before now() (00:00 UTC), so retention keeps it all. */
  start?: Date;
  now?: () => Date;
  log?: (message: string) => void;
  /** Kill a tool run after this long (default 30 minutes). */
  timeoutMs?: number;
}

export interface RunSample {
  round: number;
  seconds: number;
  peakRssMiB: number;
}

export interface ToolStats {
  runs: RunSample[];
  /** Median wall time, process start to exit. */
  seconds: number;
  linesPerSecond: number;
  /** Median over rounds of each run's peak RSS. */
  peakRssMiB: number;
  maxPeakRssMiB: number;
}

export interface PflogsummTotals {
  received: number;
  delivered: number;
  forwarded: number;
  deferred: number;
  deferrals: number;
  bounced: number;
  rejected: number;
  /** True when pflogsumm printed a count in k/m units (over 512k), so it is rounded. */
  rounded: boolean;
}

export interface OursAvailable extends ToolStats {
  available: true;
  /** What the ingest command printed (last run): lines, messages, its own seconds. */
  reported: { lines: number; messages: number; seconds: number };
  /** Median of the ingest command's own `seconds`. */
  reportedSeconds: number;
  /** Database size after the last run (main file and WAL). */
  dbBytes: number;
  dbBytesPerMessage: number;
}

export type OursResult = OursAvailable | { available: false; reason: string };

export interface IngestBenchResult {
  logFile: string;
  lines: number;
  fileBytes: number;
  generateSeconds: number;
  seed: number;
  rounds: number;
  /** Which tool ran first in each round. */
  order: Tool[][];
  rssMethod: RssMethod;
  truth: Omit<GroundTruth, 'samples'>;
  pflogsumm: ToolStats & { totals: PflogsummTotals; mismatches: string[] };
  ours: OursResult;
  /** ours lines/s divided by pflogsumm lines/s; null when ours is not available. */
  ratio: number | null;
  /** Each stage of ingest timed alone (see ingest-stages.ts), or why it could not be. */
  stages: (IngestStages & { ceiling: number }) | { error: string };
}

/** The "Grand Totals" block of pflogsumm's report. */
export function parsePflogsummTotals(report: string): PflogsummTotals {
  let rounded = false;
  const count = (label: string): number => {
    const m = new RegExp(`^\\s*(\\d+)([ km]?)\\s+${label}\\b`, 'm').exec(report);
    if (m === null) throw new Error(`pflogsumm report has no "${label}" total`);
    const unit = m[2] === 'k' ? 1024 : m[2] === 'm' ? 1024 * 1024 : 1;
    if (unit !== 1) rounded = true;
    return Number(m[1]) * unit;
  };
  const deferrals = /^\s*\d+[ km]?\s+deferred\s+\((\d+)([ km]?)\s+deferrals\)/m.exec(report);
  const totals = {
    received: count('received'),
    delivered: count('delivered'),
    forwarded: count('forwarded'),
    deferred: count('deferred'),
    deferrals: deferrals === null ? 0 : Number(deferrals[1]) * (deferrals[2] === 'k' ? 1024 : deferrals[2] === 'm' ? 1024 * 1024 : 1),
    bounced: count('bounced'),
    rejected: count('rejected'),
  };
  return { ...totals, rounded };
}

/** Where pflogsumm's totals differ from what the generator wrote; empty when they agree. */
export function compareWithTruth(totals: PflogsummTotals, truth: PflogsummCounts): string[] {
  const out: string[] = [];
  for (const k of ['received', 'delivered', 'deferred', 'deferrals', 'bounced', 'rejected'] as const) {
    const diff = Math.abs(totals[k] - truth[k]);
    const tolerance = totals.rounded ? 1024 * 1024 : 0;
    if (diff > tolerance) out.push(`${k}: pflogsumm ${totals[k]}, generator ${truth[k]}`);
  }
  return out;
}

function defaultCliPath(): string {
  return fileURLToPath(new URL('../cli.js', import.meta.url));
}

function stats(runs: RunSample[], lines: number): ToolStats {
  const seconds = median(runs.map((r) => r.seconds));
  return {
    runs,
    seconds,
    linesPerSecond: lines / seconds,
    peakRssMiB: median(runs.map((r) => r.peakRssMiB)),
    maxPeakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
  };
}

function firstBytes(path: string, n: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/** The line of a stderr that says what went wrong: Node puts a stack location before `Error: ...`. */
export function reasonLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => /^[A-Za-z]*Error\b|^error\b/i.test(l)) ?? lines[0] ?? '';
}

/** The last non-empty stdout line as the ingest summary; throws naming what is missing. */
export function parseIngestSummary(stdout: string): { lines: number; messages: number; seconds: number } {
  const last = stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new Error(`ingest printed no JSON summary line (last stdout line: ${JSON.stringify(last.slice(0, 200))})`);
  }
  const o = parsed as Record<string, unknown>;
  for (const k of ['lines', 'messages', 'seconds']) {
    if (typeof o[k] !== 'number') throw new Error(`ingest summary lacks a numeric "${k}": ${last.slice(0, 200)}`);
  }
  return { lines: o['lines'] as number, messages: o['messages'] as number, seconds: o['seconds'] as number };
}

export async function runIngestBench(opts: IngestBenchOptions): Promise<IngestBenchResult> {
  if (!(Number.isInteger(opts.lines) && opts.lines > 0)) throw new Error(`runIngestBench: lines must be a positive integer, got ${opts.lines}`);
  const rounds = opts.rounds ?? 3;
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error(`runIngestBench: rounds must be a positive integer, got ${rounds}`);
  const log = opts.log ?? (() => {});
  const pflogsumm = opts.pflogsumm ?? '/usr/sbin/pflogsumm';
  if (!existsSync(pflogsumm)) throw new Error(`runIngestBench: pflogsumm not found at ${pflogsumm} (apt-get install pflogsumm)`);
  const cliPath = resolve(opts.cliPath ?? defaultCliPath());
  const node = opts.node ?? process.execPath;
  const method: RssMethod = (opts.method ?? 'auto') === 'auto' ? (hasGnuTime() ? 'time' : 'proc') : (opts.method as RssMethod);
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const workDir = resolve(opts.workDir);
  mkdirSync(workDir, { recursive: true });

  const now = (opts.now ?? (() => new Date()))();
  const start = opts.start ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1));
  const logFile = join(workDir, `postfix-${opts.seed}-${opts.lines}.log`);
  log(`generating ${opts.lines} lines into ${logFile}`);
  const g0 = process.hrtime.bigint();
  const fullTruth = generateLogFile({ lines: opts.lines, seed: opts.seed, start }, logFile);
  const generateSeconds = Number(process.hrtime.bigint() - g0) / 1e9;
  const { samples: _samples, ...truth } = fullTruth;
  const lines = truth.lines;

  const pfRuns: RunSample[] = [];
  let totals: PflogsummTotals | null = null;
  const ourRuns: RunSample[] = [];
  const ourReported: Array<{ lines: number; messages: number; seconds: number }> = [];
  let oursDown: string | null = existsSync(cliPath) ? null : `${cliPath} does not exist (build with tsc, or the ingest command is not written yet)`;
  let dbBytes = 0;
  const order: Tool[][] = [];

  const runPflogsumm = async (round: number): Promise<void> => {
    const reportFile = join(workDir, 'pflogsumm-report.txt');
    const m = await measureCommand(pflogsumm, [logFile], { method, stdoutFile: reportFile, timeoutMs });
    if (m.exitCode !== 0) throw new Error(`pflogsumm exited ${m.exitCode}: ${reasonLine(m.stderr)}`);
    pfRuns.push({ round, seconds: m.seconds, peakRssMiB: m.peakRssMiB });
    totals = parsePflogsummTotals(firstBytes(reportFile, 8192));
    log(`round ${round} pflogsumm: ${m.seconds.toFixed(2)} s, ${m.peakRssMiB.toFixed(0)} MiB`);
  };

  const runOurs = async (round: number): Promise<void> => {
    if (oursDown !== null) return;
    const dir = join(workDir, `ours-round-${round}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const database = join(dir, 'index.db');
    const config = join(dir, 'config.json');
    writeFileSync(config, `${JSON.stringify({ source: { type: 'file', path: logFile }, database, logLevel: 'warn' }, null, 2)}\n`);
    let m: Measurement;
    try {
      m = await measureCommand(node, [cliPath, 'ingest', logFile, '--config', config], { method, timeoutMs });
    } catch (err) {
      oursDown = (err as Error).message;
      return;
    }
    if (m.exitCode !== 0) {
      oursDown = `ingest exited ${m.exitCode}${m.signal === null ? '' : ` (${m.signal})`}: ${reasonLine(m.stderr) || firstLine(m.stdout)}`;
      return;
    }
    try {
      ourReported.push(parseIngestSummary(m.stdout));
    } catch (err) {
      oursDown = (err as Error).message;
      return;
    }
    dbBytes = fileSize(database) + fileSize(`${database}-wal`);
    ourRuns.push({ round, seconds: m.seconds, peakRssMiB: m.peakRssMiB });
    log(`round ${round} ours: ${m.seconds.toFixed(2)} s, ${m.peakRssMiB.toFixed(0)} MiB, db ${(dbBytes / 1048576).toFixed(1)} MiB`);
  };

  for (let round = 1; round <= rounds; round++) {
    const first: Tool[] = round % 2 === 1 ? ['pflogsumm', 'ours'] : ['ours', 'pflogsumm'];
    order.push(first);
    for (const tool of first) {
      if (tool === 'pflogsumm') await runPflogsumm(round);
      else await runOurs(round);
    }
  }

  const pfTotals = totals as PflogsummTotals | null;
  if (pfTotals === null) throw new Error('runIngestBench: pflogsumm never ran');
  const pfStats = stats(pfRuns, lines);
  let stagesResult: IngestBenchResult['stages'];
  if (oursDown !== null) {
    stagesResult = { error: 'ours not available' };
  } else {
    log('timing each stage of ingest alone');
    stagesResult = measureStagesApart(node, cliPath, logFile, join(workDir, 'stages'), timeoutMs, pfStats.seconds);
  }
  let ours: OursResult;
  if (oursDown !== null) {
    ours = { available: false, reason: oursDown };
  } else {
    const reported = ourReported[ourReported.length - 1] as { lines: number; messages: number; seconds: number };
    ours = {
      available: true,
      ...stats(ourRuns, lines),
      reported,
      reportedSeconds: median(ourReported.map((r) => r.seconds)),
      dbBytes,
      dbBytesPerMessage: reported.messages > 0 ? dbBytes / reported.messages : 0,
    };
  }
  return {
    logFile,
    lines,
    fileBytes: truth.bytes,
    generateSeconds,
    seed: opts.seed,
    rounds,
    order,
    rssMethod: method,
    truth,
    pflogsumm: { ...pfStats, totals: pfTotals, mismatches: compareWithTruth(pfTotals, truth.pflogsumm) },
    ours,
    ratio: ours.available ? ours.linesPerSecond / pfStats.linesPerSecond : null,
    stages: stagesResult,
  };
}

function measureStagesApart(node: string, cliPath: string, logFile: string, dir: string, timeoutMs: number, pflogsummSeconds: number): IngestBenchResult['stages'] {
  const script = join(dirname(cliPath), 'bench', 'ingest-stages.js');
  const r = spawnSync(node, [script, logFile, dir], { encoding: 'utf8', timeout: timeoutMs });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) return { error: `ingest-stages exited ${r.status ?? r.signal}: ${reasonLine(r.stderr ?? '')}` };
  try {
    const st = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as IngestStages;
    return { ...st, ceiling: pflogsummSeconds / st.floorSeconds };
  } catch {
    return { error: `ingest-stages printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
}

/** A short human report of a result. */
export function formatIngestBench(r: IngestBenchResult): string {
  const f = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const rows = [
    `ingest benchmark: ${f(r.lines)} lines (${f(r.fileBytes / 1048576, 1)} MiB, ${f(r.truth.messages)} messages), seed ${r.seed}, ${r.rounds} rounds, RSS via ${r.rssMethod === 'time' ? '/usr/bin/time' : '/proc polling'}`,
    `  pflogsumm: ${f(r.pflogsumm.seconds, 2)} s median, ${f(r.pflogsumm.linesPerSecond)} lines/s, peak RSS ${f(r.pflogsumm.peakRssMiB, 1)} MiB`,
  ];
  if (r.pflogsumm.mismatches.length > 0) rows.push(`  pflogsumm disagrees with the generator: ${r.pflogsumm.mismatches.join('; ')}`);
  if (r.ours.available) {
    rows.push(
      `  ours:      ${f(r.ours.seconds, 2)} s median (${f(r.ours.reportedSeconds, 2)} s by its own count), ${f(r.ours.linesPerSecond)} lines/s, peak RSS ${f(r.ours.peakRssMiB, 1)} MiB`,
      `  ours/pflogsumm speed: ${f(r.ratio ?? 0, 2)}x; database ${f(r.ours.dbBytes / 1048576, 1)} MiB, ${f(r.ours.dbBytesPerMessage)} bytes per indexed message (${f(r.ours.reported.messages)} messages)`,
    );
  } else {
    rows.push(`  ours:      not measured: ${r.ours.reason}`);
  }
  if ('error' in r.stages) {
    rows.push(`  stages: not measured: ${r.stages.error}`);
  } else {
    const st = r.stages;
    rows.push(
      `  each stage alone, one thread: start-up ${f(st.startupSeconds, 2)} s; read+parse+track ${f(st.trackSeconds, 2)} s; SQLite writes ${f(st.writeSeconds, 2)} s + index rebuild and commit ${f(st.rebuildSeconds, 2)} s`,
      `  writing alone (start-up + writes + rebuild) takes ${f(st.floorSeconds, 2)} s: with parsing free, ingest could reach at most ${f(st.ceiling, 2)}x pflogsumm`,
    );
  }
  return rows.join('\n');
}

const USAGE = 'usage: node dist/bench/ingest-bench.js [--lines N] [--seed S] [--rounds R] [--work-dir DIR] [--cli PATH]';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opts: IngestBenchOptions = { lines: 1_600_000, seed: 1, workDir: '/tmp/bounce-origin-bench' };
  for (let i = 0; i < args.length; i += 2) {
    const v = args[i + 1];
    const n = Number(v);
    switch (args[i]) {
      case '--lines': opts.lines = n; break;
      case '--seed': opts.seed = n; break;
      case '--rounds': opts.rounds = n; break;
      case '--work-dir': opts.workDir = String(v); break;
      case '--cli': opts.cliPath = String(v); break;
      default:
        process.stderr.write(`unknown argument ${String(args[i])}\n${USAGE}\n`);
        process.exit(2);
    }
  }
  const result = await runIngestBench({ ...opts, log: (m) => process.stderr.write(`${m}\n`) });
  process.stderr.write(`${formatIngestBench(result)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
