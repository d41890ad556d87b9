/**
 * Live tail, commit to screen: the time from a writer's COMMIT to the row being in the DOM of the
 * Events view, through the whole app (LISTEN in main -> safe-position read -> WebSocket -> React ->
 * virtualised list), in Debian's Chromium. Both clocks are this machine's wall clock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { createMainApp } from '../main/app';
import { startWebServer } from '../main/server/web-server';
import { startSandboxEventStore, NOTIFY_CHANNEL } from '../sandbox/eventstore';

declare global {
  interface Window { __seen?: Record<string, number> }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

export async function runTailScreenBench(opts: { events?: number; perSecond?: number } = {}): Promise<string> {
  const n = opts.events ?? 200;
  const gapMs = 1000 / (opts.perSecond ?? 10);
  const store = await startSandboxEventStore({ ratePerSec: 0, seedEvents: 5_000, seedOperations: 50 });
  const dataDir = await mkdtemp(join(tmpdir(), 'meshdeck-bench-tail-'));
  const app = await createMainApp({ version: 'bench', dataDir, env: { HOME: dataDir, KUBECONFIG: join(dataDir, 'none') }, sandbox: { kubeconfig: '', eventStoreUrl: store.url } });
  const server = await startWebServer({ router: app.router, staticDir: resolve('out/renderer') });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const writer = new pg.Client({ connectionString: store.url });
  try {
    await writer.connect();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${server.loginUrl}#/events`);
    await page.locator('[data-testid="event-list"] .ev-row').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Newest' }).click();
    await page.locator('[data-testid="live"]').click();
    await page.waitForFunction(() => /listening/.test(document.querySelector('[data-testid="tail-status"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
    // Record when each row first appears in the DOM.
    // A string, not a function: the bundler's name helpers must not leak into the page.
    await page.evaluate(`(() => {
      window.__seen = {};
      const note = (el) => {
        const p = el.getAttribute('data-position');
        if (p && !(p in window.__seen)) window.__seen[p] = Date.now();
      };
      document.querySelectorAll('.ev-row[data-position]').forEach(note);
      new MutationObserver((muts) => {
        for (const m of muts) for (const node of m.addedNodes) {
          if (!(node instanceof Element)) continue;
          if (node.matches('.ev-row[data-position]')) note(node);
          node.querySelectorAll('.ev-row[data-position]').forEach(note);
        }
      }).observe(document.querySelector('[data-testid="event-list"]'), { childList: true, subtree: true });
    })()`);
    const commits = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      await writer.query('BEGIN');
      const r = await writer.query<{ p: string }>(
        `INSERT INTO events (stream_id, stream_type, version, event_type, payload, metadata)
         VALUES ($1, 'TailProbe', 1, 'TailProbe', $2, '{}'::jsonb) RETURNING global_position::text AS p`,
        [`tailprobe-${Date.now()}-${i}`, JSON.stringify({ probe: i })],
      );
      await writer.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, 'TailProbe']);
      await writer.query('COMMIT');
      commits.set(r.rows[0]!.p, Date.now());
      await new Promise((res) => setTimeout(res, gapMs));
    }
    await page.waitForTimeout(1500);
    const seen = await page.evaluate(() => window.__seen ?? {});
    const lat: number[] = [];
    let missing = 0;
    for (const [pos, t] of commits) {
      const s = seen[pos];
      if (s === undefined) missing++;
      else lat.push(s - t);
    }
    const p95 = pct(lat, 95);
    return [
      '## Live tail, commit to screen',
      '',
      `${n} single-event commits at ${opts.perSecond ?? 10}/s by a separate writer (with the store's NOTIFY), the Events view live in Chromium through web mode.`,
      '',
      '| delivered | median | p95 | max | target | result |',
      '|---|---|---|---|---|---|',
      `| ${lat.length}/${n} (${missing} missing) | ${pct(lat, 50)} ms | ${p95} ms | ${Math.max(...lat)} ms | p95 ≤ 250 ms, none missing | ${p95 <= 250 && missing === 0 ? 'pass' : 'FAIL'} |`,
      '',
    ].join('\n');
  } finally {
    await writer.end().catch(() => undefined);
    await browser.close();
    await server.close();
    await app.close();
    await store.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runTailScreenBench().then((md) => console.log(md), (e: unknown) => { console.error(e); process.exitCode = 1; });
}
