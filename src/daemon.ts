// `run`: wires the log source, the indexer, the SQS consumer and the sinks together and keeps them
// going until the signal aborts. Every failure is logged as a named `op` and retried; only a failure
// to start at all ends the process.
import { statSync } from 'node:fs';
import { SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { abortableSleep } from './sleep.js';
import type { Config } from './config.js';
import { Store } from './db/store.js';
import { Indexer, type PreparedBatch } from './indexer.js';
import type { LogSource, SourceProblem } from './sources/types.js';
import { FileSource, type FileCheckpoint } from './sources/file.js';
import { JournaldSource, type JournaldCheckpoint } from './sources/journald.js';
import { SqsConsumer, type ConsumerEvent } from './sqs/consumer.js';
import { NotificationProcessor } from './ses/processor.js';
import { writeEvent, type EventLog } from './sinks/log.js';
import type { EnrichedEvent } from './events.js';

export interface DaemonOptions {
  config: Config;
  log: EventLog;
  /** Tests inject a client pointed at the emulator; otherwise one is built from `config.sqs`. */
  sqsClient?: SQSClient;
  /** Tests may inject a source; otherwise one is built from `config.source`. */
  source?: LogSource;
  /** How often pending notifications are tried again. */
  pendingEveryMs?: number;
  retentionEveryMs?: number;
  statusEveryMs?: number;
  sqsWaitSeconds?: number;
  now?: () => number;
}


export function sourceKey(config: Config): string {
  const s = config.source;
  return s.type === 'file' ? `file:${s.path}` : `journald:${s.directory ?? 'system'}`;
}

function buildSource(config: Config, checkpoint: unknown, onProblem: (p: SourceProblem) => void): LogSource {
  const s = config.source;
  if (s.type === 'file') {
    return new FileSource({ path: s.path, checkpoint: (checkpoint as FileCheckpoint | null) ?? null, onProblem });
  }
  return new JournaldSource({
    checkpoint: (checkpoint as JournaldCheckpoint | null) ?? null,
    ...(s.directory !== null ? { directory: s.directory } : {}),
    units: s.units,
    identifiers: s.identifiers,
    onProblem,
  });
}

export class Daemon {
  private readonly store: Store;
  private readonly indexer: Indexer;
  private readonly processor: NotificationProcessor;
  private readonly logger: Logger;
  private readonly key: string;
  private readonly now: () => number;
  private malformedShown = 0;

  constructor(private readonly opts: DaemonOptions) {
    const { config } = opts;
    this.logger = opts.log.logger;
    this.now = opts.now ?? Date.now;
    this.store = new Store(config.database);
    try {
      this.store.acquireWriter('run');
      this.indexer = new Indexer({
        store: this.store,
        onMalformed: (reason) => {
          // A flood of junk must not flood the log: the first lines teach, the status line counts the rest.
          if (this.malformedShown++ < 20) this.logger.warn({ op: 'malformed-line', reason }, `skipped a log line: ${reason}`);
        },
      });
    } catch (err) {
      this.store.close();
      throw err;
    }
    this.processor = new NotificationProcessor({
      store: this.store,
      lateJoinMs: (config.sqs?.lateJoinSeconds ?? 300) * 1000,
      now: this.now,
    });
    this.key = sourceKey(config);
  }

  async run(outer: AbortSignal): Promise<void> {
    const { config } = this.opts;
    // A task that fails for good stops the others, so the database is never closed under a live loop.
    const stop = new AbortController();
    const signal = stop.signal;
    const onOuter = () => stop.abort();
    if (outer.aborted) stop.abort();
    else outer.addEventListener('abort', onOuter, { once: true });
    const task = (p: Promise<void>) =>
      p.catch((err: unknown) => {
        stop.abort();
        throw err;
      });
    this.logger.info(
      { op: 'start', source: this.key, database: config.database, sqs: config.sqs?.queueUrl ?? null },
      `bounce-origin started: following ${this.key}, database ${config.database}${config.sqs ? `, queue ${config.sqs.queueUrl}` : ', no SQS queue configured (indexing only)'}`,
    );
    try {
      const results = await Promise.allSettled([
        task(this.followLog(signal)),
        task(this.consumeQueue(signal)),
        task(this.every(this.opts.pendingEveryMs ?? 2000, signal, () => this.emit(this.processor.retryPending()))),
        task(this.every(this.opts.retentionEveryMs ?? 3600_000, signal, () => this.prune(signal), true)),
        task(this.every(this.opts.statusEveryMs ?? 300_000, signal, () => this.status())),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      outer.removeEventListener('abort', onOuter);
      try {
        // A clean stop reports the refusals still waiting for more of the log; after a crash they are
        // found again in the database at the next start.
        this.indexer.tracker.releaseAll();
        this.emit(this.indexer.commit());
      } catch (err) {
        this.logger.error({ op: 'database-write-failed', err: (err as Error).message }, `final commit failed: ${(err as Error).message}`);
      }
      this.status();
      this.store.close();
      this.logger.info({ op: 'stop' }, 'bounce-origin stopped');
      this.opts.log.flush();
    }
  }

  private emit(events: EnrichedEvent[]): void {
    for (const e of events) writeEvent(this.logger, e);
  }

  private async followLog(signal: AbortSignal): Promise<void> {
    const checkpoint = this.store.checkpoint(this.key);
    if (this.opts.config.source.type === 'file' && checkpoint === null) {
      // A first start reads the whole file: its mtime says which year its undated syslog lines are from.
      try {
        this.indexer.years.anchor(statSync(this.opts.config.source.path).mtimeMs);
      } catch {
        // Not there yet: its lines will be new, and the clock's year is right for them.
      }
    }
    const source =
      this.opts.source ??
      buildSource(this.opts.config, checkpoint, (p) => {
        // Right after a rotation the new log is often not there until the next line is logged
        // (Postfix's own maillog_file): routine then, worth a warning only before any line was read.
        const level = p.code === 'missing' && readAny ? 'info' : 'warn';
        this.logger[level]({ op: 'source-problem', code: p.code, path: p.path }, p.message);
      });
    let readAny = false;
    for await (const chunk of source.chunks(signal)) {
      readAny = true;
      this.indexer.feed(chunk.items);
      const batch = this.indexer.prepare({ source: this.key, value: chunk.checkpoint });
      await this.writeBatch(batch, signal);
    }
  }

  /** A full or read-only disk is waited out: the batch stays in memory and the source is not read further. */
  private async writeBatch(batch: PreparedBatch, signal: AbortSignal): Promise<void> {
    for (let failures = 0; ; failures++) {
      try {
        this.emit(this.indexer.write(batch));
        if (failures > 0) this.logger.info({ op: 'database-recovered' }, 'database writes work again');
        return;
      } catch (err) {
        const delay = Math.min(30_000, 500 * 2 ** failures);
        this.logger.error(
          { op: 'database-write-failed', err: (err as Error).message, retryInMs: delay },
          `cannot write to database ${this.opts.config.database}: ${(err as Error).message}; retrying`,
        );
        // On shutdown the batch is abandoned uncommitted: its lines are read again at the next start.
        if (signal.aborted) return;
        await abortableSleep(delay, signal);
        if (signal.aborted) return;
      }
    }
  }

  private async consumeQueue(signal: AbortSignal): Promise<void> {
    const sqs = this.opts.config.sqs;
    if (!sqs) return;
    const client =
      this.opts.sqsClient ??
      new SQSClient({ region: sqs.region, ...(sqs.endpoint !== null ? { endpoint: sqs.endpoint } : {}) });
    const consumer = new SqsConsumer({
      client,
      queueUrl: sqs.queueUrl,
      waitTimeSeconds: this.opts.sqsWaitSeconds ?? 20,
      handle: async (messages: Message[]) => {
        const outcome = this.processor.receive(messages.map((m) => ({ body: m.Body ?? '' })));
        this.emit(outcome.events);
        for (const bad of outcome.invalid) {
          const m = messages[bad.index]!;
          this.logger.error(
            { op: 'not-a-notification', kind: bad.kind, reason: bad.reason, sqsMessageId: m.MessageId ?? null },
            `SQS message ${m.MessageId ?? '?'} is not an SES notification (${bad.reason}); kept in the database table notifications (state invalid) and deleted from the queue`,
          );
        }
        // Everything received is now committed (annotated, pending or recorded as invalid): delete it all.
        return messages.map((message) => ({ message, outcome: 'delete' as const }));
      },
      onEvent: (e: ConsumerEvent) => this.consumerEvent(e),
    });
    await consumer.run(signal);
    if (!this.opts.sqsClient) client.destroy();
  }

  private consumerEvent(e: ConsumerEvent): void {
    const { type, ...rest } = e as { type: string } & Record<string, unknown>;
    const level = type.endsWith('failed') ? 'error' : type === 'backoff' ? 'warn' : 'debug';
    const err = rest['error'] as { message?: string } | undefined;
    const detail = err?.message ?? (typeof rest['message'] === 'string' ? rest['message'] : null);
    this.logger[level]({ op: `sqs-${type}`, ...rest }, `sqs: ${type}${detail ? `: ${detail}` : ''}`);
  }

  private async prune(signal: AbortSignal): Promise<void> {
    const cutoff = this.now() - this.opts.config.retentionDays * 24 * 3600_000;
    let total = 0;
    for (;;) {
      const n = this.store.pruneBatch(cutoff, 2000);
      total += n;
      if (n === 0 || signal.aborted) break;
      // Yield between batches so log chunks and SQS receipts are written in between.
      await new Promise((r) => setImmediate(r));
    }
    if (total > 0) this.logger.info({ op: 'retention', deleted: total, olderThanDays: this.opts.config.retentionDays }, `retention: deleted ${total} rows`);
  }

  private status(): void {
    const s = this.indexer.stats;
    const t = this.indexer.tracker.stats;
    this.logger.info(
      { op: 'status', lines: s.lines, malformed: s.malformed, messages: t.generations, deliveries: t.deliveries, open: t.open },
      `indexed ${s.lines} lines (${s.malformed} malformed), ${t.generations} messages, ${t.deliveries} delivery attempts`,
    );
  }

  private async every(ms: number, signal: AbortSignal, fn: () => void | Promise<void>, first = false): Promise<void> {
    if (first && !signal.aborted) await this.guard(fn);
    while (!signal.aborted) {
      await abortableSleep(ms, signal);
      if (signal.aborted) break;
      await this.guard(fn);
    }
  }

  private async guard(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.logger.error({ op: 'task-failed', err: (err as Error).message }, `background task failed: ${(err as Error).message}; will retry`);
    }
  }
}
