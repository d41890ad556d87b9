/**
 * `npm start` on a machine where no Electron window can open (no display, or no binary): it must
 * fall back to web mode, print the URL, and serve the API behind the token — not fail.
 * Runs the built app (out/), as `npm start` does after `npm run build`.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('npm start fallback', () => {
  it('starts web mode, prints the URL and answers with the token', async () => {
    const home = mkdtempSync(join(tmpdir(), 'meshdeck-start-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, MESHDECK_HOME: join(home, 'data'), KUBECONFIG: join(home, 'none') };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const child = spawn(process.execPath, ['scripts/start.mjs'], { env });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no URL in 30 s:\n${out}`)), 30_000);
        const on = (b: Buffer) => {
          out += b.toString();
          const m = /^meshdeck UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(out);
          if (m) { clearTimeout(t); resolve(m[1]!); }
        };
        child.stdout.on('data', on);
        child.stderr.on('data', on);
        child.on('exit', (c) => reject(new Error(`exited ${c}:\n${out}`)));
      });
      expect(out).toMatch(/starting web mode instead/);
      const u = new URL(url);
      const token = u.searchParams.get('token')!;
      const res = await fetch(new URL('/api/invoke/app.info', u), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { value: { transport: string } }).value.transport).toBe('web');
      const denied = await fetch(new URL('/api/invoke/app.info', u), { method: 'POST', body: '{}' });
      expect(denied.status).toBe(401);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(home, { recursive: true, force: true });
    }
  });
});
