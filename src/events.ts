// The enriched event: the contract's one object per affected recipient, built the same way whether
// it comes from an SES notification or from a refusal seen in the Postfix log.
import type { DeliveryRow, Generation, Origin } from './tracker/types.js';

export type EventKind = 'bounce' | 'complaint' | 'delivery' | 'delay' | 'reject';

/**
 * How the origin was found. `queue-id` marks events read from the Postfix log itself (a relay refusal),
 * where the queue file is known directly; the contract's three notification matches and null follow.
 */
export type MatchedBy = 'ses-id' | 'message-id' | 'received-header' | 'queue-id' | null;

export interface EnrichedEvent {
  event: EventKind;
  recipient: string | null;
  sesMessageId: string | null;
  messageId: string | null;
  queueId: string | null;
  clientIp: string | null;
  clientHost: string | null;
  saslUsername: string | null;
  uid: number | null;
  sender: string | null;
  bounceType: string | null;
  bounceSubType: string | null;
  status: string | null;
  diagnosticCode: string | null;
  matchedBy: MatchedBy;
  msg: string;
}

/** Where an event's origin fields come from: the relayed generation and its first hop. */
export interface EventOrigin {
  generation: Generation | null;
  origin: Origin | null;
}

/** What the notification or the log line says; buildEvent adds the origin fields and `msg`. */
export type EventFacts = Pick<
  EnrichedEvent,
  'event' | 'recipient' | 'sesMessageId' | 'messageId' | 'sender' | 'bounceType' | 'bounceSubType' | 'status' | 'diagnosticCode' | 'matchedBy'
>;

/** Names the origin in words an operator scans for: the client or the local user. */
export function describeOrigin(e: Pick<EnrichedEvent, 'clientIp' | 'clientHost' | 'saslUsername' | 'uid' | 'queueId'>): string {
  const parts: string[] = [];
  if (e.clientIp !== null) parts.push(`client ${e.clientHost && e.clientHost !== 'unknown' ? `${e.clientHost}[${e.clientIp}]` : e.clientIp}`);
  if (e.saslUsername !== null) parts.push(`sasl user ${e.saslUsername}`);
  if (e.uid !== null) parts.push(`local uid ${e.uid} (pickup)`);
  if (parts.length === 0) return 'origin unknown';
  return parts.join(', ');
}

export function buildEvent(facts: EventFacts, where: EventOrigin): EnrichedEvent {
  const g = where.generation;
  const o = where.origin;
  const e: EnrichedEvent = {
    event: facts.event,
    recipient: facts.recipient,
    sesMessageId: facts.sesMessageId,
    messageId: facts.messageId ?? g?.messageId ?? null,
    queueId: g?.queueId ?? o?.queueId ?? null,
    clientIp: o?.clientIp ?? null,
    clientHost: o?.clientHost ?? null,
    saslUsername: o?.saslUsername ?? null,
    uid: o?.uid ?? null,
    sender: facts.sender ?? g?.sender ?? o?.sender ?? null,
    bounceType: facts.bounceType,
    bounceSubType: facts.bounceSubType,
    status: facts.status,
    diagnosticCode: facts.diagnosticCode,
    matchedBy: facts.matchedBy,
    msg: '',
  };
  e.msg = summary(e);
  return e;
}

function summary(e: EnrichedEvent): string {
  const what =
    e.event === 'reject' ? 'relay refused' : e.event === 'delay' ? 'delayed' : e.event === 'delivery' ? 'delivered' : e.event;
  const type = e.bounceType ? ` (${e.bounceType}${e.bounceSubType ? `/${e.bounceSubType}` : ''})` : '';
  const queue = e.queueId ? ` queue ${e.queueId}` : '';
  const from = e.matchedBy === null ? 'origin not found in the index' : `from ${describeOrigin(e)}`;
  return `${what}${type} ${e.recipient ?? '(no recipient)'}${queue} ${from}`;
}

/** A relay refusal read from the Postfix log (`554 Message rejected`, `501`, `454`...). */
export function refusalEvent(d: DeliveryRow, g: Generation, origin: Origin, permanent: boolean): EnrichedEvent {
  return buildEvent(
    {
      event: permanent ? 'reject' : 'delay',
      recipient: d.recipient,
      sesMessageId: null,
      messageId: g.messageId,
      sender: g.sender,
      bounceType: null,
      bounceSubType: null,
      status: d.dsn,
      diagnosticCode: d.reply,
      matchedBy: 'queue-id',
    },
    { generation: g, origin },
  );
}
