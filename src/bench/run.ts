// `npm run bench`: measures every "must reach" figure of the project and says PASS or FAIL for each.
// Prints a readable report on stdout, progress on stderr, and last one JSON object on stdout.
//   node dist/bench/run.js [--quick] [--only ingest,lookup,annotate,sqs,follow] [--work-dir DIR] [--seed N] [--fresh]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { runIngestBench, formatIngestBench } from './ingest-bench.js';
import { prepareCorpus, type Corpus } from './corpus.js';
import { pickQueries, runLookupBench, LOOKUP_KINDS } from './lookup-bench.js';
import { runAnnotateBench } from './annotate-bench.js';
import { drainBench } from './sqs-drain.js';
import { runFollowBench } from './follow-bench.js';
import { check, condition, formatCheck, formatValue, round, type Check } from './stats.js';
import { SCHEMA_VERSION } from '../db/schema.js';

export const SECTIONS = ['ingest', 'lookup', 'annotate', 'sqs', 'follow'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface Sizes {
  ingestLines: number;
  ingestRounds: number;
  corpusMessages: number;
  lookupPerKind: number;
  annotateN: number;
  sqsN: number;
  followSeconds: number;
  followRate: number;
}

export const FULL: Sizes = {
  ingestLines: 1_600_000,
  ingestRounds: 3,
  corpusMessages: 1_000_000,
  lookupPerKind: 2000,
  annotateN: 50_000,
  sqsN: 10_000,
  followSeconds: 30,
  followRate: 1000,
};

/** Small enough for a CI smoke test (about a minute), big enough that every code path runs. */
export const QUICK: Sizes = {
  ingestLines: 50_000,
  ingestRounds: 1,
  corpusMessages: 20_000,
  lookupPerKind: 300,
  annotateN: 2000,
  sqsN: 500,
  followSeconds: 5,
  followRate: 1000,
};

export interface RunArgs {
  quick: boolean;
  only: SectionName[];
  workDir: string;
  seed: number;
  fresh: boolean;
  help: boolean;
}

export const USAGE = `usage: node dist/bench/run.js [--quick] [--only NAME[,NAME...]] [--work-dir DIR] [--seed N] [--fresh]
  sections: ${SECTIONS.join(', ')}
  --quick      small sizes (a smoke test)
  --work-dir   where the generated logs and databases go (default .tmp/bench); the lookup/annotate
               corpus there is reused while seed and size match
  --fresh      rebuild that corpus even if it matches
Exits 0 when every section ran (whatever its PASS/FAIL), 1 when a section could not run.`;

export function parseRunArgs(argv: readonly string[]): RunArgs {
  const a: RunArgs = { quick: false, only: [...SECTIONS], workDir: '.tmp/bench', seed: 1, fresh: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick': a.quick = true; break;
      case '--fresh': a.fresh = true; break;
      case '-h':
      case '--help': a.help = true; break;
      case '--work-dir': a.workDir = value(); break;
      case '--seed': {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n)) throw new Error(`--seed needs an integer, got ${v}`);
        a.seed = n;
        break;
      }
      case '--only': {
        const names = value().split(',').map((s) => s.trim()).filter((s) => s !== '');
        for (const n of names) {
          if (!(SECTIONS as readonly string[]).includes(n)) throw new Error(`--only: unknown section ${n} (sections: ${SECTIONS.join(', ')})`);
        }
        a.only = SECTIONS.filter((s) => names.includes(s));
        break;
      }
      default:
        throw new Error(`unknown argument ${flag}`);
    }
  }
  return a;
}

export interface SectionOutcome {
  name: SectionName;
  seconds: number;
  checks: Check[];
  /** Human lines describing what was measured. */
  text: string[];
  data: unknown;
  error?: string;
}

interface Context {
  sizes: Sizes;
  workDir: string;
  seed: number;
  fresh: boolean;
  cliPath: string;
  log: (m: string) => void;
  corpus: () => Promise<Corpus>;
}

const f = (v: number, unit = ''): string => formatValue(v, unit);

async function ingestSection(ctx: Context): Promise<Omit<SectionOutcome, 'name' | 'seconds'>> {
  const r = await runIngestBench({
    lines: ctx.sizes.ingestLines,
    rounds: ctx.sizes.ingestRounds,
    seed: ctx.seed,
    workDir: join(ctx.workDir, 'ingest'),
    cliPath: ctx.cliPath,
    log: ctx.log,
  });
  const s = 'ingest';
  const ours = r.ours.available ? r.ours : null;
  const down = r.ours.available ? undefined : r.ours.reason;
  const checks = [
    check(s, 'ingest speed vs pflogsumm', r.ratio === null ? null : round(r.ratio, 2), 'x', '>=', 5,
      ours === null ? down : `${f(ours.linesPerSecond)} vs ${f(r.pflogsumm.linesPerSecond)} lines/s`),
    check(s, 'ingest peak RSS', ours === null ? null : round(ours.maxPeakRssMiB, 1), 'MiB', '<=', 200,
      ours === null ? down : `largest of ${r.rounds} run(s); pflogsumm ${f(r.pflogsumm.maxPeakRssMiB)} MiB`),
  ];
  const { runs: _pr, ...pf } = r.pflogsumm;
  return {
    checks,
    text: formatIngestBench(r).split('\n'),
    data: { ...r, pflogsumm: { ...pf, runs: r.pflogsumm.runs } },
  };
}

async function lookupSection(ctx: Context): Promise<Omit<SectionOutcome, 'name' | 'seconds'>> {
  const corpus = await ctx.corpus();
  const queries = pickQueries(corpus.samples, ctx.sizes.lookupPerKind, ctx.seed);
  ctx.log(`timing ${queries.length} lookups against ${corpus.database}`);
  const r = runLookupBench({ database: corpus.database, queries });
  const m = corpus.manifest;
  const text = [
    `index: ${f(m.messages)} accepted messages (${f(m.ingest.messages)} queue files), ${f(m.lines)} lines, database ${f(m.dbBytes / 1048576)} MiB` +
      `${corpus.reused ? ` (reused, built ${m.builtAt})` : ''}; its ingest took ${f(m.ingest.seconds)} s, peak RSS ${f(m.ingest.peakRssMiB)} MiB`,
    `in-process lookup(store, id); the database file read once into the page cache (${f(r.cacheWarmSeconds, 's')}), ${r.warmupQueries} untimed warm-up queries, then ms per query:`,
  ];
  const checks: Check[] = [];
  for (const k of LOOKUP_KINDS) {
    const x = r.kinds[k];
    if (x === null) {
      checks.push(check('lookup', `lookup by ${k}, median`, null, 'ms', '<', 1, 'no sample of this kind'));
      continue;
    }
    text.push(
      `  ${k.padEnd(10)} ${String(x.queries).padStart(5)} queries, found ${x.found}: median ${x.ms.median.toFixed(3)}, p90 ${x.ms.p90.toFixed(3)}, ` +
        `p99 ${x.ms.p99.toFixed(3)}, max ${x.ms.max.toFixed(3)}; messages per answer mean ${x.resultsMean.toFixed(2)}, max ${x.resultsMax}`,
    );
    // An address that received thousands of messages returns them all, so the tail measures the answer's size, not the index.
    const single = x.single === null || x.resultsMax <= 1 ? '' : `; ${x.single.n} one-message answers: median ${x.single.median.toFixed(3)}, p99 ${x.single.p99.toFixed(3)}`;
    if (single !== '') text.push(`  ${''.padEnd(10)} ${single.slice(2)}`);
    checks.push(check('lookup', `lookup by ${k}, median`, round(x.ms.median, 4), 'ms', '<', 1,
      `p99 ${x.ms.p99.toFixed(3)} ms, max ${x.ms.max.toFixed(3)} ms${x.resultsMean > 2 ? `; answers hold ${x.resultsMean.toFixed(0)} messages on average` : ''}`));
    checks.push(condition('lookup', `lookup by ${k} finds the message`, x.found === x.queries, `${x.found} of ${x.queries}`));
  }
  for (const miss of r.misses.slice(0, 3)) text.push(`  missed: ${miss.kind} ${miss.id}: expected one of ${miss.expect.join(',')}, got ${miss.got.join(',') || 'nothing'}`);
  return { checks, text, data: { corpus: { ...m, dir: corpus.dir, reused: corpus.reused }, ...r } };
}

async function annotateSection(ctx: Context): Promise<Omit<SectionOutcome, 'name' | 'seconds'>> {
  const corpus = await ctx.corpus();
  ctx.log(`annotating ${ctx.sizes.annotateN} notifications against ${corpus.database}`);
  const r = await runAnnotateBench({
    database: corpus.database,
    config: corpus.config,
    samples: corpus.samples,
    n: ctx.sizes.annotateN,
    seed: ctx.seed,
    workDir: join(ctx.workDir, 'annotate'),
    cliPath: ctx.cliPath,
  });
  const c = r.check;
  const text = [
    `${f(r.n)} notifications (${r.kinds.bounce} bounce, ${r.kinds.complaint} complaint, ${r.kinds.delivery} delivery; ${r.envelopes} in SNS envelopes), ` +
      `${f(r.inputBytes / 1048576)} MiB, about ${f(r.distinctMessages)} distinct messages of a ${f(corpus.manifest.messages)}-message index`,
    `node dist/cli.js annotate: ${f(r.seconds)} s wall (start-up included), ${f(r.notificationsPerSecond)} notifications/s, peak RSS ${f(r.peakRssMiB)} MiB`,
    `output: ${f(c.events)} events for ${f(c.expected)} affected recipients; matchedBy ${JSON.stringify(c.matchedBy)}; ` +
      `queue id and first hop as the generator says: ${f(c.originAgrees)}`,
    ...c.problems.slice(0, 3).map((p) => `  ${p}`),
  ];
  const checks = [
    check('annotate', 'annotate throughput', round(r.notificationsPerSecond, 0), 'notifications/s', '>=', 5000),
    condition('annotate', 'one event per affected recipient', c.events === c.expected && c.missing === 0 && c.unexpected === 0,
      `${c.events} events, ${c.expected} expected, ${c.missing} missing, ${c.unexpected} unexpected`),
    condition('annotate', 'every event has an origin (matchedBy not null)', c.unmatched === 0 && c.events > 0, `${c.unmatched} without`),
    condition('annotate', 'origins agree with the generator', c.originAgrees === c.expected, `${c.originAgrees} of ${c.expected}`),
  ];
  return { checks, text, data: r };
}

async function sqsSection(ctx: Context): Promise<Omit<SectionOutcome, 'name' | 'seconds'>> {
  ctx.log(`draining ${ctx.sizes.sqsN} messages from fauxqs`);
  const r = await drainBench(ctx.sizes.sqsN);
  const distinct = r.received - r.duplicates - r.parseFailures;
  const text = [
    `${f(r.n)} SNS-wrapped SES bounces enqueued on fauxqs in ${f(r.enqueueSeconds)} s, drained by SqsConsumer in ${f(r.seconds)} s ` +
      `(${f(r.n / r.seconds)} messages/s); received ${r.received}, duplicates ${r.duplicates}, parse failures ${r.parseFailures}, consumer failures ${r.consumerFailures}`,
  ];
  const checks = [
    check('sqs', 'SQS backlog drain', r.seconds, 's', '<', 30, `${f(r.n)} messages`),
    condition('sqs', 'none lost', distinct === r.n && r.parseFailures === 0, `${distinct} of ${r.n} distinct messages handled`),
    condition('sqs', 'none doubled', r.duplicates === 0, `${r.duplicates} duplicates`),
  ];
  return { checks, text, data: r };
}

async function followSection(ctx: Context): Promise<Omit<SectionOutcome, 'name' | 'seconds'>> {
  const r = await runFollowBench({
    workDir: ctx.workDir,
    cliPath: ctx.cliPath,
    rate: ctx.sizes.followRate,
    seconds: ctx.sizes.followSeconds,
    seed: ctx.seed + 6,
    log: ctx.log,
  });
  const l = r.latencyMs;
  const text = [
    `node dist/cli.js run following a file; writer appended ${f(r.lines)} lines (${f(r.bytes / 1048576)} MiB) at ${r.rate} lines/s in ${r.batches} batches ` +
      `(worst writer lag ${f(r.writerMaxLagMs)} ms); window ${f(r.windowSeconds)} s`,
    `daemon CPU ${f(r.daemon.cpuPercent)}% of one core (${f(r.daemon.cpuSeconds)} s), RSS ${r.daemon.rssMiB === null ? '?' : f(r.daemon.rssMiB)} MiB ` +
      `(peak ${r.daemon.peakRssMiB === null ? '?' : f(r.daemon.peakRssMiB)}); tail -F on the same file: ${r.tail === null ? 'not run' : `${f(r.tail.cpuPercent)}% (${f(r.tail.cpuSeconds)} s)`}`,
    `write-to-index latency over ${r.probesFound} of ${r.probes} probes: ${l === null ? 'none found' : `median ${f(l.median)} ms, p90 ${f(l.p90)} ms, max ${f(l.max)} ms`}`,
    `committed offset ${r.daemon.checkpointOffset ?? 'none'} of ${r.bytes} bytes written; SIGTERM -> exit ${String(r.daemon.exitCode)} in ${f(r.daemon.shutdownSeconds)} s`,
  ];
  const checks = [
    check('follow', 'daemon CPU while following', round(r.daemon.cpuPercent, 2), '%', '<=', 5,
      `at ${r.rate} lines/s; tail -F ${r.tail === null ? 'not run' : `${r.tail.cpuPercent.toFixed(2)}%`}`),
    check('follow', 'write-to-index latency, max', l === null ? null : round(l.max, 1), 'ms', '<', 1000, l === null ? 'no probe found' : `median ${l.median.toFixed(1)} ms`),
    condition('follow', 'every probe indexed', r.probesFound === r.probes && r.probes > 0, `${r.probesFound} of ${r.probes}`),
    condition('follow', 'caught up (committed offset = bytes written)', r.daemon.caughtUp),
    condition('follow', 'clean exit 0 on SIGTERM', r.daemon.exitCode === 0, `exit ${String(r.daemon.exitCode)}`),
  ];
  return { checks, text, data: r };
}

const RUNNERS: Record<SectionName, (ctx: Context) => Promise<Omit<SectionOutcome, 'name' | 'seconds'>>> = {
  ingest: ingestSection,
  lookup: lookupSection,
  annotate: annotateSection,
  sqs: sqsSection,
  follow: followSection,
};

export const TITLES: Record<SectionName, string> = {
  ingest: '1. ingest vs pflogsumm',
  lookup: '2. lookup latency',
  annotate: '3. annotate throughput',
  sqs: '4. SQS backlog drain',
  follow: '5. follow cost',
};

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  sqlite: string;
  pflogsumm: string | null;
}

export function machine(): Machine {
  let pflogsumm: string | null = null;
  try {
    pflogsumm = execFileSync('pflogsumm', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    pflogsumm = null;
  }
  const db = new Database(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    kernel: release(),
    node: process.version,
    sqlite,
    pflogsumm,
  };
}

/** The readable report: each section's lines and checks, then every check in one list. */
export function formatReport(outcomes: readonly SectionOutcome[], m: Machine, command: string, seconds: number): string {
  const out = [
    `bounce-origin benchmark: ${command}`,
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Linux ${m.kernel}; Node ${m.node}; SQLite ${m.sqlite}; ${m.pflogsumm ?? 'pflogsumm not found'}`,
    '',
  ];
  for (const o of outcomes) {
    out.push(`${TITLES[o.name]} (${o.seconds.toFixed(0)} s)`);
    for (const t of o.text) out.push(`  ${t}`);
    if (o.error !== undefined) out.push(`  error: ${o.error}`);
    for (const c of o.checks) out.push(formatCheck(c));
    out.push('');
  }
  const all = outcomes.flatMap((o) => o.checks);
  const failed = all.filter((c) => !c.pass).length;
  out.push(`${all.length - failed} of ${all.length} checks passed, ${failed} failed; ${seconds.toFixed(0)} s in all`);
  return out.join('\n');
}

export interface RunOptions extends RunArgs {
  cliPath?: string;
  log?: (m: string) => void;
}

export interface BenchReport {
  command: string;
  startedAt: string;
  seconds: number;
  quick: boolean;
  machine: Machine;
  sizes: Sizes;
  checks: Check[];
  pass: boolean;
  sections: Partial<Record<SectionName, { seconds: number; error?: string; data: unknown }>>;
}

export async function runBench(opts: RunOptions): Promise<{ report: BenchReport; text: string }> {
  const started = new Date();
  const t0 = performance.now();
  const sizes = opts.quick ? QUICK : FULL;
  const workDir = resolve(opts.workDir);
  mkdirSync(workDir, { recursive: true });
  const log = opts.log ?? (() => {});
  const cliPath = resolve(opts.cliPath ?? fileURLToPath(new URL('../cli.js', import.meta.url)));
  let corpus: Promise<Corpus> | null = null;
  const ctx: Context = {
    sizes,
    workDir,
    seed: opts.seed,
    fresh: opts.fresh,
    cliPath,
    log,
    corpus: () =>
      (corpus ??= prepareCorpus({
        workDir,
        messages: sizes.corpusMessages,
        seed: opts.seed,
        sampleEvery: Math.max(1, Math.floor(sizes.corpusMessages / 62_500)),
        maxSamples: 62_500,
        schemaVersion: SCHEMA_VERSION,
        cliPath,
        fresh: opts.fresh,
        log,
      })),
  };
  const outcomes: SectionOutcome[] = [];
  for (const name of opts.only) {
    log(`== ${TITLES[name]}`);
    const s0 = performance.now();
    try {
      const r = await RUNNERS[name](ctx);
      outcomes.push({ name, seconds: (performance.now() - s0) / 1000, ...r });
    } catch (err) {
      const message = (err as Error).message;
      log(`${name} failed: ${message}`);
      outcomes.push({
        name,
        seconds: (performance.now() - s0) / 1000,
        checks: [condition(name, 'section ran', false, message)],
        text: [],
        data: null,
        error: message,
      });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const m = machine();
  const command = `node dist/bench/run.js${opts.quick ? ' --quick' : ''}${opts.only.length < SECTIONS.length ? ` --only ${opts.only.join(',')}` : ''}`;
  const checks = outcomes.flatMap((o) => o.checks);
  const report: BenchReport = {
    command,
    startedAt: started.toISOString(),
    seconds: round(seconds, 1),
    quick: opts.quick,
    machine: m,
    sizes,
    checks,
    pass: checks.every((c) => c.pass),
    sections: Object.fromEntries(
      outcomes.map((o) => [o.name, { seconds: round(o.seconds, 1), ...(o.error === undefined ? {} : { error: o.error }), data: o.data }]),
    ),
  };
  return { report, text: formatReport(outcomes, m, command, seconds) };
}

async function main(): Promise<void> {
  let args: RunArgs;
  try {
    args = parseRunArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { report, text } = await runBench({ ...args, log: (m) => process.stderr.write(`${m}\n`) });
  writeFileSync(join(resolve(args.workDir), 'last-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${text}\n\n${JSON.stringify(report)}\n`);
  // A FAIL against a target is a finding, reported above; only a section that could not run fails the run.
  if (Object.values(report.sections).some((s) => s.error !== undefined)) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
