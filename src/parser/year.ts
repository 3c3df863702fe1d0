// RFC 3164 stamps (`Nov  3 12:57:23`) carry no year. This infers it the way a reader of the
// log would: from a reference time for the first stamp, then by watching the month roll over.

const DAY_MS = 86_400_000;
/** A month jump at least this big between consecutive stamps is a year boundary, not disorder. */
const ROLLOVER_MONTHS = 6;

export interface YearInferenceOptions {
  /** Clock used when no anchor is set (milliseconds since the epoch). */
  now?: () => number;
}

export class YearInference {
  private readonly now: () => number;
  private reference: number | null = null;
  private year = 0;
  /** Highest month seen since the last rollover; -1 before the first stamp. */
  private lastMonth = -1;
  // Consecutive lines nearly always share the minute, and `new Date(y, m, d, h, min)` is the
  // costliest step of a line, so the last local-minute conversion is remembered.
  // Year and month-minute apart: one key for both would pass 2^30, leave V8's small integers and
  // allocate a heap number per line.
  private cacheYear = -1;
  private cacheKey = -1;
  private cacheBase = 0;

  /**
   * The bytes of the last stamp read through this inference (with its trailing space) and its time:
   * consecutive lines mostly share their second, and the same bytes always give the same time until
   * the next anchor(). Kept here so that it is dropped with that state. See scanPrefix.
   */
  readonly lastStamp = { bytes: Buffer.alloc(64), len: 0, time: 0 };

  constructor(opts: YearInferenceOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Sets the reference time (e.g. a file's mtime) and starts inference afresh: the next stamp
   * takes the reference's year again.
   */
  anchor(ms: number): void {
    this.reference = ms;
    this.lastMonth = -1;
    this.lastStamp.len = 0;
  }

  /** Local-time stamp without a year -> milliseconds since the epoch. */
  resolve(month0: number, day: number, h: number, m: number, s: number, ms = 0): number {
    const rest = s * 1000 + ms;
    if (this.lastMonth < 0) {
      const ref = this.referenceTime();
      let year = new Date(ref).getFullYear();
      // A stamp "in the future" of the reference belongs to the year before (a December
      // log read in January).
      if (this.localMinute(year, month0, day, h, m) + rest > ref + DAY_MS) year -= 1;
      this.year = year;
      this.lastMonth = month0;
    } else {
      const delta = month0 - this.lastMonth;
      if (delta <= -ROLLOVER_MONTHS) {
        this.year += 1;
        this.lastMonth = month0;
      } else if (delta >= ROLLOVER_MONTHS) {
        // Either a late line from before New Year (Dec after Jan) or a long quiet spell.
        // Only the first would put the stamp in the future.
        const t = this.localMinute(this.year, month0, day, h, m) + rest;
        if (t > this.referenceTime() + DAY_MS) return this.localMinute(this.year - 1, month0, day, h, m) + rest;
        this.lastMonth = month0;
      } else if (delta > 0) {
        this.lastMonth = month0;
      }
      // A small step backwards is out-of-order logging: same year, state unchanged.
    }
    return this.localMinute(this.year, month0, day, h, m) + rest;
  }

  private referenceTime(): number {
    return this.reference ?? this.now();
  }

  private localMinute(year: number, month0: number, day: number, h: number, m: number): number {
    const key = ((month0 * 32 + day) * 24 + h) * 60 + m;
    if (key !== this.cacheKey || year !== this.cacheYear) {
      this.cacheBase = new Date(year, month0, day, h, m).getTime();
      this.cacheKey = key;
      this.cacheYear = year;
    }
    return this.cacheBase;
  }
}
