// The tracking half of `ingest`, on a worker thread: reads and parses the files and tracks the
// messages, and posts packed rows to the main thread, which writes them. Two cores then share the
// work that one did: parsing and tracking here, SQLite there.
import { parentPort, workerData } from 'node:worker_threads';
import { Store } from '../db/store.js';
import { packRows, type PackedRows } from '../db/packed.js';
import type { StoredEvent } from '../db/store.js';
import { LogIndexer, type IndexerStart, type IndexStats } from '../indexer.js';
import type { TrackerStats } from '../tracker/tracker.js';
import type { Generation } from '../tracker/types.js';
import { InputError } from '../errors.js';
import { feedFiles, malformedPrinter, type FeedPosition } from './ingest-feed.js';

export interface IngestWorkerData {
  files: string[];
  firstMtimeMs: number;
  start: IndexerStart;
  /** For generations written before this run (ids below start.nextGenerationId), read through a connection of our own. */
  database: string;
  flushEveryLines: number;
  /** Int32Array[0]: batches posted and not yet written. The worker waits while it reaches maxInFlight. */
  inFlight: SharedArrayBuffer;
  maxInFlight: number;
}

export type IngestWorkerMessage =
  | { type: 'rows'; rows: PackedRows; events: StoredEvent[]; notes: string[] }
  | { type: 'done'; stats: IndexStats; tracker: TrackerStats; oversized: number }
  | { type: 'failed'; input: boolean; message: string };

async function main(port: NonNullable<typeof parentPort>, data: IngestWorkerData): Promise<void> {
  const inFlight = new Int32Array(data.inFlight);
  let reader: Store | null = null;
  // The main thread's writes are invisible to any other connection until the end, but the tracker keeps
  // in memory every generation of this run it may need (see Tracker.byId); only older ones are read.
  const backend = {
    getGeneration(id: number): Generation | undefined {
      if (id >= data.start.nextGenerationId) return undefined;
      reader ??= new Store(data.database, { readonly: true });
      return reader.getGeneration(id);
    },
  };
  const position: FeedPosition = { file: '', line: 0 };
  let notes: string[] = [];
  const indexer = new LogIndexer({
    start: data.start,
    backend,
    onMalformed: malformedPrinter(position, (s) => notes.push(s)),
  });
  try {
    const { oversized } = await feedFiles({
      indexer,
      files: data.files,
      firstMtimeMs: data.firstMtimeMs,
      position,
      flushEveryLines: data.flushEveryLines,
      flush: (batch) => {
        // Back-pressure: the writer is behind by maxInFlight batches, so wait rather than pile them up in memory.
        for (let n = Atomics.load(inFlight, 0); n >= data.maxInFlight; n = Atomics.load(inFlight, 0)) Atomics.wait(inFlight, 0, n);
        Atomics.add(inFlight, 0, 1);
        const rows = packRows(batch.generations, batch.deliveries);
        const message: IngestWorkerMessage = { type: 'rows', rows, events: batch.events, notes };
        port.postMessage(message, [rows.numbers.buffer as ArrayBuffer]);
        notes = [];
      },
    });
    const done: IngestWorkerMessage = { type: 'done', stats: indexer.stats, tracker: indexer.tracker.stats, oversized };
    port.postMessage(done);
  } catch (err) {
    const failed: IngestWorkerMessage = { type: 'failed', input: err instanceof InputError, message: (err as Error).message };
    port.postMessage(failed);
  } finally {
    (reader as Store | null)?.close();
  }
}

if (parentPort !== null) void main(parentPort, workerData as IngestWorkerData);
