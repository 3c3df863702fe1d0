// The CLI as an operator runs it: the built program, real files, exit codes and the one-line errors.
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli.js');
const fixture = (name: string) => readFileSync(join(root, 'test/fixtures', name), 'utf8');

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'bo-cli-'));
});

describe('cli', () => {
  it('ingests plain and gzip files in order and prints one JSON summary line', () => {
    const lines = fixture('journal-short.log').split('\n');
    const half = Math.floor(lines.length / 2);
    writeFileSync(join(dir, 'mail.log.1.gz'), gzipSync(lines.slice(0, half).join('\n') + '\n'));
    writeFileSync(join(dir, 'mail.log'), lines.slice(half).join('\n'));
    const db = join(dir, 'a.db');
    const r = run(['ingest', '--database', db, join(dir, 'mail.log.1.gz'), join(dir, 'mail.log')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split('\n');
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({ files: 2, lines: 41, messages: 6, deliveries: 6, malformed: 0, rejects: 2 });
    expect(JSON.parse(out[0]!).seconds).toBeTypeOf('number');

    const found = run(['lookup', '--database', db, '<6908ab66.sKstWi24GnruRFNe%test@www.non-97.net>']);
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject([{ queueId: '084A213D8DD', uid: 1000, origin: { uid: 1000 } }]);
    expect(run(['lookup', '--database', db, 'nobody@nowhere.example']).code).toBe(1);

    const annotated = run(['annotate', '--database', db], JSON.stringify(JSON.parse(fixture('ses-bounce.json'))) + '\nnull\n');
    expect(annotated.code).toBe(0);
    expect(JSON.parse(annotated.stdout)).toMatchObject({ event: 'bounce', queueId: '084A213D8DD', uid: 1000, matchedBy: 'ses-id' });
    expect(annotated.stderr).toBe('stdin:2: not annotated (invalid): body is null, not an object\n');
  });

  it('counts and shows junk lines without stopping', () => {
    const file = join(dir, 'junk.log');
    writeFileSync(file, `\u0000\u0001\u0002binary\nNov 03 12:57:23 host postfix/qmgr[1]: D1B9013D8FF: removed\nnot a syslog line\n${'x'.repeat(100_000)}\n`);
    const r = run(['ingest', '--database', join(dir, 'junk.db'), file]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ lines: 4, malformed: 2, oversized: 1 });
    expect(r.stderr.split('\n')).toEqual([
      `${file}:1: skipped: NUL byte at offset 0: "\\u0000\\u0001\\u0002binary"`,
      `${file}:3: skipped: no syslog timestamp: "not a syslog line"`,
      'skipped 1 line(s) longer than 64 KiB',
      '',
    ]);
  });

  it.each([
    [['ingest', '--database', '/tmp/x.db', '/nonexistent/mail.log'], /^bounce-origin: cannot read \/nonexistent\/mail.log: ENOENT\n$/],
    [['ingest'], /^bounce-origin: ingest: name at least one log file/],
    [['frobnicate'], /^bounce-origin: unknown command "frobnicate"/],
    [['ingest', '--colour', 'x'], /^bounce-origin: ingest: Unknown option '--colour'/],
    [['lookup', '--config', '/nonexistent.json', 'x'], /^bounce-origin: cannot read config file \/nonexistent.json: ENOENT\n$/],
    [['lookup', '--database', '/nonexistent/index.db', 'x'], /^bounce-origin: cannot open database \/nonexistent\/index.db/],
  ])('fails %j with one line naming the problem', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects a bad config with the key named', () => {
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ source: { type: 'file', path: '/var/log/mail.log' }, retentionDays: 'thirty' }));
    const r = run(['ingest', '--config', cfg, '/dev/null']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`bounce-origin: config file ${cfg}: "retentionDays" must be a number >= 1, got the string "thirty"\n`);
  });

  it('teaches with --help, for the program and each command', () => {
    const top = run(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['run', 'ingest FILE...', 'lookup ID', 'annotate [FILE]']) expect(top.stdout).toContain(cmd);
    for (const cmd of ['run', 'ingest', 'lookup', 'annotate']) {
      const r = run([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: bounce-origin ${cmd}`));
    }
    expect(run([]).code).toBe(2);
  });

  it('refuses a second writer on the same database', async () => {
    const { Store } = await import('../../src/db/store.js');
    const db = join(dir, 'locked.db');
    const store = new Store(db);
    // Pretend a live daemon (this test process) holds the database.
    store.acquireWriter('run');
    const r = run(['ingest', '--database', db, join(root, 'test/fixtures/journal-short.log')]);
    store.close();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^bounce-origin: database ${db} is in use by \`bounce-origin run\` \\(pid ${process.pid}`));
  });
});
