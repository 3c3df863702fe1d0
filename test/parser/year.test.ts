import { describe, expect, it } from 'vitest';
import { YearInference } from '../../src/parser/year.js';

// Expected values are built with the local-time Date constructor, like syslog stamps, so the
// tests hold in any TZ.
const local = (y: number, m0: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number =>
  new Date(y, m0, d, h, mi, s, ms).getTime();

const clock = (ms: number) => () => ms;

describe('YearInference', () => {
  it('gives the first stamp the year of the injected clock', () => {
    const years = new YearInference({ now: clock(local(2025, 10, 10, 9)) });
    expect(years.resolve(10, 3, 12, 57, 23)).toBe(local(2025, 10, 3, 12, 57, 23));
  });

  it('keeps milliseconds', () => {
    const years = new YearInference({ now: clock(local(2025, 10, 10)) });
    expect(years.resolve(10, 3, 12, 57, 23, 456)).toBe(local(2025, 10, 3, 12, 57, 23, 456));
  });

  it('reads a December log in January as last year', () => {
    const years = new YearInference({ now: clock(local(2026, 0, 2, 8)) });
    expect(years.resolve(11, 30, 23, 0, 0)).toBe(local(2025, 11, 30, 23, 0, 0));
  });

  it('accepts a stamp up to one day ahead of the clock as this year (clock skew)', () => {
    const now = local(2025, 5, 15, 12);
    const years = new YearInference({ now: clock(now) });
    expect(years.resolve(5, 16, 11, 0, 0)).toBe(local(2025, 5, 16, 11, 0, 0));
    const years2 = new YearInference({ now: clock(now) });
    expect(years2.resolve(5, 16, 13, 0, 0)).toBe(local(2024, 5, 16, 13, 0, 0));
  });

  it('rolls over at New Year (Dec 31 -> Jan 1)', () => {
    const years = new YearInference({ now: clock(local(2026, 0, 1, 0, 30)) });
    expect(years.resolve(11, 31, 23, 59, 59)).toBe(local(2025, 11, 31, 23, 59, 59));
    expect(years.resolve(0, 1, 0, 0, 1)).toBe(local(2026, 0, 1, 0, 0, 1));
    expect(years.resolve(0, 1, 0, 10, 0)).toBe(local(2026, 0, 1, 0, 10, 0));
  });

  it('does not change the year for small steps backwards (out-of-order lines)', () => {
    const years = new YearInference({ now: clock(local(2025, 11, 1)) });
    expect(years.resolve(2, 1, 0, 0, 0)).toBe(local(2025, 2, 1));
    expect(years.resolve(1, 28, 23, 59, 59)).toBe(local(2025, 1, 28, 23, 59, 59));
    expect(years.resolve(2, 1, 0, 0, 1)).toBe(local(2025, 2, 1, 0, 0, 1));
  });

  it('puts a late December line that arrives after the rollover into the old year', () => {
    const years = new YearInference({ now: clock(local(2026, 0, 1, 0, 5)) });
    expect(years.resolve(11, 31, 23, 59, 58)).toBe(local(2025, 11, 31, 23, 59, 58));
    expect(years.resolve(0, 1, 0, 0, 0)).toBe(local(2026, 0, 1));
    expect(years.resolve(11, 31, 23, 59, 59)).toBe(local(2025, 11, 31, 23, 59, 59));
    expect(years.resolve(0, 1, 0, 0, 2)).toBe(local(2026, 0, 1, 0, 0, 2));
  });

  it('treats a long quiet spell (Jan -> Aug, not in the future) as the same year', () => {
    const years = new YearInference({ now: clock(local(2025, 8, 1)) });
    expect(years.resolve(0, 5, 10, 0, 0)).toBe(local(2025, 0, 5, 10));
    expect(years.resolve(7, 20, 10, 0, 0)).toBe(local(2025, 7, 20, 10));
    expect(years.resolve(7, 21, 10, 0, 0)).toBe(local(2025, 7, 21, 10));
  });

  it('uses the anchor instead of the clock, and restarts inference on each anchor', () => {
    const years = new YearInference({ now: () => { throw new Error('clock must not be read'); } });
    years.anchor(local(2024, 1, 10)); // a file last written in Feb 2024
    expect(years.resolve(11, 30, 10, 0, 0)).toBe(local(2023, 11, 30, 10));
    expect(years.resolve(1, 9, 10, 0, 0)).toBe(local(2024, 1, 9, 10));
    years.anchor(local(2025, 6, 1)); // the next file
    expect(years.resolve(5, 30, 10, 0, 0)).toBe(local(2025, 5, 30, 10));
  });

  it('dates a half-year log read after New Year month by month', () => {
    const years = new YearInference();
    years.anchor(local(2025, 0, 15, 12)); // mtime of a log that runs Jul 2024 .. Jan 2025
    expect(years.resolve(6, 1, 0, 0, 0)).toBe(local(2024, 6, 1));
    expect(years.resolve(9, 1, 0, 0, 0)).toBe(local(2024, 9, 1));
    expect(years.resolve(11, 31, 23, 0, 0)).toBe(local(2024, 11, 31, 23));
    expect(years.resolve(0, 1, 1, 0, 0)).toBe(local(2025, 0, 1, 1));
    expect(years.resolve(0, 15, 11, 0, 0)).toBe(local(2025, 0, 15, 11));
  });
});
