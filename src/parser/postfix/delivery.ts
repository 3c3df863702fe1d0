// Delivery agents (smtp, lmtp, local, virtual, pipe, error, retry, discard, and qmgr itself):
//   QID: to=<r>[, orig_to=<o>], relay=R[, conn_use=N], delay=D, delays=a/b/c/d[, tls=...],
//        dsn=X.Y.Z, status=WORD (reply)                                   (log_adhoc.c)
// Fields are found by name, not position: versions differ in order, spacing and extras.
import type { DeliveryEvent, PostfixEvent } from '../types.js';
import {
  closeAngle, decimalIn, dsnEnd, findField, plainValueEnd, queueIdAt, smtpCodeAt,
} from './fields.js';
import type { DaemonResult } from './fields.js';

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/**
 * The id SES gives a message, from its `250 Ok <id>` reply
 * (`0100019a49cb2f2e-7af4300a-356d-41dc-9fd3-6a64ebb0a3bf-000000`): hex groups joined by `-`,
 * at least two, then a space or the end. A scan, not a regex: a regex match allocates its result
 * array on every delivery line.
 */
export function sesMessageIdOf(reply: string): string | null {
  if (reply.charCodeAt(0) !== 0x32 || reply.charCodeAt(1) !== 0x35 || reply.charCodeAt(2) !== 0x30 || reply.charCodeAt(3) !== 0x20) return null;
  // [Oo][Kk]: of all characters only O and o (K and k) give these with the 0x20 bit set.
  if ((reply.charCodeAt(4) | 0x20) !== 0x6f || (reply.charCodeAt(5) | 0x20) !== 0x6b || reply.charCodeAt(6) !== 0x20) return null;
  const len = reply.length;
  let i = 7;
  let groups = 0;
  for (;;) {
    const start = i;
    while (i < len && isHex(reply.charCodeAt(i))) i++;
    if (i === start) return null; // an empty group
    groups++;
    if (i < len && reply.charCodeAt(i) === 0x2d) {
      i++;
      continue;
    }
    break;
  }
  if (groups < 2 || (i < len && reply.charCodeAt(i) !== 0x20)) return null;
  return reply.slice(7, i);
}

/**
 * A relay on this machine: loopback address, `localhost`, or a UNIX-domain socket path
 * (`host[private/dovecot-lmtp]`). Only such a relay's `queued as` id names one of our queue files.
 */
export function isLocalRelay(relay: string | null): boolean {
  if (relay === null) return false;
  const lb = relay.indexOf('[');
  if (lb < 0) return relay === 'localhost';
  const rb = relay.indexOf(']', lb);
  if (rb < 0) return false;
  if (lb === 9 && relay.startsWith('localhost')) return true;
  const ip = lb + 1;
  if (relay.startsWith('127.', ip) || relay.startsWith('::ffff:127.', ip)) return true;
  if (rb - ip === 3 && relay.startsWith('::1', ip)) return true;
  const slash = relay.indexOf('/', ip);
  return slash >= 0 && slash < rb;
}

function childQueueIdOf(reply: string, relay: string | null): string | null {
  // local(8) writes exactly `forwarded as NEW` (local/forward.c); a remote reply that merely
  // contains those words names someone else's queue.
  if (reply.startsWith('forwarded as ')) return queueIdAt(reply, 13);
  const q = reply.lastIndexOf('queued as ');
  if (q < 0) return null;
  // A remote MTA's queue id is not ours; a content filter on loopback hands back our own,
  // and amavis says so explicitly with `from MTA(...)`.
  if (!isLocalRelay(relay) && reply.indexOf('from MTA(') < 0) return null;
  return queueIdAt(reply, q + 10);
}

/** Where the SMTP code of `host X[ip] said: 554 ...` starts, or -1. */
function remoteReplyStart(reply: string): number {
  if (!reply.startsWith('host ')) return -1;
  const rb = reply.indexOf(']', 5);
  if (rb < 0) return -1;
  if (reply.startsWith(' said: ', rb + 1)) return rb + 8;
  if (reply.startsWith(' refused to talk to me: ', rb + 1)) return rb + 25;
  return -1;
}

/**
 * The SMTP code of a delivery reply and whether a remote server spoke it (`host X[ip] said: 554 ...`,
 * or a bare code from smtp/lmtp). Also used on replies read back from the database.
 */
export function replyCodeOf(agent: string, reply: string): { smtpCode: number | null; remoteReply: boolean } {
  const rs = remoteReplyStart(reply);
  if (rs >= 0) return { smtpCode: smtpCodeAt(reply, rs), remoteReply: true };
  const smtpCode = smtpCodeAt(reply, 0);
  return { smtpCode, remoteReply: smtpCode !== null && (agent === 'smtp' || agent === 'lmtp') };
}

export function parseDelivery(text: string, pos: number, queueId: string | null, agent: string): DaemonResult<DeliveryEvent> {
  if (queueId === null || !text.startsWith('to=', pos)) return null;
  const len = text.length;

  let recipient: string;
  let after: number;
  if (text.charCodeAt(pos + 3) === 0x3c) {
    const gt = closeAngle(text, pos + 3);
    if (gt < 0) return 'to=<... is not closed';
    recipient = text.slice(pos + 4, gt);
    after = gt + 1;
  } else {
    // Some old logs carry bare addresses: `to=user@example.com, relay=...`.
    after = plainValueEnd(text, pos + 3, len);
    recipient = text.slice(pos + 3, after);
  }

  const st = findField(text, 'status=', after, len);
  if (st < 0) return 'delivery line without status=';

  let origTo: string | null = null;
  const ot = findField(text, 'orig_to=', after, st);
  if (ot >= 0) {
    if (text.charCodeAt(ot + 8) === 0x3c) {
      const gt = closeAngle(text, ot + 8);
      if (gt < 0 || gt > st) return 'orig_to=<... is not closed';
      origTo = text.slice(ot + 9, gt);
    } else {
      origTo = text.slice(ot + 8, plainValueEnd(text, ot + 8, st));
    }
  }

  let relay: string | null = null;
  const r = findField(text, 'relay=', after, st);
  if (r >= 0) relay = text.slice(r + 6, plainValueEnd(text, r + 6, st));

  let delay: number | null = null;
  const d = findField(text, 'delay=', after, st);
  if (d >= 0) {
    delay = decimalIn(text, d + 6, plainValueEnd(text, d + 6, st));
    if (Number.isNaN(delay)) return 'delay= is not a number';
  }

  let dsn: string | null = null;
  const ds = findField(text, 'dsn=', after, st);
  if (ds >= 0) {
    const end = plainValueEnd(text, ds + 4, st);
    if (dsnEnd(text, ds + 4) !== end) return 'dsn= is not a status code like 5.1.1';
    dsn = text.slice(ds + 4, end);
  }

  let i = st + 7;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x28 || c === 0x2c) break;
    i++;
  }
  if (i === st + 7) return 'status= without a status word';
  const status = text.slice(st + 7, i);

  let reply = '';
  while (i < len && text.charCodeAt(i) === 0x20) i++;
  if (text.charCodeAt(i) === 0x28) {
    const close = text.lastIndexOf(')');
    // A reply cut off by a syslog size limit has no `)`; the status is still worth keeping.
    reply = close > i ? text.slice(i + 1, close) : text.slice(i + 1);
  }

  const { smtpCode, remoteReply } = replyCodeOf(agent, reply);

  return {
    kind: 'delivery',
    queueId,
    agent,
    recipient,
    origTo,
    relay,
    delay,
    dsn,
    status,
    reply,
    sesMessageId: sesMessageIdOf(reply),
    childQueueId: childQueueIdOf(reply, relay),
    smtpCode,
    remoteReply,
  };
}

/** Handler shape for the dispatch table: the agent is the daemon name. */
export function parseDeliveryAgent(text: string, pos: number, queueId: string | null, daemon: string): DaemonResult<PostfixEvent> {
  return parseDelivery(text, pos, queueId, daemon);
}
