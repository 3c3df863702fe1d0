// Log lines in, database rows out: parses each entry, feeds the tracker, and commits the changes
// together with the source position they cover.
import { parseLine, parseRecord } from './parser/index.js';
import { YearInference } from './parser/year.js';
import type { LogRecord } from './parser/types.js';
import { Tracker } from './tracker/tracker.js';
import type { DeliveryRow, Generation } from './tracker/types.js';
import { refusalEvent, type EnrichedEvent } from './events.js';
import type { Checkpoint, Store, StoredEvent } from './db/store.js';

export interface IndexStats {
  lines: number;
  /** Lines that said something about a message. */
  events: number;
  /** Well-formed lines we have no use for (other programs, connects, warnings). */
  ignored: number;
  malformed: number;
}

export interface IndexerOptions {
  store: Store;
  years?: YearInference;
  /** Called for each unreadable line; the caller decides how loudly to report it. */
  onMalformed?: (reason: string, line: string, indexInFeed: number) => void;
  /** Open generations to reload from the database: those seen within this many ms of now. */
  reloadWindowMs?: number;
}

export class Indexer {
  readonly stats: IndexStats = { lines: 0, events: 0, ignored: 0, malformed: 0 };
  readonly tracker: Tracker;
  readonly years: YearInference;
  private readonly store: Store;
  private readonly onMalformed: (reason: string, line: string, indexInFeed: number) => void;

  constructor(opts: IndexerOptions) {
    this.store = opts.store;
    this.years = opts.years ?? new YearInference();
    this.onMalformed = opts.onMalformed ?? (() => {});
    const ids = opts.store.nextIds();
    // Measured from the newest message indexed, not from now: the log's clock is what matters when a
    // daemon restarts on an old log, and a deferred message lives at most maximal_queue_lifetime (5 d).
    const newest = opts.store.db.prepare(`SELECT last_seen FROM messages ORDER BY id DESC LIMIT 1`).pluck().get() as number | undefined;
    const since = (newest ?? 0) - (opts.reloadWindowMs ?? 10 * 24 * 3600_000);
    const open = opts.store.openGenerations(since, 100_000);
    this.tracker = new Tracker({
      nextGenerationId: ids.generation,
      nextDeliveryId: ids.delivery,
      backend: { getGeneration: (id) => opts.store.getGeneration(id) },
      open,
      // Refusals held when the last run was killed: their rows are written, their events are not.
      pendingRefusals: opts.store.unreportedRefusals(open),
    });
  }

  /** Feeds entries to the tracker without writing; `commit` writes what they changed. */
  feed(items: ReadonlyArray<string | LogRecord>): void {
    const stats = this.stats;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      stats.lines++;
      const r = typeof item === 'string' ? parseLine(item, this.years) : parseRecord(item);
      if (r.type === 'event') {
        stats.events++;
        this.tracker.apply(r.record, r.event);
      } else if (r.type === 'ignored') {
        stats.ignored++;
      } else {
        stats.malformed++;
        this.onMalformed(r.reason, typeof item === 'string' ? item : item.text, i);
      }
    }
  }

  /**
   * Takes everything fed since the last call, with the checkpoint that covers it, as one batch to write.
   * Separate from `write` so a failed write (full disk) can be retried with the very same batch.
   */
  prepare(checkpoint?: Checkpoint): PreparedBatch {
    const changes = this.tracker.drain();
    const events: StoredEvent[] = changes.refused.map((r) => ({
      event: refusalEvent(r.delivery, r.generation, r.origin ?? this.tracker.origin(r.generation), r.permanent),
      at: r.delivery.at,
      dedupeKey: `log:${r.delivery.id}`,
      message: r.generation.id,
      notification: null,
    }));
    return { generations: changes.generations, deliveries: changes.deliveries, events, checkpoint };
  }

  /** Writes a prepared batch in one transaction; returns the relay refusals newly recorded, for the event log. */
  write(batch: PreparedBatch): EnrichedEvent[] {
    return this.store.commit(batch).map((e) => e.event);
  }

  commit(checkpoint?: Checkpoint): EnrichedEvent[] {
    return this.write(this.prepare(checkpoint));
  }
}

export interface PreparedBatch {
  generations: Generation[];
  deliveries: DeliveryRow[];
  events: StoredEvent[];
  checkpoint: Checkpoint | undefined;
}
