// The shapes that flow from the line parser into the message tracker.
// A LogRecord is one syslog/journald entry; a PostfixEvent is what one Postfix line says about one queue file.

/** One log entry, whatever its source (a syslog-style line or a journald entry). */
export interface LogRecord {
  /** Milliseconds since the epoch. */
  time: number;
  host: string;
  /** The syslog tag without the pid, e.g. `postfix/submission/smtpd`. */
  program: string;
  /** The last part of the tag (`smtpd`, `qmgr`...): Postfix daemons may run under a multi-part syslog_name. */
  daemon: string;
  pid: number | null;
  /** Everything after `program[pid]: `. */
  text: string;
}

export interface ClientEvent {
  kind: 'client';
  queueId: string;
  clientHost: string;
  clientIp: string;
  /** Port of the client, when Postfix logs it (`client=host[ip]:port`). */
  clientPort: number | null;
  saslMethod: string | null;
  saslUsername: string | null;
  /** XFORWARD attributes, set when a content filter re-injects a message. */
  origQueueId: string | null;
  origClientHost: string | null;
  origClientIp: string | null;
}

export interface PickupEvent {
  kind: 'pickup';
  queueId: string;
  uid: number;
  sender: string;
  /**
   * Added by the parser: `orig_id=` of mail re-queued with `postsuper -r` (the queue id the
   * message had before), so the new queue id is a child of it. The parser always sets it (null
   * when not logged); optional only so that older event literals still type-check.
   */
  origQueueId?: string | null;
}

export interface MessageIdEvent {
  kind: 'message-id';
  queueId: string;
  /** The value as logged (brackets may be missing, it may be empty or carry junk after `>`). */
  raw: string;
  /** The normalised id: the part between the first `<` and the next `>`, or the trimmed raw value; null if empty. */
  messageId: string | null;
}

export interface QueuedEvent {
  kind: 'queued';
  queueId: string;
  sender: string;
  size: number | null;
  nrcpt: number | null;
}

export interface RemovedEvent {
  kind: 'removed';
  queueId: string;
}

export interface ExpiredEvent {
  kind: 'expired';
  queueId: string;
  sender: string | null;
  /** e.g. `expired, returned to sender`. */
  status: string;
}

export type DeliveryStatus = 'sent' | 'bounced' | 'deferred' | 'expired' | 'undeliverable' | 'deliverable' | string;

export interface DeliveryEvent {
  kind: 'delivery';
  queueId: string;
  /** smtp, lmtp, local, virtual, pipe, error, discard... */
  agent: string;
  recipient: string;
  origTo: string | null;
  relay: string | null;
  /** Total delay in seconds. */
  delay: number | null;
  dsn: string | null;
  status: DeliveryStatus;
  /** The text inside the parentheses after the status, up to the last `)`. */
  reply: string;
  /** From `250 Ok <id>`: the id SES gave the message. */
  sesMessageId: string | null;
  /** `queued as NEW` (content filter, relay to self) or `forwarded as NEW` (local alias forwarding). */
  childQueueId: string | null;
  /** SMTP reply code of the remote server when the reply is `host X said: NNN ...`, else the leading code of the reply. */
  smtpCode: number | null;
  /** True when the reply text comes from the remote host (`host ... said:` or a bare SMTP reply). */
  remoteReply: boolean;
}

export interface NotificationEvent {
  kind: 'notification';
  /** The message the notification is about. */
  queueId: string;
  /** The notification Postfix generated (a new queue file): a child of queueId. */
  childQueueId: string;
  /** `sender non-delivery`, `sender delivery status`, `sender delay`, `postmaster non-delivery`... */
  notification: string;
}

export interface RejectEvent {
  kind: 'reject';
  /** `NOQUEUE` rejections have no queue file. */
  queueId: string | null;
  /** The daemon that rejected: smtpd, cleanup, postscreen... */
  stage: string;
  /** `reject`, `discard`, `hold`, `milter-reject`... */
  action: string;
  /** SMTP command the reject answered (RCPT, DATA, END-OF-MESSAGE...), when logged. */
  command: string | null;
  clientHost: string | null;
  clientIp: string | null;
  smtpCode: number | null;
  dsn: string | null;
  reason: string;
  sender: string | null;
  recipient: string | null;
}

export type PostfixEvent =
  | ClientEvent
  | PickupEvent
  | MessageIdEvent
  | QueuedEvent
  | RemovedEvent
  | ExpiredEvent
  | DeliveryEvent
  | NotificationEvent
  | RejectEvent;

/** What the parser made of one line. */
export type ParseResult =
  /** A Postfix line that says something about a message. */
  | { type: 'event'; record: LogRecord; event: PostfixEvent }
  /** A well-formed line that carries nothing we index (another program, a Postfix warning, connect/disconnect...). */
  | { type: 'ignored'; record: LogRecord | null }
  /** A line we could not read: reason names what was wrong. Counted, never fatal. */
  | { type: 'malformed'; reason: string };
