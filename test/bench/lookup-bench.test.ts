import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLog, type MessageTruth } from '../../src/bench/generate.js';
import { interleave, pickQueries, runLookupBench, type LookupQuery } from '../../src/bench/lookup-bench.js';
import { prepareCorpus, type Corpus } from '../../src/bench/corpus.js';
import { SCHEMA_VERSION } from '../../src/db/schema.js';

// The corpus is ingested by the built CLI, as the bench does it (npm test builds it first).
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lookup-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pickQueries', () => {
  const samples = generateLog({ messages: 300, seed: 3, sampleEvery: 3 }, () => {}).samples;

  it('takes up to perKind ids of each kind, spread over the samples, each with the queue files that answer it', () => {
    const q = pickQueries(samples, 20, 1);
    const kinds = ['ses-id', 'message-id', 'queue-id', 'recipient'] as const;
    expect(kinds.map((k) => q.filter((x) => x.kind === k).length)).toEqual([20, 20, 20, 20]);
    const withSes = samples.filter((s) => s.sesMessageId !== null);
    expect(q[0]).toEqual({ kind: 'ses-id', id: withSes[0]!.sesMessageId, expect: [withSes[0]!.relayQueueId] });
    expect(q[1]).toEqual({ kind: 'ses-id', id: withSes[Math.floor(withSes.length / 20)]!.sesMessageId, expect: [withSes[Math.floor(withSes.length / 20)]!.relayQueueId] });
    const mids = q.filter((x) => x.kind === 'message-id').map((x) => x.id);
    expect(mids.filter((m) => m.startsWith('<') && m.endsWith('>'))).toHaveLength(10);
    const queue = q.find((x) => x.kind === 'queue-id') as LookupQuery;
    expect(queue).toEqual({ kind: 'queue-id', id: samples[0]!.queueId, expect: [samples[0]!.queueId] });
    for (const r of q.filter((x) => x.kind === 'recipient')) {
      const s = samples.find((x) => x.recipients.includes(r.id) && r.expect[0] === x.queueId) as MessageTruth;
      expect(r.expect).toEqual([s.queueId, s.relayQueueId, ...(s.filterQueueId === null ? [] : [s.filterQueueId])]);
    }
  });

  it('takes every sample when there are fewer than perKind', () => {
    const q = pickQueries(samples, 10_000, 1);
    expect(q.filter((x) => x.kind === 'queue-id')).toHaveLength(samples.length);
  });

  it('interleaves the kinds', () => {
    const q: LookupQuery[] = [
      { kind: 'ses-id', id: 's1', expect: [] }, { kind: 'ses-id', id: 's2', expect: [] },
      { kind: 'queue-id', id: 'q1', expect: [] }, { kind: 'recipient', id: 'r1', expect: [] },
    ];
    expect(interleave(q).map((x) => x.id)).toEqual(['s1', 'q1', 'r1', 's2']);
  });
});

describe.skipIf(!existsSync(CLI))('runLookupBench on an ingested log', () => {
  let corpus: Corpus;
  beforeAll(async () => {
    corpus = await prepareCorpus({ workDir: dir, messages: 1500, seed: 9, sampleEvery: 5, maxSamples: 1000, schemaVersion: SCHEMA_VERSION, cliPath: CLI });
  });

  it('finds every sampled message by each kind of key, timing each query with the clock given', () => {
    let t = 0n;
    const clock = () => (t += 1000n);
    const r = runLookupBench({ database: corpus.database, queries: pickQueries(corpus.samples, 50, 2), warmup: 10, clock });
    expect(r.misses).toEqual([]);
    expect(r.warmupQueries).toBe(10);
    expect(r.cacheWarmSeconds).toBeGreaterThan(0);
    for (const k of ['ses-id', 'message-id', 'queue-id', 'recipient'] as const) {
      const x = r.kinds[k];
      expect(x?.queries).toBe(50);
      expect(x?.found).toBe(50);
      const each = { min: 0.001, median: 0.001, p90: 0.001, p99: 0.001, max: 0.001, mean: expect.closeTo(0.001, 12) };
      expect(x?.ms).toEqual({ n: 50, ...each });
      expect(x?.single).toEqual(x?.resultsMax === 1 ? { n: 50, ...each } : { n: expect.any(Number), ...each });
      expect(x?.resultsMean).toBeGreaterThanOrEqual(1);
    }
    expect(r.kinds['ses-id']?.resultsMax).toBe(1);
  });

  it('reports a query that misses its message', () => {
    const r = runLookupBench({ database: corpus.database, queries: [{ kind: 'queue-id', id: 'FFFFF00000', expect: ['FFFFF00000'] }], warmup: 0 });
    expect(r.kinds['queue-id']).toMatchObject({ queries: 1, found: 0, resultsMean: 0, resultsMax: 0 });
    expect(r.kinds['ses-id']).toBeNull();
    expect(r.misses).toEqual([{ kind: 'queue-id', id: 'FFFFF00000', expect: ['FFFFF00000'], got: [] }]);
  });
});
