// Log lines in, database rows out: parses each entry, feeds the tracker, and commits the changes
// together with the source position they cover.
import { LineParser, parseLine, parseRecord } from './parser/index.js';
import { decode } from './utf8.js';
import { YearInference } from './parser/year.js';
import type { LogRecord, ParseResult } from './parser/types.js';
import { Tracker, type TrackerBackend } from './tracker/tracker.js';
import type { DeliveryRow, Generation, RefusedDelivery } from './tracker/types.js';
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

/** Where the index left off: what a tracker needs to carry on from it. Plain data, so it can cross to a worker thread. */
export interface IndexerStart {
  nextGenerationId: number;
  nextDeliveryId: number;
  open: Generation[];
  pendingRefusals: RefusedDelivery[];
}

export function indexerStart(store: Store, reloadWindowMs = 10 * 24 * 3600_000): IndexerStart {
  const ids = store.nextIds();
  // Measured from the newest message indexed, not from now: the log's clock is what matters when a
  // daemon restarts on an old log, and a deferred message lives at most maximal_queue_lifetime (5 d).
  const newest = store.db.prepare(`SELECT last_seen FROM messages ORDER BY id DESC LIMIT 1`).pluck().get() as number | undefined;
  const open = store.openGenerations((newest ?? 0) - reloadWindowMs, 100_000);
  return {
    nextGenerationId: ids.generation,
    nextDeliveryId: ids.delivery,
    open,
    // Refusals held when the last run was killed: their rows are written, their events are not.
    pendingRefusals: store.unreportedRefusals(open),
  };
}

export interface LogIndexerOptions {
  start: IndexerStart;
  /** Generations written before `start`, for origins that reach past what the tracker holds. */
  backend: TrackerBackend;
  years?: YearInference;
  onMalformed?: (reason: string, line: string, indexInFeed: number) => void;
}

/** Parses and tracks, and hands over batches of rows; writing them is someone else's job (see Indexer). */
export class LogIndexer {
  readonly stats: IndexStats = { lines: 0, events: 0, ignored: 0, malformed: 0 };
  readonly tracker: Tracker;
  readonly years: YearInference;
  private readonly onMalformed: (reason: string, line: string, indexInFeed: number) => void;
  private lineParser: LineParser | undefined;

  constructor(opts: LogIndexerOptions) {
    this.years = opts.years ?? new YearInference();
    this.onMalformed = opts.onMalformed ?? (() => {});
    this.tracker = new Tracker({
      nextGenerationId: opts.start.nextGenerationId,
      nextDeliveryId: opts.start.nextDeliveryId,
      backend: opts.backend,
      open: opts.start.open,
      pendingRefusals: opts.start.pendingRefusals,
    });
  }

  /** Feeds entries to the tracker without writing; `commit` writes what they changed. */
  feed(items: ReadonlyArray<string | LogRecord>): void {
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const r = typeof item === 'string' ? parseLine(item, this.years) : parseRecord(item);
      const bad = this.take(r);
      if (bad !== null) this.onMalformed(bad, typeof item === 'string' ? item : item.text, i);
    }
  }

  /** Counts a line's parse result and hands an event to the tracker; returns the reason a line is malformed, for the caller to report with the line. */
  private take(r: ParseResult): string | null {
    const stats = this.stats;
    stats.lines++;
    if (r.type === 'event') {
      stats.events++;
      this.tracker.apply(r.record, r.event);
    } else if (r.type === 'ignored') {
      stats.ignored++;
    } else {
      stats.malformed++;
      return r.reason;
    }
    return null;
  }

  /**
   * Feeds the lines at buf[start, end) (as readLineRegions yields them) without decoding those the
   * index has no use for. A line longer than maxLineBytes is skipped. `firstIndex` numbers the first
   * line for onMalformed. Returns how many lines there were and how many were too long.
   */
  feedRegion(buf: Buffer, start: number, end: number, maxLineBytes: number, firstIndex = 0): { lines: number; oversized: number } {
    const parser = (this.lineParser ??= new LineParser(this.years));
    let lines = 0;
    let oversized = 0;
    let nul = -1;
    for (let s = start; s < end; lines++) {
      let nl = buf.indexOf(0x0a, s);
      if (nl < 0 || nl >= end) nl = end;
      if (nl - s > maxLineBytes) {
        oversized++;
      } else {
        // One search per NUL byte, not per line: none in the rest of the region is the usual answer.
        if (nul < s) {
          nul = buf.indexOf(0, s);
          if (nul < 0 || nul >= end) nul = end;
        }
        // A CR before the newline ends the line (CRLF), as for lines read as text.
        const e = nl > s && buf[nl - 1] === 0x0d ? nl - 1 : nl;
        const r = parser.parse(buf, s, e, nul);
        const bad = this.take(r);
        if (bad !== null) this.onMalformed(bad, decode(buf, s, e), firstIndex + lines);
      }
      s = nl + 1;
    }
    return { lines, oversized };
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
}

/** A LogIndexer that writes its batches to the store, each with the source checkpoint it covers. */
export class Indexer extends LogIndexer {
  private readonly store: Store;

  constructor(opts: IndexerOptions) {
    super({
      start: indexerStart(opts.store, opts.reloadWindowMs),
      backend: { getGeneration: (id) => opts.store.getGeneration(id) },
      years: opts.years,
      onMalformed: opts.onMalformed,
    });
    this.store = opts.store;
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
