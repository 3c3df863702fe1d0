// The pure parts of the journald source: journalctl's command line, JSON entries -> LogRecord, back-off.
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  decodeField,
  journalctlArgs,
  matchArgs,
  parseEntry,
} from '../../src/sources/journald.js';

const CURSOR = 's=f3d19cf617784b42ad1c360ebd8c7cf8;i=1;b=0123456789abcdef0123456789abcdef;m=3e8;t=60a24181e4000;x=d18090de0f579642';

// Shape of a real line from `journalctl --output=json` (systemd 252), fields cut down by --output-fields.
function line(fields: Record<string, unknown>): string {
  return JSON.stringify({
    __CURSOR: CURSOR,
    __REALTIME_TIMESTAMP: '1762174643123456',
    __MONOTONIC_TIMESTAMP: '1000',
    _BOOT_ID: '0123456789abcdef0123456789abcdef',
    _HOSTNAME: 'ip-172-31-23-99.ec2.internal',
    SYSLOG_IDENTIFIER: 'postfix/submission/smtpd',
    SYSLOG_PID: '1872',
    _PID: '1872',
    MESSAGE: 'D1B9013D8FF: client=unknown[192.0.2.7], sasl_method=PLAIN, sasl_username=alice',
    ...fields,
  });
}

describe('matchArgs', () => {
  it('filters on the mail facility by default', () => {
    expect(matchArgs()).toEqual(['SYSLOG_FACILITY=2']);
    expect(matchArgs([], [])).toEqual(['SYSLOG_FACILITY=2']);
  });

  it('lists same-field matches side by side, which journalctl ORs', () => {
    expect(matchArgs(['postfix@-.service', 'postfix@out.service'])).toEqual([
      '_SYSTEMD_UNIT=postfix@-.service',
      '_SYSTEMD_UNIT=postfix@out.service',
    ]);
    expect(matchArgs([], ['postfix/smtp', 'postfix/qmgr'])).toEqual([
      'SYSLOG_IDENTIFIER=postfix/smtp',
      'SYSLOG_IDENTIFIER=postfix/qmgr',
    ]);
  });

  it('joins units and identifiers with + so either may match', () => {
    expect(matchArgs(['postfix@-.service'], ['postfix/smtp'])).toEqual([
      '_SYSTEMD_UNIT=postfix@-.service',
      '+',
      'SYSLOG_IDENTIFIER=postfix/smtp',
    ]);
  });
});

describe('journalctlArgs', () => {
  const base = [
    '--follow',
    '--lines=all',
    '--merge',
    '--output=json',
    '--all',
    '--output-fields=MESSAGE,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_COMM,_HOSTNAME',
    '--no-pager',
    '--quiet',
  ];

  it('follows the system journal from its start without a cursor', () => {
    expect(journalctlArgs({ cursor: null })).toEqual([...base, 'SYSLOG_FACILITY=2']);
  });

  it('resumes after the cursor and reads a journal-remote directory', () => {
    expect(journalctlArgs({ cursor: CURSOR, directory: '/var/log/journal/remote', units: ['postfix@-.service'] })).toEqual([
      ...base,
      `--after-cursor=${CURSOR}`,
      '--directory=/var/log/journal/remote',
      '_SYSTEMD_UNIT=postfix@-.service',
    ]);
  });

  it('makes file paths absolute, which journalctl --follow needs to watch them', () => {
    const args = journalctlArgs({ cursor: null, files: ['rel/a.journal', '/abs/b.journal'] });
    expect(args.slice(base.length)).toEqual([`--file=${process.cwd()}/rel/a.journal`, '--file=/abs/b.journal', 'SYSLOG_FACILITY=2']);
  });
});

describe('decodeField', () => {
  it('keeps strings, decodes byte arrays as UTF-8 and passes null through', () => {
    expect(decodeField('plain')).toBe('plain');
    expect(decodeField([0xe6, 0x97, 0xa5, 0x20, 0x01])).toBe('日 \u0001');
    expect(decodeField([0x62, 0xc3, 0x28])).toBe('b\ufffd(');
    expect(decodeField(null)).toBeNull();
    expect(decodeField([])).toBe('');
  });

  it('takes the first value of a field set twice', () => {
    expect(decodeField(['first', 'second'])).toBe('first');
    expect(decodeField([[0x61], 'second'])).toBe('a');
  });

  it('returns undefined for values journalctl never prints', () => {
    expect(decodeField(42)).toBeUndefined();
    expect(decodeField({})).toBeUndefined();
    expect(decodeField([-1, 300])).toBeUndefined();
  });
});

describe('parseEntry', () => {
  it('maps journal fields to a LogRecord', () => {
    expect(parseEntry(line({}))).toEqual({
      kind: 'record',
      cursor: CURSOR,
      record: {
        time: 1762174643123,
        host: 'ip-172-31-23-99.ec2.internal',
        program: 'postfix/submission/smtpd',
        daemon: 'smtpd',
        pid: 1872,
        text: 'D1B9013D8FF: client=unknown[192.0.2.7], sasl_method=PLAIN, sasl_username=alice',
      },
    });
  });

  it('falls back to _PID, then to no pid', () => {
    const withPid = parseEntry(line({ SYSLOG_PID: undefined, _PID: '99' }));
    expect(withPid.kind === 'record' && withPid.record.pid).toBe(99);
    const without = parseEntry(line({ SYSLOG_PID: undefined, _PID: undefined }));
    expect(without.kind === 'record' && without.record.pid).toBeNull();
  });

  it('uses _COMM when there is no syslog identifier', () => {
    const r = parseEntry(line({ SYSLOG_IDENTIFIER: undefined, _COMM: 'smtpd' }));
    expect(r.kind === 'record' && [r.record.program, r.record.daemon]).toEqual(['smtpd', 'smtpd']);
  });

  it('decodes a byte-array MESSAGE', () => {
    const r = parseEntry(line({ MESSAGE: [...Buffer.from('to=<a'), 0xff, ...Buffer.from('@example.com>')] }));
    expect(r.kind === 'record' && r.record.text).toBe('to=<a\ufffd@example.com>');
  });

  it('skips a null MESSAGE but keeps its cursor', () => {
    expect(parseEntry(line({ MESSAGE: null }))).toEqual({ kind: 'null-message', cursor: CURSOR });
  });

  it('names what is wrong with a bad line', () => {
    expect(parseEntry('Failed to get journal fd')).toEqual({
      kind: 'malformed',
      cursor: null,
      problem: { code: 'journal-bad-json', message: 'journalctl printed a line that is not JSON: Failed to get journal fd' },
    });
    expect(parseEntry('[1,2]')).toEqual({
      kind: 'malformed',
      cursor: null,
      problem: { code: 'journal-bad-json', message: 'journalctl printed JSON that is not an object: [1,2]' },
    });
    expect(parseEntry('{"MESSAGE":"x"}')).toEqual({
      kind: 'malformed',
      cursor: null,
      problem: { code: 'journal-missing-field', message: 'journal entry lacks __CURSOR: {"MESSAGE":"x"}' },
    });
    expect(parseEntry(line({ __REALTIME_TIMESTAMP: 'soon' }))).toEqual({
      kind: 'malformed',
      cursor: CURSOR,
      problem: { code: 'journal-missing-field', message: `journal entry ${CURSOR} lacks a numeric __REALTIME_TIMESTAMP ("soon")` },
    });
    expect(parseEntry(line({ MESSAGE: undefined }))).toEqual({
      kind: 'malformed',
      cursor: CURSOR,
      problem: { code: 'journal-missing-field', message: `journal entry ${CURSOR} lacks MESSAGE` },
    });
    expect(parseEntry(line({ MESSAGE: 7 }))).toEqual({
      kind: 'malformed',
      cursor: CURSOR,
      problem: { code: 'journal-bad-field', message: `journal entry ${CURSOR} has an unreadable MESSAGE: 7` },
    });
    expect(parseEntry(line({ SYSLOG_IDENTIFIER: undefined }))).toEqual({
      kind: 'malformed',
      cursor: CURSOR,
      problem: { code: 'journal-missing-field', message: `journal entry ${CURSOR} lacks SYSLOG_IDENTIFIER and _COMM` },
    });
    expect(parseEntry(line({ _HOSTNAME: undefined }))).toEqual({
      kind: 'malformed',
      cursor: CURSOR,
      problem: { code: 'journal-missing-field', message: `journal entry ${CURSOR} lacks _HOSTNAME` },
    });
  });
});

describe('backoffDelay', () => {
  it('doubles per failure up to the cap', () => {
    const b = { initialMs: 500, maxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => backoffDelay(n, b))).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });
});
