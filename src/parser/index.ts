// One log line (or journald record) -> ParseResult. Dispatches on the daemon name, then on
// the first words after the queue id, so most lines cost a few charCodeAt/startsWith calls.
import type { LogRecord, ParseResult, PostfixEvent } from './types.js';
import type { YearInference } from './year.js';
import { daemonOf, excerpt, parsePrefix } from './prefix.js';
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

/** True for a record written by a Postfix daemon (tag `something/daemon`, daemon known). */
export function isPostfixRecord(record: LogRecord): boolean {
  return record.program.indexOf('/') >= 0 && DAEMONS.has(record.daemon || daemonOf(record.program));
}

function malformed(reason: string): ParseResult {
  return { type: 'malformed', reason };
}

/** Interprets a record that is already split (journald entries, or after parsePrefix). */
export function parseRecord(record: LogRecord): ParseResult {
  const daemon = record.daemon || daemonOf(record.program);
  const parser = DAEMONS.get(daemon);
  if (parser === undefined || parser === ignore || record.program.indexOf('/') < 0) return { type: 'ignored', record };
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

/** Parses one raw log line (no trailing newline). Never throws. */
export function parseLine(line: string, years: YearInference): ParseResult {
  let len = line.length;
  if (len > 0 && line.charCodeAt(len - 1) === 0x0d) {
    line = line.slice(0, len - 1);
    len--;
  }
  if (len === 0) return IGNORED_NO_RECORD;
  const nul = line.indexOf('\0');
  if (nul >= 0) return malformed(`NUL byte at offset ${nul}: ${excerpt(line)}`);
  // journalctl's own markers (`-- Boot 1a2b... --`, `-- No entries --`) are not log entries.
  if (line.startsWith('-- ')) return IGNORED_NO_RECORD;
  const rec = parsePrefix(line, years);
  if ('malformed' in rec) return malformed(rec.malformed);
  return parseRecord(rec);
}
