import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDelay, generateLog, generateLogFile, parseGenerateArgs, rfc3164Stamp, Rng, type GenerateOptions, type GroundTruth } from '../../src/bench/generate.js';
import { compareWithTruth, parsePflogsummTotals } from '../../src/bench/ingest-bench.js';

function gen(opts: GenerateOptions): { text: string; truth: GroundTruth; chunks: string[] } {
  const chunks: string[] = [];
  const truth = generateLog(opts, (c) => chunks.push(c));
  return { text: chunks.join(''), truth, chunks };
}

function lines(text: string): string[] {
  return text.split('\n').slice(0, -1);
}

const MONTH = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 } as const;
const RFC3164 = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ 1-3]\d) (\d\d):(\d\d):(\d\d) (\S+) ([A-Za-z][\w./-]*)(?:\[(\d+)\])?: (.+)$/;
const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})\+00:00 (\S+) ([A-Za-z][\w./-]*)(?:\[(\d+)\])?: (.+)$/;

// One mid-sized log shared by the content checks (about 40k lines, ~20 simulated minutes).
const shared = gen({ messages: 3500, seed: 11 });
const sharedLines = lines(shared.text);

describe('generateLog', () => {
  it('is deterministic: the same options give the same bytes, another seed other bytes', () => {
    const a = gen({ messages: 800, seed: 42 });
    const b = gen({ messages: 800, seed: 42 });
    const c = gen({ messages: 800, seed: 43 });
    expect(b.text).toBe(a.text);
    expect(b.truth).toEqual(a.truth);
    expect(c.text).not.toBe(a.text);
    expect(a.truth.messages).toBe(800);
    expect(c.truth.messages).toBe(800);
  });

  it('streams whole lines in bounded chunks and reports lines and bytes truthfully', () => {
    const { chunks, truth, text } = shared;
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) {
      expect(c.endsWith('\n')).toBe(true);
      expect(c.length).toBeLessThan(65536 + 4096);
    }
    expect(truth.lines).toBe(sharedLines.length);
    expect(truth.bytes).toBe(Buffer.byteLength(text));
  });

  it('scales lines with messages, and stops near a line target', () => {
    const small = gen({ messages: 1000, seed: 5 }).truth;
    const large = gen({ messages: 2000, seed: 5 }).truth;
    expect(large.lines / small.lines).toBeGreaterThan(1.8);
    expect(large.lines / small.lines).toBeLessThan(2.2);
    // Between 9 and 14 lines per accepted message: Postfix's own lines plus noise.
    expect(small.lines / small.messages).toBeGreaterThan(9);
    expect(small.lines / small.messages).toBeLessThan(14);
    const byLines = gen({ lines: 15_000, seed: 5 }).truth;
    expect(byLines.lines).toBeGreaterThanOrEqual(15_000);
    // Messages in flight (including throttled ones waiting for their retry) are finished.
    expect(byLines.lines).toBeLessThan(15_000 * 1.06);
  });

  it('writes RFC 3164 lines with a tag, a pid on every Postfix line, and non-decreasing times', () => {
    const year = 2025;
    let last = 0;
    const programs = new Set<string>();
    for (const line of sharedLines) {
      const m = RFC3164.exec(line);
      expect(m, line).not.toBeNull();
      const [, mon, day, hh, mm, ss, host, tag, pid] = m as RegExpExecArray;
      expect(host).toBe('relay1');
      programs.add(tag as string);
      if ((tag as string).startsWith('postfix/')) expect(pid, line).toBeDefined();
      const t = Date.UTC(year, MONTH[mon as keyof typeof MONTH], Number(day), Number(hh), Number(mm), Number(ss));
      expect(t).toBeGreaterThanOrEqual(last);
      last = t;
    }
    expect([...programs].sort()).toEqual([
      'CRON', 'amavis', 'dovecot', 'postfix/anvil', 'postfix/bounce', 'postfix/cleanup', 'postfix/pickup', 'postfix/qmgr',
      'postfix/scache', 'postfix/smtp', 'postfix/smtpd', 'postfix/submission/smtpd', 'sshd', 'systemd',
    ]);
  });

  it('writes RFC 3339 stamps with microseconds when asked, starting at the given time', () => {
    const { text, truth } = gen({ messages: 200, seed: 3, format: 'rfc3339', start: new Date('2026-02-28T23:59:00Z') });
    const all = lines(text);
    let last = '';
    for (const line of all) {
      const m = RFC3339.exec(line);
      expect(m, line).not.toBeNull();
      const stamp = line.slice(0, 26); // down to the microsecond
      expect(stamp >= last).toBe(true);
      last = stamp;
    }
    expect(all[0]?.startsWith('2026-02-28T23:59:')).toBe(true);
    expect(truth.firstTime.startsWith('2026-02-28T23:59:')).toBe(true);
    expect(all.some((l) => l.startsWith('2026-03-01T'))).toBe(true);
  });

  it('has the mix of a busy relay: SMTP, submission with SASL, IPv6, pickup, multi-recipient, throttling, SES rejects, NOQUEUE', () => {
    const t = shared.truth;
    expect(t.origins.smtpd + t.origins.submission + t.origins.pickup).toBe(t.messages);
    expect(t.origins.pickup / t.messages).toBeGreaterThan(0.1);
    expect(t.origins.pickup / t.messages).toBeLessThan(0.2);
    expect(t.origins.submission).toBeGreaterThan(t.origins.smtpd);
    expect(t.filterHops).toBe(t.origins.smtpd);
    expect(t.sesAccepted + t.sesRejected).toBe(t.messages);
    expect(t.sesRejected).toBeGreaterThan(0);
    expect(t.bounceNotices).toBe(t.sesRejected);
    expect(t.throttledMessages).toBeGreaterThan(0);
    expect(t.noqueueRejects).toBeGreaterThan(0);
    expect(t.recipients).toBeGreaterThan(t.messages * 1.2);

    const text = shared.text;
    const clientIps = new Set([...text.matchAll(/: client=[^[\s]+\[([^\]]+)\]/g)].map((m) => m[1]));
    expect(clientIps.size).toBeGreaterThan(150);
    expect([...clientIps].some((ip) => ip?.includes(':'))).toBe(true);
    expect(text).toMatch(/postfix\/submission\/smtpd\[\d+\]: [0-9A-F]{11}: client=\S+\[[^\]]+\], sasl_method=(PLAIN|LOGIN), sasl_username=\S+\n/);
    const uids = new Set([...text.matchAll(/postfix\/pickup\[\d+\]: [0-9A-F]{11}: uid=(\d+) from=</g)].map((m) => m[1]));
    expect(uids.size).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/nrcpt=([2-9]|\d\d) \(queue active\)/);
    expect(text).toMatch(/dsn=4\.0\.0, status=deferred \(host email-smtp\.us-east-1\.amazonaws\.com\[[\d.]+\] said: 454 Throttling failure: Maximum sending rate exceeded\. \(in reply to end of DATA command\)\)\n/);
    expect(text).toMatch(/dsn=5\.0\.0, status=bounced \(host email-smtp\.us-east-1\.amazonaws\.com\[[\d.]+\] said: 554 Message rejected: Email address is not verified\. The following identities failed the check in region US-EAST-1: \S+@\S+ \(in reply to end of DATA command\)\)\n/);
    expect(text).toMatch(/status=bounced \(host email-smtp\.us-east-1\.amazonaws\.com\[[\d.]+\] said: 501 Invalid MAIL FROM address provided \(in reply to MAIL FROM command\)\)\n/);
    expect(text).toMatch(/postfix\/smtpd\[\d+\]: NOQUEUE: reject: RCPT from unknown\[[^\]]+\]: \d{3} [45]\.\d\.\d+ .*; from=<[^>]*> to=<[^>]+> proto=ESMTP helo=<[^>]+>\n/);
    expect(text).toMatch(/status=sent \(250 Ok 0100[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-000000\)\n/);
  });

  it('retries a throttled message later with qmgr\'s (queue active) line repeated', () => {
    const deferredAt = new Map<string, number>();
    let checked = 0;
    for (let i = 0; i < sharedLines.length; i++) {
      const line = sharedLines[i] as string;
      const d = /: ([0-9A-F]{11}): to=<[^>]+>, relay=email-smtp[^,]+, delay=[^,]+, delays=[^,]+, dsn=4\.0\.0, status=deferred/.exec(line);
      if (d !== null) {
        deferredAt.set(d[1] as string, i);
        continue;
      }
      const q = /postfix\/qmgr\[\d+\]: ([0-9A-F]{11}): from=<[^>]*>, size=\d+, nrcpt=\d+ \(queue active\)$/.exec(line);
      if (q !== null && deferredAt.has(q[1] as string)) {
        // The retry comes at least 300 s (minimal_backoff_time) after the deferral.
        const before = sharedLines[deferredAt.get(q[1] as string) as number] as string;
        const secs = (s: string): number => Number(s.slice(7, 9)) * 3600 + Number(s.slice(10, 12)) * 60 + Number(s.slice(13, 15));
        expect(secs(line) - secs(before)).toBeGreaterThanOrEqual(299);
        deferredAt.delete(q[1] as string);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(shared.truth.throttledMessages);
    expect(deferredAt.size).toBe(0);
  });

  it('logs the content filter copy (smtpd with orig_queue_id, cleanup, qmgr) before the parent\'s "queued as" line', () => {
    const childSeen = new Map<string, { parent: string; client: number; cleanup: number; qmgr: number }>();
    const lastActive = new Map<string, number>();
    let hops = 0;
    for (let i = 0; i < sharedLines.length; i++) {
      const line = sharedLines[i] as string;
      let m = /postfix\/smtpd\[\d+\]: ([0-9A-F]{11}): client=localhost\[127\.0\.0\.1\], orig_queue_id=([0-9A-F]{11}), orig_client=(\S+)$/.exec(line);
      if (m !== null) {
        childSeen.set(m[1] as string, { parent: m[2] as string, client: i, cleanup: -1, qmgr: -1 });
        continue;
      }
      m = /postfix\/cleanup\[\d+\]: ([0-9A-F]{11}): message-id=/.exec(line);
      if (m !== null && childSeen.has(m[1] as string)) (childSeen.get(m[1] as string) as { cleanup: number }).cleanup = i;
      m = /postfix\/qmgr\[\d+\]: ([0-9A-F]{11}): from=.*\(queue active\)$/.exec(line);
      if (m !== null) {
        lastActive.set(m[1] as string, i);
        const c = childSeen.get(m[1] as string);
        if (c !== undefined && c.qmgr < 0) c.qmgr = i;
      }
      m = /: ([0-9A-F]{11}): to=<[^>]+>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:10024, .*status=sent \(250 2\.0\.0 from MTA\(smtp:\[127\.0\.0\.1\]:10025\): 250 2\.0\.0 Ok: queued as ([0-9A-F]{11})\)$/.exec(line);
      if (m !== null) {
        const child = childSeen.get(m[2] as string);
        expect(child, line).toBeDefined();
        expect(child?.parent).toBe(m[1]);
        const parentActive = lastActive.get(m[1] as string) ?? Infinity;
        expect(child?.client).toBeGreaterThan(parentActive);
        expect(child?.cleanup).toBeGreaterThan(child?.client ?? Infinity);
        expect(child?.qmgr).toBeGreaterThan(child?.cleanup ?? Infinity);
        expect(child?.qmgr).toBeLessThan(i);
        hops++;
      }
    }
    // One "queued as" line per recipient of each filtered message.
    expect(hops).toBeGreaterThanOrEqual(shared.truth.filterHops);
    expect(childSeen.size).toBe(shared.truth.filterHops);
  });

  it('uses 11-hex-digit queue ids that recur only after the previous file was removed', () => {
    const { text, truth } = gen({ messages: 4000, seed: 9, queueIdInodes: 8, queueIdMicroseconds: 64 });
    const qidLine = /^\S+ +\S+ \S+ \S+ postfix\/(?:\w+\/)?(\w+)\[\d+\]: ([0-9A-Za-z]+): (.*)$/;
    const removedCount = new Map<string, number>();
    const live = new Set<string>();
    for (const line of lines(text)) {
      const m = qidLine.exec(line);
      if (m === null) continue;
      const [, daemon, qid, rest] = m as unknown as [string, string, string, string];
      if (qid === 'NOQUEUE' || !/^[0-9A-F]+$/.test(qid) || qid === 'warning') continue;
      expect(qid).toMatch(/^[0-9A-F]{11}$/);
      const birth = (daemon === 'smtpd' && rest.startsWith('client=')) || (daemon === 'pickup' && rest.startsWith('uid='))
        || (daemon === 'cleanup' && !live.has(qid));
      if (birth) {
        // A queue id is never handed to a second file while the first is still queued.
        if (daemon !== 'cleanup') expect(live.has(qid), line).toBe(false);
        live.add(qid);
      } else {
        expect(live.has(qid), line).toBe(true);
      }
      if (rest === 'removed') {
        live.delete(qid);
        removedCount.set(qid, (removedCount.get(qid) ?? 0) + 1);
      }
    }
    expect(live.size).toBe(0);
    const reusedInLog = [...removedCount.values()].filter((n) => n > 1).length;
    expect(reusedInLog).toBe(truth.reusedQueueIds);
    expect(truth.reusedQueueIds).toBeGreaterThan(10);
    expect([...removedCount.values()].reduce((a, b) => a + b, 0)).toBe(truth.queueFiles);
    for (const id of truth.reusedQueueIdSamples) expect((removedCount.get(id) ?? 0) > 1).toBe(true);
  });

  it('returns ground truth samples that the log bears out', () => {
    const { truth, text } = shared;
    expect(truth.samples.length).toBe(Math.floor(truth.messages / 100));
    const has = (s: string): boolean => text.includes(s);
    let filtered = 0;
    for (const s of truth.samples) {
      if (s.origin.type === 'pickup') {
        expect(has(`: ${s.queueId}: uid=${s.origin.uid} from=<${s.sender}>\n`)).toBe(true);
      } else {
        const sasl = s.origin.saslUsername === null ? '' : `, sasl_method=`;
        expect(has(`: ${s.queueId}: client=${s.origin.clientHost}[${s.origin.clientIp}]${sasl}`), s.queueId).toBe(true);
        if (s.origin.saslUsername !== null) expect(has(`sasl_username=${s.origin.saslUsername}\n`)).toBe(true);
      }
      expect(has(`: ${s.queueId}: message-id=<${s.messageId ?? ''}>\n`)).toBe(true);
      expect(has(`: ${s.relayQueueId}: from=<${s.sender}>, size=`)).toBe(true);
      if (s.filterQueueId !== null) {
        filtered++;
        expect(s.relayQueueId).toBe(s.filterQueueId);
        const o = s.origin as { clientHost: string; clientIp: string };
        expect(has(`: ${s.filterQueueId}: client=localhost[127.0.0.1], orig_queue_id=${s.queueId}, orig_client=${o.clientHost}[${o.clientIp}]\n`)).toBe(true);
      } else {
        expect(s.relayQueueId).toBe(s.queueId);
      }
      for (const r of s.recipients) {
        if (s.outcome === 'sent') {
          expect(s.sesMessageId).toMatch(/^0100[0-9a-f]{12}-/);
          expect(text).toMatch(new RegExp(`: ${s.relayQueueId}: to=<${r.replaceAll('.', '\\.')}>, relay=email-smtp\\.us-east-1\\.amazonaws\\.com\\[[\\d.]+\\]:587, delay=[\\d.]+, delays=[\\d./]+, dsn=2\\.0\\.0, status=sent \\(250 Ok ${s.sesMessageId}\\)\\n`));
        } else {
          expect(has(`: ${s.relayQueueId}: to=<${r}>, relay=email-smtp.us-east-1.amazonaws.com[`)).toBe(true);
        }
      }
      if (s.outcome === 'rejected') {
        expect(s.sesMessageId).toBeNull();
        expect(has(`: ${s.relayQueueId}: sender non-delivery notification: ${s.bounceNoticeQueueId}\n`)).toBe(true);
        expect(has(`: ${s.bounceNoticeQueueId}: to=<${s.sender}>, relay=email-smtp.us-east-1.amazonaws.com[`)).toBe(true);
      } else {
        expect(s.bounceNoticeQueueId).toBeNull();
      }
      if (s.deferrals > 0) {
        const n = text.split(`: ${s.relayQueueId}: to=<${s.recipients[0]}>, relay=`).length - 1;
        expect(n).toBeGreaterThanOrEqual(s.deferrals + 1);
      }
    }
    expect(filtered).toBeGreaterThan(0);
    expect(truth.samples.some((s) => s.origin.type === 'pickup')).toBe(true);
  });

  it('bounds the samples it keeps', () => {
    const { truth } = gen({ messages: 300, seed: 2, sampleEvery: 10, maxSamples: 5 });
    expect(truth.samples.length).toBe(5);
  });

  it('rejects options that make no sense, naming them', () => {
    expect(() => generateLog({ seed: 1 }, () => {})).toThrow('give messages or lines');
    expect(() => generateLog({ seed: 1, messages: -5 }, () => {})).toThrow('messages must be a positive integer, got -5');
    expect(() => generateLog({ seed: 1, lines: 1.5 }, () => {})).toThrow('lines must be a positive integer, got 1.5');
    expect(() => generateLog({ seed: 1, messages: 5, queueIdMicroseconds: 2_000_000 }, () => {})).toThrow('queueIdMicroseconds must be at most 1000000');
    expect(() => generateLog({ seed: 1, messages: 5, start: new Date('nope') }, () => {})).toThrow('start is an invalid Date');
  });
});

describe('pflogsumm reads the generated log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-pflogsumm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('and counts what the generator says it wrote (received, delivered, deferred, bounced, rejected)', () => {
    const file = join(dir, 'mail.log');
    const truth = generateLogFile({ messages: 3000, seed: 21 }, file);
    expect(readFileSync(file, 'utf8').split('\n').length - 1).toBe(truth.lines);
    const report = execFileSync('/usr/sbin/pflogsumm', [file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const totals = parsePflogsummTotals(report);
    expect(totals).toEqual({ ...truth.pflogsumm, forwarded: 0, rounded: false });
    expect(compareWithTruth(totals, truth.pflogsumm)).toEqual([]);
  });
});

describe('helpers', () => {
  it('formats delays the way Postfix does', () => {
    expect([0, 0.004, 0.04, 0.25, 0.2, 1.94, 3.6, 10.4, 427.2].map(formatDelay)).toEqual(['0', '0', '0.04', '0.25', '0.2', '1.9', '3.6', '10', '427']);
  });

  it('writes classic syslog stamps with a space-padded day', () => {
    expect(rfc3164Stamp(Date.UTC(2025, 10, 3, 12, 57, 23))).toBe('Nov  3 12:57:23');
    expect(rfc3164Stamp(Date.UTC(2025, 11, 31, 23, 59, 59))).toBe('Dec 31 23:59:59');
  });

  it('draws the same numbers for the same seed', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    expect(new Set(xs).size).toBe(5);
    const r = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      const n = r.int(3, 5);
      expect(n >= 3 && n <= 5).toBe(true);
    }
  });

  it('parses the command line of the CLI entry', () => {
    expect(parseGenerateArgs(['--messages', '10', '--seed', '3', '--format', 'rfc3339', '--truth', '/tmp/t.json'])).toEqual({
      options: { messages: 10, seed: 3, format: 'rfc3339' },
      truthFile: '/tmp/t.json',
    });
    expect(() => parseGenerateArgs(['--seed', '3'])).toThrow('give --messages or --lines');
    expect(() => parseGenerateArgs(['--lines', 'many'])).toThrow('--lines needs a number, got many');
    expect(() => parseGenerateArgs(['--bogus'])).toThrow('unknown argument --bogus');
  });
});
