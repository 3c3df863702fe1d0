import { describe, expect, it } from 'vitest';
import { generateLog, type MessageTruth } from '../../src/bench/generate.js';
import { buildNotifications, checkAnnotateOutput, type ExpectedEvent } from '../../src/bench/notifications.js';
import { parseNotification } from '../../src/ses/notification.js';

const truth = generateLog({ messages: 400, seed: 11, sampleEvery: 2 }, () => {});
const samples = truth.samples;

describe('buildNotifications', () => {
  const built = buildNotifications(samples, 300, 5);
  const relayed = samples.filter((s) => s.outcome === 'sent' && s.sesMessageId !== null);

  it('writes n SES notifications the project\'s own parser reads, about relayed messages only', () => {
    expect(built.lines).toHaveLength(300);
    expect(built.kinds.bounce + built.kinds.complaint + built.kinds.delivery).toBe(300);
    expect(built.kinds.bounce).toBeGreaterThan(built.kinds.complaint);
    expect(built.envelopes).toBeGreaterThan(0);
    expect(built.envelopes).toBeLessThan(300);
    expect(built.distinct).toBe(Math.min(300, relayed.length));
    const bySes = new Map(relayed.map((s) => [s.sesMessageId as string, s]));
    let envelopes = 0;
    let affected = 0;
    for (const line of built.lines) {
      const r = parseNotification(line);
      if (!r.ok) throw new Error(`${r.kind}: ${r.reason}`);
      const n = r.value;
      if (n.snsMessageId !== null) envelopes++;
      const s = bySes.get(n.mail.messageId ?? '') as MessageTruth;
      expect(s).toBeDefined();
      expect(n.mail.destination).toEqual(s.recipients);
      expect(n.mail.headerMessageId).toBe(s.messageId === null ? null : `<${s.messageId}>`);
      expect(['bounce', 'complaint', 'delivery']).toContain(n.kind);
      for (const rc of n.recipients) expect(s.recipients).toContain(rc.address);
      if (n.kind === 'delivery') expect(n.recipients.map((x) => x.address)).toEqual(s.recipients);
      if (n.kind === 'complaint') expect(n.recipients).toHaveLength(1);
      affected += n.recipients.length;
    }
    expect(envelopes).toBe(built.envelopes);
    expect(built.expected).toHaveLength(affected);
  });

  it('expects each event with the relayed queue file and the first hop the generator wrote', () => {
    const first = built.expected[0] as ExpectedEvent;
    const s = relayed.find((x) => x.sesMessageId === first.sesMessageId) as MessageTruth;
    expect(first).toEqual({
      event: first.event,
      recipient: first.recipient,
      sesMessageId: s.sesMessageId,
      queueId: s.relayQueueId,
      clientIp: s.origin.type === 'smtpd' ? s.origin.clientIp : null,
      saslUsername: s.origin.type === 'smtpd' ? s.origin.saslUsername : null,
      uid: s.origin.type === 'pickup' ? s.origin.uid : null,
    });
  });

  it('is deterministic for a seed and cycles through the samples when n is larger', () => {
    expect(buildNotifications(samples, 300, 5).lines).toEqual(built.lines);
    const many = buildNotifications(samples, relayed.length + 3, 5);
    expect(many.distinct).toBe(relayed.length);
    const ses = (line: string) => {
      const r = parseNotification(line);
      return r.ok ? r.value.mail.messageId : null;
    };
    expect(ses(many.lines[relayed.length] as string)).toBe(ses(many.lines[0] as string));
  });

  it('refuses what it cannot build from, naming it', () => {
    expect(() => buildNotifications([], 1, 1)).toThrow('buildNotifications: no sample was relayed with an SES id');
    expect(() => buildNotifications(samples, 0, 1)).toThrow('buildNotifications: n must be a positive integer, got 0');
  });
});

describe('checkAnnotateOutput', () => {
  const a: ExpectedEvent = { event: 'bounce', recipient: 'a@x.example', sesMessageId: 'S1', queueId: 'Q1', clientIp: '10.0.0.1', saslUsername: 'app', uid: null };
  const b: ExpectedEvent = { event: 'delivery', recipient: 'b@x.example', sesMessageId: 'S2', queueId: 'Q2', clientIp: null, saslUsername: null, uid: 1000 };
  const c: ExpectedEvent = { ...b, recipient: 'c@x.example' };
  const line = (e: ExpectedEvent, over: Record<string, unknown> = {}) =>
    JSON.stringify({ event: e.event, recipient: e.recipient, sesMessageId: e.sesMessageId, queueId: e.queueId, clientIp: e.clientIp,
      saslUsername: e.saslUsername, uid: e.uid, matchedBy: 'ses-id', msg: '...', ...over });

  it('passes output with one matched event per expected recipient, in any order and case', () => {
    const out = [line(c), line({ ...a, recipient: 'A@X.example' }), line(b)].join('\n') + '\n';
    expect(checkAnnotateOutput(out, [a, b, c])).toEqual({
      events: 3, expected: 3, missing: 0, unexpected: 0, unmatched: 0, matchedBy: { 'ses-id': 3 }, originAgrees: 3, problems: [],
    });
  });

  it('counts missing, repeated, unmatched and wrongly attributed events', () => {
    const out = [line(a, { matchedBy: null, clientIp: null, queueId: null, saslUsername: null }), line(b, { uid: 33 }), line(b), 'oops'].join('\n');
    expect(checkAnnotateOutput(out, [a, b, c])).toEqual({
      events: 4,
      expected: 3,
      missing: 1,
      unexpected: 2,
      unmatched: 1,
      matchedBy: { null: 1, 'ses-id': 2 },
      originAgrees: 0,
      problems: [
        'no origin for bounce S1 a@x.example',
        'S1 a@x.example: got queue null ip null sasl null uid null, generator says queue Q1 ip 10.0.0.1 sasl app uid null',
        'S2 b@x.example: got queue Q2 ip null sasl null uid 33, generator says queue Q2 ip null sasl null uid 1000',
        'unexpected event delivery S2 b@x.example',
        'not JSON: oops',
      ],
    });
  });
});
