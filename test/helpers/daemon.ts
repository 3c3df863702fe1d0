// The built daemon (`node dist/cli.js run --config FILE`) as a child process, for end-to-end tests: its stdout
// parsed as pino JSON lines as they come, its stderr kept, its exit awaited. Also a runner for the one-shot
// commands (`lookup`, `annotate`...).
//
// Usage (see test/e2e/daemon.e2e.test.ts):
//   const d = startDaemon({ cli: CLI, config: cfgPath, env: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } });
//   await d.waitFor((l) => l.op === 'start', 10_000, 'the start line');
//   d.kill('SIGTERM'); const { code } = await d.exited;
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, type RunResult } from './process.js';

/** dist/cli.js of this checkout: the program the README's `npm test` builds first. */
export const BUILT_CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli.js');

/** Why the built CLI cannot be run, or null. */
export function builtCliProblem(cli: string = BUILT_CLI): string | null {
  return fs.existsSync(cli) ? null : `${cli} does not exist: build first with \`npx tsc -p tsconfig.json\` (npm test does)`;
}

export type LogLine = Record<string, unknown>;

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the process exited. */
  at: number;
}

export interface DaemonProcess {
  pid: number;
  /** Every stdout line that parsed as a JSON object, in order. */
  readonly lines: LogLine[];
  /** stdout lines that were not JSON objects (the daemon's log should have none). */
  readonly junk: string[];
  stderr(): string;
  exited: Promise<DaemonExit>;
  /** Resolves with the first line (since start) that matches; rejects after timeoutMs, or when the process exits first. */
  waitFor(predicate: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
  /** Signals this child only (never a process group); a no-op once it has exited. */
  kill(signal: NodeJS.Signals): void;
}

export interface StartDaemonOptions {
  cli?: string;
  config: string;
  /** The child's whole environment besides PATH: nothing of the test runner's leaks in (no real AWS settings). */
  env?: Record<string, string>;
  /** Each raw stdout line is also appended here, for looking at a failed run afterwards. */
  stdoutFile?: string;
}

const POLL_MS = 50;

export function startDaemon(opts: StartDaemonOptions): DaemonProcess {
  const cli = opts.cli ?? BUILT_CLI;
  const child = spawn(process.execPath, [cli, 'run', '--config', opts.config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env },
  });
  if (child.pid === undefined) throw new Error(`could not start ${process.execPath} ${cli} run`);
  const lines: LogLine[] = [];
  const junk: string[] = [];
  let stderr = '';
  let partial = '';
  let exit: DaemonExit | null = null;
  const take = (line: string): void => {
    if (line === '') return;
    if (opts.stdoutFile) fs.appendFileSync(opts.stdoutFile, `${line}\n`);
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) lines.push(v as LogLine);
      else junk.push(line);
    } catch {
      junk.push(line);
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    parts.forEach(take);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<DaemonExit>((resolve) => {
    // 'close', not 'exit': stdout is fully read by then.
    child.on('close', (code, signal) => {
      take(partial);
      partial = '';
      exit = { code, signal, at: Date.now() };
      resolve(exit);
    });
  });

  return {
    pid: child.pid,
    lines,
    junk,
    stderr: () => stderr,
    exited,
    async waitFor(predicate, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      let scanned = 0;
      for (;;) {
        for (; scanned < lines.length; scanned++) if (predicate(lines[scanned]!)) return lines[scanned]!;
        const ended = exit as DaemonExit | null;
        if (ended) throw new Error(`daemon exited (code ${ended.code}, signal ${ended.signal}) before ${what}; stderr: ${stderr.trim()}`);
        if (Date.now() >= deadline) {
          const tail = lines.slice(-10).map((l) => JSON.stringify(l)).join('\n');
          throw new Error(`daemon: no ${what} within ${timeoutMs} ms; last lines:\n${tail}\nstderr: ${stderr.trim()}`);
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
    kill(signal) {
      if (exit === null && child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export type CliResult = RunResult;

/** Runs one CLI command to completion, e.g. `runCli(['lookup', '--config', cfg, qid])`. */
export function runCli(args: string[], opts: { cli?: string; input?: string } = {}): Promise<CliResult> {
  return runProcess(process.execPath, [opts.cli ?? BUILT_CLI, ...args], { input: opts.input });
}
