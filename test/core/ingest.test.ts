// `ingest` tracks on a worker thread and writes on the main one; whatever the split, the database
// must come out exactly as when one thread does both. The worker runs from the build (dist/), so
// these tests run the built CLI and compare its database with one written in-process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Store } from '../../src/db/store.js';
import { ingestFiles } from '../../src/commands/ingest.js';
import { packRows, unpackRows } from '../../src/db/packed.js';
import { keyOf } from '../../src/db/keys.js';
import { generateLog, Rng } from '../../src/bench/generate.js';
import { lookup } from '../../src/commands/lookup.js';
import { memoryIndex } from './helpers.js';
import type { DeliveryRow, Generation } from '../../src/tracker/types.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli.js');
let dir: string;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'bo-ingest-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCli(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function writeLog(name: string, lines: number, seed: number): string {
  const chunks: string[] = [];
  generateLog({ lines, seed, start: new Date(Date.UTC(2025, 10, 3)) }, (c) => chunks.push(c));
  const path = join(dir, name);
  writeFileSync(path, chunks.join(''));
  return path;
}

/** Every row that matters, with relays by name (their ids are an implementation detail) and without write times. */
function dump(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      messages: db.prepare(`SELECT * FROM messages ORDER BY id`).all(),
      deliveries: db
        .prepare(`SELECT d.*, n.name AS relay FROM deliveries d LEFT JOIN names n ON n.id = d.relay ORDER BY d.id`)
        .all(),
      events: db.prepare(`SELECT * FROM events ORDER BY id`).all().map((e) => ({ ...(e as object), recorded_at: 0 })),
      journal: db.pragma('journal_mode', { simple: true }),
    };
  } finally {
    db.close();
  }
}

/** ingest on one thread, in this process, as the CLI would do it otherwise. */
async function ingestHere(database: string, files: string[]) {
  const store = new Store(database);
  const err: string[] = [];
  try {
    const summary = await ingestFiles(store, files, { thread: 'main', stderr: (s) => err.push(s) });
    return { summary: { ...summary, seconds: 0 }, stderr: err.join('') };
  } finally {
    store.close();
  }
}

function ingestWorker(database: string, files: string[]) {
  const r = runCli(['ingest', '--database', database, ...files]);
  expect(r.code).toBe(0);
  return { summary: { ...JSON.parse(r.stdout), seconds: 0 }, stderr: r.stderr };
}

describe('ingest', () => {
  it('writes on a worker thread exactly the rows, events and counts that one thread writes', async () => {
    const log = writeLog('one.log', 30_000, 7);
    const worker = ingestWorker(join(dir, 'worker.db'), [log]);
    const here = await ingestHere(join(dir, 'here.db'), [log]);
    expect(worker.summary).toEqual(here.summary);
    expect(worker.summary.messages).toBeGreaterThan(3000);
    expect(worker.summary.rejects).toBeGreaterThan(0);
    const a = dump(join(dir, 'worker.db'));
    expect(a).toEqual(dump(join(dir, 'here.db')));
    expect(a.journal).toBe('wal');
  });

  it('carries on from an index written before, reading its older generations as one thread does', async () => {
    const lines = readFileSync(writeLog('whole.log', 20_000, 11), 'utf8').split('\n');
    const half = Math.floor(lines.length / 2);
    const first = join(dir, 'first.log');
    const second = join(dir, 'second.log');
    writeFileSync(first, `${lines.slice(0, half).join('\n')}\n`);
    writeFileSync(second, lines.slice(half).join('\n'));
    const worker = [ingestWorker(join(dir, 'w2.db'), [first]), ingestWorker(join(dir, 'w2.db'), [second])];
    const here = [await ingestHere(join(dir, 'h2.db'), [first]), await ingestHere(join(dir, 'h2.db'), [second])];
    expect(worker.map((r) => r.summary)).toEqual(here.map((r) => r.summary));
    expect(dump(join(dir, 'w2.db'))).toEqual(dump(join(dir, 'h2.db')));
  });

  it("finds a refusal's first hop in a generation an earlier run wrote", () => {
    const first = join(dir, 'hop1.log');
    const second = join(dir, 'hop2.log');
    writeFileSync(
      first,
      [
        'Nov  3 10:00:00 mx postfix/smtpd[100]: 1111111111A: client=app1.example.com[10.1.2.3], sasl_method=PLAIN, sasl_username=app1',
        'Nov  3 10:00:00 mx postfix/qmgr[102]: 1111111111A: from=<app@example.com>, size=1000, nrcpt=1 (queue active)',
        'Nov  3 10:00:01 mx postfix/smtpd[103]: 2222222222B: client=localhost[127.0.0.1]',
        'Nov  3 10:00:01 mx postfix/smtp[104]: 1111111111A: to=<user@dest.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 2222222222B)',
        'Nov  3 10:00:01 mx postfix/qmgr[102]: 1111111111A: removed',
        '',
      ].join('\n'),
    );
    writeFileSync(
      second,
      [
        'Nov  3 10:05:00 mx postfix/smtp[105]: 2222222222B: to=<user@dest.example>, relay=ses[1.2.3.4]:587, delay=300, delays=299/0/0/1, dsn=5.0.0, status=bounced (host ses[1.2.3.4] said: 554 Message rejected: Email address is not verified. (in reply to end of DATA command))',
        'Nov  3 10:05:00 mx postfix/qmgr[102]: 2222222222B: removed',
        '',
      ].join('\n'),
    );
    const db = join(dir, 'hop.db');
    ingestWorker(db, [first]);
    expect(ingestWorker(db, [second]).summary.rejects).toBe(1);
    const events = dump(db).events as Array<Record<string, unknown>>;
    expect(events.map((e) => [e.event, e.queue_id, e.client_ip, e.client_host, e.sasl_username, e.sender])).toEqual([
      ['reject', '2222222222B', '10.1.2.3', 'app1.example.com', 'app1', 'app@example.com'],
    ]);
  });

  it('names malformed lines by file and line, the same from the worker', async () => {
    const good = readFileSync(writeLog('good.log', 3000, 3), 'utf8').split('\n');
    // Twelve junk lines spread through the file: ten are shown, two counted.
    const mixed = good.flatMap((l, i) => (i % 200 === 100 ? [`junk number ${i}`, l] : [l]));
    const log = join(dir, 'mixed.log');
    writeFileSync(log, mixed.join('\n'));
    const worker = ingestWorker(join(dir, 'mw.db'), [log]);
    const here = await ingestHere(join(dir, 'mh.db'), [log]);
    expect(worker.stderr).toBe(here.stderr);
    const shown = worker.stderr.trim().split('\n');
    expect(shown).toHaveLength(11);
    expect(shown[0]).toBe(`${log}:101: skipped: no syslog timestamp: "junk number 100"`);
    expect(shown[10]).toBe('... and 5 more malformed lines');
    expect(worker.summary.malformed).toBe(15);
  });

  it('leaves nothing behind when a later file cannot be read', () => {
    const log = writeLog('before-bad.log', 2000, 5);
    const bad = join(dir, 'bad.gz');
    writeFileSync(bad, Buffer.from([0x1f, 0x8b, 0x08, 0x00, ...Buffer.from('not really gzip data at all')]));
    const db = join(dir, 'bad.db');
    const r = runCli(['ingest', '--database', db, log, bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^bounce-origin: cannot read ${bad}: not a gzip stream or corrupt \\(Z_DATA_ERROR`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const d = dump(db);
    expect([d.messages.length, d.deliveries.length, d.events.length, d.journal]).toEqual([0, 0, 0, 'wal']);
  });
});

describe('packed rows', () => {
  it('survive the trip between threads whole: nulls, empty strings, any script, fractions', () => {
    const g: Generation = {
      id: 7,
      queueId: '4bXyZ1abcD',
      host: 'mx',
      firstSeen: 1762128000123,
      lastSeen: 1762128001456,
      removedAt: null,
      clientHost: 'unknown',
      clientIp: '2001:db8::1',
      clientPort: 58231,
      saslMethod: null,
      saslUsername: 'ユーザー',
      origClientHost: null,
      origClientIp: null,
      uid: 0,
      sender: '',
      messageId: 'a"b\\c@example.com',
      size: 1234,
      nrcpt: 2,
      parentId: 3,
      relation: 'filter',
    };
    const d: DeliveryRow = {
      id: 9,
      message: 7,
      at: 1762128001000,
      agent: 'smtp',
      recipient: '<<送信先メールアドレス>>',
      origTo: null,
      relay: 'email-smtp.us-east-1.amazonaws.com[3.224.1.122]:587',
      delay: 0.28,
      dsn: '2.0.0',
      status: 'sent',
      reply: '250 Ok 0100019a00000001-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000',
      sesMessageId: '0100019a00000001-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000',
      childQueueId: null,
    };
    const packed = packRows([g, { ...g, id: 8, parentId: null, relation: null, uid: null }], [d, { ...d, id: 10, delay: null }]);
    expect(unpackRows(packed)).toEqual({
      generations: [g, { ...g, id: 8, parentId: null, relation: null, uid: null }],
      deliveries: [d, { ...d, id: 10, delay: null }],
    });
    // Every string column null, or all empty: the mask tells them apart.
    const bare = { ...d, id: 11, origTo: '', relay: null, dsn: null, reply: '', sesMessageId: null };
    expect(unpackRows(packRows([], [bare])).deliveries).toEqual([bare]);
    expect(unpackRows(packRows([], []))).toEqual({ generations: [], deliveries: [] });
  });

  it('carry any character, and are refused, not written askew, when their strings do not add up', () => {
    const d: DeliveryRow = {
      id: 1, message: 1, at: 0, agent: 'smtp', recipient: 'a\u0000b@example.com', origTo: null, relay: null, delay: null,
      dsn: null, status: 'sent', reply: 'x', sesMessageId: null, childQueueId: null,
    };
    const packed = packRows([], [d]);
    expect(unpackRows(packed).deliveries).toEqual([d]);
    expect(() => unpackRows({ ...packed, strings: packed.strings.slice(1) })).toThrow('packed rows hold 3 strings, not the 4 of 0 generations and 1 deliveries');
  });
});

describe('lookup keys', () => {
  it('tell apart two recipients whose 32-bit keys collide', () => {
    // Search a collision deterministically (a few hundred thousand candidates).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    const rng = new Rng(1);
    for (let i = 0; i < 2_000_000 && !pair; i++) {
      const x = rng.u32();
      const s = `${x.toString(36)}@example.com`;
      const other = seen.get(keyOf(s));
      if (other !== undefined && other !== s) pair = [other, s];
      seen.set(keyOf(s), s);
    }
    expect(pair).toBeDefined();
    const [a, b] = pair!;
    expect(keyOf(a)).toBe(keyOf(b));
    const { store, ingest } = memoryIndex();
    const SES = (n: number) => `0100019a${String(n).padStart(8, '0')}-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000`;
    ingest(`
      Dec  4 10:00:00 mx postfix/pickup[100]: 7777777777A: uid=1 from=<one@mx>
      Dec  4 10:00:01 mx postfix/smtp[104]: 7777777777A: to=<${a}>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok ${SES(1)})
      Dec  4 10:00:02 mx postfix/pickup[100]: 8888888888B: uid=2 from=<two@mx>
      Dec  4 10:00:03 mx postfix/smtp[104]: 8888888888B: to=<${b.toUpperCase()}>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok ${SES(2)})
    `);
    expect(lookup(store, a).map((m) => [m.queueId, m.uid])).toEqual([['7777777777A', 1]]);
    expect(lookup(store, b).map((m) => [m.queueId, m.uid])).toEqual([['8888888888B', 2]]);
  });
});
