// The config file: read once at start-up, validated whole, so a typo fails at once and names its key.
import { readFileSync } from 'node:fs';

export const DEFAULT_CONFIG_PATH = '/etc/bounce-origin/config.json';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface FileSourceConfig {
  type: 'file';
  path: string;
}

export interface JournaldSourceConfig {
  type: 'journald';
  /** Read the journal files in this directory instead of the system journal. */
  directory: string | null;
  /** systemd units to follow (`_SYSTEMD_UNIT=`); with `identifiers`, replaces the default mail-facility filter. */
  units: string[];
  /** syslog identifiers to follow (`SYSLOG_IDENTIFIER=`, e.g. `postfix/smtp`). */
  identifiers: string[];
}

export type SourceConfig = FileSourceConfig | JournaldSourceConfig;

export interface SqsConfig {
  queueUrl: string;
  region: string;
  endpoint: string | null;
  /** How long a notification whose message is not indexed yet waits for its log lines. */
  lateJoinSeconds: number;
}

export interface Config {
  source: SourceConfig;
  database: string;
  sqs: SqsConfig | null;
  retentionDays: number;
  logLevel: LogLevel;
  logFile: string | null;
}

export class ConfigError extends Error {}

const DEFAULTS = {
  source: { type: 'file', path: '/var/log/mail.log' } as FileSourceConfig,
  database: '/var/lib/bounce-origin/index.db',
  retentionDays: 30,
  logLevel: 'info' as LogLevel,
  lateJoinSeconds: 300,
};

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `${typeof v} ${JSON.stringify(v)}`;
}

function checkKeys(o: Obj, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(`unknown key "${where}${k}" (allowed here: ${allowed.join(', ')})`);
    }
  }
}

function str(o: Obj, key: string, where: string, fallback?: string): string {
  const v = o[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || v.trim() === '') {
    throw new ConfigError(`"${where}${key}" must be a non-empty string, got ${v === undefined ? 'nothing' : describe(v)}`);
  }
  return v;
}

function optStr(o: Obj, key: string, where: string): string | null {
  return o[key] === undefined || o[key] === null ? null : str(o, key, where);
}

function strList(o: Obj, key: string, where: string): string[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) {
    throw new ConfigError(`"${where}${key}" must be an array of non-empty strings, got ${describe(v)}`);
  }
  return v as string[];
}

function num(o: Obj, key: string, where: string, fallback: number, min: number): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new ConfigError(`"${where}${key}" must be a number >= ${min}, got ${describe(v)}`);
  }
  return v;
}

function parseSource(v: unknown): SourceConfig {
  if (v === undefined) return DEFAULTS.source;
  if (!isObj(v)) throw new ConfigError(`"source" must be an object, got ${describe(v)}`);
  const type = v['type'];
  if (type === 'file') {
    checkKeys(v, ['type', 'path'], 'source.');
    return { type, path: str(v, 'path', 'source.', DEFAULTS.source.path) };
  }
  if (type === 'journald') {
    checkKeys(v, ['type', 'directory', 'units', 'identifiers'], 'source.');
    return {
      type,
      directory: optStr(v, 'directory', 'source.'),
      units: strList(v, 'units', 'source.'),
      identifiers: strList(v, 'identifiers', 'source.'),
    };
  }
  throw new ConfigError(`"source.type" must be "file" or "journald", got ${type === undefined ? 'nothing' : describe(type)}`);
}

function parseSqs(v: unknown): SqsConfig | null {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new ConfigError(`"sqs" must be an object, got ${describe(v)}`);
  checkKeys(v, ['queueUrl', 'region', 'endpoint', 'lateJoinSeconds'], 'sqs.');
  const queueUrl = str(v, 'queueUrl', 'sqs.');
  if (!/^https?:\/\//.test(queueUrl)) {
    throw new ConfigError(`"sqs.queueUrl" must be an http(s) URL, got ${JSON.stringify(queueUrl)}`);
  }
  // The region is in the queue URL of a real SQS queue; asking for it again would be a second place to get it wrong.
  const fromUrl = /sqs[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(queueUrl)?.[1];
  const region = v['region'] === undefined && fromUrl ? fromUrl : str(v, 'region', 'sqs.');
  const endpoint = optStr(v, 'endpoint', 'sqs.');
  if (endpoint !== null && !/^https?:\/\//.test(endpoint)) {
    throw new ConfigError(`"sqs.endpoint" must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  return { queueUrl, region, endpoint, lateJoinSeconds: num(v, 'lateJoinSeconds', 'sqs.', DEFAULTS.lateJoinSeconds, 0) };
}

/** Validates a parsed config document; throws ConfigError naming the first bad key. */
export function parseConfig(doc: unknown): Config {
  if (!isObj(doc)) throw new ConfigError(`the config must be a JSON object, got ${describe(doc)}`);
  checkKeys(doc, ['source', 'database', 'sqs', 'retentionDays', 'logLevel', 'logFile'], '');
  const logLevel = doc['logLevel'] ?? DEFAULTS.logLevel;
  if (typeof logLevel !== 'string' || !LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError(`"logLevel" must be one of ${LOG_LEVELS.join(', ')}, got ${describe(logLevel)}`);
  }
  return {
    source: parseSource(doc['source']),
    database: str(doc, 'database', '', DEFAULTS.database),
    sqs: parseSqs(doc['sqs']),
    retentionDays: num(doc, 'retentionDays', '', DEFAULTS.retentionDays, 1),
    logLevel: logLevel as LogLevel,
    logFile: optStr(doc, 'logFile', ''),
  };
}

/**
 * Loads the config file. A missing file at the default path yields the defaults (so `ingest` and
 * `lookup` work out of the box); a missing file the user named is an error.
 */
export function loadConfig(path: string | undefined): Config {
  const file = path ?? DEFAULT_CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && path === undefined) return parseConfig({});
    throw new ConfigError(`cannot read config file ${file}: ${code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseConfig(doc);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`config file ${file}: ${err.message}`);
    throw err;
  }
}
