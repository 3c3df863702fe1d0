// The daemon's notification handling: record, annotate or wait for the log, never drop, never double.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { NotificationProcessor } from '../../src/ses/processor.js';
import { memoryIndex } from './helpers.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const seedLog = fixture('journal-short.log');
const bounce = JSON.stringify(JSON.parse(fixture('ses-bounce.json')));
const envelope = (id: string, message: string) =>
  JSON.stringify({ Type: 'Notification', MessageId: id, TopicArn: 'arn:aws:sns:us-east-1:1:ses', Message: message, Timestamp: '2025-11-03T13:17:27.000Z' });

function setup(lateJoinMs = 60_000) {
  let now = Date.UTC(2025, 10, 3, 13, 20);
  const idx = memoryIndex(Date.UTC(2025, 11, 1));
  const processor = new NotificationProcessor({ store: idx.store, lateJoinMs, now: () => now });
  const rows = (sql: string) => idx.store.db.prepare(sql).all();
  return { ...idx, processor, rows, advance: (ms: number) => (now += ms) };
}

describe('notification processor', () => {
  it('annotates at once when the message is indexed, and stores the bounce row', () => {
    const { ingest, processor, rows } = setup();
    ingest(seedLog);
    const out = processor.receive([{ body: envelope('sns-1', bounce) }]);
    expect(out).toMatchObject({ pending: 0, duplicates: 0, invalid: [] });
    expect(out.events.map((e) => [e.event, e.uid, e.queueId, e.matchedBy])).toEqual([['bounce', 1000, '084A213D8DD', 'ses-id']]);
    expect(rows(`SELECT event, recipient, queue_id, uid, client_ip, matched_by, bounce_type FROM bounces WHERE event = 'bounce'`)).toEqual([
      { event: 'bounce', recipient: 'bounce@simulator.amazonses.com', queue_id: '084A213D8DD', uid: 1000, client_ip: null, matched_by: 'ses-id', bounce_type: 'Permanent' },
    ]);
  });

  it('makes no second row or event for a redelivery, an SNS duplicate or the same feedback in another envelope', () => {
    const { ingest, processor, rows } = setup();
    ingest(seedLog);
    expect(processor.receive([{ body: envelope('sns-1', bounce) }]).events).toHaveLength(1);
    expect(processor.receive([{ body: envelope('sns-1', bounce) }])).toMatchObject({ events: [], duplicates: 1 });
    expect(processor.receive([{ body: bounce }, { body: bounce }])).toMatchObject({ events: [], duplicates: 1 });
    expect(processor.receive([{ body: envelope('sns-2', bounce) }]).events).toEqual([]);
    expect(rows(`SELECT count(*) AS n FROM bounces WHERE event = 'bounce'`)).toEqual([{ n: 1 }]);
  });

  it('keeps a notification that arrives before its log lines pending in the database, then matches it', () => {
    const { ingest, processor, rows, advance } = setup();
    const out = processor.receive([{ body: envelope('sns-1', bounce) }]);
    expect(out).toMatchObject({ events: [], pending: 1 });
    expect(rows(`SELECT state FROM notifications`)).toEqual([{ state: 'pending' }]);
    expect(processor.retryPending()).toEqual([]);
    ingest(seedLog);
    advance(5_000);
    expect(processor.retryPending().map((e) => [e.uid, e.matchedBy])).toEqual([[1000, 'ses-id']]);
    expect(rows(`SELECT state FROM notifications`)).toEqual([{ state: 'done' }]);
    expect(processor.retryPending()).toEqual([]);
  });

  it('writes a notification whose message never appears when the window closes, with matchedBy null', () => {
    const { processor, rows, advance } = setup(60_000);
    const doc = JSON.parse(bounce);
    doc.mail.headers = [];
    delete doc.mail.commonHeaders;
    processor.receive([{ body: JSON.stringify(doc) }]);
    advance(59_000);
    expect(processor.retryPending()).toEqual([]);
    advance(2_000);
    expect(processor.retryPending().map((e) => [e.event, e.matchedBy, e.recipient])).toEqual([['bounce', null, 'bounce@simulator.amazonses.com']]);
    expect(rows(`SELECT matched_by, client_ip FROM bounces`)).toEqual([{ matched_by: null, client_ip: null }]);
  });

  it('records junk as invalid with its reason, and still annotates the good notifications around it', () => {
    const { ingest, processor, rows } = setup();
    ingest(seedLog);
    const out = processor.receive([
      { body: 'not json' },
      { body: envelope('sns-1', bounce) },
      { body: JSON.stringify({ Type: 'SubscriptionConfirmation', MessageId: 'c1', SubscribeURL: 'https://sns.example/confirm', Token: 't', TopicArn: 'arn' }) },
      { body: envelope('sns-3', '{"broken') },
    ]);
    expect(out.events).toHaveLength(1);
    expect(out.invalid.map((i) => [i.index, i.kind])).toEqual([
      [0, 'not-json'],
      [2, 'subscription'],
      [3, 'invalid'],
    ]);
    expect(rows(`SELECT state, count(*) AS n FROM notifications GROUP BY state ORDER BY state`)).toEqual([
      { state: 'done', n: 1 },
      { state: 'invalid', n: 3 },
    ]);
  });
});
