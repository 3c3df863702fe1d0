// A long-poll loop over SQS: receive, hand the batch to the caller, delete only what the caller says it
// committed. Whatever is not deleted reappears after the queue's visibility timeout, so a crash or a
// failing handler leads to redelivery, never loss; the handler must therefore tolerate duplicates.
// run() never throws and never spins: every failure is reported through onEvent and followed by an
// exponential backoff with full jitter.
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { abortableSleep } from '../sleep.js';

export type Outcome = 'delete' | 'keep';

export interface ErrorInfo {
  /** e.g. `QueueDoesNotExist`, `ThrottlingException`, `ExpiredTokenException`, `Error`, `TimeoutError`. */
  name: string;
  message: string;
  /** AWS error code or Node's errno code (`ECONNREFUSED`), when there is one. */
  code: string | null;
  httpStatus: number | null;
}

export type ConsumerEvent =
  | { type: 'started'; queueUrl: string }
  | { type: 'received'; count: number }
  | { type: 'deleted'; count: number }
  | { type: 'kept'; messageIds: string[] }
  /** handle() returned no valid outcome for these messages: they are kept (redelivered later). */
  | { type: 'outcome-missing'; messageIds: string[] }
  | { type: 'receive-failed'; error: ErrorInfo; failures: number }
  | { type: 'handler-failed'; error: ErrorInfo; count: number; failures: number }
  /** One per message that could not be deleted; it will be redelivered after the visibility timeout. */
  | { type: 'delete-failed'; messageId: string | null; code: string; message: string; senderFault: boolean }
  | { type: 'backoff'; ms: number; failures: number; after: 'receive-failed' | 'handler-failed' }
  | { type: 'stopped' };

export interface ConsumerOptions {
  client: SQSClient;
  queueUrl: string;
  /** Called once per non-empty receive; resolves after the caller committed its work. */
  handle: (messages: Message[]) => Promise<Array<{ message: Message; outcome: Outcome }>>;
  onEvent: (e: ConsumerEvent) => void;
  /** Long-poll wait, 0..20. Default 20. */
  waitTimeSeconds?: number;
  /** 1..10. Default 10. */
  maxMessages?: number;
  /** Must resolve early when `signal` aborts. Injected for tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** [0, 1), for the backoff jitter. Injected for tests. */
  random?: () => number;
  /** First backoff ceiling. Default 1000 ms. */
  backoffBaseMs?: number;
  /** Largest backoff ceiling. Default 60000 ms. */
  backoffCapMs?: number;
  /**
   * Upper bound on one ReceiveMessage call. The SDK has no request timeout by default, and a connection
   * silently dropped by a NAT would otherwise stall the loop forever. Default (waitTimeSeconds + 30) s.
   */
  receiveTimeoutMs?: number;
  /** Upper bound on one DeleteMessageBatch call. Default 30000 ms. */
  deleteTimeoutMs?: number;
}

const SYSTEM_ATTRIBUTES = ['ApproximateReceiveCount', 'SentTimestamp'] as const;

export class SqsConsumer {
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly handle: ConsumerOptions['handle'];
  private readonly onEvent: ConsumerOptions['onEvent'];
  private readonly waitTimeSeconds: number;
  private readonly maxMessages: number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;
  private readonly receiveTimeoutMs: number;
  private readonly deleteTimeoutMs: number;

  constructor(opts: ConsumerOptions) {
    this.client = opts.client;
    this.queueUrl = opts.queueUrl;
    this.handle = opts.handle;
    this.onEvent = opts.onEvent;
    this.waitTimeSeconds = integerOption('waitTimeSeconds', opts.waitTimeSeconds, 20, 0, 20);
    this.maxMessages = integerOption('maxMessages', opts.maxMessages, 10, 1, 10);
    this.sleep = opts.sleep ?? abortableSleep;
    this.random = opts.random ?? Math.random;
    this.backoffBaseMs = integerOption('backoffBaseMs', opts.backoffBaseMs, 1000, 1, 3_600_000);
    this.backoffCapMs = integerOption('backoffCapMs', opts.backoffCapMs, 60_000, this.backoffBaseMs, 3_600_000);
    this.receiveTimeoutMs = integerOption(
      'receiveTimeoutMs', opts.receiveTimeoutMs, (this.waitTimeSeconds + 30) * 1000, 1, 3_600_000,
    );
    this.deleteTimeoutMs = integerOption('deleteTimeoutMs', opts.deleteTimeoutMs, 30_000, 1, 3_600_000);
  }

  /** Resolves (never rejects) once `signal` aborts: within a second, unless a handler is running. */
  async run(signal: AbortSignal): Promise<void> {
    this.emit({ type: 'started', queueUrl: this.queueUrl });
    let receiveFailures = 0;
    let handlerFailures = 0;
    while (!signal.aborted) {
      const received = await this.receive(signal);
      if (received.kind === 'aborted') break;
      if (received.kind === 'failed') {
        receiveFailures++;
        this.emit({ type: 'receive-failed', error: received.error, failures: receiveFailures });
        await this.backoff(receiveFailures, 'receive-failed', signal);
        continue;
      }
      receiveFailures = 0;
      const messages = received.messages;
      if (messages.length === 0) continue;
      this.emit({ type: 'received', count: messages.length });

      // Not raced against the signal: the caller's commit and our delete of it must both happen.
      const handled = await this.callHandler(messages);
      if (handled.kind === 'failed') {
        handlerFailures++;
        this.emit({ type: 'handler-failed', error: handled.error, count: messages.length, failures: handlerFailures });
        await this.backoff(handlerFailures, 'handler-failed', signal);
        continue;
      }
      handlerFailures = 0;
      const { toDelete, kept, missing } = sortOutcomes(messages, handled.results);
      if (missing.length > 0) this.emit({ type: 'outcome-missing', messageIds: missing.map(idOf) });
      if (kept.length > 0) this.emit({ type: 'kept', messageIds: kept.map(idOf) });
      if (toDelete.length > 0) await this.deleteBatch(toDelete);
    }
    this.emit({ type: 'stopped' });
  }

  private async receive(
    signal: AbortSignal,
  ): Promise<{ kind: 'ok'; messages: Message[] } | { kind: 'failed'; error: ErrorInfo } | { kind: 'aborted' }> {
    const deadline = linkedDeadline(signal, this.receiveTimeoutMs);
    try {
      const command = new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        WaitTimeSeconds: this.waitTimeSeconds,
        MaxNumberOfMessages: this.maxMessages,
        MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
      });
      // The race covers what the SDK's abortSignal does not (credential refresh before the request);
      // messages a losing request still receives reappear after the visibility timeout.
      const out = await untilAborted(this.client.send(command, { abortSignal: deadline.signal }), signal);
      return { kind: 'ok', messages: out.Messages ?? [] };
    } catch (e) {
      if (signal.aborted) return { kind: 'aborted' };
      if (deadline.timedOut) {
        return {
          kind: 'failed',
          error: { name: 'TimeoutError', message: `ReceiveMessage took longer than ${this.receiveTimeoutMs} ms`, code: null, httpStatus: null },
        };
      }
      return { kind: 'failed', error: describeError(e) };
    } finally {
      deadline.dispose();
    }
  }

  private async callHandler(
    messages: Message[],
  ): Promise<{ kind: 'ok'; results: Array<{ message: Message; outcome: Outcome }> } | { kind: 'failed'; error: ErrorInfo }> {
    try {
      const results: unknown = await this.handle(messages);
      if (!Array.isArray(results)) {
        return {
          kind: 'failed',
          error: { name: 'TypeError', message: `handle() resolved to ${typeof results}, not an array of outcomes`, code: null, httpStatus: null },
        };
      }
      return { kind: 'ok', results: results as Array<{ message: Message; outcome: Outcome }> };
    } catch (e) {
      return { kind: 'failed', error: describeError(e) };
    }
  }

  private async deleteBatch(messages: Message[]): Promise<void> {
    const entries: Array<{ Id: string; ReceiptHandle: string }> = [];
    const byEntryId = new Map<string, Message>();
    messages.forEach((m, i) => {
      if (!m.ReceiptHandle) {
        this.emit({ type: 'delete-failed', messageId: m.MessageId ?? null, code: 'NoReceiptHandle', message: 'message has no ReceiptHandle', senderFault: true });
        return;
      }
      const id = `m${i}`;
      entries.push({ Id: id, ReceiptHandle: m.ReceiptHandle });
      byEntryId.set(id, m);
    });
    if (entries.length === 0) return;
    // Deliberately not linked to the run signal: this delete follows a commit and should finish on shutdown.
    const deadline = linkedDeadline(undefined, this.deleteTimeoutMs);
    try {
      const out = await this.client.send(
        new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
        { abortSignal: deadline.signal },
      );
      const deleted = out.Successful?.length ?? 0;
      if (deleted > 0) this.emit({ type: 'deleted', count: deleted });
      for (const f of out.Failed ?? []) {
        this.emit({
          type: 'delete-failed',
          messageId: (f.Id !== undefined ? byEntryId.get(f.Id)?.MessageId : undefined) ?? null,
          code: f.Code ?? 'Unknown',
          message: f.Message ?? '',
          senderFault: f.SenderFault ?? false,
        });
      }
    } catch (e) {
      const error = deadline.timedOut
        ? { name: 'TimeoutError', message: `DeleteMessageBatch took longer than ${this.deleteTimeoutMs} ms`, code: null, httpStatus: null }
        : describeError(e);
      for (const m of byEntryId.values()) {
        this.emit({ type: 'delete-failed', messageId: m.MessageId ?? null, code: error.code ?? error.name, message: error.message, senderFault: false });
      }
    } finally {
      deadline.dispose();
    }
  }

  private async backoff(failures: number, after: 'receive-failed' | 'handler-failed', signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const ms = backoffDelay(failures, this.random, this.backoffBaseMs, this.backoffCapMs);
    this.emit({ type: 'backoff', ms, failures, after });
    try {
      await untilAborted(this.sleep(ms, signal), signal);
    } catch {
      // An abort, or an injected sleep that rejected: either way the loop re-checks the signal.
    }
  }

  private emit(e: ConsumerEvent): void {
    try {
      this.onEvent(e);
    } catch {
      // A broken listener must not stop the consumer; there is nowhere left to report it.
    }
  }
}

/** Full jitter: uniform in [0, min(cap, base * 2^(failures-1))). */
export function backoffDelay(failures: number, random: () => number, baseMs: number, capMs: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

export function describeError(e: unknown): ErrorInfo {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e), code: null, httpStatus: null };
  const x = e as Error & { code?: unknown; Code?: unknown; errors?: unknown; $metadata?: { httpStatusCode?: unknown } };
  let message = e.message;
  // Node's happy-eyeballs connect failures are AggregateErrors with an empty message.
  if (message === '' && Array.isArray(x.errors)) {
    message = x.errors.map((inner) => (inner instanceof Error ? inner.message : String(inner))).join('; ');
  }
  const code = typeof x.code === 'string' ? x.code : typeof x.Code === 'string' ? x.Code : null;
  const status = x.$metadata?.httpStatusCode;
  return { name: e.name, message, code, httpStatus: typeof status === 'number' ? status : null };
}

function sortOutcomes(
  messages: Message[],
  results: Array<{ message: Message; outcome: Outcome }>,
): { toDelete: Message[]; kept: Message[]; missing: Message[] } {
  const outcomes = new Map<Message | string, Outcome>();
  const note = (key: Message | string, outcome: Outcome): void => {
    // Told both ways, keep: a duplicate delivery is recoverable, a lost notification is not.
    outcomes.set(key, outcomes.get(key) === 'keep' ? 'keep' : outcome);
  };
  for (const r of results) {
    if (r === null || typeof r !== 'object' || (r.outcome !== 'delete' && r.outcome !== 'keep')) continue;
    note(r.message, r.outcome);
    if (r.message?.ReceiptHandle) note(r.message.ReceiptHandle, r.outcome);
  }
  const toDelete: Message[] = [];
  const kept: Message[] = [];
  const missing: Message[] = [];
  for (const m of messages) {
    const outcome = outcomes.get(m) ?? (m.ReceiptHandle ? outcomes.get(m.ReceiptHandle) : undefined);
    if (outcome === 'delete') toDelete.push(m);
    else if (outcome === 'keep') kept.push(m);
    else missing.push(m);
  }
  return { toDelete, kept, missing };
}

function idOf(m: Message): string {
  return m.MessageId ?? '(no MessageId)';
}

/** Rejects as soon as `signal` aborts, without waiting for `p`. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      p.catch(() => undefined);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** An AbortSignal that fires on `parent` or after `ms`; dispose() releases the timer and listener. */
function linkedDeadline(
  parent: AbortSignal | undefined,
  ms: number,
): { signal: AbortSignal; readonly timedOut: boolean; dispose: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${ms} ms`));
  }, ms);
  const onParent = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

function integerOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`SqsConsumer option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
