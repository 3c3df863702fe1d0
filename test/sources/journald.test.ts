// The journald source against real journal files (written by systemd-journal-remote) and the real journalctl.
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/parser/types.js';
import type { SourceChunk, SourceProblem } from '../../src/sources/types.js';
import { JournaldSource, type JournaldSourceOptions } from '../../src/sources/journald.js';
import {
  entriesFromShortLines,
  otherEntry,
  writeJournal,
  type ExpectedRecord,
  type ExportEntry,
} from '../helpers/journal.js';

const execFileP = promisify(execFile);
const FIXTURE = new URL('../fixtures/journal-short.log', import.meta.url);

let dir: string;
let problems: SourceProblem[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'journald-test-'));
  problems = [];
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Cursors of the mail entries, as journalctl itself lists them (no follow). */
async function mailCursors(journalArgs: string[]): Promise<string[]> {
  const { stdout } = await execFileP('journalctl', [...journalArgs, '--merge', '--output=json', '--no-pager', 'SYSLOG_FACILITY=2'], {
    maxBuffer: 1 << 24,
  });
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { __CURSOR: string }).__CURSOR);
}

async function fixtureLines(): Promise<string[]> {
  return (await readFile(FIXTURE, 'utf8')).split('\n').filter((l) => l !== '');
}

/** The fixture's Postfix entries with an sshd entry after every fifth one (never after the last). */
async function fixtureJournal(): Promise<{ entries: ExportEntry[]; expected: ExpectedRecord[] }> {
  const built = entriesFromShortLines(await fixtureLines(), 2025);
  const entries: ExportEntry[] = [];
  built.forEach(({ entry, expected }, i) => {
    entries.push(entry);
    if (i % 5 === 0 && i < built.length - 1) entries.push(otherEntry(expected.time, 500 + i));
  });
  return { entries, expected: built.map((b) => b.expected) };
}

function source(extra: Partial<JournaldSourceOptions>): JournaldSource {
  return new JournaldSource({
    checkpoint: null,
    onProblem: (p) => problems.push(p),
    batchMs: 50,
    ...extra,
  });
}

interface Collected {
  chunks: SourceChunk[];
  records: LogRecord[];
}

/**
 * Reads chunks until `enough` says stop (then aborts, as the daemon does), calling `during` after each chunk.
 * A deadline turns a hang into a failure with what arrived so far.
 */
async function collect(
  src: JournaldSource,
  enough: (records: LogRecord[]) => boolean,
  during?: (records: LogRecord[]) => Promise<void>,
  deadlineMs = 20_000,
): Promise<Collected> {
  const ac = new AbortController();
  const deadline = setTimeout(() => ac.abort(), deadlineMs);
  const out: Collected = { chunks: [], records: [] };
  try {
    for await (const chunk of src.chunks(ac.signal)) {
      out.chunks.push(chunk);
      out.records.push(...(chunk.items as LogRecord[]));
      if (enough(out.records)) ac.abort();
      else await during?.(out.records);
    }
  } finally {
    clearTimeout(deadline);
  }
  if (!enough(out.records)) {
    throw new Error(`gave up after ${deadlineMs} ms with ${out.records.length} records; problems: ${JSON.stringify(problems)}`);
  }
  return out;
}

const count = (n: number) => (records: LogRecord[]) => records.length >= n;

/** A stand-in journalctl: a shell script that logs its arguments, then does what `body` says. */
async function fakeJournalctl(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\necho "$*" >> ${join(dir, `${name}.args`)}\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

async function argsLog(name: string): Promise<string[]> {
  return (await readFile(join(dir, `${name}.args`), 'utf8')).split('\n').filter((l) => l !== '');
}

describe('JournaldSource with journalctl', () => {
  it('yields every Postfix entry in order with its fields, and drops non-mail entries', async () => {
    const { entries, expected } = await fixtureJournal();
    const file = join(dir, 'mail.journal');
    await writeJournal(file, entries);

    const { chunks, records } = await collect(source({ files: [file], maxChunk: 8 }), count(expected.length));

    expect(records).toEqual(expected);
    // Each checkpoint is the cursor of its chunk's last entry (chunks may split early when output is slow).
    const cursors = await mailCursors(['--file=' + file]);
    let seen = 0;
    for (const chunk of chunks) {
      expect(chunk.items.length).toBeGreaterThan(0);
      expect(chunk.items.length).toBeLessThanOrEqual(8);
      seen += chunk.items.length;
      expect(chunk.checkpoint).toEqual({ cursor: cursors[seen - 1] });
    }
    expect(problems).toEqual([]);
  });

  it('resumes after a checkpoint with exactly the entries that follow it', async () => {
    const { entries, expected } = await fixtureJournal();
    const file = join(dir, 'mail.journal');
    await writeJournal(file, entries);
    const first = await collect(source({ files: [file], maxChunk: 1 }), count(expected.length));
    expect(first.records).toEqual(expected);

    // 38 entries follow the third: more than the 10 that `journalctl --follow` starts with by default.
    const resumed = await collect(
      source({ files: [file], checkpoint: first.chunks[2]!.checkpoint as { cursor: string } }),
      count(expected.length - 3),
    );
    expect(resumed.records).toEqual(expected.slice(3));
    expect(resumed.chunks.at(-1)!.checkpoint).toEqual(first.chunks.at(-1)!.checkpoint);

    // From the last checkpoint, the only entry is one written after it.
    const fresh = entriesFromShortLines(
      ['Nov 03 14:02:11 ip-172-31-23-99.ec2.internal postfix/qmgr[1518]: 9F1C213D8DD: removed'],
      2025,
      100,
    );
    const tail = collect(source({ files: [file], checkpoint: first.chunks.at(-1)!.checkpoint as { cursor: string } }), count(1));
    await writeJournal(file, fresh.map((f) => f.entry));
    expect((await tail).records).toEqual(fresh.map((f) => f.expected));
    expect(problems).toEqual([]);
  }, 60_000);

  it('follows entries appended to the journal file while it runs', async () => {
    const { entries, expected } = await fixtureJournal();
    const file = join(dir, 'mail.journal');
    await writeJournal(file, entries.slice(0, 10));
    const firstMail = entries.slice(0, 10).filter((e) => e.SYSLOG_FACILITY === '2').length;
    let appended = 0;
    const { records } = await collect(source({ files: [file] }), count(expected.length), async (got) => {
      // Append the rest in two writes, each only after everything before it has arrived.
      if (got.length === firstMail && appended === 0) {
        appended = 1;
        await writeJournal(file, entries.slice(10, 40));
      } else if (got.length === entries.slice(0, 40).filter((e) => e.SYSLOG_FACILITY === '2').length && appended === 1) {
        appended = 2;
        await writeJournal(file, entries.slice(40));
      }
    });
    expect(appended).toBe(2);
    expect(records).toEqual(expected);
    expect(problems).toEqual([]);
  });

  it('follows a journal-remote directory: new files, other hosts and later boots all arrive', async () => {
    const journals = join(dir, 'remote');
    await mkdir(journals);
    const lines = await fixtureLines();
    const a = entriesFromShortLines(lines.slice(0, 20), 2025);
    // An earlier boot in the same file: journalctl --follow would skip it without --merge.
    a[0]!.entry._BOOT_ID = 'fedcba9876543210fedcba9876543210';
    await writeJournal(join(journals, 'remote-host-a.journal'), a.map((x) => x.entry));
    const b = entriesFromShortLines(lines.slice(20), 2025, 20).map(({ entry, expected }) => ({
      entry: { ...entry, _HOSTNAME: 'mx2.example.net', _BOOT_ID: '11111111111111111111111111111111' },
      expected: { ...expected, host: 'mx2.example.net' },
    }));
    let wrote = false;
    const { records } = await collect(source({ directory: journals }), count(lines.length), async (got) => {
      if (got.length === a.length && !wrote) {
        wrote = true;
        await writeJournal(join(journals, 'remote-host-b.journal'), b.map((x) => x.entry));
      }
    });
    expect(wrote).toBe(true);
    expect(records).toEqual([...a, ...b].map((x) => x.expected));
    expect(problems).toEqual([]);
  });

  it('decodes a MESSAGE that journalctl prints as an array of bytes', async () => {
    const file = join(dir, 'binary.journal');
    const [base] = entriesFromShortLines(
      ['Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/cleanup[2980]: 6375913D8DD: message-id=<x@y>'],
      2025,
    );
    const invalid = Buffer.concat([Buffer.from('6375913D8DD: message-id=<caf'), Buffer.from([0xe9]), Buffer.from('@example.org>')]);
    const control = Buffer.from('6375913D8DD: warning: header Subject: a\u0001b');
    await writeJournal(file, [
      { ...base!.entry, MESSAGE: invalid },
      { ...base!.entry, __REALTIME_TIMESTAMP: String((base!.expected.time + 1) * 1000), MESSAGE: control },
    ]);
    const { records } = await collect(source({ files: [file] }), count(2));
    expect(records).toEqual([
      { ...base!.expected, text: '6375913D8DD: message-id=<caf\ufffd@example.org>' },
      { ...base!.expected, time: base!.expected.time + 1, text: '6375913D8DD: warning: header Subject: a\u0001b' },
    ]);
  });

  it('keeps a MESSAGE longer than 4096 bytes, which journalctl would print as null without --all', async () => {
    const file = join(dir, 'long.journal');
    const [base] = entriesFromShortLines(
      ['Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/smtp[2982]: 6375913D8DD: to=<a@b>, status=bounced (x)'],
      2025,
    );
    const text = `6375913D8DD: to=<a@b>, status=bounced (host said: 550 ${'y'.repeat(6000)})`;
    await writeJournal(file, [{ ...base!.entry, MESSAGE: text }]);
    const src = source({ files: [file] });
    const { records } = await collect(src, count(1));
    expect(records).toEqual([{ ...base!.expected, text }]);
    expect(src.stats.nullMessages).toBe(0);
  });

  it('matches configured units and identifiers instead of the mail facility', async () => {
    const file = join(dir, 'units.journal');
    const [tmpl] = entriesFromShortLines(
      ['Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/qmgr[1518]: 6375913D8DD: removed'],
      2025,
    );
    const make = (i: number, fields: ExportEntry) => ({
      ...tmpl!.entry,
      __REALTIME_TIMESTAMP: String((tmpl!.expected.time + i) * 1000),
      __MONOTONIC_TIMESTAMP: String(2_000_000 + i),
      MESSAGE: `entry ${i}`,
      ...fields,
    });
    await writeJournal(file, [
      make(0, { _SYSTEMD_UNIT: 'postfix@-.service', SYSLOG_IDENTIFIER: 'postfix/smtpd' }),
      make(1, { _SYSTEMD_UNIT: 'other.service', SYSLOG_IDENTIFIER: 'postfix/qmgr' }),
      make(2, { _SYSTEMD_UNIT: 'cron.service', SYSLOG_IDENTIFIER: 'CRON', SYSLOG_FACILITY: '9' }),
      make(3, { _SYSTEMD_UNIT: 'other.service', SYSLOG_IDENTIFIER: 'postfix/pickup' }),
      make(4, { _SYSTEMD_UNIT: 'postfix@out.service', SYSLOG_IDENTIFIER: 'postfix-out/smtp' }),
      make(5, { _SYSTEMD_UNIT: 'postfix@-.service', SYSLOG_IDENTIFIER: 'postfix/bounce' }),
    ]);
    const texts = async (opts: Partial<JournaldSourceOptions>, n: number) =>
      (await collect(source({ files: [file], ...opts }), count(n))).records.map((r) => `${r.program} ${r.text}`);

    expect(await texts({ units: ['postfix@-.service', 'postfix@out.service'], identifiers: ['postfix/pickup'] }, 4)).toEqual([
      'postfix/smtpd entry 0',
      'postfix/pickup entry 3',
      'postfix-out/smtp entry 4',
      'postfix/bounce entry 5',
    ]);
    expect(await texts({ identifiers: ['postfix/qmgr', 'postfix/pickup'] }, 2)).toEqual(['postfix/qmgr entry 1', 'postfix/pickup entry 3']);
    expect(await texts({}, 5)).toEqual([
      'postfix/smtpd entry 0',
      'postfix/qmgr entry 1',
      'postfix/pickup entry 3',
      'postfix-out/smtp entry 4',
      'postfix/bounce entry 5',
    ]);
  });
});

describe('JournaldSource when journalctl fails', () => {
  it('reports a missing journalctl and retries with doubling back-off, capped', async () => {
    const delays: number[] = [];
    const ac = new AbortController();
    const src = source({
      journalctl: '/nonexistent',
      backoff: { initialMs: 1000, maxMs: 4000 },
      sleep: async (ms) => {
        delays.push(ms);
        if (delays.length === 5) ac.abort();
      },
    });
    const chunks: SourceChunk[] = [];
    for await (const c of src.chunks(ac.signal)) chunks.push(c);
    expect(chunks).toEqual([]);
    expect(delays).toEqual([1000, 2000, 4000, 4000, 4000]);
    expect(problems).toEqual(
      Array(5).fill({ code: 'journalctl-missing', message: "cannot run journalctl '/nonexistent': ENOENT", path: '/nonexistent' }),
    );
  });

  it('waits for a journal directory that is not there yet', async () => {
    const journals = join(dir, 'not-yet');
    const { entries, expected } = await fixtureJournal();
    const delays: number[] = [];
    const src = source({
      directory: journals,
      sleep: async (ms) => {
        delays.push(ms);
        if (delays.length === 2) {
          await mkdir(journals);
          await writeJournal(join(journals, 'system.journal'), entries);
        }
      },
    });
    const { records } = await collect(src, count(expected.length));
    expect(records).toEqual(expected);
    expect(delays).toEqual([500, 1000]);
    const missing = { code: 'journal-missing', message: `journal ${journals} is not there (ENOENT); waiting for it`, path: journals };
    expect(problems).toEqual([missing, missing]);
  });

  it('restarts journalctl after it exits, resuming after the last chunk it yielded', async () => {
    const { entries, expected } = await fixtureJournal();
    const file = join(dir, 'mail.journal');
    await writeJournal(file, entries);
    // The first run prints what is there and dies; later runs are the real thing.
    const fake = await fakeJournalctl(
      'flaky',
      `if [ ! -e ${dir}/crashed ]; then
  : > ${dir}/crashed
  for a; do shift; [ "$a" = --follow ] || set -- "$@" "$a"; done
  journalctl "$@"
  echo "simulated crash" >&2
  exit 3
fi
exec journalctl "$@"`,
    );
    const delays: number[] = [];
    const more = entriesFromShortLines(
      [
        'Nov 03 14:10:00 ip-172-31-23-99.ec2.internal postfix/pickup[1517]: 0A1B213D8DD: uid=1000 from=<test@www.non-97.net>',
        'Nov 03 14:10:00 ip-172-31-23-99.ec2.internal postfix/qmgr[1518]: 0A1B213D8DD: removed',
      ],
      2025,
      100,
    );
    let appended = false;
    const src = source({ files: [file], journalctl: fake, maxChunk: 7, sleep: async (ms) => void delays.push(ms) });
    const { chunks, records } = await collect(src, count(expected.length + 2), async (got) => {
      if (got.length === expected.length && !appended) {
        appended = true;
        await writeJournal(file, more.map((m) => m.entry));
      }
    });
    expect(records).toEqual([...expected, ...more.map((m) => m.expected)]);
    expect(problems).toEqual([{ code: 'journalctl-exited', message: 'journalctl exited with code 3: simulated crash' }]);
    expect(delays).toEqual([500]);
    const runs = await argsLog('flaky');
    expect(runs).toHaveLength(2);
    expect(runs[0]).not.toContain('--after-cursor');
    // The restart resumes after the checkpoint of the chunk that completed the first run's output.
    let seen = 0;
    const crashChunk = chunks.find((c) => (seen += c.items.length) === expected.length)!;
    expect(runs[1]).toContain(`--after-cursor=${(crashChunk.checkpoint as { cursor: string }).cursor} `);
    expect(src.stats).toEqual({ entries: expected.length + 2, records: expected.length + 2, nullMessages: 0, malformed: 0, exits: 1 });
  });

  it('reports unreadable lines, skips null messages, and keeps going', async () => {
    const good = (i: number, message: unknown) =>
      JSON.stringify({
        __CURSOR: `s=abc;i=${i}`,
        __REALTIME_TIMESTAMP: `176217464300000${i}`,
        _HOSTNAME: 'mx',
        SYSLOG_IDENTIFIER: 'postfix/smtp',
        SYSLOG_PID: '7',
        MESSAGE: message,
      });
    const out = [
      'not json at all',
      good(1, 'A1: removed'),
      good(2, null),
      '{"MESSAGE":"no cursor"}',
      good(3, [65, 50, 58, 32, 114, 101, 109, 111, 118, 101, 100]),
    ];
    const fake = await fakeJournalctl('garbage', `cat <<'EOF'\n${out.join('\n')}\nEOF\nexit 0`);
    const ac = new AbortController();
    const src = source({ journalctl: fake, sleep: async () => ac.abort() });
    const chunks: SourceChunk[] = [];
    for await (const c of src.chunks(ac.signal)) chunks.push(c);
    const rec = (text: string) => ({ time: 1762174643000, host: 'mx', program: 'postfix/smtp', daemon: 'smtp', pid: 7, text });
    expect(chunks).toEqual([{ items: [rec('A1: removed'), rec('A2: removed')], checkpoint: { cursor: 's=abc;i=3' } }]);
    expect(problems).toEqual([
      { code: 'journal-bad-json', message: 'journalctl printed a line that is not JSON: not json at all' },
      { code: 'journal-missing-field', message: 'journal entry lacks __CURSOR: {"MESSAGE":"no cursor"}' },
      { code: 'journalctl-exited', message: 'journalctl exited with code 0 (no stderr)' },
    ]);
    expect(src.stats).toEqual({ entries: 3, records: 2, nullMessages: 1, malformed: 2, exits: 1 });
  });

  it('reports journalctl rejecting a cursor', async () => {
    const file = join(dir, 'mail.journal');
    await writeJournal(file, (await fixtureJournal()).entries.slice(0, 2));
    const ac = new AbortController();
    const src = source({ files: [file], checkpoint: { cursor: 'garbage' }, sleep: async () => ac.abort() });
    for await (const c of src.chunks(ac.signal)) throw new Error(`unexpected chunk ${JSON.stringify(c)}`);
    expect(problems).toEqual([
      {
        code: 'journal-bad-cursor',
        message: 'journalctl rejected the saved cursor and exited with code 1: Failed to seek to cursor: Invalid argument',
      },
    ]);
  });
});

describe('JournaldSource on abort', () => {
  it('stops journalctl and finishes promptly while following', async () => {
    const { entries, expected } = await fixtureJournal();
    const file = join(dir, 'mail.journal');
    await writeJournal(file, entries);
    const pidFile = join(dir, 'journalctl.pid');
    const fake = await fakeJournalctl('pid', `echo $$ > ${pidFile}\nexec journalctl "$@"`);
    const ac = new AbortController();
    const src = source({ files: [file], journalctl: fake });
    let got = 0;
    let abortedAt = 0;
    for await (const c of src.chunks(ac.signal)) {
      got += c.items.length;
      if (got === expected.length) {
        abortedAt = performance.now();
        ac.abort();
      }
    }
    const tookMs = performance.now() - abortedAt;
    expect(got).toBe(expected.length);
    // SIGTERM ends journalctl at once; the 2 s SIGKILL fallback must not have been needed.
    expect(tookMs).toBeLessThan(2000);
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(problems).toEqual([]);
  });

  it('stops journalctl when the consumer stops iterating', async () => {
    const file = join(dir, 'mail.journal');
    await writeJournal(file, (await fixtureJournal()).entries);
    const pidFile = join(dir, 'journalctl.pid');
    const fake = await fakeJournalctl('pid', `echo $$ > ${pidFile}\nexec journalctl "$@"`);
    for await (const c of source({ files: [file], journalctl: fake, maxChunk: 2 }).chunks(new AbortController().signal)) {
      expect(c.items).toHaveLength(2);
      break;
    }
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it('ends a back-off wait at once (default sleep)', async () => {
    const ac = new AbortController();
    const src = new JournaldSource({
      checkpoint: null,
      journalctl: '/nonexistent',
      backoff: { initialMs: 600_000, maxMs: 600_000 },
      onProblem: (p) => {
        problems.push(p);
        setImmediate(() => ac.abort());
      },
    });
    for await (const c of src.chunks(ac.signal)) throw new Error(`unexpected chunk ${JSON.stringify(c)}`);
    expect(problems.map((p) => p.code)).toEqual(['journalctl-missing']);
  });
});
