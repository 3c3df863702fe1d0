// `run`: the daemon's process wrapper: config, log, signals, exit status.
import { loadConfig } from '../config.js';
import { createEventLog } from '../sinks/log.js';
import { Daemon } from '../daemon.js';
import { UsageError } from '../errors.js';

/** Past this, a shutdown that hangs (a stuck disk) is cut short rather than outliving systemd's patience. */
const SHUTDOWN_GRACE_MS = 4500;

export async function runCommand(opts: { config?: string }, args: string[]): Promise<number> {
  if (args.length > 0) throw new UsageError(`run takes no arguments, got "${args.join(' ')}" (see bounce-origin run --help)`);
  const config = loadConfig(opts.config);
  const log = createEventLog({ level: config.logLevel, file: config.logFile });
  const daemon = new Daemon({ config, log });
  const stop = new AbortController();
  const onStop = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) return;
    log.logger.info({ op: 'signal', signal: sig }, `${sig}: shutting down`);
    stop.abort();
    setTimeout(() => {
      log.logger.error({ op: 'shutdown-timeout' }, `shutdown took over ${SHUTDOWN_GRACE_MS} ms; exiting anyway`);
      log.flush();
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  const onHup = () => {
    log.reopen();
    log.logger.info({ op: 'reopened-log' }, 'SIGHUP: reopened the log file');
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);
  try {
    await daemon.run(stop.signal);
  } finally {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGHUP', onHup);
  }
  return 0;
}
