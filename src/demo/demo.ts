// `npm run demo`: the main job end to end on this machine, with nothing to configure.
// Starts the fauxqs SQS/SNS emulator, runs the real daemon following a sample Postfix log (the field
// report's own lines), publishes the field report's real SES bounce through SNS, and shows the enriched
// bounce line naming its origin and the `bounces` row that sqlite3 shows.
// The emulator is a development dependency: run this from a checkout after `npm ci`.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

// The SDK's Node 20 end-of-support notice is for operators, not for a demo's reader.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/cli.js');
const samples = join(root, 'samples');
const QUERY = `SELECT at, event, recipient, queue_id, client_ip, uid, sender, matched_by FROM bounces ORDER BY at`;

type Line = Record<string, unknown>;

function say(s = ''): void {
  process.stdout.write(`${s}\n`);
}

async function emulator() {
  let fauxqs: typeof import('fauxqs');
  let sqsMod: typeof import('@aws-sdk/client-sqs');
  let snsMod: typeof import('@aws-sdk/client-sns');
  try {
    fauxqs = await import('fauxqs');
    sqsMod = await import('@aws-sdk/client-sqs');
    snsMod = await import('@aws-sdk/client-sns');
  } catch {
    throw new Error('the demo needs the development dependencies (the fauxqs emulator): run `npm ci` in the checkout first');
  }
  const server = await fauxqs.startFauxqs({ port: 0, logger: false });
  const clientConfig = { endpoint: server.address, region: 'us-east-1', credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' } };
  const sqs = new sqsMod.SQSClient(clientConfig);
  const sns = new snsMod.SNSClient(clientConfig);
  const queue = await sqs.send(new sqsMod.CreateQueueCommand({ QueueName: 'ses-notifications' }));
  const attrs = await sqs.send(new sqsMod.GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }));
  const topic = await sns.send(new snsMod.CreateTopicCommand({ Name: 'ses-feedback' }));
  await sns.send(new snsMod.SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: attrs.Attributes!['QueueArn'] }));
  return {
    endpoint: server.address,
    queueUrl: queue.QueueUrl!,
    publish: (message: string) => sns.send(new snsMod.PublishCommand({ TopicArn: topic.TopicArn, Message: message })),
    stop: async () => {
      sqs.destroy();
      sns.destroy();
      await server.stop();
    },
  };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bounce-origin-demo-'));
  const log = join(dir, 'mail.log');
  const db = join(dir, 'index.db');
  copyFileSync(join(samples, 'mail.log'), log);
  // Syslog lines carry no year; like any log read from its start, the copy's mtime says when it was
  // written: the field report's November 2025.
  const written = new Date('2025-11-03T13:31:00Z');
  utimesSync(log, written, written);

  say('bounce-origin demo');
  say(`  work directory: ${dir}`);
  say('  1. starting the SQS/SNS emulator (fauxqs) with an SNS topic subscribed by an SQS queue');
  const emu = await emulator();
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify(
      {
        source: { type: 'file', path: log },
        database: db,
        sqs: { queueUrl: emu.queueUrl, region: 'us-east-1', endpoint: emu.endpoint },
        // The sample log is from the field report, weeks old: keep it.
        retentionDays: 3650,
        logLevel: 'info',
      },
      null,
      2,
    ),
  );

  say(`  2. starting the daemon: bounce-origin run --config ${config}`);
  say(`     it follows ${log} (a copy of samples/mail.log: Postfix relaying to SES, from the field report)`);
  const daemon = spawn(process.execPath, [cli, 'run', '--config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'demo', AWS_SECRET_ACCESS_KEY: 'demo', AWS_REGION: 'us-east-1' },
  });
  const lines: Line[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: daemon.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Line);
    } catch {
      say(`     (daemon printed a non-JSON line: ${l})`);
    }
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (pred: (l: Line) => boolean, what: string): Promise<Line> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline || daemon.exitCode !== null) throw new Error(`the daemon did not show ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  };

  try {
    await waitFor((l) => l['op'] === 'start', 'its start line');
    const rejects = await waitFor((l) => l['event'] === 'reject', 'the relays SES refused in the sample log');
    say();
    say('  The sample log has relays SES refused outright; the daemon reports them with their origin as it reads the log:');
    say(`     ${String(rejects['msg'])}`);
    say();
    const bounce = JSON.stringify(JSON.parse(readFileSync(join(samples, 'ses-bounce.json'), 'utf8')));
    say('  3. publishing the field report\'s SES bounce notification (samples/ses-bounce.json) to the SNS topic');
    say('     SES names only the MTA\'s public IP (mail.sourceIp 54.175.6.40) and its own message id:');
    say('     0100019a49dd86e3-e2cb72de-442c-4bb6-91fb-473e87b9158b-000000');
    await emu.publish(bounce);
    const e = await waitFor((l) => l['event'] === 'bounce', 'the enriched bounce');
    say();
    say('  4. the daemon matched it to the Postfix log and wrote this enriched event (its own log, one JSON line):');
    say();
    say(JSON.stringify(e));
    say();
    say(`     -> ${String(e['msg'])}`);
    say();
    say('  5. the same row in the database:');
    say(`     sqlite3 -header -column ${db} "${QUERY}"`);
    say();
    const sqlite = spawnSync('sqlite3', ['-header', '-column', db, QUERY], { encoding: 'utf8' });
    if (sqlite.status === 0) {
      say(sqlite.stdout.trimEnd());
    } else {
      // No sqlite3 shell here (apt-get install sqlite3): read the view through the library instead.
      const conn = new Database(db, { readonly: true });
      for (const row of conn.prepare(QUERY).all()) say(`     ${JSON.stringify(row)}`);
      conn.close();
    }
    say();
    say(`  Try: node ${cli} lookup --config ${config} 084A213D8DD`);
    return 0;
  } finally {
    const exited = new Promise<number | null>((r) => daemon.once('exit', (code) => r(code)));
    daemon.kill('SIGTERM');
    const code = await exited;
    await emu.stop();
    say(`  6. stopped the daemon (SIGTERM, exit ${code}) and the emulator. Files are left in ${dir}`);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
