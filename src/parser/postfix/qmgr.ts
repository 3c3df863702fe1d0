// qmgr (also nqmgr/oqmgr) and postsuper: a message entering the active queue, expiring, leaving.
//   QID: from=<x>, size=460, nrcpt=1 (queue active)          (repeats on each retry)
//   QID: from=<x>, status=expired, returned to sender
//   QID: removed
//   QID: to=<x>, relay=none, ..., status=deferred (delivery temporarily suspended: ...)
import type { ExpiredEvent, PostfixEvent, QueuedEvent } from '../types.js';
import { closeAngle, findField, intIn, plainValueEnd } from './fields.js';
import type { DaemonResult } from './fields.js';
import { parseDelivery } from './delivery.js';

function isRemoved(text: string, pos: number): boolean {
  return text.length === pos + 7 && text.startsWith('removed', pos);
}

/** A `size=`/`nrcpt=` count between from and to: null when absent, -1 when broken. */
function countField(text: string, key: string, from: number, to: number): number | null {
  const k = findField(text, key, from, to);
  if (k < 0) return null;
  return intIn(text, k + key.length, plainValueEnd(text, k + key.length, to));
}

function parseFrom(text: string, pos: number, queueId: string): DaemonResult<QueuedEvent | ExpiredEvent> {
  const gt = closeAngle(text, pos + 5);
  if (gt < 0) return 'from=<... is not closed';
  const sender = text.slice(pos + 6, gt);
  let i = gt + 1;
  if (text.charCodeAt(i) === 0x2c) i++;
  while (text.charCodeAt(i) === 0x20) i++;
  if (text.startsWith('status=', i)) {
    return { kind: 'expired', queueId, sender, status: text.slice(i + 7).trim() };
  }
  const paren = text.indexOf(' (', i);
  const to = paren < 0 ? text.length : paren;
  const size = countField(text, 'size=', i, to);
  if (size === -1) return 'size= is not a number';
  const nrcpt = countField(text, 'nrcpt=', i, to);
  if (nrcpt === -1) return 'nrcpt= is not a number';
  return { kind: 'queued', queueId, sender, size, nrcpt };
}

export function parseQmgr(text: string, pos: number, queueId: string | null, daemon: string): DaemonResult<PostfixEvent> {
  if (queueId === null) return null;
  if (text.startsWith('from=<', pos)) return parseFrom(text, pos, queueId);
  if (isRemoved(text, pos)) return { kind: 'removed', queueId };
  if (text.startsWith('to=', pos)) return parseDelivery(text, pos, queueId, daemon);
  return null;
}

export function parsePostsuper(text: string, pos: number, queueId: string | null, _daemon: string): DaemonResult<PostfixEvent> {
  if (queueId === null || !isRemoved(text, pos)) return null;
  return { kind: 'removed', queueId };
}
