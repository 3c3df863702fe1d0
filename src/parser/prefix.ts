// Syslog-style line prefixes -> LogRecord. Works on the line's bytes, not a decoded string: `ingest`
// reads a file as large buffers, and most lines (connects, TLS chatter, other programs) are decided
// from the prefix alone, so they are never decoded. Host and program names repeat on every line and
// are reused, not decoded again.
//
// Accepted stamps:
//   RFC 3164            `Nov  3 12:57:23 host prog[pid]: text`
//   journal short / Postfix maillog_file   `Nov 03 12:57:23 host prog[pid]: text`
//   RFC 3339 (rsyslog)  `2025-11-03T12:57:23.123456+00:00 host prog[pid]: text` (also `Z`,
//                       no fraction, and journalctl's `+0000`)
import type { LogRecord } from './types.js';
import type { YearInference } from './year.js';
import { decode } from '../utf8.js';

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

function bad(what: string, buf: Buffer, start: number, end: number): MalformedPrefix {
  return { malformed: `${what}: ${excerpt(decode(buf, start, end))}` };
}

function digit(buf: Buffer, i: number, end: number): number {
  if (i >= end) return -1;
  const c = buf[i]! - 0x30;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Two digits at i as a number, or -1. */
function two(buf: Buffer, i: number, end: number): number {
  const a = digit(buf, i, end);
  const b = digit(buf, i + 1, end);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** The byte at i, or -1 past the end. */
function at(buf: Buffer, i: number, end: number): number {
  return i < end ? buf[i]! : -1;
}

/** Month abbreviation at i..i+2 -> 0..11, or -1. */
function monthAt(buf: Buffer, i: number, end: number): number {
  if (i + 3 > end) return -1;
  const a = buf[i];
  const b = buf[i + 1];
  const c = buf[i + 2];
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
function fraction(buf: Buffer, i: number, end: number, out: { ms: number; end: number }): void {
  out.ms = 0;
  out.end = i;
  if (at(buf, i, end) !== 0x2e) return;
  let j = i + 1;
  let scale = 100;
  let ms = 0;
  for (;;) {
    const d = digit(buf, j, end);
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

/** What a stamp reader leaves: the time, or the reason it could not read the stamp. */
const stamp = { time: 0, error: '' };

/** RFC 3339 stamp at start: `2025-11-03T12:57:23[.frac](Z|+hh:mm|+hhmm) `. Index after the space, or -1 (see stamp.error). */
function rfc3339Stamp(buf: Buffer, s0: number, end: number): number {
  const yHi = two(buf, s0, end);
  const yLo = two(buf, s0 + 2, end);
  const mo = two(buf, s0 + 5, end);
  const d = two(buf, s0 + 8, end);
  const h = two(buf, s0 + 11, end);
  const mi = two(buf, s0 + 14, end);
  const s = two(buf, s0 + 17, end);
  const t = at(buf, s0 + 10, end);
  if (
    yHi < 0 || yLo < 0 ||
    at(buf, s0 + 4, end) !== 0x2d || at(buf, s0 + 7, end) !== 0x2d ||
    (t !== 0x54 && t !== 0x74) ||
    at(buf, s0 + 13, end) !== COLON || at(buf, s0 + 16, end) !== COLON ||
    mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60
  ) {
    return fail('bad RFC 3339 timestamp');
  }
  fraction(buf, s0 + 19, end, frac);
  let i = frac.end;
  const z = at(buf, i, end);
  let offsetMin: number;
  if (z === 0x5a || z === 0x7a) {
    offsetMin = 0;
    i += 1;
  } else if (z === 0x2b || z === 0x2d) {
    const oh = two(buf, i + 1, end);
    let om: number;
    if (at(buf, i + 3, end) === COLON) {
      om = two(buf, i + 4, end);
      i += 6;
    } else {
      om = two(buf, i + 3, end);
      i += 5;
    }
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return fail('bad RFC 3339 timezone offset');
    offsetMin = (z === 0x2d ? -1 : 1) * (oh * 60 + om);
  } else {
    return fail('RFC 3339 timestamp without timezone');
  }
  if (at(buf, i, end) !== SP) return fail('no space after timestamp');
  stamp.time = Date.UTC(yHi * 100 + yLo, mo - 1, d, h, mi, s) + frac.ms - offsetMin * 60_000;
  return i + 1;
}

/** RFC 3164 / journal short stamp at start: `Nov  3 12:57:23 ` or `Nov 03 12:57:23 `. Index after the space, or -1. */
function syslogStamp(buf: Buffer, start: number, end: number, years: YearInference): number {
  const month0 = monthAt(buf, start, end);
  if (month0 < 0 || at(buf, start + 3, end) !== SP) return fail('no syslog timestamp');
  let i = start + 4;
  if (at(buf, i, end) === SP) i++;
  let day = digit(buf, i, end);
  if (day < 0) return fail('bad day in syslog timestamp');
  i++;
  const d2 = digit(buf, i, end);
  if (d2 >= 0) {
    day = day * 10 + d2;
    i++;
  }
  if (at(buf, i, end) !== SP || day < 1 || day > 31) return fail('bad day in syslog timestamp');
  i++;
  const h = two(buf, i, end);
  const mi = two(buf, i + 3, end);
  const s = two(buf, i + 6, end);
  if (at(buf, i + 2, end) !== COLON || at(buf, i + 5, end) !== COLON || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) {
    return fail('bad time in syslog timestamp');
  }
  fraction(buf, i + 8, end, frac);
  i = frac.end;
  if (at(buf, i, end) !== SP) return fail('no space after timestamp');
  stamp.time = years.resolve(month0, day, h, mi, s, frac.ms);
  return i + 1;
}

function fail(reason: string): number {
  stamp.error = reason;
  return -1;
}

/** A name seen before, with its bytes to tell it apart from another of the same hash. */
interface Known {
  bytes: Buffer;
  name: string;
  /** For a tag, its last `/` part. */
  daemon: string;
}

// Host and program names repeat on nearly every line: decode each once. Bounded, so a log with
// endless distinct tags costs a decode per line, never memory.
const MAX_KNOWN = 512;
const knownTags = new Map<number, Known>();
const knownHosts = new Map<number, Known>();
/** Nearly every line names the host of the line before: checked first, without hashing. */
let lastHost: Known = { bytes: Buffer.alloc(0), name: '', daemon: '' };

function sameBytes(k: Buffer, buf: Buffer, start: number, end: number): boolean {
  if (k.length !== end - start) return false;
  for (let i = 0; i < k.length; i++) if (k[i] !== buf[start + i]) return false;
  return true;
}

/** True when the first n bytes of k are buf[start, start + n). */
function samePrefix(k: Buffer, n: number, buf: Buffer, start: number): boolean {
  for (let i = 0; i < n; i++) if (k[i] !== buf[start + i]) return false;
  return true;
}

function remember(map: Map<number, Known>, hash: number, buf: Buffer, start: number, end: number, name: string, daemon: string): Known {
  const k = { bytes: Buffer.from(buf.subarray(start, end)), name, daemon };
  if (map.size < MAX_KNOWN && !map.has(hash)) map.set(hash, k);
  return k;
}

/**
 * Reads the prefix of the line buf[start, end) into `out` (all of LogRecord but `text`) and returns
 * where the text starts (at most `end`). Never throws; a line it cannot read yields `{ malformed }`
 * with a reason naming the broken part.
 */
export function scanPrefix(buf: Buffer, start: number, end: number, years: YearInference, out: LogRecord): number | MalformedPrefix {
  const last = years.lastStamp;
  let pos: number;
  let time: number;
  if (last.len > 0 && end - start > last.len && samePrefix(last.bytes, last.len, buf, start)) {
    pos = start + last.len;
    time = last.time;
  } else {
    const c0 = at(buf, start, end);
    pos = c0 >= 0x30 && c0 <= 0x39 ? rfc3339Stamp(buf, start, end) : syslogStamp(buf, start, end, years);
    if (pos < 0) return bad(stamp.error, buf, start, end);
    time = stamp.time;
    if (pos - start <= last.bytes.length) {
      buf.copy(last.bytes, 0, start, pos);
      last.len = pos - start;
      last.time = time;
    }
  }

  // Host: one token.
  const hostStart = pos;
  let host: string;
  const lastLen = lastHost.bytes.length;
  if (lastLen > 0 && hostStart + lastLen < end && buf[hostStart + lastLen] === SP && sameBytes(lastHost.bytes, buf, hostStart, hostStart + lastLen)) {
    host = lastHost.name;
    pos = hostStart + lastLen;
  } else {
    let hash = 0x811c9dc5 | 0;
    while (pos < end && buf[pos] !== SP) hash = Math.imul(hash ^ buf[pos++]!, 0x01000193);
    if (pos >= end || pos === hostStart) return bad('no host name after timestamp', buf, start, end);
    const k = knownHosts.get(hash);
    if (k !== undefined && sameBytes(k.bytes, buf, hostStart, pos)) {
      lastHost = k;
    } else {
      const name = decode(buf, hostStart, pos);
      lastHost = remember(knownHosts, hash, buf, hostStart, pos, name, name);
    }
    host = lastHost.name;
  }
  pos++;

  // Tag: `prog[pid]: ` or `prog: `.
  const tagStart = pos;
  let lastSlash = -1;
  let c = 0;
  let hash = 0x811c9dc5 | 0;
  while (pos < end) {
    c = buf[pos]!;
    if (c === LBRACKET || c === COLON || c === SP) break;
    if (c === SLASH) lastSlash = pos;
    else if (c < SP || c === 0x7f) return bad('control character in program name', buf, start, end);
    hash = Math.imul(hash ^ c, 0x01000193);
    pos++;
  }
  if (pos >= end || c === SP) {
    // Old syslogds write `host last message repeated N times` with no tag at all.
    if (startsWith(buf, tagStart, end, LAST_MESSAGE_REPEATED)) {
      setRecord(out, time, host, '', '', null);
      return tagStart;
    }
    return bad('no program tag', buf, start, end);
  }
  if (pos === tagStart) return bad('empty program tag', buf, start, end);
  const tagEnd = pos;
  let pid: number | null = null;
  if (c === LBRACKET) {
    pos++;
    let n = 0;
    const pidStart = pos;
    for (;;) {
      const d = digit(buf, pos, end);
      if (d < 0) break;
      n = n * 10 + d;
      pos++;
    }
    if (pos === pidStart || at(buf, pos, end) !== RBRACKET) return bad('bad pid in program tag', buf, start, end);
    pid = n;
    pos++;
    if (at(buf, pos, end) !== COLON) return bad('no colon after program tag', buf, start, end);
  }
  pos++; // the colon
  if (pos < end) {
    if (buf[pos] !== SP) return bad('no space after program tag', buf, start, end);
    pos++;
  }
  let k = knownTags.get(hash);
  if (k === undefined || !sameBytes(k.bytes, buf, tagStart, tagEnd)) {
    const program = decode(buf, tagStart, tagEnd);
    k = remember(knownTags, hash, buf, tagStart, tagEnd, program, lastSlash < 0 ? program : decode(buf, lastSlash + 1, tagEnd));
  }
  setRecord(out, time, host, k.name, k.daemon, pid);
  return pos;
}

const LAST_MESSAGE_REPEATED = Buffer.from('last message repeated ');

function startsWith(buf: Buffer, i: number, end: number, what: Buffer): boolean {
  return end - i >= what.length && sameBytes(what, buf, i, i + what.length);
}

function setRecord(out: LogRecord, time: number, host: string, program: string, daemon: string, pid: number | null): void {
  out.time = time;
  out.host = host;
  out.program = program;
  out.daemon = daemon;
  out.pid = pid;
}

/** A fresh record to fill. */
export function emptyRecord(): LogRecord {
  return { time: 0, host: '', program: '', daemon: '', pid: null, text: '' };
}

/**
 * Splits one syslog-style line into a LogRecord. Never throws; a line it cannot read yields
 * `{ malformed }` with a reason naming the broken part.
 */
export function parsePrefix(line: string, years: YearInference): LogRecord | MalformedPrefix {
  const buf = Buffer.from(line, 'utf8');
  const rec = emptyRecord();
  const textStart = scanPrefix(buf, 0, buf.length, years, rec);
  if (typeof textStart !== 'number') return textStart;
  rec.text = decode(buf, textStart, buf.length);
  return rec;
}
