import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateLog } from '../../src/bench/generate.js';
import { clockTicksPerSecond, cpuPercent, parseProcStat, planBatches, queueIdOf, readCpuTicks, runFollowBench } from '../../src/bench/follow-bench.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'follow-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('/proc/PID/stat', () => {
  it('reads utime and stime even when the command name holds spaces and parentheses', () => {
    const line = '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 9125 0 0 0 1234 567 0 0 20 0 11 0 2810 1149624320 31452 18446744073709551615 1 1 0 0 0 0 0 16781312 134234626 0 0 0 17 1 0 0 0 0 0\n';
    expect(parseProcStat(line)).toEqual({ utime: 1234, stime: 567 });
    expect(() => parseProcStat('garbage')).toThrow('not a /proc/PID/stat line: "garbage"');
  });

  it('reads this process and turns ticks into % of one core', () => {
    const t = readCpuTicks(process.pid);
    expect(Number.isInteger(t.utime) && Number.isInteger(t.stime)).toBe(true);
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
    expect(cpuPercent({ utime: 100, stime: 50 }, { utime: 130, stime: 70 }, 100, 10)).toBeCloseTo(5, 12);
  });
});

describe('batches and probes', () => {
  it('finds the queue id of Postfix lines only', () => {
    expect(queueIdOf('Nov  3 00:00:01 relay1 postfix/smtpd[2101]: 4A1B213D501: client=app[10.0.0.5]')).toBe('4A1B213D501');
    expect(queueIdOf('Nov  3 00:00:01 relay1 postfix/submission/smtpd[2101]: 4dPq2V0mKzz9k1: client=app[10.0.0.5]')).toBe('4dPq2V0mKzz9k1');
    expect(queueIdOf('Nov  3 00:00:01 relay1 postfix/smtpd[2101]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1')).toBeNull();
    expect(queueIdOf('Nov  3 00:00:01 relay1 sshd[77]: ABCDEF1234: not postfix')).toBeNull();
  });

  it('cuts lines into batches, each probing a queue id no earlier line named', () => {
    const l = (q: string) => `Nov  3 00:00:01 relay1 postfix/qmgr[9]: ${q}: removed`;
    const lines = [l('AAAAAA1'), l('BBBBBB2'), 'Nov  3 00:00:01 relay1 CRON[5]: x', l('AAAAAA1'), l('BBBBBB2'), l('CCCCCC3'), l('AAAAAA1')];
    expect(planBatches(lines, 3)).toEqual([
      { text: `${lines.slice(0, 3).join('\n')}\n`, lines: 3, probe: 'AAAAAA1' },
      { text: `${lines.slice(3, 6).join('\n')}\n`, lines: 3, probe: 'CCCCCC3' },
      { text: `${lines[6]}\n`, lines: 1, probe: null },
    ]);
    expect(() => planBatches(lines, 0)).toThrow('planBatches: perBatch must be a positive integer, got 0');
  });

  it('has a probe in nearly every batch of generated lines', () => {
    const chunks: string[] = [];
    generateLog({ lines: 5000, seed: 2 }, (c) => chunks.push(c));
    const batches = planBatches(chunks.join('').split('\n').slice(0, 5000), 100);
    expect(batches).toHaveLength(50);
    expect(batches.filter((b) => b.probe !== null).length).toBeGreaterThanOrEqual(45);
  });
});

describe.skipIf(!existsSync(CLI))('runFollowBench', () => {
  it('runs the daemon on a file it appends to and sees every probe indexed and the whole file committed', async () => {
    const r = await runFollowBench({ workDir: dir, cliPath: CLI, rate: 300, seconds: 2, seed: 5 });
    expect(r).toMatchObject({ rate: 300, seconds: 2, lines: 600, batches: 20, clockTicksPerSecond: clockTicksPerSecond() });
    expect(r.probes).toBeGreaterThanOrEqual(15);
    expect(r.probesFound).toBe(r.probes);
    expect(r.latencyMs?.n).toBe(r.probes);
    expect(r.daemon.caughtUp).toBe(true);
    expect(r.daemon.checkpointOffset).toBe(r.bytes);
    expect(r.daemon.exitCode).toBe(0);
    expect(r.daemon.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(r.tail?.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(r.windowSeconds).toBeGreaterThanOrEqual(1.9);
  });

  it('says why when the daemon cannot start', async () => {
    await expect(runFollowBench({ workDir: join(dir, 'bad'), cliPath: join(dir, 'no-such-cli.js'), rate: 100, seconds: 1, peer: false }))
      .rejects.toThrow(/^follow bench: the daemon exited 1: /);
  });
});
