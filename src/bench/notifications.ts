// SES notifications for messages the generator's ground truth says were relayed, and the check of
// what `annotate` printed for them. Pure: the annotate section does the I/O.
// Shapes follow test/fixtures/ses/*.json (identity notifications as SES sends them to SNS) and
// test/helpers/ses-standin.ts; about half are wrapped in an SNS envelope, half are raw delivery.
import type { MessageTruth } from './generate.js';
import { Rng } from './generate.js';

export type NotificationKind = 'bounce' | 'complaint' | 'delivery';

export interface ExpectedEvent {
  event: NotificationKind;
  recipient: string;
  sesMessageId: string;
  queueId: string;
  clientIp: string | null;
  saslUsername: string | null;
  uid: number | null;
}

export interface BuiltNotifications {
  /** One JSON document per line. */
  lines: string[];
  expected: ExpectedEvent[];
  kinds: Record<NotificationKind, number>;
  envelopes: number;
  /** Distinct relayed messages the notifications are about. */
  distinct: number;
}

const HEX = '0123456789abcdef';

function hex(rng: Rng, n: number): string {
  return rng.chars(HEX, n);
}

function uuid(rng: Rng): string {
  return `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-a${hex(rng, 3)}-${hex(rng, 12)}`;
}

function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

function originOf(s: MessageTruth): Pick<ExpectedEvent, 'clientIp' | 'saslUsername' | 'uid'> {
  return s.origin.type === 'smtpd'
    ? { clientIp: s.origin.clientIp, saslUsername: s.origin.saslUsername, uid: null }
    : { clientIp: null, saslUsername: null, uid: s.origin.uid };
}

function mailOf(s: MessageTruth, sentMs: number): Record<string, unknown> {
  const to = s.recipients.join(', ');
  const from = s.sender;
  const received =
    s.origin.type === 'smtpd'
      ? `from ${s.origin.clientHost} (${s.origin.clientHost} [${s.origin.clientIp}]) by relay1.example.net (Postfix) with ESMTP${s.origin.saslUsername === null ? '' : 'SA'} id ${s.queueId}; ${rfc2822(sentMs)}`
      : `by relay1.example.net (Postfix, from userid ${s.origin.uid}) id ${s.queueId}; ${rfc2822(sentMs)}`;
  const headers = [
    { name: 'Received', value: `from relay1.example.net (relay1.example.net [203.0.113.25]) by email-smtp.amazonaws.com with SMTP (SimpleEmailService-d-8QK2M1ZVF) id 4XbnWq0mZ7v1Cq3H for ${to}; ${rfc2822(sentMs)}` },
    { name: 'Received', value: received },
    { name: 'Date', value: rfc2822(sentMs) },
    { name: 'From', value: from },
    { name: 'To', value: to },
    { name: 'Subject', value: 'Your order' },
    ...(s.messageId === null ? [] : [{ name: 'Message-ID', value: `<${s.messageId}>` }]),
  ];
  return {
    timestamp: new Date(sentMs).toISOString(),
    source: from,
    sourceArn: 'arn:aws:ses:us-east-1:210987654321:identity/example.net',
    sourceIp: '203.0.113.25',
    callerIdentity: 'ses-smtp-user.20250114-101502',
    sendingAccountId: '210987654321',
    messageId: s.sesMessageId,
    destination: s.recipients,
    headersTruncated: false,
    headers,
    commonHeaders: {
      from: [from],
      date: rfc2822(sentMs),
      to: s.recipients,
      ...(s.messageId === null ? {} : { messageId: `<${s.messageId}>` }),
      subject: 'Your order',
    },
  };
}

/**
 * `n` notifications about relayed samples (cycling through them when n is larger): half bounces
 * (a fifth of them for every recipient, the rest for one), a tenth complaints, the rest deliveries.
 */
export function buildNotifications(samples: readonly MessageTruth[], n: number, seed: number): BuiltNotifications {
  const sent = samples.filter((s) => s.outcome === 'sent' && s.sesMessageId !== null && s.recipients.length > 0);
  if (sent.length === 0) throw new Error('buildNotifications: no sample was relayed with an SES id');
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`buildNotifications: n must be a positive integer, got ${n}`);
  const rng = new Rng(seed);
  const out: BuiltNotifications = { lines: [], expected: [], kinds: { bounce: 0, complaint: 0, delivery: 0 }, envelopes: 0, distinct: Math.min(n, sent.length) };
  for (let i = 0; i < n; i++) {
    const s = sent[i % sent.length] as MessageTruth;
    const ses = s.sesMessageId as string;
    const sentMs = Date.parse(s.time) + 1000 + s.deferrals * 300_000;
    const at = new Date(sentMs + rng.int(500, 30_000)).toISOString();
    const roll = rng.float();
    const kind: NotificationKind = roll < 0.5 ? 'bounce' : roll < 0.6 ? 'complaint' : 'delivery';
    let affected: string[];
    const doc: Record<string, unknown> = {};
    if (kind === 'bounce') {
      affected = rng.chance(0.2) ? s.recipients : [rng.pick(s.recipients)];
      const transient = rng.chance(0.15);
      doc['notificationType'] = 'Bounce';
      doc['bounce'] = {
        feedbackId: `0100${hex(rng, 12)}-${uuid(rng)}-000000`,
        bounceType: transient ? 'Transient' : 'Permanent',
        bounceSubType: transient ? 'MailboxFull' : 'General',
        bouncedRecipients: affected.map((r) => ({
          emailAddress: r,
          action: 'failed',
          status: transient ? '4.2.2' : '5.1.1',
          diagnosticCode: transient ? `smtp; 452 4.2.2 <${r}>: Mailbox full` : `smtp; 550 5.1.1 <${r}>: Recipient address rejected: User unknown`,
        })),
        timestamp: at,
        remoteMtaIp: '198.51.100.7',
        reportingMTA: 'dns; a8-30.smtp-out.amazonses.com',
      };
    } else if (kind === 'complaint') {
      affected = [rng.pick(s.recipients)];
      doc['notificationType'] = 'Complaint';
      doc['complaint'] = {
        feedbackId: `0100${hex(rng, 12)}-${uuid(rng)}-000000`,
        complaintSubType: null,
        complainedRecipients: affected.map((r) => ({ emailAddress: r })),
        timestamp: at,
        userAgent: 'ExampleMail Feedback Loop (V1.2)',
        complaintFeedbackType: 'abuse',
        arrivalDate: at,
      };
    } else {
      affected = s.recipients;
      doc['notificationType'] = 'Delivery';
      doc['delivery'] = {
        timestamp: at,
        processingTimeMillis: rng.int(300, 3000),
        recipients: affected,
        smtpResponse: '250 2.0.0 OK  1730800000 a1b2c3d4e5f6-1234567890abcdef.123 - gsmtp',
        remoteMtaIp: '142.250.27.27',
        reportingMTA: 'a8-30.smtp-out.amazonses.com',
      };
    }
    doc['mail'] = mailOf(s, sentMs);
    out.kinds[kind]++;
    const bare = JSON.stringify(doc);
    if (rng.chance(0.5)) {
      out.envelopes++;
      out.lines.push(JSON.stringify({
        Type: 'Notification',
        MessageId: uuid(rng),
        TopicArn: 'arn:aws:sns:us-east-1:210987654321:ses-feedback',
        Message: bare,
        Timestamp: at,
        SignatureVersion: '1',
        Signature: 'EXAMPLE',
        SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-bench.pem',
        UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
      }));
    } else {
      out.lines.push(bare);
    }
    for (const r of affected) {
      out.expected.push({ event: kind, recipient: r, sesMessageId: ses, queueId: s.relayQueueId, ...originOf(s) });
    }
  }
  return out;
}

export interface AnnotateCheck {
  /** Output lines (events) annotate printed. */
  events: number;
  expected: number;
  /** Expected events that no output line matched. */
  missing: number;
  /** Output lines that matched no expected event (or repeated one). */
  unexpected: number;
  /** Output lines with matchedBy null. */
  unmatched: number;
  matchedBy: Record<string, number>;
  /** Matched events whose queue id and first hop (client IP, SASL user, uid) are the generator's. */
  originAgrees: number;
  /** A few disagreements, for diagnosis. */
  problems: string[];
}

function keyOf(event: string, sesMessageId: string | null, recipient: string | null): string {
  return `${event}\n${sesMessageId ?? ''}\n${(recipient ?? '').toLowerCase()}`;
}

/** Compares annotate's JSON lines with what the notifications called for: one event per affected recipient. */
export function checkAnnotateOutput(output: string, expected: readonly ExpectedEvent[]): AnnotateCheck {
  const want = new Map<string, ExpectedEvent[]>();
  for (const e of expected) {
    const k = keyOf(e.event, e.sesMessageId, e.recipient);
    const list = want.get(k);
    if (list) list.push(e);
    else want.set(k, [e]);
  }
  const r: AnnotateCheck = { events: 0, expected: expected.length, missing: 0, unexpected: 0, unmatched: 0, matchedBy: {}, originAgrees: 0, problems: [] };
  const problem = (p: string): void => {
    if (r.problems.length < 10) r.problems.push(p);
  };
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf('\n', start);
    if (end === -1) end = output.length;
    const line = output.slice(start, end);
    start = end + 1;
    if (line.trim() === '') continue;
    r.events++;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      r.unexpected++;
      problem(`not JSON: ${line.slice(0, 120)}`);
      continue;
    }
    const matchedBy = e['matchedBy'] === null || e['matchedBy'] === undefined ? 'null' : String(e['matchedBy']);
    r.matchedBy[matchedBy] = (r.matchedBy[matchedBy] ?? 0) + 1;
    if (matchedBy === 'null') {
      r.unmatched++;
      problem(`no origin for ${String(e['event'])} ${String(e['sesMessageId'])} ${String(e['recipient'])}`);
    }
    const list = want.get(keyOf(String(e['event']), e['sesMessageId'] as string | null, e['recipient'] as string | null));
    const x = list?.pop();
    if (x === undefined) {
      r.unexpected++;
      problem(`unexpected event ${String(e['event'])} ${String(e['sesMessageId'])} ${String(e['recipient'])}`);
      continue;
    }
    if (e['queueId'] === x.queueId && e['clientIp'] === x.clientIp && e['saslUsername'] === x.saslUsername && e['uid'] === x.uid) {
      r.originAgrees++;
    } else {
      problem(`${x.sesMessageId} ${x.recipient}: got queue ${String(e['queueId'])} ip ${String(e['clientIp'])} sasl ${String(e['saslUsername'])} uid ${String(e['uid'])}, generator says queue ${x.queueId} ip ${String(x.clientIp)} sasl ${String(x.saslUsername)} uid ${String(x.uid)}`);
    }
  }
  for (const list of want.values()) r.missing += list.length;
  return r;
}
