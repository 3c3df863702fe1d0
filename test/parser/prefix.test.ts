import { describe, expect, it } from 'vitest';
import { daemonOf, parsePrefix } from '../../src/parser/prefix.js';
import { YearInference } from '../../src/parser/year.js';

const local = (y: number, m0: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number =>
  new Date(y, m0, d, h, mi, s, ms).getTime();
const years = () => new YearInference({ now: () => local(2025, 10, 10) });

describe('parsePrefix', () => {
  it('reads an RFC 3164 line (space-padded day)', () => {
    expect(parsePrefix('Nov  3 12:57:23 mx1 postfix/smtpd[1234]: connect from unknown[192.0.2.1]', years())).toEqual({
      time: local(2025, 10, 3, 12, 57, 23),
      host: 'mx1',
      program: 'postfix/smtpd',
      daemon: 'smtpd',
      pid: 1234,
      text: 'connect from unknown[192.0.2.1]',
    });
  });

  it('reads a journalctl short / maillog_file line (zero-padded day)', () => {
    const line = 'Nov 03 12:57:23 ip-172-31-23-99.ec2.internal postfix/qmgr[1518]: D1B9013D8FF: removed';
    expect(parsePrefix(line, years())).toEqual({
      time: local(2025, 10, 3, 12, 57, 23),
      host: 'ip-172-31-23-99.ec2.internal',
      program: 'postfix/qmgr',
      daemon: 'qmgr',
      pid: 1518,
      text: 'D1B9013D8FF: removed',
    });
  });

  it('reads two-digit days and a single space', () => {
    const r = parsePrefix('Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: x', years());
    expect(r).toMatchObject({ time: local(2024, 11, 19, 19, 42, 14), program: 'postfix/submission/smtpd', daemon: 'smtpd' });
  });

  it('reads RFC 3339 stamps with fraction and offset', () => {
    const r = parsePrefix('2022-01-08T19:42:12.572958+00:00 mail postfix/submission/smtpd[19191]: connect from client.example.com[1.2.3.4]', years());
    expect(r).toEqual({
      time: Date.UTC(2022, 0, 8, 19, 42, 12, 572),
      host: 'mail',
      program: 'postfix/submission/smtpd',
      daemon: 'smtpd',
      pid: 19191,
      text: 'connect from client.example.com[1.2.3.4]',
    });
  });

  it.each([
    ['2025-11-03T12:57:23Z h postfix/qmgr[1]: x', Date.UTC(2025, 10, 3, 12, 57, 23)],
    ['2025-11-03T12:57:23.5Z h postfix/qmgr[1]: x', Date.UTC(2025, 10, 3, 12, 57, 23, 500)],
    ['2025-11-03T12:57:23+09:00 h postfix/qmgr[1]: x', Date.UTC(2025, 10, 3, 3, 57, 23)],
    ['2025-11-03T12:57:23.123-05:30 h postfix/qmgr[1]: x', Date.UTC(2025, 10, 3, 18, 27, 23, 123)],
    // journalctl -o short-iso writes the offset without a colon
    ['2025-11-03T12:57:23+0000 h postfix/qmgr[1]: x', Date.UTC(2025, 10, 3, 12, 57, 23)],
  ])('RFC 3339 variant %s', (line, time) => {
    expect(parsePrefix(line, years())).toMatchObject({ time, host: 'h', program: 'postfix/qmgr', pid: 1, text: 'x' });
  });

  it('accepts a tag without [pid]', () => {
    expect(parsePrefix('Jan 10 16:15:30 mail dovecot: lmtp(11997): Connect from local', years())).toEqual({
      time: local(2025, 0, 10, 16, 15, 30),
      host: 'mail',
      program: 'dovecot',
      daemon: 'dovecot',
      pid: null,
      text: 'lmtp(11997): Connect from local',
    });
  });

  it('takes the daemon from the last part of multi-part tags', () => {
    expect(daemonOf('postfix/submission/smtpd')).toBe('smtpd');
    expect(daemonOf('postfix-out/smtp')).toBe('smtp');
    expect(daemonOf('postfix-239.58.50.50/qmgr')).toBe('qmgr');
    expect(daemonOf('amavis')).toBe('amavis');
    const r = parsePrefix('Jan 10 16:15:30 mail postfix/sender-cleanup/cleanup[11989]: x', years());
    expect(r).toMatchObject({ program: 'postfix/sender-cleanup/cleanup', daemon: 'cleanup', pid: 11989 });
  });

  it('keeps an empty message', () => {
    expect(parsePrefix('Nov  3 12:57:23 mx1 postfix/smtpd[1]:', years())).toMatchObject({ text: '' });
  });

  it('lets an old syslogd "last message repeated" line through with no program', () => {
    expect(parsePrefix('Nov  3 12:57:23 mx1 last message repeated 3 times', years())).toEqual({
      time: local(2025, 10, 3, 12, 57, 23), host: 'mx1', program: '', daemon: '', pid: null, text: 'last message repeated 3 times',
    });
  });

  it.each([
    ['', 'no syslog timestamp'],
    ['hello world', 'no syslog timestamp'],
    ['ec  7 13:28:02 mail postfix/smtp[18834]: x', 'no syslog timestamp'], // Lightmeter 8_weird_log_file.log
    ['Foo  3 12:57:23 mx1 postfix/smtpd[1]: x', 'no syslog timestamp'],
    ['Nov 32 12:57:23 mx1 postfix/smtpd[1]: x', 'bad day in syslog timestamp'],
    ['Nov  3 25:57:23 mx1 postfix/smtpd[1]: x', 'bad time in syslog timestamp'],
    ['Nov  3 12:5', 'bad time in syslog timestamp'],
    ['Nov  3 12:57:23', 'no space after timestamp'],
    ['Nov  3 12:57:23 ', 'no host name after timestamp'],
    ['Nov  3 12:57:23 mx1', 'no host name after timestamp'],
    ['Nov  3 12:57:23 mx1 postfix/smtpd[12a]: x', 'bad pid in program tag'],
    ['Nov  3 12:57:23 mx1 postfix/smtpd[12] x', 'no colon after program tag'],
    ['Nov  3 12:57:23 mx1 postfix/smtpd:x', 'no space after program tag'],
    ['Nov  3 12:57:23 mx1 no tag on this line', 'no program tag'],
    ['Nov  3 12:57:23 mx1 : x', 'empty program tag'],
    ['Nov  3 12:57:23 mx1 post\u0001fix/smtpd[1]: x', 'control character in program name'],
    ['2025-13-03T12:57:23Z h p[1]: x', 'bad RFC 3339 timestamp'],
    ['2025-11-03 12:57:23Z h p[1]: x', 'bad RFC 3339 timestamp'],
    ['2025-11-03T12:57:23 h p[1]: x', 'RFC 3339 timestamp without timezone'],
    ['2025-11-03T12:57:23+2x:00 h p[1]: x', 'bad RFC 3339 timezone offset'],
    ['2025-11-03T12:57:23Zh p[1]: x', 'no space after timestamp'],
  ])('rejects %j', (line, why) => {
    const r = parsePrefix(line, years());
    expect(r).toEqual({ malformed: `${why}: ${JSON.stringify(line)}` });
  });
});
