// SIGKILL the real daemon while it indexes, rotate the log while it runs and while it is down, restart
// it each time: the index it ends with must equal a clean `ingest` of the same lines, row for row.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, renameSync, statSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { generateLog, Rng } from '../../src/bench/generate.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli.js');

function generated(messages: number, seed: number): string[] {
  let text = '';
  // Yesterday, so the daemon's retention (counted from today) keeps every row.
  const start = new Date(Date.now() - 24 * 3600_000);
  generateLog({ messages, seed, start }, (chunk) => (text += chunk));
  return text.trimEnd().split('\n');
}

function startDaemon(config: string): ChildProcess {
  const child = spawn(process.execPath, [cli, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') throw new Error(`daemon exited ${code} ${signal}: ${err}`);
  });
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function killHard(child: ChildProcess): Promise<void> {
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

function checkpointOf(dbPath: string): string | null {
  if (!existsSync(dbPath)) return null;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT value FROM checkpoints`).pluck().get() as string | undefined) ?? null;
  } catch {
    return null; // not migrated yet
  } finally {
    db.close();
  }
}

/** Kills the daemon once it has committed past `after`, a random moment later: mid-way through its next batches. */
async function killAfterProgress(child: ChildProcess, dbPath: string, after: string | null, rng: Rng): Promise<string | null> {
  const deadline = Date.now() + 30_000;
  while (checkpointOf(dbPath) === after) {
    if (Date.now() > deadline) throw new Error('the daemon made no progress in 30 s');
    await sleep(20);
  }
  await sleep(rng.int(0, 150));
  await killHard(child);
  return checkpointOf(dbPath);
}

/** Rows that carry meaning; `recorded_at` is wall-clock bookkeeping and differs between any two runs. */
function dump(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      messages: db.prepare(`SELECT * FROM messages ORDER BY id`).all(),
      deliveries: db.prepare(`SELECT * FROM deliveries ORDER BY id`).all(),
      events: db.prepare(`SELECT * FROM events ORDER BY dedupe_key`).all().map((e) => ({ ...(e as object), id: 0, recorded_at: 0 })),
    };
  } finally {
    db.close();
  }
}

async function caughtUp(dbPath: string, log: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(dbPath)) {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        const row = db.prepare(`SELECT value FROM checkpoints`).get() as { value: string } | undefined;
        const st = statSync(log);
        if (row) {
          const cp = JSON.parse(row.value) as { ino: number; offset: number };
          if (cp.ino === st.ino && cp.offset === st.size) return;
        }
      } catch {
        // The daemon may be mid-migration on its first start; look again.
      } finally {
        db.close();
      }
    }
    if (Date.now() > deadline) throw new Error(`daemon did not catch up with ${log} in ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe('crash consistency', () => {
  it.each([11, 12])('SIGKILL mid-batch and rotations (also while down) leave the index equal to a clean ingest (seed %i)', async (seed) => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-crash-'));
    const log = join(dir, 'mail.log');
    const db = join(dir, 'index.db');
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ source: { type: 'file', path: log }, database: db, logLevel: 'warn' }));
    const lines = generated(12_000, seed);
    const rng = new Rng(seed);
    const cuts = [0.25, 0.45, 0.6, 0.75, 0.9, 1].map((f) => Math.floor(lines.length * f));
    const slice = (i: number) => lines.slice(i === 0 ? 0 : cuts[i - 1], cuts[i]).join('\n') + '\n';

    writeFileSync(log, slice(0));
    let d = startDaemon(config);
    // Almost surely mid-batch: it is still catching up on a big backlog.
    let cp = await killAfterProgress(d, db, null, rng);

    appendFileSync(log, slice(1));
    d = startDaemon(config);
    // logrotate while running: rename, create, keep writing.
    renameSync(log, `${log}.1`);
    writeFileSync(log, slice(2));
    cp = await killAfterProgress(d, db, cp, rng);

    // While it is down: more lines, then `postfix logrotate` style (rename, gzip at once) and older files shift.
    appendFileSync(log, slice(3));
    renameSync(`${log}.1`, `${log}.2`);
    // Rotations are hours apart in real life, and the follower orders rotated files by mtime.
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(`${log}.2`, hourAgo, hourAgo);
    const rotated = `${log}.20261204-120000`;
    renameSync(log, rotated);
    writeFileSync(`${rotated}.gz`, gzipSync(readFileSync(rotated)));
    unlinkSync(rotated);
    writeFileSync(log, slice(4));
    d = startDaemon(config);
    await killAfterProgress(d, db, cp, rng);

    appendFileSync(log, slice(5));
    d = startDaemon(config);
    await caughtUp(db, log);
    const stopped = new Promise<number | null>((r) => d.once('exit', (code) => r(code)));
    d.kill('SIGTERM');
    expect(await stopped).toBe(0);

    const all = join(dir, 'all.log');
    writeFileSync(all, lines.join('\n') + '\n');
    const clean = join(dir, 'clean.db');
    const r = spawnSync(process.execPath, [cli, 'ingest', '--database', clean, all], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    const got = dump(db);
    const want = dump(clean);
    expect(want.messages.length).toBeGreaterThan(12_000);
    expect(got.messages.length).toBe(want.messages.length);
    expect(got.deliveries.length).toBe(want.deliveries.length);
    expect(got.messages).toEqual(want.messages);
    expect(got.deliveries).toEqual(want.deliveries);
    expect(got.events).toEqual(want.events);
  }, 120_000);
});
