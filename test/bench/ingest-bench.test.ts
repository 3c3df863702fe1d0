import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIngestBench, parseIngestSummary, parsePflogsummTotals, reasonLine, runIngestBench } from '../../src/bench/ingest-bench.js';
import { measureStages } from '../../src/bench/ingest-stages.js';
import { generateLogFile } from '../../src/bench/generate.js';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Stands in for `node dist/cli.js ingest FILE --config CFG` until the real command exists: it checks
// the arguments and the config the harness writes, fills a database file, and prints the summary line.
const STUB = join(dir, 'stub-cli.mjs');
writeFileSync(STUB, `
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
const [cmd, file, flag, cfgPath] = process.argv.slice(2);
if (cmd !== 'ingest' || flag !== '--config') { console.error('bad arguments ' + process.argv.slice(2).join(' ')); process.exit(2); }
const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
if (cfg.source.type !== 'file' || cfg.source.path !== file) { console.error('config source is not the log'); process.exit(2); }
if (dirname(cfg.database) !== dirname(cfgPath) || existsSync(cfg.database)) { console.error('database is not fresh'); process.exit(2); }
const lines = readFileSync(file, 'utf8').split('\\n').length - 1;
const messages = Math.floor(lines / 10);
writeFileSync(cfg.database, Buffer.alloc(messages * 300));
console.log(JSON.stringify({ lines, messages, seconds: 0.25, extra: true }));
`);
const FAILING = join(dir, 'failing-cli.mjs');
writeFileSync(FAILING, "console.error('    at somewhere (file.js:1:1)'); console.error('Error: no such command: ingest'); process.exit(4);\n");

describe('runIngestBench', () => {
  it('runs pflogsumm alone while the ingest command does not exist', async () => {
    const r = await runIngestBench({ lines: 8000, seed: 4, workDir: join(dir, 'alone'), rounds: 3, cliPath: join(dir, 'missing-cli.js') });
    expect(r.ours).toEqual({ available: false, reason: `${join(dir, 'missing-cli.js')} does not exist (build with tsc, or the ingest command is not written yet)` });
    expect(r.ratio).toBeNull();
    expect(r.lines).toBe(r.truth.lines);
    expect(r.lines).toBeGreaterThanOrEqual(8000);
    expect(r.pflogsumm.runs.map((x) => x.round)).toEqual([1, 2, 3]);
    expect(r.pflogsumm.seconds).toBe([...r.pflogsumm.runs.map((x) => x.seconds)].sort((a, b) => a - b)[1]);
    expect(r.pflogsumm.linesPerSecond).toBeCloseTo(r.lines / r.pflogsumm.seconds, 6);
    expect(r.pflogsumm.peakRssMiB).toBeGreaterThan(1);
    expect(r.pflogsumm.totals).toEqual({ ...r.truth.pflogsumm, forwarded: 0, rounded: false });
    expect(r.pflogsumm.mismatches).toEqual([]);
    expect(formatIngestBench(r)).toContain('ours:      not measured: ');
  });

  it('runs both side by side, alternating which goes first, on a fresh database each round', async () => {
    const r = await runIngestBench({ lines: 8000, seed: 4, workDir: join(dir, 'both'), rounds: 3, cliPath: STUB });
    expect(r.order).toEqual([['pflogsumm', 'ours'], ['ours', 'pflogsumm'], ['pflogsumm', 'ours']]);
    if (!r.ours.available) throw new Error(r.ours.reason);
    const messages = Math.floor(r.lines / 10);
    expect(r.ours.reported).toEqual({ lines: r.lines, messages, seconds: 0.25 });
    expect(r.ours.reportedSeconds).toBe(0.25);
    expect(r.ours.runs.map((x) => x.round)).toEqual([1, 2, 3]);
    expect(r.ours.dbBytes).toBe(messages * 300);
    expect(r.ours.dbBytesPerMessage).toBe(300);
    expect(r.ratio).toBeCloseTo(r.ours.linesPerSecond / r.pflogsumm.linesPerSecond, 9);
    expect(formatIngestBench(r)).toMatch(/ours\/pflogsumm speed: [\d.]+x; database [\d.]+ MiB, 300 bytes per indexed message/);
    // The stand-in has no stage script beside it.
    expect(r.stages).toEqual({ error: expect.stringMatching(/^ingest-stages exited 1: .*ingest-stages\.js/) });
    expect(formatIngestBench(r)).toContain('stages: not measured: ingest-stages exited 1');
  });

  it('reports why the ingest command failed and keeps the pflogsumm figures', async () => {
    const r = await runIngestBench({ lines: 3000, seed: 4, workDir: join(dir, 'failing'), rounds: 2, cliPath: FAILING });
    expect(r.ours).toEqual({ available: false, reason: 'ingest exited 4: Error: no such command: ingest' });
    expect(r.pflogsumm.runs).toHaveLength(2);
  });

  it('names bad options', async () => {
    await expect(runIngestBench({ lines: 0, seed: 1, workDir: dir })).rejects.toThrow('lines must be a positive integer, got 0');
    await expect(runIngestBench({ lines: 10, seed: 1, workDir: dir, pflogsumm: '/nonexistent/pflogsumm' })).rejects.toThrow('pflogsumm not found at /nonexistent/pflogsumm');
  });
});

describe('report parsing', () => {
  it('reads pflogsumm\'s grand totals, including k units', () => {
    const report = `
Grand Totals
------------
messages

 182137   received
 330186   delivered
      0   forwarded
   4345   deferred  (8208  deferrals)
   7398   bounced
   5896   rejected (1%)
      0   reject warnings
`;
    expect(parsePflogsummTotals(report)).toEqual({ received: 182137, delivered: 330186, forwarded: 0, deferred: 4345, deferrals: 8208, bounced: 7398, rejected: 5896, rounded: false });
    expect(parsePflogsummTotals(report.replace(' 330186   delivered', '    645k  delivered')).delivered).toBe(645 * 1024);
    expect(parsePflogsummTotals(report.replace(' 330186   delivered', '    645k  delivered')).rounded).toBe(true);
    expect(() => parsePflogsummTotals('nothing')).toThrow('pflogsumm report has no "received" total');
  });

  it('reads the ingest summary line and names what is missing', () => {
    expect(parseIngestSummary('starting\n{"lines":10,"messages":2,"seconds":0.5}\n')).toEqual({ lines: 10, messages: 2, seconds: 0.5 });
    expect(() => parseIngestSummary('{"lines":10,"seconds":0.5}')).toThrow('ingest summary lacks a numeric "messages"');
    expect(() => parseIngestSummary('done')).toThrow('ingest printed no JSON summary line (last stdout line: "done")');
  });

  it('picks the error line out of a Node stack trace', () => {
    expect(reasonLine('node:internal/modules/esm/resolve:873\n  throw new ERR\n\nError [ERR_MODULE_NOT_FOUND]: Cannot find module x\n')).toBe('Error [ERR_MODULE_NOT_FOUND]: Cannot find module x');
    expect(reasonLine('config: unknown key "foo"\n')).toBe('config: unknown key "foo"');
  });
});

describe('measureStages', () => {
  it('times start-up, tracking and writing apart, and writes every queue file of the log', async () => {
    const log = join(dir, 'stages.log');
    const truth = generateLogFile({ lines: 20_000, seed: 9, start: new Date(Date.UTC(2025, 10, 3)) }, log);
    const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const st = await measureStages(log, join(dir, 'stages'), cli);
    for (const k of ['startupSeconds', 'trackSeconds', 'writeSeconds', 'rebuildSeconds'] as const) expect(st[k]).toBeGreaterThan(0);
    expect(st.floorSeconds).toBeCloseTo(st.startupSeconds + st.writeSeconds + st.rebuildSeconds, 9);
    const db = new Database(join(dir, 'stages', 'stages.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(truth.queueFiles);
      const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%_key'`).pluck().all();
      expect(indexes).toHaveLength(4);
    } finally {
      db.close();
    }
  });
});
