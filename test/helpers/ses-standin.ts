// A stand-in for the Amazon SES SMTP endpoint, for end-to-end tests: plain SMTP on 127.0.0.1 (no TLS, no AUTH),
// answering the way SES answers Postfix, and producing SES notifications (Bounce / Complaint / Delivery)
// built from the message that really arrived, following the SES mailbox simulator's rules.
//
// What SES does that this copies (seen in test/fixtures/journal-short.log and the SES notification fixtures):
// - `MAIL FROM:<>` is refused at once: `501 Invalid MAIL FROM address provided` (Postfix's own bounce notices).
// - an unverified sender is accepted through RCPT and refused at the end of DATA with
//   `554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: <sender>`.
// - a throttled sender gets `454 Throttling failure: Maximum sending rate exceeded.` at the end of DATA.
// - otherwise `250 Ok <ses message id>`; the id is `0100`, 12 hex digits of the ms clock, a uuid, and `-000000`.
// - SES prepends its own `Received:` header; notifications list it first in `mail.headers`.
// - mailbox simulator: bounce@ and suppressionlist@ -> Bounce (Permanent/General 5.1.1); complaint@ -> Delivery,
//   then Complaint (abuse); ooto@ -> Delivery, then a Transient/General Bounce (the auto-reply);
//   success@ and every other address -> Delivery.
//   (Real SES sends both notifications for complaint@ and ooto@, as captured in mozilla/fx-private-relay's fixtures.)
import net from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';

export interface SesHeader {
  name: string;
  value: string;
}

export interface SesCommonHeaders {
  from?: string[];
  replyTo?: string[];
  date?: string;
  to?: string[];
  cc?: string[];
  messageId?: string;
  subject?: string;
}

export interface SesMail {
  timestamp: string;
  source: string;
  sourceArn: string;
  sourceIp: string;
  callerIdentity: string;
  sendingAccountId: string;
  messageId: string;
  destination: string[];
  headersTruncated: boolean;
  headers: SesHeader[];
  commonHeaders: SesCommonHeaders;
}

export interface SesBouncedRecipient {
  emailAddress: string;
  action?: string;
  status?: string;
  diagnosticCode?: string;
}

export interface SesBounceNotification {
  notificationType: 'Bounce';
  bounce: {
    feedbackId: string;
    bounceType: 'Permanent' | 'Transient' | 'Undetermined';
    bounceSubType: string;
    bouncedRecipients: SesBouncedRecipient[];
    timestamp: string;
    remoteMtaIp?: string;
    reportingMTA?: string;
  };
  mail: SesMail;
}

export interface SesComplaintNotification {
  notificationType: 'Complaint';
  complaint: {
    feedbackId: string;
    complaintSubType: string | null;
    complainedRecipients: Array<{ emailAddress: string }>;
    timestamp: string;
    userAgent: string;
    complaintFeedbackType: string;
    arrivalDate: string;
  };
  mail: SesMail;
}

export interface SesDeliveryNotification {
  notificationType: 'Delivery';
  mail: SesMail;
  delivery: {
    timestamp: string;
    processingTimeMillis: number;
    recipients: string[];
    smtpResponse: string;
    remoteMtaIp: string;
    reportingMTA: string;
  };
}

export type SesNotification = SesBounceNotification | SesComplaintNotification | SesDeliveryNotification;

export interface SesStandinOptions {
  /** Verified identities: addresses (`a@example.test`) or domains (`example.test`, which also covers its subdomains). */
  verified: string[];
  /** Return true to answer this message with `454 Throttling failure` at the end of DATA. Called once per DATA. */
  throttle?: (from: string) => boolean;
  /** Called with each notification of an accepted message, after the `250 Ok` reply. */
  publish?: (notification: SesNotification) => Promise<void>;
  /** Clock for ids and timestamps; defaults to Date.now. */
  now?: () => number;
  region?: string;
  accountId?: string;
}

export interface AcceptedMessage {
  /** The id returned in `250 Ok <id>`, also `mail.messageId` of the notifications. */
  sesId: string;
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO), in order. */
  to: string[];
  /** The Message-ID header value as sent (with its angle brackets), or null when the message has none. */
  messageId: string | null;
  /** The message as received (dot-unstuffed, CRLF line ends, without SES's Received header). */
  data: string;
  /** Address of the SMTP client (Postfix's smtp client). */
  clientIp: string;
}

export interface RejectedMessage {
  from: string;
  to: string[];
  /** The full reply line sent. */
  reply: string;
  /** Which command got the refusal. */
  stage: 'mail' | 'data';
}

export interface SesStandin {
  host: '127.0.0.1';
  port: number;
  accepted: AcceptedMessage[];
  rejected: RejectedMessage[];
  notifications: SesNotification[];
  /** Errors thrown by `publish`; close() rejects when any occurred. */
  publishErrors: Error[];
  /** Resolves when every publish started so far has finished. */
  idle(): Promise<void>;
  /** Stops listening, ends open sessions, waits for pending publishes. */
  close(): Promise<void>;
}

const SES_HOST = 'email-smtp.amazonaws.com';
const DEFAULT_ACCOUNT = '123456789012';
const CALLER_IDENTITY = 'ses-smtp-user.bounce-origin-test';
const SIMULATOR_DOMAIN = 'simulator.amazonses.com';
/** What a notification's delivery/bounce pretends took SES this long (ms); fixed so results do not depend on timing. */
const PROCESSING_MS = 568;

/**
 * `0100019a49cb2f2e-7af4300a-356d-41dc-9fd3-6a64ebb0a3bf-000000`: `0100` (what us-east-1 ids start with), the ms clock
 * in 12 hex digits (in the fixtures it equals `mail.timestamp`: 0x019a49dd86e3 is 2025-11-03T13:17:26.115Z), a uuid, `-000000`.
 */
export function sesMessageId(timeMs: number, uuid: string = randomUUID(), prefix = '0100'): string {
  return `${prefix}${Math.floor(timeMs).toString(16).padStart(12, '0')}-${uuid}-000000`;
}

/** RFC 5322 date as SES writes it in its Received header: `Mon, 03 Nov 2025 13:17:26 +0000 (UTC)`. */
export function rfc5322Date(timeMs: number): string {
  const d = new Date(timeMs);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * The header section of a message as SES lists it: in order, folded lines joined with one space
 * (SES shows Postfix's `(Postfix, from userid 1000)\n\tid 084A...` as `(Postfix, from userid 1000) id 084A...`).
 */
export function parseHeaders(data: string): SesHeader[] {
  const end = data.search(/\r?\n\r?\n/);
  const section = end < 0 ? data : data.slice(0, end);
  const unfolded = section.replace(/\r?\n[ \t]+/g, ' ');
  const headers: SesHeader[] = [];
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

/** Splits an address-list header value on the commas that are outside quotes, comments and angle brackets. */
export function splitAddressList(value: string): string[] {
  const parts: string[] = [];
  let depthAngle = 0;
  let depthParen = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < value.length) {
        current += c + value[++i];
        continue;
      }
      if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depthAngle++;
    else if (c === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (c === '(') depthParen++;
    else if (c === ')') depthParen = Math.max(0, depthParen - 1);
    else if (c === ',' && depthAngle === 0 && depthParen === 0) {
      if (current.trim()) parts.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** `mail.commonHeaders`: only the fields whose header is present, as SES does. */
export function commonHeadersOf(headers: SesHeader[]): SesCommonHeaders {
  const first = (name: string): string | undefined =>
    headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
  const common: SesCommonHeaders = {};
  const from = first('From');
  if (from !== undefined) common.from = splitAddressList(from);
  const replyTo = first('Reply-To');
  if (replyTo !== undefined) common.replyTo = splitAddressList(replyTo);
  const date = first('Date');
  if (date !== undefined) common.date = date;
  const to = first('To');
  if (to !== undefined) common.to = splitAddressList(to);
  const cc = first('Cc');
  if (cc !== undefined) common.cc = splitAddressList(cc);
  const messageId = first('Message-ID');
  if (messageId !== undefined) common.messageId = messageId;
  const subject = first('Subject');
  if (subject !== undefined) common.subject = subject;
  return common;
}

/** The verified identity that covers `sender`, or null. A domain identity covers its subdomains too. */
export function verifiedIdentityFor(sender: string, verified: string[]): string | null {
  const lower = sender.toLowerCase();
  const at = lower.lastIndexOf('@');
  const domain = at < 0 ? '' : lower.slice(at + 1);
  for (const identity of verified) {
    const id = identity.toLowerCase();
    if (id.includes('@') ? id === lower : domain === id || domain.endsWith(`.${id}`)) return identity;
  }
  return null;
}

export type SimulatorOutcome = 'delivery' | 'bounce' | 'suppressionlist' | 'complaint' | 'ooto';

/** The mailbox simulator's verdict for one recipient; anything outside the simulator is delivered. */
export function simulatorOutcome(recipient: string): SimulatorOutcome {
  const lower = recipient.toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at < 0 || lower.slice(at + 1) !== SIMULATOR_DOMAIN) return 'delivery';
  // The simulator ignores +labels: bounce+tag@ behaves as bounce@.
  const local = lower.slice(0, at).split('+')[0];
  switch (local) {
    case 'bounce':
      return 'bounce';
    case 'suppressionlist':
      return 'suppressionlist';
    case 'complaint':
      return 'complaint';
    case 'ooto':
      return 'ooto';
    default:
      return 'delivery';
  }
}

export interface NotificationInput {
  mail: SesMail;
  /** When SES accepted the message (ms), the base for the other timestamps. */
  acceptedAt: number;
  /** Makes feedback ids; injected so tests can fix them. */
  newId?: (timeMs: number) => string;
}

/** The notifications SES would publish for one accepted message, in the order it would send them. */
export function buildNotifications(input: NotificationInput): SesNotification[] {
  const { mail, acceptedAt } = input;
  const newId = input.newId ?? ((t: number) => sesMessageId(t));
  const iso = (ms: number): string => new Date(ms).toISOString();
  // SES stamps bounces and complaints to the whole second.
  const isoSecond = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();
  const doneAt = acceptedAt + PROCESSING_MS;

  const byOutcome = new Map<SimulatorOutcome, string[]>();
  for (const rcpt of mail.destination) {
    const outcome = simulatorOutcome(rcpt);
    byOutcome.set(outcome, [...(byOutcome.get(outcome) ?? []), rcpt]);
  }
  const list = (o: SimulatorOutcome): string[] => byOutcome.get(o) ?? [];
  const out: SesNotification[] = [];

  const delivered = mail.destination.filter((r) => ['delivery', 'complaint', 'ooto'].includes(simulatorOutcome(r)));
  if (delivered.length > 0) {
    out.push({
      notificationType: 'Delivery',
      mail,
      delivery: {
        timestamp: iso(doneAt),
        processingTimeMillis: PROCESSING_MS,
        recipients: delivered,
        smtpResponse: '250 2.6.0 Message received',
        remoteMtaIp: '54.197.5.236',
        reportingMTA: 'a48-100.smtp-out.amazonses.com',
      },
    });
  }
  if (list('bounce').length > 0) {
    out.push({
      notificationType: 'Bounce',
      bounce: {
        feedbackId: newId(doneAt),
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: list('bounce').map((r) => ({
          emailAddress: r,
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: `smtp; 550 5.1.1 As requested: user unknown <${r}>`,
        })),
        timestamp: isoSecond(doneAt),
        remoteMtaIp: '107.23.2.81',
        reportingMTA: 'dns; a8-87.smtp-out.amazonses.com',
      },
      mail,
    });
  }
  if (list('suppressionlist').length > 0) {
    // As captured from the simulator (mozilla/fx-private-relay fixtures): a General hard bounce, not OnAccountSuppressionList.
    out.push({
      notificationType: 'Bounce',
      bounce: {
        feedbackId: newId(doneAt),
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: list('suppressionlist').map((r) => ({
          emailAddress: r,
          action: 'failed',
          status: '5.1.1',
          diagnosticCode: `smtp; 550 5.1.1 user unknown ( blacklisted address: ${r} )`,
        })),
        timestamp: isoSecond(doneAt),
        remoteMtaIp: '54.209.96.121',
        reportingMTA: 'dns; a48-113.smtp-out.amazonses.com',
      },
      mail,
    });
  }
  for (const rcpt of list('complaint')) {
    out.push({
      notificationType: 'Complaint',
      complaint: {
        feedbackId: newId(doneAt),
        complaintSubType: null,
        complainedRecipients: [{ emailAddress: rcpt }],
        timestamp: isoSecond(doneAt),
        userAgent: 'Amazon SES Mailbox Simulator',
        complaintFeedbackType: 'abuse',
        arrivalDate: iso(doneAt),
      },
      mail,
    });
  }
  if (list('ooto').length > 0) {
    out.push({
      notificationType: 'Bounce',
      bounce: {
        feedbackId: newId(doneAt),
        bounceType: 'Transient',
        bounceSubType: 'General',
        bouncedRecipients: list('ooto').map((r) => ({ emailAddress: r })),
        timestamp: isoSecond(doneAt),
      },
      mail,
    });
  }
  return out;
}

/** Twenty letters and digits, like the `id` in SES's Received header. */
function smtpSessionTag(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

/** The envelope address inside `MAIL FROM:<...>` / `RCPT TO:<...>`; null when the argument is malformed. */
export function envelopeAddress(arg: string): string | null {
  const m = /^\s*<([^>]*)>/.exec(arg) ?? /^\s*([^\s<>]+)/.exec(arg);
  return m ? m[1]! : null;
}

interface Transaction {
  from: string | null;
  to: string[];
}

export async function startSesStandin(opts: SesStandinOptions): Promise<SesStandin> {
  const now = opts.now ?? Date.now;
  const region = (opts.region ?? 'us-east-1').toUpperCase();
  const accountId = opts.accountId ?? DEFAULT_ACCOUNT;
  const accepted: AcceptedMessage[] = [];
  const rejected: RejectedMessage[] = [];
  const notifications: SesNotification[] = [];
  const publishErrors: Error[] = [];
  const pending = new Set<Promise<void>>();
  const sockets = new Set<net.Socket>();

  function publishAll(list: SesNotification[]): void {
    notifications.push(...list);
    if (!opts.publish) return;
    const publish = opts.publish;
    // Sequential, so a consumer sees them in the order SES would send them.
    const p = (async () => {
      for (const n of list) {
        try {
          await publish(n);
        } catch (err) {
          publishErrors.push(err instanceof Error ? err : new Error(String(err)));
        }
      }
    })();
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }

  function endOfData(tx: Transaction, raw: string, clientIp: string, heloName: string): string {
    const from = tx.from ?? '';
    const identity = verifiedIdentityFor(from, opts.verified);
    if (identity === null) {
      const reply = `554 Message rejected: Email address is not verified. The following identities failed the check in region ${region}: ${from}`;
      rejected.push({ from, to: [...tx.to], reply, stage: 'data' });
      return reply;
    }
    if (opts.throttle?.(from)) {
      const reply = '454 Throttling failure: Maximum sending rate exceeded.';
      rejected.push({ from, to: [...tx.to], reply, stage: 'data' });
      return reply;
    }
    const acceptedAt = now();
    const sesId = sesMessageId(acceptedAt);
    const forClause = tx.to.length === 1 ? ` for ${tx.to[0]}` : '';
    const sesReceived: SesHeader = {
      name: 'Received',
      value: `from ${heloName} (unknown [${clientIp}]) by ${SES_HOST} with SMTP (SimpleEmailService-d-${smtpSessionTag(9)}) ` +
        `id ${smtpSessionTag(20)}${forClause}; ${rfc5322Date(acceptedAt)} (UTC)`,
    };
    const headers = [sesReceived, ...parseHeaders(raw)];
    const messageIdHeader = headers.find((h) => h.name.toLowerCase() === 'message-id')?.value ?? null;
    const mail: SesMail = {
      timestamp: new Date(acceptedAt).toISOString(),
      source: from,
      sourceArn: `arn:aws:ses:${region.toLowerCase()}:${accountId}:identity/${identity}`,
      sourceIp: clientIp,
      callerIdentity: CALLER_IDENTITY,
      sendingAccountId: accountId,
      messageId: sesId,
      destination: [...tx.to],
      headersTruncated: false,
      headers,
      commonHeaders: commonHeadersOf(headers),
    };
    accepted.push({ sesId, from, to: [...tx.to], messageId: messageIdHeader, data: raw, clientIp });
    publishAll(buildNotifications({ mail, acceptedAt }));
    return `250 Ok ${sesId}`;
  }

  function session(socket: net.Socket): void {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    const clientIp = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    let heloName = 'unknown';
    let tx: Transaction = { from: null, to: [] };
    let dataLines: string[] | null = null;
    let buffer = '';
    const send = (line: string): void => {
      if (!socket.destroyed) socket.write(`${line}\r\n`);
    };

    function command(line: string): void {
      const verb = line.slice(0, 4).toUpperCase();
      const arg = line.slice(4);
      switch (verb) {
        case 'EHLO':
          heloName = arg.trim() || 'unknown';
          tx = { from: null, to: [] };
          // No PIPELINING: Postfix then sends one command at a time, as the brief for this stand-in asks.
          send(`250-${SES_HOST}`);
          send('250-8BITMIME');
          send('250-SIZE 10485760');
          send('250 Ok');
          return;
        case 'HELO':
          heloName = arg.trim() || 'unknown';
          tx = { from: null, to: [] };
          send(`250 ${SES_HOST}`);
          return;
        case 'MAIL': {
          const m = /^\s*FROM:(.*)$/i.exec(arg);
          const addr = m ? envelopeAddress(m[1]!) : null;
          if (addr === null) return send('501 Syntax error in MAIL FROM');
          if (addr === '') {
            rejected.push({ from: '', to: [], reply: '501 Invalid MAIL FROM address provided', stage: 'mail' });
            return send('501 Invalid MAIL FROM address provided');
          }
          tx = { from: addr, to: [] };
          return send('250 Ok');
        }
        case 'RCPT': {
          if (tx.from === null) return send('503 Error: need MAIL command');
          const m = /^\s*TO:(.*)$/i.exec(arg);
          const addr = m ? envelopeAddress(m[1]!) : null;
          if (!addr) return send('501 Syntax error in RCPT TO');
          tx.to.push(addr);
          return send('250 Ok');
        }
        case 'DATA':
          if (tx.from === null) return send('503 Error: need MAIL command');
          if (tx.to.length === 0) return send('503 Error: need RCPT command');
          dataLines = [];
          return send('354 End data with <CR><LF>.<CR><LF>');
        case 'RSET':
          tx = { from: null, to: [] };
          return send('250 Ok');
        case 'NOOP':
          return send('250 Ok');
        case 'QUIT':
          send('221 Bye');
          socket.end();
          return;
        default:
          return send('502 Command not implemented');
      }
    }

    function line(l: string): void {
      if (dataLines === null) return command(l);
      if (l !== '.') {
        dataLines.push(l.startsWith('.') ? l.slice(1) : l);
        return;
      }
      const raw = dataLines.length > 0 ? `${dataLines.join('\r\n')}\r\n` : '';
      dataLines = null;
      const reply = endOfData(tx, raw, clientIp, heloName);
      tx = { from: null, to: [] };
      send(reply);
    }

    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const l = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        line(l);
      }
    });
    send(`220 ${SES_HOST} ESMTP SimpleEmailService-d-${smtpSessionTag(9)} ${smtpSessionTag(20)}`);
  }

  const server = net.createServer(session);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`SES stand-in: unexpected listen address ${String(address)}`);

  const idle = async (): Promise<void> => {
    while (pending.size > 0) await Promise.all([...pending]);
  };

  return {
    host: '127.0.0.1',
    port: address.port,
    accepted,
    rejected,
    notifications,
    publishErrors,
    idle,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      await idle();
      if (publishErrors.length > 0) {
        throw new AggregateError(publishErrors, `SES stand-in: ${publishErrors.length} publish call(s) failed: ${publishErrors[0]!.message}`);
      }
    },
  };
}
