// `ingest FILE...`: index whole log files from their first line, then print one JSON summary line.
import { stat } from 'node:fs/promises';
import { loadConfig } from '../config.js';
import { Store } from '../db/store.js';
import { Indexer } from '../indexer.js';
import { readLines } from '../sources/lines.js';
import { InputError, UsageError } from '../errors.js';

export interface IngestOptions {
  config?: string;
  database?: string;
  /** Where the first malformed lines are shown; tests inject it. */
  stderr?: (s: string) => void;
  stdout?: (s: string) => void;
}

export interface IngestSummary {
  files: number;
  lines: number;
  messages: number;
  deliveries: number;
  events: number;
  ignored: number;
  malformed: number;
  oversized: number;
  rejects: number;
  seconds: number;
}

/** Rows are handed to SQLite this often (one transaction holds the whole run): often enough that parsed objects die young, which keeps the heap, and so peak RSS, flat. */
const COMMIT_EVERY_LINES = 10_000;
const SHOW_MALFORMED = 10;

export async function ingestFiles(store: Store, files: string[], opts: Pick<IngestOptions, 'stderr'> = {}): Promise<IngestSummary> {
  const stderr = opts.stderr ?? ((s: string) => process.stderr.write(s));
  const started = process.hrtime.bigint();
  // Fail before writing anything if a file is missing, rather than half-way through the list.
  const mtimes: number[] = [];
  let bytes = 0;
  for (const f of files) {
    try {
      const st = await stat(f);
      if (!st.isFile()) throw new InputError(`${f}: not a regular file`);
      mtimes.push(st.mtimeMs);
      bytes += st.size;
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`cannot read ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  let file = '';
  let lineNo = 0;
  let shown = 0;
  const indexer = new Indexer({
    store,
    // The parser's reason quotes the start of the line already.
    onMalformed: (reason, _line, i) => {
      if (shown++ < SHOW_MALFORMED) stderr(`${file}:${lineNo + i + 1}: skipped: ${reason}\n`);
    },
  });
  let oversized = 0;
  let rejects = 0;
  // About 1.5 KB of log per message in Postfix logs; only used to choose the bulk-load strategy.
  const expectedMessages = Math.round(bytes / 1500);
  await store.bulkLoad(expectedMessages, async () => {
    for (let i = 0; i < files.length; i++) {
      file = files[i]!;
      // Syslog stamps carry no year: take it from when the file was last written, the best witness we have.
      if (i === 0) indexer.years.anchor(mtimes[i]!);
      let sinceCommit = 0;
      try {
        for await (const batch of readLines(file)) {
          indexer.feed(batch.lines);
          // Oversized lines are counted per batch, not placed, so numbers after one can run short by it.
          lineNo += batch.lines.length + batch.oversized;
          oversized += batch.oversized;
          sinceCommit += batch.lines.length;
          if (sinceCommit >= COMMIT_EVERY_LINES) {
            rejects += indexer.commit().length;
            sinceCommit = 0;
          }
        }
      } catch (err) {
        throw new InputError(`cannot read ${file}: ${(err as Error).message}`);
      }
      // The input ends with the last file: report the refusals still waiting for more of the log.
      if (i === files.length - 1) indexer.tracker.releaseAll();
      rejects += indexer.commit().length;
      lineNo = 0;
    }
  });
  if (shown > SHOW_MALFORMED) stderr(`... and ${shown - SHOW_MALFORMED} more malformed lines\n`);
  if (oversized > 0) stderr(`skipped ${oversized} line(s) longer than 64 KiB\n`);
  const s = indexer.stats;
  const t = indexer.tracker.stats;
  return {
    files: files.length,
    lines: s.lines + oversized,
    messages: t.generations,
    deliveries: t.deliveries,
    events: s.events,
    ignored: s.ignored,
    malformed: s.malformed,
    oversized,
    rejects,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

export async function ingestCommand(opts: IngestOptions, files: string[]): Promise<number> {
  if (files.length === 0) throw new UsageError('ingest: name at least one log file (see bounce-origin ingest --help)');
  const config = loadConfig(opts.config);
  const store = new Store(opts.database ?? config.database);
  try {
    store.acquireWriter('ingest');
    const summary = await ingestFiles(store, files, opts);
    (opts.stdout ?? ((s: string) => process.stdout.write(s)))(`${JSON.stringify(summary)}\n`);
    return 0;
  } finally {
    store.close();
  }
}
