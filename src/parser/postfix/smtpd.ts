// smtpd (and qmqpd, postscreen): where a message came from, and what was refused at the door.
//   QID: client=host[ip][:port][, sasl_method=M][, sasl_username=U][, sasl_sender=S]
//        [, orig_queue_id=Q][, orig_client=host[ip]]          (smtpd.c, smtpd_sasl_proto.c)
//   QID|NOQUEUE: reject: RCPT from host[ip]: 554 5.7.1 text; from=<a> to=<b> proto=ESMTP helo=<h>
//                                                            (smtpd_check.c log_whatsup)
import type { ClientEvent, PostfixEvent, RejectEvent } from '../types.js';
import { namAddrAt, parseTrailer, rejectActionAt, replyCodes, trailerStart } from './fields.js';
import type { DaemonResult, NamAddr, Trailer } from './fields.js';

const na: NamAddr = { host: '', ip: '', port: null };
const trailer: Trailer = { sender: null, recipient: null, end: 0 };

// Postfix prints these in this order; a value runs until the next marker that is present.
const CLIENT_MARKERS = [', sasl_method=', ', sasl_username=', ', sasl_sender=', ', orig_queue_id=', ', orig_client='];
const SASL_METHOD = 0;
const SASL_USERNAME = 1;
const ORIG_QUEUE_ID = 3;
const ORIG_CLIENT = 4;

function parseClient(text: string, pos: number, queueId: string): DaemonResult<ClientEvent> {
  const len = text.length;
  const end = namAddrAt(text, pos + 7, len, na);
  if (end < 0) return 'client= without host[address]';
  const clientHost = na.host;
  const clientIp = na.ip;
  const clientPort = na.port;
  const values: Array<string | null> = [null, null, null, null, null];
  let cur = end;
  for (let k = 0; k < CLIENT_MARKERS.length && cur < len; k++) {
    const marker = CLIENT_MARKERS[k]!;
    if (!text.startsWith(marker, cur)) continue;
    const vs = cur + marker.length;
    let ve = len;
    for (let j = k + 1; j < CLIENT_MARKERS.length; j++) {
      const q = text.indexOf(CLIENT_MARKERS[j]!, vs);
      if (q >= 0 && q < ve) ve = q;
    }
    const v = text.slice(vs, ve);
    values[k] = v === '' ? null : v;
    cur = ve;
  }
  let origClientHost: string | null = null;
  let origClientIp: string | null = null;
  const origClient = values[ORIG_CLIENT];
  if (origClient != null) {
    if (namAddrAt(origClient, 0, origClient.length, na) < 0) return 'orig_client= without host[address]';
    origClientHost = na.host;
    origClientIp = na.ip;
  }
  return {
    kind: 'client',
    queueId,
    clientHost,
    clientIp,
    clientPort,
    saslMethod: values[SASL_METHOD] ?? null,
    saslUsername: values[SASL_USERNAME] ?? null,
    origQueueId: values[ORIG_QUEUE_ID] ?? null,
    origClientHost,
    origClientIp,
  };
}

function isCommandChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d || (c >= 0x30 && c <= 0x39);
}

/** True when the word after `action: ` is an SMTP stage (`RCPT`, `END-OF-MESSAGE`...). */
export function hasCommandAt(text: string, pos: number): boolean {
  let i = pos;
  while (i < text.length && isCommandChar(text.charCodeAt(i))) i++;
  return i > pos && (text.startsWith(' from ', i) || text.startsWith(': ', i) || i === text.length);
}

/**
 * `ACTION: COMMAND [from host[ip][:port]]: TEXT[; from=<a> to=<b> proto=P helo=<h>]`, the shape
 * smtpd, postscreen and the cleanup milter code share. `pos` is at ACTION.
 */
export function parseStageReject(
  text: string,
  pos: number,
  action: string,
  queueId: string | null,
  stage: string,
): DaemonResult<RejectEvent> {
  const len = text.length;
  let i = pos + action.length + 2;
  const cmdStart = i;
  while (i < len && isCommandChar(text.charCodeAt(i))) i++;
  if (i === cmdStart) return `${action}: no SMTP command`;
  const command = text.slice(cmdStart, i);
  let clientHost: string | null = null;
  let clientIp: string | null = null;
  if (text.startsWith(' from ', i)) {
    const end = namAddrAt(text, i + 6, len, na);
    if (end < 0) return `${action}: no host[address] after "${command} from"`;
    clientHost = na.host === '' ? null : na.host;
    clientIp = na.ip;
    i = end;
  }
  let reason = '';
  let sender: string | null = null;
  let recipient: string | null = null;
  if (text.startsWith(': ', i)) {
    const textStart = i + 2;
    const semi = trailerStart(text, textStart);
    reason = text.slice(textStart, semi < 0 ? len : semi).trim();
    if (semi >= 0) {
      if (!parseTrailer(text, semi, trailer)) return `${action}: unterminated <address> in from=/to=`;
      sender = trailer.sender;
      recipient = trailer.recipient;
    }
  } else if (i !== len && text.charCodeAt(i) !== 0x3a) {
    return `${action}: no ": " after the client`;
  }
  const codes = replyCodes(reason);
  return {
    kind: 'reject',
    queueId,
    stage,
    action,
    command,
    clientHost,
    clientIp,
    smtpCode: codes.smtpCode,
    dsn: codes.dsn,
    reason,
    sender,
    recipient,
  };
}

/** smtpd and qmqpd lines after `QID: ` / `NOQUEUE: `. */
export function parseSmtpd(text: string, pos: number, queueId: string | null, daemon: string): DaemonResult<PostfixEvent> {
  if (queueId !== null && text.startsWith('client=', pos)) return parseClient(text, pos, queueId);
  const action = rejectActionAt(text, pos);
  if (action === null) return null;
  return parseStageReject(text, pos, action, queueId, daemon);
}

/** postscreen only logs rejections as `NOQUEUE: reject: CONNECT from [ip]:port: ...`. */
export function parsePostscreen(text: string, pos: number, queueId: string | null, daemon: string): DaemonResult<PostfixEvent> {
  const action = rejectActionAt(text, pos);
  if (action === null) return null;
  return parseStageReject(text, pos, action, queueId, daemon);
}
