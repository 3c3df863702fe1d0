// Latency of `lookup(store, id)` in process, per kind of key, over ids the generator's ground truth
// says are in the index. In process because the target is the query, not Node's start-up.
import { closeSync, openSync, readSync } from 'node:fs';
import type { MessageTruth } from './generate.js';
import { Rng } from './generate.js';
import { summarize, type Summary } from './stats.js';
import { Store } from '../db/store.js';
import { DEFAULT_LIMIT, lookup, type LookupResult } from '../commands/lookup.js';

export type LookupKind = 'ses-id' | 'message-id' | 'queue-id' | 'recipient';
export const LOOKUP_KINDS: readonly LookupKind[] = ['ses-id', 'message-id', 'queue-id', 'recipient'];

export interface LookupQuery {
  kind: LookupKind;
  id: string;
  /** Queue ids that a correct answer must include at least one of. */
  expect: string[];
}

/**
 * Up to `perKind` queries of each kind from the samples, spread over the whole log. Message-IDs
 * alternate with and without angle brackets, as operators paste both.
 */
export function pickQueries(samples: readonly MessageTruth[], perKind: number, seed: number): LookupQuery[] {
  const rng = new Rng(seed);
  const every = (pool: MessageTruth[]): MessageTruth[] => {
    if (pool.length <= perKind) return pool;
    const out: MessageTruth[] = [];
    for (let i = 0; i < perKind; i++) out.push(pool[Math.floor((i * pool.length) / perKind)] as MessageTruth);
    return out;
  };
  const hops = (s: MessageTruth): string[] => [s.queueId, s.relayQueueId, ...(s.filterQueueId === null ? [] : [s.filterQueueId])];
  const out: LookupQuery[] = [];
  every(samples.filter((s) => s.sesMessageId !== null)).forEach((s) => {
    out.push({ kind: 'ses-id', id: s.sesMessageId as string, expect: [s.relayQueueId] });
  });
  every(samples.filter((s) => s.messageId !== null)).forEach((s, i) => {
    out.push({ kind: 'message-id', id: i % 2 === 0 ? (s.messageId as string) : `<${s.messageId as string}>`, expect: hops(s) });
  });
  every([...samples]).forEach((s) => out.push({ kind: 'queue-id', id: s.queueId, expect: [s.queueId] }));
  every(samples.filter((s) => s.recipients.length > 0)).forEach((s) => {
    out.push({ kind: 'recipient', id: rng.pick(s.recipients), expect: hops(s) });
  });
  return out;
}

/** Interleaves the kinds (a b c d a b c d ...) so a noisy moment does not land on one kind only. */
export function interleave(queries: readonly LookupQuery[]): LookupQuery[] {
  const byKind = LOOKUP_KINDS.map((k) => queries.filter((q) => q.kind === k));
  const out: LookupQuery[] = [];
  const longest = Math.max(0, ...byKind.map((l) => l.length));
  for (let i = 0; i < longest; i++) for (const l of byKind) if (i < l.length) out.push(l[i] as LookupQuery);
  return out;
}

export interface KindResult {
  queries: number;
  /** Answers that include an expected queue id. */
  found: number;
  /** Milliseconds per query. */
  ms: Summary;
  /** Milliseconds over the queries answered with exactly one message: the index's cost without the answer's size. */
  single: Summary | null;
  /** Messages per answer, to read slow recipients against. */
  resultsMean: number;
  resultsMax: number;
}

export interface LookupBenchResult {
  database: string;
  /** Seconds spent reading the database file once before timing, so it sits in the page cache as a live index's would. */
  cacheWarmSeconds: number;
  warmupQueries: number;
  kinds: Record<LookupKind, KindResult | null>;
  /** A few queries whose answer missed the expected message, for diagnosis. */
  misses: Array<{ kind: LookupKind; id: string; expect: string[]; got: string[] }>;
}

export interface LookupBenchOptions {
  database: string;
  queries: LookupQuery[];
  /** Untimed queries first (default 200), so the timed ones do not pay for opening pages. */
  warmup?: number;
  clock?: () => bigint;
}

const LOOKUP_LIMIT = DEFAULT_LIMIT;

function answers(results: LookupResult[], expect: string[]): boolean {
  return results.some((r) => expect.includes(r.queueId));
}

/**
 * Reads a file start to end and drops the bytes: an index that is queried lives in the page cache,
 * and a shared machine may have evicted this one since it was built (measured: medians 5-8x slower).
 */
export function warmPageCache(path: string): number {
  const t0 = process.hrtime.bigint();
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export function runLookupBench(opts: LookupBenchOptions): LookupBenchResult {
  const clock = opts.clock ?? process.hrtime.bigint;
  const cacheWarmSeconds = warmPageCache(opts.database);
  const store = new Store(opts.database, { readonly: true });
  try {
    const queries = interleave(opts.queries);
    const warmup = Math.min(opts.warmup ?? 200, queries.length);
    for (let i = 0; i < warmup; i++) lookup(store, (queries[i] as LookupQuery).id);
    const times = new Map<LookupKind, number[]>(LOOKUP_KINDS.map((k) => [k, []]));
    const counts = new Map<LookupKind, number[]>(LOOKUP_KINDS.map((k) => [k, []]));
    const found = new Map<LookupKind, number>(LOOKUP_KINDS.map((k) => [k, 0]));
    const misses: LookupBenchResult['misses'] = [];
    for (const q of queries) {
      const t0 = clock();
      const r = lookup(store, q.id);
      const t1 = clock();
      times.get(q.kind)!.push(Number(t1 - t0) / 1e6);
      counts.get(q.kind)!.push(r.length);
      // lookup shows the newest DEFAULT_LIMIT by default: an older message of a much-used address is cut, by design.
      if (answers(r, q.expect) || r.length === LOOKUP_LIMIT) found.set(q.kind, found.get(q.kind)! + 1);
      else if (misses.length < 10) misses.push({ kind: q.kind, id: q.id, expect: q.expect, got: r.slice(0, 5).map((x) => x.queueId) });
    }
    const kinds = {} as Record<LookupKind, KindResult | null>;
    for (const k of LOOKUP_KINDS) {
      const t = times.get(k)!;
      const c = counts.get(k)!;
      const one = t.filter((_, i) => c[i] === 1);
      kinds[k] = t.length === 0
        ? null
        : {
            queries: t.length,
            found: found.get(k)!,
            ms: summarize(t),
            single: one.length === 0 ? null : summarize(one),
            resultsMean: c.reduce((a, b) => a + b, 0) / c.length,
            resultsMax: Math.max(...c),
          };
    }
    return { database: opts.database, cacheWarmSeconds, warmupQueries: warmup, kinds, misses };
  } finally {
    store.close();
  }
}
