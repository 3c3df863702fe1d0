// Throughput of `bounce-origin annotate --database DB FILE` over SES notifications about messages
// that are in the index, timed as a whole process (start-up included: that is what a script pays).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MessageTruth } from './generate.js';
import { measureCommand } from './measure.js';
import { reasonLine } from './ingest-bench.js';
import { buildNotifications, checkAnnotateOutput, type AnnotateCheck, type NotificationKind } from './notifications.js';

export interface AnnotateBenchOptions {
  database: string;
  /** A config file for the CLI, so no /etc/bounce-origin/config.json on this machine is read. */
  config: string;
  samples: readonly MessageTruth[];
  n: number;
  seed: number;
  workDir: string;
  cliPath: string;
  node?: string;
  timeoutMs?: number;
}

export interface AnnotateBenchResult {
  n: number;
  inputFile: string;
  inputBytes: number;
  kinds: Record<NotificationKind, number>;
  envelopes: number;
  /** Distinct relayed messages the notifications are about. */
  distinctMessages: number;
  seconds: number;
  notificationsPerSecond: number;
  peakRssMiB: number;
  exitCode: number;
  /** Lines annotate wrote to stderr (each names a notification it could not annotate). */
  stderrLines: number;
  check: AnnotateCheck;
}

export async function runAnnotateBench(opts: AnnotateBenchOptions): Promise<AnnotateBenchResult> {
  const dir = resolve(opts.workDir);
  mkdirSync(dir, { recursive: true });
  const built = buildNotifications(opts.samples, opts.n, opts.seed);
  const inputFile = join(dir, `notifications-${opts.n}.jsonl`);
  const outputFile = join(dir, `annotated-${opts.n}.jsonl`);
  const text = `${built.lines.join('\n')}\n`;
  writeFileSync(inputFile, text);
  const m = await measureCommand(
    opts.node ?? process.execPath,
    [opts.cliPath, 'annotate', '--config', opts.config, '--database', opts.database, inputFile],
    { stdoutFile: outputFile, timeoutMs: opts.timeoutMs ?? 10 * 60_000 },
  );
  if (m.exitCode !== 0) throw new Error(`annotate exited ${m.exitCode}: ${reasonLine(m.stderr)}`);
  const check = checkAnnotateOutput(readFileSync(outputFile, 'utf8'), built.expected);
  return {
    n: opts.n,
    inputFile,
    inputBytes: Buffer.byteLength(text),
    kinds: built.kinds,
    envelopes: built.envelopes,
    distinctMessages: built.distinct,
    seconds: m.seconds,
    notificationsPerSecond: opts.n / m.seconds,
    peakRssMiB: m.peakRssMiB,
    exitCode: m.exitCode,
    stderrLines: m.stderr.split('\n').filter((l) => l.trim() !== '').length,
    check,
  };
}
