// bounce (also running as defer/trace): the notification it queued about a message.
//   QID: sender non-delivery notification: CHILDQID
//   (also `sender delivery status`, `sender delay`, `postmaster non-delivery` ...)
import type { NotificationEvent, PostfixEvent } from '../types.js';
import { alnumEnd, isQueueIdAt } from './fields.js';
import type { DaemonResult } from './fields.js';

const MARK = ' notification: ';

export function parseBounce(text: string, pos: number, queueId: string | null, _daemon: string): DaemonResult<PostfixEvent> {
  if (queueId === null) return null;
  const m = text.indexOf(MARK, pos);
  if (m < 0) return null;
  const childStart = m + MARK.length;
  const childEnd = alnumEnd(text, childStart);
  if (childEnd !== text.length || !isQueueIdAt(text, childStart, childEnd)) return 'notification: is not followed by a queue id';
  const event: NotificationEvent = {
    kind: 'notification',
    queueId,
    childQueueId: text.slice(childStart, childEnd),
    notification: text.slice(pos, m),
  };
  return event;
}
