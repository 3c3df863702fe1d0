// Every line of the seed log (journalctl short format, Postfix relaying to the SES SMTP interface).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/parser/index.js';
import { YearInference } from '../../src/parser/year.js';
import type { DeliveryEvent, PostfixEvent } from '../../src/parser/types.js';

const lines = readFileSync(fileURLToPath(new URL('../fixtures/journal-short.log', import.meta.url)), 'utf8')
  .split('\n')
  .filter((l) => l !== '');

const HOST = 'ip-172-31-23-99.ec2.internal';
const SENDER = 'test@www.non-97.net';
const ANON = '<送信先メールアドレス>';

const pickup = (queueId: string): PostfixEvent => ({ kind: 'pickup', queueId, uid: 1000, sender: SENDER, origQueueId: null });
const msgid = (queueId: string, id: string): PostfixEvent => ({ kind: 'message-id', queueId, raw: `<${id}>`, messageId: id });
const queued = (queueId: string, size: number, sender = SENDER): PostfixEvent => ({ kind: 'queued', queueId, sender, size, nrcpt: 1 });
const removed = (queueId: string): PostfixEvent => ({ kind: 'removed', queueId });
const ses = (ip: string) => `email-smtp.us-east-1.amazonaws.com[${ip}]:587`;
const delivery = (d: Partial<DeliveryEvent> & Pick<DeliveryEvent, 'queueId' | 'recipient' | 'relay' | 'delay' | 'dsn' | 'status' | 'reply'>): PostfixEvent => ({
  kind: 'delivery', agent: 'smtp', origTo: null, sesMessageId: null, childQueueId: null, smtpCode: null, remoteReply: false, ...d,
});
const sent = (queueId: string, recipient: string, ip: string, delay: number, sesId: string): PostfixEvent =>
  delivery({ queueId, recipient, relay: ses(ip), delay, dsn: '2.0.0', status: 'sent', reply: `250 Ok ${sesId}`, sesMessageId: sesId, smtpCode: 250, remoteReply: true });
// Lines that carry nothing for the index: an OpenSSL warning and the TLS session line.
const IGN = null;

const expected: Array<PostfixEvent | null> = [
  pickup('D1B9013D8FF'),
  msgid('D1B9013D8FF', '6908a6b3.tRr+C7GjkfgTYrxp%test@www.non-97.net'),
  queued('D1B9013D8FF', 460),
  IGN,
  IGN,
  sent('D1B9013D8FF', ANON, '52.206.145.59', 0.25, '0100019a49cb2f2e-7af4300a-356d-41dc-9fd3-6a64ebb0a3bf-000000'),
  removed('D1B9013D8FF'),
  pickup('084A213D8DD'),
  msgid('084A213D8DD', '6908ab66.sKstWi24GnruRFNe%test@www.non-97.net'),
  queued('084A213D8DD', 461),
  IGN,
  IGN,
  // `delay=0.19,delays=...`: no space after the comma
  sent('084A213D8DD', 'bounce@simulator.amazonses.com', '52.206.145.59', 0.19, '0100019a49dd86e3-e2cb72de-442c-4bb6-91fb-473e87b9158b-000000'),
  removed('084A213D8DD'),
  pickup('8B02A13D8DD'),
  msgid('8B02A13D8DD', '6908ac1f.jmK2Z9ImAtQdH2tv%test@www.non-97.net'),
  queued('8B02A13D8DD', 446),
  IGN,
  IGN,
  sent('8B02A13D8DD', 'test@non-97.net', '52.206.145.59', 0.24, '0100019a49e05ba8-7802f098-b7cd-48a3-b22f-b3d0499dae58-000000'),
  removed('8B02A13D8DD'),
  pickup('6510113D8DD'),
  msgid('6510113D8DD', '6908aceb.FexBPfPsASxTIAkc%test@www.non-97.net'),
  queued('6510113D8DD', 460),
  IGN,
  IGN,
  sent('6510113D8DD', ANON, '3.224.1.122', 0.26, '0100019a49e37828-a553e1de-80af-4519-9481-f342cabdb12b-000000'),
  removed('6510113D8DD'),
  pickup('6375913D8DD'),
  msgid('6375913D8DD', '6908ae92.2ATsAhI+4P0Dzjt5%test@www.non-97.net'),
  queued('6375913D8DD', 460),
  IGN,
  IGN,
  delivery({
    queueId: '6375913D8DD', recipient: ANON, relay: ses('54.157.237.25'), delay: 0.14, dsn: '5.0.0', status: 'bounced',
    reply: 'host email-smtp.us-east-1.amazonaws.com[54.157.237.25] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: test@www.non-97.net (in reply to end of DATA command)',
    smtpCode: 554, remoteReply: true,
  }),
  msgid('8606813DBB1', '20251103133058.8606813DBB1@internal-mta.www.non-97.net'),
  { kind: 'notification', queueId: '6375913D8DD', childQueueId: '8606813DBB1', notification: 'sender non-delivery' },
  queued('8606813DBB1', 2862, ''),
  removed('6375913D8DD'),
  IGN,
  delivery({
    queueId: '8606813DBB1', recipient: SENDER, relay: ses('54.157.237.25'), delay: 0.04, dsn: '5.0.0', status: 'bounced',
    reply: 'host email-smtp.us-east-1.amazonaws.com[54.157.237.25] said: 501 Invalid MAIL FROM address provided (in reply to MAIL FROM command)',
    smtpCode: 501, remoteReply: true,
  }),
  removed('8606813DBB1'),
];

describe('seed log test/fixtures/journal-short.log', () => {
  const years = new YearInference({ now: () => new Date(2025, 10, 10).getTime() });
  const results = lines.map((l) => parseLine(l, years));

  it('has the expected number of lines', () => {
    expect(lines).toHaveLength(expected.length);
  });

  it.each(lines.map((line, i) => [i + 1, line, expected[i]] as const))('line %i', (_n, line, event) => {
    const r = results[_n - 1]!;
    if (event === null) {
      expect(r.type).toBe('ignored');
    } else {
      expect(r).toMatchObject({ type: 'event', event });
      expect(r.type === 'event' && r.event).toEqual(event);
    }
    // Every line is well-formed: its record is complete.
    expect(r.type === 'malformed' ? null : r.record).toEqual({
      time: expect.any(Number),
      host: HOST,
      program: line.includes('postfix/pickup') ? 'postfix/pickup' : expect.stringMatching(/^postfix\/(cleanup|qmgr|smtp|bounce)$/),
      daemon: expect.stringMatching(/^(pickup|cleanup|qmgr|smtp|bounce)$/),
      pid: expect.any(Number),
      text: line.slice(line.indexOf(']: ') + 3),
    });
  });

  it('stamps the records in local time with the inferred year', () => {
    const first = results[0]!;
    const last = results[results.length - 1]!;
    expect(first.type !== 'malformed' && first.record).toMatchObject({ time: new Date(2025, 10, 3, 12, 57, 23).getTime(), pid: 1517 });
    expect(last.type !== 'malformed' && last.record).toMatchObject({ time: new Date(2025, 10, 3, 13, 30, 58).getTime(), pid: 1518 });
  });
});
