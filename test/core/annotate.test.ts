// Matching SES notifications against the index: the seed's real bounce and delivery, then each
// fallback of the contract's order.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { enrich, match, parsePostfixReceived } from '../../src/ses/annotate.js';
import { parseNotification, type SesNotification } from '../../src/ses/notification.js';
import { memoryIndex } from './helpers.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const seedLog = fixture('journal-short.log');

function notification(doc: unknown): SesNotification {
  const r = parseNotification(JSON.stringify(doc));
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

const bounceDoc = () => JSON.parse(fixture('ses-bounce.json')) as Record<string, any>;

describe('annotate', () => {
  it("names local uid 1000 and queue 084A213D8DD for the seed's bounce", () => {
    const { store, ingest } = memoryIndex(Date.UTC(2025, 11, 1));
    ingest(seedLog);
    const n = notification(bounceDoc());
    expect(enrich(n, match(n, store))).toEqual([
      {
        event: 'bounce',
        recipient: 'bounce@simulator.amazonses.com',
        sesMessageId: '0100019a49dd86e3-e2cb72de-442c-4bb6-91fb-473e87b9158b-000000',
        messageId: '6908ab66.sKstWi24GnruRFNe%test@www.non-97.net',
        queueId: '084A213D8DD',
        clientIp: null,
        clientHost: null,
        saslUsername: null,
        uid: 1000,
        sender: 'test@www.non-97.net',
        bounceType: 'Permanent',
        bounceSubType: 'General',
        status: '5.1.1',
        diagnosticCode: 'smtp; 550 5.1.1 As requested: user unknown <bounce@simulator.amazonses.com>',
        matchedBy: 'ses-id',
        msg: 'bounce (Permanent/General) bounce@simulator.amazonses.com queue 084A213D8DD from local uid 1000 (pickup)',
      },
    ]);
  });

  it("annotates the seed's delivery with its smtpResponse", () => {
    const { store, ingest } = memoryIndex(Date.UTC(2025, 11, 1));
    ingest(seedLog);
    const n = notification(JSON.parse(fixture('ses-delivery.json')));
    expect(enrich(n, match(n, store))).toMatchObject([
      {
        event: 'delivery',
        recipient: 'test@non-97.net',
        queueId: '8B02A13D8DD',
        uid: 1000,
        diagnosticCode: '250 OK 05rbrhrefe4lf1tl6mtfnhejk10ue88a8uq2c601',
        matchedBy: 'ses-id',
      },
    ]);
  });

  it('falls back to the Message-ID when the SES id is unknown', () => {
    const { store, ingest } = memoryIndex(Date.UTC(2025, 11, 1));
    ingest(seedLog);
    const doc = bounceDoc();
    doc.mail.messageId = '0100019a00000000-00000000-0000-0000-0000-000000000000-000000';
    const n = notification(doc);
    expect(match(n, store)).toMatchObject({ matchedBy: 'message-id', generation: { queueId: '084A213D8DD' } });
  });

  it("falls back to Postfix's Received header: by queue id in the index, else the header's own client", () => {
    const { store, ingest } = memoryIndex(Date.UTC(2025, 11, 1));
    ingest(seedLog);
    const doc = bounceDoc();
    doc.mail.messageId = '0100019a00000000-00000000-0000-0000-0000-000000000000-000000';
    delete doc.mail.commonHeaders.messageId;
    doc.mail.headers = doc.mail.headers.filter((h: { name: string }) => h.name !== 'Message-ID');
    expect(match(notification(doc), store)).toMatchObject({
      matchedBy: 'received-header',
      generation: { queueId: '084A213D8DD' },
      origin: { uid: 1000 },
    });

    const empty = memoryIndex().store;
    doc.mail.headers.unshift({
      name: 'Received',
      value: 'from app7.corp.example (app7.corp.example [10.20.30.40]) by internal-mta.www.non-97.net (Postfix) with ESMTP id 1A2B3C4D5E; Mon,  3 Nov 2025 13:17:25 +0000 (UTC)',
    });
    // Topmost of ours names the relaying queue file; with an empty index the bottom-most names the first hop.
    expect(match(notification(doc), empty)).toEqual({
      generation: null,
      matchedBy: 'received-header',
      origin: { queueId: '084A213D8DD', clientIp: null, clientHost: null, saslUsername: null, uid: 1000, sender: 'test@www.non-97.net', hops: 1 },
    });
  });

  it("takes the first hop from this MTA's own Received headers, not from an upstream Postfix's", () => {
    const doc = bounceDoc();
    doc.mail.messageId = '0100019a00000000-00000000-0000-0000-0000-000000000000-000000';
    delete doc.mail.commonHeaders.messageId;
    doc.mail.headers = [
      { name: 'Received', value: 'from mta.example.com (ec2 [54.175.6.40]) by email-smtp.amazonaws.com with SMTP (SimpleEmailService-d-X) id Q; Mon, 03 Nov 2025 13:17:26 +0000 (UTC)' },
      { name: 'Received', value: 'from app.example.com (app.example.com [10.0.0.5]) by mta.example.com (Postfix) with ESMTP id 4ABCD123; Mon,  3 Nov 2025 13:17:26 +0000 (UTC)' },
      { name: 'Received', value: 'by app.example.com (Postfix, from userid 33) id 9XYZ987; Mon,  3 Nov 2025 13:17:25 +0000 (UTC)' },
    ];
    expect(match(notification(doc), memoryIndex().store)).toEqual({
      generation: null,
      matchedBy: 'received-header',
      origin: { queueId: '4ABCD123', clientIp: '10.0.0.5', clientHost: 'app.example.com', saslUsername: null, uid: null, sender: 'test@www.non-97.net', hops: 0 },
    });
  });

  it('reports no origin when nothing matches', () => {
    const n = notification({ notificationType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'a@b.example' }], timestamp: '2025-11-03T13:17:26.000Z', feedbackId: 'f1' }, mail: { messageId: 'x', timestamp: '2025-11-03T13:17:26.000Z', source: 's@x', destination: ['a@b.example'] } });
    const [e] = enrich(n, match(n, memoryIndex().store));
    expect(e).toMatchObject({ event: 'complaint', recipient: 'a@b.example', matchedBy: null, clientIp: null, uid: null });
    expect(e!.msg).toBe('complaint a@b.example origin not found in the index');
  });

  it.each([
    [
      'from app1 (app1.example.com [10.1.2.3]) by mta.example.com (Postfix) with ESMTPS id 4Nv9Xr1Fkbz9vDk for <u@x>; Mon,  3 Nov 2025 13:17:26 +0000 (UTC)',
      { queueId: '4Nv9Xr1Fkbz9vDk', byHost: 'mta.example.com', fromHelo: 'app1', fromHost: 'app1.example.com', fromIp: '10.1.2.3', uid: null, date: Date.UTC(2025, 10, 3, 13, 17, 26) },
    ],
    [
      'from [IPv6:2001:db8::1] (unknown [IPv6:2001:db8::1]) by mta.example.com (Postfix) with ESMTP id D1B9013D8FF; Mon, 3 Nov 2025 13:17:26 +0000',
      { queueId: 'D1B9013D8FF', fromHost: 'unknown', fromIp: '2001:db8::1', uid: null },
    ],
    ['by internal-mta (Postfix, from userid 1000) id 084A213D8DD; Mon,  3 Nov 2025 13:17:26 +0000 (UTC)', { queueId: '084A213D8DD', fromIp: null, uid: 1000 }],
    ['from x by email-smtp.amazonaws.com with SMTP (SimpleEmailService-d-XI3EAGGVF) id NyMvucP82zZ6SHXSyFnP', null],
  ])('parses the Received header %s', (value, expected) => {
    const hop = parsePostfixReceived(value);
    if (expected === null) expect(hop).toBeNull();
    else expect(hop).toMatchObject(expected);
  });
});
