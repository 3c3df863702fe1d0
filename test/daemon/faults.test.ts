// The daemon under conditions an operator meets in a year: a full disk, retention, a log that is gone.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseConfig, type Config } from '../../src/config.js';
import { Store } from '../../src/db/store.js';
import { ingestFiles } from '../../src/commands/ingest.js';
import { generateLog } from '../../src/bench/generate.js';
import { runDaemon, until } from '../helpers/capture.js';

const seedLines = readFileSync(new URL('../fixtures/journal-short.log', import.meta.url), 'utf8').trimEnd().split('\n');

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function start(config: Config, extra: { now?: () => number; retentionEveryMs?: number } = {}) {
  const d = runDaemon(config, extra);
  stops.push(d.stop);
  return d;
}

function count(db: string, sql: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).pluck().get() as number;
  } finally {
    d.close();
  }
}

describe('daemon faults', () => {
  it('waits out a full disk without losing a line, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-full-'));
    const log = join(dir, 'mail.log');
    writeFileSync(log, seedLines.slice(0, 8).join('\n') + '\n');
    const config = parseConfig({ source: { type: 'file', path: log }, database: join(dir, 'index.db'), retentionDays: 3650 });
    const d = start(config);
    await until(() => count(config.database, 'SELECT count(*) FROM messages') === 2, 'the first lines');
    // SQLite's page limit stands in for a full disk: a write that needs a new page fails with SQLITE_FULL.
    const db = (d.daemon as unknown as { store: { db: Database.Database } }).store.db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    let more = '';
    generateLog({ messages: 300, seed: 5, start: new Date(Date.now() - 3600_000) }, (c) => (more += c));
    appendFileSync(log, seedLines.slice(8).join('\n') + '\n' + more);
    await until(() => d.lines.some((l) => l['op'] === 'database-write-failed'), 'the write failure reported');
    expect(d.lines.find((l) => l['op'] === 'database-write-failed')).toMatchObject({ level: 50, err: 'database or disk is full' });
    db.pragma('max_page_count = 1073741823');
    await until(() => d.lines.some((l) => l['op'] === 'database-recovered'), 'recovery reported', 30_000);

    // Everything the log holds is there: the same as a clean ingest of the file.
    const clean = new Store(join(dir, 'clean.db'));
    await ingestFiles(clean, [log], { stderr: () => {} });
    const want = (clean.db.prepare('SELECT count(*) FROM deliveries').pluck().get() as number);
    clean.close();
    await until(() => count(config.database, 'SELECT count(*) FROM deliveries') === want, `all ${want} delivery attempts indexed`);
    expect(want).toBeGreaterThan(300);
  });

  it('deletes messages, deliveries and events older than retentionDays, keeping the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-retention-'));
    const log = join(dir, 'mail.log');
    writeFileSync(log, seedLines.join('\n') + '\n');
    // The seed log is from 3 November; "today" is 5 December, so with 30 days everything before
    // 5 November goes, and with 40 days nothing does.
    const now = () => new Date(new Date().getFullYear(), 11, 5).getTime();
    const keep = parseConfig({ source: { type: 'file', path: log }, database: join(dir, 'keep.db'), retentionDays: 40 });
    const a = start(keep, { now, retentionEveryMs: 100 });
    await until(() => a.lines.some((l) => l['queueId'] === '8606813DBB1'), 'the whole log indexed');
    await new Promise((r) => setTimeout(r, 300));
    await a.stop();
    expect(count(keep.database, 'SELECT count(*) FROM messages')).toBe(6);

    const prune = parseConfig({ source: { type: 'file', path: log }, database: join(dir, 'prune.db'), retentionDays: 30 });
    const b = start(prune, { now, retentionEveryMs: 100 });
    await until(() => b.lines.some((l) => l['queueId'] === '8606813DBB1'), 'the whole log indexed');
    await until(() => b.lines.some((l) => l['op'] === 'retention'), 'a retention pass that deleted rows');
    await b.stop();
    expect(count(prune.database, 'SELECT count(*) FROM messages')).toBe(0);
    expect(count(prune.database, 'SELECT count(*) FROM deliveries')).toBe(0);
    expect(count(prune.database, 'SELECT count(*) FROM events')).toBe(0);
    expect(b.lines.find((l) => l['op'] === 'retention')).toMatchObject({ olderThanDays: 30 });
  });

  it('reports a log that is not there once, keeps running, and indexes it when it appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-missing-'));
    const log = join(dir, 'mail.log');
    const config = parseConfig({ source: { type: 'file', path: log }, database: join(dir, 'index.db'), retentionDays: 3650 });
    const d = start(config);
    await until(() => d.lines.some((l) => l['op'] === 'source-problem'), 'the missing log reported');
    expect(d.lines.find((l) => l['op'] === 'source-problem')).toMatchObject({ level: 40, code: 'missing', path: log });
    writeFileSync(log, seedLines.join('\n') + '\n');
    await until(() => count(config.database, 'SELECT count(*) FROM messages') === 6, 'the log indexed once it appeared');
    expect(d.lines.filter((l) => l['op'] === 'source-problem')).toHaveLength(1);
  });
});
