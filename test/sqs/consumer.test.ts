import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SendMessageCommand, SQSClient, CreateQueueCommand, type Message } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNotification } from '../../src/ses/notification.js';
import {
  backoffDelay,
  describeError,
  SqsConsumer,
  type ConsumerEvent,
  type ConsumerOptions,
} from '../../src/sqs/consumer.js';
import { startFauxqsHarness, type FauxqsHarness } from '../helpers/fauxqs.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const compact = (name: string): string => JSON.stringify(JSON.parse(readFileSync(fixtures + name, 'utf8')));

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function harness(opts: Parameters<typeof startFauxqsHarness>[0] = {}): Promise<FauxqsHarness> {
  const h = await startFauxqsHarness(opts);
  cleanups.push(() => h.stop());
  return h;
}

/** A promise with its resolver, for waiting on the consumer without sleeping. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Fails the test instead of hanging it when the consumer never gets there. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function consumer(client: SQSClient, queueUrl: string, events: ConsumerEvent[], opts: Partial<ConsumerOptions> & Pick<ConsumerOptions, 'handle'>): SqsConsumer {
  return new SqsConsumer({ client, queueUrl, onEvent: (e) => events.push(e), ...opts });
}

const types = (events: ConsumerEvent[]): string[] => events.map((e) => e.type);
const sum = (events: ConsumerEvent[], type: 'received' | 'deleted'): number =>
  events.reduce((n, e) => (e.type === type ? n + e.count : n), 0);

/** A port that refuses connections: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const deadClient = (port: number): SQSClient =>
  new SQSClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });

const samples = ['identity-bounce-multi.json', 'identity-complaint.json', 'event-delivery-delay.json'] as const;

describe('SqsConsumer against fauxqs (SNS -> SQS)', () => {
  for (const raw of [false, true]) {
    it(`delivers SES notifications published through SNS ${raw ? 'with' : 'without'} RawMessageDelivery, and deletes them after handle`, async () => {
      const h = await harness({ rawMessageDelivery: raw });
      const published = new Map<string, string>();
      for (const f of samples) published.set(await h.publish(compact(`ses/${f}`)), f);

      const seen: Array<{ kind: string; snsMessageId: string | null; body: string; receiveCount: string | undefined }> = [];
      const allSeen = deferred();
      const events: ConsumerEvent[] = [];
      const c = consumer(h.sqs, h.queueUrl, events, {
        handle: async (messages) => {
          for (const m of messages) {
            const r = parseNotification(m.Body ?? '');
            if (!r.ok) throw new Error(r.reason);
            seen.push({ kind: r.value.kind, snsMessageId: r.value.snsMessageId, body: m.Body ?? '', receiveCount: m.Attributes?.['ApproximateReceiveCount'] });
          }
          if (seen.length >= samples.length) allSeen.resolve();
          return messages.map((message) => ({ message, outcome: 'delete' as const }));
        },
      });
      const ac = new AbortController();
      const running = c.run(ac.signal);
      await within(allSeen.promise, 10_000, 'three notifications');
      ac.abort();
      await within(running, 5_000, 'run() to resolve');

      expect(seen.map((s) => s.kind).sort()).toEqual(['bounce', 'complaint', 'delay']);
      expect(seen.every((s) => s.receiveCount === '1')).toBe(true);
      if (raw) {
        expect(seen.map((s) => s.snsMessageId)).toEqual([null, null, null]);
        expect(seen.map((s) => s.body).sort()).toEqual(samples.map((f) => compact(`ses/${f}`)).sort());
      } else {
        expect(seen.map((s) => s.snsMessageId).sort()).toEqual([...published.keys()].sort());
      }
      expect(h.depth()).toEqual({ ready: 0, inflight: 0, delayed: 0 });
      expect(sum(events, 'received')).toBe(3);
      expect(sum(events, 'deleted')).toBe(3);
      expect(types(events)[0]).toBe('started');
      expect(types(events).at(-1)).toBe('stopped');
      expect(events.filter((e) => e.type.endsWith('-failed'))).toEqual([]);
    });
  }

  it("redelivers a 'keep' message after the visibility timeout, then deletes it", async () => {
    const h = await harness({ visibilityTimeoutSeconds: 1 });
    const snsId = await h.publish(compact('ses/identity-delivery.json'));
    const deliveries: Array<{ messageId: string | undefined; receiveCount: string | undefined }> = [];
    const second = deferred();
    const events: ConsumerEvent[] = [];
    const c = consumer(h.sqs, h.queueUrl, events, {
      handle: async (messages) => {
        const m = messages[0]!;
        deliveries.push({ messageId: m.MessageId, receiveCount: m.Attributes?.['ApproximateReceiveCount'] });
        if (deliveries.length === 1) return [{ message: m, outcome: 'keep' }];
        second.resolve();
        return [{ message: m, outcome: 'delete' }];
      },
    });
    const ac = new AbortController();
    const running = c.run(ac.signal);
    await within(second.promise, 10_000, 'the redelivery');
    ac.abort();
    await within(running, 5_000, 'run() to resolve');

    expect(deliveries.map((d) => d.receiveCount)).toEqual(['1', '2']);
    expect(deliveries[0]!.messageId).toBe(deliveries[1]!.messageId);
    const kept = events.find((e) => e.type === 'kept');
    expect(kept).toEqual({ type: 'kept', messageIds: [deliveries[0]!.messageId] });
    expect(sum(events, 'deleted')).toBe(1);
    expect(h.depth()).toEqual({ ready: 0, inflight: 0, delayed: 0 });
    expect(snsId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps messages handle() gave no outcome for, and says so', async () => {
    const h = await harness({ visibilityTimeoutSeconds: 1 });
    await h.publish(compact('ses/identity-delivery.json'));
    const first = deferred();
    const events: ConsumerEvent[] = [];
    let calls = 0;
    const c = consumer(h.sqs, h.queueUrl, events, {
      handle: async (messages) => {
        calls++;
        first.resolve();
        return calls === 1 ? [] : messages.map((message) => ({ message, outcome: 'delete' as const }));
      },
    });
    const ac = new AbortController();
    const running = c.run(ac.signal);
    await within(first.promise, 10_000, 'the first delivery');
    ac.abort();
    await within(running, 5_000, 'run() to resolve');
    const missing = events.filter((e) => e.type === 'outcome-missing');
    expect(missing).toHaveLength(1);
    expect(sum(events, 'deleted')).toBe(0);
    expect(h.depth().ready + h.depth().inflight).toBe(1);
  });

  it('a handler that throws leads to redelivery, not loss, after a reported backoff', async () => {
    const h = await harness({ visibilityTimeoutSeconds: 1 });
    await h.publish(compact('ses/identity-complaint.json'));
    const sleeps: number[] = [];
    const counts: Array<string | undefined> = [];
    const done = deferred();
    const events: ConsumerEvent[] = [];
    const c = consumer(h.sqs, h.queueUrl, events, {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      handle: async (messages) => {
        counts.push(messages[0]!.Attributes?.['ApproximateReceiveCount']);
        if (counts.length === 1) throw new Error('database is locked');
        done.resolve();
        return messages.map((message) => ({ message, outcome: 'delete' as const }));
      },
    });
    const ac = new AbortController();
    const running = c.run(ac.signal);
    await within(done.promise, 10_000, 'the redelivery');
    ac.abort();
    await within(running, 5_000, 'run() to resolve');

    expect(counts).toEqual(['1', '2']);
    expect(events.filter((e) => e.type === 'handler-failed' || e.type === 'backoff')).toEqual([
      { type: 'handler-failed', error: { name: 'Error', message: 'database is locked', code: null, httpStatus: null }, count: 1, failures: 1 },
      { type: 'backoff', ms: 500, failures: 1, after: 'handler-failed' },
    ]);
    expect(sleeps).toEqual([500]);
    expect(sum(events, 'deleted')).toBe(1);
    expect(h.depth()).toEqual({ ready: 0, inflight: 0, delayed: 0 });
  });

  it('treats a handler that resolves to something other than an array as a failure', async () => {
    const h = await harness();
    await h.publish(compact('ses/identity-delivery.json'));
    const failed = deferred();
    const events: ConsumerEvent[] = [];
    const ac = new AbortController();
    const c = consumer(h.sqs, h.queueUrl, events, {
      sleep: async () => {
        failed.resolve();
      },
      handle: async () => undefined as never,
    });
    const running = c.run(ac.signal);
    await within(failed.promise, 10_000, 'the handler failure');
    ac.abort();
    await within(running, 5_000, 'run() to resolve');
    expect(events.find((e) => e.type === 'handler-failed')).toMatchObject({
      error: { name: 'TypeError', message: 'handle() resolved to undefined, not an array of outcomes' },
    });
    expect(sum(events, 'deleted')).toBe(0);
  });

  it('reports each entry DeleteMessageBatch could not delete', async () => {
    const h = await harness();
    await h.publish(compact('ses/identity-bounce-multi.json'));
    await h.publish(compact('ses/identity-delivery.json'));
    // fauxqs never fails an entry, so answer for SQS the way it does for a stale receipt handle.
    h.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'DeleteMessageBatchCommand') {
          const out = result.output as { Successful?: Array<{ Id: string }>; Failed?: unknown[] };
          const [failedEntry, ...rest] = out.Successful ?? [];
          out.Successful = rest;
          out.Failed = [{ Id: failedEntry!.Id, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle is invalid.', SenderFault: true }];
        }
        return result;
      },
      { step: 'initialize', name: 'failOneDelete' },
    );
    const handled: Message[] = [];
    const both = deferred();
    const events: ConsumerEvent[] = [];
    const c = consumer(h.sqs, h.queueUrl, events, {
      handle: async (messages) => {
        handled.push(...messages);
        if (handled.length >= 2) both.resolve();
        return messages.map((message) => ({ message, outcome: 'delete' as const }));
      },
    });
    const ac = new AbortController();
    const running = c.run(ac.signal);
    await within(both.promise, 10_000, 'both messages');
    ac.abort();
    await within(running, 5_000, 'run() to resolve');
    const failures = events.filter((e) => e.type === 'delete-failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toEqual({
      type: 'delete-failed',
      messageId: handled[0]!.MessageId,
      code: 'ReceiptHandleIsInvalid',
      message: 'The input receipt handle is invalid.',
      senderFault: true,
    });
  });

  it('reports every message of a DeleteMessageBatch call that failed outright', async () => {
    const h = await harness();
    await h.publish(compact('ses/identity-delivery.json'));
    const events: ConsumerEvent[] = [];
    const backedOff = deferred();
    let handledId: string | undefined;
    const ac = new AbortController();
    const client = new SQSClient({ ...h.clientConfig, maxAttempts: 1 });
    cleanups.push(() => client.destroy());
    const c = consumer(client, h.queueUrl, events, {
      sleep: async () => backedOff.resolve(),
      handle: async (messages) => {
        handledId = messages[0]!.MessageId;
        await h.server.stop(); // SQS goes away between the commit and the delete
        return messages.map((message) => ({ message, outcome: 'delete' as const }));
      },
    });
    const running = c.run(ac.signal);
    await within(backedOff.promise, 10_000, 'the receive after the failed delete to back off');
    ac.abort();
    await within(running, 5_000, 'run() to resolve');
    const failures = events.filter((e) => e.type === 'delete-failed');
    expect(failures).toEqual([
      // A kept-alive socket sees the reset; a fresh one is refused: which one depends on timing.
      { type: 'delete-failed', messageId: handledId, code: expect.stringMatching(/^E(CONNRESET|CONNREFUSED|PIPE)$/) as string, message: expect.any(String) as string, senderFault: false },
    ]);
    expect(events.find((e) => e.type === 'receive-failed')).toMatchObject({ error: { code: expect.stringMatching(/^E(CONNRESET|CONNREFUSED|PIPE)$/) as string }, failures: 1 });
  });

  it('keeps going while the queue is missing and picks up once it exists', async () => {
    const h = await harness();
    const laterUrl = h.queueUrl.replace(/[^/]+$/, 'created-later');
    const events: ConsumerEvent[] = [];
    const sleeps: number[] = [];
    const got = deferred<Message>();
    const ac = new AbortController();
    const c = consumer(h.sqs, laterUrl, events, {
      random: () => 1,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 3) {
          const created = await h.sqs.send(new CreateQueueCommand({ QueueName: 'created-later' }));
          expect(created.QueueUrl).toBe(laterUrl);
          await h.sqs.send(new SendMessageCommand({ QueueUrl: laterUrl, MessageBody: compact('ses/event-bounce.json') }));
        }
      },
      handle: async (messages) => {
        got.resolve(messages[0]!);
        return messages.map((message) => ({ message, outcome: 'delete' as const }));
      },
    });
    const running = c.run(ac.signal);
    const m = await within(got.promise, 10_000, 'the message in the new queue');
    ac.abort();
    await within(running, 5_000, 'run() to resolve');
    expect(parseNotification(m.Body ?? '')).toMatchObject({ ok: true, value: { kind: 'bounce' } });
    expect(sleeps).toEqual([1000, 2000, 4000]);
    expect(events.filter((e) => e.type === 'receive-failed').map((e) => e.type === 'receive-failed' && [e.error.name, e.failures])).toEqual([
      ['QueueDoesNotExist', 1],
      ['QueueDoesNotExist', 2],
      ['QueueDoesNotExist', 3],
    ]);
    expect(sum(events, 'deleted')).toBe(1);
  });
});

describe('backoff on SQS errors', () => {
  it('backs off exponentially with full jitter while nothing listens, and never throws', async () => {
    const client = deadClient(await closedPort());
    cleanups.push(() => client.destroy());
    const sleeps: number[] = [];
    const events: ConsumerEvent[] = [];
    const ac = new AbortController();
    const c = consumer(client, 'http://127.0.0.1/000000000000/q', events, {
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 9) ac.abort();
      },
      handle: async () => {
        throw new Error('never called');
      },
    });
    await within(c.run(ac.signal), 10_000, 'run() to resolve');
    // ceilings 1, 2, 4 ... 32 s, then the 60 s cap; half of each with random() = 0.5
    expect(sleeps).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    const failed = events.filter((e) => e.type === 'receive-failed');
    expect(failed.map((e) => e.type === 'receive-failed' && e.failures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(failed[0]).toMatchObject({ error: { code: 'ECONNREFUSED', httpStatus: null } });
    expect(events.filter((e) => e.type === 'backoff').map((e) => e.type === 'backoff' && e.ms)).toEqual(sleeps);
    expect(types(events).at(-1)).toBe('stopped');
  });

  it('gives up on a receive that hangs (connection accepted, no reply) and backs off', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          silent.close(() => r());
        }),
    );
    const client = deadClient((silent.address() as { port: number }).port);
    cleanups.push(() => client.destroy());
    const events: ConsumerEvent[] = [];
    const ac = new AbortController();
    const c = consumer(client, 'http://127.0.0.1/000000000000/q', events, {
      receiveTimeoutMs: 300,
      sleep: async () => ac.abort(),
      handle: async () => [],
    });
    await within(c.run(ac.signal), 10_000, 'run() to resolve');
    expect(events.find((e) => e.type === 'receive-failed')).toEqual({
      type: 'receive-failed',
      error: { name: 'TimeoutError', message: 'ReceiveMessage took longer than 300 ms', code: null, httpStatus: null },
      failures: 1,
    });
  });

  it('backoffDelay: full jitter under a doubling ceiling, capped', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 40].map((n) => backoffDelay(n, () => 0.999999, 1000, 60_000));
    expect(ceilings).toEqual([999, 1999, 3999, 7999, 15999, 31999, 59999, 59999, 59999]);
    expect(backoffDelay(3, () => 0, 1000, 60_000)).toBe(0);
    expect(backoffDelay(1, () => 0.25, 200, 1000)).toBe(50);
  });

  it('describeError names SDK, Node and foreign errors', () => {
    const sdk = Object.assign(new Error('The specified queue does not exist.'), {
      name: 'QueueDoesNotExist',
      Code: 'AWS.SimpleQueueService.NonExistentQueue',
      $metadata: { httpStatusCode: 400 },
    });
    expect(describeError(sdk)).toEqual({
      name: 'QueueDoesNotExist',
      message: 'The specified queue does not exist.',
      code: 'AWS.SimpleQueueService.NonExistentQueue',
      httpStatus: 400,
    });
    const aggregate = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:9'), new Error('connect ECONNREFUSED 127.0.0.1:9')], ''), { code: 'ECONNREFUSED' });
    expect(describeError(aggregate)).toEqual({
      name: 'AggregateError',
      message: 'connect ECONNREFUSED ::1:9; connect ECONNREFUSED 127.0.0.1:9',
      code: 'ECONNREFUSED',
      httpStatus: null,
    });
    expect(describeError('boom')).toEqual({ name: 'Error', message: 'boom', code: null, httpStatus: null });
  });

  it('rejects out-of-range options by name', () => {
    const client = deadClient(9);
    cleanups.push(() => client.destroy());
    const base = { client, queueUrl: 'q', handle: async () => [], onEvent: () => undefined };
    expect(() => new SqsConsumer({ ...base, waitTimeSeconds: 21 })).toThrow('SqsConsumer option waitTimeSeconds must be an integer from 0 to 20, got 21');
    expect(() => new SqsConsumer({ ...base, maxMessages: 0 })).toThrow(/option maxMessages/);
  });
});

describe('shutdown', () => {
  it('run() resolves within 1 s of abort in the middle of a 20 s long poll', async () => {
    const h = await harness();
    const sent = deferred();
    h.sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ReceiveMessageCommand') sent.resolve();
        return next(args);
      },
      { step: 'finalizeRequest', name: 'noticeReceive' },
    );
    const events: ConsumerEvent[] = [];
    const c = consumer(h.sqs, h.queueUrl, events, { handle: async () => [] });
    const ac = new AbortController();
    const running = c.run(ac.signal);
    await within(sent.promise, 10_000, 'the long poll to start');
    // Let the request reach fauxqs and park there; the bound below holds either way.
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    ac.abort();
    await within(running, 5_000, 'run() to resolve');
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(1000);
    expect(types(events)).toEqual(['started', 'stopped']);
  });

  it('run() resolves within 1 s of abort during a backoff sleep (the real sleep)', async () => {
    const client = deadClient(await closedPort());
    cleanups.push(() => client.destroy());
    const events: ConsumerEvent[] = [];
    const ac = new AbortController();
    const backingOff = deferred();
    const c = new SqsConsumer({
      client,
      queueUrl: 'http://127.0.0.1/000000000000/q',
      random: () => 0.99,
      backoffBaseMs: 60_000,
      handle: async () => [],
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'backoff') backingOff.resolve();
      },
    });
    const running = c.run(ac.signal);
    await within(backingOff.promise, 10_000, 'the first backoff');
    const t0 = performance.now();
    ac.abort();
    await within(running, 5_000, 'run() to resolve');
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(events.find((e) => e.type === 'backoff')).toEqual({ type: 'backoff', ms: 59400, failures: 1, after: 'receive-failed' });
    expect(types(events).at(-1)).toBe('stopped');
  });

  it('awaits a handler already running on abort, then deletes what it committed', async () => {
    const h = await harness();
    await h.publish(compact('ses/identity-bounce-multi.json'));
    const entered = deferred();
    const release = deferred();
    const order: string[] = [];
    const events: ConsumerEvent[] = [];
    const c = consumer(h.sqs, h.queueUrl, events, {
      handle: async (messages) => {
        entered.resolve();
        await release.promise;
        order.push('committed');
        return messages.map((message) => ({ message, outcome: 'delete' as const }));
      },
    });
    const ac = new AbortController();
    const running = c.run(ac.signal).then(() => order.push('run resolved'));
    await within(entered.promise, 10_000, 'the handler to start');
    ac.abort();
    order.push('aborted');
    release.resolve();
    await within(running, 5_000, 'run() to resolve');
    expect(order).toEqual(['aborted', 'committed', 'run resolved']);
    expect(sum(events, 'deleted')).toBe(1);
    expect(h.depth()).toEqual({ ready: 0, inflight: 0, delayed: 0 });
  });

  it('a listener that throws does not stop the consumer', async () => {
    const client = deadClient(await closedPort());
    cleanups.push(() => client.destroy());
    const ac = new AbortController();
    let sleeps = 0;
    const c = new SqsConsumer({
      client,
      queueUrl: 'http://127.0.0.1/000000000000/q',
      handle: async () => [],
      onEvent: () => {
        throw new Error('listener bug');
      },
      sleep: async () => {
        if (++sleeps === 2) ac.abort();
      },
    });
    await within(c.run(ac.signal), 10_000, 'run() to resolve');
    expect(sleeps).toBe(2);
  });
});
