// The string-based prefix parser as it was before the parser moved to bytes (commit 6f583a1),
// kept unchanged as an oracle: prefix-oracle.test.ts checks that the byte parser reads every line
// as this one did. Not used by the program.
import type { LogRecord } from '../../src/parser/types.js';
import type { YearInference } from '../../src/parser/year.js';

export interface MalformedPrefix {
  malformed: string;
}

const SP = 0x20;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const SLASH = 0x2f;

/** The last `/` part of a syslog tag: `postfix/submission/smtpd` -> `smtpd`. */
export function daemonOf(program: string): string {
  const slash = program.lastIndexOf('/');
  return slash < 0 ? program : program.slice(slash + 1);
}

/** A short, quoted, control-character-safe view of bad input for error messages. */
export function excerpt(s: string, max = 120): string {
  return JSON.stringify(s.length > max ? s.slice(0, max) + '…' : s);
}

function bad(what: string, line: string): MalformedPrefix {
  return { malformed: `${what}: ${excerpt(line)}` };
}

function digit(line: string, i: number): number {
  const c = line.charCodeAt(i) - 0x30;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Two digits at i as a number, or -1. */
function two(line: string, i: number): number {
  const a = digit(line, i);
  const b = digit(line, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** Month abbreviation at 0..2 -> 0..11, or -1. */
function monthAt(line: string): number {
  const a = line.charCodeAt(0);
  const b = line.charCodeAt(1);
  const c = line.charCodeAt(2);
  switch (a) {
    case 0x4a: // J
      if (b === 0x61 && c === 0x6e) return 0; // Jan
      if (b === 0x75 && c === 0x6e) return 5; // Jun
      if (b === 0x75 && c === 0x6c) return 6; // Jul
      return -1;
    case 0x46: // F
      return b === 0x65 && c === 0x62 ? 1 : -1; // Feb
    case 0x4d: // M
      if (b === 0x61 && c === 0x72) return 2; // Mar
      if (b === 0x61 && c === 0x79) return 4; // May
      return -1;
    case 0x41: // A
      if (b === 0x70 && c === 0x72) return 3; // Apr
      if (b === 0x75 && c === 0x67) return 7; // Aug
      return -1;
    case 0x53: // S
      return b === 0x65 && c === 0x70 ? 8 : -1; // Sep
    case 0x4f: // O
      return b === 0x63 && c === 0x74 ? 9 : -1; // Oct
    case 0x4e: // N
      return b === 0x6f && c === 0x76 ? 10 : -1; // Nov
    case 0x44: // D
      return b === 0x65 && c === 0x63 ? 11 : -1; // Dec
    default:
      return -1;
  }
}

/** Reads an optional `.digits` at i into out: milliseconds (truncated) and the index after it. */
function fraction(line: string, i: number, out: { ms: number; end: number }): void {
  out.ms = 0;
  out.end = i;
  if (line.charCodeAt(i) !== 0x2e) return;
  let j = i + 1;
  let scale = 100;
  let ms = 0;
  for (;;) {
    const d = digit(line, j);
    if (d < 0) break;
    if (scale >= 1) ms += d * scale;
    scale /= 10;
    j++;
  }
  if (j === i + 1) return; // a lone dot is not a fraction; the caller rejects what follows
  out.ms = Math.floor(ms);
  out.end = j;
}

const frac = { ms: 0, end: 0 };

/**
 * Splits one syslog-style line into a LogRecord. Never throws; a line it cannot read yields
 * `{ malformed }` with a reason naming the broken part.
 */
export function parsePrefix(line: string, years: YearInference): LogRecord | MalformedPrefix {
  const c0 = line.charCodeAt(0);
  let time: number;
  let pos: number;

  if (c0 >= 0x30 && c0 <= 0x39) {
    // RFC 3339: 2025-11-03T12:57:23[.frac](Z|+hh:mm|+hhmm)
    const yHi = two(line, 0);
    const yLo = two(line, 2);
    const mo = two(line, 5);
    const d = two(line, 8);
    const h = two(line, 11);
    const mi = two(line, 14);
    const s = two(line, 17);
    if (
      yHi < 0 || yLo < 0 ||
      line.charCodeAt(4) !== 0x2d || line.charCodeAt(7) !== 0x2d ||
      (line.charCodeAt(10) !== 0x54 && line.charCodeAt(10) !== 0x74) ||
      line.charCodeAt(13) !== COLON || line.charCodeAt(16) !== COLON ||
      mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60
    ) {
      return bad('bad RFC 3339 timestamp', line);
    }
    fraction(line, 19, frac);
    let i = frac.end;
    const z = line.charCodeAt(i);
    let offsetMin: number;
    if (z === 0x5a || z === 0x7a) {
      offsetMin = 0;
      i += 1;
    } else if (z === 0x2b || z === 0x2d) {
      const oh = two(line, i + 1);
      let om: number;
      if (line.charCodeAt(i + 3) === COLON) {
        om = two(line, i + 4);
        i += 6;
      } else {
        om = two(line, i + 3);
        i += 5;
      }
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return bad('bad RFC 3339 timezone offset', line);
      offsetMin = (z === 0x2d ? -1 : 1) * (oh * 60 + om);
    } else {
      return bad('RFC 3339 timestamp without timezone', line);
    }
    if (line.charCodeAt(i) !== SP) return bad('no space after timestamp', line);
    time = Date.UTC(yHi * 100 + yLo, mo - 1, d, h, mi, s) + frac.ms - offsetMin * 60_000;
    pos = i + 1;
  } else {
    // RFC 3164 / journal short: `Nov  3 12:57:23 ` or `Nov 03 12:57:23 `
    const month0 = monthAt(line);
    if (month0 < 0 || line.charCodeAt(3) !== SP) return bad('no syslog timestamp', line);
    let i = 4;
    if (line.charCodeAt(i) === SP) i++;
    let day = digit(line, i);
    if (day < 0) return bad('bad day in syslog timestamp', line);
    i++;
    const d2 = digit(line, i);
    if (d2 >= 0) {
      day = day * 10 + d2;
      i++;
    }
    if (line.charCodeAt(i) !== SP || day < 1 || day > 31) return bad('bad day in syslog timestamp', line);
    i++;
    const h = two(line, i);
    const mi = two(line, i + 3);
    const s = two(line, i + 6);
    if (
      line.charCodeAt(i + 2) !== COLON || line.charCodeAt(i + 5) !== COLON ||
      h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60
    ) {
      return bad('bad time in syslog timestamp', line);
    }
    fraction(line, i + 8, frac);
    i = frac.end;
    if (line.charCodeAt(i) !== SP) return bad('no space after timestamp', line);
    time = years.resolve(month0, day, h, mi, s, frac.ms);
    pos = i + 1;
  }

  // Host: one token. indexOf is native; a per-character scan here was a measurable share of
  // the whole line's cost.
  const len = line.length;
  const hostEnd = line.indexOf(' ', pos);
  if (hostEnd <= pos) return bad('no host name after timestamp', line);
  const host = line.slice(pos, hostEnd);
  pos = hostEnd + 1;

  // Tag: `prog[pid]: ` or `prog: `.
  const tagStart = pos;
  let lastSlash = -1;
  let c = 0;
  while (pos < len) {
    c = line.charCodeAt(pos);
    if (c === LBRACKET || c === COLON || c === SP) break;
    if (c === SLASH) lastSlash = pos;
    else if (c < SP || c === 0x7f) return bad('control character in program name', line);
    pos++;
  }
  if (pos >= len || c === SP) {
    // Old syslogds write `host last message repeated N times` with no tag at all.
    if (line.startsWith('last message repeated ', tagStart)) {
      return { time, host, program: '', daemon: '', pid: null, text: line.slice(tagStart) };
    }
    return bad('no program tag', line);
  }
  if (pos === tagStart) return bad('empty program tag', line);
  const tagEnd = pos;
  let pid: number | null = null;
  if (c === LBRACKET) {
    pos++;
    let n = 0;
    const pidStart = pos;
    for (;;) {
      const d = digit(line, pos);
      if (d < 0) break;
      n = n * 10 + d;
      pos++;
    }
    if (pos === pidStart || line.charCodeAt(pos) !== RBRACKET) return bad('bad pid in program tag', line);
    pid = n;
    pos++;
    if (line.charCodeAt(pos) !== COLON) return bad('no colon after program tag', line);
  }
  pos++; // the colon
  if (pos < len) {
    if (line.charCodeAt(pos) !== SP) return bad('no space after program tag', line);
    pos++;
  }
  const program = line.slice(tagStart, tagEnd);
  const daemon = lastSlash < 0 ? program : line.slice(lastSlash + 1, tagEnd);
  return { time, host, program, daemon, pid, text: line.slice(pos) };
}
