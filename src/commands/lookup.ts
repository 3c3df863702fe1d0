// `lookup ID`: everything the index knows of the messages an id names, with their first hop.
import { loadConfig } from '../config.js';
import { Store } from '../db/store.js';
import { resolveOrigin } from '../tracker/tracker.js';
import type { Generation, Origin } from '../tracker/types.js';
import { bareMessageId } from '../ses/annotate.js';
import { UsageError } from '../errors.js';

export type LookupKey = 'ses-id' | 'message-id' | 'queue-id' | 'recipient';

export interface LookupResult {
  matchedBy: LookupKey[];
  queueId: string;
  host: string | null;
  firstSeen: string;
  lastSeen: string;
  removedAt: string | null;
  messageId: string | null;
  sender: string | null;
  size: number | null;
  nrcpt: number | null;
  clientIp: string | null;
  clientHost: string | null;
  saslUsername: string | null;
  uid: number | null;
  /** The first hop: who handed the message to this MTA, through any content filter or re-injection. */
  origin: Origin;
  parent: { queueId: string; relation: string | null } | null;
  children: Array<{ queueId: string; relation: string | null }>;
  deliveries: Array<{
    at: string;
    recipient: string;
    origTo: string | null;
    relay: string | null;
    status: string;
    dsn: string | null;
    reply: string;
    sesMessageId: string | null;
    childQueueId: string | null;
  }>;
}

export const DEFAULT_LIMIT = 10;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Newest first, at most `limit` messages (default 10): a much-used address has hundreds, and each
 * message comes with all its delivery attempts.
 */
export function lookup(store: Store, id: string, limit = DEFAULT_LIMIT): LookupResult[] {
  const q = id.trim();
  const found = new Map<number, { g: Generation; keys: LookupKey[] }>();
  const add = (gens: Generation[], key: LookupKey) => {
    for (const g of gens) {
      const hit = found.get(g.id);
      if (hit) hit.keys.push(key);
      else found.set(g.id, { g, keys: [key] });
    }
  };
  add(store.generationsBySesId(q), 'ses-id');
  add(store.generationsByMessageId(bareMessageId(q)), 'message-id');
  add(store.generationsByQueueId(q), 'queue-id');
  if (q.includes('@')) add(store.generationsByRecipient(q.replace(/^<(.*)>$/, '$1'), limit + 1), 'recipient');
  const get = (gid: number) => store.getGeneration(gid);
  return [...found.values()]
    .sort((a, b) => b.g.firstSeen - a.g.firstSeen || b.g.id - a.g.id)
    .slice(0, limit)
    .map(({ g, keys }) => {
      const parent = g.parentId === null ? undefined : get(g.parentId);
      return {
        matchedBy: keys,
        queueId: g.queueId,
        host: g.host,
        firstSeen: iso(g.firstSeen),
        lastSeen: iso(g.lastSeen),
        removedAt: g.removedAt === null ? null : iso(g.removedAt),
        messageId: g.messageId,
        sender: g.sender,
        size: g.size,
        nrcpt: g.nrcpt,
        clientIp: g.clientIp,
        clientHost: g.clientHost,
        saslUsername: g.saslUsername,
        uid: g.uid,
        origin: resolveOrigin(g, get),
        parent: parent ? { queueId: parent.queueId, relation: g.relation } : null,
        children: store.childrenOf(g.id).map((c) => ({ queueId: c.queueId, relation: c.relation })),
        deliveries: store.deliveriesOf(g.id).map((d) => ({
          at: iso(d.at),
          recipient: d.recipient,
          origTo: d.origTo,
          relay: d.relay,
          status: d.status,
          dsn: d.dsn,
          reply: d.reply,
          sesMessageId: d.sesMessageId,
          childQueueId: d.childQueueId,
        })),
      };
    });
}

export async function lookupCommand(
  opts: { config?: string; database?: string; limit?: string; stdout?: (s: string) => void; stderr?: (s: string) => void },
  args: string[],
): Promise<number> {
  const limit = opts.limit === undefined ? DEFAULT_LIMIT : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`lookup: --limit must be a whole number >= 1, got "${opts.limit}"`);
  if (args.length !== 1 || args[0]!.trim() === '') {
    throw new UsageError('lookup: give exactly one ID: an SES message id, a Message-ID, a queue id or a recipient (see bounce-origin lookup --help)');
  }
  const config = loadConfig(opts.config);
  const store = new Store(opts.database ?? config.database, { readonly: true });
  try {
    const found = lookup(store, args[0]!, limit + 1);
    const results = found.slice(0, limit);
    (opts.stdout ?? ((s: string) => process.stdout.write(s)))(`${JSON.stringify(results, null, 2)}\n`);
    if (found.length > limit) {
      (opts.stderr ?? ((s: string) => process.stderr.write(s)))(`more than ${limit} messages match; showing the newest ${limit} (--limit N for more)\n`);
    }
    return results.length > 0 ? 0 : 1;
  } finally {
    store.close();
  }
}
