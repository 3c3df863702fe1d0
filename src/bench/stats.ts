// Summaries of latency samples and the pass/fail checks every bench section reports.

export interface Summary {
  n: number;
  min: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The q-quantile of ascending `sorted` by the nearest-rank method: the smallest sample with at
 * least q of all samples at or below it, so p99 of 100 samples is the 99th, an observed value.
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile: empty list');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarize: empty list');
  const s = [...values].sort((a, b) => a - b);
  let total = 0;
  for (const v of s) total += v;
  return {
    n: s.length,
    min: s[0] as number,
    median: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p99: quantile(s, 0.99),
    max: s[s.length - 1] as number,
    mean: total / s.length,
  };
}

/** One "must reach" figure: what was measured against what it must be. */
export interface Check {
  section: string;
  /** What the figure is, e.g. "ingest speed vs pflogsumm". */
  name: string;
  /** null when the section could not measure it. */
  value: number | null;
  unit: string;
  /** The target in words, e.g. ">= 5". */
  target: string;
  pass: boolean;
  /** Why it failed beyond the number, or what else was checked. */
  note?: string;
}

export type Comparison = '>=' | '<=' | '<' | '>';

/** A check of `value` against `limit`; a null value (not measured) fails. */
export function check(
  section: string,
  name: string,
  value: number | null,
  unit: string,
  cmp: Comparison,
  limit: number,
  note?: string,
): Check {
  let pass = false;
  if (value !== null && Number.isFinite(value)) {
    pass = cmp === '>=' ? value >= limit : cmp === '<=' ? value <= limit : cmp === '<' ? value < limit : value > limit;
  }
  const c: Check = { section, name, value, unit, target: `${cmp} ${limit}${unit === '' || unit === 'x' ? unit : ` ${unit}`}`, pass };
  if (note !== undefined) c.note = note;
  return c;
}

/** A yes/no condition (nothing lost, output complete) as a check. */
export function condition(section: string, name: string, ok: boolean, note?: string): Check {
  const c: Check = { section, name, value: ok ? 1 : 0, unit: '', target: 'holds', pass: ok };
  if (note !== undefined) c.note = note;
  return c;
}

/** Rounds for a report: enough digits to read, not the float noise. */
export function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function formatValue(v: number | null, unit: string): string {
  if (v === null) return 'not measured';
  const abs = Math.abs(v);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  const n = v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit === '' ? n : unit === 'x' ? `${n}x` : `${n} ${unit}`;
}

export function formatCheck(c: Check): string {
  const shown = c.target === 'holds' ? (c.pass ? 'yes' : 'no') : formatValue(c.value, c.unit);
  const target = c.target === 'holds' ? 'must hold' : `target ${c.target}`;
  return `  [${c.pass ? 'PASS' : 'FAIL'}] ${c.name}: ${shown} (${target})${c.note === undefined ? '' : ` - ${c.note}`}`;
}
