// Where `ingest`'s time goes, each stage timed alone on one thread: process start-up, tracking
// (read, parse, track, pack the rows as the worker does) and writing (the same packed rows into a
// fresh database, then the index rebuild and commit). Writing alone bounds any faster parser: with
// tracking free, ingest still costs start-up + writes + rebuild. Run as its own process, so the
// heap of whoever runs the benchmark does not skew it:
//   node dist/bench/ingest-stages.js LOG WORKDIR   -> one JSON line
import { rmSync, mkdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LogIndexer } from '../indexer.js';
import { feedFiles } from '../commands/ingest-feed.js';
import { WORKER_BATCH_LINES } from '../commands/ingest.js';
import { packRows, type PackedRows } from '../db/packed.js';
import { Store, type StoredEvent } from '../db/store.js';

export interface IngestStages {
  /** `bounce-origin --version`: node start-up and loading our modules. */
  startupSeconds: number;
  /** Read, parse, track and pack every line on one thread, in the batches the worker makes (WORKER_BATCH_LINES). */
  trackSeconds: number;
  /** Writing those packed rows and their events into a fresh database (indexes on hashed keys dropped, as ingest does). */
  writeSeconds: number;
  /** Rebuilding the dropped indexes and committing. */
  rebuildSeconds: number;
  /** startup + write + rebuild: what ingest would cost with tracking for free. */
  floorSeconds: number;
}

export async function measureStages(logFile: string, workDir: string, cliPath: string): Promise<IngestStages> {
  const s0 = process.hrtime.bigint();
  const v = spawnSync(process.execPath, [cliPath, '--version'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`${cliPath} --version exited ${v.status}: ${v.stderr}`);
  const startupSeconds = Number(process.hrtime.bigint() - s0) / 1e9;

  const indexer = new LogIndexer({
    start: { nextGenerationId: 1, nextDeliveryId: 1, open: [], pendingRefusals: [] },
    backend: { getGeneration: () => undefined },
  });
  const batches: Array<{ rows: PackedRows; events: StoredEvent[] }> = [];
  const t0 = process.hrtime.bigint();
  // The worker's own reading loop, with its batch size; the rows are packed as the worker packs them.
  await feedFiles({
    indexer,
    files: [logFile],
    firstMtimeMs: statSync(logFile).mtimeMs,
    position: { file: '', line: 0 },
    flushEveryLines: WORKER_BATCH_LINES,
    flush: (b) => {
      batches.push({ rows: packRows(b.generations, b.deliveries), events: b.events });
    },
  });
  const trackSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

  mkdirSync(workDir, { recursive: true });
  const database = join(workDir, 'stages.db');
  for (const f of [database, `${database}-wal`, `${database}-shm`, `${database}-journal`]) rmSync(f, { force: true });
  const store = new Store(database);
  let writeSeconds = 0;
  let rebuildFrom = 0n;
  try {
    const w0 = process.hrtime.bigint();
    await store.bulkLoad(Number.MAX_SAFE_INTEGER, async () => {
      for (const b of batches) store.writePacked(b.rows, b.events);
      rebuildFrom = process.hrtime.bigint();
      writeSeconds = Number(rebuildFrom - w0) / 1e9;
    });
  } finally {
    store.close();
  }
  const rebuildSeconds = Number(process.hrtime.bigint() - rebuildFrom) / 1e9;
  return { startupSeconds, trackSeconds, writeSeconds, rebuildSeconds, floorSeconds: startupSeconds + writeSeconds + rebuildSeconds };
}

async function main(): Promise<void> {
  const [logFile, workDir] = process.argv.slice(2);
  if (logFile === undefined || workDir === undefined) {
    process.stderr.write('usage: node dist/bench/ingest-stages.js LOG WORKDIR\n');
    process.exit(2);
  }
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  process.stdout.write(`${JSON.stringify(await measureStages(logFile, workDir, cli))}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
}
