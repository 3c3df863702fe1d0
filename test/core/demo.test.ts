// The README's first command must keep working: `npm run demo` (the built demo) shows the field
// report's bounce annotated with its origin, and the bounces row.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('demo', () => {
  it('shows the enriched bounce naming local uid 1000 and queue 084A213D8DD, and its bounces row', () => {
    const r = spawnSync(process.execPath, [join(root, 'dist/demo/demo.js')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const eventLine = r.stdout.split('\n').find((l) => l.startsWith('{"level":40') && l.includes('"event":"bounce"'));
    expect(JSON.parse(eventLine!)).toMatchObject({
      event: 'bounce',
      recipient: 'bounce@simulator.amazonses.com',
      queueId: '084A213D8DD',
      uid: 1000,
      clientIp: null,
      matchedBy: 'ses-id',
      msg: 'bounce (Permanent/General) bounce@simulator.amazonses.com queue 084A213D8DD from local uid 1000 (pickup)',
    });
    expect(r.stdout).toMatch(/2025-11-03T13:17:26\.000Z\s+bounce\s+bounce@simulator\.amazonses\.com\s+084A213D8DD\s+1000\s+test@www\.non-97\.net\s+ses-id/);
    expect(r.stdout).toContain('stopped the daemon (SIGTERM, exit 0)');
  });
});
