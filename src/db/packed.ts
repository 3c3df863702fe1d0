// Rows on their way from the thread that tracks the log to the thread that writes them. Copying half
// a million objects between threads costs about as much as writing them; this packs a batch into a
// Float64Array (moved, not copied) and one flat array of strings, in the column order the Store
// binds them, so the writer makes no object per row either. The lookup keys are hashed by the
// writer: of the two threads, the tracking one is the busier.
import type { DeliveryRow, Generation, Relation } from '../tracker/types.js';

export interface PackedRows {
  generations: number;
  deliveries: number;
  /** GEN_NUMBERS values per generation, then DELIVERY_NUMBERS per delivery; NaN stands for null. */
  numbers: Float64Array;
  /**
   * The string columns of each generation (GEN_STRINGS), then of each delivery (DELIVERY_STRINGS;
   * reply as compactReply leaves it). A null takes no place: its bit is set in the row's null mask
   * (the last of its numbers). Copying costs per value, and about a third of the values are null.
   * Posted as an array: the structured clone copies one in half the time a join would take.
   */
  strings: string[];
}

/** id, first_seen, last_seen, removed_at, client_port, uid, size, nrcpt, parent_id, null mask. */
export const GEN_NUMBERS = 10;
/** queue_id, host, client_host, client_ip, sasl_method, sasl_username, orig_client_host, orig_client_ip, sender, message_id, relation. */
export const GEN_STRINGS = 11;
/** id, message, at, delay, null mask. */
export const DELIVERY_NUMBERS = 5;
/** agent, recipient, orig_to, relay, dsn, status, reply, ses_message_id, child_queue_id. */
export const DELIVERY_STRINGS = 9;

const num = (v: number | null): number => (v === null ? NaN : v);

/**
 * Most relayed deliveries say exactly `250 Ok <ses-id>`; storing the id twice would be a fifth of the
 * delivery table. Such replies are stored as NULL and rebuilt on read. Packed rows carry them the same
 * way, which also spares the threads copying them.
 */
export function compactReply(reply: string, sesMessageId: string | null): string | null {
  return sesMessageId !== null && reply.length === sesMessageId.length + 7 && reply.startsWith('250 Ok ') && reply.endsWith(sesMessageId)
    ? null
    : reply;
}

export function packRows(gens: readonly Generation[], dels: readonly DeliveryRow[]): PackedRows {
  const numbers = new Float64Array(gens.length * GEN_NUMBERS + dels.length * DELIVERY_NUMBERS);
  const s: string[] = [];
  let n = 0;
  for (const g of gens) {
    numbers[n++] = g.id;
    numbers[n++] = g.firstSeen;
    numbers[n++] = g.lastSeen;
    numbers[n++] = num(g.removedAt);
    numbers[n++] = num(g.clientPort);
    numbers[n++] = num(g.uid);
    numbers[n++] = num(g.size);
    numbers[n++] = num(g.nrcpt);
    numbers[n++] = num(g.parentId);
    numbers[n++] =
      put(s, g.queueId) | (put(s, g.host) << 1) | (put(s, g.clientHost) << 2) | (put(s, g.clientIp) << 3) |
      (put(s, g.saslMethod) << 4) | (put(s, g.saslUsername) << 5) | (put(s, g.origClientHost) << 6) |
      (put(s, g.origClientIp) << 7) | (put(s, g.sender) << 8) | (put(s, g.messageId) << 9) | (put(s, g.relation) << 10);
  }
  for (const d of dels) {
    numbers[n++] = d.id;
    numbers[n++] = d.message;
    numbers[n++] = d.at;
    numbers[n++] = num(d.delay);
    numbers[n++] =
      put(s, d.agent) | (put(s, d.recipient) << 1) | (put(s, d.origTo) << 2) | (put(s, d.relay) << 3) | (put(s, d.dsn) << 4) |
      (put(s, d.status) << 5) | (put(s, compactReply(d.reply, d.sesMessageId)) << 6) | (put(s, d.sesMessageId) << 7) |
      (put(s, d.childQueueId) << 8);
  }
  return { generations: gens.length, deliveries: dels.length, numbers, strings: s };
}

/** Appends a string column unless it is null; 1 when it was, for the row's null mask. */
function put(out: string[], v: string | null): number {
  if (v === null) return 1;
  out.push(v);
  return 0;
}

/** The strings of packed rows, checked against the counts their null masks claim. */
export function unpackStrings(p: PackedRows): string[] {
  const x = p.numbers;
  let expected = 0;
  let n = GEN_NUMBERS - 1;
  for (let i = 0; i < p.generations; i++, n += GEN_NUMBERS) expected += GEN_STRINGS - bitCount(x[n]!);
  n -= GEN_NUMBERS - 1;
  n += DELIVERY_NUMBERS - 1;
  for (let i = 0; i < p.deliveries; i++, n += DELIVERY_NUMBERS) expected += DELIVERY_STRINGS - bitCount(x[n]!);
  const s = p.strings;
  // Rows that do not add up would put values in the wrong columns: refuse rather than write them askew.
  if (s.length !== expected) {
    throw new Error(`packed rows hold ${s.length} strings, not the ${expected} of ${p.generations} generations and ${p.deliveries} deliveries`);
  }
  return s;
}

function bitCount(v: number): number {
  let c = 0;
  for (let m = v; m !== 0; m &= m - 1) c++;
  return c;
}

/**
 * Reads one row's `count` string columns from s at k into cols (null where the mask says), and
 * returns where the next row's strings start.
 */
export function readStrings(s: readonly string[], k: number, mask: number, count: number, cols: Array<string | null>): number {
  for (let j = 0; j < count; j++) cols[j] = mask & (1 << j) ? null : s[k++]!;
  return k;
}

/** The inverse of packRows, for tests and for anything that wants the objects back. */
export function unpackRows(p: PackedRows): { generations: Generation[]; deliveries: DeliveryRow[] } {
  const s = unpackStrings(p);
  const x = p.numbers;
  const nul = (v: number): number | null => (v !== v ? null : v);
  const generations: Generation[] = [];
  const deliveries: DeliveryRow[] = [];
  const c: Array<string | null> = [];
  let n = 0;
  let k = 0;
  for (let i = 0; i < p.generations; i++, n += GEN_NUMBERS) {
    k = readStrings(s, k, x[n + GEN_NUMBERS - 1]!, GEN_STRINGS, c);
    generations.push({
      id: x[n]!,
      queueId: c[0]!,
      host: c[1]!,
      firstSeen: x[n + 1]!,
      lastSeen: x[n + 2]!,
      removedAt: nul(x[n + 3]!),
      clientHost: c[2]!,
      clientIp: c[3]!,
      clientPort: nul(x[n + 4]!),
      saslMethod: c[4]!,
      saslUsername: c[5]!,
      origClientHost: c[6]!,
      origClientIp: c[7]!,
      uid: nul(x[n + 5]!),
      sender: c[8]!,
      messageId: c[9]!,
      size: nul(x[n + 6]!),
      nrcpt: nul(x[n + 7]!),
      parentId: nul(x[n + 8]!),
      relation: c[10] as Relation | null,
    });
  }
  for (let i = 0; i < p.deliveries; i++, n += DELIVERY_NUMBERS) {
    k = readStrings(s, k, x[n + DELIVERY_NUMBERS - 1]!, DELIVERY_STRINGS, c);
    const ses = c[7] ?? null;
    deliveries.push({
      id: x[n]!,
      message: x[n + 1]!,
      at: x[n + 2]!,
      agent: c[0]!,
      recipient: c[1]!,
      origTo: c[2]!,
      relay: c[3]!,
      delay: nul(x[n + 3]!),
      dsn: c[4]!,
      status: c[5]!,
      reply: c[6] ?? `250 Ok ${ses}`,
      sesMessageId: ses,
      childQueueId: c[8]!,
    });
  }
  return { generations, deliveries };
}
