// Follows every queue file through its life and ties together the generations that one message became
// (content-filter hops, re-injection, local forwarding, Postfix's own bounce notices).
// Pure in-memory state: the caller drains the changes and writes them with the checkpoint they cover.
import type { LogRecord, PostfixEvent, DeliveryEvent } from '../parser/types.js';
import type { DeliveryRow, Generation, Origin, Relation, TrackerChanges, RefusedDelivery } from './types.js';

export interface TrackerBackend {
  /** A generation already written to the database (for origin lookups past what memory holds). */
  getGeneration(id: number): Generation | undefined;
}

export interface TrackerOptions {
  nextGenerationId: number;
  nextDeliveryId: number;
  backend: TrackerBackend;
  /** Generations still open when the tracker starts (e.g. after a restart), newest last. */
  open?: Generation[];
  /** How long (log time) a removed generation stays linkable: a filter's `queued as` can trail the child's `removed`. */
  recentMs?: number;
  /** An open generation not seen for this long (log time) is dropped from memory; it stays in the database. */
  staleMs?: number;
  /** Hard cap on open generations held in memory. */
  maxOpen?: number;
  /** Refusals recorded but not reported when the tracker last stopped (see `holdMs`). */
  pendingRefusals?: RefusedDelivery[];
  /** How long (log time) a refusal waits for the lines that complete its origin, unless its queue file is removed first. */
  holdMs?: number;
}

export interface TrackerStats {
  open: number;
  /** Generations held in memory: the open and recently removed ones, and their ancestors. */
  memory: number;
  generations: number;
  deliveries: number;
  evicted: number;
}

const MAX_HOPS = 32;

export class Tracker {
  private readonly open = new Map<string, Generation>();
  /** Removed generations, insertion-ordered by removal, for late links. */
  private readonly recent = new Map<string, Generation>();
  /**
   * Every generation in memory: the open and recent ones, and the ancestors of those. An ancestor is
   * kept while a descendant is (`pins` counts its children in memory), so walking to the origin never
   * needs the backend for a generation this tracker made, even one long removed: a deferred message
   * can be refused hours after its filter's first pass was removed, and `ingest` writes its rows from
   * another thread, out of sight of the backend.
   */
  private readonly byId = new Map<number, Generation>();
  private readonly pins = new Map<number, number>();
  private dirty = new Set<Generation>();
  private deliveries: DeliveryRow[] = [];
  private refused: RefusedDelivery[] = [];
  /** Refusals waiting for their origin to be complete, oldest first. */
  private held: RefusedDelivery[] = [];
  private readonly holdMs: number;
  private nextGenerationId: number;
  private nextDeliveryId: number;
  private readonly backend: TrackerBackend;
  private readonly recentMs: number;
  private readonly staleMs: number;
  private readonly maxOpen: number;
  private newestTime = 0;
  private lastSweep = 0;
  readonly stats: TrackerStats = { open: 0, memory: 0, generations: 0, deliveries: 0, evicted: 0 };

  constructor(opts: TrackerOptions) {
    this.nextGenerationId = opts.nextGenerationId;
    this.nextDeliveryId = opts.nextDeliveryId;
    this.backend = opts.backend;
    this.recentMs = opts.recentMs ?? 60_000;
    this.staleMs = opts.staleMs ?? 7 * 24 * 3600_000;
    this.maxOpen = opts.maxOpen ?? 200_000;
    this.holdMs = opts.holdMs ?? 60_000;
    for (const g of opts.open ?? []) {
      this.open.set(g.queueId, g);
      this.byId.set(g.id, g);
    }
    for (const g of opts.open ?? []) if (g.parentId !== null && this.byId.has(g.parentId)) this.pin(g.parentId);
    for (const r of opts.pendingRefusals ?? []) {
      // Tie the refusal to the reloaded generation object, so its removal releases it.
      const g = this.byId.get(r.generation.id);
      this.held.push(g ? { ...r, generation: g } : r);
    }
  }

  apply(record: LogRecord, event: PostfixEvent): void {
    const t = record.time;
    if (t > this.newestTime) {
      this.newestTime = t;
      if (this.held.length > 0) this.releaseDue();
    }
    switch (event.kind) {
      case 'client': {
        const g = this.touch(event.queueId, record);
        g.clientHost = event.clientHost;
        g.clientIp = event.clientIp;
        g.clientPort = event.clientPort;
        if (event.saslMethod !== null) g.saslMethod = event.saslMethod;
        if (event.saslUsername !== null) g.saslUsername = event.saslUsername;
        if (event.origClientIp !== null) {
          g.origClientHost = event.origClientHost;
          g.origClientIp = event.origClientIp;
        }
        if (event.origQueueId !== null && g.parentId === null) {
          const parent = this.find(event.origQueueId);
          if (parent && parent !== g) this.setParent(g, parent, 'xforward');
        }
        return;
      }
      case 'pickup': {
        const g = this.touch(event.queueId, record);
        g.uid = event.uid;
        g.sender = event.sender;
        return;
      }
      case 'message-id': {
        const g = this.touch(event.queueId, record);
        g.messageId = event.messageId;
        return;
      }
      case 'queued': {
        const g = this.touch(event.queueId, record);
        g.sender = event.sender;
        if (event.size !== null) g.size = event.size;
        if (event.nrcpt !== null) g.nrcpt = event.nrcpt;
        return;
      }
      case 'expired': {
        const g = this.touch(event.queueId, record);
        if (event.sender !== null && g.sender === null) g.sender = event.sender;
        return;
      }
      case 'delivery':
        this.delivery(record, event);
        return;
      case 'notification': {
        const parent = this.touch(event.queueId, record);
        this.link(parent, event.childQueueId, 'notification', record);
        return;
      }
      case 'removed': {
        const g = this.open.get(event.queueId);
        if (!g) return; // the generation began before our log did; nothing to close
        g.removedAt = t;
        g.lastSeen = Math.max(g.lastSeen, t);
        this.dirty.add(g);
        this.open.delete(event.queueId);
        if (this.held.length > 0) this.releaseOf(g);
        const older = this.recent.get(event.queueId);
        this.recent.delete(event.queueId);
        this.recent.set(event.queueId, g);
        if (older !== undefined) this.forget(older);
        return;
      }
      case 'reject':
        // A refused SMTP transaction or a cleanup reject: no queue file survives to be relayed, so
        // there is nothing for SES to report back; the parser counts these.
        return;
    }
  }

  private delivery(record: LogRecord, e: DeliveryEvent): void {
    const g = this.touch(e.queueId, record);
    const row: DeliveryRow = {
      id: this.nextDeliveryId++,
      message: g.id,
      at: record.time,
      agent: e.agent,
      recipient: e.recipient,
      origTo: e.origTo,
      relay: e.relay,
      delay: e.delay,
      dsn: e.dsn,
      status: e.status,
      reply: e.reply,
      sesMessageId: e.sesMessageId,
      childQueueId: e.childQueueId,
    };
    this.deliveries.push(row);
    this.stats.deliveries++;
    if (e.childQueueId !== null) {
      this.link(g, e.childQueueId, e.reply.startsWith('forwarded as') ? 'forward' : 'filter', record);
    }
    // Only a refusal the remote server spoke counts: `connect to ...: Connection refused` says nothing about the message.
    if (isRelayRefusal(e.status, e.smtpCode, e.remoteReply)) {
      this.held.push({ delivery: row, generation: g, permanent: e.status === 'bounced' });
    }
  }

  // A refusal is reported once its queue file is removed or holdMs of log time have passed, with the
  // origin known at that line of the log. Deciding by log position, never by when a batch happens to
  // be written, makes the events the same whether the log is read by `ingest` or followed live
  // across restarts; and the wait lets a content filter's `queued as` line, which can trail the
  // child's refusal, link it to its real first hop first.
  private releaseDue(): void {
    const cutoff = this.newestTime - this.holdMs;
    let i = 0;
    while (i < this.held.length && this.held[i]!.delivery.at < cutoff) i++;
    if (i > 0) for (const r of this.held.splice(0, i)) this.release(r);
  }

  private releaseOf(g: Generation): void {
    // Called at every removal while anything is held: most hold nothing of this generation, so look before copying.
    const held = this.held;
    let i = 0;
    while (i < held.length && held[i]!.generation !== g) i++;
    if (i === held.length) return;
    const keep = held.slice(0, i);
    for (; i < held.length; i++) {
      const r = held[i]!;
      if (r.generation === g) this.release(r);
      else keep.push(r);
    }
    this.held = keep;
  }

  private release(r: RefusedDelivery): void {
    r.origin = this.origin(r.generation);
    this.refused.push(r);
  }

  /** Reports every held refusal now: the input has ended (`ingest`) or the daemon stops cleanly. */
  releaseAll(): void {
    for (const r of this.held.splice(0)) this.release(r);
  }

  /** The open generation for this queue id, created on its first line. */
  private touch(queueId: string, record: LogRecord): Generation {
    let g = this.open.get(queueId);
    if (!g) {
      g = this.create(queueId, record.host, record.time);
    } else if (record.time > g.lastSeen) {
      g.lastSeen = record.time;
    }
    this.dirty.add(g);
    return g;
  }

  private create(queueId: string, host: string | null, time: number): Generation {
    const g: Generation = {
      id: this.nextGenerationId++,
      queueId,
      host,
      firstSeen: time,
      lastSeen: time,
      removedAt: null,
      clientHost: null,
      clientIp: null,
      clientPort: null,
      saslMethod: null,
      saslUsername: null,
      origClientHost: null,
      origClientIp: null,
      uid: null,
      sender: null,
      messageId: null,
      size: null,
      nrcpt: null,
      parentId: null,
      relation: null,
    };
    this.open.set(queueId, g);
    this.byId.set(g.id, g);
    this.stats.generations++;
    return g;
  }

  /** The generation a back-reference names: the open one, else one removed moments ago. */
  private find(queueId: string): Generation | undefined {
    return this.open.get(queueId) ?? this.recent.get(queueId);
  }

  /**
   * The child usually logs its first lines before the parent's line that names it; when it has not
   * appeared yet, open it now so its lines attach to this generation when they come.
   */
  private link(parent: Generation, childQueueId: string, relation: Relation, record: LogRecord): void {
    if (childQueueId === parent.queueId) return;
    const child = this.find(childQueueId) ?? this.create(childQueueId, record.host, record.time);
    if (child.parentId !== null && child.relation !== 'xforward') return;
    this.setParent(child, parent, relation);
  }

  private setParent(child: Generation, parent: Generation, relation: Relation): void {
    // A cycle would make the origin walk spin; queue-id reuse can produce one from garbled logs.
    for (let g: Generation | undefined = parent, n = 0; g && n < MAX_HOPS; n++) {
      if (g === child) return;
      g = g.parentId === null ? undefined : this.generation(g.parentId);
    }
    const before = child.parentId;
    child.parentId = parent.id;
    child.relation = relation;
    this.dirty.add(child);
    this.pin(parent.id);
    if (before !== null) this.unpin(before);
  }

  private pin(id: number): void {
    this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
  }

  private unpin(id: number): void {
    const n = this.pins.get(id);
    if (n === undefined) return;
    if (n > 1) {
      this.pins.set(id, n - 1);
      return;
    }
    this.pins.delete(id);
    const g = this.byId.get(id);
    if (g !== undefined) this.forget(g);
  }

  private alive(g: Generation): boolean {
    return this.open.get(g.queueId) === g || this.recent.get(g.queueId) === g || this.pins.has(g.id);
  }

  /** Drops a generation that left `open` and `recent` from memory, unless a descendant still needs it; then its parent, likewise. */
  private forget(g: Generation): void {
    if (this.alive(g) || this.byId.get(g.id) !== g) return;
    this.byId.delete(g.id);
    if (g.parentId !== null && this.byId.has(g.parentId)) this.unpin(g.parentId);
  }

  private generation(id: number): Generation | undefined {
    return this.byId.get(id) ?? this.backend.getGeneration(id);
  }

  /** Walks parent links to the generation that entered the MTA first. */
  origin(g: Generation): Origin {
    return resolveOrigin(g, (id) => this.generation(id));
  }

  /** Hands over everything changed since the last call, and forgets what memory no longer needs. */
  drain(): TrackerChanges {
    const changes: TrackerChanges = {
      generations: [...this.dirty],
      deliveries: this.deliveries,
      refused: this.refused,
    };
    this.dirty = new Set();
    this.deliveries = [];
    this.refused = [];
    this.sweep();
    this.stats.open = this.open.size;
    this.stats.memory = this.byId.size;
    return changes;
  }

  private sweep(): void {
    const now = this.newestTime;
    // Keyed by queue id, oldest removal first.
    for (const g of this.recent.values()) {
      if (now - (g.removedAt ?? g.lastSeen) <= this.recentMs) break;
      this.recent.delete(g.queueId);
      this.forget(g);
    }
    const overfull = this.open.size > this.maxOpen;
    if (!overfull && now - this.lastSweep < 3600_000) return;
    this.lastSweep = now;
    for (const [qid, g] of this.open) {
      if (!(now - g.lastSeen > this.staleMs || this.open.size > this.maxOpen)) continue;
      this.open.delete(qid);
      this.forget(g);
      this.stats.evicted++;
    }
  }
}

/** A delivery the remote server refused, for good (bounced) or for now (deferred). */
export function isRelayRefusal(status: string, smtpCode: number | null, remoteReply: boolean): boolean {
  return remoteReply && smtpCode !== null && smtpCode >= 400 && (status === 'bounced' || status === 'deferred');
}

export function resolveOrigin(start: Generation, get: (id: number) => Generation | undefined): Origin {
  let g = start;
  let hops = 0;
  const seen = new Set<number>([g.id]);
  while (g.parentId !== null && hops < MAX_HOPS) {
    const parent = get(g.parentId);
    if (!parent || seen.has(parent.id)) break;
    seen.add(parent.id);
    g = parent;
    hops++;
  }
  // A root that came back through a content filter whose first pass we never saw still knows its
  // first hop from XFORWARD.
  const viaXforward = g.origClientIp !== null;
  return {
    queueId: g.queueId,
    clientIp: viaXforward ? g.origClientIp : g.clientIp,
    clientHost: viaXforward ? g.origClientHost : g.clientHost,
    saslUsername: g.saslUsername,
    uid: g.uid,
    sender: g.sender,
    hops,
  };
}
