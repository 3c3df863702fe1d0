// Builds real journal files for tests: entries are written in the journal export format and fed to
// systemd-journal-remote, which writes (or appends to) a `.journal` file that journalctl can read.
import { spawn } from 'node:child_process';

export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

/** One journal entry: field name -> value. A Buffer value is written in the export format's binary form. */
export type ExportEntry = Record<string, string | Buffer>;

/** Fields journald's export format requires a text field never to contain; anything else goes in binary form. */
function needsBinaryForm(value: string | Buffer): boolean {
  return typeof value !== 'string' || value.includes('\n');
}

/** Serialises entries in the journal export format (systemd's JOURNAL_EXPORT_FORMATS). */
export function toExportFormat(entries: ExportEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    for (const [field, value] of Object.entries(entry)) {
      if (needsBinaryForm(value)) {
        const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
        const size = Buffer.alloc(8);
        size.writeBigUInt64LE(BigInt(bytes.length));
        parts.push(Buffer.from(`${field}\n`), size, bytes, Buffer.from('\n'));
      } else {
        parts.push(Buffer.from(`${field}=${value}\n`));
      }
    }
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Writes entries into `file` (must end in `.journal`), appending when it already exists.
 * Resolves once journal-remote has exited, so the entries are on disk.
 */
export async function writeJournal(file: string, entries: ExportEntry[]): Promise<void> {
  if (!file.endsWith('.journal')) throw new Error(`journal file name must end in .journal: ${file}`);
  const child = spawn(JOURNAL_REMOTE, [`--output=${file}`, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  child.stdin.end(toExportFormat(entries));
  const code = await closed;
  const written = /writing (\d+) entries/.exec(stderr);
  if (code !== 0 || !written || Number(written[1]) !== entries.length) {
    throw new Error(`${JOURNAL_REMOTE} --output=${file} failed (exit ${code}): ${stderr.trim()}`);
  }
}

export const BOOT_ID = '0123456789abcdef0123456789abcdef';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SHORT_LINE = /^(\w{3}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) (\S+) ([^\[:]+)(?:\[(\d+)\])?: (.*)$/;

/** What a test expects the source to make of one entry (mirrors LogRecord). */
export interface ExpectedRecord {
  time: number;
  host: string;
  program: string;
  daemon: string;
  pid: number | null;
  text: string;
}

/**
 * Turns `journalctl -o short` lines (the fixture) into mail-facility journal entries, as journald
 * stores what Postfix sends through syslog(3). `seq` keeps realtime stamps strictly increasing,
 * which the fixture's one-second resolution would not.
 */
export function entriesFromShortLines(lines: string[], year: number, startSeq = 0): Array<{ entry: ExportEntry; expected: ExpectedRecord }> {
  return lines.map((line, i) => {
    const m = SHORT_LINE.exec(line);
    if (!m) throw new Error(`not a journal short line: ${line}`);
    const [, mon, day, hh, mm, ss, host, program, pid, text] = m as unknown as string[];
    const seq = startSeq + i;
    const ms = Date.UTC(year, MONTHS.indexOf(mon!), Number(day), Number(hh), Number(mm), Number(ss)) + seq;
    const entry: ExportEntry = {
      __REALTIME_TIMESTAMP: String(ms * 1000),
      __MONOTONIC_TIMESTAMP: String(1_000_000 + seq),
      _BOOT_ID: BOOT_ID,
      _HOSTNAME: host!,
      SYSLOG_FACILITY: '2',
      SYSLOG_IDENTIFIER: program!,
      MESSAGE: text!,
    };
    if (pid !== undefined) entry.SYSLOG_PID = pid;
    return {
      entry,
      expected: {
        time: ms,
        host: host!,
        program: program!,
        daemon: program!.split('/').pop()!,
        pid: pid === undefined ? null : Number(pid),
        text: text!,
      },
    };
  });
}

/** A non-mail entry (sshd on the authpriv facility) that the default filter must drop; `ms` places it in time. */
export function otherEntry(ms: number, seq: number, message = `Accepted publickey for admin from 192.0.2.${seq % 250} port 22 ssh2`): ExportEntry {
  return {
    __REALTIME_TIMESTAMP: String(ms * 1000),
    __MONOTONIC_TIMESTAMP: String(1_000_000 + seq),
    _BOOT_ID: BOOT_ID,
    _HOSTNAME: 'ip-172-31-23-99.ec2.internal',
    SYSLOG_FACILITY: '10',
    SYSLOG_IDENTIFIER: 'sshd',
    SYSLOG_PID: '4242',
    MESSAGE: message,
  };
}
