// SES notification documents -> SesNotification.
// A body is either an SNS envelope (`Type: "Notification"`, the SES JSON as a string in `Message`) or
// the bare SES JSON (a subscription with RawMessageDelivery). Both the identity notifications
// (`notificationType`) and event publishing (`eventType`) shapes are read; fields we do not use are
// ignored because SES documents that it adds fields at will.
// Pure: no I/O, no clock. Never throws: every problem becomes { ok: false, reason } naming the input.

export type SesEventKind =
  | 'bounce'
  | 'complaint'
  | 'delivery'
  | 'delay'
  | 'send'
  | 'reject'
  | 'open'
  | 'click'
  | 'rendering-failure'
  | 'subscription'
  | 'other';

export interface SesRecipient {
  address: string;
  action: string | null;
  status: string | null;
  diagnosticCode: string | null;
}

export interface SesMail {
  messageId: string | null;
  timestamp: number | null;
  source: string | null;
  sourceIp: string | null;
  destination: string[];
  headers: { name: string; value: string }[];
  headersTruncated: boolean;
  /** commonHeaders.messageId, else the Message-ID header; trimmed, brackets kept as sent. */
  headerMessageId: string | null;
}

export interface SesNotification {
  kind: SesEventKind;
  /** The raw notificationType or eventType. */
  type: string;
  /** The SNS envelope's MessageId when the body was wrapped; null for raw delivery. */
  snsMessageId: string | null;
  /** bounce/complaint feedbackId; null otherwise. */
  feedbackId: string | null;
  /** Milliseconds: the event's own timestamp (bounce.timestamp, delivery.timestamp...). */
  timestamp: number | null;
  mail: SesMail;
  /** The affected recipients; for kinds without their own list (send, reject...) mail.destination. */
  recipients: SesRecipient[];
  bounceType: string | null;
  bounceSubType: string | null;
  complaintFeedbackType: string | null;
  complaintSubType: string | null;
  /** delivery.smtpResponse */
  smtpResponse: string | null;
  /** deliveryDelay.delayType */
  delayType: string | null;
}

export type ParseFailureKind = 'not-json' | 'subscription' | 'unsupported' | 'invalid';

export type ParseNotificationResult =
  | { ok: true; value: SesNotification }
  | { ok: false; reason: string; kind: ParseFailureKind };

/**
 * SNS refuses to publish more than 256 KiB, and SES truncates the headers it copies at 10 KB, so a
 * real SES document is far below this; anything larger is not one and is not worth parsing.
 */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
/** The envelope escapes the document's quotes inside `Message`, so it may be larger than the document. */
export const MAX_ENVELOPE_BYTES = 2 * MAX_DOCUMENT_BYTES;

/** What SES publishes (as the bare message text, not JSON) when an event destination is added to a topic. */
const TOPIC_VALIDATION_TEXT = 'Successfully validated SNS topic for Amazon SES event publishing';

const KIND_BY_TYPE: Readonly<Record<string, SesEventKind>> = {
  Bounce: 'bounce',
  Complaint: 'complaint',
  Delivery: 'delivery',
  DeliveryDelay: 'delay',
  Send: 'send',
  Reject: 'reject',
  Open: 'open',
  Click: 'click',
  'Rendering Failure': 'rendering-failure',
  // Not the documented spelling, but seen in the wild in consumers' tables; costs nothing to accept.
  RenderingFailure: 'rendering-failure',
  Subscription: 'subscription',
  AmazonSnsSubscriptionSucceeded: 'subscription',
};

/** Where the per-kind detail object lives in an event-publishing record. */
const DETAIL_KEY: Readonly<Record<SesEventKind, string | null>> = {
  bounce: 'bounce',
  complaint: 'complaint',
  delivery: 'delivery',
  delay: 'deliveryDelay',
  send: 'send',
  reject: 'reject',
  open: 'open',
  click: 'click',
  'rendering-failure': 'failure',
  subscription: 'subscription',
  other: null,
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Thrown inside this module only, to unwind from a deep field check to parseNotification. */
class Invalid extends Error {
  constructor(
    readonly reason: string,
    readonly kind: ParseFailureKind = 'invalid',
  ) {
    super(reason);
  }
}

export function parseNotification(body: string): ParseNotificationResult {
  try {
    return { ok: true, value: parseBody(body) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.reason, kind: e.kind };
    // A bug in this module must not take the consumer down with it; say so instead.
    return { ok: false, kind: 'invalid', reason: `notification parser failed: ${String(e)}` };
  }
}

function parseBody(body: string): SesNotification {
  if (typeof body !== 'string') throw new Invalid(`body is ${describe(body as Json)}, not a string`);
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_ENVELOPE_BYTES) {
    throw new Invalid(`body is ${bytes} bytes, over the ${MAX_ENVELOPE_BYTES}-byte limit for an SNS envelope`);
  }
  if (body.trimStart().startsWith(TOPIC_VALIDATION_TEXT)) {
    throw new Invalid(`SES event-publishing topic validation message: ${clip(body.trim())}`, 'subscription');
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(body) as Json;
  } catch (e) {
    throw new Invalid(`body is not JSON (${errorText(e)}): ${clip(body)}`, 'not-json');
  }
  const top = asObject(parsed, 'body');
  if ('Type' in top) return parseEnvelope(top);
  checkDocumentSize(bytes, 'body');
  return parseDocument(top, null);
}

function parseEnvelope(env: JsonObject): SesNotification {
  const type = env['Type'];
  if (typeof type !== 'string') throw new Invalid(`SNS envelope Type is ${describe(type)}, not a string`);
  if (type === 'SubscriptionConfirmation' || type === 'UnsubscribeConfirmation') {
    const url = typeof env['SubscribeURL'] === 'string' ? env['SubscribeURL'] : '(no SubscribeURL)';
    const topic = typeof env['TopicArn'] === 'string' ? env['TopicArn'] : '(no TopicArn)';
    throw new Invalid(`SNS ${type} for topic ${topic}; SubscribeURL: ${url}`, 'subscription');
  }
  if (type !== 'Notification') throw new Invalid(`SNS envelope Type "${clip(type)}" is not supported`, 'unsupported');
  const snsMessageId = optionalString(env, 'MessageId', 'SNS envelope');
  const message = env['Message'];
  if (message === undefined) throw new Invalid('SNS envelope Message is missing');
  if (typeof message !== 'string') throw new Invalid(`SNS envelope Message is ${describe(message)}, not a string`);
  if (message.trimStart().startsWith(TOPIC_VALIDATION_TEXT)) {
    throw new Invalid(`SES event-publishing topic validation message: ${clip(message.trim())}`, 'subscription');
  }
  checkDocumentSize(Buffer.byteLength(message, 'utf8'), 'SNS envelope Message');
  let inner: Json;
  try {
    inner = JSON.parse(message) as Json;
  } catch (e) {
    throw new Invalid(`SNS envelope Message is not JSON (${errorText(e)}): ${clip(message)}`);
  }
  return parseDocument(asObject(inner, 'SNS envelope Message'), snsMessageId);
}

function parseDocument(doc: JsonObject, snsMessageId: string | null): SesNotification {
  const typeKey = 'eventType' in doc ? 'eventType' : 'notificationType' in doc ? 'notificationType' : null;
  if (typeKey === null) {
    throw new Invalid(`not an SES notification: no notificationType or eventType (keys: ${keyList(doc)})`, 'unsupported');
  }
  const type = doc[typeKey];
  if (typeof type !== 'string') throw new Invalid(`${typeKey} is ${describe(type)}, not a string`);
  // Unknown types still carry a mail object worth logging: SES adds event types over time.
  const kind: SesEventKind = Object.hasOwn(KIND_BY_TYPE, type) ? KIND_BY_TYPE[type]! : 'other';

  // The subscription confirmation SES sends to a new identity-notification topic has no mail.
  const mailValue = doc['mail'];
  const mail =
    type === 'AmazonSnsSubscriptionSucceeded' && mailValue === undefined ? emptyMail() : parseMail(mailValue);

  const result: SesNotification = {
    kind,
    type,
    snsMessageId,
    feedbackId: null,
    timestamp: null,
    mail,
    recipients: [],
    bounceType: null,
    bounceSubType: null,
    complaintFeedbackType: null,
    complaintSubType: null,
    smtpResponse: null,
    delayType: null,
  };
  const detailKey = DETAIL_KEY[kind];
  const required = kind === 'bounce' || kind === 'complaint' || kind === 'delivery' || kind === 'delay';
  const detail = detailKey === null ? undefined : doc[detailKey];
  if (detail === undefined) {
    if (required) throw new Invalid(`${detailKey} is missing from a ${type} notification`);
    result.recipients = mail.destination.map(destinationRecipient);
    return result;
  }
  const d = asObject(detail, detailKey!);
  result.timestamp = optionalTimestamp(d, 'timestamp', detailKey!);
  switch (kind) {
    case 'bounce':
      result.feedbackId = optionalString(d, 'feedbackId', 'bounce');
      result.bounceType = optionalString(d, 'bounceType', 'bounce');
      result.bounceSubType = optionalString(d, 'bounceSubType', 'bounce');
      result.recipients = recipientObjects(d, 'bouncedRecipients', 'bounce', true);
      break;
    case 'complaint':
      result.feedbackId = optionalString(d, 'feedbackId', 'complaint');
      result.complaintFeedbackType = optionalString(d, 'complaintFeedbackType', 'complaint');
      result.complaintSubType = optionalString(d, 'complaintSubType', 'complaint');
      result.recipients = recipientObjects(d, 'complainedRecipients', 'complaint', false);
      break;
    case 'delivery':
      result.smtpResponse = optionalString(d, 'smtpResponse', 'delivery');
      result.recipients = stringArray(d, 'recipients', 'delivery', true).map(destinationRecipient);
      break;
    case 'delay':
      result.delayType = optionalString(d, 'delayType', 'deliveryDelay');
      result.recipients = recipientObjects(d, 'delayedRecipients', 'deliveryDelay', true);
      break;
    default:
      result.recipients = mail.destination.map(destinationRecipient);
  }
  return result;
}

function parseMail(value: Json | undefined): SesMail {
  if (value === undefined) throw new Invalid('mail is missing');
  const m = asObject(value, 'mail');
  const headers = parseHeaders(m['headers']);
  const truncated = m['headersTruncated'];
  if (truncated !== undefined && truncated !== null && typeof truncated !== 'boolean') {
    throw new Invalid(`mail.headersTruncated is ${describe(truncated)}, not a boolean`);
  }
  return {
    messageId: optionalString(m, 'messageId', 'mail'),
    timestamp: optionalTimestamp(m, 'timestamp', 'mail'),
    source: optionalString(m, 'source', 'mail'),
    sourceIp: optionalString(m, 'sourceIp', 'mail'),
    destination: stringArray(m, 'destination', 'mail', false),
    headers,
    headersTruncated: truncated === true,
    headerMessageId: headerMessageId(m['commonHeaders'], headers),
  };
}

function parseHeaders(value: Json | undefined): { name: string; value: string }[] {
  // Absent unless the identity was configured to include original headers.
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Invalid(`mail.headers is ${describe(value)}, not an array`);
  return value.map((h, i) => {
    const o = asObject(h, `mail.headers[${i}]`);
    const name = o['name'];
    const val = o['value'];
    if (typeof name !== 'string') throw new Invalid(`mail.headers[${i}].name is ${describe(name)}, not a string`);
    if (typeof val !== 'string') throw new Invalid(`mail.headers[${i}].value is ${describe(val)}, not a string`);
    return { name, value: val };
  });
}

function headerMessageId(common: Json | undefined, headers: { name: string; value: string }[]): string | null {
  if (common !== undefined && common !== null) {
    const c = asObject(common, 'mail.commonHeaders');
    const id = optionalString(c, 'messageId', 'mail.commonHeaders');
    if (id !== null && id.trim() !== '') return id.trim();
  }
  const header = headers.find((h) => h.name.toLowerCase() === 'message-id');
  const id = header?.value.trim() ?? '';
  return id === '' ? null : id;
}

function emptyMail(): SesMail {
  return {
    messageId: null,
    timestamp: null,
    source: null,
    sourceIp: null,
    destination: [],
    headers: [],
    headersTruncated: false,
    headerMessageId: null,
  };
}

function destinationRecipient(address: string): SesRecipient {
  return { address, action: null, status: null, diagnosticCode: null };
}

/** bouncedRecipients / complainedRecipients / delayedRecipients: objects keyed by emailAddress. */
function recipientObjects(d: JsonObject, key: string, where: string, required: boolean): SesRecipient[] {
  const list = d[key];
  if (list === undefined || list === null) {
    if (required) throw new Invalid(`${where}.${key} is missing`);
    return [];
  }
  if (!Array.isArray(list)) throw new Invalid(`${where}.${key} is ${describe(list)}, not an array`);
  return list.map((item, i) => {
    const path = `${where}.${key}[${i}]`;
    const r = asObject(item, path);
    const address = r['emailAddress'];
    if (typeof address !== 'string') throw new Invalid(`${path}.emailAddress is ${describe(address)}, not a string`);
    return {
      address,
      action: optionalString(r, 'action', path),
      status: optionalString(r, 'status', path),
      diagnosticCode: optionalString(r, 'diagnosticCode', path),
    };
  });
}

function stringArray(o: JsonObject, key: string, where: string, required: boolean): string[] {
  const list = o[key];
  if (list === undefined || list === null) {
    if (required) throw new Invalid(`${where}.${key} is missing`);
    return [];
  }
  if (!Array.isArray(list)) throw new Invalid(`${where}.${key} is ${describe(list)}, not an array`);
  return list.map((item, i) => {
    if (typeof item !== 'string') throw new Invalid(`${where}.${key}[${i}] is ${describe(item)}, not a string`);
    return item;
  });
}

function optionalString(o: JsonObject, key: string, where: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Invalid(`${where}.${key} is ${describe(v)}, not a string`);
  return v;
}

/** ISO 8601 strings; an unreadable date is dropped rather than failing a notification that is otherwise useful. */
function optionalTimestamp(o: JsonObject, key: string, where: string): number | null {
  const s = optionalString(o, key, where);
  return s === null ? null : parseTimestamp(s);
}

/** Accepts what SES sends, including the `2018-10-08T14:05:45 +0000` form from its own mail-object example. */
export function parseTimestamp(s: string): number | null {
  const direct = Date.parse(s);
  if (!Number.isNaN(direct)) return direct;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  if (!m) return null;
  const zone = m[3] === undefined ? 'Z' : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3];
  const t = Date.parse(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(t) ? null : t;
}

function checkDocumentSize(bytes: number, what: string): void {
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new Invalid(`${what} is ${bytes} bytes, over the ${MAX_DOCUMENT_BYTES}-byte limit for an SES notification`);
  }
}

function asObject(v: Json | undefined, what: string): JsonObject {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) {
    throw new Invalid(`${what} is ${describe(v)}, not an object`);
  }
  return v;
}

function describe(v: Json | undefined): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(clip(v, 40))}`;
  return `the ${typeof v} ${String(v)}`;
}

function keyList(o: JsonObject): string {
  const keys = Object.keys(o);
  return keys.length === 0 ? 'none' : clip(keys.join(', '), 120);
}

function clip(s: string, max = 80): string {
  const oneLine = s.replace(/\s+/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max)}...`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
