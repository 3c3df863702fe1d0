import { appendFile, copyFile, mkdtemp, readFile, rename, rm, stat, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSource, parseFileCheckpoint, type FileCheckpoint, type FileSourceOptions } from '../../src/sources/file.js';
import { fingerprintOf } from '../../src/sources/file-fingerprint.js';
import type { SourceChunk, SourceProblem } from '../../src/sources/types.js';

let dir: string;
let problems: SourceProblem[];
let now: number;
const open: FileSource[] = [];

const P = (name = 'mail.log'): string => join(dir, name);

function source(checkpoint: FileCheckpoint | null, extra: Partial<FileSourceOptions> = {}): FileSource {
  const src = new FileSource({
    path: P(),
    checkpoint,
    onProblem: (p) => problems.push(p),
    rotateWaitMs: 500,
    now: () => now,
    ...extra,
  });
  open.push(src);
  return src;
}

/** Polls until the source has nothing more right now. */
async function drain(src: FileSource): Promise<SourceChunk[]> {
  const out: SourceChunk[] = [];
  for (let c = await src.poll(); c; c = await src.poll()) out.push(c);
  return out;
}

const linesOf = (chunks: SourceChunk[]): string[] => chunks.flatMap((c) => c.items as string[]);
const codes = (): string[] => problems.map((p) => p.code);

function lastCheckpoint(chunks: SourceChunk[]): FileCheckpoint {
  const c = chunks.at(-1);
  if (!c) throw new Error('no chunk');
  return JSON.parse(JSON.stringify(c.checkpoint)) as FileCheckpoint; // stored as JSON by the indexer
}

/** What the checkpoint of the file now at `path` must be after `offset` bytes. */
async function checkpointOf(path: string, offset: number): Promise<FileCheckpoint> {
  const st = await stat(path);
  const head = (await readFile(path)).subarray(0, 256);
  return { path: P(), dev: st.dev, ino: st.ino, fingerprint: fingerprintOf(head) ?? '', offset };
}

const lines = (prefix: string, n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, i) => `Nov  3 12:57:23 mx postfix/smtp[${from + i}]: ${prefix}${from + i}`);
const text = (ls: string[]): string => ls.map((l) => `${l}\n`).join('');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-source-'));
  problems = [];
  now = 1_000_000;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('FileSource following one file', () => {
  it('reads from the start on first run, then follows appends with byte checkpoints', async () => {
    const a = lines('a', 3);
    await writeFile(P(), text(a));
    const src = source(null);
    const first = await drain(src);
    expect(first).toEqual([{ items: a, checkpoint: await checkpointOf(P(), Buffer.byteLength(text(a))) }]);
    expect(await src.poll()).toBeNull();

    const b = lines('b', 2);
    await appendFile(P(), text(b));
    expect(await drain(src)).toEqual([
      { items: b, checkpoint: await checkpointOf(P(), Buffer.byteLength(text([...a, ...b]))) },
    ]);
    expect(problems).toEqual([]);
  });

  it('holds a partial last line until its newline arrives', async () => {
    await writeFile(P(), 'one\ntw');
    const src = source(null);
    expect(linesOf(await drain(src))).toEqual(['one']);
    await appendFile(P(), 'o');
    expect(await drain(src)).toEqual([]);
    await appendFile(P(), '\r\nthree');
    const got = await drain(src);
    expect(got).toEqual([{ items: ['two'], checkpoint: await checkpointOf(P(), 9) }]);
  });

  it('splits big backlogs into chunks of maxChunkLines, each with its own checkpoint', async () => {
    const a = lines('a', 25);
    await writeFile(P(), text(a));
    const got = await drain(source(null, { maxChunkLines: 10 }));
    expect(got.map((c) => [(c.items as string[]).length, (c.checkpoint as FileCheckpoint).offset])).toEqual([
      [10, Buffer.byteLength(text(a.slice(0, 10)))],
      [10, Buffer.byteLength(text(a.slice(0, 20)))],
      [5, Buffer.byteLength(text(a))],
    ]);
    expect(linesOf(got)).toEqual(a);
  });

  it('counts offsets in bytes of UTF-8 and resumes exactly after the last line', async () => {
    const l1 = 'Nov  3 12:57:23 mx postfix/smtp[1]: to=<jürgen@exämple.de> ✓ 😀';
    const l2 = 'Nov  3 12:57:24 mx postfix/smtp[2]: 日本語';
    await writeFile(P(), `${l1}\n`);
    const got = await drain(source(null));
    expect(lastCheckpoint(got).offset).toBe(Buffer.byteLength(`${l1}\n`));
    expect(lastCheckpoint(got).offset).toBeGreaterThan(l1.length + 1);
    await appendFile(P(), `${l2}\n`);
    const again = await drain(source(lastCheckpoint(got)));
    expect(again).toEqual([{ items: [l2], checkpoint: await checkpointOf(P(), Buffer.byteLength(`${l1}\n${l2}\n`)) }]);
  });

  it('skips an oversized line, even one growing across polls, and reports it', async () => {
    await writeFile(P(), `short\n${'x'.repeat(50)}`);
    const src = source(null, { maxLineBytes: 20 });
    expect(linesOf(await drain(src))).toEqual(['short']);
    await appendFile(P(), 'y'.repeat(5000));
    expect(await drain(src)).toEqual([]);
    await appendFile(P(), 'z\nafter\n');
    const got = await drain(src);
    expect(got).toEqual([{ items: ['after'], checkpoint: await checkpointOf(P(), 6 + 50 + 5000 + 2 + 6) }]);
    expect(problems).toEqual([
      { code: 'oversized-line', message: `skipped 1 line(s) of ${P()} longer than 20 bytes`, path: P() },
    ]);
  });

  it('reports a missing file once, not per poll, and picks it up when it appears', async () => {
    const src = source(null);
    for (let i = 0; i < 5; i++) expect(await src.poll()).toBeNull();
    expect(problems).toEqual([
      { code: 'missing', message: `${P()} does not exist; waiting for it to appear`, path: P() },
    ]);
    await writeFile(P(), text(lines('a', 2)));
    expect(linesOf(await drain(src))).toEqual(lines('a', 2));
  });
});

describe('FileSource through rotation while running', () => {
  it('rename + create: finishes the old file (late writes included) before the new one', async () => {
    const a = lines('a', 3);
    await writeFile(P(), text(a));
    const src = source(null);
    expect(linesOf(await drain(src))).toEqual(a);
    const oldCp = await checkpointOf(P(), 0);

    await appendFile(P(), text(lines('a', 1, 3))); // unread when the rename happens
    await rename(P(), P('mail.log.1'));
    await writeFile(P(), text(lines('b', 2)));
    const late = await drain(src);
    expect(late).toEqual([
      { items: lines('a', 1, 3), checkpoint: { ...oldCp, offset: Buffer.byteLength(text(lines('a', 4))) } },
    ]);
    // The writer has not reopened yet: its next line still lands in the renamed file.
    await appendFile(P('mail.log.1'), text(lines('a', 1, 4)));
    expect(linesOf(await drain(src))).toEqual(lines('a', 1, 4));
    now += 499;
    expect(await drain(src)).toEqual([]);
    now += 1;
    const next = await drain(src);
    expect(next).toEqual([{ items: lines('b', 2), checkpoint: await checkpointOf(P(), Buffer.byteLength(text(lines('b', 2)))) }]);
    expect(problems).toEqual([]);
  });

  it('postfix logrotate (rename, then gzip removes the renamed file): reads it to its end from the open fd', async () => {
    await writeFile(P(), text(lines('a', 2)));
    const src = source(null);
    expect(linesOf(await drain(src))).toEqual(lines('a', 2));
    await appendFile(P(), text(lines('a', 3, 2)));
    const rotated = P('mail.log.20251103-125723');
    await rename(P(), rotated);
    await writeFile(`${rotated}.gz`, gzipSync(await readFile(rotated)));
    await unlink(rotated);
    await writeFile(P(), text(lines('b', 1)));
    expect(linesOf(await drain(src))).toEqual(lines('a', 3, 2));
    now += 500;
    expect(linesOf(await drain(src))).toEqual(lines('b', 1));
    expect(problems).toEqual([]);
  });

  it('missing between rotations: reported once, new file read from its start when it appears', async () => {
    await writeFile(P(), text(lines('a', 2)));
    const src = source(null);
    await drain(src);
    await rename(P(), P('mail.log.1'));
    expect(await drain(src)).toEqual([]);
    now += 500;
    for (let i = 0; i < 3; i++) expect(await drain(src)).toEqual([]);
    expect(codes()).toEqual(['missing']);
    await writeFile(P(), text(lines('b', 2)));
    expect(linesOf(await drain(src))).toEqual(lines('b', 2));
  });

  it('copytruncate: finishes the unread tail from the copy, then rereads the file from 0', async () => {
    await writeFile(P(), text(lines('a', 2)));
    const src = source(null);
    await drain(src);
    await appendFile(P(), text(lines('a', 2, 2)));
    await copyFile(P(), P('mail.log.1'));
    await truncate(P(), 0);
    await writeFile(P(), text(lines('b', 1)));
    const got = await drain(src);
    expect(linesOf(got)).toEqual([...lines('a', 2, 2), ...lines('b', 1)]);
    expect(lastCheckpoint(got)).toEqual(await checkpointOf(P(), Buffer.byteLength(text(lines('b', 1)))));
    expect(problems).toEqual([
      {
        code: 'truncated',
        message: `${P()} was truncated or rewritten in place (copytruncate?); reading it again from its start; finishing its copy ${P('mail.log.1')} first`,
        path: P(),
      },
    ]);
  });

  it('copytruncate refilled past the old offset between polls is caught by the first-line fingerprint', async () => {
    await writeFile(P(), 'first\n');
    const src = source(null);
    await drain(src);
    await copyFile(P(), P('mail.log-20251103'));
    await writeFile(P(), text(lines('b', 3))); // truncate + write: larger than before
    expect(linesOf(await drain(src))).toEqual(lines('b', 3));
    expect(codes()).toEqual(['truncated']);
  });

  it('copytruncate with the copy gone: says lines may be lost and goes on from 0', async () => {
    await writeFile(P(), text(lines('a', 2)));
    const src = source(null);
    await drain(src);
    await writeFile(P(), 'x\n');
    expect(linesOf(await drain(src))).toEqual(['x']);
    expect(problems.map((p) => p.message)).toEqual([
      `${P()} was truncated or rewritten in place (copytruncate?); reading it again from its start; no copy of it found, lines written since the last read may be lost`,
    ]);
  });
});

describe('FileSource restarting from a checkpoint', () => {
  async function firstRun(n = 3): Promise<FileCheckpoint> {
    await writeFile(P(), text(lines('a', n)));
    const src = source(null);
    const cp = lastCheckpoint(await drain(src));
    await src.close();
    return cp;
  }

  it('resumes the same file at the offset', async () => {
    const cp = await firstRun();
    await appendFile(P(), text(lines('a', 2, 3)));
    expect(linesOf(await drain(source(cp)))).toEqual(lines('a', 2, 3));
    expect(problems).toEqual([]);
  });

  it('finds the file renamed while down (same inode) and finishes it before the new file', async () => {
    const cp = await firstRun();
    await appendFile(P(), text(lines('a', 2, 3)));
    await rename(P(), P('mail.log.1'));
    await writeFile(P(), text(lines('b', 2)));
    const src = source(cp);
    const old = await drain(src);
    expect(old).toEqual([{ items: lines('a', 2, 3), checkpoint: { ...cp, offset: Buffer.byteLength(text(lines('a', 5))) } }]);
    now += 500;
    expect(linesOf(await drain(src))).toEqual(lines('b', 2));
    expect(problems).toEqual([]);
  });

  it('reads the files rotated between the checkpoint and the live file when the log rotated twice while down', async () => {
    const cp = await firstRun();
    await appendFile(P(), text(lines('a', 2, 3)));
    await rename(P(), P('mail.log.1'));
    await writeFile(P(), text(lines('m', 3)));
    // The second rotation: .1 shifts to .2 and is gzipped later; the middle file becomes .1.
    await rename(P('mail.log.1'), P('mail.log.2'));
    const t = Date.now() / 1000;
    await utimes(P('mail.log.2'), t - 120, t - 120);
    await rename(P(), P('mail.log.1'));
    await utimes(P('mail.log.1'), t - 60, t - 60);
    await writeFile(P(), text(lines('b', 2)));
    const src = source(cp);
    const got = linesOf(await drain(src));
    now += 500; // the renamed file may still be written to for rotateWaitMs
    got.push(...linesOf(await drain(src)));
    expect(got).toEqual([...lines('a', 2, 3), ...lines('m', 3), ...lines('b', 2)]);
    expect(problems.map((p) => p.code)).toEqual(['rotated-while-down']);
  });

  for (const name of ['mail.log.1.gz', 'mail.log-20251103.gz', 'mail.log.20251103-125723.gz']) {
    it(`finds the file gzipped while down as ${name} by its first line and skips offset bytes`, async () => {
      const cp = await firstRun();
      await appendFile(P(), text(lines('a', 2, 3)));
      await writeFile(P(name), gzipSync(await readFile(P())));
      await unlink(P());
      await writeFile(P('mail.log.2.gz'), gzipSync(text(lines('older', 5)))); // another rotation, not ours
      // An older rotation was last written before ours (rotation and gzip keep mtimes).
      const past = new Date(Date.now() - 3600_000);
      await utimes(P('mail.log.2.gz'), past, past);
      await writeFile(P(), text(lines('b', 2)));
      const src = source(cp);
      const got = await drain(src);
      expect(got[0]).toEqual({ items: lines('a', 2, 3), checkpoint: { ...cp, offset: Buffer.byteLength(text(lines('a', 5))) } });
      expect(linesOf(got)).toEqual([...lines('a', 2, 3), ...lines('b', 2)]);
      expect(problems).toEqual([]);
    });
  }

  it('stopped in the middle of a gz: the checkpoint it gave leads back into the gz', async () => {
    const cp = await firstRun(2);
    await appendFile(P(), text(lines('a', 20, 2)));
    await writeFile(P('mail.log.1.gz'), gzipSync(await readFile(P())));
    await unlink(P());
    await writeFile(P(), text(lines('b', 1)));
    const first = await source(cp, { maxChunkLines: 7 }).poll();
    expect(first?.items).toEqual(lines('a', 7, 2));
    const again = await drain(source(JSON.parse(JSON.stringify(first!.checkpoint)) as FileCheckpoint));
    expect(linesOf(again)).toEqual([...lines('a', 13, 9), ...lines('b', 1)]);
  });

  it('rotated file gone: reports it and reads the current file from its start', async () => {
    const cp = await firstRun();
    // Moved out of reach and deleted only after the new file exists, so its inode is not reused.
    await rename(P(), P('elsewhere'));
    await writeFile(P(), text(lines('b', 2)));
    await unlink(P('elsewhere'));
    expect(linesOf(await drain(source(cp)))).toEqual(lines('b', 2));
    expect(problems).toEqual([
      {
        code: 'checkpoint-file-gone',
        message: `${P()} is now another file and no rotated file holds the checkpoint's data; reading ${P()} from its start`,
        path: P(),
      },
    ]);
  });

  it('same inode, another first line (inode reuse or rewrite): starts at 0', async () => {
    const cp = await firstRun();
    await writeFile(P(), text(lines('b', 6))); // same inode, bigger than the offset
    expect((await stat(P())).ino).toBe(cp.ino);
    expect(linesOf(await drain(source(cp)))).toEqual(lines('b', 6));
    expect(codes()).toEqual(['checkpoint-file-gone']);
    expect(problems[0]!.message).toContain('has the checkpoint\'s inode but another first line');
  });

  it('same inode, same first line, shorter than the offset: treated as truncated, starts at 0', async () => {
    const cp = await firstRun();
    await truncate(P(), Buffer.byteLength(text(lines('a', 1))));
    expect(linesOf(await drain(source(cp)))).toEqual(lines('a', 1));
    expect(problems[0]!.message).toContain('is shorter than the checkpoint (truncated)');
  });

  it('copytruncate while down: reads the rest from the copy, then the file from 0', async () => {
    const cp = await firstRun();
    await appendFile(P(), text(lines('a', 2, 3)));
    await copyFile(P(), P('mail.log.1'));
    await writeFile(P(), text(lines('b', 1)));
    expect(linesOf(await drain(source(cp)))).toEqual([...lines('a', 2, 3), ...lines('b', 1)]);
    expect(problems).toEqual([]);
  });

  it('file missing at restart and rotated file present: finishes it, then waits for the file', async () => {
    const cp = await firstRun();
    await appendFile(P(), text(lines('a', 1, 3)));
    await rename(P(), P('mail.log.1'));
    const src = source(cp);
    expect(linesOf(await drain(src))).toEqual(lines('a', 1, 3));
    now += 500;
    expect(await drain(src)).toEqual([]);
    expect(codes()).toEqual(['missing']);
  });

  it('ignores a checkpoint taken for another path', async () => {
    await writeFile(P(), text(lines('a', 1)));
    const cp: FileCheckpoint = { path: '/var/log/other.log', dev: 1, ino: 2, fingerprint: 'x', offset: 10 };
    expect(linesOf(await drain(source(cp)))).toEqual(lines('a', 1));
    expect(codes()).toEqual(['checkpoint-mismatch']);
  });
});

describe('FileSource.chunks', () => {
  it('polls with the injected sleep, yields chunks and stops when aborted', async () => {
    await writeFile(P(), text(lines('a', 2)));
    const ac = new AbortController();
    const sleeps: number[] = [];
    const src = source(null, {
      pollMs: 123,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 1) await appendFile(P(), text(lines('b', 1)));
        else ac.abort();
      },
    });
    const got: string[] = [];
    for await (const c of src.chunks(ac.signal)) got.push(...(c.items as string[]));
    expect({ got, sleeps }).toEqual({ got: [...lines('a', 2), ...lines('b', 1)], sleeps: [123, 123] });
  });

  it('the default sleep returns at once when aborted', async () => {
    await writeFile(P(), 'x\n');
    const ac = new AbortController();
    const src = source(null, { pollMs: 60_000 });
    const got: string[] = [];
    for await (const c of src.chunks(ac.signal)) {
      got.push(...(c.items as string[]));
      setImmediate(() => ac.abort());
    }
    expect(got).toEqual(['x']);
  });

  it('rejects a bad maxChunkLines', () => {
    expect(() => source(null, { maxChunkLines: 0 })).toThrow('maxChunkLines must be a positive integer, got 0');
  });
});

describe('parseFileCheckpoint', () => {
  it('accepts a stored checkpoint and names the bad field otherwise', () => {
    const cp = { path: '/var/log/mail.log', dev: 2049, ino: 131, fingerprint: 'ab', offset: 42 };
    expect(parseFileCheckpoint(JSON.parse(JSON.stringify(cp)))).toEqual(cp);
    expect(() => parseFileCheckpoint({ ...cp, offset: -1 })).toThrow('file checkpoint field offset must be a non-negative integer, got -1');
    expect(() => parseFileCheckpoint({ ...cp, fingerprint: 3 })).toThrow('file checkpoint field fingerprint must be a string, got 3');
    expect(() => parseFileCheckpoint('x')).toThrow('file checkpoint must be an object, got "x"');
  });
});
