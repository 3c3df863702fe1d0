// The daemon's own log: pino JSON lines on stdout or in `logFile`, where enriched events and the
// daemon's operational messages both go. Events carry `event`; operational lines carry `op`.
import pino, { type Logger, type DestinationStream } from 'pino';
import type { LogLevel } from '../config.js';
import type { EnrichedEvent } from '../events.js';

export interface EventLog {
  logger: Logger;
  /** Reopens `logFile` after logrotate moved it (SIGHUP). */
  reopen(): void;
  flush(): void;
}

export function createEventLog(opts: { level: LogLevel; file: string | null; stream?: DestinationStream }): EventLog {
  if (opts.stream) {
    const logger = pino({ level: opts.level, base: null }, opts.stream);
    return { logger, reopen: () => {}, flush: () => {} };
  }
  // Synchronous writes: an event is on disk (or in journald's pipe) before its SQS message is deleted.
  const dest = opts.file === null ? pino.destination({ dest: 1, sync: true }) : pino.destination({ dest: opts.file, sync: true, mkdir: true });
  const logger = pino({ level: opts.level, base: { pid: process.pid } }, dest);
  return {
    logger,
    reopen: () => {
      if (opts.file !== null) dest.reopen();
    },
    flush: () => {
      try {
        dest.flushSync();
      } catch {
        // flushSync throws when nothing is buffered on some pino versions; nothing to lose then.
      }
    },
  };
}

/** Bounces, complaints and refusals want attention; deliveries and delays are the record. */
export function writeEvent(logger: Logger, e: EnrichedEvent): void {
  const { msg, ...fields } = e;
  if (e.event === 'bounce' || e.event === 'complaint' || e.event === 'reject') logger.warn(fields, msg);
  else logger.info(fields, msg);
}
