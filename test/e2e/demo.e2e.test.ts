/**
 * The newcomer's path: `npm run demo`'s program starts the sandbox and meshdeck, the UI shows both
 * sandbox contexts, connecting finds namespaces and Istio; Ctrl-C leaves no process or temp dir behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, screenshot } from '../helpers/browser';

let demo: ChildProcessWithoutNullStreams;
let browser: Browser;
const lines: Record<string, string> = {};
let output = '';

function descendants(pid: number): number[] {
  let out: number[] = [];
  try {
    const kids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).toString().split('\n').map((s) => Number(s.trim())).filter(Boolean);
    for (const k of kids) out = out.concat(k, descendants(k));
  } catch { /* no children */ }
  return out;
}
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

beforeAll(async () => {
  demo = spawn(process.execPath, ['--import', 'tsx', 'sandbox/demo.ts', '--web', '--rate', '5', '--seed-events', '2000'], { env: { ...process.env, DISPLAY: '' } });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not print its UI line in 90 s:\n${output}`)), 90_000);
    const onData = (b: Buffer) => {
      output += b.toString();
      for (const m of output.matchAll(/^(sandbox kubeconfig|sandbox prometheus|sandbox event store|meshdeck UI): (\S+)$/gm)) lines[m[1]!] = m[2]!;
      if (lines['meshdeck UI']) { clearTimeout(timer); resolve(); }
    };
    demo.stdout.on('data', onData);
    demo.stderr.on('data', onData);
    demo.on('exit', (code) => reject(new Error(`demo exited ${code}:\n${output}`)));
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
});

describe('npm run demo', () => {
  it('prints the four lines a user needs, each on its own line', () => {
    expect(lines['sandbox kubeconfig']).toMatch(/kubeconfig$/);
    expect(lines['sandbox prometheus']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines['sandbox event store']).toMatch(/^postgres:\/\/.+@127\.0\.0\.1:\d+\//);
    expect(lines['meshdeck UI']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  });

  it('kubectl works against the sandbox kubeconfig', () => {
    const out = execFileSync('kubectl', ['--kubeconfig', lines['sandbox kubeconfig']!, 'get', 'virtualservices', '-n', 'shop', '-o', 'name']).toString();
    expect(out).toContain('virtualservice.networking.istio.io/');
  });

  it('shows both sandbox contexts, connects, and finds namespaces and Istio', async () => {
    for (const theme of ['dark', 'light'] as const) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(lines['meshdeck UI']!.replace('/?token', `/?theme=${theme}&token`));
      await page.getByTestId('connect-view').waitFor();
      const rows = page.getByTestId('context-row');
      await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
      const names = await rows.allInnerTexts();
      expect(names.join('\n')).toContain('sandbox-admin');
      expect(names.join('\n')).toContain('sandbox-viewer');
      const admin = rows.filter({ hasText: 'sandbox-admin' });
      // The second page finds the connection the first one made (connections live in main).
      if (theme === 'dark') await admin.getByTestId('connect-button').click();
      const card = page.locator('[data-testid="connection-card"][data-status="connected"]');
      await card.first().waitFor({ timeout: 20_000 });
      await expect.poll(() => page.getByTestId('chip-istio').count()).toBeGreaterThan(0);
      expect(Number(await card.first().getByTestId('namespace-count').innerText())).toBeGreaterThanOrEqual(4);
      expect(await card.first().innerText()).toContain('shop');
      await screenshot(page, `demo-connect-${theme}`);
      await page.close();
    }
  }, 90_000);

  it('Ctrl-C stops every child process and removes its temp dir', async () => {
    const kids = descendants(demo.pid!);
    expect(kids.length).toBeGreaterThan(0); // Prometheus and Postgres at least
    const tempDir = dirname(lines['sandbox kubeconfig']!);
    expect(existsSync(tempDir)).toBe(true);
    const exited = new Promise<number | null>((r) => demo.once('exit', (code) => r(code)));
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect.poll(() => kids.filter(alive).length, { timeout: 10_000 }).toBe(0);
    expect(existsSync(tempDir)).toBe(false);
  }, 30_000);
});
