// For in-process daemon tests: the pino JSON lines the daemon writes to an injected stream, parsed as
// they come, and a poll-until helper with a deadline that says what it waited for.
import { PassThrough } from 'node:stream';
import { Daemon, type DaemonOptions } from '../../src/daemon.js';
import type { Config } from '../../src/config.js';
import { createEventLog } from '../../src/sinks/log.js';

export type LogLine = Record<string, unknown>;

export function captureLog(): { lines: LogLine[]; stream: PassThrough } {
  const lines: LogLine[] = [];
  const stream = new PassThrough();
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      lines.push(JSON.parse(buf.slice(0, nl)) as LogLine);
      buf = buf.slice(nl + 1);
    }
  });
  return { lines, stream };
}

export async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs a Daemon in this process, its log captured at level info; stop() aborts it and waits for it to end. */
export function runDaemon(config: Config, extra: Omit<DaemonOptions, 'config' | 'log'> = {}) {
  const { lines, stream } = captureLog();
  const daemon = new Daemon({ config, log: createEventLog({ level: 'info', file: null, stream }), ...extra });
  const ctl = new AbortController();
  const done = daemon.run(ctl.signal);
  const stop = async (): Promise<void> => {
    ctl.abort();
    await done;
  };
  return { lines, stop, daemon };
}
