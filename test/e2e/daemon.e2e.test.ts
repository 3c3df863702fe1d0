// The product as a user meets it: the built daemon (`node dist/cli.js run`) follows a real private Postfix's
// maillog_file and long-polls a real SQS API (fauxqs) that an SNS topic fills with the notifications of an
// SES SMTP stand-in, which is the relayhost. Mail enters from several loopback client addresses and through
// sendmail as several users; the log is rotated (rename + gzip) while the daemon runs and again while it is
// dead after a SIGKILL; the restarted daemon must pick up from its checkpoint inside a gzipped file.
//
// Timeline (one Postfix log file per column; '*' marks where the daemon is dead):
//   daemon 1 start | A: 4 messages | rotate #1 | B: 3 messages, SIGKILL as Postfix relays the last one
//   * C: 3 messages | rotate #2 (B's and C's file becomes .gz) | D: 2 messages
//   daemon 2 start | E: 2 messages | wait until settled | SIGTERM
// Notifications alternate per SES message between an SNS-envelope subscription and a raw-delivery one.
//
// Fails (not skips) without Postfix, naming how to install it, unless BOUNCE_ORIGIN_SKIP_POSTFIX=1.
// BOUNCE_ORIGIN_KEEP_E2E=1 keeps the work directory (config, database, the daemons' stdout) and the Postfix slot.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFauxqsHarness, type FauxqsHarness } from '../helpers/fauxqs.js';
import { postfixProblem, startPostfix, type PostfixInstance } from '../helpers/postfix.js';
import { simulatorOutcome, startSesStandin, type SesStandin } from '../helpers/ses-standin.js';
import { builtCliProblem, runCli, startDaemon, type DaemonExit, type DaemonProcess, type LogLine } from '../helpers/daemon.js';

const skipPostfix = process.env.BOUNCE_ORIGIN_SKIP_POSTFIX === '1';
const keep = process.env.BOUNCE_ORIGIN_KEEP_E2E === '1';
const SIM = 'simulator.amazonses.com';
const SHUTDOWN_LIMIT_MS = 5000;
/**
 * A notification names its message by SES id (from Postfix's `250 Ok <id>`) and by Message-ID. When it
 * reaches the daemon before the `status=sent` line does, the Message-ID (logged earlier by cleanup) already
 * matches: both name this exact message. A Received-header match or none would be wrong here.
 */
const BY_SES_ID_OR_MESSAGE_ID: string = expect.stringMatching(/^(ses-id|message-id)$/);

/** Who handed a message to Postfix: an SMTP client address, or the uid that ran sendmail. */
interface Origin {
  clientIp: string | null;
  uid: number | null;
}

interface SentMessage {
  label: string;
  origin: Origin;
  from: string;
  to: string[];
  queueId: string;
  messageId: string;
  /** SES refuses the sender: Postfix bounces it (554) and its bounce notice (501). */
  unverified: boolean;
  /** Queue id of Postfix's non-delivery notice, for unverified senders. */
  noticeQueueId: string | null;
}

/** The fields of an enriched event (or a `bounces` row) that this test knows the truth of. */
interface EventFacts {
  event: string;
  recipient: string;
  queueId: string;
  sesMessageId: string | null;
  clientIp: string | null;
  uid: number | null;
  matchedBy: string;
}

const CONTRACT_FIELDS = [
  'event', 'recipient', 'sesMessageId', 'messageId', 'queueId', 'clientIp', 'clientHost', 'saslUsername', 'uid',
  'sender', 'bounceType', 'bounceSubType', 'status', 'diagnosticCode', 'matchedBy', 'msg',
];

const byEventAndRecipient = (a: EventFacts, b: EventFacts): number =>
  a.event.localeCompare(b.event) || a.recipient.localeCompare(b.recipient);

function factsOfLine(l: LogLine): EventFacts {
  return {
    event: l['event'] as string,
    recipient: l['recipient'] as string,
    queueId: l['queueId'] as string,
    sesMessageId: l['sesMessageId'] as string | null,
    clientIp: l['clientIp'] as string | null,
    uid: l['uid'] as number | null,
    matchedBy: l['matchedBy'] as string,
  };
}

interface BounceRow {
  event: string;
  recipient: string;
  queue_id: string;
  ses_message_id: string | null;
  client_ip: string | null;
  uid: number | null;
  matched_by: string;
}

function factsOfRow(r: BounceRow): EventFacts {
  return {
    event: r.event,
    recipient: r.recipient,
    queueId: r.queue_id,
    sesMessageId: r.ses_message_id,
    clientIp: r.client_ip,
    uid: r.uid,
    matchedBy: r.matched_by,
  };
}

/** One `postfix/smtp` result line for the SES relay. */
interface RelayedLine {
  queueId: string;
  recipient: string;
  status: string;
  sesMessageId: string | null;
}

const RELAYED = /postfix\/smtp\[\d+\]: ([0-9A-Za-z]+): to=<([^>]*)>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=(\w+) \((.*)\)$/;

function relayedLines(lines: string[]): RelayedLine[] {
  const out: RelayedLine[] = [];
  for (const l of lines) {
    const m = RELAYED.exec(l);
    if (!m) continue;
    const ok = /^250 Ok (\S+)$/.exec(m[4]!);
    out.push({ queueId: m[1]!, recipient: m[2]!, status: m[3]!, sesMessageId: ok ? ok[1]! : null });
  }
  return out;
}

/** Every line of the live maillog and its rotated .gz siblings, by file name. */
function maillogFiles(pf: PostfixInstance): Map<string, string[]> {
  const files = new Map<string, string[]>();
  for (const name of fs.readdirSync(pf.dir).sort()) {
    if (name !== 'maillog' && !name.startsWith('maillog.')) continue;
    const raw = fs.readFileSync(path.join(pf.dir, name));
    const text = name.endsWith('.gz') ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    files.set(name, text.split('\n').filter((l) => l !== ''));
  }
  return files;
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

describe.skipIf(skipPostfix)('the daemon end to end: Postfix -> SES stand-in -> SNS -> SQS -> bounce-origin run', () => {
  let work: string;
  let fx: FauxqsHarness;
  let ses: SesStandin;
  let pf: PostfixInstance;
  let configPath: string;
  let dbPath: string;
  const daemons: DaemonProcess[] = [];
  const sent: SentMessage[] = [];
  /** Which SES message ids were published through the raw-delivery subscription. */
  const rawBySesId = new Map<string, boolean>();
  let rotated: string[] = [];
  let settled = false;
  let term: { exit: DaemonExit; elapsedMs: number } | null = null;
  let expected: EventFacts[] = [];

  const relayResult = (qid: string, rcpt: string): Promise<string> =>
    pf.waitForLog((l) => l.includes('postfix/smtp[') && l.includes(`: ${qid}: to=<${rcpt}>, relay=127.0.0.1[`) && /status=(sent|bounced) \(/.test(l));

  /** Waits until Postfix has finished with a message: every recipient relayed, and for a refused sender its notice too. */
  async function finished(m: SentMessage): Promise<void> {
    for (const rcpt of m.to) await relayResult(m.queueId, rcpt);
    if (!m.unverified) return;
    const notice = await pf.waitForLog((l) => l.includes('postfix/bounce[') && l.includes(`: ${m.queueId}: sender non-delivery notification: `));
    m.noticeQueueId = notice.slice(notice.lastIndexOf(' ') + 1);
    await relayResult(m.noticeQueueId, m.from);
    await pf.waitForLog((l) => l.endsWith(`: ${m.noticeQueueId}: removed`));
  }

  async function viaSmtp(label: string, ip: string, from: string, to: string[]): Promise<SentMessage> {
    const r = await pf.sendSmtp({ sourceIp: ip, from, to });
    const m: SentMessage = {
      label, origin: { clientIp: ip, uid: null }, from, to, queueId: r.queueId, messageId: r.messageId!,
      unverified: from.endsWith('@unverified.test'), noticeQueueId: null,
    };
    sent.push(m);
    return m;
  }

  async function viaSendmail(label: string, user: string, from: string, to: string[]): Promise<SentMessage> {
    const r = await pf.sendmail({ user, from, to });
    const queueId = await pf.queueIdOf(r.messageId!);
    const m: SentMessage = {
      label, origin: { clientIp: null, uid: r.uid }, from, to, queueId, messageId: r.messageId!,
      unverified: false, noticeQueueId: null,
    };
    sent.push(m);
    return m;
  }

  /** What the daemon must report, from what was sent and what the stand-in accepted. */
  function expectedEvents(): EventFacts[] {
    const out: EventFacts[] = [];
    for (const m of sent) {
      if (m.unverified) {
        for (const rcpt of m.to) out.push({ event: 'reject', recipient: rcpt, queueId: m.queueId, sesMessageId: null, ...m.origin, matchedBy: 'queue-id' });
        out.push({ event: 'reject', recipient: m.from, queueId: m.noticeQueueId!, sesMessageId: null, ...m.origin, matchedBy: 'queue-id' });
        continue;
      }
      const accepted = ses.accepted.find((a) => a.messageId === m.messageId);
      if (!accepted) throw new Error(`${m.label}: the SES stand-in never accepted ${m.messageId}`);
      for (const rcpt of m.to) {
        const outcome = simulatorOutcome(rcpt);
        const kinds = outcome === 'bounce' ? ['bounce'] : outcome === 'complaint' ? ['delivery', 'complaint'] : ['delivery'];
        for (const event of kinds) out.push({ event, recipient: rcpt, queueId: m.queueId, sesMessageId: accepted.sesId, ...m.origin, matchedBy: BY_SES_ID_OR_MESSAGE_ID });
      }
    }
    return out.sort(byEventAndRecipient);
  }

  const eventLines = (): LogLine[] => daemons.flatMap((d) => d.lines.filter((l) => typeof l['event'] === 'string'));

  function bounceRows(): BounceRow[] {
    if (!fs.existsSync(dbPath)) return [];
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT * FROM bounces').all() as BounceRow[];
    } finally {
      db.close();
    }
  }

  function launchDaemon(n: number): DaemonProcess {
    const d = startDaemon({
      config: configPath,
      env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true', HOME: work },
      stdoutFile: path.join(work, `daemon${n}.stdout`),
    });
    daemons.push(d);
    return d;
  }

  beforeAll(async () => {
    // Fails every test below with the install hint when Postfix is missing: CI must not pass without it.
    const problem = postfixProblem() ?? builtCliProblem();
    if (problem) throw new Error(problem);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'bounce-origin-e2e-'));

    // A short visibility timeout: what the SIGKILLed daemon had received but not deleted comes back soon.
    fx = await startFauxqsHarness({ rawMessageDelivery: false, visibilityTimeoutSeconds: 5 });
    const rawTopic = await fx.sns.send(new CreateTopicCommand({ Name: 'ses-feedback-raw' }));
    await fx.sns.send(new SubscribeCommand({
      TopicArn: rawTopic.TopicArn!, Protocol: 'sqs', Endpoint: fx.queueArn, Attributes: { RawMessageDelivery: 'true' },
    }));
    ses = await startSesStandin({
      verified: ['example.test'],
      publish: async (n) => {
        let raw = rawBySesId.get(n.mail.messageId);
        if (raw === undefined) {
          raw = rawBySesId.size % 2 === 1;
          rawBySesId.set(n.mail.messageId, raw);
        }
        const body = JSON.stringify(n);
        if (raw) await fx.sns.send(new PublishCommand({ TopicArn: rawTopic.TopicArn!, Message: body }));
        else await fx.publish(body);
      },
    });
    pf = await startPostfix({ relayPort: ses.port, keep });
    await pf.waitForLog((l) => l.includes('postfix/master[') && l.includes('daemon started'));

    dbPath = path.join(work, 'index.db');
    configPath = path.join(work, 'config.json');
    fs.writeFileSync(configPath, `${JSON.stringify({
      source: { type: 'file', path: pf.logPath },
      database: dbPath,
      sqs: { queueUrl: fx.queueUrl, region: 'us-east-1', endpoint: fx.endpoint, lateJoinSeconds: 120 },
      logLevel: 'info',
    }, null, 2)}\n`);

    const d1 = launchDaemon(1);
    await d1.waitFor((l) => l['op'] === 'start', 15_000, 'start line');

    // A: three client addresses and a local user; one sender SES refuses.
    const a = [
      await viaSmtp('A1', '127.0.0.2', 'alice@example.test', [`bounce+a1@${SIM}`]),
      await viaSmtp('A2', '127.0.0.3', 'carol@example.test', [`complaint+a2@${SIM}`]),
      await viaSendmail('A3', 'nobody', 'nobody@internal-mta.example.test', [`bounce+a3@${SIM}`, `success+a3@${SIM}`]),
      await viaSmtp('A4', '127.0.0.4', 'mallory@unverified.test', [`success+a4@${SIM}`]),
    ];
    for (const m of a) await finished(m);
    // The daemon is live before the first rotation: A1's bounce is out.
    await d1.waitFor((l) => l['event'] === 'bounce' && l['recipient'] === `bounce+a1@${SIM}`, 20_000, 'bounce event for A1');
    rotated.push(await pf.logrotate());
    const firstRotationSecond = Math.floor(Date.now() / 1000);

    // B: into the second log file, while the daemon runs. Once it has reported B1 (so its checkpoint lies inside
    // this file), B2 goes out, and the daemon is killed the moment Postfix logs B2's relay: by then SES has
    // published B2's notifications, so the daemon is somewhere between reading B2's lines, holding them
    // uncommitted, and receiving, pending or deleting the notifications.
    const b = [
      await viaSmtp('B1', '127.0.0.3', 'bob@example.test', [`bounce+b1@${SIM}`]),
      await viaSmtp('B3', '127.0.0.2', 'dave@example.test', [`success+b3@${SIM}`]),
    ];
    await d1.waitFor((l) => l['event'] === 'bounce' && l['recipient'] === `bounce+b1@${SIM}`, 20_000, 'bounce event for B1');
    b.push(await viaSendmail('B2', 'daemon', 'daemon@internal-mta.example.test', [`complaint+b2@${SIM}`]));
    await relayResult(b[2]!.queueId, `complaint+b2@${SIM}`);
    d1.kill('SIGKILL');
    const killed = await d1.exited;
    if (killed.signal !== 'SIGKILL') throw new Error(`daemon 1 ended with ${JSON.stringify(killed)} instead of being killed`);
    for (const m of b) await finished(m);

    // C: while the daemon is dead, still into the second file; then that file is rotated and gzipped.
    const c = [
      await viaSmtp('C1', '127.0.0.4', 'erin@example.test', [`bounce+c1@${SIM}`]),
      await viaSendmail('C2', 'nobody', 'nobody@internal-mta.example.test', [`complaint+c2@${SIM}`]),
      await viaSmtp('C3', '127.0.0.3', 'eve@unverified.test', [`success+c3@${SIM}`]),
    ];
    for (const m of c) await finished(m);
    // maillog_file_rotate_suffix has one-second resolution: a second rotation within the same second would collide.
    while (Math.floor(Date.now() / 1000) <= firstRotationSecond) await new Promise((r) => setTimeout(r, 100));
    rotated.push(await pf.logrotate());

    // D: into the third file, still while the daemon is dead.
    const dd = [
      await viaSmtp('D1', '127.0.0.2', 'frank@example.test', [`bounce+d1@${SIM}`]),
      await viaSendmail('D2', 'daemon', 'daemon@internal-mta.example.test', [`bounce+d2@${SIM}`]),
    ];
    for (const m of dd) await finished(m);

    // The same config again: the file source resumes from the checkpoint in the database.
    const d2 = launchDaemon(2);
    await d2.waitFor((l) => l['op'] === 'start', 15_000, 'start line of the restarted daemon');
    const e = [
      await viaSmtp('E1', '127.0.0.4', 'grace@example.test', [`complaint+e1@${SIM}`]),
      await viaSendmail('E2', 'nobody', 'nobody@internal-mta.example.test', [`bounce+e2@${SIM}`]),
    ];
    for (const m of e) await finished(m);

    expected = expectedEvents();
    const wantBounces = expected.filter((x) => x.event !== 'delivery').length;
    const wantEvents = expected.length;
    // Not an assertion: the tests below say what is missing when this gives up.
    settled = await waitUntil(() => eventLines().length >= wantEvents && bounceRows().length >= wantBounces, 30_000);

    const t0 = Date.now();
    d2.kill('SIGTERM');
    const exit = await Promise.race([
      d2.exited,
      new Promise<null>((r) => setTimeout(() => r(null), SHUTDOWN_LIMIT_MS + 5000)),
    ]);
    if (exit !== null) term = { exit, elapsedMs: exit.at - t0 };
  }, 85_000);

  afterAll(async () => {
    for (const d of daemons) d.kill('SIGKILL');
    await Promise.all(daemons.map((d) => d.exited));
    await pf?.stop();
    await ses?.close();
    await fx?.stop();
    if (work && !keep) fs.rmSync(work, { recursive: true, force: true });
    else if (work) process.stderr.write(`daemon.e2e: kept ${work} and ${pf?.dir}\n`);
  });

  it('ran the scenario it claims: two gzip rotations, C only in a .gz, both SNS delivery kinds, everything settled', () => {
    expect(rotated.map((f) => path.basename(f))).toEqual([expect.stringMatching(/^maillog\.\d{8}-\d{6}\.gz$/), expect.stringMatching(/^maillog\.\d{8}-\d{6}\.gz$/)]);
    const files = maillogFiles(pf);
    const second = files.get(path.basename(rotated[1]!))!;
    const live = files.get('maillog')!;
    // The restarted daemon can only learn of C from inside the second rotated file.
    for (const m of sent.filter((s) => s.label.startsWith('C'))) {
      expect(second.some((l) => l.includes(`: ${m.queueId}: `))).toBe(true);
      expect(live.some((l) => l.includes(`: ${m.queueId}: `))).toBe(false);
    }
    expect([...new Set(rawBySesId.values())].sort()).toEqual([false, true]);
    expect(daemons.map((d) => d.junk)).toEqual([[], []]);
    expect(settled).toBe(true);
  });

  it('puts every bounce, complaint and refusal in the bounces view exactly once, naming its client IP or uid', () => {
    const rows = bounceRows().map(factsOfRow).sort(byEventAndRecipient);
    expect(rows).toEqual(expected.filter((x) => x.event !== 'delivery'));
    expect(rows.length).toBe(15);
  });

  it('writes the same events, each once, with the same origin, as JSON lines on stdout across the SIGKILL', () => {
    const lines = eventLines();
    expect(lines.map(factsOfLine).sort(byEventAndRecipient)).toEqual(expected);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(expect.arrayContaining(CONTRACT_FIELDS));
      // The human summary names the origin too.
      const who = l['clientIp'] !== null ? String(l['clientIp']) : `uid ${String(l['uid'])}`;
      expect(l['msg'], JSON.stringify(l)).toContain(who);
    }
    const errors = daemons.flatMap((d) => d.lines.filter((l) => typeof l['level'] === 'number' && (l['level'] as number) >= 50));
    expect(errors).toEqual([]);
  });

  it('lost nothing across SIGKILL and rotations: lookup finds every relayed queue id once, with its deliveries and origin', async () => {
    const relayed = relayedLines([...maillogFiles(pf).values()].flat());
    const origins = new Map<string, Origin>();
    for (const m of sent) {
      origins.set(m.queueId, m.origin);
      if (m.noticeQueueId) origins.set(m.noticeQueueId, m.origin);
    }
    const queueIds = [...new Set(relayed.map((r) => r.queueId))].sort();
    expect(queueIds).toEqual([...origins.keys()].sort());

    const results = await mapLimit(queueIds, 4, async (qid) => {
      const r = await runCli(['lookup', '--config', configPath, qid]);
      return { qid, code: r.code, stderr: r.stderr, found: r.code === 0 ? (JSON.parse(r.stdout) as Array<Record<string, unknown>>) : [] };
    });
    for (const { qid, code, stderr, found } of results) {
      expect({ qid, code, stderr }).toEqual({ qid, code: 0, stderr: '' });
      expect(found.map((g) => g['queueId'])).toEqual([qid]);
      const g = found[0]!;
      const origin = g['origin'] as Record<string, unknown>;
      expect({ qid, clientIp: origin['clientIp'], uid: origin['uid'] }).toEqual({ qid, ...origins.get(qid) });
      const deliveries = (g['deliveries'] as Array<Record<string, unknown>>)
        .map((d) => ({ queueId: qid, recipient: d['recipient'], status: d['status'], sesMessageId: d['sesMessageId'] }))
        .sort((x, y) => String(x.recipient).localeCompare(String(y.recipient)));
      const fromLog = relayed.filter((r) => r.queueId === qid).sort((x, y) => x.recipient.localeCompare(y.recipient));
      expect(deliveries).toEqual(fromLog);
    }
  });

  it('exits 0 within 5 s of SIGTERM, after logging its stop', () => {
    expect(term).not.toBeNull();
    expect({ code: term!.exit.code, signal: term!.exit.signal }).toEqual({ code: 0, signal: null });
    expect(term!.elapsedMs).toBeLessThan(SHUTDOWN_LIMIT_MS);
    expect(daemons[1]!.lines.at(-1)).toMatchObject({ op: 'stop' });
  });
});
