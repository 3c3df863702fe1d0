import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasGnuTime, measureCommand, median, parseGnuTimeKiB, parseProcStatusKiB } from '../../src/bench/measure.js';

// A child that touches 200 MiB, holds it for a while (so /proc polling sees it on a busy machine),
// prints, and exits 3.
const HOG = [
  '-e',
  "const b = Buffer.alloc(200 * 1024 * 1024, 1); setTimeout(() => { process.stdout.write('held ' + b.length + '\\n'); process.stderr.write('bye\\n'); process.exit(3); }, 1000);",
];

const dir = mkdtempSync(join(tmpdir(), 'measure-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('measureCommand', () => {
  it('by /proc polling: peak RSS of the child, its exit code and output', async () => {
    const m = await measureCommand(process.execPath, HOG, { method: 'proc' });
    expect(m.method).toBe('proc');
    expect(m.exitCode).toBe(3);
    expect(m.signal).toBeNull();
    expect(m.stdout).toBe(`held ${200 * 1024 * 1024}\n`);
    expect(m.stderr).toBe('bye\n');
    expect(m.peakRssMiB).toBeGreaterThan(200);
    expect(m.peakRssMiB).toBeLessThan(1024);
    expect(m.seconds).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(!hasGnuTime())('by GNU time: the same figures, time\'s own notes kept out of stderr', async () => {
    const m = await measureCommand(process.execPath, HOG, { method: 'time' });
    expect(m.method).toBe('time');
    expect(m.exitCode).toBe(3);
    expect(m.stdout).toBe(`held ${200 * 1024 * 1024}\n`);
    expect(m.stderr).toBe('bye\n');
    expect(m.peakRssMiB).toBeGreaterThan(200);
    expect(m.peakRssMiB).toBeLessThan(1024);
  });

  it('sends stdout to a file when asked', async () => {
    const file = join(dir, 'out.txt');
    const m = await measureCommand(process.execPath, ['-e', "console.log('to the file')"], { stdoutFile: file });
    expect(m.exitCode).toBe(0);
    expect(m.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe('to the file\n');
  });

  it('cuts captured output at the limit', async () => {
    const m = await measureCommand(process.execPath, ['-e', "process.stdout.write('x'.repeat(5000))"], { captureLimitBytes: 100 });
    expect(m.stdout).toBe('x'.repeat(100));
  });

  it('kills the whole command at the timeout, with either method', async () => {
    for (const method of hasGnuTime() ? (['proc', 'time'] as const) : (['proc'] as const)) {
      const m = await measureCommand('sleep', ['30'], { method, timeoutMs: 200 });
      expect(m.signal).toBe('SIGKILL');
      expect(m.exitCode).toBe(137);
      expect(m.seconds).toBeLessThan(20);
    }
  });

  it('names a command it cannot start', async () => {
    await expect(measureCommand('/nonexistent/tool', [], { method: 'proc' })).rejects.toThrow('cannot run /nonexistent/tool');
    await expect(measureCommand('true', [], { method: 'time', timeBinary: '/nonexistent/time' })).rejects.toThrow('/nonexistent/time is not an executable');
  });
});

describe('parsers', () => {
  it('reads KiB fields of /proc/PID/status', () => {
    const status = 'Name:\tperl\nVmPeak:\t  250000 kB\nVmHWM:\t  183108 kB\nVmRSS:\t  170000 kB\n';
    expect(parseProcStatusKiB(status, 'VmHWM')).toBe(183108);
    expect(parseProcStatusKiB(status, 'VmRSS')).toBe(170000);
    expect(parseProcStatusKiB(status, 'VmSwap')).toBeNull();
  });

  it('reads GNU time\'s -o file, with or without its exit-status note', () => {
    expect(parseGnuTimeKiB('183108\n')).toBe(183108);
    expect(parseGnuTimeKiB('Command exited with non-zero status 3\n205432\n')).toBe(205432);
    expect(parseGnuTimeKiB('Command terminated by signal 9\n')).toBeNull();
  });

  it('takes medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow('median: empty list');
  });
});
