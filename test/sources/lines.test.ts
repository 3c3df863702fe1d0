import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES, isGzip, LineSplitter, readLineRegions } from '../../src/sources/lines.js';
import { Rng } from '../../src/bench/generate.js';

function pushAll(splitter: LineSplitter, parts: Buffer[]): string[] {
  const out: string[] = [];
  for (const p of parts) expect(splitter.push(p, out)).toBe(p.length);
  return out;
}

describe('LineSplitter', () => {
  it('joins lines split across pushes, strips CR of CRLF, keeps empty lines', () => {
    const s = new LineSplitter(100);
    const out = pushAll(s, [Buffer.from('ab'), Buffer.from('c\r\n\nde'), Buffer.from('f\nxy')]);
    expect(out).toEqual(['abc', '', 'def']);
    expect({ position: s.position, lineEnd: s.lineEnd, hasPartial: s.hasPartial }).toEqual({
      position: 12,
      lineEnd: 10,
      hasPartial: true,
    });
    s.finish(out);
    expect(out).toEqual(['abc', '', 'def', 'xy']);
    expect(s.lineEnd).toBe(12);
  });

  it('decodes a multi-byte UTF-8 character split between two pushes', () => {
    const bytes = Buffer.from('héllo wörld ✓ 😀\nnext\n', 'utf8');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const s = new LineSplitter(100);
      const out = pushAll(s, [bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(out).toEqual(['héllo wörld ✓ 😀', 'next']);
      expect(s.lineEnd).toBe(bytes.length);
    }
  });

  it('skips lines longer than maxLineBytes without holding them, across many pushes', () => {
    const s = new LineSplitter(10);
    const out: string[] = [];
    s.push(Buffer.from('ok\n0123456789\n01234567890\nxx'), out);
    for (let i = 0; i < 1000; i++) s.push(Buffer.from('yyyyyyyyyy'), out);
    s.push(Buffer.from('z\nlast\n'), out);
    expect(out).toEqual(['ok', '0123456789', 'last']);
    expect(s.oversized).toBe(2);
    expect(s.lineEnd).toBe(s.position);
    expect(s.position).toBe(26 + 2 + 10_000 + 7);
  });

  it('counts an oversized last line without newline at finish', () => {
    const s = new LineSplitter(4);
    const out = pushAll(s, [Buffer.from('abc\n'), Buffer.from('abcdefgh')]);
    s.finish(out);
    expect(out).toEqual(['abc']);
    expect(s.oversized).toBe(1);
  });

  it('a held partial plus the next piece over the limit is oversized', () => {
    const s = new LineSplitter(5);
    const out = pushAll(s, [Buffer.from('abc'), Buffer.from('def\nab'), Buffer.from('c\n')]);
    expect(out).toEqual(['abc']);
    expect(s.oversized).toBe(1);
  });

  it('stops at maxLines and reports how much it consumed', () => {
    const s = new LineSplitter(100);
    const buf = Buffer.from('a\nbb\nccc\ndd');
    const out: string[] = [];
    const used = s.push(buf, out, 2);
    expect({ out, used, lineEnd: s.lineEnd, position: s.position }).toEqual({
      out: ['a', 'bb'],
      used: 5,
      lineEnd: 5,
      position: 5,
    });
    const out2: string[] = [];
    expect(s.push(buf.subarray(used), out2, 10)).toBe(6);
    expect(out2).toEqual(['ccc']);
    expect(s.lineEnd).toBe(9);
  });

  it('matches a naive split for random text cut at random places (seeded)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rng = new Rng(seed);
      const rnd = (): number => rng.float();
      const alphabet = ['a', 'é', '✓', '😀', '\n', '\r\n', ' ', 'postfix/smtp[1]: '];
      let text = '';
      const n = Math.floor(rnd() * 400);
      for (let i = 0; i < n; i++) text += alphabet[Math.floor(rnd() * alphabet.length)];
      const bytes = Buffer.from(text, 'utf8');
      const parts: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const len = 1 + Math.floor(rnd() * 20);
        parts.push(bytes.subarray(at, at + len));
        at += len;
      }
      const s = new LineSplitter(1000);
      const out = pushAll(s, parts);
      s.finish(out);
      const expected = text.split('\n').map((l) => l.replace(/\r$/, ''));
      if (text.endsWith('\n') || text === '') expected.pop();
      expect(out, `seed ${seed}`).toEqual(expected);
    }
  });

  it('rejects a nonsensical limit', () => {
    expect(() => new LineSplitter(0)).toThrow('maxLineBytes must be a positive integer, got 0');
  });
});

describe('isGzip', () => {
  it('looks at the magic bytes only', () => {
    expect([isGzip(Buffer.from([0x1f, 0x8b, 8])), isGzip(Buffer.from([0x1f])), isGzip(Buffer.from('ab'))]).toEqual([
      true,
      false,
      false,
    ]);
  });
});

describe('readLineRegions', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lines-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The lines of every region, split the way ingest's reader splits them. */
  async function collect(path: string, maxLineBytes?: number): Promise<{ lines: string[]; oversized: number; regions: number }> {
    const max = maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const lines: string[] = [];
    let oversized = 0;
    let regions = 0;
    for await (const r of readLineRegions(path, maxLineBytes ? { maxLineBytes } : {})) {
      regions++;
      oversized += r.oversized;
      for (let s = r.start; s < r.end; ) {
        let nl = r.buf.indexOf(0x0a, s);
        if (nl < 0 || nl >= r.end) nl = r.end;
        if (nl - s > max) oversized++;
        else lines.push(r.buf.toString('utf8', s, nl).replace(/\r$/, ''));
        s = nl + 1;
      }
    }
    return { lines, oversized, regions };
  }

  it('reads a plain file, returning a last line that has no newline', async () => {
    const p = join(dir, 'mail.log');
    await writeFile(p, 'one\ntwo\r\nthree');
    expect(await collect(p)).toEqual({ lines: ['one', 'two', 'three'], oversized: 0, regions: 2 });
  });

  it('reads an empty file as no regions', async () => {
    const p = join(dir, 'empty.log');
    await writeFile(p, '');
    expect(await collect(p)).toEqual({ lines: [], oversized: 0, regions: 0 });
  });

  it('detects gzip by magic bytes, whatever the name, and plain text named .gz', async () => {
    const gz = join(dir, 'rotated-no-suffix');
    const plain = join(dir, 'looks.gz');
    await writeFile(gz, Buffer.concat([gzipSync('a\nb\n'), gzipSync('c\n')])); // two gzip members
    await writeFile(plain, 'plain\n');
    expect((await collect(gz)).lines).toEqual(['a', 'b', 'c']);
    expect((await collect(plain)).lines).toEqual(['plain']);
  });

  it('joins lines and multi-byte characters cut between reads, plain and gzip', async () => {
    const p = join(dir, 'big.log');
    const lines = Array.from({ length: 50_000 }, (_, i) => `Nov  3 12:57:23 host postfix/smtp[${i}]: é ✓ ${'x'.repeat(i % 97)}`);
    const text = lines.join('\n') + '\n';
    await writeFile(p, text);
    await writeFile(`${p}.gz`, gzipSync(text));
    for (const path of [p, `${p}.gz`]) {
      const got = await collect(path);
      expect(got.lines).toEqual(lines);
      expect(got.regions).toBeGreaterThan(10);
    }
  });

  it('counts lines too long for the buffer, and long ones that fit are left to the reader to count', async () => {
    const p = join(dir, 'over.log');
    // 300,000 bytes do not fit a buffer of 10 + 256 KiB: the reader skips it. 20 bytes fit but pass
    // the limit of 10: the region holds them, for its reader to count.
    await writeFile(p, `a\n${'x'.repeat(300_000)}\nb\n${'y'.repeat(20)}\nc\n`);
    const regions: Array<{ text: string; oversized: number }> = [];
    for await (const r of readLineRegions(p, { maxLineBytes: 10 })) regions.push({ text: r.buf.toString('utf8', r.start, r.end), oversized: r.oversized });
    expect(regions).toEqual([
      { text: 'a\n', oversized: 0 },
      { text: `b\n${'y'.repeat(20)}\nc\n`, oversized: 1 },
    ]);
    expect(await collect(p, 10)).toEqual({ lines: ['a', 'b', 'c'], oversized: 2, regions: 2 });
    await writeFile(p, `a\n${'x'.repeat(600_000)}`);
    expect(await collect(p, 10)).toEqual({ lines: ['a'], oversized: 1, regions: 2 });
  });

  it('matches a naive split for random lines of random lengths, some oversized (seeded)', async () => {
    const rng = new Rng(7);
    const rand = (n: number): number => rng.int(0, n - 1);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push('é'.repeat(rand(3)) + 'z'.repeat(rand(9) === 0 ? rand(400_000) : rand(300)));
    const text = lines.join('\n');
    const p = join(dir, 'random.log');
    await writeFile(p, text);
    const max = 100_000;
    const got = await collect(p, max);
    const kept = lines.filter((l) => Buffer.byteLength(l) <= max);
    expect(got.lines).toEqual(kept);
    expect(got.oversized).toBe(lines.length - kept.length);
  });

  it('rejects with the path and reason for a missing file, a directory and a corrupt gzip', async () => {
    const missing = join(dir, 'nope.log');
    await expect(collect(missing)).rejects.toThrow(`cannot read ${missing}: ENOENT`);
    const sub = join(dir, 'sub');
    await mkdir(sub);
    await expect(collect(sub)).rejects.toThrow(`cannot read ${sub}: EISDIR`);
    const bad = join(dir, 'bad.gz');
    await writeFile(bad, Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    await expect(collect(bad)).rejects.toThrow(`cannot read ${bad}: not a gzip stream or corrupt`);
  });
});
