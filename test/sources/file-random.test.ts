// Seeded random sequences of writes, rotations, compression, copytruncate, deletions and restarts
// against a model of what a consumer must receive: every written line once, in order.
//
// The model only allows what a poll-based follower can survive (and says so where it refuses):
// - a file may be rotated or copytruncated only once the consumer's stored checkpoint points into
//   its current contents, or when it is empty. Two rotations of a non-empty file with no poll in
//   between leave a middle file that no follower of `path` ever sees.
// - a rotated file may be deleted only once all its lines were received.
// - a writer writes whole lines, and rotation never splits a line half-written.
// - copytruncate's copy and truncate are atomic here; lines written between them are lost for real.
// - compression keeps the file's mtime, as gzip(1) does: the follower orders rotated files by it.
import { appendFile, copyFile, mkdtemp, readFile, rename, rm, stat, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FileSource, type FileCheckpoint } from '../../src/sources/file.js';
import { fingerprintOf } from '../../src/sources/file-fingerprint.js';
import type { SourceProblem } from '../../src/sources/types.js';
import { Rng } from '../../src/bench/generate.js';

async function gzipKeepingMtime(file: string): Promise<void> {
  const st = await stat(file);
  await writeFile(`${file}.gz`, gzipSync(await readFile(file)));
  await utimes(`${file}.gz`, st.atime, st.mtime);
  await unlink(file);
}

interface Rotated {
  name: string;
  /** Index in `written` of the last line this file holds; -1 if none. */
  lastIndex: number;
  gz: boolean;
}

// Lines reach ~330 bytes (some longer than the 256-byte fingerprint), oversized ones exceed 400.
const MAX_LINE_BYTES = 400;
// A half-written line is cut at a byte, which may fall inside a multi-byte character.
const cut = (line: string): number => Math.floor(Buffer.byteLength(line) / 2);
const firstHalf = (line: string): Buffer => Buffer.from(line).subarray(0, cut(line));
const secondHalf = (line: string): Buffer => Buffer.from(line).subarray(cut(line));
const FILLER = ['a', 'b', ' ', 'é', '✓', '😀', 'postfix/smtp[4242]: ', 'to=<x@example.com>, '];

async function runSeed(seed: number, steps: number): Promise<{ ops: string[] }> {
  const rng = new Rng(seed);
  const rnd = (): number => rng.float();
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const dir = await mkdtemp(join(tmpdir(), `file-random-${seed}-`));
  const path = join(dir, 'mail.log');
  const at = (name: string): string => join(dir, name);
  let now = 0;
  const problems: SourceProblem[] = [];
  const maxChunkLines = 1 + Math.floor(rnd() * 40);
  const make = (cp: FileCheckpoint | null): FileSource =>
    new FileSource({ path, checkpoint: cp, onProblem: (p) => problems.push(p), now: () => now, rotateWaitMs: 500, maxChunkLines, maxLineBytes: MAX_LINE_BYTES });

  const written: string[] = [];
  const received: string[] = [];
  const rotated: Rotated[] = [];
  const ops: string[] = [];
  let cp: FileCheckpoint | null = null;
  let liveHasLines = false;
  let liveLastIndex = -1;
  let partial: string | null = null;
  let seq = 0;
  let names = 0;
  let src = make(null);

  const newLine = (): string => {
    let l = `L${seq++} `;
    const n = Math.floor(rnd() * 17);
    for (let i = 0; i < n; i++) l += pick(FILLER);
    return l;
  };
  const exists = async (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
  const pollSome = async (times: number): Promise<number> => {
    let got = 0;
    for (let i = 0; i < times; i++) {
      const c = await src.poll();
      if (!c) break;
      got++;
      received.push(...(c.items as string[]));
      cp = JSON.parse(JSON.stringify(c.checkpoint)) as FileCheckpoint;
    }
    return got;
  };
  // The stored checkpoint points into the live file's current contents.
  const observed = async (): Promise<boolean> => {
    if (!cp || !(await exists(path))) return false;
    const st = await stat(path);
    const fp = fingerprintOf((await readFile(path)).subarray(0, 256)) ?? '';
    return st.dev === cp.dev && st.ino === cp.ino && fp === cp.fingerprint;
  };
  const mayReplaceLive = async (): Promise<boolean> => partial === null && (!liveHasLines || (await observed()));

  for (let step = 0; step < steps; step++) {
    const r = rnd();
    if (r < 0.3) {
      let out = '';
      if (partial !== null) {
        await appendFile(path, secondHalf(partial)); // may complete a character split in two
        out += '\n';
        written.push(partial);
        partial = null;
      }
      const n = rnd() < 0.1 ? 30 + Math.floor(rnd() * 60) : 1 + Math.floor(rnd() * 4);
      for (let i = 0; i < n; i++) {
        if (rnd() < 0.03) {
          out += `L${seq++} ${'x'.repeat(MAX_LINE_BYTES)}\n`; // oversized: skipped, never received
          continue;
        }
        const l = newLine();
        written.push(l);
        out += `${l}\n`;
      }
      await appendFile(path, out);
      liveHasLines = true;
      liveLastIndex = written.length - 1;
      ops.push(`write ${n}`);
    } else if (r < 0.35) {
      if (partial !== null) continue;
      partial = newLine();
      await appendFile(path, firstHalf(partial));
      ops.push('partial');
    } else if (r < 0.6) {
      const got = await pollSome(1 + Math.floor(rnd() * 4));
      ops.push(`poll ${got}`);
    } else if (r < 0.7) {
      if (!(await exists(path)) || !(await mayReplaceLive())) continue;
      const postfixStyle = rnd() < 0.4;
      const name = postfixStyle ? `mail.log.20251103-1257${names++}` : pick([`mail.log.${names++}`, `mail.log-2025110${names++}`]);
      await rename(path, at(name));
      if (postfixStyle) await gzipKeepingMtime(at(name));
      rotated.push({ name: postfixStyle ? `${name}.gz` : name, lastIndex: liveHasLines ? liveLastIndex : -1, gz: postfixStyle });
      liveHasLines = false;
      if (rnd() < 0.7) await writeFile(path, '');
      ops.push(postfixStyle ? `postfix-rotate ${name}` : `rename ${name}`);
    } else if (r < 0.75) {
      if (!(await exists(path)) || !(await mayReplaceLive())) continue;
      const name = `mail.log-copy${names++}`;
      await copyFile(path, at(name));
      await truncate(path, 0);
      rotated.push({ name, lastIndex: liveHasLines ? liveLastIndex : -1, gz: false });
      liveHasLines = false;
      ops.push(`copytruncate ${name}`);
    } else if (r < 0.8) {
      const plain = rotated.filter((f) => !f.gz);
      if (plain.length === 0) continue;
      const f = pick(plain);
      await gzipKeepingMtime(at(f.name));
      f.name = `${f.name}.gz`;
      f.gz = true;
      ops.push(`gzip ${f.name}`);
    } else if (r < 0.85) {
      const done = rotated.filter((f) => f.lastIndex < received.length);
      if (done.length === 0) continue;
      const f = pick(done);
      await unlink(at(f.name));
      rotated.splice(rotated.indexOf(f), 1);
      ops.push(`delete ${f.name}`);
    } else if (r < 0.92) {
      await src.close();
      src = make(cp);
      ops.push('restart');
    } else {
      now += 200 + Math.floor(rnd() * 600);
      ops.push('tick');
    }
  }

  if (partial !== null) {
    await appendFile(path, Buffer.concat([secondHalf(partial), Buffer.from('\n')]));
    written.push(partial);
  }
  for (let quiet = 0; quiet < 2; ) {
    const got = await pollSome(Number.MAX_SAFE_INTEGER);
    now += 1000;
    quiet = got === 0 ? quiet + 1 : 0;
  }
  await src.close();
  await rm(dir, { recursive: true, force: true });

  const context = `seed ${seed}: ${ops.join(', ')}`;
  expect(received.length, context).toBe(written.length);
  expect(received, context).toEqual(written);
  const allowed = new Set(['missing', 'truncated', 'checkpoint-file-gone', 'oversized-line']);
  expect(problems.filter((p) => !allowed.has(p.code)), context).toEqual([]);
  return { ops };
}

describe('FileSource against a model (seeded random sequences)', () => {
  it('delivers every written line exactly once across rotations, copytruncate, gzip, deletes and restarts', async () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 300; seed++) {
      const { ops } = await runSeed(seed, 80);
      for (const op of ops) seen.add(op.split(' ')[0]!);
    }
    // The sequences did exercise every kind of event.
    expect([...seen].sort()).toEqual(
      ['copytruncate', 'delete', 'gzip', 'partial', 'poll', 'postfix-rotate', 'rename', 'restart', 'tick', 'write'].sort(),
    );
  });
});
