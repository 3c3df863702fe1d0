import { describe, expect, it } from 'vitest';
import { check, condition, formatCheck, formatValue, quantile, round, summarize } from '../../src/bench/stats.js';

describe('quantile and summarize', () => {
  it('takes the nearest rank, an observed value', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([quantile(s, 0), quantile(s, 0.5), quantile(s, 0.9), quantile(s, 0.99), quantile(s, 1)]).toEqual([1, 50, 90, 99, 100]);
    expect(quantile([7], 0.99)).toBe(7);
  });

  it('refuses an empty list and a q outside [0, 1], naming it', () => {
    expect(() => quantile([], 0.5)).toThrow('quantile: empty list');
    expect(() => quantile([1], 1.5)).toThrow('quantile: q must be in [0, 1], got 1.5');
    expect(() => summarize([])).toThrow('summarize: empty list');
  });

  it('summarizes unsorted samples without reordering the caller\'s array', () => {
    const v = [5, 1, 4, 2, 3];
    expect(summarize(v)).toEqual({ n: 5, min: 1, median: 3, p90: 5, p99: 5, max: 5, mean: 3 });
    expect(v).toEqual([5, 1, 4, 2, 3]);
  });
});

describe('checks', () => {
  it('compares a value with a limit each way, and fails what was not measured', () => {
    expect(check('ingest', 'speed', 5, 'x', '>=', 5)).toEqual({ section: 'ingest', name: 'speed', value: 5, unit: 'x', target: '>= 5x', pass: true });
    expect(check('lookup', 'median', 1, 'ms', '<', 1, 'p99 2 ms')).toEqual({
      section: 'lookup', name: 'median', value: 1, unit: 'ms', target: '< 1 ms', pass: false, note: 'p99 2 ms',
    });
    expect(check('follow', 'cpu', 4.99, '%', '<=', 5).pass).toBe(true);
    expect(check('x', 'y', 31, 's', '>', 30).pass).toBe(true);
    expect(check('x', 'y', null, 's', '<', 30).pass).toBe(false);
    expect(check('x', 'y', Number.NaN, 's', '<', 30).pass).toBe(false);
  });

  it('states a condition and prints checks as report lines', () => {
    expect(condition('sqs', 'none lost', false, '9 of 10')).toEqual({ section: 'sqs', name: 'none lost', value: 0, unit: '', target: 'holds', pass: false, note: '9 of 10' });
    expect(formatCheck(condition('sqs', 'none lost', true))).toBe('  [PASS] none lost: yes (must hold)');
    expect(formatCheck(check('annotate', 'throughput', 12345.6, 'notifications/s', '>=', 5000))).toBe(
      '  [PASS] throughput: 12,346 notifications/s (target >= 5000 notifications/s)',
    );
    expect(formatCheck(check('ingest', 'speed', null, 'x', '>=', 5, 'ingest exited 1'))).toBe('  [FAIL] speed: not measured (target >= 5x) - ingest exited 1');
  });

  it('rounds for reading', () => {
    expect([formatValue(0.12345, 'ms'), formatValue(2.345, '%'), formatValue(123.45, 'MiB'), formatValue(1.5, 'x')]).toEqual(['0.123 ms', '2.35 %', '123.5 MiB', '1.5x']);
    expect(round(1.23456, 2)).toBe(1.23);
  });
});
