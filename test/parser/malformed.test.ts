// Bad input: every line gets a result, nothing throws, nothing hangs, and the reason names the
// broken part.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLine, parseRecord } from '../../src/parser/index.js';
import { YearInference } from '../../src/parser/year.js';
import type { ParseResult } from '../../src/parser/types.js';
import { Rng } from '../../src/bench/generate.js';

const years = () => new YearInference({ now: () => new Date(2025, 10, 10).getTime() });
const parse = (line: string): ParseResult => parseLine(line, years());
const PREFIX = 'Nov  3 12:57:23 mx ';
const at = (tag: string, text: string) => `${PREFIX}${tag}[4242]: ${text}`;
const q = (s: string) => JSON.stringify(s);

describe('malformed Postfix lines name what is broken', () => {
  it.each([
    ['postfix/smtp', 'D1B9013D8FF: to=<foo@exam', 'to=<... is not closed'],
    ['postfix/smtp', 'D1B9013D8FF: to=<a@b>, relay=x[192.0.2.1]:25, delay=0.2', 'delivery line without status='],
    ['postfix/smtp', 'D1B9013D8FF: to=<a@b>, relay=x, delay=abc, dsn=2.0.0, status=sent (ok)', 'delay= is not a number'],
    ['postfix/smtp', 'D1B9013D8FF: to=<a@b>, relay=x, delay=1, dsn=2.0, status=sent (ok)', 'dsn= is not a status code like 5.1.1'],
    ['postfix/smtp', 'D1B9013D8FF: to=<a@b>, relay=x, delay=1, dsn=2.0.0, status= (ok)', 'status= without a status word'],
    ['postfix/local', 'D1B9013D8FF: to=<a@b>, orig_to=<c@d, relay=local, status=sent (ok)', 'orig_to=<... is not closed'],
    ['postfix/smtpd', 'D1B9013D8FF: client=mail.example', 'client= without host[address]'],
    ['postfix/smtpd', 'D1B9013D8FF: client=a[192.0.2.1], orig_queue_id=X, orig_client=b.example', 'orig_client= without host[address]'],
    ['postfix/smtpd', 'NOQUEUE: reject: RCPT from garbage: 554 5.7.1 denied; from=<a@b> to=<c@d>', 'reject: no host[address] after "RCPT from"'],
    ['postfix/smtpd', 'NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 denied; from=<a@b', 'reject: unterminated <address> in from=/to='],
    ['postfix/smtpd', 'NOQUEUE: reject: RCPT from unknown[192.0.2.1] 554', 'reject: no ": " after the client'],
    ['postfix/smtpd', 'NOQUEUE: reject: ', 'reject: no SMTP command'],
    ['postfix/cleanup', '5A6B7C8D9E: reject: header Subject: spam', 'reject: no "; from=<...>" after the message content'],
    ['postfix/cleanup', '5A6B7C8D9E: reject: header Subject: x;from local; from=<a@b>', 'reject: no "from" origin before the trailer'],
    ['postfix/pickup', 'D1B9013D8FF: uid=abc from=<x>', 'uid= is not a number'],
    ['postfix/pickup', 'D1B9013D8FF: uid=1000', 'no from=<...> after uid='],
    ['postfix/pickup', 'D1B9013D8FF: uid=1000 from=<x', 'from=<... is not closed'],
    ['postfix/pickup', 'D1B9013D8FF: uid=0 from=<x> orig_id=../../etc', 'orig_id= is not a queue id'],
    ['postfix/qmgr', 'D1B9013D8FF: from=<a@b>, size=12x, nrcpt=1 (queue active)', 'size= is not a number'],
    ['postfix/qmgr', 'D1B9013D8FF: from=<a@b>, size=12, nrcpt= (queue active)', 'nrcpt= is not a number'],
    ['postfix/qmgr', 'D1B9013D8FF: from=<a@b', 'from=<... is not closed'],
    ['postfix/bounce', '6375913D8DD: sender non-delivery notification: ', 'notification: is not followed by a queue id'],
    ['postfix/bounce', '6375913D8DD: sender non-delivery notification: 8606813DBB1 extra', 'notification: is not followed by a queue id'],
  ])('%s %s', (tag, text, what) => {
    expect(parse(at(tag, text))).toEqual({ type: 'malformed', reason: `${tag}: ${what}: ${q(text)}` });
  });
});

describe('unreadable lines', () => {
  it('rejects NUL bytes, naming the offset', () => {
    const line = at('postfix/qmgr', 'D1B9013D8FF: re\0moved');
    expect(parse(line)).toEqual({ type: 'malformed', reason: `NUL byte at offset ${line.indexOf('\0')}: ${q(line)}` });
  });

  it('rejects binary junk', () => {
    const junk = '\u0089PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR';
    expect(parse(junk).type).toBe('malformed');
    const noNul = '\u0089PNG\r\n\u001a\n\u00ff\u00fe\u0001\u0002';
    expect(parse(noNul)).toEqual({ type: 'malformed', reason: `no syslog timestamp: ${q(noNul)}` });
    expect(parse(`${PREFIX}\u0001\u0002\u0003\u0004`)).toEqual({
      type: 'malformed', reason: `control character in program name: ${q(`${PREFIX}\u0001\u0002\u0003\u0004`)}`,
    });
  });

  it('shortens the excerpt of long bad lines', () => {
    const line = 'x'.repeat(5000);
    expect(parse(line)).toEqual({ type: 'malformed', reason: `no syslog timestamp: ${q('x'.repeat(120) + '…')}` });
  });

  it('never throws on any truncation of the seed lines', () => {
    const seed = readFileSync(fileURLToPath(new URL('../fixtures/journal-short.log', import.meta.url)), 'utf8').split('\n').filter(Boolean);
    const counts = { event: 0, ignored: 0, malformed: 0 };
    for (const line of seed) {
      for (let n = 0; n <= line.length; n++) counts[parseLine(line.slice(0, n), years()).type]++;
    }
    // Cut lines mostly fail to parse, but a cut reply or message id still yields an event.
    expect(counts.malformed).toBeGreaterThan(0);
    expect(counts.event).toBeGreaterThan(0);
    expect(counts.event + counts.ignored + counts.malformed).toBe(seed.reduce((a, l) => a + l.length + 1, 0));
  });

  it('never throws on seeded random mutations of real lines', () => {
    const seed = readFileSync(fileURLToPath(new URL('../fixtures/journal-short.log', import.meta.url)), 'utf8').split('\n').filter(Boolean);
    const rng = new Rng(12345);
    const rand = (n: number): number => rng.int(0, n - 1);
    const alphabet = '<>[]:;,= ()/\u0000\u00ff\u3042-.0123456789ABCDEFabcdef';
    const types = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const chars = [...seed[rand(seed.length)]!];
      for (let k = rand(6); k >= 0; k--) chars.splice(rand(chars.length), rand(3), alphabet[rand(alphabet.length)]!);
      const r = parseLine(chars.join(''), years());
      types.add(r.type);
      if (r.type === 'malformed') expect(r.reason).toMatch(/: "/);
    }
    expect([...types].sort()).toEqual(['event', 'ignored', 'malformed']);
  });

  it('parseRecord tolerates records from journald with odd fields', () => {
    const rec = { time: 0, host: 'h', program: 'postfix/qmgr', daemon: '', pid: null, text: 'D1B9013D8FF: removed' };
    expect(parseRecord(rec)).toEqual({ type: 'event', record: rec, event: { kind: 'removed', queueId: 'D1B9013D8FF' } });
    const empty = { time: 0, host: 'h', program: 'postfix/qmgr', daemon: 'qmgr', pid: 1, text: '' };
    expect(parseRecord(empty)).toEqual({ type: 'ignored', record: empty });
  });

  it('parseRecord refuses a NUL in a journald field, as in a line', () => {
    const rec = { time: 0, host: 'h', program: 'postfix/qmgr', daemon: '', pid: null, text: 'D1B9013D8FF: from=<a\u0000b>, size=1, nrcpt=1 (queue active)' };
    expect(parseRecord(rec)).toEqual({ type: 'malformed', reason: `NUL byte at offset 20: ${JSON.stringify(rec.text)}` });
    expect(parseRecord({ ...rec, text: 'D1B9013D8FF: removed', host: 'h\u0000' })).toMatchObject({ type: 'malformed', reason: 'NUL byte at offset 1: "h\\u0000"' });
  });
});

describe('long lines', () => {
  const big = 100 * 1024;

  it('parses a 2,500-character delivery line', () => {
    const text = 'a'.repeat(2400);
    const r = parse(at('postfix/smtp', `D1B9013D8FF: to=<a@b.example>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.0.0, status=bounced (host mx[192.0.2.1] said: 550 ${text} (in reply to end of DATA command))`));
    expect(r.type === 'event' && r.event).toMatchObject({ kind: 'delivery', status: 'bounced', smtpCode: 550, reply: `host mx[192.0.2.1] said: 550 ${text} (in reply to end of DATA command)` });
  });

  // Each shape aims at one scanner; a quadratic scan would take minutes on these and trip the
  // test timeout.
  it.each([
    ['junk', 'x'.repeat(big), 'malformed'],
    ['host without end', PREFIX + 'h'.repeat(big), 'malformed'],
    ['tag without end', PREFIX + 'postfix/' + 's'.repeat(big), 'malformed'],
    ['unclosed to=<<<', at('postfix/smtp', 'D1B9013D8FF: to=' + '<'.repeat(big)), 'malformed'],
    ['to=<>>>> never followed by status', at('postfix/smtp', 'D1B9013D8FF: to=<' + '>'.repeat(big)), 'malformed'],
    ['>, repeated', at('postfix/smtp', 'D1B9013D8FF: to=<' + '>,'.repeat(big / 2)), 'malformed'],
    ['huge reply', at('postfix/smtp', `D1B9013D8FF: to=<a@b>, relay=x, status=sent (${'('.repeat(big)})`), 'event'],
    ['huge SES-like id', at('postfix/smtp', `D1B9013D8FF: to=<a@b>, relay=x, status=sent (250 Ok ${'a-'.repeat(big / 2)}x)`), 'event'],
    ['many status= fields', at('postfix/smtp', 'D1B9013D8FF: to=<a@b>' + 'xstatus='.repeat(big / 8)), 'malformed'],
    ['semicolons in a reject', at('postfix/smtpd', 'NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 ' + ';'.repeat(big)), 'event'],
    ['many from= in a reject', at('postfix/smtpd', 'NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 x; ' + 'from=<'.repeat(big / 6)), 'malformed'],
    ['brackets in client=', at('postfix/smtpd', 'D1B9013D8FF: client=' + '['.repeat(big)), 'malformed'],
    ['SASL markers repeated', at('postfix/smtpd', 'D1B9013D8FF: client=a[192.0.2.1]' + ', sasl_method=x, sasl_username=y'.repeat(big / 32)), 'event'],
    ['from in cleanup content', at('postfix/cleanup', 'D1B9013D8FF: reject: header X: ' + ' from '.repeat(big / 6) + '; from=<a@b>'), 'event'],
    ['huge message-id', at('postfix/cleanup', 'D1B9013D8FF: message-id=' + '<'.repeat(big)), 'event'],
    ['notification marker repeated', at('postfix/bounce', 'D1B9013D8FF: ' + 'x notification: '.repeat(big / 16)), 'malformed'],
  ])('%s', (_name, line, type) => {
    expect(parse(line).type).toBe(type);
  });
});
