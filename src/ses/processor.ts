// The daemon's handling of received notifications: record each one, annotate it when its message is in
// the index, or keep it pending (in the database, not memory) until its log lines arrive or the
// late-join window closes. Everything a receive produces commits in one transaction, so the SQS
// message can be deleted right after.
import { createHash } from 'node:crypto';
import type { Store, StoredEvent } from '../db/store.js';
import type { EnrichedEvent } from '../events.js';
import { parseNotification, type SesNotification } from './notification.js';
import { enrich, eventKey, match, type Match } from './annotate.js';

export interface Received {
  body: string;
}

export interface ReceiveOutcome {
  /** Events newly committed, for the event log. */
  events: EnrichedEvent[];
  /** Bodies that are not notifications, with the reason; recorded as `invalid`, safe to delete. */
  invalid: Array<{ index: number; reason: string; kind: string }>;
  /** Notifications whose message is not indexed yet. */
  pending: number;
  /** Bodies recorded before (SQS redelivery, SNS duplicate). */
  duplicates: number;
}

export interface ProcessorOptions {
  store: Store;
  /** How long a notification waits for its message to appear in the index. */
  lateJoinMs: number;
  now?: () => number;
}

export class NotificationProcessor {
  private readonly store: Store;
  private readonly lateJoinMs: number;
  private readonly now: () => number;

  constructor(opts: ProcessorOptions) {
    this.store = opts.store;
    this.lateJoinMs = opts.lateJoinMs;
    this.now = opts.now ?? Date.now;
  }

  receive(batch: Received[]): ReceiveOutcome {
    const out: ReceiveOutcome = { events: [], invalid: [], pending: 0, duplicates: 0 };
    const now = this.now();
    this.store.transaction(() => {
      batch.forEach((r, index) => {
        const parsed = parseNotification(r.body);
        const key = dedupeKey(r, parsed.ok ? parsed.value : null);
        if (!parsed.ok) {
          const id = this.store.recordNotification({
            receivedAt: now,
            dedupeKey: key,
            state: 'invalid',
            kind: parsed.kind,
            sesMessageId: null,
            error: parsed.reason,
            body: r.body,
          });
          if (id === null) out.duplicates++;
          else out.invalid.push({ index, reason: parsed.reason, kind: parsed.kind });
          return;
        }
        const n = parsed.value;
        const m = match(n, this.store);
        const ready = m.generation !== null || this.lateJoinMs === 0;
        const id = this.store.recordNotification({
          receivedAt: now,
          dedupeKey: key,
          state: ready ? 'done' : 'pending',
          kind: n.kind,
          sesMessageId: n.mail.messageId,
          error: null,
          body: r.body,
        });
        if (id === null) {
          out.duplicates++;
          return;
        }
        if (ready) out.events.push(...this.store.insertEvents(stored(n, m, id)).map((e) => e.event));
        else out.pending++;
      });
    });
    return out;
  }

  /**
   * Tries the pending notifications again: those whose message is now indexed are annotated; those past
   * the late-join window are written with the best origin there is (maybe none), never dropped.
   */
  retryPending(limit = 500): EnrichedEvent[] {
    const rows = this.store.pendingNotifications(limit);
    if (rows.length === 0) return [];
    const now = this.now();
    const events: EnrichedEvent[] = [];
    this.store.transaction(() => {
      for (const row of rows) {
        const parsed = parseNotification(row.body);
        if (!parsed.ok) {
          // It parsed when it arrived; only a parser change between versions could get here.
          this.store.setNotificationState(row.id, 'invalid');
          continue;
        }
        const m = match(parsed.value, this.store);
        if (m.generation === null && now - row.receivedAt < this.lateJoinMs) continue;
        events.push(...this.store.insertEvents(stored(parsed.value, m, row.id)).map((e) => e.event));
        this.store.setNotificationState(row.id, 'done');
      }
    });
    return events;
  }
}

function stored(n: SesNotification, m: Match, notificationId: number): StoredEvent[] {
  const at = n.timestamp ?? n.mail.timestamp ?? Date.now();
  return enrich(n, m).map((event) => ({
    event,
    at,
    dedupeKey: eventKey(n, event),
    message: m.generation?.id ?? null,
    notification: notificationId,
  }));
}

/**
 * SNS's MessageId survives SQS redelivery and SNS duplicates. A raw-delivery body has no such id, but its
 * redeliveries and duplicates are the same bytes, so its hash serves.
 */
function dedupeKey(r: Received, n: SesNotification | null): string {
  if (n?.snsMessageId) return `sns:${n.snsMessageId}`;
  return `sha256:${createHash('sha256').update(r.body).digest('hex')}`;
}
