// One log line (or journald record) -> ParseResult. Dispatches on the daemon name, then on
// the first words after the queue id, so most lines cost a few charCodeAt/startsWith calls.
import type { LogRecord, ParseResult, PostfixEvent } from './types.js';
import type { YearInference } from './year.js';
import { daemonOf, emptyRecord, excerpt, scanPrefix } from './prefix.js';
import { decode } from '../utf8.js';
import { isQueueIdAt } from './postfix/fields.js';
import type { DaemonResult } from './postfix/fields.js';
import { parsePostscreen, parseSmtpd } from './postfix/smtpd.js';
import { parsePickup } from './postfix/pickup.js';
import { parseCleanup } from './postfix/cleanup.js';
import { parsePostsuper, parseQmgr } from './postfix/qmgr.js';
import { parseDeliveryAgent } from './postfix/delivery.js';
import { parseBounce } from './postfix/bounce.js';

export { YearInference } from './year.js';
export { parsePrefix, daemonOf } from './prefix.js';

/** `text` is the message after the tag, `pos` the index just after `QID: ` (or `NOQUEUE: `). */
type DaemonParser = (text: string, pos: number, queueId: string | null, daemon: string) => DaemonResult<PostfixEvent>;

const ignore: DaemonParser = () => null;

// Postfix daemons by the last part of their syslog tag. Those mapped to `ignore` log nothing
// about individual messages that the index needs.
const DAEMONS = new Map<string, DaemonParser>([
  ['smtpd', parseSmtpd],
  ['qmqpd', parseSmtpd],
  ['postscreen', parsePostscreen],
  ['pickup', parsePickup],
  ['cleanup', parseCleanup],
  ['qmgr', parseQmgr],
  ['nqmgr', parseQmgr],
  ['oqmgr', parseQmgr],
  ['postsuper', parsePostsuper],
  ['smtp', parseDeliveryAgent],
  ['lmtp', parseDeliveryAgent],
  ['local', parseDeliveryAgent],
  ['virtual', parseDeliveryAgent],
  ['pipe', parseDeliveryAgent],
  ['error', parseDeliveryAgent],
  ['retry', parseDeliveryAgent],
  ['discard', parseDeliveryAgent],
  ['bounce', parseBounce],
  ['defer', parseBounce],
  ['trace', parseBounce],
  ...['master', 'anvil', 'scache', 'tlsmgr', 'tlsproxy', 'dnsblog', 'verify', 'proxymap', 'trivial-rewrite',
    'flush', 'showq', 'postdrop', 'sendmail', 'postqueue', 'postlog', 'postlogd', 'postmap', 'postalias',
    'postfix-script', 'postfix', 'spawn', 'postmulti', 'postconf', 'smtp-sink', 'smtp-source']
    .map((d): [string, DaemonParser] => [d, ignore]),
]);

function malformed(reason: string): ParseResult {
  return { type: 'malformed', reason };
}

/** Interprets a record that is already split (journald entries, or after parsePrefix). */
export function parseRecord(record: LogRecord): ParseResult {
  // journald may hand over binary fields; a NUL is refused here as in a log line.
  for (const field of [record.text, record.host, record.program]) {
    if (field.indexOf('\0') >= 0) return nulByte(field);
  }
  const daemon = record.daemon || daemonOf(record.program);
  const parser = parserFor(record.program, daemon);
  return parser === null ? { type: 'ignored', record } : interpret(record, parser, daemon);
}

/** The parser for lines of this syslog tag, or null for one that is not a Postfix daemon we read. */
function parserFor(program: string, daemon: string): DaemonParser | null {
  const parser = DAEMONS.get(daemon);
  return parser === undefined || parser === ignore || program.indexOf('/') < 0 ? null : parser;
}

function nulByte(line: string): ParseResult {
  return malformed(`NUL byte at offset ${line.indexOf('\0')}: ${excerpt(line)}`);
}

/** The part of parseRecord after the daemon is known to be one we read. */
function interpret(record: LogRecord, parser: DaemonParser, daemon: string): ParseResult {
  const text = record.text;
  // `QID: ` or `NOQUEUE: `; everything else (connect from, warning:, TLS chatter) is not ours.
  const idEnd = text.indexOf(':');
  if (idEnd < 6 || idEnd > 32 || text.charCodeAt(idEnd + 1) !== 0x20) return { type: 'ignored', record };
  let queueId: string | null;
  if (idEnd === 7 && text.startsWith('NOQUEUE')) {
    queueId = null;
  } else if (isQueueIdAt(text, 0, idEnd)) {
    queueId = text.slice(0, idEnd);
  } else {
    return { type: 'ignored', record };
  }
  let result: DaemonResult<PostfixEvent>;
  try {
    result = parser(text, idEnd + 2, queueId, daemon);
  } catch (err) {
    // The scanners are written not to throw; this keeps one bad line from stopping ingestion
    // if one ever does.
    return malformed(`${record.program}: parser error (${(err as Error).message}): ${excerpt(text)}`);
  }
  if (result === null) return { type: 'ignored', record };
  if (typeof result === 'string') return malformed(`${record.program}: ${result}: ${excerpt(text)}`);
  return { type: 'event', record, event: result };
}

const IGNORED_NO_RECORD: ParseResult = Object.freeze({ type: 'ignored', record: null }) as ParseResult;
const CR = 0x0d;
const SP = 0x20;
const COLON = 0x3a;
const DASH = 0x2d;

/**
 * True when text at buf[start, end) could start with `QID: ` or `NOQUEUE: `, judged from the
 * bytes: the test `interpret` makes on the decoded text, so a line that fails it (most of what
 * smtpd logs) is never decoded. Undecided (non-ASCII before the colon) counts as maybe.
 */
function mayHaveQueueId(buf: Buffer, start: number, end: number): boolean {
  const stop = Math.min(end, start + 33);
  for (let i = start; i < stop; i++) {
    const c = buf[i]!;
    if (c === COLON) return i - start >= 6 && i + 1 < end && buf[i + 1] === SP;
    if (c >= 0x80) return true;
  }
  return false;
}

/**
 * Parses the line buf[start, end) (no newline). `nulAt` is the index of the first NUL byte at or
 * after `start`, or anything >= end when the line has none. `keep` decodes the text of ignored
 * lines too, for callers that look at them.
 */
function parseBytes(buf: Buffer, start: number, end: number, nulAt: number, years: YearInference, rec: LogRecord, keep: boolean): ParseResult {
  if (end > start && buf[end - 1] === CR) end--;
  if (end === start) return IGNORED_NO_RECORD;
  if (nulAt < end) return nulByte(decode(buf, start, end));
  // journalctl's own markers (`-- Boot 1a2b... --`, `-- No entries --`) are not log entries.
  if (buf[start] === DASH && end - start >= 3 && buf[start + 1] === DASH && buf[start + 2] === SP) return IGNORED_NO_RECORD;
  const textStart = scanPrefix(buf, start, end, years, rec);
  if (typeof textStart !== 'number') return malformed(textStart.malformed);
  const parser = parserFor(rec.program, rec.daemon);
  const ours = parser !== null && mayHaveQueueId(buf, textStart, end);
  if (!ours && !keep) return IGNORED_NO_RECORD;
  rec.text = decode(buf, textStart, end);
  return ours ? interpret(rec, parser, rec.daemon) : { type: 'ignored', record: rec };
}

/**
 * Parses one raw log line (no trailing newline). Never throws. The line is read as its UTF-8 bytes,
 * so a lone surrogate (which no decoded file holds) reads as U+FFFD.
 */
export function parseLine(line: string, years: YearInference): ParseResult {
  const buf = Buffer.from(line, 'utf8');
  const nul = buf.indexOf(0);
  return parseBytes(buf, 0, buf.length, nul < 0 ? buf.length : nul, years, emptyRecord(), true);
}

/**
 * Parses lines straight from the buffers a file is read into, which spares decoding the lines it
 * has no use for. For one reader at a time: the record of a result is reused by the next call,
 * and an ignored line's result carries no record.
 */
export class LineParser {
  private readonly record = emptyRecord();

  constructor(readonly years: YearInference) {}

  /** The line buf[start, end), without its newline; `nulAt` as for parseBytes. */
  parse(buf: Buffer, start: number, end: number, nulAt: number): ParseResult {
    return parseBytes(buf, start, end, nulAt, this.years, this.record, false);
  }
}
