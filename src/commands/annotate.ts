// `annotate [FILE]`: SES notifications in (JSON lines), enriched events out, matched against the index.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { loadConfig } from '../config.js';
import { Store } from '../db/store.js';
import { parseNotification } from '../ses/notification.js';
import { enrich, match } from '../ses/annotate.js';
import { InputError, UsageError } from '../errors.js';

export interface AnnotateStats {
  lines: number;
  notifications: number;
  events: number;
  errors: number;
}

/** Annotates every line of `input`; bad lines are reported and skipped, never fatal. */
export async function annotateStream(
  store: Store,
  input: Readable,
  out: (s: string) => void,
  err: (s: string) => void,
  name: string,
): Promise<AnnotateStats> {
  const stats: AnnotateStats = { lines: 0, notifications: 0, events: 0, errors: 0 };
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) {
    stats.lines++;
    if (line.trim() === '') continue;
    const parsed = parseNotification(line);
    if (!parsed.ok) {
      stats.errors++;
      err(`${name}:${stats.lines}: not annotated (${parsed.kind}): ${parsed.reason}\n`);
      continue;
    }
    stats.notifications++;
    const events = enrich(parsed.value, match(parsed.value, store));
    if (events.length === 0) {
      err(`${name}:${stats.lines}: ${parsed.value.type} notification names no recipient outcome; nothing to annotate\n`);
    }
    for (const e of events) {
      stats.events++;
      out(`${JSON.stringify(e)}\n`);
    }
  }
  return stats;
}

export async function annotateCommand(
  opts: { config?: string; database?: string },
  args: string[],
): Promise<number> {
  if (args.length > 1) throw new UsageError('annotate: give at most one FILE (or none to read stdin)');
  const config = loadConfig(opts.config);
  const file = args[0];
  const input = file === undefined || file === '-' ? process.stdin : createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    if (input === process.stdin) return resolve();
    input.once('open', () => resolve());
    input.once('error', (e: Error) => reject(new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
  });
  await opened;
  const store = new Store(opts.database ?? config.database, { readonly: true });
  try {
    await annotateStream(
      store,
      input,
      (s) => process.stdout.write(s),
      (s) => process.stderr.write(s),
      file ?? 'stdin',
    );
    return 0;
  } finally {
    store.close();
  }
}
