// The large index that the lookup and annotate sections query: a generated log of N accepted
// messages, ingested once by the real CLI. Building it takes about a minute at 1M messages, so it
// is kept under the work dir with a manifest and reused while seed, size, sampling and schema agree.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateLogFile, type GroundTruth, type MessageTruth } from './generate.js';
import { measureCommand, type Measurement } from './measure.js';
import { parseIngestSummary, reasonLine } from './ingest-bench.js';

/** Bump when the files or the manifest change meaning, so an old corpus is rebuilt. */
export const CORPUS_FORMAT = 1;

export interface CorpusOptions {
  workDir: string;
  messages: number;
  seed: number;
  /** Keep ground truth for every Nth message, at most maxSamples of them. */
  sampleEvery: number;
  maxSamples: number;
  /** The schema the index must have; part of the reuse key. */
  schemaVersion: number;
  cliPath: string;
  node?: string;
  /** Rebuild even when a matching corpus exists. */
  fresh?: boolean;
  now?: () => Date;
  log?: (message: string) => void;
}

export interface CorpusManifest {
  format: number;
  seed: number;
  messages: number;
  sampleEvery: number;
  maxSamples: number;
  schemaVersion: number;
  builtAt: string;
  start: string;
  lines: number;
  logBytes: number;
  generateSeconds: number;
  ingest: { seconds: number; peakRssMiB: number; lines: number; messages: number; reportedSeconds: number };
  dbBytes: number;
}

export interface Corpus {
  dir: string;
  logFile: string;
  database: string;
  config: string;
  manifest: CorpusManifest;
  samples: MessageTruth[];
  reused: boolean;
}

/** The part of a manifest that must match for a corpus to be reused. */
export function corpusKey(o: Pick<CorpusOptions, 'messages' | 'seed' | 'sampleEvery' | 'maxSamples' | 'schemaVersion'>): string {
  return JSON.stringify([CORPUS_FORMAT, o.seed, o.messages, o.sampleEvery, o.maxSamples, o.schemaVersion]);
}

export function manifestKey(m: CorpusManifest): string {
  return JSON.stringify([m.format, m.seed, m.messages, m.sampleEvery, m.maxSamples, m.schemaVersion]);
}

/**
 * Where the log starts. Syslog stamps carry no year and ingest takes it from the file's mtime, so
 * the whole log must lie before now: start a day before now minus the log's simulated length
 * (300 messages a simulated minute, the generator's default rate).
 */
export function corpusStart(now: Date, messages: number): Date {
  const spanMs = (messages / 300) * 60_000;
  const t = now.getTime() - spanMs - 24 * 3600_000;
  const d = new Date(t);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

function size(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function readManifest(path: string): CorpusManifest | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CorpusManifest;
  } catch {
    return null;
  }
}

export async function prepareCorpus(opts: CorpusOptions): Promise<Corpus> {
  if (!(Number.isInteger(opts.messages) && opts.messages > 0)) throw new Error(`prepareCorpus: messages must be a positive integer, got ${opts.messages}`);
  const log = opts.log ?? (() => {});
  const dir = resolve(opts.workDir, `corpus-${opts.seed}-${opts.messages}`);
  const logFile = join(dir, 'postfix.log');
  const database = join(dir, 'index.db');
  const config = join(dir, 'config.json');
  const truthFile = join(dir, 'truth.json');
  const manifestFile = join(dir, 'manifest.json');

  const old = readManifest(manifestFile);
  if (!opts.fresh && old !== null && manifestKey(old) === corpusKey(opts) && existsSync(database) && existsSync(truthFile) && existsSync(logFile)) {
    log(`reusing the corpus in ${dir} (built ${old.builtAt})`);
    const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as { samples: MessageTruth[] };
    return { dir, logFile, database, config, manifest: old, samples: truth.samples, reused: true };
  }

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const now = (opts.now ?? (() => new Date()))();
  const start = corpusStart(now, opts.messages);
  log(`generating ${opts.messages} messages into ${logFile}`);
  const g0 = process.hrtime.bigint();
  const truth: GroundTruth = generateLogFile(
    { messages: opts.messages, seed: opts.seed, start, sampleEvery: opts.sampleEvery, maxSamples: opts.maxSamples },
    logFile,
  );
  const generateSeconds = Number(process.hrtime.bigint() - g0) / 1e9;
  writeFileSync(truthFile, JSON.stringify(truth));
  writeFileSync(config, `${JSON.stringify({ source: { type: 'file', path: logFile }, database, logLevel: 'warn' }, null, 2)}\n`);

  log(`ingesting ${truth.lines} lines (${(truth.bytes / 1048576).toFixed(0)} MiB)`);
  const m: Measurement = await measureCommand(opts.node ?? process.execPath, [opts.cliPath, 'ingest', '--config', config, logFile], {
    timeoutMs: 30 * 60_000,
  });
  if (m.exitCode !== 0) throw new Error(`ingest of ${logFile} exited ${m.exitCode}: ${reasonLine(m.stderr)}`);
  const reported = parseIngestSummary(m.stdout);
  const manifest: CorpusManifest = {
    format: CORPUS_FORMAT,
    seed: opts.seed,
    messages: opts.messages,
    sampleEvery: opts.sampleEvery,
    maxSamples: opts.maxSamples,
    schemaVersion: opts.schemaVersion,
    builtAt: now.toISOString(),
    start: start.toISOString(),
    lines: truth.lines,
    logBytes: truth.bytes,
    generateSeconds,
    ingest: { seconds: m.seconds, peakRssMiB: m.peakRssMiB, lines: reported.lines, messages: reported.messages, reportedSeconds: reported.seconds },
    dbBytes: size(database) + size(`${database}-wal`),
  };
  // Written last: a corpus without a manifest is never reused.
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, logFile, database, config, manifest, samples: truth.samples, reused: false };
}
