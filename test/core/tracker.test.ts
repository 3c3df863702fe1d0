// The tracker as the operator sees it: log lines in, `lookup` out. Each case is a log excerpt.
import { describe, expect, it } from 'vitest';
import { lookup } from '../../src/commands/lookup.js';
import { memoryIndex } from './helpers.js';

const SES = (n: number) => `0100019a${String(n).padStart(8, '0')}-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000`;

function originOf(store: Parameters<typeof lookup>[0], id: string) {
  const found = lookup(store, id);
  expect(found.length).toBeGreaterThan(0);
  return found[0]!.origin;
}

describe('tracker', () => {
  it('follows a content-filter hop: the child logs first, the parent names it later, the origin is the parent client', () => {
    const { store, ingest } = memoryIndex();
    ingest(`
      Dec  4 10:00:00 mx postfix/smtpd[100]: 1111111111A: client=app1.example.com[10.1.2.3]
      Dec  4 10:00:00 mx postfix/cleanup[101]: 1111111111A: message-id=<m1@example.com>
      Dec  4 10:00:00 mx postfix/qmgr[102]: 1111111111A: from=<app@example.com>, size=1000, nrcpt=1 (queue active)
      Dec  4 10:00:01 mx postfix/smtpd[103]: 2222222222B: client=localhost[127.0.0.1]
      Dec  4 10:00:01 mx postfix/cleanup[101]: 2222222222B: message-id=<m1@example.com>
      Dec  4 10:00:01 mx postfix/qmgr[102]: 2222222222B: from=<app@example.com>, size=1500, nrcpt=1 (queue active)
      Dec  4 10:00:01 mx postfix/smtp[104]: 1111111111A: to=<user@dest.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 2222222222B)
      Dec  4 10:00:01 mx postfix/qmgr[102]: 1111111111A: removed
      Dec  4 10:00:02 mx postfix/smtp[105]: 2222222222B: to=<user@dest.example>, relay=email-smtp.us-east-1.amazonaws.com[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok ${SES(1)})
      Dec  4 10:00:02 mx postfix/qmgr[102]: 2222222222B: removed
    `);
    const [child] = lookup(store, SES(1));
    expect(child).toMatchObject({
      queueId: '2222222222B',
      clientIp: '127.0.0.1',
      parent: { queueId: '1111111111A', relation: 'filter' },
      origin: { queueId: '1111111111A', clientIp: '10.1.2.3', clientHost: 'app1.example.com', uid: null, hops: 1 },
    });
    expect(lookup(store, '1111111111A')[0]!.children).toEqual([{ queueId: '2222222222B', relation: 'filter' }]);
  });

  it('uses XFORWARD orig_client when the first pass of the filter is not in the log', () => {
    const { store, ingest } = memoryIndex();
    ingest(`
      Dec  4 10:00:01 mx postfix/smtpd[103]: 2222222222B: client=localhost[127.0.0.1], orig_queue_id=1111111111A, orig_client=app1.example.com[10.1.2.3]
      Dec  4 10:00:02 mx postfix/smtp[105]: 2222222222B: to=<user@dest.example>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok ${SES(2)})
    `);
    expect(originOf(store, SES(2))).toEqual({
      queueId: '2222222222B',
      clientIp: '10.1.2.3',
      clientHost: 'app1.example.com',
      saslUsername: null,
      uid: null,
      sender: null,
      hops: 0,
    });
  });

  it('keeps generations of a reused queue id apart', () => {
    const { store, ingest } = memoryIndex();
    ingest(`
      Dec  4 10:00:00 mx postfix/smtpd[100]: ABCDEF12345: client=a.example[10.0.0.1]
      Dec  4 10:00:01 mx postfix/smtp[104]: ABCDEF12345: to=<x@dest.example>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok ${SES(3)})
      Dec  4 10:00:01 mx postfix/qmgr[102]: ABCDEF12345: removed
      Dec  4 11:00:00 mx postfix/pickup[200]: ABCDEF12345: uid=33 from=<www-data@mx>
      Dec  4 11:00:01 mx postfix/smtp[104]: ABCDEF12345: to=<y@dest.example>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok ${SES(4)})
      Dec  4 11:00:01 mx postfix/qmgr[102]: ABCDEF12345: removed
    `);
    expect(originOf(store, SES(3))).toMatchObject({ clientIp: '10.0.0.1', uid: null });
    expect(originOf(store, SES(4))).toMatchObject({ clientIp: null, uid: 33, sender: 'www-data@mx' });
    const both = lookup(store, 'ABCDEF12345');
    expect(both.map((m) => [m.uid, m.clientIp])).toEqual([
      [33, null],
      [null, '10.0.0.1'],
    ]);
  });

  it("makes Postfix's bounce notice a child of the bounced message (seed log)", () => {
    const { store, ingest, malformed } = memoryIndex();
    const events = ingest(`
      Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/pickup[1517]: 6375913D8DD: uid=1000 from=<test@www.non-97.net>
      Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/cleanup[2980]: 6375913D8DD: message-id=<6908ae92.2ATsAhI+4P0Dzjt5%test@www.non-97.net>
      Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/qmgr[1518]: 6375913D8DD: from=<test@www.non-97.net>, size=460, nrcpt=1 (queue active)
      Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/smtp[2982]: 6375913D8DD: to=<rcpt@example.jp>, relay=email-smtp.us-east-1.amazonaws.com[54.157.237.25]:587, delay=0.14, delays=0.01/0.02/0.04/0.07, dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[54.157.237.25] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: test@www.non-97.net (in reply to end of DATA command))
      Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/cleanup[2980]: 8606813DBB1: message-id=<20251103133058.8606813DBB1@internal-mta.www.non-97.net>
      Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/bounce[2983]: 6375913D8DD: sender non-delivery notification: 8606813DBB1
      Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/qmgr[1518]: 8606813DBB1: from=<>, size=2862, nrcpt=1 (queue active)
      Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/qmgr[1518]: 6375913D8DD: removed
      Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/smtp[2982]: 8606813DBB1: to=<test@www.non-97.net>, relay=email-smtp.us-east-1.amazonaws.com[54.157.237.25]:587, delay=0.04, delays=0/0/0.04/0, dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[54.157.237.25] said: 501 Invalid MAIL FROM address provided (in reply to MAIL FROM command))
      Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/qmgr[1518]: 8606813DBB1: removed
    `);
    expect(malformed).toEqual([]);
    const [notice] = lookup(store, '8606813DBB1');
    expect(notice).toMatchObject({
      sender: '',
      parent: { queueId: '6375913D8DD', relation: 'notification' },
      origin: { queueId: '6375913D8DD', uid: 1000, sender: 'test@www.non-97.net', hops: 1 },
    });
    // Both refusals are reported, each with the local user who sent the original.
    expect(events.map((e) => [e.event, e.recipient, e.queueId, e.uid, e.status, e.matchedBy])).toEqual([
      ['reject', 'rcpt@example.jp', '6375913D8DD', 1000, '5.0.0', 'queue-id'],
      ['reject', 'test@www.non-97.net', '8606813DBB1', 1000, '5.0.0', 'queue-id'],
    ]);
    expect(events[1]!.diagnosticCode).toContain('501 Invalid MAIL FROM address provided');
  });

  it('links a child whose first line comes after the line that names it', () => {
    const { store, ingest } = memoryIndex();
    ingest(`
      Dec  4 10:00:00 mx postfix/smtpd[100]: 3333333333C: client=b.example[2001:db8::7], sasl_method=PLAIN, sasl_username=alice
      Dec  4 10:00:01 mx postfix/smtp[104]: 3333333333C: to=<u@dest.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4444444444D)
      Dec  4 10:00:01 mx postfix/qmgr[102]: 3333333333C: removed
      Dec  4 10:00:01 mx postfix/smtpd[103]: 4444444444D: client=localhost[127.0.0.1]
      Dec  4 10:00:02 mx postfix/smtp[105]: 4444444444D: to=<u@dest.example>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok ${SES(5)})
      Dec  4 10:00:02 mx postfix/qmgr[102]: 4444444444D: removed
    `);
    expect(originOf(store, SES(5))).toMatchObject({ queueId: '3333333333C', clientIp: '2001:db8::7', saslUsername: 'alice', hops: 1 });
    expect(lookup(store, '4444444444D')).toHaveLength(1);
  });

  it('rolls the year over at New Year, so a message spanning midnight stays one message', () => {
    const { store, ingest } = memoryIndex(Date.UTC(2025, 11, 31, 12));
    ingest(`
      Dec 31 23:59:59 mx postfix/smtpd[100]: 5555555555E: client=c.example[10.0.0.9]
      Jan  1 00:00:01 mx postfix/smtp[104]: 5555555555E: to=<u@dest.example>, relay=ses[1.2.3.4]:587, delay=2, delays=0/0/0/2, dsn=2.0.0, status=sent (250 Ok ${SES(6)})
      Jan  1 00:00:01 mx postfix/qmgr[102]: 5555555555E: removed
    `);
    const [m] = lookup(store, SES(6));
    expect(m!.clientIp).toBe('10.0.0.9');
    expect(new Date(m!.firstSeen).getFullYear()).toBe(2025);
    expect(new Date(m!.deliveries[0]!.at).getFullYear()).toBe(2026);
  });

  it('records a temporary refusal as a delay and the retry that succeeded', () => {
    const { store, ingest } = memoryIndex();
    const events = ingest(`
      Dec  4 10:00:00 mx postfix/smtpd[100]: 6666666666F: client=d.example[10.0.0.4]
      Dec  4 10:00:01 mx postfix/smtp[104]: 6666666666F: to=<u@dest.example>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=4.0.0, status=deferred (host ses[1.2.3.4] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command))
      Dec  4 10:05:01 mx postfix/qmgr[102]: 6666666666F: from=<a@example.com>, size=10, nrcpt=1 (queue active)
      Dec  4 10:05:02 mx postfix/smtp[104]: 6666666666F: to=<u@dest.example>, relay=ses[1.2.3.4]:587, delay=302, delays=300/0/0/2, dsn=2.0.0, status=sent (250 Ok ${SES(7)})
      Dec  4 10:05:02 mx postfix/qmgr[102]: 6666666666F: removed
    `);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: 'delay', status: '4.0.0', clientIp: '10.0.0.4', queueId: '6666666666F' });
    expect(lookup(store, SES(7))[0]!.deliveries.map((d) => d.status)).toEqual(['deferred', 'sent']);
  });

  it('finds a message by recipient (any case) and by Message-ID with or without brackets', () => {
    const { store, ingest } = memoryIndex();
    ingest(`
      Dec  4 10:00:00 mx postfix/pickup[100]: 7777777777A: uid=0 from=<root@mx>
      Dec  4 10:00:00 mx postfix/cleanup[101]: 7777777777A: message-id=<abc@mx>
      Dec  4 10:00:01 mx postfix/smtp[104]: 7777777777A: to=<Someone@Dest.example>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok ${SES(8)})
    `);
    expect(lookup(store, 'someone@dest.example')[0]!.matchedBy).toEqual(['recipient']);
    expect(lookup(store, '<abc@mx>')[0]!.matchedBy).toEqual(['message-id']);
    expect(lookup(store, 'abc@mx')[0]!.uid).toBe(0);
    expect(lookup(store, 'nothing-here')).toEqual([]);
    ingest(`
      Dec  4 11:00:00 mx postfix/pickup[100]: 7777777777B: uid=0 from=<root@mx>
      Dec  4 11:00:01 mx postfix/smtp[104]: 7777777777B: to=<someone@dest.example>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok ${SES(9)})
    `);
    // Newest first, and bounded.
    expect(lookup(store, 'someone@dest.example').map((m) => m.queueId)).toEqual(['7777777777B', '7777777777A']);
    expect(lookup(store, 'someone@dest.example', 1).map((m) => m.queueId)).toEqual(['7777777777B']);
  });

  it("reports a filter copy's refusal with the first hop even when the filter's `queued as` line comes after it", () => {
    const { ingest } = memoryIndex();
    const events = ingest(`
      Dec  4 10:00:00 mx postfix/smtpd[100]: 8888888888A: client=app9.example.com[10.9.9.9], sasl_method=LOGIN, sasl_username=app9
      Dec  4 10:00:01 mx postfix/smtpd[103]: 9999999999B: client=localhost[127.0.0.1]
      Dec  4 10:00:01 mx postfix/smtp[105]: 9999999999B: to=<u@dest.example>, relay=ses[1.2.3.4]:587, delay=0.1, delays=0/0/0/0.1, dsn=5.0.0, status=bounced (host ses[1.2.3.4] said: 554 Message rejected: Email address is not verified. (in reply to end of DATA command))
      Dec  4 10:00:01 mx postfix/smtp[104]: 8888888888A: to=<u@dest.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 9999999999B)
      Dec  4 10:00:01 mx postfix/qmgr[102]: 8888888888A: removed
      Dec  4 10:00:02 mx postfix/qmgr[102]: 9999999999B: removed
    `);
    expect(events.map((e) => [e.event, e.queueId, e.clientIp, e.saslUsername])).toEqual([['reject', '9999999999B', '10.9.9.9', 'app9']]);
  });

  it('holds a refusal at most a minute of log time when its queue file stays (a deferral), then reports it', () => {
    const { ingest } = memoryIndex();
    const first = ingest(`
      Dec  4 10:00:00 mx postfix/smtpd[100]: 7777777777C: client=e.example[10.0.0.5]
      Dec  4 10:00:01 mx postfix/smtp[104]: 7777777777C: to=<u@dest.example>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=4.0.0, status=deferred (host ses[1.2.3.4] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command))
      Dec  4 10:00:30 mx postfix/smtpd[100]: 7777777777D: client=f.example[10.0.0.6]
    `);
    expect(first).toEqual([]);
    const later = ingest(`
      Dec  4 10:01:02 mx postfix/smtpd[100]: 7777777777E: client=g.example[10.0.0.7]
    `);
    expect(later.map((e) => [e.event, e.queueId, e.clientIp, e.status])).toEqual([['delay', '7777777777C', '10.0.0.5', '4.0.0']]);
  });
});
