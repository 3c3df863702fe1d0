// The reading loop of `ingest`, the same whether the rows are written on this thread or another:
// files in order, lines to the indexer, a batch of rows to `flush` every so many lines and at the
// end of each file.
import { readLines, type LineBatch } from '../sources/lines.js';
import { InputError } from '../errors.js';
import type { LogIndexer, PreparedBatch } from '../indexer.js';

export const SHOW_MALFORMED = 10;

/** Where the reading loop is, for naming a malformed line. */
export interface FeedPosition {
  file: string;
  /** Lines of `file` before the batch being fed. */
  line: number;
}

/** An onMalformed for the indexer that prints the first `show` malformed lines as `file:line: skipped: reason`. */
export function malformedPrinter(pos: FeedPosition, print: (s: string) => void, show = SHOW_MALFORMED) {
  let shown = 0;
  // The parser's reason quotes the start of the line already.
  return (reason: string, _line: string, indexInFeed: number): void => {
    if (shown++ < show) print(`${pos.file}:${pos.line + indexInFeed + 1}: skipped: ${reason}\n`);
  };
}

export interface FeedOptions {
  indexer: LogIndexer;
  files: readonly string[];
  /** When the first file was last written: syslog stamps carry no year, and that is the best witness of it. */
  firstMtimeMs: number;
  position: FeedPosition;
  flushEveryLines: number;
  flush: (batch: PreparedBatch) => void | Promise<void>;
}

/** Feeds every line of every file; returns how many lines were skipped for being longer than 64 KiB. */
export async function feedFiles(opts: FeedOptions): Promise<{ oversized: number }> {
  const { indexer, files, position } = opts;
  let oversized = 0;
  for (let i = 0; i < files.length; i++) {
    position.file = files[i]!;
    position.line = 0;
    if (i === 0) indexer.years.anchor(opts.firstMtimeMs);
    let sinceFlush = 0;
    for await (const batch of readAhead(readLines(position.file))) {
      indexer.feed(batch.lines);
      // Oversized lines are counted per batch, not placed, so numbers after one can run short by it.
      position.line += batch.lines.length + batch.oversized;
      oversized += batch.oversized;
      sinceFlush += batch.lines.length;
      if (sinceFlush >= opts.flushEveryLines) {
        await opts.flush(indexer.prepare());
        sinceFlush = 0;
      }
    }
    // The input ends with the last file: report the refusals still waiting for more of the log.
    if (i === files.length - 1) indexer.tracker.releaseAll();
    await opts.flush(indexer.prepare());
  }
  return { oversized };
}

/**
 * Asks for the next batch before handing out the current one, so the file is read while the lines
 * are parsed rather than after. Safe with readLines: each batch owns its array of decoded strings.
 * A read error becomes an InputError (readLines names the file and the reason); errors of whoever
 * consumes the batches (a full disk) are theirs and pass through untouched.
 */
export async function* readAhead(batches: AsyncGenerator<LineBatch>): AsyncGenerator<LineBatch> {
  let next = batches.next();
  try {
    for (;;) {
      // A read that fails while the current batch is being parsed is reported when it is awaited, not as unhandled.
      next.catch(() => {});
      let r: IteratorResult<LineBatch>;
      try {
        r = await next;
      } catch (err) {
        throw err instanceof InputError ? err : new InputError((err as Error).message, { cause: err });
      }
      if (r.done) return;
      next = batches.next();
      yield r.value;
    }
  } finally {
    // Stopped early (an error downstream): the reader closes its file after the read it has pending.
    batches.return(undefined).catch(() => {});
  }
}
