// How fast SqsConsumer drains a backlog: n SES bounce notifications (SNS envelopes) are enqueued on an
// in-process fauxqs, then one consumer drains them with a handler that parses each body and records
// its SNS MessageId. `seconds` covers the drain only (first receive to last delete), not the enqueue.
// Run: node dist/bench/sqs-drain.js [n]   (prints one JSON line)
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseNotification } from '../ses/notification.js';
import { SqsConsumer, type ConsumerEvent } from '../sqs/consumer.js';

export interface DrainBenchResult {
  n: number;
  /** Wall time of the drain, from starting the consumer until every message was handled and deleted. */
  seconds: number;
  /** Messages handed to the handler, duplicates included. */
  received: number;
  /** Deliveries of an SNS MessageId already seen. */
  duplicates: number;
  /** Wall time of the enqueue (SendMessageBatch), for context. */
  enqueueSeconds: number;
  /** Bodies parseNotification rejected (should be 0: every body is a valid envelope). */
  parseFailures: number;
  /** Failure events from the consumer (receive-failed, delete-failed, handler-failed). */
  consumerFailures: number;
}

export interface DrainBenchOptions {
  /** Give up (and report what was drained) after this long. Default 120 s. */
  timeoutMs?: number;
  /** Parallel SendMessageBatch calls while enqueueing. Default 8. */
  enqueueConcurrency?: number;
}

export async function drainBench(n: number, opts: DrainBenchOptions = {}): Promise<DrainBenchResult> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`drainBench: n must be a positive integer, got ${String(n)}`);
  // fauxqs is a dev dependency: load it only when the bench runs, so importing this module stays harmless.
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: 0, logger: false });
  const client = new SQSClient({
    endpoint: server.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    // Long enough that a redelivery during the drain would mean a consumer bug, not a slow machine.
    const created = await client.send(
      new CreateQueueCommand({ QueueName: 'bench-ses', Attributes: { VisibilityTimeout: '300' } }),
    );
    const queueUrl = created.QueueUrl;
    if (!queueUrl) throw new Error('fauxqs returned no QueueUrl');

    const enqueueStart = performance.now();
    await enqueue(client, queueUrl, n, opts.enqueueConcurrency ?? 8);
    const enqueueSeconds = (performance.now() - enqueueStart) / 1000;

    const seen = new Map<string, number>();
    let received = 0;
    let parseFailures = 0;
    let deleted = 0;
    let consumerFailures = 0;
    const ac = new AbortController();
    const finish = (): void => {
      if (seen.size >= n && deleted >= n) ac.abort();
    };
    const timer = setTimeout(() => ac.abort(), opts.timeoutMs ?? 120_000);
    const consumer = new SqsConsumer({
      client,
      queueUrl,
      handle: async (messages) => {
        for (const m of messages) {
          received++;
          const r = parseNotification(m.Body ?? '');
          if (!r.ok || r.value.snsMessageId === null) {
            parseFailures++;
            continue;
          }
          seen.set(r.value.snsMessageId, (seen.get(r.value.snsMessageId) ?? 0) + 1);
        }
        return messages.map((message) => ({ message, outcome: 'delete' as const }));
      },
      onEvent: (e: ConsumerEvent) => {
        if (e.type === 'deleted') {
          deleted += e.count;
          finish();
        } else if (e.type.endsWith('-failed')) {
          consumerFailures++;
        }
      },
    });
    const drainStart = performance.now();
    await consumer.run(ac.signal);
    const seconds = (performance.now() - drainStart) / 1000;
    clearTimeout(timer);
    return {
      n,
      seconds: round(seconds),
      received,
      duplicates: received - parseFailures - seen.size,
      enqueueSeconds: round(enqueueSeconds),
      parseFailures,
      consumerFailures,
    };
  } finally {
    client.destroy();
    await server.stop();
  }
}

async function enqueue(client: SQSClient, queueUrl: string, n: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const start = next;
      next = Math.min(n, next + 10);
      const entries = [];
      for (let i = start; i < next; i++) entries.push({ Id: `e${i - start}`, MessageBody: envelopeFor(i) });
      const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      if (out.Failed && out.Failed.length > 0) {
        throw new Error(`SendMessageBatch failed for ${out.Failed.length} entries: ${out.Failed[0]?.Code ?? 'unknown'}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** An SNS envelope around an SES bounce for a Postfix-relayed message, distinct per i. */
function envelopeFor(i: number): string {
  const sesId = `0102019a${i.toString(16).padStart(8, '0')}-6f1e2a44-1b7c-4d33-9a0e-5c8f3e2d1a90-000000`;
  const rcpt = `user${i}@customer.example`;
  const messageId = `<20251105.${i}@app03.internal.shop.example.net>`;
  const doc = {
    notificationType: 'Bounce',
    bounce: {
      feedbackId: `0102019a${i.toString(16).padStart(8, '0')}-feedback-000000`,
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [{ emailAddress: rcpt, action: 'failed', status: '5.1.1', diagnosticCode: `smtp; 550 5.1.1 <${rcpt}>: Recipient address rejected: User unknown` }],
      timestamp: '2025-11-05T09:14:03.000Z',
      remoteMtaIp: '198.51.100.7',
      reportingMTA: 'dns; b224-13.smtp-out.eu-west-1.amazonses.com',
    },
    mail: {
      timestamp: '2025-11-05T09:14:02.412Z',
      source: 'billing@shop.example.net',
      sourceArn: 'arn:aws:ses:eu-west-1:210987654321:identity/shop.example.net',
      sourceIp: '203.0.113.25',
      sendingAccountId: '210987654321',
      messageId: sesId,
      destination: [rcpt],
      headersTruncated: false,
      headers: [
        { name: 'Received', value: `from app03.internal.shop.example.net (app03.internal.shop.example.net [10.20.0.13]) by relay.shop.example.net (Postfix) with ESMTPSA id 4dPq2V0mKz${i}; Wed, 05 Nov 2025 09:14:01 +0000 (UTC)` },
        { name: 'From', value: 'Shop Billing <billing@shop.example.net>' },
        { name: 'To', value: rcpt },
        { name: 'Subject', value: 'Your invoice' },
        { name: 'Message-ID', value: messageId },
      ],
      commonHeaders: { from: ['Shop Billing <billing@shop.example.net>'], to: [rcpt], messageId, subject: 'Your invoice' },
    },
  };
  return JSON.stringify({
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: 'arn:aws:sns:eu-west-1:210987654321:ses-feedback',
    Message: JSON.stringify(doc),
    Timestamp: '2025-11-05T09:14:03.611Z',
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-bench.pem',
    UnsubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe',
  });
}

function round(s: number): number {
  return Math.round(s * 1000) / 1000;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = process.argv[2] === undefined ? 10_000 : Number(process.argv[2]);
  drainBench(n).then(
    (r) => console.log(JSON.stringify(r)),
    (e: unknown) => {
      console.error(`sqs-drain: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
