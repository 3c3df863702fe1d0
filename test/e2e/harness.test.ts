// Proves the end-to-end harness: the SES SMTP stand-in on its own, then a real private Postfix relaying to it.
// The Postfix part fails (it is not skipped) when Postfix is missing, unless BOUNCE_ORIGIN_SKIP_POSTFIX=1.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildNotifications,
  commonHeadersOf,
  parseHeaders,
  sesMessageId,
  simulatorOutcome,
  splitAddressList,
  startSesStandin,
  verifiedIdentityFor,
  type SesMail,
  type SesNotification,
  type SesStandin,
} from '../helpers/ses-standin.js';
import {
  alternateConfigDirectories,
  buildMessage,
  dotStuff,
  mainCfParams,
  postfixProblem,
  smtpTransaction,
  startPostfix,
  type PostfixInstance,
} from '../helpers/postfix.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const readFixture = (name: string): SesNotification => JSON.parse(fs.readFileSync(path.join(fixtures, name), 'utf8')) as SesNotification;

/** The structure of a JSON value: object keys (sorted) with their shapes, arrays by their first element, leaves by type. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length > 0 ? [shape(v[0])] : [];
  if (v === null) return 'null';
  if (typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  }
  return typeof v;
}

const SES_ID = /^[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000$/;
const UNVERIFIED_554 = (sender: string): string =>
  `554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: ${sender}`;

// The header set of the seed fixtures' messages (mailx through Postfix), so the notifications can be compared to them.
const FIXTURE_LIKE_HEADERS = (to: string): string =>
  [
    'Received: by internal-mta.example.test (Postfix, from userid 1000)',
    '\tid 084A213D8DD; Mon,  3 Nov 2025 13:17:26 +0000 (UTC)',
    'Date: Mon, 03 Nov 2025 13:17:26 +0000',
    'From: test@example.test',
    `To: ${to}`,
    'Subject: mail subject',
    'Message-ID: <6908ab66.sKstWi24GnruRFNe%test@example.test>',
    'User-Agent: Heirloom mailx 12.5 7/5/10',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    '',
    'body line',
    '.a line that starts with a dot',
    '',
  ].join('\r\n');

describe('SES stand-in (pure parts)', () => {
  it('makes SES-shaped message ids: 0100, the ms clock in 12 hex digits, a uuid, -000000', () => {
    expect(sesMessageId(0x19a49cb2f2e, '7af4300a-356d-41dc-9fd3-6a64ebb0a3bf')).toBe(
      '0100019a49cb2f2e-7af4300a-356d-41dc-9fd3-6a64ebb0a3bf-000000',
    );
    expect(sesMessageId(Date.now())).toMatch(SES_ID);
  });

  it('parses headers in order and unfolds them with one space, as SES lists them', () => {
    expect(parseHeaders(FIXTURE_LIKE_HEADERS('a@b.test')).slice(0, 3)).toEqual([
      { name: 'Received', value: 'by internal-mta.example.test (Postfix, from userid 1000) id 084A213D8DD; Mon,  3 Nov 2025 13:17:26 +0000 (UTC)' },
      { name: 'Date', value: 'Mon, 03 Nov 2025 13:17:26 +0000' },
      { name: 'From', value: 'test@example.test' },
    ]);
  });

  it('splits address lists only on top-level commas and builds commonHeaders from present headers only', () => {
    expect(splitAddressList('"Doe, Jane" <j@x.test>, k@y.test (Kay, K), <l@z.test>')).toEqual([
      '"Doe, Jane" <j@x.test>',
      'k@y.test (Kay, K)',
      '<l@z.test>',
    ]);
    expect(commonHeadersOf([{ name: 'from', value: 'a@x.test' }, { name: 'Subject', value: 's' }])).toEqual({ from: ['a@x.test'], subject: 's' });
  });

  it('treats verified domains as covering their subdomains, addresses only themselves', () => {
    expect(verifiedIdentityFor('a@mta.example.test', ['example.test'])).toBe('example.test');
    expect(verifiedIdentityFor('A@Example.Test', ['a@example.test'])).toBe('a@example.test');
    expect(verifiedIdentityFor('b@example.test', ['a@example.test'])).toBeNull();
    expect(verifiedIdentityFor('a@notexample.test', ['example.test'])).toBeNull();
  });

  it('follows the mailbox simulator per recipient, +labels included', () => {
    expect(['bounce+x@simulator.amazonses.com', 'complaint@simulator.amazonses.com', 'ooto@simulator.amazonses.com',
      'success@simulator.amazonses.com', 'suppressionlist@simulator.amazonses.com', 'bounce@example.test'].map(simulatorOutcome))
      .toEqual(['bounce', 'complaint', 'ooto', 'delivery', 'suppressionlist', 'delivery']);
  });

  it('builds Delivery, Bounce, Complaint and the ooto Transient bounce for a mixed message, in SES order', () => {
    const mail = { destination: ['success@simulator.amazonses.com', 'bounce@simulator.amazonses.com',
      'complaint@simulator.amazonses.com', 'ooto@simulator.amazonses.com'] } as SesMail;
    const at = Date.UTC(2025, 10, 3, 13, 17, 26, 115);
    const out = buildNotifications({ mail, acceptedAt: at, newId: () => 'FEEDBACK' });
    expect(out).toEqual([
      {
        notificationType: 'Delivery',
        mail,
        delivery: {
          timestamp: '2025-11-03T13:17:26.683Z',
          processingTimeMillis: 568,
          recipients: ['success@simulator.amazonses.com', 'complaint@simulator.amazonses.com', 'ooto@simulator.amazonses.com'],
          smtpResponse: '250 2.6.0 Message received',
          remoteMtaIp: '54.197.5.236',
          reportingMTA: 'a48-100.smtp-out.amazonses.com',
        },
      },
      {
        notificationType: 'Bounce',
        bounce: {
          feedbackId: 'FEEDBACK',
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [{
            emailAddress: 'bounce@simulator.amazonses.com',
            action: 'failed',
            status: '5.1.1',
            diagnosticCode: 'smtp; 550 5.1.1 As requested: user unknown <bounce@simulator.amazonses.com>',
          }],
          timestamp: '2025-11-03T13:17:26.000Z',
          remoteMtaIp: '107.23.2.81',
          reportingMTA: 'dns; a8-87.smtp-out.amazonses.com',
        },
        mail,
      },
      {
        notificationType: 'Complaint',
        complaint: {
          feedbackId: 'FEEDBACK',
          complaintSubType: null,
          complainedRecipients: [{ emailAddress: 'complaint@simulator.amazonses.com' }],
          timestamp: '2025-11-03T13:17:26.000Z',
          userAgent: 'Amazon SES Mailbox Simulator',
          complaintFeedbackType: 'abuse',
          arrivalDate: '2025-11-03T13:17:26.683Z',
        },
        mail,
      },
      {
        notificationType: 'Bounce',
        bounce: {
          feedbackId: 'FEEDBACK',
          bounceType: 'Transient',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: 'ooto@simulator.amazonses.com' }],
          timestamp: '2025-11-03T13:17:26.000Z',
        },
        mail,
      },
    ]);
  });

  it('dot-stuffs DATA and builds messages whose default headers can be overridden or dropped', () => {
    expect(dotStuff('a\n.b\n..c')).toBe('a\r\n..b\r\n...c\r\n.\r\n');
    const { data, messageId } = buildMessage(
      { from: 'u@example.test', to: ['x@y.test', 'z@y.test'], headers: { Subject: 'hi', 'MIME-Version': null, 'X-Tag': 't' }, body: 'b' },
      Date.UTC(2025, 10, 3, 13, 17, 26),
      'TOKEN',
    );
    expect(messageId).toBe('<6908ab66.TOKEN%u@example.test>');
    expect(data).toBe([
      'Date: Mon, 03 Nov 2025 13:17:26 +0000',
      'From: u@example.test',
      'To: x@y.test, z@y.test',
      'Subject: hi',
      'Message-ID: <6908ab66.TOKEN%u@example.test>',
      'Content-Type: text/plain; charset=us-ascii',
      'Content-Transfer-Encoding: 7bit',
      'X-Tag: t',
      '',
      'b',
      '',
    ].join('\r\n'));
  });

  it('generates main.cf with the private-instance settings, letting the caller override any', () => {
    const p = mainCfParams({ dir: '/tmp/x', smtpPort: 2525, relayPort: 2587, myhostname: 'mta.example.test', mainCf: { maximal_queue_lifetime: '0' } });
    expect(p).toMatchObject({
      queue_directory: '/tmp/x/spool',
      data_directory: '/tmp/x/data',
      maillog_file: '/tmp/x/maillog',
      maillog_file_prefixes: '/tmp/x',
      inet_interfaces: '127.0.0.1',
      relayhost: '[127.0.0.1]:2587',
      mydestination: '',
      mydomain: 'example.test',
      maximal_queue_lifetime: '0',
    });
    expect(alternateConfigDirectories()[0]).toBe('/var/tmp/bounce-origin-postfix/slot0/etc');
  });

  it('names the missing program and how to install Postfix', () => {
    expect(postfixProblem(['/nonexistent/postfix'])).toMatch(/^\/nonexistent\/postfix not found\. Install Postfix .*apt-get install postfix.*BOUNCE_ORIGIN_SKIP_POSTFIX=1/);
  });
});

describe('SES stand-in over SMTP', () => {
  const fixedNow = Date.UTC(2025, 10, 3, 13, 17, 26, 115);
  let ses: SesStandin;
  const published: SesNotification[] = [];
  let throttleNext = false;

  beforeAll(async () => {
    ses = await startSesStandin({
      verified: ['example.test', 'solo@other.test'],
      throttle: () => {
        const t = throttleNext;
        throttleNext = false;
        return t;
      },
      publish: async (n) => {
        published.push(n);
      },
      now: () => fixedNow,
    });
  });
  afterAll(async () => {
    await ses.close();
  });

  const send = (from: string, to: string[], data = FIXTURE_LIKE_HEADERS(to.join(', '))) =>
    smtpTransaction({ port: ses.port, helo: 'internal-mta.example.test', from, to, data });

  it('refuses the null sender at MAIL FROM with 501, as SES does for Postfix bounce notices', async () => {
    expect(await send('', ['x@example.test'])).toEqual({ ok: false, stage: 'mail', code: 501, reply: '501 Invalid MAIL FROM address provided' });
  });

  it('refuses an unverified sender with 554 at the end of DATA, and accepts a verified address identity', async () => {
    expect(await send('solo@elsewhere.test', ['x@example.test'])).toEqual({
      ok: false, stage: 'message', code: 554, reply: UNVERIFIED_554('solo@elsewhere.test'),
    });
    expect((await send('solo@other.test', ['x@example.test'])).code).toBe(250);
  });

  it('answers 454 when the throttle rule says so', async () => {
    throttleNext = true;
    expect(await send('t@example.test', ['x@example.test'])).toEqual({
      ok: false, stage: 'message', code: 454, reply: '454 Throttling failure: Maximum sending rate exceeded.',
    });
  });

  it('accepts with 250 Ok <id> and publishes notifications shaped exactly like the real ones', async () => {
    const before = ses.notifications.length;
    const r1 = await send('test@example.test', ['bounce@simulator.amazonses.com']);
    const r2 = await send('test@example.test', ['test@non-97.net']);
    await ses.idle();
    for (const r of [r1, r2]) {
      expect(r).toMatchObject({ ok: true, stage: 'message', code: 250 });
      expect(r.reply).toMatch(/^250 Ok /);
      expect(r.reply.slice(7)).toMatch(SES_ID);
      expect(r.reply.slice(7).startsWith(`0100${fixedNow.toString(16).padStart(12, '0')}-`)).toBe(true);
    }
    const [bounce, delivery] = ses.notifications.slice(before);
    expect(ses.notifications.length - before).toBe(2);
    expect(shape(bounce)).toEqual(shape(readFixture('ses-bounce.json')));
    expect(shape(delivery)).toEqual(shape(readFixture('ses-delivery.json')));
    expect(published.slice(-2)).toEqual([bounce, delivery]);

    const mail = bounce!.mail;
    const sent = parseHeaders(FIXTURE_LIKE_HEADERS('bounce@simulator.amazonses.com'));
    expect(mail).toEqual({
      timestamp: '2025-11-03T13:17:26.115Z',
      source: 'test@example.test',
      sourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/example.test',
      sourceIp: '127.0.0.1',
      callerIdentity: 'ses-smtp-user.bounce-origin-test',
      sendingAccountId: '123456789012',
      messageId: r1.reply.slice(7),
      destination: ['bounce@simulator.amazonses.com'],
      headersTruncated: false,
      headers: [{ name: 'Received', value: mail.headers[0]!.value }, ...sent],
      commonHeaders: {
        from: ['test@example.test'],
        date: 'Mon, 03 Nov 2025 13:17:26 +0000',
        to: ['bounce@simulator.amazonses.com'],
        messageId: '<6908ab66.sKstWi24GnruRFNe%test@example.test>',
        subject: 'mail subject',
      },
    });
    expect(mail.headers[0]!.value).toMatch(
      /^from internal-mta\.example\.test \(unknown \[127\.0\.0\.1\]\) by email-smtp\.amazonaws\.com with SMTP \(SimpleEmailService-d-[A-Za-z0-9]{9}\) id [A-Za-z0-9]{20} for bounce@simulator\.amazonses\.com; Mon, 03 Nov 2025 13:17:26 \+0000 \(UTC\)$/,
    );
    expect(ses.accepted.at(-2)).toEqual({
      sesId: r1.reply.slice(7),
      from: 'test@example.test',
      to: ['bounce@simulator.amazonses.com'],
      messageId: '<6908ab66.sKstWi24GnruRFNe%test@example.test>',
      data: FIXTURE_LIKE_HEADERS('bounce@simulator.amazonses.com'),
      clientIp: '127.0.0.1',
    });
    expect(ses.rejected).toEqual([
      { from: '', to: [], reply: '501 Invalid MAIL FROM address provided', stage: 'mail' },
      { from: 'solo@elsewhere.test', to: ['x@example.test'], reply: UNVERIFIED_554('solo@elsewhere.test'), stage: 'data' },
      { from: 't@example.test', to: ['x@example.test'], reply: '454 Throttling failure: Maximum sending rate exceeded.', stage: 'data' },
    ]);
  });

  it('reports failed publish calls when closed', async () => {
    const failing = await startSesStandin({ verified: ['example.test'], publish: async () => { throw new Error('topic gone'); } });
    expect((await smtpTransaction({ port: failing.port, from: 'a@example.test', to: ['b@example.test'], data: 'Subject: x\r\n\r\ny\r\n' })).code).toBe(250);
    await expect(failing.close()).rejects.toThrow('SES stand-in: 1 publish call(s) failed: topic gone');
  });
});

const skipPostfix = process.env.BOUNCE_ORIGIN_SKIP_POSTFIX === '1';

describe.skipIf(skipPostfix)('real Postfix relaying to the SES stand-in', () => {
  let ses: SesStandin;
  let pf: PostfixInstance;
  let throttled = 0;

  beforeAll(async () => {
    // Fails every test below with the install hint when Postfix is missing: CI must not pass without it.
    const problem = postfixProblem();
    if (problem) throw new Error(problem);
    ses = await startSesStandin({
      verified: ['example.test'],
      // The first message from slow@ is throttled once, then accepted on Postfix's retry.
      throttle: (from) => from === 'slow@example.test' && throttled++ === 0,
    });
    pf = await startPostfix({ relayPort: ses.port, keep: process.env.BOUNCE_ORIGIN_KEEP_POSTFIX === '1' });
    await pf.waitForLog((l) => l.includes('postfix/master[') && l.includes('daemon started'));
  });
  afterAll(async () => {
    await pf?.stop();
    await ses?.close();
  });

  const relay = (): string => `relay=127.0.0.1[127.0.0.1]:${ses.port}`;
  const resultLine = (qid: string, rcpt: string, status: string) =>
    pf.waitForLog((l) => l.includes(`postfix/smtp[`) && l.includes(`: ${qid}: to=<${rcpt}>, ${relay()}`) && l.includes(`status=${status} (`));

  it('relays SMTP mail from two loopback source IPs and logs the stand-in id in status=sent', async () => {
    const a = await pf.sendSmtp({ sourceIp: '127.0.0.2', from: 'alice@example.test', to: ['success+a@simulator.amazonses.com'] });
    const b = await pf.sendSmtp({ sourceIp: '127.0.0.3', from: 'carol@example.test', to: ['bounce+c@simulator.amazonses.com'] });
    expect(a.queueId).not.toBe(b.queueId);
    for (const [msg, ip, rcpt] of [[a, '127.0.0.2', 'success+a@simulator.amazonses.com'], [b, '127.0.0.3', 'bounce+c@simulator.amazonses.com']] as const) {
      await pf.waitForLog((l) => l.includes('postfix/smtpd[') && l.endsWith(`: ${msg.queueId}: client=unknown[${ip}]`));
      const sent = await resultLine(msg.queueId, rcpt, 'sent');
      const accepted = ses.accepted.find((m) => m.messageId === msg.messageId)!;
      expect(accepted).toMatchObject({ to: [rcpt], clientIp: '127.0.0.1' });
      expect(sent).toContain(`dsn=2.0.0, status=sent (250 Ok ${accepted.sesId})`);
      // Postfix's own Received header names the client IP and queue id: the daemon can match on it.
      const mail = ses.notifications.find((n) => n.mail.messageId === accepted.sesId)!.mail;
      expect(mail.headers[1]).toEqual({
        name: 'Received',
        value: expect.stringMatching(new RegExp(`^from client\\.example\\.test \\(unknown \\[${ip.replace(/\./g, '\\.')}\\]\\) by internal-mta\\.example\\.test \\(Postfix\\) with ESMTP id ${msg.queueId} for <${rcpt.replace(/[+.]/g, '\\$&')}>; `)),
      });
    }
    // The two messages go out over two parallel smtp processes, so look each one up rather than rely on order.
    const types = (id: string | null) => ses.notifications.filter((n) => n.mail.commonHeaders.messageId === id).map((n) => n.notificationType);
    expect([types(a.messageId), types(b.messageId)]).toEqual([['Delivery'], ['Bounce']]);
  });

  it('relays a two-recipient message in one SES transaction: both status=sent lines carry the same id', async () => {
    const rcpts = ['success+two@simulator.amazonses.com', 'bounce+two@simulator.amazonses.com'];
    const m = await pf.sendSmtp({ sourceIp: '127.0.0.4', from: 'two@example.test', to: rcpts });
    const lines = [await resultLine(m.queueId, rcpts[0]!, 'sent'), await resultLine(m.queueId, rcpts[1]!, 'sent')];
    const accepted = ses.accepted.find((a) => a.messageId === m.messageId)!;
    // qmgr, not the submission, decides the RCPT order.
    expect([...accepted.to].sort()).toEqual([...rcpts].sort());
    for (const l of lines) expect(l).toContain(`status=sent (250 Ok ${accepted.sesId})`);
    expect(ses.notifications.filter((n) => n.mail.messageId === accepted.sesId).map((n) => [n.notificationType, n.mail.destination]))
      .toEqual([['Delivery', accepted.to], ['Bounce', accepted.to]]);
  });

  it('relays mail submitted with sendmail as two different users; pickup logs their uids', async () => {
    const users = [{ user: 'nobody', uid: 65534 }, { user: 'daemon', uid: 1 }];
    for (const { user, uid } of users) {
      const rcpt = `success+${user}@simulator.amazonses.com`;
      const from = `${user}@internal-mta.example.test`;
      const r = await pf.sendmail({ user, from, to: [rcpt] });
      expect(r.uid).toBe(uid);
      const qid = await pf.queueIdOf(r.messageId!);
      await pf.waitForLog((l) => l.includes(`postfix/pickup[`) && l.endsWith(`: ${qid}: uid=${uid} from=<${from}>`));
      const sent = await resultLine(qid, rcpt, 'sent');
      const accepted = ses.accepted.find((m) => m.messageId === r.messageId)!;
      expect(sent).toContain(`status=sent (250 Ok ${accepted.sesId})`);
      const mail = ses.notifications.find((n) => n.mail.messageId === accepted.sesId)!.mail;
      expect(mail.headers[1]!.value).toMatch(new RegExp(`^by internal-mta\\.example\\.test \\(Postfix, from userid ${uid}\\) id ${qid}; `));
    }
  });

  it('bounces an unverified sender on the 554, and its bounce notice on the 501 for MAIL FROM:<>', async () => {
    const m = await pf.sendSmtp({ sourceIp: '127.0.0.2', from: 'mallory@unverified.test', to: ['success+m@simulator.amazonses.com'] });
    const bounced = await resultLine(m.queueId, 'success+m@simulator.amazonses.com', 'bounced');
    expect(bounced).toContain(
      `dsn=5.0.0, status=bounced (host 127.0.0.1[127.0.0.1] said: ${UNVERIFIED_554('mallory@unverified.test')} (in reply to end of DATA command))`,
    );
    const notice = await pf.waitForLog((l) => l.includes(`postfix/bounce[`) && l.includes(`: ${m.queueId}: sender non-delivery notification: `));
    const noticeId = notice.slice(notice.lastIndexOf(' ') + 1);
    await pf.waitForLog((l) => l.includes('postfix/qmgr[') && l.includes(`: ${noticeId}: from=<>, size=`) && l.endsWith('nrcpt=1 (queue active)'));
    const noticeResult = await resultLine(noticeId, 'mallory@unverified.test', 'bounced');
    expect(noticeResult).toContain(
      'dsn=5.0.0, status=bounced (host 127.0.0.1[127.0.0.1] said: 501 Invalid MAIL FROM address provided (in reply to MAIL FROM command))',
    );
    await pf.waitForLog((l) => l.endsWith(`: ${noticeId}: removed`));
    expect(ses.accepted.some((a) => a.from === 'mallory@unverified.test')).toBe(false);
  });

  it('defers on the 454 throttle and delivers on the retry that flush() asks for', async () => {
    const m = await pf.sendSmtp({ from: 'slow@example.test', to: ['success+slow@simulator.amazonses.com'] });
    const deferred = await resultLine(m.queueId, 'success+slow@simulator.amazonses.com', 'deferred');
    expect(deferred).toContain(
      'status=deferred (host 127.0.0.1[127.0.0.1] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command))',
    );
    await pf.flush();
    const sent = await resultLine(m.queueId, 'success+slow@simulator.amazonses.com', 'sent');
    expect(sent).toContain(`status=sent (250 Ok ${ses.accepted.find((a) => a.messageId === m.messageId)!.sesId})`);
  });

  it('rotates the log with postfix logrotate into maillog.YYYYMMDD-HHMMSS.gz and keeps logging to a new maillog', async () => {
    const firstSent = pf.logLines().find((l) => l.includes('status=sent (250 Ok '))!;
    expect(firstSent).toBeDefined();
    const rotated = await pf.logrotate();
    expect(path.dirname(rotated)).toBe(pf.dir);
    expect(path.basename(rotated)).toMatch(/^maillog\.\d{8}-\d{6}\.gz$/);
    const old = zlib.gunzipSync(fs.readFileSync(rotated)).toString('utf8');
    expect(old.split('\n')).toContain(firstSent);

    const m = await pf.sendSmtp({ sourceIp: '127.0.0.3', from: 'after@example.test', to: ['success+after@simulator.amazonses.com'] });
    const sent = await resultLine(m.queueId, 'success+after@simulator.amazonses.com', 'sent');
    const current = fs.readFileSync(pf.logPath, 'utf8').split('\n');
    expect(current).toContain(sent);
    expect(current).not.toContain(firstSent);
    expect(old.split('\n')).not.toContain(sent);
    // The follower kept the lines from before the rotation.
    expect(pf.logLines()).toEqual(expect.arrayContaining([firstSent, sent]));
  });
});
