// The daemon's own log file: logrotate moves it, SIGHUP (reopen) starts a new one, no line is lost.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventLog, writeEvent } from '../../src/sinks/log.js';
import { buildEvent } from '../../src/events.js';

const event = (recipient: string) =>
  buildEvent(
    { event: 'bounce', recipient, sesMessageId: 'x', messageId: null, sender: 's@example.com', bounceType: 'Permanent', bounceSubType: 'General', status: '5.1.1', diagnosticCode: null, matchedBy: 'ses-id' },
    { generation: null, origin: { queueId: 'ABC', clientIp: '10.0.0.1', clientHost: 'app', saslUsername: null, uid: null, sender: 's@example.com', hops: 0 } },
  );

const linesOf = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('event log file', () => {
  it('writes bounces at warn with every contract field, and reopens after logrotate moved the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-log-'));
    const file = join(dir, 'bounce-origin.log');
    const log = createEventLog({ level: 'info', file });
    writeEvent(log.logger, event('a@example.com'));
    renameSync(file, `${file}.1`);
    writeEvent(log.logger, event('b@example.com')); // still to the moved file, as before SIGHUP
    log.reopen();
    writeEvent(log.logger, event('c@example.com'));
    log.flush();
    expect(linesOf(`${file}.1`).map((l) => l['recipient'])).toEqual(['a@example.com', 'b@example.com']);
    const [c] = linesOf(file);
    expect(c).toMatchObject({
      level: 40,
      event: 'bounce',
      recipient: 'c@example.com',
      sesMessageId: 'x',
      messageId: null,
      queueId: 'ABC',
      clientIp: '10.0.0.1',
      clientHost: 'app',
      saslUsername: null,
      uid: null,
      sender: 's@example.com',
      bounceType: 'Permanent',
      bounceSubType: 'General',
      status: '5.1.1',
      diagnosticCode: null,
      matchedBy: 'ses-id',
      msg: 'bounce (Permanent/General) c@example.com queue ABC from client app[10.0.0.1]',
    });
  });
});
