import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  MAX_DOCUMENT_BYTES,
  parseNotification,
  parseTimestamp,
  type SesNotification,
} from '../../src/ses/notification.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const read = (name: string): string => readFileSync(fixtures + name, 'utf8');
const sample = (name: string): Record<string, unknown> => JSON.parse(read(`ses/${name}`)) as Record<string, unknown>;
const t = (iso: string): number => Date.parse(iso);

function parsed(body: string): SesNotification {
  const r = parseNotification(body);
  if (!r.ok) throw new Error(`expected ok, got ${r.kind}: ${r.reason}`);
  return r.value;
}

/** Wraps a document the way SNS does for a subscription without RawMessageDelivery. */
function envelope(message: string, messageId = '9a8b7c6d-0000-5000-8000-000000000001'): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: 'arn:aws:sns:eu-west-1:210987654321:ses-feedback',
    Message: message,
    Timestamp: '2025-11-05T09:14:03.611Z',
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem',
    UnsubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe',
  });
}

describe('the real notifications in test/fixtures', () => {
  it('reads ses-bounce.json (identity notification, raw delivery) completely', () => {
    expect(parsed(read('ses-bounce.json'))).toEqual({
      kind: 'bounce',
      type: 'Bounce',
      snsMessageId: null,
      feedbackId: '0100019a49dd887e-6dc89010-952a-4acc-8782-f9dc9b524bf9-000000',
      timestamp: t('2025-11-03T13:17:26.000Z'),
      mail: {
        messageId: '0100019a49dd86e3-e2cb72de-442c-4bb6-91fb-473e87b9158b-000000',
        timestamp: t('2025-11-03T13:17:26.115Z'),
        source: 'test@www.non-97.net',
        sourceIp: '54.175.6.40',
        destination: ['bounce@simulator.amazonses.com'],
        headers: (JSON.parse(read('ses-bounce.json')) as { mail: { headers: Array<{ name: string; value: string }> } }).mail.headers,
        headersTruncated: false,
        headerMessageId: '<6908ab66.sKstWi24GnruRFNe%test@www.non-97.net>',
      },
      recipients: [
        {
          address: 'bounce@simulator.amazonses.com',
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: 'smtp; 550 5.1.1 As requested: user unknown <bounce@simulator.amazonses.com>',
        },
      ],
      bounceType: 'Permanent',
      bounceSubType: 'General',
      complaintFeedbackType: null,
      complaintSubType: null,
      smtpResponse: null,
      delayType: null,
    } satisfies SesNotification);
  });

  it('reads ses-delivery.json and keeps the 11 original headers in order', () => {
    const n = parsed(read('ses-delivery.json'));
    expect(n).toMatchObject({
      kind: 'delivery',
      type: 'Delivery',
      feedbackId: null,
      timestamp: t('2025-11-03T13:20:32.224Z'),
      recipients: [{ address: 'test@non-97.net', action: null, status: null, diagnosticCode: null }],
      smtpResponse: '250 OK 05rbrhrefe4lf1tl6mtfnhejk10ue88a8uq2c601',
      bounceType: null,
    });
    expect(n.mail.messageId).toBe('0100019a49e05ba8-7802f098-b7cd-48a3-b22f-b3d0499dae58-000000');
    expect(n.mail.headers.map((h) => h.name)).toEqual([
      'Received', 'Received', 'Date', 'From', 'To', 'Subject', 'Message-ID', 'User-Agent', 'MIME-Version',
      'Content-Type', 'Content-Transfer-Encoding',
    ]);
    expect(n.mail.headers[1]!.value).toContain('id 8B02A13D8DD');
  });
});

describe('every kind, from the samples in test/fixtures/ses', () => {
  // [file, kind, type, event timestamp, recipients (address/status), other fields]
  const table: Array<[string, Partial<SesNotification> & { addresses: Array<[string, string | null]> }]> = [
    ['identity-bounce-multi.json', {
      kind: 'bounce', type: 'Bounce', timestamp: t('2025-11-05T09:14:03.000Z'),
      feedbackId: '0102019a52b1c0de-6f1e2a44-1b7c-4d33-9a0e-5c8f3e2d1a90-000000',
      bounceType: 'Permanent', bounceSubType: 'General',
      addresses: [['no.such.user@customer-a.example', '5.1.1'], ['old.address@customer-a.example', '5.1.1']],
    }],
    ['identity-bounce-transient-noheaders.json', {
      kind: 'bounce', type: 'Bounce', timestamp: t('2025-11-05T21:40:11.000Z'),
      bounceType: 'Transient', bounceSubType: 'MailboxFull', addresses: [['full.box@customer-b.example', '5.2.2']],
    }],
    ['identity-complaint.json', {
      kind: 'complaint', type: 'Complaint', timestamp: t('2025-11-06T08:02:44.000Z'),
      feedbackId: '0102019a54d1e2f3-a4b5c6d7-e8f9-4a0b-9c1d-2e3f4a5b6c7d-000000',
      complaintFeedbackType: 'abuse', complaintSubType: null, bounceType: null,
      addresses: [['annoyed@mail.customer-c.example', null]],
    }],
    ['identity-delivery.json', {
      kind: 'delivery', type: 'Delivery', timestamp: t('2025-11-05T10:01:34.512Z'),
      smtpResponse: '250 2.0.0 Ok: queued as 4dPqL6Bq2Tz1x9', addresses: [['buyer@customer-a.example', null]],
    }],
    ['identity-subscription-succeeded.json', { kind: 'subscription', type: 'AmazonSnsSubscriptionSucceeded', timestamp: null, addresses: [] }],
    ['event-bounce.json', {
      kind: 'bounce', type: 'Bounce', timestamp: t('2025-11-06T12:00:01.207Z'), bounceType: 'Permanent',
      bounceSubType: 'Suppressed', addresses: [['suppressed@customer-d.example', '5.1.1']],
    }],
    ['event-complaint.json', {
      kind: 'complaint', type: 'Complaint', timestamp: t('2025-11-06T15:22:10.000Z'), complaintFeedbackType: 'abuse',
      addresses: [['spam.clicker@customer-e.example', null]],
    }],
    ['event-delivery.json', {
      kind: 'delivery', type: 'Delivery', timestamp: t('2025-11-06T09:00:03.004Z'),
      addresses: [['accounts@customer-f.example', null], ['ceo@customer-f.example', null]],
    }],
    ['event-send.json', {
      kind: 'send', type: 'Send', timestamp: null,
      addresses: [['accounts@customer-f.example', null], ['ceo@customer-f.example', null]],
    }],
    ['event-reject.json', { kind: 'reject', type: 'Reject', timestamp: null, addresses: [['partner@customer-g.example', null]] }],
    ['event-open.json', { kind: 'open', type: 'Open', timestamp: t('2025-11-06T09:41:17.552Z'), addresses: [['accounts@customer-f.example', null]] }],
    ['event-click.json', { kind: 'click', type: 'Click', timestamp: t('2025-11-06T09:42:03.019Z'), addresses: [['accounts@customer-f.example', null]] }],
    ['event-rendering-failure.json', {
      kind: 'rendering-failure', type: 'Rendering Failure', timestamp: null, addresses: [['someone@customer-h.example', null]],
    }],
    ['event-delivery-delay.json', {
      kind: 'delay', type: 'DeliveryDelay', timestamp: t('2025-11-06T14:10:00.321Z'),
      delayType: 'TransientCommunicationFailure', addresses: [['slow@customer-i.example', '4.4.7']],
    }],
    ['event-subscription.json', {
      kind: 'subscription', type: 'Subscription', timestamp: t('2025-11-04T19:12:45.000Z'),
      addresses: [['reader@customer-j.example', null]],
    }],
  ];

  for (const [file, { addresses, ...fields }] of table) {
    it(`${file}: raw and wrapped in an SNS envelope give the same result`, () => {
      const body = read(`ses/${file}`);
      const raw = parsed(body);
      expect(raw).toMatchObject({ ...fields, snsMessageId: null });
      expect(raw.recipients.map((r) => [r.address, r.status])).toEqual(addresses);
      const wrapped = parsed(envelope(JSON.stringify(JSON.parse(body)), 'c0ffee00-1111-5222-8333-444455556666'));
      expect(wrapped).toEqual({ ...raw, snsMessageId: 'c0ffee00-1111-5222-8333-444455556666' });
    });
  }

  it('takes the mail object as a whole (headers, Message-ID, source IP) from an event record', () => {
    const n = parsed(read('ses/event-delivery-delay.json'));
    expect(n.mail).toEqual({
      messageId: '0102019a5616a0b0-b1c2d3e4-f5a6-4b7c-8d9e-0fa1b2c3d4e5-000000',
      timestamp: t('2025-11-06T14:00:00.500Z'),
      source: 'billing@shop.example.net',
      sourceIp: '203.0.113.25',
      destination: ['slow@customer-i.example'],
      headers: (sample('event-delivery-delay.json')['mail'] as { headers: unknown }).headers,
      headersTruncated: false,
      headerMessageId: '<20251106140000.9A8B7C6D5E@app03.internal.shop.example.net>',
    });
    expect(n.recipients).toEqual([
      {
        address: 'slow@customer-i.example',
        action: null,
        status: '4.4.7',
        diagnosticCode: 'smtp; 421 4.4.7 Connection timed out while talking to mx.customer-i.example',
      },
    ]);
  });

  it('gives an empty mail for a notification sent without original headers', () => {
    const n = parsed(read('ses/identity-bounce-transient-noheaders.json'));
    expect(n.mail.headers).toEqual([]);
    expect(n.mail.headerMessageId).toBeNull();
    expect(n.mail.headersTruncated).toBe(false);
    expect(n.mail.messageId).toBe('0102019a52c07e55-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d-000000');
  });

  it('reads the SNS envelope samples: bounce and delivery delay carry the SNS MessageId', () => {
    expect(parsed(read('ses/sns-bounce.json'))).toEqual({
      ...parsed(read('ses/identity-bounce-multi.json')),
      snsMessageId: '7f3c2a1b-0d9e-5f8a-b7c6-d5e4f3a2b1c0',
    });
    expect(parsed(read('ses/sns-delivery-delay.json'))).toMatchObject({
      kind: 'delay',
      snsMessageId: '0e1d2c3b-4a59-5687-a9b8-c7d6e5f4a3b2',
      delayType: 'TransientCommunicationFailure',
    });
  });

  it('parses every sample in test/fixtures/ses without an internal failure', () => {
    const files = readdirSync(fixtures + 'ses').filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const f of files) {
      const r = parseNotification(read(`ses/${f}`));
      const expectOk = !/subscription-confirmation|unsubscribe|topic-validation/.test(f);
      expect({ f, ok: r.ok }).toEqual({ f, ok: expectOk });
    }
  });
});

describe('SNS set-up messages', () => {
  it('a SubscriptionConfirmation is kind subscription and names the SubscribeURL', () => {
    const body = read('ses/sns-subscription-confirmation.json');
    const url = (JSON.parse(body) as { SubscribeURL: string }).SubscribeURL;
    const r = parseNotification(body);
    expect(r).toEqual({
      ok: false,
      kind: 'subscription',
      reason: `SNS SubscriptionConfirmation for topic arn:aws:sns:eu-west-1:210987654321:ses-feedback; SubscribeURL: ${url}`,
    });
  });

  it('an UnsubscribeConfirmation is kind subscription and names the SubscribeURL', () => {
    const r = parseNotification(read('ses/sns-unsubscribe-confirmation.json'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe('subscription');
    expect(r.reason).toMatch(/^SNS UnsubscribeConfirmation for topic .*SubscribeURL: https:\/\/sns\.eu-west-1\.amazonaws\.com\/\?Action=ConfirmSubscription/);
  });

  it("SES's topic validation text is kind subscription, wrapped or raw", () => {
    for (const body of [read('ses/sns-topic-validation.json'), 'Successfully validated SNS topic for Amazon SES event publishing.']) {
      expect(parseNotification(body)).toEqual({
        ok: false,
        kind: 'subscription',
        reason: 'SES event-publishing topic validation message: Successfully validated SNS topic for Amazon SES event publishing.',
      });
    }
  });
});

describe('tolerance', () => {
  it('ignores unknown fields at every level, and the Subject: null and MessageAttributes fauxqs adds', () => {
    const doc = sample('identity-delivery.json') as Record<string, Record<string, unknown>>;
    doc['futureField'] = { nested: [1, 2] } as never;
    doc['mail']!['newMailField'] = 'x';
    doc['delivery']!['newDeliveryField'] = 42;
    const body = JSON.stringify({ ...JSON.parse(envelope(JSON.stringify(doc))), Subject: null, MessageAttributes: {} });
    expect(parsed(body)).toEqual({ ...parsed(read('ses/identity-delivery.json')), snsMessageId: '9a8b7c6d-0000-5000-8000-000000000001' });
  });

  it('keeps an unknown eventType as kind other, with mail.destination as recipients', () => {
    const doc: Record<string, unknown> = { ...sample('event-send.json'), eventType: 'Unsubscribe' };
    delete doc['send'];
    expect(parsed(JSON.stringify(doc))).toMatchObject({
      kind: 'other',
      type: 'Unsubscribe',
      recipients: [
        { address: 'accounts@customer-f.example', action: null, status: null, diagnosticCode: null },
        { address: 'ceo@customer-f.example', action: null, status: null, diagnosticCode: null },
      ],
    });
  });

  it('falls back to the Message-ID header when commonHeaders has none, case-insensitively', () => {
    const doc = sample('identity-delivery.json') as { mail: { commonHeaders?: unknown; headers: Array<{ name: string; value: string }> } };
    delete doc.mail.commonHeaders;
    doc.mail.headers = [{ name: 'message-id', value: '  <abc@host.example>  ' }];
    expect(parsed(JSON.stringify(doc)).mail.headerMessageId).toBe('<abc@host.example>');
  });

  it('reads an unparseable timestamp as null rather than rejecting the notification', () => {
    const doc = sample('identity-delivery.json') as { delivery: { timestamp: string } };
    doc.delivery.timestamp = 'yesterday-ish';
    expect(parsed(JSON.stringify(doc)).timestamp).toBeNull();
  });

  it.each([
    ['2016-01-27T14:59:38.237Z', Date.UTC(2016, 0, 27, 14, 59, 38, 237)],
    ['2018-10-08T14:05:45 +0000', Date.UTC(2018, 9, 8, 14, 5, 45)],
    ['2009-12-03T04:24:21.000-05:00', Date.UTC(2009, 11, 3, 9, 24, 21)],
    ['2024-04-25T18:10:04.973666+03:00', Date.UTC(2024, 3, 25, 15, 10, 4, 973)],
    ['not a date', null],
  ])('parseTimestamp(%j) = %j', (s, ms) => {
    expect(parseTimestamp(s)).toBe(ms);
  });
});

describe('bad input is ok:false with a reason naming the problem, never a throw', () => {
  const bounce = (): Record<string, Record<string, unknown>> =>
    sample('identity-bounce-multi.json') as Record<string, Record<string, unknown>>;
  const withBounce = (patch: Record<string, unknown>): string => {
    const d = bounce();
    Object.assign(d['bounce']!, patch);
    return JSON.stringify(d);
  };
  const big = (): string => {
    const d = bounce();
    d['mail']!['padding'] = 'x'.repeat(300 * 1024);
    return JSON.stringify(d);
  };

  const cases: Array<[string, string, string, RegExp]> = [
    ['not JSON', 'hello there', 'not-json', /^body is not JSON \(.*\): hello there$/],
    ['an empty body', '', 'not-json', /^body is not JSON/],
    ['truncated JSON', read('ses-bounce.json').slice(0, 200), 'not-json', /^body is not JSON/],
    ['null', 'null', 'invalid', /^body is null, not an object$/],
    ['an array', '[{"notificationType":"Bounce"}]', 'invalid', /^body is an array, not an object$/],
    ['a number', '42', 'invalid', /^body is the number 42, not an object$/],
    ['a JSON string', '"Bounce"', 'invalid', /^body is the string "Bounce", not an object$/],
    ['an object with neither type field', '{"foo":1,"bar":2}', 'unsupported', /^not an SES notification: no notificationType or eventType \(keys: foo, bar\)$/],
    ['a numeric notificationType', '{"notificationType":7,"mail":{}}', 'invalid', /^notificationType is the number 7, not a string$/],
    ['missing mail', JSON.stringify({ ...bounce(), mail: undefined }), 'invalid', /^mail is missing$/],
    ['mail as a string', JSON.stringify({ ...bounce(), mail: 'm' }), 'invalid', /^mail is the string "m", not an object$/],
    ['a bounce with no bounce object', JSON.stringify({ ...bounce(), bounce: undefined }), 'invalid', /^bounce is missing from a Bounce notification$/],
    ['bounce: null', JSON.stringify({ ...bounce(), bounce: null }), 'invalid', /^bounce is null, not an object$/],
    ['bouncedRecipients not an array', withBounce({ bouncedRecipients: { emailAddress: 'a@b' } }), 'invalid', /^bounce\.bouncedRecipients is an object, not an array$/],
    ['bouncedRecipients missing', withBounce({ bouncedRecipients: undefined }), 'invalid', /^bounce\.bouncedRecipients is missing$/],
    ['a recipient without emailAddress', withBounce({ bouncedRecipients: [{ emailAddress: 'a@b' }, { status: '5.1.1' }] }), 'invalid', /^bounce\.bouncedRecipients\[1\]\.emailAddress is missing, not a string$/],
    ['a recipient that is a string', withBounce({ bouncedRecipients: ['a@b'] }), 'invalid', /^bounce\.bouncedRecipients\[0\] is the string "a@b", not an object$/],
    ['a numeric bounceType', withBounce({ bounceType: 5 }), 'invalid', /^bounce\.bounceType is the number 5, not a string$/],
    ['a numeric timestamp', withBounce({ timestamp: 1730000000 }), 'invalid', /^bounce\.timestamp is the number 1730000000, not a string$/],
    ['destination not an array', JSON.stringify({ ...bounce(), mail: { ...bounce()['mail'], destination: 'a@b' } }), 'invalid', /^mail\.destination is the string "a@b", not an array$/],
    ['a header without value', JSON.stringify({ ...bounce(), mail: { ...bounce()['mail'], headers: [{ name: 'X' }] } }), 'invalid', /^mail\.headers\[0\]\.value is missing, not a string$/],
    ['headersTruncated as a string', JSON.stringify({ ...bounce(), mail: { ...bounce()['mail'], headersTruncated: 'no' } }), 'invalid', /^mail\.headersTruncated is the string "no", not a boolean$/],
    ['delivery.recipients of numbers', JSON.stringify({ ...sample('identity-delivery.json'), delivery: { recipients: [1] } }), 'invalid', /^delivery\.recipients\[0\] is the number 1, not a string$/],
    ['complainedRecipients as a string', JSON.stringify({ ...sample('identity-complaint.json'), complaint: { complainedRecipients: 'x' } }), 'invalid', /^complaint\.complainedRecipients is the string "x", not an array$/],
    ['an open record whose open is an array', JSON.stringify({ ...sample('event-open.json'), open: [] }), 'invalid', /^open is an array, not an object$/],
    ['an envelope with a broken Message', envelope('{"notificationType":"Bounce","mail":'), 'invalid', /^SNS envelope Message is not JSON \(.*\): \{"notificationType":"Bounce","mail":$/],
    ['an envelope whose Message is an object', JSON.stringify({ Type: 'Notification', Message: { notificationType: 'Bounce' } }), 'invalid', /^SNS envelope Message is an object, not a string$/],
    ['an envelope without Message', JSON.stringify({ Type: 'Notification', MessageId: 'x' }), 'invalid', /^SNS envelope Message is missing$/],
    ['an envelope with a numeric MessageId', JSON.stringify({ Type: 'Notification', MessageId: 1, Message: read('ses-bounce.json') }), 'invalid', /^SNS envelope\.MessageId is the number 1, not a string$/],
    ['an envelope with Type null', JSON.stringify({ Type: null, Message: '{}' }), 'invalid', /^SNS envelope Type is null, not a string$/],
    ['an envelope of another Type', JSON.stringify({ Type: 'Heartbeat', Message: '{}' }), 'unsupported', /^SNS envelope Type "Heartbeat" is not supported$/],
    ['an envelope whose Message is JSON null', envelope('null'), 'invalid', /^SNS envelope Message is null, not an object$/],
    ['a 300 KB raw document', big(), 'invalid', new RegExp(`^body is \\d+ bytes, over the ${MAX_DOCUMENT_BYTES}-byte limit for an SES notification$`)],
    ['a 300 KB document in an envelope', envelope(big()), 'invalid', new RegExp(`^SNS envelope Message is \\d+ bytes, over the ${MAX_DOCUMENT_BYTES}-byte limit`)],
    ['a 600 KB envelope', envelope('"'.repeat(300 * 1024)), 'invalid', /^body is \d+ bytes, over the 524288-byte limit for an SNS envelope$/],
  ];

  it.each(cases)('%s', (_name, body, kind, reason) => {
    const r = parseNotification(body);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe(kind);
    expect(r.reason).toMatch(reason);
  });

  it('does not throw for a non-string body (callers in plain JS)', () => {
    expect(parseNotification(undefined as unknown as string)).toEqual({ ok: false, kind: 'invalid', reason: 'body is missing, not a string' });
    expect(parseNotification(12 as unknown as string)).toEqual({ ok: false, kind: 'invalid', reason: 'body is the number 12, not a string' });
  });

  it('survives every field of every sample replaced by every JSON type', () => {
    // Walks each sample's tree and swaps one value at a time; a crash here would be an internal failure.
    const replacements: unknown[] = [null, 0, 'x', true, [], {}, [null], [{}]];
    let variants = 0;
    let accepted = 0;
    const files = readdirSync(fixtures + 'ses').filter((f) => f.startsWith('identity-') || f.startsWith('event-'));
    for (const f of files) {
      const doc = sample(f);
      const paths: Array<Array<string | number>> = [];
      const walk = (v: unknown, path: Array<string | number>): void => {
        if (path.length > 0) paths.push(path);
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
        else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
      };
      walk(doc, []);
      for (const path of paths) {
        for (const rep of replacements) {
          const copy = JSON.parse(JSON.stringify(doc)) as Record<string | number, unknown>;
          let parent: Record<string | number, unknown> = copy;
          for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
          parent[path[path.length - 1]!] = rep;
          for (const body of [JSON.stringify(copy), envelope(JSON.stringify(copy))]) {
            const r = parseNotification(body);
            variants++;
            if (r.ok) accepted++;
            else expect(r.reason).not.toMatch(/notification parser failed/);
          }
        }
      }
    }
    expect(variants).toBeGreaterThan(5000);
    // Both outcomes must occur: unknown-field swaps are accepted, type errors in known fields are not.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(variants);
  });
});
