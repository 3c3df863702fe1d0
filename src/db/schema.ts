// The one place for the database schema. Each migration runs once, in order, inside a transaction;
// PRAGMA user_version records how far a database has come. Never edit a released migration: add one.
import type Database from 'better-sqlite3';

// Times are integer milliseconds since the epoch; the `bounces` view shows them as ISO text.
const MIGRATIONS: readonly string[] = [
  // 1: the message index, delivery attempts, notifications, enriched events, source checkpoints.
  `
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    queue_id TEXT NOT NULL,
    host TEXT,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    removed_at INTEGER,
    client_host TEXT,
    client_ip TEXT,
    client_port INTEGER,
    sasl_method TEXT,
    sasl_username TEXT,
    orig_client_host TEXT,
    orig_client_ip TEXT,
    uid INTEGER,
    sender TEXT,
    message_id TEXT,
    size INTEGER,
    nrcpt INTEGER,
    parent_id INTEGER,
    relation TEXT,
    -- keyOf(queue_id) and keyOf(message_id) (src/db/keys.ts): what the lookups search by.
    queue_key INTEGER NOT NULL,
    message_key INTEGER
  );
  CREATE INDEX messages_queue_key ON messages (queue_key);
  CREATE INDEX messages_message_key ON messages (message_key) WHERE message_key IS NOT NULL;
  CREATE INDEX messages_parent_id ON messages (parent_id) WHERE parent_id IS NOT NULL;
  -- The generations a restart reloads (Store.openGenerations): few rows, so a scan of the table is spared.
  CREATE INDEX messages_open ON messages (last_seen) WHERE removed_at IS NULL;

  -- Strings that repeat on most rows (relay host[address]:port), stored once and referred to by id.
  CREATE TABLE names (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
  );

  CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    message INTEGER NOT NULL,
    at INTEGER NOT NULL,
    agent TEXT,
    recipient TEXT NOT NULL,
    orig_to TEXT,
    relay INTEGER, -- names.id (no REFERENCES: enforcing it would cost a lookup per insert)
    delay REAL,
    dsn TEXT,
    status TEXT NOT NULL,
    reply TEXT,
    ses_message_id TEXT,
    child_queue_id TEXT,
    -- keyOf(ses_message_id) and keyOf(recipient), the latter matching in any letter case.
    ses_key INTEGER,
    recipient_key INTEGER NOT NULL
  );
  CREATE INDEX deliveries_message ON deliveries (message);
  CREATE INDEX deliveries_ses_key ON deliveries (ses_key) WHERE ses_key IS NOT NULL;
  CREATE INDEX deliveries_recipient_key ON deliveries (recipient_key, message);

  -- Every SQS message or annotate input we accepted, good or bad, so nothing is lost silently.
  CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'invalid')),
    kind TEXT,
    ses_message_id TEXT,
    error TEXT,
    body TEXT NOT NULL
  );
  CREATE INDEX notifications_pending ON notifications (received_at) WHERE state = 'pending';
  CREATE INDEX notifications_received_at ON notifications (received_at);

  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    event TEXT NOT NULL,
    recipient TEXT,
    ses_message_id TEXT,
    message_id TEXT,
    queue_id TEXT,
    client_ip TEXT,
    client_host TEXT,
    sasl_username TEXT,
    uid INTEGER,
    sender TEXT,
    bounce_type TEXT,
    bounce_sub_type TEXT,
    status TEXT,
    diagnostic_code TEXT,
    matched_by TEXT,
    message INTEGER,
    notification INTEGER,
    dedupe_key TEXT NOT NULL UNIQUE
  );
  CREATE INDEX events_at ON events (at);
  CREATE INDEX events_ses_message_id ON events (ses_message_id) WHERE ses_message_id IS NOT NULL;
  CREATE INDEX events_client_ip ON events (client_ip, at);

  CREATE TABLE checkpoints (
    source TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  -- One writer at a time: ids are handed out in memory by the writer that holds this row.
  CREATE TABLE writer (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    pid INTEGER NOT NULL,
    hostname TEXT NOT NULL,
    command TEXT NOT NULL,
    since INTEGER NOT NULL
  );

  CREATE VIEW bounces AS
    SELECT strftime('%Y-%m-%dT%H:%M:%fZ', at / 1000.0, 'unixepoch') AS at,
           event, recipient, bounce_type, bounce_sub_type, status, diagnostic_code,
           ses_message_id, message_id, queue_id, client_ip, client_host, sasl_username, uid, sender,
           matched_by
      FROM events
     WHERE event IN ('bounce', 'complaint', 'reject');

  -- Delivery attempts as an operator reads them: relay names and the '250 Ok <ses-id>' replies that
  -- the table stores compactly spelled out, with the queue id of the message.
  CREATE VIEW attempts AS
    SELECT strftime('%Y-%m-%dT%H:%M:%fZ', d.at / 1000.0, 'unixepoch') AS at,
           m.queue_id, d.recipient, d.orig_to, n.name AS relay, d.delay, d.dsn, d.status,
           coalesce(d.reply, '250 Ok ' || d.ses_message_id) AS reply, d.ses_message_id, d.child_queue_id,
           d.message, m.client_ip, m.uid, m.sender
      FROM deliveries d
      JOIN messages m ON m.id = d.message
      LEFT JOIN names n ON n.id = d.relay;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The indexes `ingest` drops before a large load and builds again at the end. Their keys are hashes,
 * so keeping them up to date row by row is a random B-tree insert each; one sort at the end is cheaper.
 * The others take their keys in nearly ascending order (new ids) and cost less to keep than to rebuild.
 */
export const BULK_REBUILT_INDEXES: readonly string[] = [
  'messages_queue_key',
  'messages_message_key',
  'deliveries_ses_key',
  'deliveries_recipient_key',
];

/** Brings the database up to SCHEMA_VERSION; refuses one written by a newer bounce-origin. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `database schema version ${current} is newer than this bounce-origin understands (${SCHEMA_VERSION}); upgrade bounce-origin`,
    );
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
