import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../src/config.js';

describe('config', () => {
  it('fills every default from an empty document', () => {
    expect(parseConfig({})).toEqual({
      source: { type: 'file', path: '/var/log/mail.log' },
      database: '/var/lib/bounce-origin/index.db',
      sqs: null,
      retentionDays: 30,
      logLevel: 'info',
      logFile: null,
    });
  });

  it("reads the contract's example, taking the region from the queue URL when absent", () => {
    const c = parseConfig({
      source: { type: 'journald', directory: '/var/log/journal/remote' },
      database: '/tmp/x.db',
      sqs: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ses-notifications' },
      retentionDays: 7,
      logLevel: 'debug',
      logFile: '/var/log/bounce-origin.log',
    });
    expect(c.source).toEqual({ type: 'journald', directory: '/var/log/journal/remote', units: [], identifiers: [] });
    expect(c.sqs).toEqual({
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ses-notifications',
      region: 'eu-west-1',
      endpoint: null,
      lateJoinSeconds: 300,
    });
  });

  it.each([
    [{ databse: 'x' }, 'unknown key "databse"'],
    [{ source: { type: 'file', path: '/x', follow: true } }, 'unknown key "source.follow"'],
    [{ source: { type: 'syslog' } }, '"source.type" must be "file" or "journald", got the string "syslog"'],
    [{ source: { type: 'file', path: 3 } }, '"source.path" must be a non-empty string, got number 3'],
    [{ retentionDays: '30' }, '"retentionDays" must be a number >= 1, got the string "30"'],
    [{ retentionDays: 0 }, '"retentionDays" must be a number >= 1, got number 0'],
    [{ logLevel: 'verbose' }, '"logLevel" must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ sqs: { queueUrl: 'ses-notifications' } }, '"sqs.queueUrl" must be an http(s) URL'],
    [{ sqs: { queueUrl: 'http://127.0.0.1:4566/000000000000/q' } }, '"sqs.region" must be a non-empty string, got nothing'],
    [{ sqs: { queueUrl: 'http://localhost/q', region: 'us-east-1', endpoint: 'localhost:4566' } }, '"sqs.endpoint" must be an http(s) URL'],
    [{ source: { type: 'journald', units: 'postfix.service' } }, '"source.units" must be an array of non-empty strings'],
    [[], 'the config must be a JSON object, got an array'],
  ])('rejects %j naming the key', (doc, message) => {
    expect(() => parseConfig(doc)).toThrow(ConfigError);
    expect(() => parseConfig(doc)).toThrow(message);
  });

  it('names the file when it is missing or not JSON, and uses defaults when the default file is absent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bo-config-'));
    expect(() => loadConfig(join(dir, 'nope.json'))).toThrow(`cannot read config file ${join(dir, 'nope.json')}: ENOENT`);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "database": ');
    expect(() => loadConfig(bad)).toThrow(`config file ${bad} is not valid JSON`);
    const typo = join(dir, 'typo.json');
    writeFileSync(typo, '{ "logLevl": "info" }');
    expect(() => loadConfig(typo)).toThrow(`config file ${typo}: unknown key "logLevl"`);
  });
});
