// The daemon in-process with its real parts: a log file it follows, the fauxqs SQS emulator reached
// through the real SDK, a SQLite file; its pino lines read back from an injected stream.
import { afterEach, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Daemon } from '../../src/daemon.js';
import { parseConfig } from '../../src/config.js';
import { createEventLog } from '../../src/sinks/log.js';
import { startFauxqsHarness, type FauxqsHarness } from '../helpers/fauxqs.js';
import { until } from '../helpers/capture.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const seedLines = fixture('journal-short.log').trimEnd().split('\n');
const bounce = JSON.stringify(JSON.parse(fixture('ses-bounce.json')));
const delivery = JSON.stringify(JSON.parse(fixture('ses-delivery.json')));

type Line = Record<string, unknown>;

class Captured {
  readonly lines: Line[] = [];
  private waiters: Array<() => void> = [];
  readonly stream = new PassThrough();
  constructor() {
    let buf = '';
    this.stream.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        this.lines.push(JSON.parse(buf.slice(0, nl)) as Line);
        buf = buf.slice(nl + 1);
        for (const w of this.waiters.splice(0)) w();
      }
    });
  }
  async waitFor(pred: (l: Line) => boolean, what: string, timeoutMs = 15_000): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
}

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function start(opts: { lateJoinSeconds?: number; raw?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bo-daemon-'));
  const fx: FauxqsHarness = await startFauxqsHarness({ rawMessageDelivery: opts.raw ?? false });
  cleanup.push(() => fx.stop());
  const logPath = join(dir, 'mail.log');
  const config = parseConfig({
    source: { type: 'file', path: logPath },
    database: join(dir, 'index.db'),
    sqs: { queueUrl: fx.queueUrl, region: fx.region, endpoint: fx.endpoint, lateJoinSeconds: opts.lateJoinSeconds ?? 300 },
    logLevel: 'info',
    // The seed log is from November; retention counts from the log's own time against today.
    retentionDays: 3650,
  });
  const out = new Captured();
  const sqsClient = new SQSClient(fx.clientConfig);
  cleanup.push(() => sqsClient.destroy());
  const daemon = new Daemon({
    config,
    log: createEventLog({ level: 'info', file: null, stream: out.stream }),
    sqsClient,
    sqsWaitSeconds: 1,
    pendingEveryMs: 100,
  });
  const stop = new AbortController();
  const running = daemon.run(stop.signal);
  cleanup.push(async () => {
    stop.abort();
    await running;
  });
  return { dir, fx, logPath, config, out, stop, running };
}

const rows = (db: string, sql: string) => {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all();
  } finally {
    d.close();
  }
};

describe('daemon', () => {
  it('follows the log, consumes SQS and writes the enriched bounce with its origin, once', async () => {
    const { fx, logPath, config, out } = await start();
    writeFileSync(logPath, seedLines.slice(0, 20).join('\n') + '\n');
    await out.waitFor((l) => l['op'] === 'start', 'start line');
    // The bounced message's lines (084A213D8DD) are among the first 20.
    await fx.publish(bounce);
    const e = await out.waitFor((l) => l['event'] === 'bounce', 'bounce event');
    expect(e).toMatchObject({
      level: 40,
      event: 'bounce',
      recipient: 'bounce@simulator.amazonses.com',
      sesMessageId: '0100019a49dd86e3-e2cb72de-442c-4bb6-91fb-473e87b9158b-000000',
      queueId: '084A213D8DD',
      uid: 1000,
      clientIp: null,
      matchedBy: 'ses-id',
      bounceType: 'Permanent',
      msg: 'bounce (Permanent/General) bounce@simulator.amazonses.com queue 084A213D8DD from local uid 1000 (pickup)',
    });
    // The rest of the log, with the SES refusals, arrives later: each is reported once, with its origin.
    appendFileSync(logPath, seedLines.slice(20).join('\n') + '\n');
    await out.waitFor((l) => l['event'] === 'reject' && l['queueId'] === '8606813DBB1', 'second reject');
    // A redelivery of the same notification makes no second row or line.
    await fx.publish(bounce);
    await fx.publish(delivery);
    await out.waitFor((l) => l['event'] === 'delivery', 'delivery event');
    expect(out.lines.filter((l) => l['event'] === 'bounce')).toHaveLength(1);
    expect(rows(config.database, `SELECT event, recipient, queue_id, uid, matched_by FROM bounces ORDER BY event, queue_id`)).toEqual([
      { event: 'bounce', recipient: 'bounce@simulator.amazonses.com', queue_id: '084A213D8DD', uid: 1000, matched_by: 'ses-id' },
      { event: 'reject', recipient: '<送信先メールアドレス>', queue_id: '6375913D8DD', uid: 1000, matched_by: 'queue-id' },
      { event: 'reject', recipient: 'test@www.non-97.net', queue_id: '8606813DBB1', uid: 1000, matched_by: 'queue-id' },
    ]);
    await until(() => fx.depth().ready + fx.depth().inflight === 0, 'every SQS message deleted');
  });

  it('holds a notification that comes before its log lines, then annotates it when they arrive', async () => {
    const { fx, logPath, out } = await start({ raw: true });
    writeFileSync(logPath, '');
    await fx.publish(bounce);
    // Deleted from the queue although unmatched: it waits in the database, not in SQS.
    await until(() => fx.depth().ready + fx.depth().inflight === 0, 'the pending notification deleted from the queue');
    expect(out.lines.some((l) => l['event'] === 'bounce')).toBe(false);
    appendFileSync(logPath, seedLines.join('\n') + '\n');
    const e = await out.waitFor((l) => l['event'] === 'bounce', 'late-joined bounce');
    expect(e).toMatchObject({ queueId: '084A213D8DD', uid: 1000, matchedBy: 'ses-id' });
  });

  it('reports junk in the queue with its reason and keeps going', async () => {
    const { fx, logPath, out } = await start();
    writeFileSync(logPath, seedLines.join('\n') + '\n');
    await fx.publish('this is not json');
    await fx.publish(bounce);
    const err = await out.waitFor((l) => l['op'] === 'not-a-notification', 'junk reported');
    expect(err).toMatchObject({ level: 50, kind: 'invalid' });
    expect(String(err['msg'])).toContain('is not an SES notification');
    await out.waitFor((l) => l['event'] === 'bounce', 'the good notification after the junk');
  });

  it('stops within a second of the signal, mid long-poll, and resumes from its checkpoint', async () => {
    const first = await start();
    writeFileSync(first.logPath, seedLines.slice(0, 10).join('\n') + '\n');
    await first.out.waitFor((l) => l['op'] === 'start', 'start');
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    first.stop.abort();
    await first.running;
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(first.out.lines.at(-1)).toMatchObject({ op: 'stop' });
    const indexed = rows(first.config.database, `SELECT count(*) AS n FROM messages`);

    appendFileSync(first.logPath, seedLines.slice(10).join('\n') + '\n');
    // A new daemon on the same database and log picks up exactly where the first left off.
    const out = new Captured();
    const again = new Daemon({ config: { ...first.config, sqs: null }, log: createEventLog({ level: 'info', file: null, stream: out.stream }) });
    const stop = new AbortController();
    const running = again.run(stop.signal);
    await out.waitFor((l) => l['event'] === 'reject' && l['queueId'] === '8606813DBB1', 'rejects from the appended lines');
    stop.abort();
    await running;
    expect(indexed).toEqual([{ n: 2 }]);
    expect(rows(first.config.database, `SELECT queue_id, count(*) AS n FROM messages GROUP BY queue_id ORDER BY queue_id`)).toEqual([
      { queue_id: '084A213D8DD', n: 1 },
      { queue_id: '6375913D8DD', n: 1 },
      { queue_id: '6510113D8DD', n: 1 },
      { queue_id: '8606813DBB1', n: 1 },
      { queue_id: '8B02A13D8DD', n: 1 },
      { queue_id: 'D1B9013D8FF', n: 1 },
    ]);
  });
});
