/**
 * End to end in Chromium through web mode: define a canary in the form (with an event-store gate on
 * the demo store's lagging projection), watch the healthy catalog v2 promote step by step; start the
 * faulty payments v2 and see the rollback with the failing check and its values. Screenshots (dark
 * and light) under test-results/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSandboxEventStore } from '../../sandbox/eventstore';
import type { SandboxEventStore } from '../../sandbox/eventstore';
import { LAGGING_PROJECTION } from '../../sandbox/eventstore/schema';
import { launchChromium, screenshot } from '../helpers/browser';
import { startSimWithPrometheus } from '../helpers/prometheus';
import type { SimWithPrometheus } from '../helpers/prometheus';
import { startWebApp } from '../helpers/webapp';
import type { WebAppHandle } from '../helpers/webapp';

let env: SimWithPrometheus;
let web: WebAppHandle;
let browser: Browser;
let store: SandboxEventStore;

beforeAll(async () => {
  env = await startSimWithPrometheus();
  store = await startSandboxEventStore({ ratePerSec: 0, seedEvents: 2000, seedOperations: 50 });
  web = await startWebApp({ kubeconfigPaths: [env.kubeconfig!], env: { HOME: '/nonexistent', KUBECONFIG: env.kubeconfig!, MESHDECK_EVENTSTORE_URL: store.url } });
  const sources = await web.app.router.invoke('kube.sources', {}, { signal: new AbortController().signal, transport: 'web' });
  if (!sources.ok) throw new Error(sources.error.message);
  const admin = (sources.value as { contexts: { id: string; name: string }[] }).contexts.find((c) => c.name === 'sandbox-admin')!;
  const conn = await web.app.router.invoke('kube.connect', { contextId: admin.id }, { signal: new AbortController().signal, transport: 'web' });
  if (!conn.ok) throw new Error(conn.error.message);
  await env.waitFor('sum(rate(istio_requests_total{reporter="destination",destination_workload="payments-v1"}[5s]))', (r) => (r[0]?.value ?? 0) > 0.5, 20_000);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await store?.stop();
  await env?.stop();
});

async function openForm(page: Page, theme: 'dark' | 'light') {
  await page.goto(web.loginUrl.replace('/?token', `/?theme=${theme}&token`));
  await page.goto(`${web.url}/?theme=${theme}#/canary?new=1`);
  await page.getByTestId('canary-form').waitFor();
}

async function fillAndStart(page: Page, object: RegExp, opts: { steps: string; interval: string; threshold: string; window: string }) {
  const picker = page.getByTestId('pick-object');
  await expect.poll(async () => (await picker.locator('option').allInnerTexts()).some((t) => object.test(t)), { timeout: 15_000 }).toBe(true);
  const label = (await picker.locator('option').allInnerTexts()).find((t) => object.test(t))!;
  await picker.selectOption({ label });
  await page.getByTestId('steps').fill(opts.steps);
  await page.getByTestId('interval').fill(opts.interval);
  await page.getByTestId('threshold').fill(opts.threshold);
  await page.getByTestId('window').fill(opts.window);
}

describe('canary from the UI', () => {
  it('starts a canary on the healthy catalog v2 and watches it promote to 100 %', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await openForm(page, 'dark');
    await fillAndStart(page, /shop\/catalog — VirtualService catalog/, { steps: '20, 40, 60', interval: '4', threshold: '3', window: '6' });
    // The form guessed stable/canary and their workloads from the route and the Deployments.
    expect(await page.getByTestId('pick-stable').inputValue()).toBe('v1');
    expect(await page.getByTestId('pick-canary').inputValue()).toBe('v2');
    expect(await page.getByTestId('pick-canary-workload').inputValue()).toBe('catalog-v2');
    // One event-store gate, generous enough to pass: the projection picker lists the demo store's projections.
    await page.getByTestId('add-lag-gate').click();
    await expect.poll(() => page.getByTestId('lag-gate-projection-0').locator('option').allInnerTexts(), { timeout: 15_000 }).toContainEqual(expect.stringContaining(LAGGING_PROJECTION));
    await page.getByTestId('lag-gate-projection-0').selectOption(LAGGING_PROJECTION);
    await page.getByTestId('lag-gate-max-0').fill('10000000');
    await screenshot(page, 'canary-form-dark');
    await page.getByTestId('start-canary').click();
    await page.getByTestId('canary-run').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.getByTestId('run-state').innerText(), { timeout: 15_000 }).toBe('Progressing');
    // Wait for the first check so the timeline and the charts have something to show.
    await page.getByTestId('latest-checks').waitFor({ timeout: 15_000 });
    await page.waitForTimeout(1000);
    await screenshot(page, 'canary-progressing-dark');
    await expect.poll(() => page.getByTestId('run-state').innerText(), { timeout: 45_000 }).toBe('Succeeded');
    expect(await page.getByTestId('canary-weight').innerText()).toBe('100 %');
    const timeline = await page.getByTestId('timeline').innerText();
    expect(timeline).toContain('Step 1 · 20 %');
    expect(timeline).toContain('Step 3 · 60 %');
    expect(timeline).toMatch(/success-rate\s*\n?\s*(99|100)/);
    expect(timeline).toMatch(new RegExp(`projection-lag:${LAGGING_PROJECTION}\\s*\\n?\\s*\\d+ events`));
    await page.waitForTimeout(5500); // the charts refresh every 5 s
    await screenshot(page, 'canary-succeeded-dark');
    const vs = env.kube!.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'catalog') as unknown as { spec: { http: { route: { weight?: number }[] }[] } };
    expect(vs.spec.http[1]?.route.map((r) => r.weight)).toEqual([0, 100]);
    // The same run in the light theme, and in the list.
    await page.goto(`${web.url}/?theme=light#/canary`);
    await page.getByTestId('canary-runs').waitFor();
    expect(await page.getByTestId('canary-runs').innerText()).toContain('catalog');
    await screenshot(page, 'canary-list-light');
    await page.close();
  }, 120_000);

  it('starts the faulty payments v2: it rolls back and the page shows the failing check with its values', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await openForm(page, 'light');
    await fillAndStart(page, /shop\/payments — VirtualService payments/, { steps: '30, 60', interval: '3', threshold: '2', window: '10' });
    expect(await page.getByTestId('pick-canary-workload').inputValue()).toBe('payments-v2');
    await page.getByTestId('start-canary').click();
    await page.getByTestId('canary-run').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.getByTestId('run-state').innerText(), { timeout: 45_000 }).toBe('Rolled back');
    const banner = page.getByTestId('failure-banner');
    await banner.waitFor();
    const text = await banner.innerText();
    expect(text).toMatch(/Rolled back to 100 % v1/);
    // The failing check, its value and its threshold.
    expect(text).toMatch(/latency-p99\s*\n?\s*\d{3,} ms\s*\n?\s*≤ 500 ms|success-rate\s*\n?\s*\d+(\.\d+)? %\s*\n?\s*≥ 99 %/);
    expect(await page.locator('.failure-banner, [data-testid="failure-banner"] .check.fail').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('canary-weight').innerText()).toBe('0 %');
    await page.waitForTimeout(5500);
    await screenshot(page, 'canary-rolledback-light');
    await page.close();
  }, 120_000);
});
