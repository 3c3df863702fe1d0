// What every log source (file, journald) hands to the indexer.
import type { LogRecord } from '../parser/types.js';

/**
 * A run of complete log entries and the position just after the last of them.
 * The indexer commits the rows these entries produce and `checkpoint` in one SQLite
 * transaction, so a restart resumes exactly after the last committed entry.
 */
export interface SourceChunk {
  /** Raw syslog-style lines (file source, no trailing newline) or ready records (journald). */
  items: Array<string | LogRecord>;
  /** Opaque, JSON-serialisable; handed back to the source's constructor on restart. */
  checkpoint: unknown;
}

/** A problem the source recovered from or is waiting out (file vanished, journalctl exited...). */
export interface SourceProblem {
  code: string;
  message: string;
  path?: string;
}

export interface LogSource {
  /**
   * Yields chunks until `signal` aborts; then returns after the current chunk.
   * Never throws for conditions that can recover (a missing file, a rotation, journalctl exiting):
   * it reports them through the `onProblem` callback given at construction and keeps trying.
   */
  chunks(signal: AbortSignal): AsyncIterable<SourceChunk>;
}
