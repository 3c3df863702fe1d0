#!/usr/bin/env node
// Command-line entry: parses arguments, prints help, dispatches. Every failure ends as one line on
// stderr that names what was wrong, and a non-zero exit.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config.js';
import { StoreError } from './db/store.js';
import { HELP, COMMAND_HELP, type CommandName } from './help.js';
import { InputError, UsageError } from './errors.js';

interface Command {
  options: ParseArgsConfig['options'];
  run: (values: Record<string, string | boolean | undefined>, positionals: string[]) => Promise<number>;
}

const common = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const;

const COMMANDS: Record<CommandName, Command> = {
  run: {
    options: { ...common },
    run: async (v, p) => (await import('./commands/run.js')).runCommand({ config: v.config as string | undefined }, p),
  },
  ingest: {
    options: { ...common, database: { type: 'string' } },
    run: async (v, p) =>
      (await import('./commands/ingest.js')).ingestCommand(
        { config: v.config as string | undefined, database: v.database as string | undefined },
        p,
      ),
  },
  lookup: {
    options: { ...common, database: { type: 'string' }, limit: { type: 'string' } },
    run: async (v, p) =>
      (await import('./commands/lookup.js')).lookupCommand(
        { config: v.config as string | undefined, database: v.database as string | undefined, limit: v.limit as string | undefined },
        p,
      ),
  },
  annotate: {
    options: { ...common, database: { type: 'string' } },
    run: async (v, p) =>
      (await import('./commands/annotate.js')).annotateCommand(
        { config: v.config as string | undefined, database: v.database as string | undefined },
        p,
      ),
  },
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic && topic in COMMAND_HELP) process.stdout.write(COMMAND_HELP[topic as CommandName]);
    else process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (!(name in COMMANDS)) {
    throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')}; see bounce-origin --help)`);
  }
  const cmd = COMMANDS[name as CommandName];
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${name}: ${(err as Error).message} (see bounce-origin ${name} --help)`);
  }
  if ((parsed.values as Record<string, unknown>)['help']) {
    process.stdout.write(COMMAND_HELP[name as CommandName]);
    return 0;
  }
  return cmd.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
}

/** Errors the user can fix get one line; anything else is a bug and gets its stack. */
export function reportError(err: unknown): number {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof StoreError || err instanceof InputError) {
    process.stderr.write(`bounce-origin: ${(err as Error).message}\n`);
    return 2;
  }
  process.stderr.write(`bounce-origin: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 70;
}

// Run when executed directly (the npm bin link or `node dist/cli.js`), not when imported by tests.
const invoked = process.argv[1] ?? '';
if (invoked.endsWith('cli.js') || invoked.endsWith('bounce-origin')) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.exitCode = reportError(err);
    },
  );
}
