// What the tracker hands to the database writer.
import type { DeliveryEvent } from '../parser/types.js';

/** One generation of a queue file: from its first line until `removed`. Queue ids are reused, generations are not. */
export interface Generation {
  id: number;
  queueId: string;
  host: string | null;
  firstSeen: number;
  lastSeen: number;
  removedAt: number | null;
  clientHost: string | null;
  clientIp: string | null;
  clientPort: number | null;
  saslMethod: string | null;
  saslUsername: string | null;
  /** XFORWARD's original client: the first hop when the parent generation is not in the index. */
  origClientHost: string | null;
  origClientIp: string | null;
  uid: number | null;
  sender: string | null;
  messageId: string | null;
  size: number | null;
  nrcpt: number | null;
  /** The generation this one was made from (content filter, re-injection, forward, bounce notice). */
  parentId: number | null;
  relation: Relation | null;
}

export type Relation = 'filter' | 'forward' | 'notification' | 'xforward';

/** One delivery attempt as stored: what its log line said, with its own id, its generation and its time. */
export type DeliveryRow = {
  id: number;
  /** The generation (messages.id) the attempt belongs to. */
  message: number;
  at: number;
} & Pick<DeliveryEvent, 'agent' | 'recipient' | 'origTo' | 'relay' | 'delay' | 'dsn' | 'status' | 'reply' | 'sesMessageId' | 'childQueueId'>;

/** The first hop of a message: who handed it to this MTA. */
export interface Origin {
  /** The generation that entered the MTA first (root of the parent chain). */
  queueId: string | null;
  clientIp: string | null;
  clientHost: string | null;
  saslUsername: string | null;
  uid: number | null;
  sender: string | null;
  /** How many parent links were followed from the message to its root. */
  hops: number;
}

/** A delivery attempt that the relay refused, to be reported with its origin once written. */
export interface RefusedDelivery {
  delivery: DeliveryRow;
  generation: Generation;
  permanent: boolean;
  /** Resolved when the refusal is released (see Tracker), not when its line is read. */
  origin?: Origin;
}

/** One commit's worth of changes. */
export interface TrackerChanges {
  generations: Generation[];
  deliveries: DeliveryRow[];
  refused: RefusedDelivery[];
}
