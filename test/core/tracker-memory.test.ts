// What the tracker keeps in memory: the ancestors of every generation it still follows, so an origin
// never has to be read back from the database (which `ingest` writes from another thread), and
// nothing once the whole family is gone.
import { describe, expect, it } from 'vitest';
import { Tracker } from '../../src/tracker/tracker.js';
import type { Generation } from '../../src/tracker/types.js';
import { parseLine } from '../../src/parser/index.js';
import { YearInference } from '../../src/parser/year.js';

const SES = '0100019a00000001-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000';

function tracker() {
  const asked: number[] = [];
  const t = new Tracker({
    nextGenerationId: 1,
    nextDeliveryId: 1,
    backend: {
      getGeneration: (id: number): Generation | undefined => {
        asked.push(id);
        return undefined;
      },
    },
  });
  const years = new YearInference({ now: () => Date.UTC(2025, 11, 31) });
  const feed = (text: string) => {
    for (const line of text.split('\n').map((l) => l.trim()).filter((l) => l !== '')) {
      const r = parseLine(line, years);
      if (r.type !== 'event') throw new Error(`not an event line: ${line}`);
      t.apply(r.record, r.event);
    }
    return t.drain();
  };
  return { t, feed, asked };
}

describe('tracker memory', () => {
  it('resolves a refusal hours after the first pass was removed from memory alone', () => {
    const { t, feed, asked } = tracker();
    feed(`
      Dec  4 10:00:00 mx postfix/smtpd[100]: 1111111111A: client=app1.example.com[10.1.2.3], sasl_method=PLAIN, sasl_username=app1
      Dec  4 10:00:00 mx postfix/qmgr[102]: 1111111111A: from=<app@example.com>, size=1000, nrcpt=1 (queue active)
      Dec  4 10:00:01 mx postfix/smtpd[103]: 2222222222B: client=localhost[127.0.0.1]
      Dec  4 10:00:01 mx postfix/smtp[104]: 1111111111A: to=<user@dest.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 2222222222B)
      Dec  4 10:00:01 mx postfix/qmgr[102]: 1111111111A: removed
    `);
    // Two hours of other traffic: the first pass leaves the recently-removed set long before.
    for (let h = 0; h < 120; h += 10) {
      const mm = String(h % 60).padStart(2, '0');
      const hh = String(10 + Math.floor(h / 60)).padStart(2, '0');
      feed(`
        Dec  4 ${hh}:${mm}:30 mx postfix/pickup[200]: 9${String(h).padStart(9, '0')}C: uid=33 from=<www@mx>
        Dec  4 ${hh}:${mm}:31 mx postfix/qmgr[102]: 9${String(h).padStart(9, '0')}C: removed
      `);
    }
    const late = feed(`
      Dec  4 12:05:00 mx postfix/smtp[105]: 2222222222B: to=<user@dest.example>, relay=ses[1.2.3.4]:587, delay=7200, delays=7199/0/0/1, dsn=4.0.0, status=deferred (host ses[1.2.3.4] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command))
      Dec  4 12:05:00 mx postfix/qmgr[102]: 2222222222B: removed
    `);
    expect(late.refused.map((r) => r.origin)).toEqual([
      { queueId: '1111111111A', clientIp: '10.1.2.3', clientHost: 'app1.example.com', saslUsername: 'app1', uid: null, sender: 'app@example.com', hops: 1 },
    ]);
    expect(asked).toEqual([]);
  });

  it('lets go of a whole family once it is removed and a minute has passed, and keeps nothing else', () => {
    const { t, feed } = tracker();
    feed(`
      Dec  4 10:00:00 mx postfix/smtpd[100]: 1111111111A: client=a.example[10.0.0.1]
      Dec  4 10:00:01 mx postfix/smtp[104]: 1111111111A: to=<u@dest.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 2222222222B)
      Dec  4 10:00:01 mx postfix/qmgr[102]: 1111111111A: removed
      Dec  4 10:00:02 mx postfix/smtpd[103]: 2222222222B: client=localhost[127.0.0.1]
    `);
    expect(t.stats).toMatchObject({ open: 1, memory: 2 });
    feed(`
      Dec  4 10:00:03 mx postfix/smtp[105]: 2222222222B: to=<u@dest.example>, relay=ses[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok ${SES})
      Dec  4 10:00:03 mx postfix/qmgr[102]: 2222222222B: removed
    `);
    expect(t.stats).toMatchObject({ open: 0, memory: 2 });
    feed(`
      Dec  4 10:05:00 mx postfix/pickup[200]: 3333333333C: uid=33 from=<www@mx>
    `);
    expect(t.stats).toMatchObject({ open: 1, memory: 1 });
  });

  it('moves the hold to the new parent when XFORWARD named a guess that a later line corrects', () => {
    const { t, feed } = tracker();
    feed(`
      Dec  4 10:00:00 mx postfix/smtpd[100]: 1111111111A: client=a.example[10.0.0.1]
      Dec  4 10:00:00 mx postfix/qmgr[102]: 1111111111A: removed
      Dec  4 10:00:00 mx postfix/smtpd[100]: 4444444444D: client=b.example[10.0.0.2]
      Dec  4 10:00:01 mx postfix/smtpd[103]: 2222222222B: client=localhost[127.0.0.1], orig_queue_id=1111111111A, orig_client=a.example[10.0.0.1]
      Dec  4 10:00:01 mx postfix/smtp[104]: 4444444444D: to=<u@dest.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 2222222222B)
      Dec  4 10:00:01 mx postfix/qmgr[102]: 4444444444D: removed
    `);
    expect(t.stats).toMatchObject({ open: 1, memory: 3 });
    // A minute on, the first guess (1111111111A) is no one's parent and goes; the real one stays with its child.
    feed(`
      Dec  4 10:02:00 mx postfix/pickup[200]: 3333333333C: uid=33 from=<www@mx>
    `);
    expect(t.stats).toMatchObject({ open: 2, memory: 3 });
  });
});
