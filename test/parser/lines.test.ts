// Real Postfix lines per daemon, with the whole event each must produce.
// Sources: Lightmeter ControlCenter test_files/postfix_logs (LM), postfix-grok-patterns test
// cases (GROK), and lines built from the format strings in Postfix's sources where no public
// sample was found (SRC: file named).
import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/parser/index.js';
import { YearInference } from '../../src/parser/year.js';
import type { ClientEvent, DeliveryEvent, ParseResult, PostfixEvent, RejectEvent } from '../../src/parser/types.js';

const years = () => new YearInference({ now: () => new Date(2025, 10, 10).getTime() });
const parse = (line: string): ParseResult => parseLine(line, years());

/** Prefixes a message with a syslog stamp and tag, like the log would. */
const at = (tag: string, text: string) => `Nov  3 12:57:23 mx ${tag}[4242]: ${text}`;

function eventOf(line: string): PostfixEvent {
  const r = parse(line);
  if (r.type !== 'event') throw new Error(`expected an event, got ${r.type}: ${r.type === 'malformed' ? r.reason : line}`);
  return r.event;
}

const client = (e: Partial<ClientEvent> & Pick<ClientEvent, 'queueId' | 'clientHost' | 'clientIp'>): ClientEvent => ({
  kind: 'client', clientPort: null, saslMethod: null, saslUsername: null, origQueueId: null, origClientHost: null, origClientIp: null, ...e,
});
const reject = (e: Partial<RejectEvent> & Pick<RejectEvent, 'queueId' | 'stage' | 'reason'>): RejectEvent => ({
  kind: 'reject', action: 'reject', command: null, clientHost: null, clientIp: null, smtpCode: null, dsn: null, sender: null, recipient: null, ...e,
});
const delivery = (e: Partial<DeliveryEvent> & Pick<DeliveryEvent, 'queueId' | 'agent' | 'recipient' | 'status' | 'reply'>): DeliveryEvent => ({
  kind: 'delivery', origTo: null, relay: null, delay: null, dsn: null, sesMessageId: null, childQueueId: null, smtpCode: null, remoteReply: false, ...e,
});

const cases = (rows: Array<[string, string, PostfixEvent]>) =>
  it.each(rows)('%s', (_name, line, event) => {
    expect(eventOf(line)).toEqual(event);
  });

describe('smtpd client=', () => {
  cases([
    ['SASL submission (LM 13)',
      'Feb  7 03:40:14 vsrv-postfix postfix/submission/smtpd[1437567]: BABABABABABA: client=h-2ee7ba9722900c79[222.162.214.254], sasl_method=PLAIN, sasl_username=h-09ff0f75467ee7f00f@h-e858bb21f.com',
      client({ queueId: 'BABABABABABA', clientHost: 'h-2ee7ba9722900c79', clientIp: '222.162.214.254', saslMethod: 'PLAIN', saslUsername: 'h-09ff0f75467ee7f00f@h-e858bb21f.com' })],
    ['plain client (GROK smtpd_0003)',
      at('postfix/smtpd', '4104E3D: client=061238241086.static.ctinets.com[61.238.241.86]'),
      client({ queueId: '4104E3D', clientHost: '061238241086.static.ctinets.com', clientIp: '61.238.241.86' })],
    ['re-injection after a content filter, XFORWARD (LM 8)',
      'Oct 13 16:40:42 ucs postfix/smtpd[18581]: ED01244770: client=localhost[127.0.0.1], orig_queue_id=4F5C64474F, orig_client=unknown[28.55.140.112]',
      client({ queueId: 'ED01244770', clientHost: 'localhost', clientIp: '127.0.0.1', origQueueId: '4F5C64474F', origClientHost: 'unknown', origClientIp: '28.55.140.112' })],
    ['IPv6 with port (smtpd_client_port_logging)',
      at('postfix/smtpd', '3F1A2B3C4D: client=mail.example.org[2001:db8::1]:51234'),
      client({ queueId: '3F1A2B3C4D', clientHost: 'mail.example.org', clientIp: '2001:db8::1', clientPort: 51234 })],
    ['IPv6 loopback',
      at('postfix/smtpd', '3F1A2B3C4D: client=localhost[::1]'),
      client({ queueId: '3F1A2B3C4D', clientHost: 'localhost', clientIp: '::1' })],
    ['unknown host name',
      at('postfix/smtpd', '3F1A2B3C4D: client=unknown[10.0.0.1]'),
      client({ queueId: '3F1A2B3C4D', clientHost: 'unknown', clientIp: '10.0.0.1' })],
    ['all SASL and XFORWARD fields (SRC smtpd_sasl_proto.c)',
      at('postfix/submission/smtpd', '3F1A2B3C4D: client=a.example[192.0.2.7]:587, sasl_method=LOGIN, sasl_username=alice, sasl_sender=bob@example.com, orig_queue_id=9D8C7B6A5F, orig_client=b.example[2001:db8::7]:4444'),
      client({ queueId: '3F1A2B3C4D', clientHost: 'a.example', clientIp: '192.0.2.7', clientPort: 587, saslMethod: 'LOGIN', saslUsername: 'alice', origQueueId: '9D8C7B6A5F', origClientHost: 'b.example', origClientIp: '2001:db8::7' })],
    ['user name with a comma and space',
      at('postfix/smtpd', '3F1A2B3C4D: client=a.example[192.0.2.7], sasl_method=PLAIN, sasl_username=Doe, John'),
      client({ queueId: '3F1A2B3C4D', clientHost: 'a.example', clientIp: '192.0.2.7', saslMethod: 'PLAIN', saslUsername: 'Doe, John' })],
    ['long queue id (enable_long_queue_ids)',
      at('postfix/smtpd', '4Nv9Xr1Fkbz9vDk: client=unknown[192.0.2.8]'),
      client({ queueId: '4Nv9Xr1Fkbz9vDk', clientHost: 'unknown', clientIp: '192.0.2.8' })],
    ['qmqpd logs the same shape (SRC qmqpd.c)',
      at('postfix/qmqpd', '3F1A2B3C4D: client=list.example[192.0.2.9]'),
      client({ queueId: '3F1A2B3C4D', clientHost: 'list.example', clientIp: '192.0.2.9' })],
  ]);
});

describe('smtpd / postscreen rejections', () => {
  cases([
    ['NOQUEUE reject RCPT (GROK smtpd_0004)',
      at('postfix/smtpd', 'NOQUEUE: reject: RCPT from 061238241086.static.ctinets.com[61.238.241.86]: 550 5.1.1 <toernooicommissie@example.com>: Recipient address rejected: User unknown in virtual mailbox table; from=<wumt5@cchfdc.com> to=<toernooicommissie@example.com> proto=ESMTP helo=<ecsolved.com>'),
      reject({ queueId: null, stage: 'smtpd', command: 'RCPT', clientHost: '061238241086.static.ctinets.com', clientIp: '61.238.241.86', smtpCode: 550, dsn: '5.1.1',
        reason: '550 5.1.1 <toernooicommissie@example.com>: Recipient address rejected: User unknown in virtual mailbox table', sender: 'wumt5@cchfdc.com', recipient: 'toernooicommissie@example.com' })],
    ['relay access denied',
      at('postfix/smtpd', 'NOQUEUE: reject: RCPT from unknown[192.0.2.10]: 554 5.7.1 <x@example.net>: Relay access denied; from=<a@example.org> to=<x@example.net> proto=ESMTP helo=<h.example>'),
      reject({ queueId: null, stage: 'smtpd', command: 'RCPT', clientHost: 'unknown', clientIp: '192.0.2.10', smtpCode: 554, dsn: '5.7.1',
        reason: '554 5.7.1 <x@example.net>: Relay access denied', sender: 'a@example.org', recipient: 'x@example.net' })],
    ['IPv6 client (GROK smtpd_0008)',
      at('postfix/smtpd', 'NOQUEUE: reject: RCPT from unknown[2001:980:cfb1:1:82f:f74e:a45c:3033]: 504 5.5.2 <aap@henk>: Sender address rejected: need fully-qualified address; from=<aap@henk> to=<user@example.com> proto=SMTP helo=<test>'),
      reject({ queueId: null, stage: 'smtpd', command: 'RCPT', clientHost: 'unknown', clientIp: '2001:980:cfb1:1:82f:f74e:a45c:3033', smtpCode: 504, dsn: '5.5.2',
        reason: '504 5.5.2 <aap@henk>: Sender address rejected: need fully-qualified address', sender: 'aap@henk', recipient: 'user@example.com' })],
    ['semicolons inside the reply (GROK smtpd_0009)',
      at('postfix/smtpd', 'NOQUEUE: reject: RCPT from news.zihan-promo.com[192.36.205.58]: 554 5.7.1 Service unavailable; Helo command [news.zihan-promo.com] blocked using dbl.spamhaus.org; http://www.spamhaus.org/query/dbl?domain=zihan-promo.com; from=<mark.alexander@zihan-promo.com> to=<tom@example.com> proto=ESMTP helo=<news.zihan-promo.com>'),
      reject({ queueId: null, stage: 'smtpd', command: 'RCPT', clientHost: 'news.zihan-promo.com', clientIp: '192.36.205.58', smtpCode: 554, dsn: '5.7.1',
        reason: '554 5.7.1 Service unavailable; Helo command [news.zihan-promo.com] blocked using dbl.spamhaus.org; http://www.spamhaus.org/query/dbl?domain=zihan-promo.com',
        sender: 'mark.alexander@zihan-promo.com', recipient: 'tom@example.com' })],
    ['VRFY without sender (GROK smtpd_0017)',
      at('postfix/smtpd', 'NOQUEUE: reject: VRFY from unknown[2001:968:9999:20:88b:9b7d:2a54:2bd2]: 454 4.7.1 <aap@henk.com>: Relay access denied; to=<aap@henk.com> proto=SMTP helo=<me>'),
      reject({ queueId: null, stage: 'smtpd', command: 'VRFY', clientHost: 'unknown', clientIp: '2001:968:9999:20:88b:9b7d:2a54:2bd2', smtpCode: 454, dsn: '4.7.1',
        reason: '454 4.7.1 <aap@henk.com>: Relay access denied', recipient: 'aap@henk.com' })],
    ['with a queue id and the null sender (LM 99)',
      'Dec 19 19:42:14 sm02 postfix/submission/smtpd[21379]: D155CDC24C3: reject: RCPT from unknown[30.207.11.100]: 450 4.7.1 <>: Sender address rejected: You are sending too many emails, contact helpdesk; from=<> to=<h-2d34d8bb8@h-93a1a37cd1.com> proto=ESMTP helo=<localhost>',
      reject({ queueId: 'D155CDC24C3', stage: 'smtpd', command: 'RCPT', clientHost: 'unknown', clientIp: '30.207.11.100', smtpCode: 450, dsn: '4.7.1',
        reason: '450 4.7.1 <>: Sender address rejected: You are sending too many emails, contact helpdesk', sender: '', recipient: 'h-2d34d8bb8@h-93a1a37cd1.com' })],
    ['milter-reject at RCPT (SRC smtpd_check.c log_whatsup)',
      at('postfix/smtpd', 'NOQUEUE: milter-reject: RCPT from unknown[192.0.2.11]: 451 4.7.1 Service unavailable - try again later; from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<h>'),
      reject({ queueId: null, stage: 'smtpd', action: 'milter-reject', command: 'RCPT', clientHost: 'unknown', clientIp: '192.0.2.11', smtpCode: 451, dsn: '4.7.1',
        reason: '451 4.7.1 Service unavailable - try again later', sender: 'a@example.org', recipient: 'b@example.net' })],
    ['discard action (SRC smtpd_check.c)',
      at('postfix/smtpd', '4F3A2B1C0D: discard: RCPT from host.example[192.0.2.12]: <a@example.org>: Sender address triggers DISCARD action; from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<host.example>'),
      reject({ queueId: '4F3A2B1C0D', stage: 'smtpd', action: 'discard', command: 'RCPT', clientHost: 'host.example', clientIp: '192.0.2.12',
        reason: '<a@example.org>: Sender address triggers DISCARD action', sender: 'a@example.org', recipient: 'b@example.net' })],
    ['before-queue filter proxy-reject (GROK smtpd_0022)',
      at('postfix/smtpd', 'NOQUEUE: proxy-reject: END-OF-MESSAGE: 554 5.7.0 Reject, contact postmaster@example.com, id=31619-02 - spam; from=<> to=<user2@example2.com> proto=SMTP helo=<17.33.12.53>'),
      reject({ queueId: null, stage: 'smtpd', action: 'proxy-reject', command: 'END-OF-MESSAGE', smtpCode: 554, dsn: '5.7.0',
        reason: '554 5.7.0 Reject, contact postmaster@example.com, id=31619-02 - spam', sender: '', recipient: 'user2@example2.com' })],
    ['proxy-reject with an empty reply (GROK smtpd_0021)',
      at('postfix/smtpd', 'NOQUEUE: proxy-reject: END-OF-MESSAGE: ; from=<user1@test.example.com> to=<user2@example2.com> proto=ESMTP helo=<[192.168.0.16]>'),
      reject({ queueId: null, stage: 'smtpd', action: 'proxy-reject', command: 'END-OF-MESSAGE', reason: '', sender: 'user1@test.example.com', recipient: 'user2@example2.com' })],
    ['postscreen, comma-separated trailer (GROK postscreen_0027)',
      at('postfix/postscreen', 'NOQUEUE: reject: RCPT from [182.98.255.184]:2413: 550 5.5.1 Protocol error; from=<lvtowxfdp@yahoo.com>, to=<tom@example.com>, proto=SMTP, helo=<mx32.usaindiamunish.net>'),
      reject({ queueId: null, stage: 'postscreen', command: 'RCPT', clientIp: '182.98.255.184', smtpCode: 550, dsn: '5.5.1', reason: '550 5.5.1 Protocol error', sender: 'lvtowxfdp@yahoo.com', recipient: 'tom@example.com' })],
    ['postscreen without trailer (GROK postscreen_0023)',
      at('postfix/postscreen', 'NOQUEUE: reject: CONNECT from [1.2.3.4]:1337: too many connections'),
      reject({ queueId: null, stage: 'postscreen', command: 'CONNECT', clientIp: '1.2.3.4', reason: 'too many connections' })],
  ]);
});

describe('pickup', () => {
  cases([
    ['local submission (GROK pickup_0001)', at('postfix/pickup', 'D2FAE20586: uid=0 from=<fail2ban>'),
      { kind: 'pickup', queueId: 'D2FAE20586', uid: 0, sender: 'fail2ban', origQueueId: null }],
    ['LM 21', 'Jun 20 05:02:55 ns4 postfix/pickup[26756]: 848F1657D: uid=2002 from=<h-195704c@h-20b651e8120a33ec11.com>',
      { kind: 'pickup', queueId: '848F1657D', uid: 2002, sender: 'h-195704c@h-20b651e8120a33ec11.com', origQueueId: null }],
    ['re-queued with postsuper -r (SRC pickup.c)', at('postfix/pickup', '7D1E2F3A4B: uid=89 from=<a@example.org> orig_id=1A2B3C4D5E'),
      { kind: 'pickup', queueId: '7D1E2F3A4B', uid: 89, sender: 'a@example.org', origQueueId: '1A2B3C4D5E' }],
    ['null sender', at('postfix/pickup', '7D1E2F3A4B: uid=1000 from=<>'),
      { kind: 'pickup', queueId: '7D1E2F3A4B', uid: 1000, sender: '', origQueueId: null }],
  ]);
});

describe('cleanup', () => {
  const mid = (raw: string, messageId: string | null): PostfixEvent => ({ kind: 'message-id', queueId: '0F5383D', raw, messageId });
  cases([
    ['message-id (GROK cleanup_0001)', at('postfix/cleanup', '0F5383D: message-id=<544D2523.30609@rhsoft.net>'), mid('<544D2523.30609@rhsoft.net>', '544D2523.30609@rhsoft.net')],
    ['empty <> (GROK cleanup_0002, LM 13)', at('postfix/cleanup', '0F5383D: message-id=<>'), mid('<>', null)],
    ['no brackets (LM 22 style)', at('postfix/cleanup', '0F5383D: message-id=super-message-id'), mid('super-message-id', 'super-message-id')],
    ['junk after >', at('postfix/cleanup', '0F5383D: message-id=<abc@example.org> (added by postmaster@example.org)'), mid('<abc@example.org> (added by postmaster@example.org)', 'abc@example.org')],
    ['empty value', at('postfix/cleanup', '0F5383D: message-id='), mid('', null)],
    ['blank value', at('postfix/cleanup', '0F5383D: message-id=   '), mid('   ', null)],
    ['unclosed bracket keeps the trimmed raw', at('postfix/cleanup', '0F5383D: message-id=<abc@example.org '), mid('<abc@example.org ', '<abc@example.org')],
    ['multi-part tag (LM 3)', 'Jan 10 16:15:30 mail postfix/sender-cleanup/cleanup[11989]: 0F5383D: message-id=<414300fb-b063-fa96-4fc6-2d35b3168d61@example.com>',
      mid('<414300fb-b063-fa96-4fc6-2d35b3168d61@example.com>', '414300fb-b063-fa96-4fc6-2d35b3168d61@example.com')],
    ['milter-reject (LM 15)',
      'Jan 25 18:54:51 mx postfix/cleanup[8966]: B37FD2E05B9: milter-reject: END-OF-MESSAGE from h-ca74a0a011076cd81347f8f11e[254.65.43.194]: 4.7.1 Try again later; from=<bounce+1b6a63.922c68-christoph=h-ffd2115d4f@h-79b594737831a5d176dabf9.com> to=<h-7abde52c2@h-ffd2115d4f.com> proto=ESMTP helo=<h-ca74a0a011076cd81347f8f11e>',
      reject({ queueId: 'B37FD2E05B9', stage: 'cleanup', action: 'milter-reject', command: 'END-OF-MESSAGE', clientHost: 'h-ca74a0a011076cd81347f8f11e', clientIp: '254.65.43.194',
        dsn: '4.7.1', reason: '4.7.1 Try again later', sender: 'bounce+1b6a63.922c68-christoph=h-ffd2115d4f@h-79b594737831a5d176dabf9.com', recipient: 'h-7abde52c2@h-ffd2115d4f.com' })],
    ['header_checks reject (SRC cleanup_message.c cleanup_act_log)',
      at('postfix/cleanup', '5A6B7C8D9E: reject: header Subject: spam from host[1.2.3.4]; from=<a@example.org> to=<b@example.net> proto=ESMTP helo=<h>: 5.7.1 message content rejected'),
      reject({ queueId: '5A6B7C8D9E', stage: 'cleanup', clientHost: 'host', clientIp: '1.2.3.4', dsn: '5.7.1', reason: '5.7.1 message content rejected', sender: 'a@example.org', recipient: 'b@example.net' })],
    ['header with "from" and ";" in it, local origin',
      at('postfix/cleanup', '5A6B7C8D9E: discard: header Received: from x.example (x.example [192.0.2.1]); Mon, 3 Nov 2025 from local; from=<root@example.org> to=<b@example.net>: spam trap'),
      reject({ queueId: '5A6B7C8D9E', stage: 'cleanup', action: 'discard', reason: 'spam trap', sender: 'root@example.org', recipient: 'b@example.net' })],
    ['hold without text names the match',
      at('postfix/cleanup', '5A6B7C8D9E: hold: body Click here from mail.example[192.0.2.5]; from=<a@example.org> to=<b@example.net> proto=SMTP helo=<mail.example>'),
      reject({ queueId: '5A6B7C8D9E', stage: 'cleanup', action: 'hold', clientHost: 'mail.example', clientIp: '192.0.2.5', reason: 'body Click here', sender: 'a@example.org', recipient: 'b@example.net' })],
  ]);
});

describe('qmgr and postsuper', () => {
  cases([
    ['queue active (GROK qmgr_0002)', at('postfix/qmgr', '0F5383D: from=<owner-postfix-users@postfix.org>, size=5360, nrcpt=1 (queue active)'),
      { kind: 'queued', queueId: '0F5383D', sender: 'owner-postfix-users@postfix.org', size: 5360, nrcpt: 1 }],
    ['null sender', at('postfix/qmgr', '8606813DBB1: from=<>, size=2862, nrcpt=1 (queue active)'),
      { kind: 'queued', queueId: '8606813DBB1', sender: '', size: 2862, nrcpt: 1 }],
    ['expired (LM 18)', 'Sep 30 20:46:08 smtpnode16 postfix-239.58.50.50/qmgr[31214]: 23EBE3D5C0: from=<h-498b874f2bf0cf639807ad80e1@h-5e67b9b4406.com>, status=expired, returned to sender',
      { kind: 'expired', queueId: '23EBE3D5C0', sender: 'h-498b874f2bf0cf639807ad80e1@h-5e67b9b4406.com', status: 'expired, returned to sender' }],
    ['force-expired (SRC qmgr_active.c)', at('postfix/qmgr', '23EBE3D5C0: from=<a@example.org>, status=force-expired, returned to sender'),
      { kind: 'expired', queueId: '23EBE3D5C0', sender: 'a@example.org', status: 'force-expired, returned to sender' }],
    ['removed (GROK qmgr_0001)', at('postfix/qmgr', '0F5383D: removed'), { kind: 'removed', queueId: '0F5383D' }],
    ['postsuper -d', at('postfix/postsuper', '0F5383D: removed'), { kind: 'removed', queueId: '0F5383D' }],
    ['qmgr defers without a delivery agent (SRC qmgr_defer.c)',
      at('postfix/qmgr', '9C8D7E6F5A: to=<user@example.com>, relay=none, delay=2.1, delays=2.1/0/0/0, dsn=4.3.2, status=deferred (delivery temporarily suspended: connect to example.com[192.0.2.1]:25: Connection refused)'),
      delivery({ queueId: '9C8D7E6F5A', agent: 'qmgr', recipient: 'user@example.com', relay: 'none', delay: 2.1, dsn: '4.3.2', status: 'deferred',
        reply: 'delivery temporarily suspended: connect to example.com[192.0.2.1]:25: Connection refused' })],
  ]);
});

describe('delivery agents', () => {
  cases([
    ['local with orig_to and a quoted command (LM 21)',
      'Jun 20 05:02:07 ns4 postfix/local[16460]: 95154657C: to=<h-493fac8f3@h-ea3f4afa.com>, orig_to=<h-195704c@h-20b651e8120a33ec11.com>, relay=local, delay=0.1, delays=0.09/0/0/0.01, dsn=2.0.0, status=sent (delivered to command: procmail -a "$EXTENSION" DEFAULT=$HOME/Maildir/)',
      delivery({ queueId: '95154657C', agent: 'local', recipient: 'h-493fac8f3@h-ea3f4afa.com', origTo: 'h-195704c@h-20b651e8120a33ec11.com', relay: 'local', delay: 0.1, dsn: '2.0.0', status: 'sent',
        reply: 'delivered to command: procmail -a "$EXTENSION" DEFAULT=$HOME/Maildir/' })],
    ['local alias forwarding: forwarded as is always our child (SRC local/forward.c)',
      at('postfix/local', '0B73130001FB: to=<alias@example.com>, relay=local, delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, status=sent (forwarded as 7E9A21A0B3C)'),
      delivery({ queueId: '0B73130001FB', agent: 'local', recipient: 'alias@example.com', relay: 'local', delay: 0.02, dsn: '2.0.0', status: 'sent', reply: 'forwarded as 7E9A21A0B3C', childQueueId: '7E9A21A0B3C' })],
    ['"forwarded as" inside a remote reply is not our child',
      at('postfix/smtp', '0B73130001FB: to=<a@example.net>, relay=mx.example.net[192.0.2.20]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 message forwarded as 7E9A21A0B3C)'),
      delivery({ queueId: '0B73130001FB', agent: 'smtp', recipient: 'a@example.net', relay: 'mx.example.net[192.0.2.20]:25', delay: 1, dsn: '2.0.0', status: 'sent',
        reply: '250 2.0.0 message forwarded as 7E9A21A0B3C', smtpCode: 250, remoteReply: true })],
    ['virtual (LM 22)',
      'Jul  8 17:05:25 mail postfix/virtual[21138]: EA015DF2B6: to=<recipient@recipient.example.com>, relay=virtual, delay=0.16, delays=0.11/0.03/0/0.02, dsn=2.0.0, status=sent (delivered to maildir)',
      delivery({ queueId: 'EA015DF2B6', agent: 'virtual', recipient: 'recipient@recipient.example.com', relay: 'virtual', delay: 0.16, dsn: '2.0.0', status: 'sent', reply: 'delivered to maildir' })],
    ['content filter on loopback, amavis "from MTA(" (LM 8)',
      'Oct 13 16:40:42 ucs postfix/smtp[18572]: 4F5C64474F: to=<h-14a52d@h-d6b1ceccbb3bc48.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=2.7, delays=0.25/0.02/0.01/2.4, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as ED01244770)',
      delivery({ queueId: '4F5C64474F', agent: 'smtp', recipient: 'h-14a52d@h-d6b1ceccbb3bc48.com', relay: '127.0.0.1[127.0.0.1]:10024', delay: 2.7, dsn: '2.0.0', status: 'sent',
        reply: '250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as ED01244770', childQueueId: 'ED01244770', smtpCode: 250, remoteReply: true })],
    ['relay to self on loopback (GROK smtp_0001)',
      at('postfix/smtp', '7EE668039: to=<admin@example.com>, relay=127.0.0.1[127.0.0.1]:2525, delay=3.6, delays=0.2/0.02/0.04/3.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 153053D)'),
      delivery({ queueId: '7EE668039', agent: 'smtp', recipient: 'admin@example.com', relay: '127.0.0.1[127.0.0.1]:2525', delay: 3.6, dsn: '2.0.0', status: 'sent',
        reply: '250 2.0.0 Ok: queued as 153053D', childQueueId: '153053D', smtpCode: 250, remoteReply: true })],
    ['IPv6 loopback filter',
      at('postfix/lmtp', '7EE668039: to=<admin@example.com>, relay=localhost[::1]:10024, delay=0.5, delays=0.1/0/0.1/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4Nv9Xr1Fkbz9vDk)'),
      delivery({ queueId: '7EE668039', agent: 'lmtp', recipient: 'admin@example.com', relay: 'localhost[::1]:10024', delay: 0.5, dsn: '2.0.0', status: 'sent',
        reply: '250 2.0.0 Ok: queued as 4Nv9Xr1Fkbz9vDk', childQueueId: '4Nv9Xr1Fkbz9vDk', smtpCode: 250, remoteReply: true })],
    ['remote MTA queue id is not ours (GROK smtp_0002)',
      at('postfix/smtp', '0D9633D: to=<jos@example.com>, orig_to=<bestuur@example.com>, relay=mail1.example.net[10.74.103.11]:25, delay=11, delays=5.4/0.06/5.1/0.03, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as F12DF84004)'),
      delivery({ queueId: '0D9633D', agent: 'smtp', recipient: 'jos@example.com', origTo: 'bestuur@example.com', relay: 'mail1.example.net[10.74.103.11]:25', delay: 11, dsn: '2.0.0', status: 'sent',
        reply: '250 2.0.0 Ok: queued as F12DF84004', smtpCode: 250, remoteReply: true })],
    ['lmtp to dovecot over a UNIX socket (LM 3)',
      'Jan 10 16:15:30 mail postfix/lmtp[11996]: 400643011B47: to=<recipient@example.com>, relay=mail.example.com[/var/run/dovecot/lmtp], delay=0.06, delays=0.02/0.02/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 <recipient@example.com> hz3kESIo+1/dLgAAWP5Hkg Saved)',
      delivery({ queueId: '400643011B47', agent: 'lmtp', recipient: 'recipient@example.com', relay: 'mail.example.com[/var/run/dovecot/lmtp]', delay: 0.06, dsn: '2.0.0', status: 'sent',
        reply: '250 2.0.0 <recipient@example.com> hz3kESIo+1/dLgAAWP5Hkg Saved', smtpCode: 250, remoteReply: true })],
    ['deferred: host said (LM 18)',
      'Sep 25 18:26:36 smtpnode16 postfix-239.58.50.50/smtp[5084]: 23EBE3D5C0: to=<h-664d01@h-695da2287.com>, relay=ALT2.ASPMX.L.GOOGLE.com[3.155.237.60]:25, delay=2, delays=0.18/0/1.6/0.19, dsn=4.1.1, status=deferred (host ALT2.ASPMX.L.GOOGLE.com[3.155.237.60] said: 452 4.1.1 <h-664d01@h-695da2287.com> user is over quota, please try again later (in reply to RCPT TO command))',
      delivery({ queueId: '23EBE3D5C0', agent: 'smtp', recipient: 'h-664d01@h-695da2287.com', relay: 'ALT2.ASPMX.L.GOOGLE.com[3.155.237.60]:25', delay: 2, dsn: '4.1.1', status: 'deferred',
        reply: 'host ALT2.ASPMX.L.GOOGLE.com[3.155.237.60] said: 452 4.1.1 <h-664d01@h-695da2287.com> user is over quota, please try again later (in reply to RCPT TO command)', smtpCode: 452, remoteReply: true })],
    ['multi-line 550- reply over IPv6 (GROK smtp_0018)',
      at('postfix/smtp', '4E74613FE76: to=<redacted@gmail.com>, relay=gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b]:25, delay=1.9, delays=0.05/0/1.1/0.71, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b] said: 550-5.7.1 [2607:4100:3:25:100::2      12] Our system has detected that this 550-5.7.1 message is likely unsolicited mail. (in reply to end of DATA command))'),
      delivery({ queueId: '4E74613FE76', agent: 'smtp', recipient: 'redacted@gmail.com', relay: 'gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b]:25', delay: 1.9, dsn: '5.7.1', status: 'bounced',
        reply: 'host gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b] said: 550-5.7.1 [2607:4100:3:25:100::2      12] Our system has detected that this 550-5.7.1 message is likely unsolicited mail. (in reply to end of DATA command)',
        smtpCode: 550, remoteReply: true })],
    ['greeting refused (SRC smtp_proto.c)',
      at('postfix/smtp', '23EBE3D5C0: to=<a@example.net>, relay=mx.example.net[192.0.2.20]:25, delay=0.3, delays=0/0/0.3/0, dsn=5.0.0, status=bounced (host mx.example.net[192.0.2.20] refused to talk to me: 554 5.7.1 blocked)'),
      delivery({ queueId: '23EBE3D5C0', agent: 'smtp', recipient: 'a@example.net', relay: 'mx.example.net[192.0.2.20]:25', delay: 0.3, dsn: '5.0.0', status: 'bounced',
        reply: 'host mx.example.net[192.0.2.20] refused to talk to me: 554 5.7.1 blocked', smtpCode: 554, remoteReply: true })],
    ['connection refused has no SMTP code',
      at('postfix/smtp', '23EBE3D5C0: to=<a@example.net>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.20]:25: Connection refused)'),
      delivery({ queueId: '23EBE3D5C0', agent: 'smtp', recipient: 'a@example.net', relay: 'none', delay: 30, dsn: '4.4.1', status: 'deferred', reply: 'connect to mx.example.net[192.0.2.20]:25: Connection refused' })],
    ['SES id after a conn_use, with tls= (Postfix 3.11) and upper-case OK',
      at('postfix/smtp', 'D1B9013D8FF: to=<a@example.net>, relay=email-smtp.us-east-1.amazonaws.com[52.206.145.59]:587, conn_use=2, delay=0.25, delays=0.01/0.02/0.11/0.1, tls=(may), dsn=2.0.0, status=sent (250 OK 0100019a49cb2f2e-7af4300a-356d-41dc-9fd3-6a64ebb0a3bf-000000)'),
      delivery({ queueId: 'D1B9013D8FF', agent: 'smtp', recipient: 'a@example.net', relay: 'email-smtp.us-east-1.amazonaws.com[52.206.145.59]:587', delay: 0.25, dsn: '2.0.0', status: 'sent',
        reply: '250 OK 0100019a49cb2f2e-7af4300a-356d-41dc-9fd3-6a64ebb0a3bf-000000', sesMessageId: '0100019a49cb2f2e-7af4300a-356d-41dc-9fd3-6a64ebb0a3bf-000000', smtpCode: 250, remoteReply: true })],
    ['fields in another order, quoted local part',
      at('postfix/smtp', 'D1B9013D8FF: to=<"john doe"@example.com>, dsn=2.0.0, relay=mx.example.com[192.0.2.30]:25, delay=1, status=sent (250 2.0.0 Ok: queued as 9F8E7D6C5B)'),
      delivery({ queueId: 'D1B9013D8FF', agent: 'smtp', recipient: '"john doe"@example.com', relay: 'mx.example.com[192.0.2.30]:25', delay: 1, dsn: '2.0.0', status: 'sent',
        reply: '250 2.0.0 Ok: queued as 9F8E7D6C5B', smtpCode: 250, remoteReply: true })],
    ['fields missing',
      at('postfix/error', 'D1B9013D8FF: to=<a@example.net>, status=bounced (User unknown)'),
      delivery({ queueId: 'D1B9013D8FF', agent: 'error', recipient: 'a@example.net', status: 'bounced', reply: 'User unknown' })],
    ['bare addresses in old logs (GROK local_0001)',
      at('postfix/local', '2A22C263F6: to=user@hostname.example.com, orig_to=root@localhost, relay=local, delay=0.07, delays=0.04/0/0/0.03, dsn=2.0.0, status=sent (delivered to command: procmail -a "$EXTENSION")'),
      delivery({ queueId: '2A22C263F6', agent: 'local', recipient: 'user@hostname.example.com', origTo: 'root@localhost', relay: 'local', delay: 0.07, dsn: '2.0.0', status: 'sent',
        reply: 'delivered to command: procmail -a "$EXTENSION"' })],
    ['discard agent (GROK discard_0001)',
      at('postfix/discard', '25F2E5E061: to=<george.desantis@test.example.com>, relay=none, delay=0.05, delays=0.05/0/0/0, dsn=2.0.0, status=sent (test.example.com)'),
      delivery({ queueId: '25F2E5E061', agent: 'discard', recipient: 'george.desantis@test.example.com', relay: 'none', delay: 0.05, dsn: '2.0.0', status: 'sent', reply: 'test.example.com' })],
    ['pipe (GROK pipe_0002)',
      at('postfix/pipe', '153053D: to=<tom@example.com>, orig_to=<admin@example.com>, relay=dovecot, delay=3.4, delays=3.3/0.03/0/0.12, dsn=2.0.0, status=sent (delivered via dovecot service)'),
      delivery({ queueId: '153053D', agent: 'pipe', recipient: 'tom@example.com', origTo: 'admin@example.com', relay: 'dovecot', delay: 3.4, dsn: '2.0.0', status: 'sent', reply: 'delivered via dovecot service' })],
    ['a reply cut off by a syslog size limit keeps its status',
      at('postfix/smtp', 'D1B9013D8FF: to=<a@example.net>, relay=mx.example.net[192.0.2.20]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host mx.example.net[192.0.2.20] said: 550 5.7.1 long text that was cut'),
      delivery({ queueId: 'D1B9013D8FF', agent: 'smtp', recipient: 'a@example.net', relay: 'mx.example.net[192.0.2.20]:25', delay: 1, dsn: '5.7.1', status: 'bounced',
        reply: 'host mx.example.net[192.0.2.20] said: 550 5.7.1 long text that was cut', smtpCode: 550, remoteReply: true })],
  ]);
});

describe('bounce', () => {
  const note = (queueId: string, childQueueId: string, notification: string): PostfixEvent => ({ kind: 'notification', queueId, childQueueId, notification });
  cases([
    ['non-delivery (GROK bounce_0001)', at('postfix/bounce', '17CCA8044: sender non-delivery notification: ADD2F8052'), note('17CCA8044', 'ADD2F8052', 'sender non-delivery')],
    ['delivery status (GROK bounce_0002)', at('postfix/bounce', '65AFB8B5: sender delivery status notification: 1DF35917'), note('65AFB8B5', '1DF35917', 'sender delivery status')],
    ['delay (GROK bounce_0003)', at('postfix/bounce', '264FE1A18: sender delay notification: 0A87A1A08'), note('264FE1A18', '0A87A1A08', 'sender delay')],
    ['postmaster copy (SRC bounce_notify_service.c)', at('postfix/bounce', '264FE1A18: postmaster non-delivery notification: 0A87A1A09'), note('264FE1A18', '0A87A1A09', 'postmaster non-delivery')],
    ['multi-instance tag (LM 18)', 'Sep 30 20:46:08 smtpnode16 postfix-239.58.50.50/bounce[23567]: 23EBE3D5C0: sender non-delivery notification: A7E673C067',
      note('23EBE3D5C0', 'A7E673C067', 'sender non-delivery')],
  ]);
});

describe('lines that say nothing we index', () => {
  it.each([
    ['connect', at('postfix/smtpd', 'connect from unknown[192.0.2.1]')],
    ['disconnect', at('postfix/smtpd', 'disconnect from unknown[28.55.140.112] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5')],
    ['lost connection', at('postfix/smtpd', 'lost connection after STARTTLS from unknown[72.13.58.7]')],
    ['timeout', at('postfix/smtpd', 'timeout after END-OF-MESSAGE from unknown[72.13.58.7]')],
    ['TLS', at('postfix/smtpd', 'Anonymous TLS connection established from julie.example.com[10.163.89.202]: TLSv1.2 with cipher AECDH-AES256-SHA (256/256 bits)')],
    ['warning', at('postfix/smtpd', 'warning: hostname exemple.com does not resolve to address 185.14.29.32')],
    ['filter action (LM 99)', at('postfix/submission/smtpd', 'NOQUEUE: filter: RCPT from unknown[30.207.11.100]: <>: Sender address triggers FILTER smtp-amavis:[127.0.0.1]:10026; from=<> to=<h@example.com> proto=ESMTP helo=<localhost>')],
    ['reject_warning', at('postfix/smtpd', 'NOQUEUE: reject_warning: RCPT from unknown[192.0.2.1]: 554 5.7.1 Relay access denied; from=<a@b> to=<c@d> proto=ESMTP helo=<h>')],
    ['proxy-accept', at('postfix/smtpd', 'NOQUEUE: proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok: queued as DF66E940333; from=<a@b> to=<c@d> proto=ESMTP helo=<[127.0.0.1]>')],
    ['cleanup replace (LM 3)', at('postfix/cleanup', '0B73130001FB: replace: header MIME-Version: 1.0 from i59F7FCE5.versanet.de[89.247.252.229]; from=<sender@example.com> to=<recipient@example.com> proto=ESMTP helo=<[192.168.0.170]>: Mime-Version: 1.0')],
    ['milter-header-redirect (GROK cleanup_0003)', at('postfix/cleanup', '4104E3D: milter-header-redirect: header X-Spam-Status: Yes, score=39.3 from a.example[61.238.241.86]; from=<w@c.com> to=<v@example.com> proto=ESMTP helo=<e.com>: tom@example.com')],
    ['resent-message-id', at('postfix/cleanup', '0F5383D: resent-message-id=<abc@example.org>')],
    ['smtp host said without to= (LM 6)', at('postfix/smtp', 'A17F830001CA: host mailin5.example.com[11.22.33.44] said: 451-You have been greylisted (in reply to RCPT TO command)')],
    ['smtp lost connection (GROK smtp_0006)', at('postfix/smtp', 'B99FE3D: lost connection with mx3.hotmail.com[65.55.37.72] while receiving the initial server greeting')],
    ['qmgr skipped', at('postfix/qmgr', '0F5383D: skipped, still being delivered')],
    ['qmgr warning', at('postfix/qmgr', 'warning: bounce_queue_lifetime is larger than maximal_queue_lifetime - adjusting bounce_queue_lifetime')],
    ['postsuper hold', at('postfix/postsuper', '0F5383D: placed on hold')],
    ['postsuper summary', at('postfix/postsuper', 'Deleted: 1 message')],
    ['anvil statistics', at('postfix/anvil', 'statistics: max connection count 1 for (smtpd:61.238.241.86) at Oct 26 18:13:50')],
    ['postscreen CONNECT', at('postfix/postscreen', 'CONNECT from [61.238.241.86]:53024 to [89.105.204.244]:25')],
    ['master', at('postfix/master', 'daemon started -- version 3.7.11, configuration /etc/postfix')],
    ['trivial-rewrite warning (LM 28)', at('postfix/trivial-rewrite', 'warning: do not list domain example.com in BOTH mydestination and virtual_mailbox_domains')],
    ['unknown Postfix-looking daemon', at('postfix/policy-spf', '0F5383D: removed')],
    ['amavis (LM 8)', 'Oct 13 16:40:42 ucs amavis[10410]: (10410-08) Passed SPAM {RelayedTaggedInbound}, [28.55.140.112]:54908 [224.222.170.185] <> -> <h-14a52d@h-d6b1ceccbb3bc48.com>, Queue-ID: 4F5C64474F, mail_id: eFtKEm8YvMkT, Hits: 5.397, size: 1315, queued_as: ED01244770, 2426 ms'],
    ['opendkim with a queue id (LM 21)', 'Jun 20 05:02:07 ns4 opendkim[2216]: 95154657C: DKIM verification successful'],
    ['dovecot without pid (LM 3)', 'Jan 10 16:15:30 mail dovecot: lmtp(11997): Connect from local'],
    ['a tag without a slash', at('smtpd', '0F5383D: client=unknown[192.0.2.1]')],
    ['syslog repeat marker', 'Nov  3 12:57:23 mx last message repeated 3 times'],
  ])('%s', (_name, line) => {
    const r = parse(line);
    // Well-formed lines keep their record (counted per program by the caller).
    expect(r).toEqual({ type: 'ignored', record: expect.objectContaining({ host: expect.any(String), text: expect.any(String) }) });
  });

  it('ignores empty lines and journalctl markers without a record', () => {
    expect(parse('')).toEqual({ type: 'ignored', record: null });
    expect(parse('-- Boot 0e3b8a6f2c9d4e1f8a7b6c5d4e3f2a1b --')).toEqual({ type: 'ignored', record: null });
    expect(parse('-- No entries --')).toEqual({ type: 'ignored', record: null });
  });

  it('strips a trailing CR (CRLF files)', () => {
    expect(eventOf(at('postfix/qmgr', '0F5383D: removed') + '\r')).toEqual({ kind: 'removed', queueId: '0F5383D' });
  });
});
