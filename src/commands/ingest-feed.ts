// The reading loop of `ingest`, the same whether the rows are written on this thread or another:
// files in order, lines to the indexer, a batch of rows to `flush` every so many lines and at the
// end of each file.
import { DEFAULT_MAX_LINE_BYTES, readLineRegions, type LineRegion } from '../sources/lines.js';
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
    const regions = readLineRegions(position.file);
    try {
      for (;;) {
        let r: IteratorResult<LineRegion>;
        try {
          r = await regions.next();
        } catch (err) {
          // readLineRegions names the file and the reason; errors of whoever takes the rows (a full disk) are theirs and pass through.
          throw new InputError((err as Error).message, { cause: err });
        }
        if (r.done) break;
        const region = r.value;
        // Lines too long for the read buffer come before the region's lines.
        position.line += region.oversized;
        const fed = indexer.feedRegion(region.buf, region.start, region.end, DEFAULT_MAX_LINE_BYTES);
        position.line += fed.lines;
        oversized += fed.oversized + region.oversized;
        sinceFlush += fed.lines;
        if (sinceFlush >= opts.flushEveryLines) {
          await opts.flush(indexer.prepare());
          sinceFlush = 0;
        }
      }
    } finally {
      // Stopped early (an error downstream): close the file.
      await regions.return(undefined);
    }
    // The input ends with the last file: report the refusals still waiting for more of the log.
    if (i === files.length - 1) indexer.tracker.releaseAll();
    await opts.flush(indexer.prepare());
  }
  return { oversized };
}
