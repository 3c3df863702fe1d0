// The daemon with `source.type: journald`: a real journal directory written by systemd-journal-remote,
// read through journalctl, the cursor committed with the rows, and a restart resuming after it.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseConfig } from '../../src/config.js';
import { entriesFromShortLines, otherEntry, writeJournal } from '../helpers/journal.js';
import { runDaemon, until } from '../helpers/capture.js';

const seedLines = readFileSync(new URL('../fixtures/journal-short.log', import.meta.url), 'utf8').trimEnd().split('\n');

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function run(config: ReturnType<typeof parseConfig>) {
  const d = runDaemon(config);
  stops.push(d.stop);
  return d;
}

describe('daemon with the journald source', () => {
  it('indexes Postfix entries of a journal directory, skips other facilities, and resumes after its cursor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-journald-'));
    const journalDir = join(dir, 'journal');
    mkdirSync(journalDir);
    const year = new Date().getFullYear();
    const entries = entriesFromShortLines(seedLines, year);
    const half = 20;
    await writeJournal(join(journalDir, 'a.journal'), [
      otherEntry(entries[0]!.expected.time - 1000, 900),
      ...entries.slice(0, half).map((e) => e.entry),
    ]);
    const config = parseConfig({
      source: { type: 'journald', directory: journalDir },
      database: join(dir, 'index.db'),
      retentionDays: 3650,
    });
    const db = () => new Database(config.database, { readonly: true });
    const count = () => {
      const d = db();
      try {
        return (d.prepare(`SELECT count(*) FROM messages`).pluck().get() as number) ?? 0;
      } catch {
        return 0;
      } finally {
        d.close();
      }
    };

    const first = run(config);
    // The first 20 entries hold two whole messages and the start of a third.
    await until(() => count() === 3, 'the first three messages');
    await first.stop();
    const d1 = db();
    const cp = JSON.parse(d1.prepare(`SELECT value FROM checkpoints WHERE source = ?`).pluck().get('journald:' + journalDir) as string);
    d1.close();
    expect(cp).toEqual({ cursor: expect.stringMatching(/^s=/) });

    // More entries arrive while it is stopped (another file of the same directory, as journal-remote writes them).
    await writeJournal(join(journalDir, 'b.journal'), entries.slice(half).map((e) => e.entry));
    const second = run(config);
    await until(() => second.lines.some((l) => l['event'] === 'reject' && l['queueId'] === '8606813DBB1'), 'the refusals in the second half');
    await second.stop();

    const d2 = db();
    expect(d2.prepare(`SELECT queue_id, uid, removed_at IS NOT NULL AS removed FROM messages ORDER BY id`).all()).toEqual([
      { queue_id: 'D1B9013D8FF', uid: 1000, removed: 1 },
      { queue_id: '084A213D8DD', uid: 1000, removed: 1 },
      { queue_id: '8B02A13D8DD', uid: 1000, removed: 1 },
      { queue_id: '6510113D8DD', uid: 1000, removed: 1 },
      { queue_id: '6375913D8DD', uid: 1000, removed: 1 },
      { queue_id: '8606813DBB1', uid: null, removed: 1 },
    ]);
    expect(d2.prepare(`SELECT count(*) FROM deliveries`).pluck().get()).toBe(6);
    d2.close();
  });
});
