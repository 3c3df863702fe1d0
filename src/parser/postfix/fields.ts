// Index-based scanners shared by the per-daemon parsers. Every function here is linear in the
// text it looks at (indexOf / charCodeAt only), so a 100 KB line cannot make them hang.

/**
 * What a daemon parser makes of the text after `QID: `:
 * an event, null (nothing we index), or a string naming what was broken (malformed).
 */
export type DaemonResult<E> = E | null | string;

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** End of the run of ASCII letters and digits starting at `start`. */
export function alnumEnd(text: string, start: number): number {
  let i = start;
  const len = text.length;
  while (i < len && isAlnum(text.charCodeAt(i))) i++;
  return i;
}

/**
 * True when text[start, end) is a Postfix queue id: short (6+ uppercase hex digits) or long
 * (enable_long_queue_ids: 10+ letters and digits without vowels). One pass: this runs on every
 * Postfix line.
 */
export function isQueueIdAt(text: string, start: number, end: number): boolean {
  const n = end - start;
  if (n < 6 || n > 32) return false;
  let hex = true;
  let vowel = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) continue;
    if (c >= 0x41 && c <= 0x46) {
      if (c === 0x41 || c === 0x45) vowel = true; // hex digits, but vowels for long ids
      continue;
    }
    if ((c >= 0x47 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
      hex = false;
      const l = c | 0x20;
      if (l === 0x61 || l === 0x65 || l === 0x69 || l === 0x6f || l === 0x75) vowel = true;
      continue;
    }
    return false;
  }
  if (hex) return true;
  return n >= 10 && !vowel;
}

export function isQueueId(s: string): boolean {
  return isQueueIdAt(s, 0, s.length);
}

/** Reads the queue id starting at `start`, or null when none is there. */
export function queueIdAt(text: string, start: number): string | null {
  const end = alnumEnd(text, start);
  return isQueueIdAt(text, start, end) ? text.slice(start, end) : null;
}

/**
 * Given `text[lt] === '<'`, the index of the `>` that ends the field: the first `>` followed by
 * a field delimiter (end, space, comma, colon, semicolon). This keeps anonymised values such as
 * `<<someone>>` whole. -1 when the field never closes.
 */
export function closeAngle(text: string, lt: number): number {
  let i = lt + 1;
  for (;;) {
    const gt = text.indexOf('>', i);
    if (gt < 0) return -1;
    const n = text.charCodeAt(gt + 1);
    if (gt + 1 >= text.length || n === 0x20 || n === 0x2c || n === 0x3a || n === 0x3b) return gt;
    i = gt + 1;
  }
}

/**
 * Finds `key` (e.g. `relay=`) at a field boundary (start of region, or after a space or comma)
 * within [from, to). -1 if absent.
 */
export function findField(text: string, key: string, from: number, to: number): number {
  let i = from;
  for (;;) {
    const k = text.indexOf(key, i);
    if (k < 0 || k + key.length > to) return -1;
    if (k === from) return k;
    const p = text.charCodeAt(k - 1);
    if (p === 0x20 || p === 0x2c) return k;
    i = k + 1;
  }
}

/** End of a plain `key=value` value: the next comma, or `to`. Trailing spaces excluded. */
export function plainValueEnd(text: string, start: number, to: number): number {
  let comma = text.indexOf(',', start);
  if (comma < 0 || comma > to) comma = to;
  let end = comma;
  while (end > start && text.charCodeAt(end - 1) === 0x20) end--;
  return end;
}

/** Parses a non-negative decimal integer in [start, end), or -1. */
export function intIn(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Parses a non-negative decimal number like `0.25` or `411573` in [start, end), or NaN. */
export function decimalIn(text: string, start: number, end: number): number {
  if (end <= start || end - start > 24) return NaN;
  let dot = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e && !dot) dot = true;
    else if (c < 0x30 || c > 0x39) return NaN;
  }
  return Number(text.slice(start, end));
}

export interface NamAddr {
  host: string;
  ip: string;
  port: number | null;
}

/**
 * A `host[addr]`, `host[addr]:port` or `[addr]:port` at `start`, before `limit`. Fills `out`
 * and returns the index after it, or -1 when there is no bracketed address.
 */
export function namAddrAt(text: string, start: number, limit: number, out: NamAddr): number {
  const lb = text.indexOf('[', start);
  if (lb < 0 || lb >= limit) return -1;
  const rb = text.indexOf(']', lb + 1);
  if (rb < 0 || rb >= limit) return -1;
  for (let i = start; i < lb; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x2c) return -1; // a host name is one token
  }
  out.host = text.slice(start, lb);
  out.ip = text.slice(lb + 1, rb);
  out.port = null;
  let end = rb + 1;
  if (text.charCodeAt(end) === 0x3a) {
    let j = end + 1;
    let n = 0;
    while (j < limit && j - end <= 5) {
      const d = text.charCodeAt(j) - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      j++;
    }
    if (j > end + 1) {
      out.port = n;
      end = j;
    }
  }
  return end;
}

/** Leading SMTP reply code (`554 ...`, `450-...`) of text at start, or null. */
export function smtpCodeAt(text: string, start: number): number | null {
  if (start + 3 > text.length) return null;
  const a = text.charCodeAt(start) - 0x30;
  const b = text.charCodeAt(start + 1) - 0x30;
  const c = text.charCodeAt(start + 2) - 0x30;
  if (a < 2 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return null;
  const n = text.charCodeAt(start + 3);
  if (start + 3 < text.length && n !== 0x20 && n !== 0x2d) return null;
  return a * 100 + b * 10 + c;
}

/** End index of an enhanced status code (`5.7.1`) at start, or -1. */
export function dsnEnd(text: string, start: number): number {
  if (start + 5 > text.length) return -1;
  const cls = text.charCodeAt(start);
  if (cls < 0x32 || cls > 0x35 || text.charCodeAt(start + 1) !== 0x2e) return -1;
  let i = start + 2;
  for (let part = 0; part < 2; part++) {
    const s = i;
    while (i < text.length && i - s < 3) {
      const d = text.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      i++;
    }
    if (i === s) return -1;
    if (part === 0) {
      if (text.charCodeAt(i) !== 0x2e) return -1;
      i++;
    }
  }
  const n = text.charCodeAt(i);
  if (i < text.length && n !== 0x20 && n !== 0x2c && n !== 0x3b) return -1;
  return i;
}

/** `554 5.7.1 text` or `5.7.1 text` -> code and enhanced status, each null when absent. */
export function replyCodes(reply: string): { smtpCode: number | null; dsn: string | null } {
  let i = 0;
  const smtpCode = smtpCodeAt(reply, 0);
  if (smtpCode !== null) i = 4;
  const end = dsnEnd(reply, i);
  return { smtpCode, dsn: end < 0 ? null : reply.slice(i, end) };
}

// ---- Reject/discard/hold lines (smtpd, cleanup, postscreen) ----

const REJECT_ACTIONS = ['reject', 'milter-reject', 'discard', 'milter-discard', 'hold', 'milter-hold', 'proxy-reject'];

/**
 * The action word of a `reject: ...`-style line at pos, or null. Other actions Postfix logs the
 * same way (`reject_warning`, `filter`, `redirect`, `warning`, `replace`...) change nothing about
 * delivery, so they are not events.
 */
export function rejectActionAt(text: string, pos: number): string | null {
  const c = text.charCodeAt(pos);
  // r(eject) m(ilter-) d(iscard) h(old) p(roxy-reject)
  if (c !== 0x72 && c !== 0x6d && c !== 0x64 && c !== 0x68 && c !== 0x70) return null;
  for (const a of REJECT_ACTIONS) {
    if (text.startsWith(a, pos) && text.charCodeAt(pos + a.length) === 0x3a && text.charCodeAt(pos + a.length + 1) === 0x20) {
      return a;
    }
  }
  return null;
}

/**
 * The `;` that separates the free text of a reject line from the `from=<> to=<> proto= helo=<>`
 * trailer Postfix appends. Semicolons inside the reply (`...; https://...`) are skipped because
 * they are not followed by one of those names. -1 if there is no trailer.
 */
export function trailerStart(text: string, from: number): number {
  let i = from;
  const len = text.length;
  for (;;) {
    const semi = text.indexOf(';', i);
    if (semi < 0) return -1;
    const j = semi + 1;
    if (j >= len || text.charCodeAt(j) === 0x3a) return semi;
    if (
      text.charCodeAt(j) === 0x20 &&
      (text.startsWith('from=<', j + 1) || text.startsWith('to=<', j + 1) ||
        text.startsWith('proto=', j + 1) || text.startsWith('helo=<', j + 1))
    ) {
      return semi;
    }
    i = j;
  }
}

export interface Trailer {
  sender: string | null;
  recipient: string | null;
  /** Index just after the last trailer field. */
  end: number;
}

/**
 * Reads `from=<a> to=<b> proto=ESMTP helo=<h>` after the `;` at semi (postscreen separates the
 * fields with `, `). Returns false when an address field is not closed.
 */
export function parseTrailer(text: string, semi: number, out: Trailer): boolean {
  out.sender = null;
  out.recipient = null;
  const len = text.length;
  let i = semi + 1;
  for (;;) {
    while (i < len && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x2c)) i++;
    if (text.startsWith('from=<', i)) {
      const gt = closeAngle(text, i + 5);
      if (gt < 0) return false;
      out.sender = text.slice(i + 6, gt);
      i = gt + 1;
    } else if (text.startsWith('to=<', i)) {
      const gt = closeAngle(text, i + 3);
      if (gt < 0) return false;
      out.recipient = text.slice(i + 4, gt);
      i = gt + 1;
    } else if (text.startsWith('helo=<', i)) {
      const gt = closeAngle(text, i + 5);
      if (gt < 0) return false;
      i = gt + 1;
    } else if (text.startsWith('proto=', i)) {
      i += 6;
      while (i < len) {
        const c = text.charCodeAt(i);
        if (c === 0x20 || c === 0x2c || c === 0x3a) break;
        i++;
      }
    } else {
      break;
    }
  }
  out.end = i;
  return true;
}
