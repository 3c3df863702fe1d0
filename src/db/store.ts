// The database: one writer that commits a batch of index changes, events and the source checkpoint in a
// single transaction, and the read queries behind `lookup` and the annotator.
import Database from 'better-sqlite3';
import { hostname } from 'node:os';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BULK_REBUILT_INDEXES, migrate } from './schema.js';
import { keyOf, keyOrNull } from './keys.js';
import { DELIVERY_NUMBERS, DELIVERY_STRINGS, GEN_NUMBERS, GEN_STRINGS, packRows, readStrings, unpackStrings, type PackedRows } from './packed.js';
import { replyCodeOf } from '../parser/postfix/delivery.js';
import { isRelayRefusal } from '../tracker/tracker.js';
import type { DeliveryRow, Generation, RefusedDelivery } from '../tracker/types.js';
import type { EnrichedEvent } from '../events.js';

export interface StoredEvent {
  event: EnrichedEvent;
  at: number;
  /** Unique per (notification or delivery attempt, recipient, kind): a second copy is not stored or logged. */
  dedupeKey: string;
  message: number | null;
  notification: number | null;
}

export interface NotificationRow {
  id: number;
  receivedAt: number;
  state: 'pending' | 'done' | 'invalid';
  body: string;
}

export interface Checkpoint {
  source: string;
  value: unknown;
}

export class StoreError extends Error {}

const GEN_COLUMNS = `id, queue_id, host, first_seen, last_seen, removed_at, client_host, client_ip, client_port,
  sasl_method, sasl_username, orig_client_host, orig_client_ip, uid, sender, message_id, size, nrcpt, parent_id, relation`;

const DELIVERY_COLUMNS = `id, message, at, agent, recipient, orig_to, relay, delay, dsn, status, reply, ses_message_id, child_queue_id`;

// Rows are read as arrays (better-sqlite3's raw mode), in the column order above: a lookup that
// returns a hundred messages reads ~700 delivery rows, and an object per row and column name measured
// a third of that time.
type Cell = string | number | null;

function toGeneration(r: Cell[]): Generation {
  return {
    id: r[0] as number,
    queueId: r[1] as string,
    host: r[2] as string | null,
    firstSeen: r[3] as number,
    lastSeen: r[4] as number,
    removedAt: r[5] as number | null,
    clientHost: r[6] as string | null,
    clientIp: r[7] as string | null,
    clientPort: r[8] as number | null,
    saslMethod: r[9] as string | null,
    saslUsername: r[10] as string | null,
    origClientHost: r[11] as string | null,
    origClientIp: r[12] as string | null,
    uid: r[13] as number | null,
    sender: r[14] as string | null,
    messageId: r[15] as string | null,
    size: r[16] as number | null,
    nrcpt: r[17] as number | null,
    parentId: r[18] as number | null,
    relation: r[19] as Generation['relation'],
  };
}

/** `relay` is the relay's name, looked up by the Store from the id the row holds. */
function toDelivery(r: Cell[], relay: string | null): DeliveryRow {
  const ses = r[11] as string | null;
  return {
    id: r[0] as number,
    message: r[1] as number,
    at: r[2] as number,
    agent: r[3] as string,
    recipient: r[4] as string,
    origTo: r[5] as string | null,
    relay,
    delay: r[7] as number | null,
    dsn: r[8] as string | null,
    status: r[9] as string,
    reply: (r[10] as string | null) ?? (ses ? `250 Ok ${ses}` : ''),
    sesMessageId: ses,
    childQueueId: r[12] as string | null,
  };
}


export interface OpenOptions {
  readonly?: boolean;
}

export class Store {
  readonly db: Database.Database;
  private readonly stmts;
  private writerHeld = false;
  /** names.name -> names.id, loaded on first use, and the reverse; both dropped when a transaction rolls back. */
  private nameIds: Map<string, number> | null = null;
  private readonly nameById = new Map<number, string | null>();

  constructor(readonly path: string, opts: OpenOptions = {}) {
    if (!opts.readonly && path !== ':memory:') {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (err) {
        throw new StoreError(`cannot create the directory of database ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
    }
    try {
      this.db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
      this.db.pragma('busy_timeout = 5000');
      if (!opts.readonly) {
        // Only takes effect on a new database. Larger pages: fewer splits while loading, and an
        // index entry of a few bytes wastes less of each page.
        this.db.pragma('page_size = 8192');
        this.db.pragma('journal_mode = WAL');
        // WAL + NORMAL survives a killed process (the case we test); only a power cut can lose the last commits.
        this.db.pragma('synchronous = NORMAL');
        migrate(this.db);
      }
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(`cannot open database ${path}: ${(err as Error).message}`);
    }
    const db = this.db;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) throw new StoreError(`database ${path} has no bounce-origin schema (run \`bounce-origin ingest\` or \`run\` first)`);
    this.stmts = {
      upsertGen: opts.readonly
        ? null
        : db.prepare(`INSERT INTO messages (${GEN_COLUMNS}, queue_key, message_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET queue_id = excluded.queue_id, host = excluded.host, first_seen = excluded.first_seen,
            last_seen = excluded.last_seen, removed_at = excluded.removed_at, client_host = excluded.client_host,
            client_ip = excluded.client_ip, client_port = excluded.client_port, sasl_method = excluded.sasl_method,
            sasl_username = excluded.sasl_username, orig_client_host = excluded.orig_client_host,
            orig_client_ip = excluded.orig_client_ip, uid = excluded.uid, sender = excluded.sender,
            message_id = excluded.message_id, size = excluded.size, nrcpt = excluded.nrcpt,
            parent_id = excluded.parent_id, relation = excluded.relation, queue_key = excluded.queue_key,
            message_key = excluded.message_key`),
      insertDelivery: opts.readonly
        ? null
        : db.prepare(`INSERT INTO deliveries (id, message, at, agent, recipient, orig_to, relay, delay, dsn, status, reply,
            ses_message_id, child_queue_id, ses_key, recipient_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertName: opts.readonly ? null : db.prepare(`INSERT INTO names (name) VALUES (?)`),
      insertEvent: opts.readonly
        ? null
        : db.prepare(`INSERT OR IGNORE INTO events (at, recorded_at, event, recipient, ses_message_id, message_id, queue_id,
            client_ip, client_host, sasl_username, uid, sender, bounce_type, bounce_sub_type, status, diagnostic_code,
            matched_by, message, notification, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      setCheckpoint: opts.readonly
        ? null
        : db.prepare(`INSERT INTO checkpoints (source, value, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
      getGen: db.prepare(`SELECT ${GEN_COLUMNS} FROM messages WHERE id = ?`).raw(),
      // Each lookup finds rows by key (keys.ts) and then compares the text, which a key collision fails.
      genBySes: db
        .prepare(`SELECT ${GEN_COLUMNS} FROM messages WHERE id IN (SELECT message FROM deliveries WHERE ses_key = ? AND ses_message_id = ?) ORDER BY id`)
        .raw(),
      genByMessageId: db.prepare(`SELECT ${GEN_COLUMNS} FROM messages WHERE message_key = ? AND message_id = ? ORDER BY id`).raw(),
      genByQueueId: db.prepare(`SELECT ${GEN_COLUMNS} FROM messages WHERE queue_key = ? AND queue_id = ? ORDER BY id`).raw(),
      // Newest first and bounded: a much-used address (a test mailbox, a role account) has thousands.
      genByRecipient: db
        .prepare(
          `SELECT ${GEN_COLUMNS} FROM messages WHERE id IN (SELECT DISTINCT message FROM deliveries
             WHERE recipient_key = ? AND recipient = ? COLLATE NOCASE ORDER BY message DESC LIMIT ?) ORDER BY id DESC`,
        )
        .raw(),
      deliveriesOf: db.prepare(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE message = ? ORDER BY at, id`).raw(),
      names: db.prepare(`SELECT id, name FROM names`),
      childrenOf: db.prepare(`SELECT ${GEN_COLUMNS} FROM messages WHERE parent_id = ?`).raw(),
      getCheckpoint: db.prepare(`SELECT value FROM checkpoints WHERE source = ?`),
      insertNotification: opts.readonly
        ? null
        : db.prepare(`INSERT OR IGNORE INTO notifications (received_at, dedupe_key, state, kind, ses_message_id, error, body)
            VALUES (@receivedAt, @dedupeKey, @state, @kind, @sesMessageId, @error, @body)`),
      setNotificationState: opts.readonly ? null : db.prepare(`UPDATE notifications SET state = ? WHERE id = ?`),
      pending: db.prepare(`SELECT id, received_at, state, body FROM notifications WHERE state = 'pending' ORDER BY received_at LIMIT ?`),
    };
  }

  /** Claims the database for this process; a second writer would hand out the same ids. */
  acquireWriter(command: string): void {
    const me = { pid: process.pid, hostname: hostname() };
    this.db.transaction(() => {
      const row = this.db.prepare(`SELECT pid, hostname, command, since FROM writer WHERE only = 1`).get() as
        | { pid: number; hostname: string; command: string; since: number }
        | undefined;
      if (row && row.hostname === me.hostname && row.pid !== me.pid && processAlive(row.pid)) {
        throw new StoreError(
          `database ${this.path} is in use by \`bounce-origin ${row.command}\` (pid ${row.pid}, since ${new Date(row.since).toISOString()}); stop it first`,
        );
      }
      this.db
        .prepare(`INSERT OR REPLACE INTO writer (only, pid, hostname, command, since) VALUES (1, ?, ?, ?, ?)`)
        .run(me.pid, me.hostname, command, Date.now());
    }).immediate();
    this.writerHeld = true;
  }

  nextIds(): { generation: number; delivery: number } {
    const g = this.db.prepare(`SELECT coalesce(max(id), 0) + 1 AS n FROM messages`).get() as { n: number };
    const d = this.db.prepare(`SELECT coalesce(max(id), 0) + 1 AS n FROM deliveries`).get() as { n: number };
    return { generation: g.n, delivery: d.n };
  }

  /** Generations not yet removed and seen since `sinceMs`, oldest first, at most `limit`. */
  openGenerations(sinceMs: number, limit: number): Generation[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT ${GEN_COLUMNS} FROM messages WHERE removed_at IS NULL AND last_seen >= ? ORDER BY last_seen DESC LIMIT ?) ORDER BY last_seen`,
      )
      .raw()
      .all(sinceMs, limit) as Cell[][];
    return rows.map(toGeneration);
  }

  /**
   * Refusals by a remote server (`said: 554 ...`) recorded for these generations whose event was never
   * written: the daemon was killed while holding them.
   */
  unreportedRefusals(gens: Generation[]): RefusedDelivery[] {
    if (gens.length === 0) return [];
    const stmt = this.db
      .prepare(
        `SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.message = ? AND d.status IN ('bounced', 'deferred')
          AND NOT EXISTS (SELECT 1 FROM events e WHERE e.dedupe_key = 'log:' || d.id) ORDER BY d.id`,
      )
      .raw();
    const out: RefusedDelivery[] = [];
    for (const g of gens) {
      for (const r of stmt.all(g.id) as Cell[][]) {
        const d = toDelivery(r, this.nameOf(r[6] as number | null));
        const { smtpCode, remoteReply } = replyCodeOf(d.agent, d.reply);
        if (isRelayRefusal(d.status, smtpCode, remoteReply)) out.push({ delivery: d, generation: g, permanent: d.status === 'bounced' });
      }
    }
    return out.sort((a, b) => a.delivery.at - b.delivery.at || a.delivery.id - b.delivery.id);
  }

  getGeneration(id: number): Generation | undefined {
    const r = this.stmts.getGen.get(id) as Cell[] | undefined;
    return r ? toGeneration(r) : undefined;
  }

  /** Writes one batch: index changes, events, checkpoint, all or nothing. Returns the events newly stored. */
  commit(batch: {
    generations?: Generation[];
    deliveries?: DeliveryRow[];
    events?: StoredEvent[];
    checkpoint?: Checkpoint;
  }): StoredEvent[] {
    const setCheckpoint = this.writable(this.stmts.setCheckpoint);
    // Packed as ingest's worker packs them, so one piece of code binds the rows' columns.
    const rows = packRows(batch.generations ?? [], batch.deliveries ?? []);
    return this.transaction(() => {
      this.insertRows(rows);
      const fresh = this.insertEvents(batch.events ?? []);
      if (batch.checkpoint) setCheckpoint.run(batch.checkpoint.source, JSON.stringify(batch.checkpoint.value), Date.now());
      return fresh;
    });
  }

  /**
   * Writes rows packed by packRows (ingest's tracking thread made them) and their events, all or
   * nothing. Returns the events newly stored.
   */
  writePacked(rows: PackedRows, events: StoredEvent[]): StoredEvent[] {
    return this.transaction(() => {
      this.insertRows(rows);
      return this.insertEvents(events);
    });
  }

  /** Inserts or updates packed rows; call inside a transaction. */
  private insertRows(rows: PackedRows): void {
    const upsertGen = this.writable(this.stmts.upsertGen);
    const insertDelivery = this.writable(this.stmts.insertDelivery);
    let s: string[];
    try {
      s = unpackStrings(rows);
    } catch (err) {
      throw new StoreError((err as Error).message);
    }
    const x = rows.numbers;
    // NaN stands for null.
    const v = (i: number): number | null => (x[i]! !== x[i]! ? null : x[i]!);
    const c: Array<string | null> = [];
    let n = 0;
    let k = 0;
    // Positional binding: measurably cheaper than named parameters on the hot path of `ingest`.
    for (let i = 0; i < rows.generations; i++, n += GEN_NUMBERS) {
      k = readStrings(s, k, x[n + GEN_NUMBERS - 1]!, GEN_STRINGS, c);
      const queueId = c[0]!;
      const messageId = c[9] ?? null;
      upsertGen.run(x[n], queueId, c[1], x[n + 1], x[n + 2], v(n + 3), c[2], c[3], v(n + 4), c[4], c[5], c[6], c[7], v(n + 5),
        c[8], messageId, v(n + 6), v(n + 7), v(n + 8), c[10], keyOf(queueId), keyOrNull(messageId));
    }
    for (let i = 0; i < rows.deliveries; i++, n += DELIVERY_NUMBERS) {
      k = readStrings(s, k, x[n + DELIVERY_NUMBERS - 1]!, DELIVERY_STRINGS, c);
      const recipient = c[1]!;
      const ses = c[7] ?? null;
      insertDelivery.run(x[n], x[n + 1], x[n + 2], c[0], recipient, c[2], this.nameId(c[3] ?? null), v(n + 3), c[4], c[5], c[6], ses,
        c[8], keyOrNull(ses), keyOf(recipient));
    }
  }

  /**
   * Runs a bulk load (`ingest`) as one transaction. When the load is large next to what the index
   * already holds, the indexes on hashed keys (BULK_REBUILT_INDEXES) are dropped first and built again
   * at the end: sorting once beats a random B-tree insert per row. A failure rolls everything back,
   * indexes included.
   */
  async bulkLoad<T>(expectedMessages: number, fn: () => Promise<T>): Promise<T> {
    const existing = (this.db.prepare(`SELECT coalesce(max(id), 0) - coalesce(min(id), 0) AS n FROM messages`).get() as { n: number }).n;
    const rebuild = expectedMessages > existing;
    // Into an empty index, a rollback journal beats WAL: WAL writes every page twice (to the log, then
    // to the database at the checkpoint), a rollback journal only copies pages that existed before, of
    // which there are hardly any. Readers wait meanwhile, but an empty index has nothing to show them.
    // Another open connection makes SQLite refuse the switch; then the load simply stays in WAL.
    const empty = this.path !== ':memory:' && !this.db.prepare(`SELECT EXISTS (SELECT 1 FROM messages) AS e`).pluck().get();
    const journal = empty ? (this.db.pragma('journal_mode = DELETE', { simple: true }) as string) : 'wal';
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        // The definitions come from sqlite_master: the schema stays in one place.
        const dropped = rebuild
          ? (this.db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index'`).all() as { name: string; sql: string }[]).filter((i) =>
              BULK_REBUILT_INDEXES.includes(i.name),
            )
          : [];
        for (const i of dropped) this.db.exec(`DROP INDEX "${i.name}"`);
        const result = await fn();
        if (dropped.length > 0) {
          // CREATE INDEX sorts in runs of about cache_size and merges them; runs of 1 MB rather than
          // the default 16 MB sort faster (they fit the CPU's cache): measured 450 -> 385 ms for
          // the 1.6M-line benchmark. Helper threads (PRAGMA threads) made no difference.
          const cache = this.db.pragma('cache_size', { simple: true }) as number;
          this.db.pragma('cache_size = -1000');
          try {
            for (const i of dropped) this.db.exec(i.sql);
          } finally {
            this.db.pragma(`cache_size = ${cache}`);
          }
        }
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        this.forgetNames();
        throw err;
      }
    } finally {
      if (journal !== 'wal') this.db.pragma('journal_mode = WAL');
    }
  }

  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (err) {
      this.forgetNames();
      throw err;
    }
  }

  /** Inserts events, skipping those already stored (same dedupe key); returns the new ones. */
  insertEvents(events: StoredEvent[]): StoredEvent[] {
    const insertEvent = this.writable(this.stmts.insertEvent);
    const fresh: StoredEvent[] = [];
    const now = Date.now();
    for (const e of events) {
      const ev = e.event;
      // Positional: ingest writes one per relay refusal, and naming 20 parameters cost 3x the insert.
      const info = insertEvent.run(e.at, now, ev.event, ev.recipient, ev.sesMessageId, ev.messageId, ev.queueId, ev.clientIp,
        ev.clientHost, ev.saslUsername, ev.uid, ev.sender, ev.bounceType, ev.bounceSubType, ev.status, ev.diagnosticCode,
        ev.matchedBy, e.message, e.notification, e.dedupeKey);
      if (info.changes > 0) fresh.push(e);
    }
    return fresh;
  }

  /**
   * Records a notification (call inside `commit`'s `also`, so it lands with its events).
   * Returns its row id, or null when the same notification was recorded before (a redelivery).
   */
  recordNotification(n: {
    receivedAt: number;
    dedupeKey: string;
    state: NotificationRow['state'];
    kind: string | null;
    sesMessageId: string | null;
    error: string | null;
    body: string;
  }): number | null {
    const info = this.writable(this.stmts.insertNotification).run(n);
    return info.changes > 0 ? Number(info.lastInsertRowid) : null;
  }

  setNotificationState(id: number, state: NotificationRow['state']): void {
    this.writable(this.stmts.setNotificationState).run(state, id);
  }

  pendingNotifications(limit: number): NotificationRow[] {
    return (this.stmts.pending.all(limit) as { id: number; received_at: number; state: NotificationRow['state']; body: string }[]).map(
      (r) => ({ id: r.id, receivedAt: r.received_at, state: r.state, body: r.body }),
    );
  }

  /** After a rollback: the caches may hold names (and ids) that went with it. */
  private forgetNames(): void {
    this.nameIds = null;
    this.nameById.clear();
  }

  /** The id of a name in `names`, adding it the first time it is seen; call inside a write transaction. */
  private nameId(name: string | null): number | null {
    if (name === null) return null;
    let ids = this.nameIds;
    if (ids === null) {
      ids = new Map();
      for (const r of this.stmts.names.all() as { id: number; name: string }[]) ids.set(r.name, r.id);
      this.nameIds = ids;
    }
    let id = ids.get(name);
    if (id === undefined) {
      id = Number(this.writable(this.stmts.insertName).run(name).lastInsertRowid);
      ids.set(name, id);
    }
    return id;
  }

  private writable<T>(stmt: T | null): T {
    if (stmt === null) throw new StoreError('database opened read-only');
    return stmt;
  }

  checkpoint(source: string): unknown {
    const r = this.stmts.getCheckpoint.get(source) as { value: string } | undefined;
    return r ? JSON.parse(r.value) : null;
  }

  // --- lookups -------------------------------------------------------------------------------------

  generationsBySesId(id: string): Generation[] {
    return (this.stmts.genBySes.all(keyOf(id), id) as Cell[][]).map(toGeneration);
  }

  generationsByMessageId(id: string): Generation[] {
    return (this.stmts.genByMessageId.all(keyOf(id), id) as Cell[][]).map(toGeneration);
  }

  generationsByQueueId(id: string): Generation[] {
    return (this.stmts.genByQueueId.all(keyOf(id), id) as Cell[][]).map(toGeneration);
  }

  /** The newest `limit` generations that had a delivery attempt to `address` (any letter case). */
  generationsByRecipient(address: string, limit = 1000): Generation[] {
    return (this.stmts.genByRecipient.all(keyOf(address), address, limit) as Cell[][]).map(toGeneration);
  }

  deliveriesOf(generationId: number): DeliveryRow[] {
    return (this.stmts.deliveriesOf.all(generationId) as Cell[][]).map((r) => toDelivery(r, this.nameOf(r[6] as number | null)));
  }

  childrenOf(generationId: number): Generation[] {
    return (this.stmts.childrenOf.all(generationId) as Cell[][]).map(toGeneration);
  }

  /** The name behind a names.id; the table only grows, so the cache is read again only for an id it lacks. */
  private nameOf(id: number | null): string | null {
    if (id === null) return null;
    let name = this.nameById.get(id);
    if (name === undefined) {
      for (const r of this.stmts.names.all() as { id: number; name: string }[]) this.nameById.set(r.id, r.name);
      name = this.nameById.get(id) ?? null;
      this.nameById.set(id, name);
    }
    return name;
  }

  /**
   * Deletes up to `limit` of the oldest rows older than `cutoff` from each table; returns how many went.
   * Small batches keep each transaction short, so ingestion never waits long behind retention.
   */
  pruneBatch(cutoff: number, limit: number): number {
    return this.transaction(() => {
      const ids = this.db
        .prepare(`SELECT id FROM messages WHERE last_seen < ? ORDER BY last_seen LIMIT ?`)
        .pluck()
        .all(cutoff, limit) as number[];
      let n = 0;
      if (ids.length > 0) {
        const list = `(${ids.join(',')})`;
        n += this.db.prepare(`DELETE FROM deliveries WHERE message IN ${list}`).run().changes;
        n += this.db.prepare(`DELETE FROM messages WHERE id IN ${list}`).run().changes;
      }
      n += this.db
        .prepare(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY at LIMIT ?)`)
        .run(cutoff, limit).changes;
      n += this.db
        .prepare(
          `DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE received_at < ? AND state != 'pending' ORDER BY received_at LIMIT ?)`,
        )
        .run(cutoff, limit).changes;
      return n;
    });
  }

  close(): void {
    if (!this.db.open) return;
    if (this.writerHeld) {
      try {
        this.db.prepare(`DELETE FROM writer WHERE only = 1 AND pid = ?`).run(process.pid);
      } catch {
        // A full or read-only disk must not turn a clean shutdown into a crash; the stale row is
        // recognised as dead (by pid) at the next start.
      }
    }
    this.db.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
