// Finds the local origin of an SES notification in the index and turns it into enriched events,
// one per affected recipient.
import type { Store } from '../db/store.js';
import { resolveOrigin } from '../tracker/tracker.js';
import type { Generation, Origin } from '../tracker/types.js';
import { buildEvent, type EnrichedEvent, type EventKind, type MatchedBy } from '../events.js';
import type { SesNotification } from './notification.js';

export interface Match {
  generation: Generation | null;
  origin: Origin | null;
  matchedBy: MatchedBy;
}

const NO_MATCH: Match = { generation: null, origin: null, matchedBy: null };

/** The kinds that become enriched events; the rest (send, open, click...) say nothing about a recipient's fate. */
const EVENT_KIND: Partial<Record<SesNotification['kind'], EventKind>> = {
  bounce: 'bounce',
  complaint: 'complaint',
  delivery: 'delivery',
  delay: 'delay',
};

export function eventKindOf(n: SesNotification): EventKind | null {
  return EVENT_KIND[n.kind] ?? null;
}

/** Strips the angle brackets a Message-ID header value carries, as the index stores it. */
export function bareMessageId(v: string): string {
  const t = v.trim();
  const open = t.indexOf('<');
  if (open === -1) return t;
  const close = t.indexOf('>', open + 1);
  return close === -1 ? t.slice(open + 1) : t.slice(open + 1, close);
}

/**
 * Matches in the contract's order: the SES id Postfix logged from `250 Ok <id>`; else the Message-ID,
 * taking the generation relayed nearest to mail.timestamp; else the Received headers Postfix added.
 */
export function match(n: SesNotification, store: Store): Match {
  const get = (id: number) => store.getGeneration(id);
  if (n.mail.messageId) {
    const gens = store.generationsBySesId(n.mail.messageId);
    const g = newest(gens);
    if (g) return { generation: g, origin: resolveOrigin(g, get), matchedBy: 'ses-id' };
  }
  if (n.mail.headerMessageId) {
    const g = nearestRelayed(store, store.generationsByMessageId(bareMessageId(n.mail.headerMessageId)), n.mail.timestamp);
    if (g) return { generation: g, origin: resolveOrigin(g, get), matchedBy: 'message-id' };
  }
  return matchReceived(n, store);
}

function newest(gens: Generation[]): Generation | undefined {
  let best: Generation | undefined;
  for (const g of gens) if (!best || g.firstSeen > best.firstSeen) best = g;
  return best;
}

/** Of the generations carrying a Message-ID, the one whose relay attempt is nearest to when SES got the mail. */
function nearestRelayed(store: Store, gens: Generation[], when: number | null): Generation | undefined {
  if (gens.length <= 1 || when === null) return gens.length === 1 ? gens[0] : newest(gens);
  let best: Generation | undefined;
  let bestScore = Infinity;
  for (const g of gens) {
    const sent = store.deliveriesOf(g.id).filter((d) => d.status === 'sent' && d.childQueueId === null);
    // A hop into a content filter also says `sent`, but it is not the relay SES saw; prefer real relays.
    const times = sent.length > 0 ? sent.map((d) => d.at) : [g.firstSeen];
    const penalty = sent.length > 0 ? 0 : 1e12;
    for (const t of times) {
      const score = Math.abs(t - when) + penalty;
      if (score < bestScore) {
        bestScore = score;
        best = g;
      }
    }
  }
  return best;
}

export interface ReceivedHop {
  queueId: string | null;
  byHost: string;
  fromHelo: string | null;
  fromHost: string | null;
  fromIp: string | null;
  uid: number | null;
  date: number | null;
}

/** Parses one Received header that Postfix wrote: `from HELO (RDNS [IP]) by HOST (Postfix[, from userid N]) ... id QID; DATE`. */
export function parsePostfixReceived(value: string): ReceivedHop | null {
  const v = value.replace(/\s+/g, ' ').trim();
  const by = /\bby (\S+) \(Postfix(?:, from userid (\d+))?\)/.exec(v);
  if (!by) return null;
  const id = /\bid ([0-9A-Za-z]{5,20})\b/.exec(v.slice(by.index));
  const from = /^from (\S+)(?: \(([^)]*)\))?/.exec(v);
  let fromHost: string | null = null;
  let fromIp: string | null = null;
  if (from?.[2]) {
    const m = /^(?:(\S+) )?\[(?:IPv6:)?([^\]]+)\]/.exec(from[2]);
    if (m) {
      fromHost = m[1] ?? null;
      fromIp = m[2] ?? null;
    }
  }
  const semi = v.lastIndexOf(';');
  const date = semi === -1 ? NaN : Date.parse(v.slice(semi + 1).replace(/\([^)]*\)/g, '').trim());
  return {
    queueId: id?.[1] ?? null,
    byHost: by[1]!,
    fromHelo: from?.[1] ?? null,
    fromHost,
    fromIp,
    uid: by[2] === undefined ? null : Number(by[2]),
    date: Number.isNaN(date) ? null : date,
  };
}

/**
 * Postfix's own Received headers: the topmost names the queue file that relayed to SES, the
 * bottom-most the first hop. Used when the log never showed the message (or has been pruned).
 */
function matchReceived(n: SesNotification, store: Store): Match {
  const hops: ReceivedHop[] = [];
  for (const h of n.mail.headers) {
    if (h.name.toLowerCase() !== 'received') continue;
    const hop = parsePostfixReceived(h.value);
    if (hop) hops.push(hop);
  }
  if (hops.length === 0) return NO_MATCH;
  const top = hops[0]!;
  // Only the topmost run of hops stamped by this MTA is ours (a content filter adds a second one);
  // Postfix headers further down were written by upstream servers and name their users, not ours.
  let ours = 1;
  while (ours < hops.length && hops[ours]!.byHost === top.byHost) ours++;
  if (top.queueId) {
    const gens = store.generationsByQueueId(top.queueId);
    const when = top.date ?? n.mail.timestamp;
    const g = when === null ? newest(gens) : nearestSeen(gens, when);
    if (g) return { generation: g, origin: resolveOrigin(g, (id) => store.getGeneration(id)), matchedBy: 'received-header' };
  }
  const first = hops[ours - 1]!;
  // Not in the index: the headers alone still name the first hop.
  const local = first.uid !== null;
  return {
    generation: null,
    origin: {
      queueId: first.queueId,
      clientIp: local ? null : first.fromIp,
      clientHost: local ? null : first.fromHost,
      saslUsername: null,
      uid: first.uid,
      sender: n.mail.source,
      hops: ours - 1,
    },
    matchedBy: 'received-header',
  };
}

/** Queue ids are reused: take the generation whose life is nearest the header's date (within a day). */
function nearestSeen(gens: Generation[], when: number): Generation | undefined {
  let best: Generation | undefined;
  let bestDist = 24 * 3600_000;
  for (const g of gens) {
    const end = g.removedAt ?? g.lastSeen;
    const dist = when < g.firstSeen ? g.firstSeen - when : when > end ? when - end : 0;
    if (dist <= bestDist) {
      bestDist = dist;
      best = g;
    }
  }
  return best;
}

/** One enriched event per affected recipient. */
export function enrich(n: SesNotification, m: Match): EnrichedEvent[] {
  const kind = eventKindOf(n);
  if (kind === null) return [];
  const recipients = n.recipients.length > 0 ? n.recipients : [{ address: null, action: null, status: null, diagnosticCode: null }];
  return recipients.map((r) =>
    buildEvent(
      {
        event: kind,
        recipient: r.address,
        sesMessageId: n.mail.messageId,
        messageId: n.mail.headerMessageId ? bareMessageId(n.mail.headerMessageId) : null,
        sender: n.mail.source,
        bounceType: n.bounceType ?? n.complaintFeedbackType ?? n.delayType ?? null,
        bounceSubType: n.bounceSubType ?? n.complaintSubType ?? null,
        status: r.status,
        diagnosticCode: r.diagnosticCode ?? (kind === 'delivery' ? n.smtpResponse : null),
        matchedBy: m.matchedBy,
      },
      { generation: m.generation, origin: m.origin },
    ),
  );
}

/** Dedupe key of one recipient's event: SNS may deliver a notification twice, SQS may redeliver it. */
export function eventKey(n: SesNotification, e: EnrichedEvent): string {
  const id = n.feedbackId ?? `${n.mail.messageId ?? ''}@${n.timestamp ?? n.mail.timestamp ?? ''}`;
  return `ses:${e.event}:${id}:${(e.recipient ?? '').toLowerCase()}`;
}
