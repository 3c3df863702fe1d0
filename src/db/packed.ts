// Rows on their way from the thread that tracks the log to the thread that writes them. Copying half
// a million objects between threads costs about as much as writing them; this packs a batch into a
// Float64Array (moved, not copied) and one string (copied in one piece), in the column order the
// Store binds them, so the writer makes no object per row either. The lookup keys are hashed by the
// writer: of the two threads, the tracking one is the busier.
import type { DeliveryRow, Generation, Relation } from '../tracker/types.js';

export interface PackedRows {
  generations: number;
  deliveries: number;
  /** GEN_NUMBERS values per generation, then DELIVERY_NUMBERS per delivery; NaN stands for null. */
  numbers: Float64Array;
  /**
   * GEN_STRINGS values per generation, then DELIVERY_STRINGS per delivery (reply as compactReply
   * leaves it), joined by NUL: no parsed value holds one (a line with a NUL byte is malformed), and
   * joining and splitting cost a fraction of JSON. A null is an empty string whose bit is set in
   * the row's null mask (the last of its numbers).
   */
  strings: string;
}

/** id, first_seen, last_seen, removed_at, client_port, uid, size, nrcpt, parent_id, null mask. */
export const GEN_NUMBERS = 10;
/** queue_id, host, client_host, client_ip, sasl_method, sasl_username, orig_client_host, orig_client_ip, sender, message_id, relation. */
export const GEN_STRINGS = 11;
/** id, message, at, delay, null mask. */
export const DELIVERY_NUMBERS = 5;
/** agent, recipient, orig_to, relay, dsn, status, reply, ses_message_id, child_queue_id. */
export const DELIVERY_STRINGS = 9;
export const STRING_SEPARATOR = '\0';

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
  return { generations: gens.length, deliveries: dels.length, numbers, strings: s.join(STRING_SEPARATOR) };
}

/** Appends a string column ('' for null); 1 when it was null, for the row's null mask. */
function put(out: string[], v: string | null): number {
  if (v === null) {
    out.push('');
    return 1;
  }
  out.push(v);
  return 0;
}

/** The strings of packed rows, checked against the counts they claim; a null is the empty string its mask marks. */
export function unpackStrings(p: PackedRows): string[] {
  const expected = p.generations * GEN_STRINGS + p.deliveries * DELIVERY_STRINGS;
  // ''.split gives [''], not [].
  const s = p.strings === '' && expected === 0 ? [] : p.strings.split(STRING_SEPARATOR);
  // A NUL inside a value would shift every column after it: refuse rather than write them askew.
  if (s.length !== expected) {
    throw new Error(`packed rows hold ${s.length} strings, not the ${expected} of ${p.generations} generations and ${p.deliveries} deliveries`);
  }
  return s;
}

/** The inverse of packRows, for tests and for anything that wants the objects back. */
export function unpackRows(p: PackedRows): { generations: Generation[]; deliveries: DeliveryRow[] } {
  const s = unpackStrings(p);
  const x = p.numbers;
  const nul = (v: number): number | null => (v !== v ? null : v);
  const generations: Generation[] = [];
  const deliveries: DeliveryRow[] = [];
  let n = 0;
  let k = 0;
  for (let i = 0; i < p.generations; i++, n += GEN_NUMBERS, k += GEN_STRINGS) {
    const mask = x[n + GEN_NUMBERS - 1]!;
    const str = (j: number): string | null => (mask & (1 << j) ? null : s[k + j]!);
    generations.push({
      id: x[n]!,
      queueId: str(0)!,
      host: str(1)!,
      firstSeen: x[n + 1]!,
      lastSeen: x[n + 2]!,
      removedAt: nul(x[n + 3]!),
      clientHost: str(2),
      clientIp: str(3),
      clientPort: nul(x[n + 4]!),
      saslMethod: str(4),
      saslUsername: str(5),
      origClientHost: str(6),
      origClientIp: str(7),
      uid: nul(x[n + 5]!),
      sender: str(8),
      messageId: str(9),
      size: nul(x[n + 6]!),
      nrcpt: nul(x[n + 7]!),
      parentId: nul(x[n + 8]!),
      relation: str(10) as Relation | null,
    });
  }
  for (let i = 0; i < p.deliveries; i++, n += DELIVERY_NUMBERS, k += DELIVERY_STRINGS) {
    const mask = x[n + DELIVERY_NUMBERS - 1]!;
    const str = (j: number): string | null => (mask & (1 << j) ? null : s[k + j]!);
    const ses = str(7);
    deliveries.push({
      id: x[n]!,
      message: x[n + 1]!,
      at: x[n + 2]!,
      agent: str(0)!,
      recipient: str(1)!,
      origTo: str(2),
      relay: str(3),
      delay: nul(x[n + 3]!),
      dsn: str(4),
      status: str(5)!,
      reply: str(6) ?? `250 Ok ${ses}`,
      sesMessageId: ses,
      childQueueId: str(8),
    });
  }
  return { generations, deliveries };
}
