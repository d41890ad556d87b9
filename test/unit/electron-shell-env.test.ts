import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvZero, withLoginShellEnv } from '../../main/electron/shell-env';

describe('login shell environment', () => {
  it('parses env -0 output after the marker, ignoring a banner', () => {
    expect(parseEnvZero('Welcome!\n__MESHDECK_ENV__\0PATH=/a:/b\0X=1=2\0')).toEqual({ PATH: '/a:/b', X: '1=2' });
    expect(parseEnvZero('no marker')).toEqual({});
  });

  it("takes PATH from a real login shell's profile", async () => {
    const home = mkdtempSync(join(tmpdir(), 'meshdeck-shell-'));
    try {
      writeFileSync(join(home, '.bash_profile'), 'export PATH="/opt/cloud-sdk/bin:$PATH"\nexport ONLY_IN_SHELL=yes\necho "hello from profile"\n');
      const env = await withLoginShellEnv({ HOME: home, PATH: '/usr/bin:/bin', SHELL: '/bin/bash', KEEP: 'mine' }, { platform: 'linux' });
      expect(env.PATH?.split(':')[0]).toBe('/opt/cloud-sdk/bin');
      expect(env.ONLY_IN_SHELL).toBe('yes');
      expect(env.KEEP).toBe('mine');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('falls back to the given environment when the shell fails or hangs', async () => {
    const base = { PATH: '/usr/bin', SHELL: '/nonexistent/shell' };
    expect(await withLoginShellEnv(base, { platform: 'linux' })).toBe(base);
    const home = mkdtempSync(join(tmpdir(), 'meshdeck-shell-'));
    try {
      writeFileSync(join(home, '.bash_profile'), 'sleep 30\n');
      const started = Date.now();
      const hung = { HOME: home, PATH: '/usr/bin:/bin', SHELL: '/bin/bash' };
      expect(await withLoginShellEnv(hung, { platform: 'linux', timeoutMs: 500 })).toBe(hung);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
