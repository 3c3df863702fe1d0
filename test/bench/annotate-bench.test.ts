import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusStart, prepareCorpus, type Corpus } from '../../src/bench/corpus.js';
import { runAnnotateBench } from '../../src/bench/annotate-bench.js';
import { SCHEMA_VERSION } from '../../src/db/schema.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'annotate-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('corpusStart', () => {
  it('starts the log at a midnight early enough that it ends a day before now', () => {
    const now = new Date('2026-12-04T16:00:00Z');
    // 1M messages at 300 a minute span 2.3 days: back from Dec 4 16:00 by that and a day is Dec 1 08:34.
    expect(corpusStart(now, 1_000_000)).toEqual(new Date('2026-12-01T00:00:00Z'));
    expect(corpusStart(now, 10)).toEqual(new Date('2026-12-03T00:00:00Z'));
  });
});

describe.skipIf(!existsSync(CLI))('a corpus and annotate over it', () => {
  const opts = { workDir: dir, messages: 1200, seed: 4, sampleEvery: 3, maxSamples: 1000, schemaVersion: SCHEMA_VERSION, cliPath: CLI };
  let corpus: Corpus;
  beforeAll(async () => {
    corpus = await prepareCorpus({ ...opts, now: () => new Date('2026-12-04T16:00:00Z') });
  });

  it('builds the corpus once with the CLI and reuses it while the key matches', async () => {
    expect(corpus.reused).toBe(false);
    expect(corpus.dir).toBe(join(dir, 'corpus-4-1200'));
    expect(corpus.samples).toHaveLength(400);
    expect(corpus.manifest).toMatchObject({ format: 1, seed: 4, messages: 1200, sampleEvery: 3, maxSamples: 1000, schemaVersion: SCHEMA_VERSION,
      builtAt: '2026-12-04T16:00:00.000Z', start: '2026-12-03T00:00:00.000Z', logBytes: statSync(corpus.logFile).size });
    expect(corpus.manifest.ingest.lines).toBe(corpus.manifest.lines);
    expect(corpus.manifest.dbBytes).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(corpus.config, 'utf8'))).toEqual({ source: { type: 'file', path: corpus.logFile }, database: corpus.database, logLevel: 'warn' });
    const again = await prepareCorpus(opts);
    expect(again).toEqual({ ...corpus, reused: true });
  });

  it('annotates notifications about indexed messages: one event per recipient, each with its origin', async () => {
    const r = await runAnnotateBench({ database: corpus.database, config: corpus.config, samples: corpus.samples, n: 500, seed: 3, workDir: join(dir, 'annotate'), cliPath: CLI });
    expect(r.n).toBe(500);
    expect(r.exitCode).toBe(0);
    expect(r.stderrLines).toBe(0);
    expect(r.notificationsPerSecond).toBeCloseTo(500 / r.seconds, 6);
    expect(r.check.expected).toBeGreaterThanOrEqual(500);
    expect(r.check).toEqual({
      events: r.check.expected, expected: r.check.expected, missing: 0, unexpected: 0, unmatched: 0,
      matchedBy: { 'ses-id': r.check.expected }, originAgrees: r.check.expected, problems: [],
    });
  });

  it('rebuilds when the key changes or a fresh corpus is asked for', async () => {
    const other = await prepareCorpus({ ...opts, sampleEvery: 4 });
    expect(other.reused).toBe(false);
    expect(other.samples).toHaveLength(300);
    const fresh = await prepareCorpus({ ...opts, sampleEvery: 4, fresh: true });
    expect(fresh.reused).toBe(false);
  });
});
