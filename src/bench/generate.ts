// Synthetic but realistic logs of a Postfix that relays to the Amazon SES SMTP interface.
// The benchmark needs a ~1.6M-line log and the tests need logs whose contents are known in
// advance, so the generator is a seeded discrete-event simulation: message "sessions" arrive as a
// Poisson process, each plans its future lines into a time-ordered heap, and lines leave the heap
// in timestamp order. Only messages in flight are held in memory, never the lines already written.
// Line shapes follow real logs (test/fixtures/journal-short.log, Lightmeter's and postfix-grok-
// patterns' samples, and Postfix's own smtpd/smtp sources for the client= and XFORWARD fields).
import { openSync, writeSync, closeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export type LogFormat = 'rfc3164' | 'rfc3339';

export interface GenerateOptions {
  /** Stop after this many accepted messages (SMTP or pickup); the ones in flight are finished. */
  messages?: number;
  /** Stop starting new sessions once this many lines were written; the ones in flight are finished. */
  lines?: number;
  seed: number;
  /** Time of the first line. Default 2025-11-03T00:00:00Z, so output does not depend on the clock. */
  start?: Date;
  format?: LogFormat;
  /** The syslog host field. */
  hostname?: string;
  /** Accepted messages per simulated minute (default 300). */
  messagesPerMinute?: number;
  /** Keep ground truth for every Nth accepted message (default 100)... */
  sampleEvery?: number;
  /** ...but no more than this many (default 2000), so the truth stays small for any log length. */
  maxSamples?: number;
  /**
   * A Postfix short queue id is 5 hex digits of microseconds and the queue file's inode number.
   * Inodes are drawn from this many free ones (default 64) and the microseconds from this many
   * distinct values (default 1e6): shrink either to make queue-id reuse more frequent.
   */
  queueIdInodes?: number;
  queueIdMicroseconds?: number;
}

export type MessageOrigin =
  | { type: 'smtpd'; service: 'smtpd' | 'submission'; clientIp: string; clientHost: string; saslUsername: string | null }
  | { type: 'pickup'; uid: number };

/** What the log says about one accepted message, for lookups and for checking an indexer. */
export interface MessageTruth {
  /** ISO time of the smtpd `client=` or pickup line. */
  time: string;
  origin: MessageOrigin;
  sender: string;
  /** Without angle brackets; null when the message was logged with `message-id=<>`. */
  messageId: string | null;
  /** The first queue file. */
  queueId: string;
  /** The queue file that went to SES: the content filter's re-injected copy, or queueId. */
  relayQueueId: string;
  /** The content filter hop's queue id, or null when the message was not filtered. */
  filterQueueId: string | null;
  recipients: string[];
  /** `sent`: SES accepted it; `rejected`: SES refused it with 554 and Postfix bounced it. */
  outcome: 'sent' | 'rejected';
  /** From SES's `250 Ok <id>`, the same for all recipients of the transaction. */
  sesMessageId: string | null;
  /** How many times SES throttled it (454) before the attempt that settled it. */
  deferrals: number;
  /** The queue id of Postfix's non-delivery notice, when SES rejected the message. */
  bounceNoticeQueueId: string | null;
}

/**
 * Counts as pflogsumm 1.1.5 derives them from the log, to check the log's realism against it:
 * `received` counts smtpd `client=` lines (the filter's re-injection too) and pickup lines,
 * `delivered`/`bounced`/`deferrals` count per-recipient `status=` lines (the hop to the content
 * filter counts as delivered), `deferred` counts distinct queue id strings that were deferred.
 */
export interface PflogsummCounts {
  received: number;
  delivered: number;
  deferred: number;
  deferrals: number;
  bounced: number;
  rejected: number;
}

export interface GroundTruth {
  lines: number;
  bytes: number;
  /** Accepted messages (SMTP sessions and pickup), not counting filter copies or bounce notices. */
  messages: number;
  /** Every queue file: accepted messages, filter copies and bounce notices. */
  queueFiles: number;
  origins: { smtpd: number; submission: number; pickup: number };
  /** Recipient addresses over all accepted messages. */
  recipients: number;
  sesAccepted: number;
  sesRejected: number;
  /** Messages that SES throttled at least once. */
  throttledMessages: number;
  filterHops: number;
  bounceNotices: number;
  noqueueRejects: number;
  saslFailures: number;
  /** Lines from programs other than Postfix. */
  otherProgramLines: number;
  /** Queue ids that named more than one queue file over the log, and a few of them. */
  reusedQueueIds: number;
  reusedQueueIdSamples: string[];
  pflogsumm: PflogsummCounts;
  firstTime: string;
  lastTime: string;
  samples: MessageTruth[];
}

const DEFAULT_START = Date.UTC(2025, 10, 3, 0, 0, 0);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MYDOMAIN = 'example.net';
const SES_HOST = 'email-smtp.us-east-1.amazonaws.com';
const SES_IPS = ['52.206.145.59', '3.224.1.122', '54.157.237.25', '44.208.152.117', '34.225.214.6', '52.3.110.156'];
const SES_TLS =
  'TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange ECDHE (prime256v1) server-signature RSA-PSS (2048 bits) server-digest SHA256';
const SMTPD_TLS = [
  'TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256',
  'TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)',
  'TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256',
];
// Seen on the real relay whose log is in test/fixtures: logged once by each new smtp process.
const OPENSSL_WARNING =
  'warning: run-time library vs. compile-time header version mismatch: OpenSSL 3.2.0 may not be compatible with OpenSSL 3.0.0';

const FIRST_NAMES = ['james', 'mary', 'john', 'patricia', 'robert', 'jennifer', 'michael', 'linda', 'david', 'elizabeth',
  'william', 'susan', 'joseph', 'jessica', 'thomas', 'sarah', 'taro', 'hanako', 'yuki', 'kenji', 'wei', 'anna', 'lukas',
  'sofia', 'mateo', 'olga', 'ivan', 'fatima', 'omar', 'priya', 'arjun', 'chloe', 'noah', 'emma', 'liam', 'mia'];
const LAST_NAMES = ['smith', 'johnson', 'williams', 'brown', 'jones', 'garcia', 'miller', 'davis', 'tanaka', 'suzuki',
  'sato', 'wang', 'zhang', 'muller', 'schmidt', 'rossi', 'silva', 'kowalski', 'nguyen', 'kim', 'patel', 'singh',
  'ivanov', 'dubois', 'novak', 'haddad', 'okafor', 'larsen'];
const DOMAIN_WORDS = ['acme', 'northwind', 'globex', 'initech', 'umbrella', 'contoso', 'fabrikam', 'tailspin', 'wingtip',
  'litware', 'adventure', 'proseware', 'fourthcoffee', 'wideworld', 'lucerne', 'margie', 'treyresearch', 'blueyonder',
  'alpine', 'coho', 'datum', 'woodgrove', 'southridge', 'humongous', 'fineart', 'relecloud', 'vanarsdel', 'lamna',
  'bellows', 'fernhill', 'kestrel', 'larkspur', 'meridian', 'orchard', 'pinnacle', 'quarry', 'redwood', 'summit',
  'tidewater', 'vertex', 'willow', 'zenith', 'harbor', 'juniper', 'mosaic', 'nimbus', 'osprey', 'sparrow'];
const DOMAIN_SUFFIXES = ['', '', '-mail', '-shop', '-labs', '-group', 'app', 'hq', '-news', '-systems', '-online'];
const TLDS = ['.com', '.com', '.com', '.net', '.org', '.io', '.co.uk', '.de', '.jp', '.co.jp', '.fr', '.com.au'];
const FREEMAIL: Array<[string, number]> = [['gmail.com', 30], ['yahoo.com', 8], ['outlook.com', 8], ['hotmail.com', 6],
  ['icloud.com', 5], ['aol.com', 2], ['yahoo.co.jp', 3], ['docomo.ne.jp', 2], ['gmx.de', 2], ['orange.fr', 1]];
const SENDER_LOCALS = ['noreply', 'no-reply', 'info', 'alerts', 'billing', 'support', 'news', 'orders', 'notifications',
  'accounts', 'hello', 'team', 'reports', 'mailer'];
const SES_SIMULATOR = ['success@simulator.amazonses.com', 'bounce@simulator.amazonses.com',
  'complaint@simulator.amazonses.com', 'ooto@simulator.amazonses.com'];
const BOT_USERS = ['admin', 'test', 'user', 'oracle', 'ubuntu', 'guest', 'postgres', 'git', 'ftpuser', 'support'];
const HELOS = ['User', 'ylmf-pc', 'localhost', 'WIN-CLJ1B0GQ6JP', 'mail.example.com', 'EHLO'];
const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

/** sfc32 seeded through splitmix32: fast, small state, and the same sequence on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${String(seed)}`);
    let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  float(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list');
    return items[Math.floor(this.float() * items.length)] as T;
  }

  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let x = this.float() * total;
    for (const [v, w] of items) {
      x -= w;
      if (x < 0) return v;
    }
    return (items[items.length - 1] as readonly [T, number])[0];
  }

  /** Exponentially distributed, for Poisson arrivals. */
  exp(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u = 1 - this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  chars(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.float() * alphabet.length)];
    return s;
  }
}

/** Postfix prints delays with about two significant digits and `0` below 10 ms. */
export function formatDelay(seconds: number): string {
  if (seconds >= 10) return String(Math.round(seconds));
  if (seconds >= 1) return String(Math.round(seconds * 10) / 10);
  const v = Math.round(seconds * 100) / 100;
  return v === 0 ? '0' : String(v);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `Nov  3 12:57:23`: the day is space-padded as classic syslog writes it. */
export function rfc3164Stamp(ms: number): string {
  const d = new Date(ms);
  const day = d.getUTCDate();
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

function compactStamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
}

interface HeapEvent {
  t: number;
  seq: number;
  tag: string;
  pid: number | null;
  text: string;
  after: (() => void) | null;
}

/** Binary min-heap on (t, seq): seq keeps lines planned for the same millisecond in planning order. */
class EventHeap {
  private items: HeapEvent[] = [];

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items.length > 0 ? (this.items[0] as HeapEvent).t : Infinity;
  }

  push(e: HeapEvent): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, a[p] as HeapEvent)) break;
      a[i] = a[p] as HeapEvent;
      i = p;
    }
    a[i] = e;
  }

  pop(): HeapEvent | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && before(a[r] as HeapEvent, a[l] as HeapEvent) ? r : l;
      if (!before(a[c] as HeapEvent, last)) break;
      a[i] = a[c] as HeapEvent;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

function before(x: HeapEvent, y: HeapEvent): boolean {
  return x.t < y.t || (x.t === y.t && x.seq < y.seq);
}

class PidSource {
  private next: number;
  constructor(private rng: Rng) {
    this.next = rng.int(2000, 3000);
  }
  take(): number {
    this.next += this.rng.int(1, 6);
    if (this.next > 4_000_000) this.next = 300;
    return this.next;
  }
}

interface Proc {
  pid: number;
  busyUntil: number;
  uses: number;
  /** The SES address the process's cached connection goes to (smtp processes). */
  ip: string;
}

/**
 * Postfix daemons serve one client at a time, are reused up to max_use times and exit when idle,
 * so pids of one kind recur for a while and then change.
 */
class ProcessPool {
  private procs: Proc[] = [];
  constructor(private pids: PidSource, private maxUse: number, private maxIdleMs: number) {}

  acquire(from: number, until: number): { proc: Proc; fresh: boolean } {
    for (let i = 0; i < this.procs.length; i++) {
      const p = this.procs[i] as Proc;
      if (p.busyUntil > from) continue;
      if (from - p.busyUntil > this.maxIdleMs) {
        this.procs.splice(i--, 1);
        continue;
      }
      p.busyUntil = until;
      if (++p.uses >= this.maxUse) this.procs.splice(i, 1);
      return { proc: p, fresh: false };
    }
    const proc: Proc = { pid: this.pids.take(), busyUntil: until, uses: 1, ip: '' };
    this.procs.push(proc);
    return { proc, fresh: true };
  }
}

/** Queue ids as Postfix makes them: unique among files in the queue, free to recur afterwards. */
class QueueIds {
  private inUse: Uint8Array;
  private everUsed = new Set<number>();
  private reusedSet = new Set<string>();
  reuseSamples: string[] = [];
  allocated = 0;

  constructor(private rng: Rng, private inodes: number, private usecValues: number, private inodeBase: number) {
    this.inUse = new Uint8Array(inodes);
  }

  get reused(): number {
    return this.reusedSet.size;
  }

  allocate(t: number): { id: string; slot: number } {
    let slot = -1;
    for (let tries = 0; tries < 8 && slot < 0; tries++) {
      const s = this.rng.int(0, this.inodes - 1);
      if (this.inUse[s] === 0) slot = s;
    }
    if (slot < 0) slot = this.inUse.indexOf(0);
    if (slot < 0) {
      // More files in the queue than inodes in the pool: the queue directory grows.
      const grown = new Uint8Array(this.inodes * 2);
      grown.set(this.inUse);
      slot = this.inodes;
      this.inodes *= 2;
      this.inUse = grown;
    }
    this.inUse[slot] = 1;
    const usecExact = (t % 1000) * 1000 + this.rng.int(0, 999);
    const step = Math.max(1, Math.floor(1_000_000 / this.usecValues));
    const usec = Math.floor(usecExact / step) * step;
    const id = (usec.toString(16).padStart(5, '0') + (this.inodeBase + slot).toString(16)).toUpperCase();
    const key = slot * 1_048_576 + usec;
    if (this.everUsed.has(key)) {
      if (!this.reusedSet.has(id) && this.reuseSamples.length < 20) this.reuseSamples.push(id);
      this.reusedSet.add(id);
    } else {
      this.everUsed.add(key);
    }
    this.allocated++;
    return { id, slot };
  }

  release(slot: number): void {
    this.inUse[slot] = 0;
  }
}

interface Client {
  ip: string;
  host: string;
  service: 'smtpd' | 'submission';
  sasl: { method: string; username: string } | null;
  tls: string | null;
  domain: string;
  senders: string[];
  filtered: boolean;
  mailer: number;
}

interface Message {
  qid: string;
  slot: number;
  sender: string;
  size: number;
  rcpts: string[];
  rawMessageId: string;
  messageId: string | null;
  verified: boolean;
  /** The client as the content filter forwards it in XFORWARD (`host[ip]`), for filtered messages. */
  origClient: string | null;
  truth: MessageTruth | null;
}

type Source = 'smtpd' | 'pickup' | 'noqueue' | 'saslfail' | 'dovecot' | 'sshd';

/** Writes lines through `write` in ~64 KiB chunks and counts them. */
class LineWriter {
  lines = 0;
  bytes = 0;
  firstTime = NaN;
  lastTime = NaN;
  private buf = '';
  private lastSecond = NaN;
  private stampCache = '';
  private lastT = NaN;
  private usec = 0;

  constructor(private write: (chunk: string) => void, private format: LogFormat, private host: string) {}

  line(t: number, seq: number, tag: string, pid: number | null, text: string): void {
    const sec = Math.floor(t / 1000);
    if (sec !== this.lastSecond) {
      this.lastSecond = sec;
      this.stampCache = this.format === 'rfc3164' ? rfc3164Stamp(t) : new Date(sec * 1000).toISOString().slice(0, 19);
    }
    let stamp = this.stampCache;
    if (this.format === 'rfc3339') {
      // Microseconds that never go backwards within a millisecond.
      this.usec = t === this.lastT ? Math.min(999, this.usec + 1 + (seq % 17)) : (seq * 37) % 500;
      this.lastT = t;
      stamp += `.${String(t % 1000).padStart(3, '0')}${String(this.usec).padStart(3, '0')}+00:00`;
    }
    const line = `${stamp} ${this.host} ${tag}${pid === null ? '' : `[${pid}]`}: ${text}\n`;
    this.buf += line;
    this.bytes += Buffer.byteLength(line);
    this.lines++;
    if (Number.isNaN(this.firstTime)) this.firstTime = t;
    this.lastTime = t;
    if (this.buf.length >= 65536) this.flush();
  }

  flush(): void {
    if (this.buf.length > 0) {
      this.write(this.buf);
      this.buf = '';
    }
  }
}

class Simulation {
  private rng: Rng;
  private heap = new EventHeap();
  private seq = 0;
  private out: LineWriter;
  private pids: PidSource;
  private qids: QueueIds;
  private readonly myhostname: string;
  private readonly qmgrPid: number;
  private readonly pickupPid: number;
  private pools: Record<'smtpd' | 'submission' | 'reinject' | 'cleanup' | 'smtp' | 'filterSmtp' | 'bounce' | 'anvil' | 'scache', ProcessPool>;
  private amavis: Array<{ pid: number; n: number }> = [];
  private clients: Client[];
  private clientWeights: Float64Array;
  private clientWeightTotal: number;
  private pickupUsers: Array<{ uid: number; sender: string; verified: boolean; w: number }>;
  private unverifiedDomains = new Set<string>();
  private recipientDomains: Array<readonly [string, number]>;
  private deferredQids = new Set<string>();
  private accepted = 0;
  private t: IterationState;
  private truth: Omit<GroundTruth, 'lines' | 'bytes' | 'firstTime' | 'lastTime' | 'reusedQueueIds' | 'reusedQueueIdSamples' | 'queueFiles'>;

  constructor(private opts: Required<Omit<GenerateOptions, 'messages' | 'lines' | 'start'>> & { start: number; messages: number; lines: number }, write: (chunk: string) => void) {
    this.rng = new Rng(opts.seed);
    this.out = new LineWriter(write, opts.format, opts.hostname);
    this.pids = new PidSource(this.rng);
    this.qids = new QueueIds(this.rng, opts.queueIdInodes, opts.queueIdMicroseconds, 0x13d000 + this.rng.int(0, 0xfff));
    this.myhostname = `${opts.hostname}.${MYDOMAIN}`;
    this.pickupPid = this.rng.int(900, 1600);
    this.qmgrPid = this.pickupPid + 1;
    this.pools = {
      smtpd: new ProcessPool(this.pids, 100, 100_000),
      submission: new ProcessPool(this.pids, 100, 100_000),
      reinject: new ProcessPool(this.pids, 100, 100_000),
      cleanup: new ProcessPool(this.pids, 100, 100_000),
      smtp: new ProcessPool(this.pids, 100, 100_000),
      filterSmtp: new ProcessPool(this.pids, 100, 100_000),
      bounce: new ProcessPool(this.pids, 100, 100_000),
      anvil: new ProcessPool(this.pids, 1_000_000, 100_000),
      scache: new ProcessPool(this.pids, 1_000_000, 100_000),
    };
    const domains = this.makeDomains(160);
    // A few customers never verified their domain in SES: their mail is refused with 554.
    for (let i = 0; i < 5; i++) this.unverifiedDomains.add(domains[this.rng.int(0, domains.length - 1)] as string);
    this.recipientDomains = [...FREEMAIL, ...domains.slice(0, 60).map((d) => [d, 0.5] as const)];
    this.clients = this.makeClients(420, domains);
    this.clientWeights = new Float64Array(this.clients.length);
    this.clientWeightTotal = 0;
    for (let i = 0; i < this.clients.length; i++) {
      const w = 1 / Math.pow(i + 1, 0.8);
      this.clientWeightTotal += w;
      this.clientWeights[i] = this.clientWeightTotal;
    }
    this.pickupUsers = [
      { uid: 33, sender: `www-data@${this.myhostname}`, verified: true, w: 5 },
      { uid: 1000, sender: `app@${domains[0] as string}`, verified: true, w: 6 },
      { uid: 1001, sender: `reports@${domains[1] as string}`, verified: true, w: 2 },
      // root's mail carries the host's own name, which nobody verified in SES (as on the real relay).
      { uid: 0, sender: `root@${this.myhostname}`, verified: false, w: 1 },
      { uid: 998, sender: `nagios@${this.myhostname}`, verified: true, w: 1 },
    ];
    this.t = { now: opts.start, nextArrival: opts.start, nextTick: Math.ceil(opts.start / 60_000) * 60_000 };
    this.truth = {
      messages: 0,
      origins: { smtpd: 0, submission: 0, pickup: 0 },
      recipients: 0,
      sesAccepted: 0,
      sesRejected: 0,
      throttledMessages: 0,
      filterHops: 0,
      bounceNotices: 0,
      noqueueRejects: 0,
      saslFailures: 0,
      otherProgramLines: 0,
      pflogsumm: { received: 0, delivered: 0, deferred: 0, deferrals: 0, bounced: 0, rejected: 0 },
      samples: [],
    };
  }

  run(): GroundTruth {
    const o = this.opts;
    const perSecond = o.messagesPerMinute / 60;
    // Superposed Poisson sources; message sources carry 1.25 messages per SMTP session on average.
    const sources: Array<readonly [Source, number]> = [
      ['smtpd', (perSecond * 0.85) / 1.25],
      ['pickup', perSecond * 0.15],
      ['noqueue', perSecond * 0.04],
      ['saslfail', perSecond * 0.012],
      ['dovecot', perSecond * 0.03],
      ['sshd', perSecond * 0.01],
    ];
    const totalRate = sources.reduce((s, [, r]) => s + r, 0);
    const meanGapMs = 1000 / totalRate;
    let generating = true;
    this.t.nextArrival = o.start + Math.round(this.rng.exp(meanGapMs));
    for (;;) {
      const nextEvent = this.heap.peekTime();
      if (generating) {
        if (this.accepted >= o.messages || this.out.lines >= o.lines) {
          generating = false;
          continue;
        }
        if (this.t.nextTick <= nextEvent && this.t.nextTick <= this.t.nextArrival) {
          this.t.now = this.t.nextTick;
          this.tick(this.t.now);
          this.t.nextTick += 60_000;
          continue;
        }
        if (this.t.nextArrival <= nextEvent) {
          this.t.now = this.t.nextArrival;
          this.arrive(this.rng.weighted(sources), this.t.now);
          this.t.nextArrival = this.t.now + Math.max(1, Math.round(this.rng.exp(meanGapMs)));
          continue;
        }
      }
      const e = this.heap.pop();
      if (e === undefined) break;
      this.t.now = e.t;
      this.out.line(e.t, e.seq, e.tag, e.pid, e.text);
      if (e.after !== null) e.after();
    }
    this.out.flush();
    this.truth.pflogsumm.deferred = this.deferredQids.size;
    return {
      lines: this.out.lines,
      bytes: this.out.bytes,
      ...this.truth,
      queueFiles: this.qids.allocated,
      reusedQueueIds: this.qids.reused,
      reusedQueueIdSamples: this.qids.reuseSamples,
      firstTime: new Date(Number.isNaN(this.out.firstTime) ? o.start : this.out.firstTime).toISOString(),
      lastTime: new Date(Number.isNaN(this.out.lastTime) ? o.start : this.out.lastTime).toISOString(),
    };
  }

  private push(t: number, tag: string, pid: number | null, text: string, after: (() => void) | null = null): void {
    this.heap.push({ t: Math.round(t), seq: this.seq++, tag, pid, text, after });
  }

  private other(t: number, tag: string, pid: number | null, text: string): void {
    this.truth.otherProgramLines++;
    this.push(t, tag, pid, text);
  }

  // ---- world building -------------------------------------------------------------------------

  private makeDomains(n: number): string[] {
    const set = new Set<string>();
    while (set.size < n) {
      set.add(this.rng.pick(DOMAIN_WORDS) + this.rng.pick(DOMAIN_SUFFIXES) + this.rng.pick(TLDS));
    }
    return [...set];
  }

  private ipv4Public(): string {
    let a = this.rng.int(1, 223);
    while (a === 10 || a === 127 || a === 172 || a === 192 || a === 100 || a === 169) a = this.rng.int(1, 223);
    return `${a}.${this.rng.int(0, 255)}.${this.rng.int(0, 255)}.${this.rng.int(1, 254)}`;
  }

  private ipv6(prefix: string): string {
    const h = (): string => this.rng.int(0, 0xffff).toString(16);
    return this.rng.chance(0.5) ? `${prefix}:${h()}::${h()}` : `${prefix}:${h()}:${h()}:${h()}:${h()}`;
  }

  private makeClients(n: number, domains: string[]): Client[] {
    const clients: Client[] = [];
    for (let i = 0; i < n; i++) {
      const domain = this.rng.pick(domains);
      const senders = [this.rng.pick(SENDER_LOCALS), this.rng.pick(SENDER_LOCALS), `${this.rng.pick(FIRST_NAMES)}.${this.rng.pick(LAST_NAMES)}`]
        .map((l) => `${l}@${domain}`);
      const mailer = this.rng.int(0, 4);
      if (this.rng.chance(0.3)) {
        // Application servers in mynetworks on port 25; that smtpd hands mail to the content filter.
        const r = this.rng.float();
        let ip: string;
        let host: string;
        if (r < 0.45) {
          const [b, c, d] = [this.rng.int(0, 31), this.rng.int(0, 255), this.rng.int(4, 254)];
          ip = `172.31.${b * 8 + (c % 8)}.${d}`;
          host = `ip-172-31-${b * 8 + (c % 8)}-${d}.ec2.internal`;
        } else if (r < 0.75) {
          ip = `10.${this.rng.int(0, 3)}.${this.rng.int(0, 255)}.${this.rng.int(2, 254)}`;
          host = this.rng.chance(0.5) ? `app-${this.rng.int(1, 40)}.internal.${MYDOMAIN}` : 'unknown';
        } else if (r < 0.9) {
          ip = this.ipv6('fd12:3456:789a');
          host = this.rng.chance(0.5) ? `worker${this.rng.int(1, 99)}.internal.${MYDOMAIN}` : 'unknown';
        } else {
          ip = this.ipv4Public();
          host = `mail.${domain}`;
        }
        clients.push({ ip, host, service: 'smtpd', sasl: null, tls: this.rng.chance(0.4) ? this.rng.pick(SMTPD_TLS) : null,
          domain, senders, filtered: true, mailer });
      } else {
        const v6 = this.rng.chance(0.18);
        const ip = v6 ? this.ipv6('2001:db8') : this.ipv4Public();
        const r = this.rng.float();
        const host = r < 0.4 ? 'unknown'
          : r < 0.7 ? `mail.${domain}`
          : v6 ? `host-${this.rng.int(1, 9999)}.ipv6.isp${this.rng.int(1, 30)}.example`
          : `cpe-${ip.replaceAll('.', '-')}.res.isp${this.rng.int(1, 30)}.example`;
        const username = this.rng.chance(0.6) ? (senders[2] as string) : `svc-${this.rng.pick(DOMAIN_WORDS)}${this.rng.int(1, 99)}`;
        clients.push({ ip, host, service: 'submission', sasl: { method: this.rng.chance(0.7) ? 'PLAIN' : 'LOGIN', username },
          tls: this.rng.pick(SMTPD_TLS), domain, senders, filtered: false, mailer });
      }
    }
    return clients;
  }

  private pickClient(): Client {
    const x = this.rng.float() * this.clientWeightTotal;
    let lo = 0;
    let hi = this.clientWeights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.clientWeights[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return this.clients[lo] as Client;
  }

  private recipient(): string {
    if (this.rng.chance(0.004)) return this.rng.pick(SES_SIMULATOR);
    const domain = this.rng.weighted(this.recipientDomains);
    const r = this.rng.float();
    const local = r < 0.5 ? `${this.rng.pick(FIRST_NAMES)}.${this.rng.pick(LAST_NAMES)}`
      : r < 0.8 ? `${this.rng.pick(FIRST_NAMES)}${this.rng.int(1, 9999)}`
      : `${this.rng.pick(FIRST_NAMES)[0] as string}${this.rng.pick(LAST_NAMES)}${this.rng.int(0, 99)}`;
    return `${local}@${domain}`;
  }

  private recipients(): string[] {
    const r = this.rng.float();
    const n = r < 0.8 ? 1 : r < 0.92 ? this.rng.int(2, 3) : r < 0.99 ? this.rng.int(4, 10) : this.rng.int(11, 40);
    const list: string[] = [];
    for (let i = 0; i < n; i++) list.push(this.recipient());
    return list;
  }

  private size(): number {
    return Math.min(25_000_000, Math.max(420, Math.round(Math.exp(8.8 + this.rng.normal() * 1.1))));
  }

  private uuid(): string {
    const h = (n: number): string => this.rng.chars(HEX, n);
    return `${h(8)}-${h(4)}-4${h(3)}-${this.rng.pick(['8', '9', 'a', 'b'])}${h(3)}-${h(12)}`;
  }

  private sesId(t: number): string {
    return `0100${Math.round(t).toString(16).padStart(12, '0')}-${this.uuid()}-000000`;
  }

  /** Message-ID as different mailers make them; `''` stands for a message logged with `message-id=<>`. */
  private messageId(mailer: number, t: number, sender: string): string {
    const domain = sender.slice(sender.indexOf('@') + 1);
    switch (mailer) {
      case 0: // s-nail / mailx, as on the real relay
        return `${Math.floor(t / 1000).toString(16)}.${this.rng.chars(B62, 16)}%${sender}`;
      case 1:
        return `${this.uuid()}@${domain}`;
      case 2: // PHPMailer
        return `${this.rng.chars(B62, 43)}@${domain}`;
      case 3:
        return `${compactStamp(t)}.${this.rng.chars(HEX, 16)}@${domain}`;
      default:
        return `${this.rng.chars('0123456789ABCDEF', 32)}@${this.rng.pick(['EX01', 'EX02', 'MBX03'])}.${domain}`;
    }
  }

  // ---- sources --------------------------------------------------------------------------------

  private arrive(source: Source, t: number): void {
    switch (source) {
      case 'smtpd': {
        const r = this.rng.float();
        const want = r < 0.82 ? 1 : r < 0.96 ? 2 : 3;
        this.smtpdSession(t, this.pickClient(), Math.min(want, this.opts.messages - this.accepted));
        break;
      }
      case 'pickup':
        this.pickup(t);
        break;
      case 'noqueue':
        this.noqueueSession(t);
        break;
      case 'saslfail':
        this.saslFailure(t);
        break;
      case 'dovecot':
        this.dovecot(t);
        break;
      case 'sshd':
        this.sshd(t);
        break;
    }
  }

  private newMessage(t: number, origin: MessageOrigin, sender: string, verified: boolean, mailer: number): Message {
    const { id, slot } = this.qids.allocate(t);
    const rcpts = this.recipients();
    let raw: string;
    if (origin.type === 'smtpd' && this.rng.chance(0.001)) raw = '';
    else if (origin.type === 'smtpd' && this.rng.chance(0.04)) raw = `${compactStamp(t)}.${id}@${this.myhostname}`; // added by cleanup
    else raw = this.messageId(mailer, t, sender);
    this.accepted++;
    this.truth.messages++;
    this.truth.recipients += rcpts.length;
    if (origin.type === 'pickup') this.truth.origins.pickup++;
    else this.truth.origins[origin.service]++;
    let truth: MessageTruth | null = null;
    if (this.accepted % this.opts.sampleEvery === 0 && this.truth.samples.length < this.opts.maxSamples) {
      truth = {
        time: new Date(Math.round(t)).toISOString(),
        origin,
        sender,
        messageId: raw === '' ? null : raw,
        queueId: id,
        relayQueueId: id,
        filterQueueId: null,
        recipients: rcpts,
        outcome: 'sent',
        sesMessageId: null,
        deferrals: 0,
        bounceNoticeQueueId: null,
      };
      this.truth.samples.push(truth);
    }
    return { qid: id, slot, sender, size: this.size(), rcpts, rawMessageId: raw, messageId: raw === '' ? null : raw, verified,
      origClient: null, truth };
  }

  private cleanupLine(t: number, qid: string, rawMessageId: string): void {
    const { proc } = this.pools.cleanup.acquire(t, t + 5);
    this.push(t, 'postfix/cleanup', proc.pid, `${qid}: message-id=<${rawMessageId}>`);
  }

  private queuedLine(t: number, m: Message): void {
    this.push(t, 'postfix/qmgr', this.qmgrPid, `${m.qid}: from=<${m.sender}>, size=${m.size}, nrcpt=${m.rcpts.length} (queue active)`);
  }

  private removedLine(t: number, qid: string, slot: number): void {
    this.push(t, 'postfix/qmgr', this.qmgrPid, `${qid}: removed`, () => this.qids.release(slot));
  }

  private smtpdSession(t0: number, client: Client, count: number): void {
    const tag = client.service === 'submission' ? 'postfix/submission/smtpd' : 'postfix/smtpd';
    const nh = `${client.host}[${client.ip}]`;
    const lines: Array<[number, string]> = [[t0, `connect from ${nh}`]];
    let t = t0;
    const cmds: Array<[string, number]> = [['ehlo', 1]];
    if (client.tls !== null) {
      t += this.rng.int(20, 120);
      lines.push([t, `Anonymous TLS connection established from ${nh}: ${client.tls}`]);
      cmds[0] = ['ehlo', 2];
      cmds.push(['starttls', 1]);
    }
    if (client.sasl !== null) {
      t += this.rng.int(10, 90);
      cmds.push(['auth', 1]);
    }
    let rcpt = 0;
    for (let i = 0; i < count; i++) {
      t += this.rng.int(20, 400);
      const sender = this.rng.pick(client.senders);
      const origin: MessageOrigin = { type: 'smtpd', service: client.service, clientIp: client.ip, clientHost: client.host,
        saslUsername: client.sasl?.username ?? null };
      const m = this.newMessage(t, origin, sender, !this.unverifiedDomains.has(client.domain), client.mailer);
      const sasl = client.sasl === null ? '' : `, sasl_method=${client.sasl.method}, sasl_username=${client.sasl.username}`;
      lines.push([t, `${m.qid}: client=${nh}${sasl}`]);
      this.truth.pflogsumm.received++;
      const arrival = t;
      t += this.rng.int(5, 150);
      this.cleanupLine(t, m.qid, m.rawMessageId);
      t += this.rng.int(5, 120) + Math.round(m.size / 2000);
      this.queuedLine(t, m);
      rcpt += m.rcpts.length;
      if (client.filtered) {
        m.origClient = nh;
        this.filterHop(m, t, arrival, client);
      } else {
        this.relayAttempt(m, t, arrival, 1);
      }
    }
    t += this.rng.int(2, 40);
    if (count > 0) cmds.push(['mail', count], ['rcpt', rcpt], ['data', count]);
    cmds.push(['quit', 1]);
    const total = cmds.reduce((s, [, n]) => s + n, 0);
    lines.push([t, `disconnect from ${nh} ${cmds.map(([k, n]) => `${k}=${n}`).join(' ')} commands=${total}`]);
    const { proc } = this.pools[client.service].acquire(t0, t);
    for (const [lt, text] of lines) this.push(lt, tag, proc.pid, text);
  }

  private pickup(t: number): void {
    const u = this.rng.weighted(this.pickupUsers.map((p) => [p, p.w] as const));
    const m = this.newMessage(t, { type: 'pickup', uid: u.uid }, u.sender, u.verified, 0);
    this.push(t, 'postfix/pickup', this.pickupPid, `${m.qid}: uid=${u.uid} from=<${u.sender}>`);
    this.truth.pflogsumm.received++;
    const tc = t + this.rng.int(1, 20);
    this.cleanupLine(tc, m.qid, m.rawMessageId);
    const tq = tc + this.rng.int(1, 30);
    this.queuedLine(tq, m);
    this.relayAttempt(m, tq, t, 1);
  }

  /**
   * The port-25 smtpd has `content_filter = smtp-amavis:[127.0.0.1]:10024`. Amavis re-injects the
   * message through the 10025 smtpd (with XFORWARD) before it answers the first hop, so the copy's
   * smtpd/cleanup/qmgr lines come before the parent's `queued as` line.
   */
  private filterHop(m: Message, tActive: number, arrival: number, client: Client): void {
    this.truth.filterHops++;
    const tStart = tActive + this.rng.int(2, 50);
    const conn = this.rng.int(1, 4);
    const tInject = tStart + conn + this.rng.int(60, 1200);
    const { id, slot } = this.qids.allocate(tInject);
    const child: Message = { ...m, qid: id, slot, size: m.size + this.rng.int(600, 1400), origClient: null };
    if (m.truth !== null) {
      m.truth.filterQueueId = id;
      m.truth.relayQueueId = id;
    }
    let t = tInject;
    const rp = this.pools.reinject.acquire(t, t + 60).proc.pid;
    this.push(t, 'postfix/smtpd', rp, 'connect from localhost[127.0.0.1]');
    t += this.rng.int(1, 4);
    this.push(t, 'postfix/smtpd', rp, `${id}: client=localhost[127.0.0.1], orig_queue_id=${m.qid}, orig_client=${m.origClient ?? 'unknown[unknown]'}`);
    this.truth.pflogsumm.received++;
    t += this.rng.int(1, 6);
    this.cleanupLine(t, id, m.rawMessageId);
    t += this.rng.int(2, 20) + Math.round(child.size / 5000);
    this.queuedLine(t, child);
    const tChildActive = t;
    const k = m.rcpts.length;
    this.push(t + 1, 'postfix/smtpd', rp, `disconnect from localhost[127.0.0.1] ehlo=1 xforward=1 mail=1 rcpt=${k} data=1 quit=1 commands=${5 + k}`);
    t += this.rng.int(2, 6);
    this.amavisLine(t, m, client, id, t - tStart);
    const tDone = t + this.rng.int(2, 20);
    const sp = this.pools.filterSmtp.acquire(tStart, tDone).proc.pid;
    const delays = this.delays(arrival, tActive, tStart, tStart + conn, tDone);
    for (const r of m.rcpts) {
      this.push(tDone, 'postfix/smtp', sp, `${m.qid}: to=<${r}>, relay=127.0.0.1[127.0.0.1]:10024, ${delays}, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as ${id})`);
      this.truth.pflogsumm.delivered++;
    }
    this.removedLine(tDone + this.rng.int(1, 5), m.qid, m.slot);
    this.relayAttempt(child, tChildActive + this.rng.int(1, 10), tInject, 1);
  }

  private amavisLine(t: number, m: Message, client: Client, childQid: string, elapsed: number): void {
    if (this.amavis.length === 0 || this.rng.chance(0.02)) {
      if (this.amavis.length >= 2) this.amavis.shift();
      this.amavis.push({ pid: this.pids.take(), n: 0 });
    }
    const a = this.rng.pick(this.amavis);
    a.n++;
    const mid = m.messageId === null ? '' : ` Message-ID: <${m.messageId}>,`;
    this.other(t, 'amavis', a.pid,
      `(${String(a.pid).padStart(5, '0')}-${pad2(a.n)}) Passed CLEAN {RelayedInternal}, [${client.ip}]:${this.rng.int(32768, 60999)} [${client.ip}] <${m.sender}> -> ${m.rcpts.map((r) => `<${r}>`).join(',')}, Queue-ID: ${m.qid},${mid} mail_id: ${this.rng.chars(B62 + '-_', 12)}, Hits: ${(this.rng.float() * 3 - 1.5).toFixed(3)}, size: ${m.size}, queued_as: ${childQid}, ${elapsed} ms`);
  }

  private delays(arrival: number, active: number, start: number, connected: number, end: number): string {
    const f = (ms: number): string => formatDelay(Math.max(0, ms) / 1000);
    return `delay=${f(end - arrival)}, delays=${f(active - arrival)}/${f(start - active)}/${f(connected - start)}/${f(end - connected)}`;
  }

  /** SES throttles in bursts: some minutes run hot. A pure function of the minute, so replays agree. */
  private throttleChance(t: number): number {
    let h = (Math.floor(t / 60_000) ^ Math.imul(this.opts.seed | 0, 0x9e3779b1)) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
    h = (h ^ (h >>> 15)) >>> 0;
    return h % 10 === 0 ? 0.25 : 0.006;
  }

  private relayAttempt(m: Message, tActive: number, arrival: number, attempt: number): void {
    const tStart = tActive + this.rng.int(1, 60);
    const connectMs = this.rng.int(60, 170);
    const dataMs = this.rng.int(30, 200) + Math.round(m.size / 4000);
    // Acquire for the longest case; a cached connection only makes the process free earlier.
    const { proc, fresh } = this.pools.smtp.acquire(tStart, tStart + connectMs + dataMs);
    const newConnection = fresh || this.rng.chance(0.5);
    if (newConnection) proc.ip = this.rng.pick(SES_IPS);
    const c = newConnection ? connectMs : this.rng.int(0, 4);
    const tEnd = tStart + c + dataMs;
    if (fresh) this.push(tStart, 'postfix/smtp', proc.pid, OPENSSL_WARNING);
    if (newConnection) this.push(tStart + c - 1, 'postfix/smtp', proc.pid, `Verified TLS connection established to ${SES_HOST}[${proc.ip}]:587: ${SES_TLS}`);
    const relay = `relay=${SES_HOST}[${proc.ip}]:587`;
    const delays = this.delays(arrival, tActive, tStart, tStart + c, tEnd);
    if (!m.verified) {
      const reply = `host ${SES_HOST}[${proc.ip}] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: ${m.sender} (in reply to end of DATA command)`;
      for (const r of m.rcpts) {
        this.push(tEnd, 'postfix/smtp', proc.pid, `${m.qid}: to=<${r}>, ${relay}, ${delays}, dsn=5.0.0, status=bounced (${reply})`);
        this.truth.pflogsumm.bounced++;
      }
      this.truth.sesRejected++;
      if (m.truth !== null) m.truth.outcome = 'rejected';
      this.bounceNotice(m, tEnd);
      return;
    }
    if (attempt < 4 && this.rng.chance(this.throttleChance(tEnd))) {
      const reply = `host ${SES_HOST}[${proc.ip}] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command)`;
      for (const r of m.rcpts) {
        this.push(tEnd, 'postfix/smtp', proc.pid, `${m.qid}: to=<${r}>, ${relay}, ${delays}, dsn=4.0.0, status=deferred (${reply})`);
        this.truth.pflogsumm.deferrals++;
      }
      this.deferredQids.add(m.qid);
      if (attempt === 1) this.truth.throttledMessages++;
      if (m.truth !== null) m.truth.deferrals++;
      // The queue manager's next scan picks it up (minimal_backoff_time 300s, doubling);
      // its lines are planned only then, when the simulation reaches that time.
      const backoff = 300_000 * 2 ** (attempt - 1);
      const tRetry = tEnd + backoff + this.rng.int(0, 300_000);
      this.push(tRetry, 'postfix/qmgr', this.qmgrPid, `${m.qid}: from=<${m.sender}>, size=${m.size}, nrcpt=${m.rcpts.length} (queue active)`,
        () => this.relayAttempt(m, tRetry, arrival, attempt + 1));
      return;
    }
    const sesId = this.sesId(tEnd);
    for (const r of m.rcpts) {
      this.push(tEnd, 'postfix/smtp', proc.pid, `${m.qid}: to=<${r}>, ${relay}, ${delays}, dsn=2.0.0, status=sent (250 Ok ${sesId})`);
      this.truth.pflogsumm.delivered++;
    }
    this.truth.sesAccepted++;
    if (m.truth !== null) m.truth.sesMessageId = sesId;
    this.removedLine(tEnd + this.rng.int(1, 10), m.qid, m.slot);
  }

  /** Postfix returns SES's refusal to the sender; SES refuses the null-sender notice too (501). */
  private bounceNotice(m: Message, tBounced: number): void {
    this.truth.bounceNotices++;
    const tn = tBounced + this.rng.int(1, 3);
    const { id, slot } = this.qids.allocate(tn);
    if (m.truth !== null) m.truth.bounceNoticeQueueId = id;
    this.cleanupLine(tn, id, `${compactStamp(tn)}.${id}@${this.myhostname}`);
    const bp = this.pools.bounce.acquire(tn, tn + 5).proc.pid;
    this.push(tn + 1, 'postfix/bounce', bp, `${m.qid}: sender non-delivery notification: ${id}`);
    this.push(tn + 2, 'postfix/qmgr', this.qmgrPid, `${id}: from=<>, size=${this.rng.int(2400, 4200) + Math.min(m.size, 2000)}, nrcpt=1 (queue active)`);
    this.removedLine(tn + 3, m.qid, m.slot);
    const tStart = tn + 3 + this.rng.int(1, 40);
    const { proc: p, fresh } = this.pools.smtp.acquire(tStart, tStart + 250);
    const newConnection = fresh || p.ip === '' || this.rng.chance(0.5);
    if (newConnection) p.ip = this.rng.pick(SES_IPS);
    if (fresh) this.push(tStart, 'postfix/smtp', p.pid, OPENSSL_WARNING);
    const c = newConnection ? this.rng.int(60, 170) : 0;
    if (newConnection) this.push(tStart + c - 1, 'postfix/smtp', p.pid, `Verified TLS connection established to ${SES_HOST}[${p.ip}]:587: ${SES_TLS}`);
    const tEnd = tStart + c + this.rng.int(15, 60);
    this.push(tEnd, 'postfix/smtp', p.pid,
      `${id}: to=<${m.sender}>, relay=${SES_HOST}[${p.ip}]:587, ${this.delays(tn, tn + 2, tStart, tStart + c, tEnd)}, dsn=5.0.0, status=bounced (host ${SES_HOST}[${p.ip}] said: 501 Invalid MAIL FROM address provided (in reply to MAIL FROM command))`);
    this.truth.pflogsumm.bounced++;
    this.removedLine(tEnd + this.rng.int(1, 5), id, slot);
  }

  private botClient(): { ip: string; nh: string } {
    const ip = this.rng.chance(0.1) ? this.ipv6('2001:db8:bad') : this.ipv4Public();
    return { ip, nh: `unknown[${ip}]` };
  }

  private noqueueSession(t0: number): void {
    const { ip, nh } = this.botClient();
    const lines: Array<[number, string]> = [];
    let t = t0;
    if (this.rng.chance(0.3)) lines.push([t, `warning: hostname ${this.rng.pick(['static', 'dyn', 'host'])}-${ip.replaceAll(/[.:]/g, '-')}.${this.rng.pick(DOMAIN_WORDS)}.example does not resolve to address ${ip}: Name or service not known`]);
    lines.push([t, `connect from ${nh}`]);
    t += this.rng.int(200, 2500);
    const rcpt = this.recipient();
    const from = `${this.rng.pick(FIRST_NAMES)}${this.rng.int(1, 999)}@${this.rng.pick(DOMAIN_WORDS)}.example`;
    const helo = this.rng.chance(0.3) ? `[${ip}]` : this.rng.pick(HELOS);
    const r = this.rng.float();
    const reason = r < 0.5 ? `454 4.7.1 <${rcpt}>: Relay access denied`
      : r < 0.8 ? `450 4.7.25 Client host rejected: cannot find your hostname, [${ip}]`
      : `554 5.7.1 Service unavailable; Client host [${ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/${ip}`;
    lines.push([t, `NOQUEUE: reject: RCPT from ${nh}: ${reason}; from=<${from}> to=<${rcpt}> proto=ESMTP helo=<${helo}>`]);
    this.truth.noqueueRejects++;
    this.truth.pflogsumm.rejected++;
    t += this.rng.int(20, 900);
    if (this.rng.chance(0.3)) {
      lines.push([t, `lost connection after RCPT from ${nh}`]);
      t += 1;
      lines.push([t, `disconnect from ${nh} ehlo=1 mail=1 rcpt=0/1 commands=2/3`]);
    } else {
      lines.push([t, `disconnect from ${nh} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4`]);
    }
    const { proc } = this.pools.smtpd.acquire(t0, t);
    for (const [lt, text] of lines) this.push(lt, 'postfix/smtpd', proc.pid, text);
  }

  private saslFailure(t0: number): void {
    const { nh } = this.botClient();
    const tag = 'postfix/submission/smtpd';
    let t = t0;
    const lines: Array<[number, string]> = [[t, `connect from ${nh}`]];
    t += this.rng.int(30, 200);
    lines.push([t, `Anonymous TLS connection established from ${nh}: ${this.rng.pick(SMTPD_TLS)}`]);
    t += this.rng.int(1500, 4000); // smtpd_sasl_auth failure delay
    const method = this.rng.chance(0.7) ? 'LOGIN' : 'PLAIN';
    const user = this.rng.chance(0.5) ? `${this.rng.pick(BOT_USERS)}@${MYDOMAIN}` : this.rng.pick(BOT_USERS);
    lines.push([t, `warning: ${nh}: SASL ${method} authentication failed: ${method === 'LOGIN' ? 'UGFzc3dvcmQ6' : 'authentication failure'}, sasl_username=${user}`]);
    this.truth.saslFailures++;
    t += this.rng.int(5, 300);
    lines.push([t, `lost connection after AUTH from ${nh}`]);
    lines.push([t + 1, `disconnect from ${nh} ehlo=2 starttls=1 auth=0/1 commands=3/4`]);
    const { proc } = this.pools.submission.acquire(t0, t + 1);
    for (const [lt, text] of lines) this.push(lt, tag, proc.pid, text);
  }

  private dovecot(t: number): void {
    const user = `${this.rng.pick(FIRST_NAMES)}@${MYDOMAIN}`;
    const mpid = this.pids.take();
    const session = this.rng.chars(B62 + '+/', 16);
    const ip = this.ipv4Public();
    this.other(t, 'dovecot', null, `imap-login: Login: user=<${user}>, method=PLAIN, rip=${ip}, lip=10.0.0.5, mpid=${mpid}, TLS, session=<${session}>`);
    this.other(t + this.rng.int(2_000, 600_000), 'dovecot', null,
      `imap(${user})<${mpid}><${session}>: Logged out in=${this.rng.int(50, 5000)} out=${this.rng.int(500, 90000)} deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=0 body_bytes=0`);
  }

  private sshd(t: number): void {
    const pid = this.pids.take();
    const ip = this.ipv4Public();
    const port = this.rng.int(30000, 65000);
    const user = this.rng.pick(BOT_USERS);
    this.other(t, 'sshd', pid, `Invalid user ${user} from ${ip} port ${port}`);
    this.other(t + this.rng.int(100, 900), 'sshd', pid, `Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`);
    this.other(t + this.rng.int(901, 1000), 'sshd', pid, `Disconnected from invalid user ${user} ${ip} port ${port} [preauth]`);
  }

  /** Once a simulated minute: cron, and every ten minutes Postfix's anvil/scache statistics and sysstat. */
  private tick(t: number): void {
    const minute = Math.floor(t / 60_000);
    if (this.rng.chance(0.35)) {
      const pid = this.pids.take();
      const job = minute % 10 === 0 ? 'command -v debian-sa1 > /dev/null && debian-sa1 1 1'
        : this.rng.pick(['/usr/local/bin/queue-report.sh >/dev/null 2>&1', 'test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.hourly; }']);
      this.other(t + 1, 'CRON', pid, 'pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)');
      this.other(t + 3, 'CRON', pid + 1, `(root) CMD (${job})`);
      this.other(t + this.rng.int(20, 900), 'CRON', pid, 'pam_unix(cron:session): session closed for user root');
    }
    if (minute % 10 === 0) {
      this.other(t + 2, 'systemd', 1, 'Starting sysstat-collect.service - system activity accounting tool...');
      this.other(t + 40, 'systemd', 1, 'sysstat-collect.service: Deactivated successfully.');
      this.other(t + 41, 'systemd', 1, 'Finished sysstat-collect.service - system activity accounting tool.');
      const at = rfc3164Stamp(t - this.rng.int(1000, 500_000));
      const ap = this.pools.anvil.acquire(t + 100, t + 110).proc.pid;
      const c = this.clients[this.rng.int(0, 20)] as Client;
      this.push(t + 100, 'postfix/anvil', ap, `statistics: max connection rate ${this.rng.int(2, 30)}/60s for (${c.service === 'smtpd' ? 'smtp' : 'submission'}:${c.ip}) at ${at}`);
      this.push(t + 101, 'postfix/anvil', ap, `statistics: max connection count ${this.rng.int(1, 6)} for (${c.service === 'smtpd' ? 'smtp' : 'submission'}:${c.ip}) at ${at}`);
      this.push(t + 102, 'postfix/anvil', ap, `statistics: max cache size ${this.rng.int(3, 40)} at ${at}`);
      const sp = this.pools.scache.acquire(t + 200, t + 210).proc.pid;
      const hits = this.rng.int(50, 900);
      const miss = this.rng.int(5, 60);
      this.push(t + 200, 'postfix/scache', sp, `statistics: start interval ${rfc3164Stamp(t - 600_000)}`);
      this.push(t + 201, 'postfix/scache', sp, `statistics: domain lookup hits=${hits} miss=${miss} success=${Math.floor((100 * hits) / (hits + miss))}%`);
      this.push(t + 202, 'postfix/scache', sp, `statistics: address lookup hits=${hits - miss} miss=${miss * 2} success=${Math.floor((100 * (hits - miss)) / (hits + miss))}%`);
      this.push(t + 203, 'postfix/scache', sp, `statistics: max simultaneous domains=1 addresses=${this.rng.int(2, 6)} connection=${this.rng.int(2, 12)}`);
    }
  }
}

interface IterationState {
  now: number;
  nextArrival: number;
  nextTick: number;
}

/**
 * Writes a log through `write` (in chunks of whole lines) and returns what it contains.
 * Deterministic: the same options give the same bytes.
 */
export function generateLog(opts: GenerateOptions, write: (chunk: string) => void): GroundTruth {
  const messages = opts.messages ?? Infinity;
  const lines = opts.lines ?? Infinity;
  if (messages === Infinity && lines === Infinity) throw new Error('generateLog: give messages or lines');
  for (const [k, v] of [['messages', opts.messages], ['lines', opts.lines], ['messagesPerMinute', opts.messagesPerMinute],
    ['sampleEvery', opts.sampleEvery], ['queueIdInodes', opts.queueIdInodes], ['queueIdMicroseconds', opts.queueIdMicroseconds]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v > 0) && !(k === 'messagesPerMinute' && v > 0)) {
      throw new Error(`generateLog: ${k} must be a positive integer, got ${String(v)}`);
    }
  }
  if (opts.maxSamples !== undefined && !(Number.isInteger(opts.maxSamples) && opts.maxSamples >= 0)) {
    throw new Error(`generateLog: maxSamples must be a non-negative integer, got ${String(opts.maxSamples)}`);
  }
  if (opts.queueIdMicroseconds !== undefined && opts.queueIdMicroseconds > 1_000_000) {
    throw new Error(`generateLog: queueIdMicroseconds must be at most 1000000, got ${opts.queueIdMicroseconds}`);
  }
  const format = opts.format ?? 'rfc3164';
  if (format !== 'rfc3164' && format !== 'rfc3339') throw new Error(`generateLog: unknown format ${String(format)}`);
  const start = opts.start === undefined ? DEFAULT_START : opts.start.getTime();
  if (Number.isNaN(start)) throw new Error('generateLog: start is an invalid Date');
  const sim = new Simulation({
    seed: opts.seed,
    format,
    hostname: opts.hostname ?? 'relay1',
    messagesPerMinute: opts.messagesPerMinute ?? 300,
    sampleEvery: opts.sampleEvery ?? 100,
    maxSamples: opts.maxSamples ?? 2000,
    queueIdInodes: opts.queueIdInodes ?? 64,
    queueIdMicroseconds: opts.queueIdMicroseconds ?? 1_000_000,
    start: Math.floor(start / 1000) * 1000,
    messages,
    lines,
  }, write);
  return sim.run();
}

/** Writes the log to `path` as it is generated. */
export function generateLogFile(opts: GenerateOptions, path: string): GroundTruth {
  const fd = openSync(path, 'w');
  try {
    return generateLog(opts, (chunk) => writeAll(fd, chunk));
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, chunk: string): void {
  const buf = Buffer.from(chunk);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      // stdout may be a non-blocking pipe: wait for the reader instead of failing.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

const USAGE = `usage: node dist/bench/generate.js (--messages N | --lines N) [--seed S] [--format rfc3164|rfc3339]
       [--start ISO-TIME] [--hostname NAME] [--rate MESSAGES-PER-MINUTE] [--truth FILE]
Writes the log to stdout and the ground truth as JSON to --truth FILE (or a summary to stderr).`;

export function parseGenerateArgs(argv: string[]): { options: GenerateOptions; truthFile: string | null } {
  const options: GenerateOptions = { seed: 1 };
  let truthFile: string | null = null;
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n)) throw new Error(`${flag} needs a number, got ${String(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const v = argv[i + 1];
    switch (flag) {
      case '--messages': options.messages = num(flag, v); i++; break;
      case '--lines': options.lines = num(flag, v); i++; break;
      case '--seed': options.seed = num(flag, v); i++; break;
      case '--rate': options.messagesPerMinute = num(flag, v); i++; break;
      case '--format':
        if (v !== 'rfc3164' && v !== 'rfc3339') throw new Error(`--format must be rfc3164 or rfc3339, got ${String(v)}`);
        options.format = v; i++; break;
      case '--start': {
        const d = new Date(String(v));
        if (Number.isNaN(d.getTime())) throw new Error(`--start needs an ISO time, got ${String(v)}`);
        options.start = d; i++; break;
      }
      case '--hostname':
        if (v === undefined) throw new Error('--hostname needs a value');
        options.hostname = v; i++; break;
      case '--truth':
        if (v === undefined) throw new Error('--truth needs a file name');
        truthFile = v; i++; break;
      default:
        throw new Error(`unknown argument ${flag}`);
    }
  }
  if (options.messages === undefined && options.lines === undefined) throw new Error('give --messages or --lines');
  return { options, truthFile };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseGenerateArgs>;
  try {
    parsed = parseGenerateArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const truth = generateLog(parsed.options, (chunk) => writeAll(1, chunk));
  if (parsed.truthFile !== null) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(parsed.truthFile, `${JSON.stringify(truth, null, 2)}\n`);
  } else {
    const { samples, ...summary } = truth;
    process.stderr.write(`${JSON.stringify({ ...summary, samples: samples.length })}\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
