// A private, real Postfix instance for end-to-end tests, plus a minimal SMTP client.
//
// Each instance lives in its own directory (config, queue, data, maillog), listens on a loopback port of its own
// and relays everything to `[127.0.0.1]:relayPort` (the SES stand-in). It does not touch the system instance
// (/etc/postfix, /var/spool/postfix, port 25), so it can run beside one.
//
// Directory layout (`dir`):
//   dir/etc/main.cf, dir/etc/master.cf   config_directory (the `-c` / `-C` argument)
//   dir/spool/                          queue_directory
//   dir/data/                           data_directory (Postfix creates it, owned by `postfix`)
//   dir/maillog                         maillog_file, written by postlogd; `postfix logrotate` renames it to
//                                       dir/maillog.YYYYMMDD-HHMMSS.gz (maillog_file_rotate_suffix, then gzip)
//
// By default `dir` is one of SLOT_COUNT fixed slots, /var/tmp/bounce-origin-postfix/slotN, claimed atomically,
// because a non-root `sendmail -C dir/etc` (and the set-gid postdrop it runs) only accepts a config directory
// that the default /etc/postfix/main.cf lists in `alternate_config_directories`, by exact name.
// .ci/postfix-setup.sh lists the slots' config directories there (see alternateConfigDirectories()).
//
// Needs root (postfix start) and the Debian postfix package.
//
// Usage (see test/e2e/harness.test.ts):
//   const ses = await startSesStandin({ verified: ['example.test'] });
//   const pf = await startPostfix({ relayPort: ses.port });
//   const { queueId } = await pf.sendSmtp({ sourceIp: '127.0.0.2', from: 'a@example.test', to: ['bounce@simulator.amazonses.com'] });
//   const { messageId } = await pf.sendmail({ user: 'nobody', from: 'n@example.test', to: ['success@simulator.amazonses.com'] });
//   const qid = await pf.queueIdOf(messageId!);
//   await pf.waitForLog((l) => l.includes(`${queueId}: to=<`) && l.includes('status=sent (250 Ok '));
//   ... point the daemon at pf.logPath ...
//   await pf.stop(); await ses.close();
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { rfc5322Date } from './ses-standin.js';
import { runProcess, type RunOptions, type RunResult } from './process.js';

export const SLOT_BASE = '/var/tmp/bounce-origin-postfix';
export const SLOT_COUNT = 8;
const POSTFIX = '/usr/sbin/postfix';
const SENDMAIL = '/usr/sbin/sendmail';
const POSTCONF = '/usr/sbin/postconf';

export const POSTFIX_INSTALL_HINT =
  'Install Postfix for the end-to-end tests: as root run `bash .ci/postfix-setup.sh` ' +
  '(apt-get install postfix swaks, debconf preseeded to "No configuration", plus alternate_config_directories), ' +
  'or at least `apt-get install postfix`. Set BOUNCE_ORIGIN_SKIP_POSTFIX=1 to skip these tests.';

/** The config directories .ci/postfix-setup.sh must list in /etc/postfix/main.cf's alternate_config_directories. */
export function alternateConfigDirectories(): string[] {
  return Array.from({ length: SLOT_COUNT }, (_, i) => path.join(SLOT_BASE, `slot${i}`, 'etc'));
}

/** Why a private Postfix cannot start here, or null when it can. */
export function postfixProblem(programs: string[] = [POSTFIX, SENDMAIL, POSTCONF]): string | null {
  for (const file of programs) {
    try {
      fs.accessSync(file, fs.constants.X_OK);
    } catch {
      return `${file} not found. ${POSTFIX_INSTALL_HINT}`;
    }
  }
  if (process.getuid?.() !== 0) return `starting a private Postfix needs root (uid is ${process.getuid?.()}). ${POSTFIX_INSTALL_HINT}`;
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Configuration (pure)

export interface InstanceConfig {
  dir: string;
  smtpPort: number;
  relayPort: number;
  myhostname: string;
  /** Extra or overriding main.cf parameters. */
  mainCf?: Record<string, string>;
}

export function mainCfParams(c: InstanceConfig): Record<string, string> {
  const mydomain = c.myhostname.includes('.') ? c.myhostname.slice(c.myhostname.indexOf('.') + 1) : 'localdomain';
  return {
    compatibility_level: '3.6',
    queue_directory: path.join(c.dir, 'spool'),
    data_directory: path.join(c.dir, 'data'),
    myhostname: c.myhostname,
    mydomain,
    myorigin: '$myhostname',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    mydestination: '',
    relayhost: `[127.0.0.1]:${c.relayPort}`,
    local_recipient_maps: '',
    alias_maps: '',
    alias_database: '',
    biff: 'no',
    smtpd_banner: '$myhostname ESMTP $mail_name',
    smtpd_relay_restrictions: 'permit_mynetworks, reject',
    smtp_tls_security_level: 'none',
    smtpd_tls_security_level: 'none',
    // No DNS at all: /etc/resolv.conf may point off this machine. Loopback clients are logged as unknown[127.0.0.x].
    smtpd_peername_lookup: 'no',
    smtp_dns_support_level: 'disabled',
    smtp_host_lookup: 'native',
    maillog_file: path.join(c.dir, 'maillog'),
    // maillog_file must sit under one of these prefixes; the default (/var, /dev/stdout) would not cover a dir in /tmp.
    maillog_file_prefixes: c.dir,
    // Fast retries, so a 4xx-deferred message is retried within a second or two and expires within a minute.
    queue_run_delay: '1s',
    minimal_backoff_time: '1s',
    maximal_backoff_time: '2s',
    maximal_queue_lifetime: '60s',
    bounce_queue_lifetime: '60s',
    ...c.mainCf,
  };
}

export function renderMainCf(params: Record<string, string>): string {
  return `${Object.entries(params).map(([k, v]) => `${k} = ${v}`.trimEnd()).join('\n')}\n`;
}

/** master.cf: Debian's services without chroot (the private queue has no etc/ or dev/ to chroot into) and the postlog service. */
export function renderMasterCf(smtpPort: number): string {
  const rows: string[][] = [
    [`127.0.0.1:${smtpPort}`, 'inet', 'n', '-', 'n', '-', '-', 'smtpd'],
    ['pickup', 'unix', 'n', '-', 'n', '60', '1', 'pickup'],
    ['cleanup', 'unix', 'n', '-', 'n', '-', '0', 'cleanup'],
    ['qmgr', 'unix', 'n', '-', 'n', '300', '1', 'qmgr'],
    ['rewrite', 'unix', '-', '-', 'n', '-', '-', 'trivial-rewrite'],
    ['bounce', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
    ['defer', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
    ['trace', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
    ['verify', 'unix', '-', '-', 'n', '-', '1', 'verify'],
    ['flush', 'unix', 'n', '-', 'n', '1000?', '0', 'flush'],
    ['proxymap', 'unix', '-', '-', 'n', '-', '-', 'proxymap'],
    ['proxywrite', 'unix', '-', '-', 'n', '-', '1', 'proxymap'],
    ['smtp', 'unix', '-', '-', 'n', '-', '-', 'smtp'],
    ['relay', 'unix', '-', '-', 'n', '-', '-', 'smtp\n  -o syslog_name=postfix/$service_name'],
    ['showq', 'unix', 'n', '-', 'n', '-', '-', 'showq'],
    ['error', 'unix', '-', '-', 'n', '-', '-', 'error'],
    ['retry', 'unix', '-', '-', 'n', '-', '-', 'error'],
    ['discard', 'unix', '-', '-', 'n', '-', '-', 'discard'],
    ['anvil', 'unix', '-', '-', 'n', '-', '1', 'anvil'],
    ['scache', 'unix', '-', '-', 'n', '-', '1', 'scache'],
    // maillog_file is written by postlogd; without this service Postfix cannot log to a file.
    ['postlog', 'unix-dgram', 'n', '-', 'n', '-', '1', 'postlogd'],
  ];
  return `${rows.map((r) => r.join('\t')).join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Messages (pure)

export interface MessageSpec {
  from: string;
  to: string[];
  /** Header overrides, matched case-insensitively; a null value removes a default header. Added in order after the defaults. */
  headers?: Record<string, string | null>;
  body?: string;
}

/**
 * A small RFC 5322 message with Date, From, To, Subject, Message-ID (shaped like the mailx ones in the seed log),
 * MIME headers, and the body; CRLF line ends. Returns the Message-ID header value too (null if removed).
 */
export function buildMessage(spec: MessageSpec, nowMs: number, token: string): { data: string; messageId: string | null } {
  const domain = spec.from.includes('@') ? spec.from.slice(spec.from.lastIndexOf('@') + 1) : 'localhost';
  const headers: Array<[string, string]> = [
    ['Date', rfc5322Date(nowMs)],
    ['From', spec.from || 'MAILER-DAEMON'],
    ['To', spec.to.join(', ')],
    ['Subject', 'bounce-origin test'],
    // mailx's shape: <hex seconds.random%sender>
    ['Message-ID', `<${Math.floor(nowMs / 1000).toString(16)}.${token}%${spec.from || `MAILER-DAEMON@${domain}`}>`],
    ['MIME-Version', '1.0'],
    ['Content-Type', 'text/plain; charset=us-ascii'],
    ['Content-Transfer-Encoding', '7bit'],
  ];
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    const i = headers.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
    if (value === null) {
      if (i >= 0) headers.splice(i, 1);
    } else if (i >= 0) headers[i] = [headers[i]![0], value];
    else headers.push([name, value]);
  }
  const body = (spec.body ?? 'This is a test message from the bounce-origin end-to-end harness.\n').replace(/\r?\n/g, '\r\n');
  const data = `${headers.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n${body.endsWith('\r\n') ? body : `${body}\r\n`}`;
  const messageId = headers.find(([n]) => n.toLowerCase() === 'message-id')?.[1] ?? null;
  return { data, messageId };
}

/** Dot-stuffs a message for the DATA phase and appends the terminating `.` line. */
export function dotStuff(data: string): string {
  const normalised = data.replace(/\r?\n/g, '\r\n');
  const withEnd = normalised.endsWith('\r\n') ? normalised : `${normalised}\r\n`;
  return `${withEnd.replace(/^\./gm, '..')}.\r\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// A minimal SMTP client

export interface SmtpTransactionOptions {
  host?: string;
  port: number;
  /** Source address of the connection, e.g. 127.0.0.2: any 127.0.0.0/8 address can be bound on Linux. */
  localAddress?: string;
  helo?: string;
  /** Envelope sender; '' sends `MAIL FROM:<>`. */
  from: string;
  to: string[];
  /** The message; dot-stuffed and CRLF-normalised here. */
  data: string;
  timeoutMs?: number;
}

export interface SmtpTransactionResult {
  /** True when the server accepted the message (2xx after the final dot). */
  ok: boolean;
  /** The step whose reply is reported: the failing one, or `message` when the DATA content got its reply. */
  stage: 'greeting' | 'ehlo' | 'mail' | 'rcpt' | 'data' | 'message';
  code: number;
  /** The reply text, lines joined with \n. */
  reply: string;
}

/** One SMTP transaction (no PIPELINING, no TLS). Never throws for SMTP refusals: they are the result. Throws on I/O errors and timeouts. */
export async function smtpTransaction(o: SmtpTransactionOptions): Promise<SmtpTransactionResult> {
  const host = o.host ?? '127.0.0.1';
  const timeoutMs = o.timeoutMs ?? 15_000;
  const socket = net.connect({ host, port: o.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
  socket.setEncoding('utf8');
  let buffer = '';
  let lines: string[] = [];
  const replies: Array<{ code: number; reply: string }> = [];
  let waiter: (() => void) | null = null;
  let failure: Error | null = null;
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      if (/^\d{3}(?: |$)/.test(line)) {
        replies.push({ code: Number(line.slice(0, 3)), reply: lines.join('\n') });
        lines = [];
      }
    }
    waiter?.();
  });
  const fail = (err: Error): void => {
    failure ??= err;
    waiter?.();
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error(`SMTP ${host}:${o.port}: connection closed`)));
  const timer = setTimeout(() => fail(new Error(`SMTP ${host}:${o.port}: no reply within ${timeoutMs} ms`)), timeoutMs);

  const next = async (): Promise<{ code: number; reply: string }> => {
    while (replies.length === 0) {
      if (failure) throw failure;
      await new Promise<void>((resolve) => (waiter = resolve));
      waiter = null;
    }
    return replies.shift()!;
  };
  const say = (line: string): void => {
    socket.write(`${line}\r\n`);
  };
  const done = (stage: SmtpTransactionResult['stage'], r: { code: number; reply: string }, ok: boolean): SmtpTransactionResult => {
    if (!socket.destroyed) say('QUIT');
    return { ok, stage, code: r.code, reply: r.reply };
  };

  try {
    let r = await next();
    if (r.code !== 220) return done('greeting', r, false);
    say(`EHLO ${o.helo ?? 'client.example.test'}`);
    r = await next();
    if (r.code !== 250) return done('ehlo', r, false);
    say(`MAIL FROM:<${o.from}>`);
    r = await next();
    if (r.code >= 300) return done('mail', r, false);
    for (const rcpt of o.to) {
      say(`RCPT TO:<${rcpt}>`);
      r = await next();
      if (r.code >= 300) return done('rcpt', r, false);
    }
    say('DATA');
    r = await next();
    if (r.code !== 354) return done('data', r, false);
    socket.write(dotStuff(o.data));
    r = await next();
    return done('message', r, r.code < 300);
  } finally {
    clearTimeout(timer);
    socket.end();
    // Give QUIT a moment to leave, but never wait on the server.
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

async function mustRun(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await runProcess(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

export interface UnixUser {
  name: string;
  uid: number;
  gid: number;
}

/** Looks a user up by name or uid (`getent passwd`). */
export function resolveUser(user: string | number): UnixUser {
  let entry: string;
  try {
    entry = execFileSync('getent', ['passwd', String(user)], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`resolveUser: no such user ${JSON.stringify(user)}`);
  }
  const [name, , uid, gid] = entry.split(':');
  return { name: name!, uid: Number(uid), gid: Number(gid) };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('freePort: no port');
  return addr.port;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Slots: fixed directories, so alternate_config_directories can name them

const OWNER_FILE = 'owner.pid';

async function reclaimIfStale(slot: string): Promise<void> {
  const lock = `${slot}.reclaim`;
  try {
    fs.mkdirSync(lock);
  } catch {
    // Someone else is reclaiming it; a lock left by a crash is cleared after a minute.
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > 60_000) fs.rmdirSync(lock);
    } catch {
      /* gone already */
    }
    return;
  }
  try {
    let owner: number | null = null;
    try {
      owner = Number(fs.readFileSync(path.join(slot, OWNER_FILE), 'utf8'));
    } catch {
      owner = null;
    }
    if (owner !== null && Number.isInteger(owner) && pidAlive(owner)) return;
    // The owning test process died without stop(): end its Postfix, then free the slot.
    if (fs.existsSync(path.join(slot, 'etc', 'main.cf'))) await runProcess(POSTFIX, ['-c', path.join(slot, 'etc'), 'stop']);
    fs.rmSync(slot, { recursive: true, force: true });
  } finally {
    fs.rmdirSync(lock);
  }
}

async function claimSlot(): Promise<string> {
  fs.mkdirSync(SLOT_BASE, { recursive: true, mode: 0o755 });
  fs.chmodSync(SLOT_BASE, 0o755);
  for (let attempt = 0; attempt < 2; attempt++) {
    for (let i = 0; i < SLOT_COUNT; i++) {
      const slot = path.join(SLOT_BASE, `slot${i}`);
      // Build the claim aside and rename it into place: rename onto a non-empty directory fails,
      // so exactly one process wins, and a won slot always has its owner file.
      const staging = path.join(SLOT_BASE, `.claim-${process.pid}-${randomBytes(4).toString('hex')}`);
      fs.mkdirSync(staging, { mode: 0o755 });
      fs.writeFileSync(path.join(staging, OWNER_FILE), String(process.pid));
      try {
        fs.renameSync(staging, slot);
        fs.chmodSync(slot, 0o755);
        return slot;
      } catch {
        fs.rmSync(staging, { recursive: true, force: true });
        if (attempt === 0) await reclaimIfStale(slot);
      }
    }
  }
  throw new Error(`startPostfix: all ${SLOT_COUNT} slots under ${SLOT_BASE} are in use by live processes`);
}

// ---------------------------------------------------------------------------------------------------------------
// Following the maillog_file across rotations

class LogFollower {
  readonly lines: string[] = [];
  private current: { fd: number; ino: number; offset: number; partial: string } | null = null;
  private retired: Array<{ fd: number; offset: number; partial: string; until: number }> = [];

  constructor(private readonly file: string) {}

  /** Reads whatever was appended since the last call, following a rename of the file to a new one. */
  poll(): void {
    if (this.current) this.drain(this.current);
    let ino: number | null = null;
    try {
      ino = fs.statSync(this.file).ino;
    } catch {
      ino = null;
    }
    if (this.current && ino !== this.current.ino) {
      // Rotated: postlogd may write to the old file until it has reopened, so keep reading it a while.
      this.retired.push({ ...this.current, until: Date.now() + 5_000 });
      this.current = null;
    }
    if (!this.current && ino !== null) {
      try {
        const fd = fs.openSync(this.file, 'r');
        this.current = { fd, ino: fs.fstatSync(fd).ino, offset: 0, partial: '' };
        this.drain(this.current);
      } catch {
        this.current = null;
      }
    }
    this.retired = this.retired.filter((r) => {
      this.drain(r);
      if (Date.now() < r.until) return true;
      if (r.partial) this.lines.push(r.partial);
      fs.closeSync(r.fd);
      return false;
    });
  }

  close(): void {
    for (const r of [...this.retired, ...(this.current ? [this.current] : [])]) fs.closeSync(r.fd);
    this.retired = [];
    this.current = null;
  }

  private drain(f: { fd: number; offset: number; partial: string }): void {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = fs.readSync(f.fd, buf, 0, buf.length, f.offset);
      if (n === 0) return;
      f.offset += n;
      const text = f.partial + buf.subarray(0, n).toString('utf8');
      const parts = text.split('\n');
      f.partial = parts.pop()!;
      this.lines.push(...parts);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The instance

export interface StartPostfixOptions {
  /** Port of the SES stand-in on 127.0.0.1: the relayhost. */
  relayPort: number;
  /** smtpd port on 127.0.0.1; a free one is picked when left out. */
  smtpPort?: number;
  /** Instance directory; by default a slot under SLOT_BASE (needed for sendmail as a non-root user). */
  dir?: string;
  /** Defaults to internal-mta.example.test; the maillog's host field is its first label. */
  myhostname?: string;
  /** Extra or overriding main.cf parameters, e.g. `{ enable_long_queue_ids: 'yes' }` or `{ maximal_queue_lifetime: '5s' }`. */
  mainCf?: Record<string, string>;
  /** Leave the directory in place after stop() (for looking at the queue and log afterwards). */
  keep?: boolean;
}

export interface SendSmtpOptions extends MessageSpec {
  /** Source address of the client connection (127.0.0.x); default 127.0.0.1. */
  sourceIp?: string;
  /** EHLO name; default client.example.test. */
  helo?: string;
}

export interface SendSmtpResult {
  /** Postfix's queue id, from `250 2.0.0 Ok: queued as <id>`. */
  queueId: string;
  /** The Message-ID header value sent (with angle brackets), or null if the message had none. */
  messageId: string | null;
  reply: string;
}

export interface SendmailOptions extends MessageSpec {
  /** Runs `sendmail` as this Unix user (name or uid), e.g. 'nobody' (65534) or 'daemon' (1); default root. */
  user?: string | number;
}

export interface SendmailResult {
  messageId: string | null;
  uid: number;
}

export interface PostfixInstance {
  dir: string;
  /** The `-c` argument of postfix/postqueue and `-C` of sendmail. */
  configDir: string;
  queueDir: string;
  logPath: string;
  smtpPort: number;
  myhostname: string;
  /** Submits one message over SMTP to this instance's smtpd; throws when it is not queued. */
  sendSmtp(opts: SendSmtpOptions): Promise<SendSmtpResult>;
  /** Submits one message through this instance's `sendmail -C`, as a given user (pickup logs `uid=N`). */
  sendmail(opts: SendmailOptions): Promise<SendmailResult>;
  /** The queue id that cleanup logged for a Message-ID (`QID: message-id=<...>`); waits for it. */
  queueIdOf(messageId: string, timeoutMs?: number): Promise<string>;
  /** `postfix logrotate`; resolves to the rotated (gzipped) file's path once it exists. */
  logrotate(): Promise<string>;
  /** `postfix flush`: retry deferred mail now. */
  flush(): Promise<void>;
  /** Every log line so far, including those of rotated files that were read before rotation. */
  logLines(): string[];
  /** Resolves with the first log line (since start) that matches; rejects after timeoutMs naming the predicate and the last lines. */
  waitForLog(predicate: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** `postfix stop`, then removes the directory (unless keep). Safe to call twice. */
  stop(): Promise<void>;
}

const POLL_MS = 50;

export async function startPostfix(opts: StartPostfixOptions): Promise<PostfixInstance> {
  const problem = postfixProblem();
  if (problem) throw new Error(problem);
  const myhostname = opts.myhostname ?? 'internal-mta.example.test';
  let dir: string;
  if (opts.dir) {
    dir = path.resolve(opts.dir);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  } else {
    dir = await claimSlot();
  }
  fs.chmodSync(dir, 0o755);
  const configDir = path.join(dir, 'etc');
  const queueDir = path.join(dir, 'spool');
  const logPath = path.join(dir, 'maillog');
  fs.mkdirSync(configDir, { recursive: true, mode: 0o755 });
  fs.mkdirSync(queueDir, { recursive: true, mode: 0o755 });

  let smtpPort = 0;
  let started = false;
  const tries = opts.smtpPort ? 1 : 3;
  let lastError: Error | null = null;
  for (let i = 0; i < tries && !started; i++) {
    smtpPort = opts.smtpPort ?? (await freePort());
    const params = mainCfParams({ dir, smtpPort, relayPort: opts.relayPort, myhostname, mainCf: opts.mainCf });
    fs.writeFileSync(path.join(configDir, 'main.cf'), renderMainCf(params));
    fs.writeFileSync(path.join(configDir, 'master.cf'), renderMasterCf(smtpPort));
    const r = await runProcess(POSTFIX, ['-c', configDir, 'start']);
    if (r.code === 0) {
      started = true;
      break;
    }
    const log = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
    lastError = new Error(`postfix -c ${configDir} start exited with ${r.code}: ${(r.stderr || r.stdout).trim()}\n${log}`);
    // Another process may have taken the port between freePort() and master's bind; try another.
    if (!/address already in use/i.test(log)) break;
  }
  if (!started) {
    if (!opts.dir && !opts.keep) fs.rmSync(dir, { recursive: true, force: true });
    throw lastError ?? new Error(`postfix -c ${configDir} start failed`);
  }

  const follower = new LogFollower(logPath);
  let stopped = false;
  let alternateDirs: string[] | null = null;

  const waitForLog = async (predicate: (line: string) => boolean, timeoutMs = 20_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    let scanned = 0;
    for (;;) {
      follower.poll();
      for (; scanned < follower.lines.length; scanned++) {
        const line = follower.lines[scanned]!;
        if (predicate(line)) return line;
      }
      if (Date.now() >= deadline) {
        const tail = follower.lines.slice(-15).join('\n');
        throw new Error(`waitForLog: no line of ${logPath} matched ${predicate.toString()} within ${timeoutMs} ms; last lines:\n${tail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  const instance: PostfixInstance = {
    dir,
    configDir,
    queueDir,
    logPath,
    smtpPort,
    myhostname,

    async sendSmtp(o) {
      const { data, messageId } = buildMessage(o, Date.now(), randomBytes(8).toString('base64url'));
      const r = await smtpTransaction({
        port: smtpPort,
        localAddress: o.sourceIp ?? '127.0.0.1',
        helo: o.helo,
        from: o.from,
        to: o.to,
        data,
      });
      const queued = /queued as ([0-9A-Za-z]+)/.exec(r.reply);
      if (!r.ok || !queued) {
        throw new Error(`sendSmtp from ${o.sourceIp ?? '127.0.0.1'} <${o.from}> -> ${o.to.join(', ')}: ${r.stage} got ${r.reply}`);
      }
      return { queueId: queued[1]!, messageId, reply: r.reply };
    },

    async sendmail(o) {
      const user = resolveUser(o.user ?? 0);
      if (user.uid !== 0) {
        alternateDirs ??= (await mustRun(POSTCONF, ['-h', 'alternate_config_directories'])).stdout.split(/[\s,]+/).filter(Boolean);
        if (!alternateDirs.includes(configDir)) {
          throw new Error(
            `sendmail as ${user.name}: ${configDir} is not in alternate_config_directories of /etc/postfix/main.cf, ` +
              'so sendmail/postdrop refuse it for non-root users; run `bash .ci/postfix-setup.sh` as root.',
          );
        }
      }
      const { data, messageId } = buildMessage(o, Date.now(), randomBytes(8).toString('base64url'));
      const r = await runProcess(SENDMAIL, ['-C', configDir, '-i', '-f', o.from || '<>', '--', ...o.to], {
        input: data.replace(/\r\n/g, '\n'),
        uid: user.uid,
        gid: user.gid,
      });
      if (r.code !== 0) {
        throw new Error(`sendmail -C ${configDir} as ${user.name} (uid ${user.uid}) exited with ${r.code}: ${(r.stderr || r.stdout).trim()}`);
      }
      return { messageId, uid: user.uid };
    },

    async queueIdOf(messageId, timeoutMs) {
      const wanted = messageId.startsWith('<') ? messageId : `<${messageId}>`;
      const line = await waitForLog((l) => /postfix\/cleanup\[\d+\]: [0-9A-Za-z]+: message-id=/.test(l) && l.endsWith(`message-id=${wanted}`), timeoutMs);
      return /: ([0-9A-Za-z]+): message-id=/.exec(line)![1]!;
    },

    async logrotate() {
      follower.poll();
      const before = new Set(fs.readdirSync(dir));
      await mustRun(POSTFIX, ['-c', configDir, 'logrotate'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
      follower.poll();
      const rotated = fs.readdirSync(dir).filter((f) => !before.has(f) && f.startsWith('maillog.'));
      if (rotated.length !== 1) throw new Error(`logrotate: expected one new maillog.* file in ${dir}, found ${JSON.stringify(rotated)}`);
      return path.join(dir, rotated[0]!);
    },

    async flush() {
      await mustRun(POSTFIX, ['-c', configDir, 'flush']);
    },

    logLines() {
      follower.poll();
      return [...follower.lines];
    },

    waitForLog,

    async stop() {
      if (stopped) return;
      stopped = true;
      const r = await runProcess(POSTFIX, ['-c', configDir, 'stop']);
      follower.poll();
      follower.close();
      if (r.code !== 0 && !/not running/.test(r.stderr + r.stdout)) {
        throw new Error(`postfix -c ${configDir} stop exited with ${r.code}: ${(r.stderr || r.stdout).trim()}`);
      }
      if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return instance;
}
