// `ingest` feeds lines straight from its read buffers (LogIndexer.feedRegion) and decodes only
// those it needs; the daemon feeds decoded lines (LogIndexer.feed). Both must index a log alike,
// junk included: these feed the same bytes both ways and compare everything that comes out.
import { describe, expect, it } from 'vitest';
import { LogIndexer } from '../../src/indexer.js';
import { YearInference } from '../../src/parser/year.js';
import { generateLog } from '../../src/bench/generate.js';

const ANCHOR = Date.UTC(2025, 11, 31, 12);

function indexer(malformed: string[]) {
  return new LogIndexer({
    start: { nextGenerationId: 1, nextDeliveryId: 1, open: [], pendingRefusals: [] },
    backend: { getGeneration: () => undefined },
    years: new YearInference({ now: () => ANCHOR }),
    onMalformed: (reason, line, i) => malformed.push(`${i}: ${reason} | ${line}`),
  });
}

/** What the daemon's path makes of the text: split into lines, CR of CRLF dropped, as its line splitter does. */
function viaStrings(text: string) {
  const malformed: string[] = [];
  const ix = indexer(malformed);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  ix.feed(lines.map((l) => l.replace(/\r$/, '')));
  ix.tracker.releaseAll();
  return { batch: ix.prepare(), stats: ix.stats, malformed };
}

/** What ingest's path makes of the same bytes, fed in regions cut at line ends after every `every` lines. */
function viaRegions(text: string, every: number) {
  const malformed: string[] = [];
  const ix = indexer(malformed);
  const buf = Buffer.from(text, 'utf8');
  let start = 0;
  let count = 0;
  let fed = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || (buf[i] === 0x0a && ++count % every === 0)) {
      const end = i === buf.length ? i : i + 1;
      if (end > start) fed += ix.feedRegion(buf, start, end, 64 * 1024, fed).lines;
      start = end;
    }
  }
  ix.tracker.releaseAll();
  return { batch: ix.prepare(), stats: ix.stats, malformed };
}

describe('feeding from read buffers', () => {
  it('indexes a generated log exactly as feeding decoded lines does', () => {
    const chunks: string[] = [];
    generateLog({ lines: 20_000, seed: 5, start: new Date(Date.UTC(2025, 11, 31, 20)) }, (c) => chunks.push(c));
    const text = chunks.join('');
    const expected = viaStrings(text);
    expect(expected.batch.generations.length).toBeGreaterThan(1000);
    expect(expected.batch.events.length).toBeGreaterThan(0);
    for (const every of [1, 7, 5000]) expect(viaRegions(text, every)).toEqual(expected);
  });

  it('treats junk, odd bytes and odd names as feeding decoded lines does', () => {
    const lines = [
      'Dec 31 10:00:00 mx postfix/pickup[1]: 4AB5C6D7E8F: uid=1000 from=<app>',
      'Dec 31 10:00:00 mx postfix/cleanup[2]: 4AB5C6D7E8F: message-id=<é@ü>',
      'Dec 31 10:00:00 mx postfix/qmgr[3]: 4AB5C6D7E8F: from=<app@mx>, size=10, nrcpt=1 (queue active)',
      'Dec 31 10:00:01 mx postfix/smtp[4]: 4AB5C6D7E8F: to=<ü@example.jp>, relay=x[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=5.0.0, status=bounced (host x[1.2.3.4] said: 554 Message rejected: Email address is not verified. (in reply to end of DATA command))',
      'Dec 31 10:00:01 mx postfix/qmgr[3]: 4AB5C6D7E8F: removed\r',
      'Dec 31 10:00:01 mx postfix/qmgr[3]: 5AB5C6D7E8F: removed\r\r',
      'Dec 31 10:00:02 mx postfix/smtpd[5]: connect from ünïcode.example[192.0.2.1]',
      'Dec 31 10:00:02 mx postfix/smtpd[5]: 6AB5C6D7E8F: client=ünïcode.example[192.0.2.1]',
      'Dec 31 10:00:02 mx postfix/smtpd[5]: 6AB5C6D7É8F: client=x[192.0.2.1]',
      'Dec 31 10:00:02 hôst postfix/smtpd[5]: 7AB5C6D7E8F: client=x[192.0.2.1]',
      'Dec 31 10:00:02 mx pöstfix/smtpd[5]: 8AB5C6D7E8F: client=x[192.0.2.1]',
      'Dec 31 10:00:02 mx postfix/smtpd[5]: 9AB5C6D7E8F:client=x[192.0.2.1]',
      'Dec 31 10:00:02 mx postfix/smtpd[5]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <a@b>: Relay access denied; from=<a@c> to=<a@b> proto=ESMTP helo=<x>',
      'Dec 31 10:00:03 mx postfix/qmgr[3]: 6AB5C6D7E8F: from=<\u0000>, size=1, nrcpt=1 (queue active)',
      '\u0000\u0001binary',
      'Dec 31 10:00:03 mx last message repeated 3 times',
      '-- Boot 0e3b8a6f2c9d4e1f8a7b6c5d4e3f2a1b --',
      '',
      'not a log line at all',
      'Dec 31 10:00:03 mx postfix/smtpd[5]',
      'Dec 31 10:00:03 mx postfix/smtpd[x]: 6AB5C6D7E8F: client=x[192.0.2.1]',
      '2025-12-31T10:00:04.5+01:00 mx postfix/qmgr[3]: 6AB5C6D7E8F: removed',
      `Dec 31 10:00:05 mx postfix/cleanup[2]: AAB5C6D7E8F: message-id=<${'x'.repeat(70_000)}>`,
      `Dec 31 10:00:05 mx postfix/cleanup[2]: BAB5C6D7E8F: message-id=<${'ü'.repeat(3000)}>`,
      'Jan  1 00:00:01 mx postfix/qmgr[3]: CAB5C6D7E8F: removed',
    ];
    const text = lines.join('\n');
    const expected = viaStrings(text);
    expect(expected.malformed.length).toBeGreaterThanOrEqual(4);
    expect(expected.stats.events).toBeGreaterThan(8);
    for (const every of [1, 3, 100]) {
      const got = viaRegions(text, every);
      // The 70,000-byte line is skipped as too long there, and counted by ingest instead.
      const without = viaStrings(lines.filter((l) => !l.includes('x'.repeat(70_000))).join('\n'));
      expect(got.batch).toEqual(without.batch);
      expect(got.stats).toEqual(without.stats);
      expect(got.malformed.map((m) => m.replace(/^\d+: /, ''))).toEqual(without.malformed.map((m) => m.replace(/^\d+: /, '')));
    }
  });
});
