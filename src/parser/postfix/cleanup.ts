// cleanup: the Message-ID, and content rejections.
//   QID: message-id=<...>
//   QID: reject: header Subject: spam from host[1.2.3.4]; from=<a> to=<b> proto=ESMTP helo=<h>: 5.7.1 text
//        (cleanup_message.c cleanup_act_log: ACTION: CLASS CONTENT from ORIGIN;[trailer][: TEXT])
//   QID: milter-reject: END-OF-MESSAGE from host[ip]: 5.7.1 text; from=<a> ...  (cleanup_milter.c)
import type { MessageIdEvent, PostfixEvent, RejectEvent } from '../types.js';
import { namAddrAt, parseTrailer, rejectActionAt, replyCodes, trailerStart } from './fields.js';
import type { DaemonResult, NamAddr, Trailer } from './fields.js';
import { hasCommandAt, parseStageReject } from './smtpd.js';

const na: NamAddr = { host: '', ip: '', port: null };
const trailer: Trailer = { sender: null, recipient: null, end: 0 };

/** The part between the first `<` and the next `>`, else the trimmed value; null if empty. */
export function normaliseMessageId(raw: string): string | null {
  const lt = raw.indexOf('<');
  let id: string;
  if (lt >= 0) {
    const gt = raw.indexOf('>', lt + 1);
    id = gt >= 0 ? raw.slice(lt + 1, gt).trim() : raw.trim();
  } else {
    id = raw.trim();
  }
  return id === '' ? null : id;
}

function parseMessageId(text: string, pos: number, queueId: string): MessageIdEvent {
  const raw = text.slice(pos + 11);
  return { kind: 'message-id', queueId, raw, messageId: normaliseMessageId(raw) };
}

/** header_checks / body_checks actions: `ACTION: CLASS CONTENT from ORIGIN;[trailer][: TEXT]`. */
function parseContentReject(text: string, pos: number, action: string, queueId: string | null, stage: string): DaemonResult<RejectEvent> {
  const start = pos + action.length + 2;
  const semi = trailerStart(text, start);
  if (semi < 0) return `${action}: no "; from=<...>" after the message content`;
  // CONTENT is arbitrary header/body text, so the origin is the last ` from X` before the trailer.
  const from = text.lastIndexOf(' from ', semi);
  if (from < start) return `${action}: no "from" origin before the trailer`;
  let clientHost: string | null = null;
  let clientIp: string | null = null;
  if (namAddrAt(text, from + 6, semi, na) >= 0) {
    clientHost = na.host === '' ? null : na.host;
    clientIp = na.ip;
  }
  if (!parseTrailer(text, semi, trailer)) return `${action}: unterminated <address> in from=/to=`;
  let reason = text.startsWith(': ', trailer.end) ? text.slice(trailer.end + 2).trim() : '';
  // Without a configured text, say what matched (`header Subject: spam`).
  if (reason === '') reason = text.slice(start, from);
  const codes = replyCodes(reason);
  return {
    kind: 'reject',
    queueId,
    stage,
    action,
    command: null,
    clientHost,
    clientIp,
    smtpCode: codes.smtpCode,
    dsn: codes.dsn,
    reason,
    sender: trailer.sender,
    recipient: trailer.recipient,
  };
}

export function parseCleanup(text: string, pos: number, queueId: string | null, daemon: string): DaemonResult<PostfixEvent> {
  if (queueId !== null && text.startsWith('message-id=', pos)) return parseMessageId(text, pos, queueId);
  const action = rejectActionAt(text, pos);
  if (action === null) return null;
  const after = pos + action.length + 2;
  return hasCommandAt(text, after)
    ? parseStageReject(text, pos, action, queueId, daemon)
    : parseContentReject(text, pos, action, queueId, daemon);
}
