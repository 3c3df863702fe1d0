// pickup: mail submitted locally (sendmail / postdrop), with the submitting uid.
//   QID: uid=1000 from=<sender>
//   QID: uid=0 from=<sender> orig_id=OLDQID     (re-queued with `postsuper -r`; pickup.c)
import type { PickupEvent, PostfixEvent } from '../types.js';
import { closeAngle, intIn, queueIdAt } from './fields.js';
import type { DaemonResult } from './fields.js';

function parseUid(text: string, pos: number, queueId: string): DaemonResult<PickupEvent> {
  const uidStart = pos + 4;
  const sp = text.indexOf(' ', uidStart);
  const uid = intIn(text, uidStart, sp < 0 ? text.length : sp);
  if (uid < 0) return 'uid= is not a number';
  if (sp < 0 || !text.startsWith(' from=<', sp)) return 'no from=<...> after uid=';
  const gt = closeAngle(text, sp + 6);
  if (gt < 0) return 'from=<... is not closed';
  const sender = text.slice(sp + 7, gt);
  let origQueueId: string | null = null;
  if (text.startsWith(' orig_id=', gt + 1)) {
    origQueueId = queueIdAt(text, gt + 10);
    if (origQueueId === null) return 'orig_id= is not a queue id';
  }
  return { kind: 'pickup', queueId, uid, sender, origQueueId };
}

export function parsePickup(text: string, pos: number, queueId: string | null, _daemon: string): DaemonResult<PostfixEvent> {
  if (queueId === null || !text.startsWith('uid=', pos)) return null;
  return parseUid(text, pos, queueId);
}
