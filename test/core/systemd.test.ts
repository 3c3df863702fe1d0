// The shipped unit must pass systemd's own checker. verify needs ExecStart's binary to exist, so the
// check runs on a copy that starts this checkout's build instead of the installed /usr/bin/bounce-origin.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const unit = readFileSync(join(root, 'systemd/bounce-origin.service'), 'utf8');

describe('systemd unit', () => {
  it('passes systemd-analyze verify', () => {
    const which = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
    if (which.status !== 0) throw new Error('systemd-analyze is missing: apt-get install systemd');
    const copy = join(mkdtempSync(join(tmpdir(), 'bo-unit-')), 'bounce-origin.service');
    writeFileSync(copy, unit.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath} ${join(root, 'dist/cli.js')}`));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs `bounce-origin run` as an unprivileged user with its state directory, restarting on failure', () => {
    const settings = Object.fromEntries(
      unit
        .split('\n')
        .filter((l) => /^[A-Za-z]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(settings).toMatchObject({
      ExecStart: '/usr/bin/bounce-origin run --config /etc/bounce-origin/config.json',
      Restart: 'on-failure',
      User: 'bounce-origin',
      SupplementaryGroups: 'adm systemd-journal',
      StateDirectory: 'bounce-origin',
      ProtectSystem: 'strict',
      NoNewPrivileges: 'yes',
      PrivateTmp: 'yes',
    });
  });
});
