import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatReport, parseRunArgs, runBench, SECTIONS, type Machine, type SectionOutcome } from '../../src/bench/run.js';
import { check, condition } from '../../src/bench/stats.js';

const dir = mkdtempSync(join(tmpdir(), 'run-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseRunArgs', () => {
  it('defaults to every section at full size', () => {
    expect(parseRunArgs([])).toEqual({ quick: false, only: [...SECTIONS], workDir: '.tmp/bench', seed: 1, fresh: false, help: false });
  });

  it('takes --quick, --only (in the report\'s order), --work-dir, --seed, --fresh', () => {
    expect(parseRunArgs(['--quick', '--only', 'follow,lookup', '--work-dir', '/w', '--seed', '3', '--fresh'])).toEqual({
      quick: true, only: ['lookup', 'follow'], workDir: '/w', seed: 3, fresh: true, help: false,
    });
  });

  it('names what is wrong', () => {
    expect(() => parseRunArgs(['--only', 'ingest,speed'])).toThrow('--only: unknown section speed (sections: ingest, lookup, annotate, sqs, follow)');
    expect(() => parseRunArgs(['--seed', 'x'])).toThrow('--seed needs an integer, got x');
    expect(() => parseRunArgs(['--work-dir'])).toThrow('--work-dir needs a value');
    expect(() => parseRunArgs(['--fast'])).toThrow('unknown argument --fast');
  });
});

describe('formatReport', () => {
  it('prints each section with its checks, then the tally', () => {
    const m: Machine = { cpu: 'Test CPU', cores: 2, memoryGiB: 4, kernel: '6.1', node: 'v20.0.0', sqlite: '3.45.0', pflogsumm: 'pflogsumm 1.1.5' };
    const outcomes: SectionOutcome[] = [
      { name: 'sqs', seconds: 4.2, text: ['drained 10 messages'], data: null, checks: [check('sqs', 'SQS backlog drain', 3.2, 's', '<', 30), condition('sqs', 'none lost', false, '9 of 10')] },
      { name: 'follow', seconds: 0.4, text: [], data: null, error: 'the daemon exited 1', checks: [condition('follow', 'section ran', false, 'the daemon exited 1')] },
    ];
    expect(formatReport(outcomes, m, 'node dist/bench/run.js --only sqs,follow', 5)).toBe([
      'bounce-origin benchmark: node dist/bench/run.js --only sqs,follow',
      'machine: Test CPU, 2 cores, 4 GiB; Linux 6.1; Node v20.0.0; SQLite 3.45.0; pflogsumm 1.1.5',
      '',
      '4. SQS backlog drain (4 s)',
      '  drained 10 messages',
      '  [PASS] SQS backlog drain: 3.2 s (target < 30 s)',
      '  [FAIL] none lost: no (must hold) - 9 of 10',
      '',
      '5. follow cost (0 s)',
      '  error: the daemon exited 1',
      '  [FAIL] section ran: no (must hold) - the daemon exited 1',
      '',
      '1 of 3 checks passed, 2 failed; 5 s in all',
    ].join('\n'));
  });
});

describe('runBench', () => {
  it('runs the chosen sections and gathers their checks into one report', async () => {
    const { report, text } = await runBench({ ...parseRunArgs(['--quick', '--only', 'sqs', '--work-dir', dir]) });
    expect(report.command).toBe('node dist/bench/run.js --quick --only sqs');
    expect(report.quick).toBe(true);
    expect(report.checks.map((c) => [c.section, c.name, c.pass])).toEqual([
      ['sqs', 'SQS backlog drain', true], ['sqs', 'none lost', true], ['sqs', 'none doubled', true],
    ]);
    expect(report.pass).toBe(true);
    expect(report.sections.sqs?.data).toMatchObject({ n: 500, received: 500, duplicates: 0, parseFailures: 0 });
    expect(Object.keys(report.sections)).toEqual(['sqs']);
    expect(text).toContain('3 of 3 checks passed, 0 failed');
  });

  it('reports a section that cannot run as a failed check and goes on', async () => {
    const { report } = await runBench({ ...parseRunArgs(['--quick', '--only', 'sqs,follow', '--work-dir', dir]), cliPath: join(dir, 'missing-cli.js') });
    expect(report.pass).toBe(false);
    expect(report.sections.follow?.error).toMatch(/^follow bench: the daemon exited 1: /);
    expect(report.checks.filter((c) => !c.pass).map((c) => [c.section, c.name])).toEqual([['follow', 'section ran']]);
    expect(report.sections.sqs?.error).toBeUndefined();
  });
});
