import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSandboxEventStore } from '../../sandbox/eventstore';
import type { SandboxEventStore } from '../../sandbox/eventstore';
import { READ_MODEL_PROJECTION, startOrdersReadModel } from '../../sandbox/eventstore/read-model';
import type { OrdersReadModel } from '../../sandbox/eventstore/read-model';
import { launchChromium, screenshot } from '../helpers/browser';
import { runSql } from '../helpers/postgres';
import { startWebApp } from '../helpers/webapp';
import type { WebAppHandle } from '../helpers/webapp';

/**
 * End to end in Chromium against web mode and the demo store (plus its orders read model, a real
 * projection that catches up at a bounded rate): the projections page shows the laggard with its
 * ETA and trend, the consistency check lists the read model's mismatches with the sample size, and
 * a stuck saga's timeline opens. Needs the built UI (npm run build).
 * Screenshots: test-results/projections-*.png, test-results/sagas-*.png
 */
let store: SandboxEventStore;
let readModel: OrdersReadModel;
let app: WebAppHandle;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  store = await startSandboxEventStore({ ratePerSec: 0, seedEvents: 20_000, seedOperations: 800 });
  // Stuck sagas are ones the domain marked and never advances; make them an hour old so the default threshold (5 min) sees them.
  await runSql(store.url, `UPDATE saga_state SET updated_at = now() - interval '1 hour', started_at = now() - interval '2 hours' WHERE (state->>'stuck')::boolean`);
  readModel = await startOrdersReadModel(store.url, { eventsPerSec: 500, batch: 100, bugEvery: 3 });
  app = await startWebApp({ env: { HOME: '/nonexistent', KUBECONFIG: '/nonexistent/kubeconfig', MESHDECK_EVENTSTORE_URL: store.url } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${app.loginUrl}#/projections`);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await readModel?.stop();
  await store?.stop();
});

describe('projections view', () => {
  it('shows every projection, highlights the laggard and gives its ETA', async () => {
    await page.locator('[data-testid="pj-table"]').waitFor();
    const laggardRow = page.locator(`tr.pj-laggard[data-name="${READ_MODEL_PROJECTION}"]`);
    await laggardRow.waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="pj-table"] tbody tr').count()).toBe(4);
    expect(await laggardRow.locator('.chip').first().textContent()).toBe('laggard');
    // The rate needs two samples (the watch pushes every 2 s): then the ETA is a duration.
    await expect.poll(async () => laggardRow.locator('[data-testid="eta"]').textContent(), { timeout: 15_000 }).toMatch(/^≈ \d+ (s|min)/);
    expect(await laggardRow.textContent()).toMatch(/lagging/);
    await expect.poll(async () => page.locator('[data-testid="pj-detail"] h2').textContent()).toBe(READ_MODEL_PROJECTION);
    await page.locator('[data-testid="trend-chart"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="pj-positions"]').textContent()).toMatch(/head\s*\d+.*safe\s*\d+/);
    await screenshot(page, 'projections-1-laggard');
  });

  it('lists stuck idempotency keys and runs a consistency check that shows its sample size', async () => {
    await expect.poll(async () => page.locator('[data-testid="idempotency"]').textContent()).toMatch(/PROCESSING/);
    const panel = page.locator('[data-testid="consistency"]');
    await panel.getByLabel('Check').selectOption({ label: 'orders_read_model vs its streams' });
    await panel.getByLabel('Sample size').fill('500');
    await panel.getByRole('button', { name: 'Run check' }).click();
    const result = panel.locator('[data-testid="consistency-result"]');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.locator('[data-testid="sample-size"]').textContent()).toMatch(/compared \d+ of [\d,]+ rows \((random rows|every row)\)/);
    await page.locator('[data-testid="consistency"]').scrollIntoViewIfNeeded();
    await screenshot(page, 'projections-2-panels');
  });

  it('links the store to a mesh service (the graph badges it)', async () => {
    const owners = page.locator('[data-testid="owners"]');
    await owners.getByLabel('Namespace').fill('shop');
    await owners.getByLabel('Service').fill('orders');
    await owners.getByRole('button', { name: 'Link' }).click();
    await expect.poll(async () => owners.locator('.chip').allTextContents()).toEqual(['shop/orders×']);
  });

  it('follows the laggard as it catches up (status and lag update live)', async () => {
    const row = page.locator(`[data-testid="pj-table"] tr[data-name="${READ_MODEL_PROJECTION}"]`);
    const lag = async () => Number((await row.locator('td').nth(5).textContent())!.replace(/,/g, ''));
    const first = await lag();
    await expect.poll(lag, { timeout: 15_000 }).toBeLessThan(first);
  });
});

describe('sagas view', () => {
  it('filters stuck sagas and opens one\'s timeline with the pending step marked', async () => {
    await page.goto(`${app.loginUrl}#/sagas?filter=stuck`);
    const list = page.locator('[data-testid="saga-list"]');
    await list.locator('.sg-row').first().waitFor({ timeout: 15_000 });
    const marked = await runSql(store.url, `SELECT saga_id FROM saga_state WHERE (state->>'stuck')::boolean AND status IN ('RUNNING', 'COMPENSATING')`);
    expect(marked.rows.length).toBeGreaterThan(0);
    const shown = await list.locator('.sg-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-saga')));
    for (const r of marked.rows as { saga_id: string }[]) expect(shown).toContain(r.saga_id);
    expect(await list.locator('.sg-row[data-stuck="false"]').count()).toBe(0);
    await list.locator('.sg-row').first().click();
    const tl = page.locator('[data-testid="saga-timeline"]');
    await tl.locator('[data-testid="timeline"]').waitFor();
    expect(await tl.locator('.sg-t').first().getAttribute('data-kind')).toBe('start');
    expect(await tl.locator('.sg-t').last().getAttribute('data-kind')).toBe('pending');
    expect(await tl.locator('.sg-t').last().textContent()).toMatch(/stuck/);
    await screenshot(page, 'sagas-1-stuck-timeline');
  });

  it('shows a failed saga\'s compensations, in both themes', async () => {
    await page.getByRole('tab', { name: /Failed/ }).click();
    await page.locator('[data-testid="saga-list"] .sg-row').first().click();
    const tl = page.locator('[data-testid="saga-timeline"]');
    await expect.poll(async () => tl.locator('.sg-t[data-kind="compensation"]').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await tl.locator('.sg-t[data-kind="failure"]').count()).toBeGreaterThan(0);
    await screenshot(page, 'sagas-2-compensation');
    await page.getByRole('button', { name: 'Toggle theme' }).click();
    await page.waitForTimeout(200);
    await screenshot(page, 'sagas-3-light');
    await page.goto(`${app.loginUrl}#/projections`);
    await page.locator('[data-testid="pj-table"]').waitFor();
    await page.waitForTimeout(2500);
    await screenshot(page, 'projections-3-light');
    await page.getByRole('button', { name: 'Toggle theme' }).click();
  });
});
