// Rows on their way from the thread that tracks the log to the thread that writes them. Copying half
// a million objects between threads costs about as much as writing them; this packs a batch into a
// Float64Array (moved, not copied) and one JSON string (copied in one piece), in the column order
// the Store binds them, so the writer makes no object per row either.
import type { DeliveryRow, Generation, Relation } from '../tracker/types.js';

export interface PackedRows {
  generations: number;
  deliveries: number;
  /** GEN_NUMBERS values per generation, then DELIVERY_NUMBERS per delivery; NaN stands for null. */
  numbers: Float64Array;
  /** A JSON array: GEN_STRINGS values per generation, then DELIVERY_STRINGS per delivery (reply as compactReply leaves it). */
  strings: string;
}

export const GEN_NUMBERS = 9;
export const GEN_STRINGS = 11;
export const DELIVERY_NUMBERS = 4;
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
  const strings: Array<string | null> = [];
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
    strings.push(g.queueId, g.host, g.clientHost, g.clientIp, g.saslMethod, g.saslUsername, g.origClientHost, g.origClientIp,
      g.sender, g.messageId, g.relation);
  }
  for (const d of dels) {
    numbers[n++] = d.id;
    numbers[n++] = d.message;
    numbers[n++] = d.at;
    numbers[n++] = num(d.delay);
    strings.push(d.agent, d.recipient, d.origTo, d.relay, d.dsn, d.status, compactReply(d.reply, d.sesMessageId), d.sesMessageId, d.childQueueId);
  }
  return { generations: gens.length, deliveries: dels.length, numbers, strings: JSON.stringify(strings) };
}

/** The inverse of packRows, for tests and for anything that wants the objects back. */
export function unpackRows(p: PackedRows): { generations: Generation[]; deliveries: DeliveryRow[] } {
  const s = JSON.parse(p.strings) as Array<string | null>;
  const x = p.numbers;
  const nul = (v: number): number | null => (v !== v ? null : v);
  const generations: Generation[] = [];
  const deliveries: DeliveryRow[] = [];
  let n = 0;
  let k = 0;
  for (let i = 0; i < p.generations; i++, n += GEN_NUMBERS, k += GEN_STRINGS) {
    generations.push({
      id: x[n]!,
      queueId: s[k]!,
      host: s[k + 1]!,
      firstSeen: x[n + 1]!,
      lastSeen: x[n + 2]!,
      removedAt: nul(x[n + 3]!),
      clientHost: s[k + 2]!,
      clientIp: s[k + 3]!,
      clientPort: nul(x[n + 4]!),
      saslMethod: s[k + 4]!,
      saslUsername: s[k + 5]!,
      origClientHost: s[k + 6]!,
      origClientIp: s[k + 7]!,
      uid: nul(x[n + 5]!),
      sender: s[k + 8]!,
      messageId: s[k + 9]!,
      size: nul(x[n + 6]!),
      nrcpt: nul(x[n + 7]!),
      parentId: nul(x[n + 8]!),
      relation: s[k + 10] as Relation | null,
    });
  }
  for (let i = 0; i < p.deliveries; i++, n += DELIVERY_NUMBERS, k += DELIVERY_STRINGS) {
    const ses = s[k + 7] ?? null;
    deliveries.push({
      id: x[n]!,
      message: x[n + 1]!,
      at: x[n + 2]!,
      agent: s[k]!,
      recipient: s[k + 1]!,
      origTo: s[k + 2]!,
      relay: s[k + 3]!,
      delay: nul(x[n + 3]!),
      dsn: s[k + 4]!,
      status: s[k + 5]!,
      reply: s[k + 6] ?? `250 Ok ${ses}`,
      sesMessageId: ses,
      childQueueId: s[k + 8]!,
    });
  }
  return { generations, deliveries };
}
