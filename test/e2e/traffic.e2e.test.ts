/**
 * The closed loop, in Chromium against web mode: the simulator obeys the sandbox cluster's routing
 * live and Prometheus scrapes it. Change checkout's weights in the Traffic view and watch the split
 * move in Prometheus-backed rates; inject a 50 % abort on payments (a Helm-owned object: confirm
 * first) and watch the checkout → payments error rate rise. Screenshots go to test-results/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot } from '../helpers/browser';
import { shares, startSimWithPrometheus } from '../helpers/prometheus';
import type { SimWithPrometheus } from '../helpers/prometheus';
import { startWebApp } from '../helpers/webapp';
import type { WebAppHandle } from '../helpers/webapp';

let env: SimWithPrometheus;
let web: WebAppHandle;
let browser: Browser;
let page: Page;
let ctxId: string;

const SPLIT = 'sum by (destination_version) (rate(istio_requests_total{reporter="destination",destination_service_name="checkout"}[4s]))';
const ABORTS =
  'sum(rate(istio_requests_total{reporter="source",source_workload=~"checkout-.*",destination_service_name="payments",response_code=~"5.."}[4s])) / sum(rate(istio_requests_total{reporter="source",source_workload=~"checkout-.*",destination_service_name="payments"}[4s]))';

beforeAll(async () => {
  env = await startSimWithPrometheus({ sim: { rateScale: 5, seed: 7 }, scrapeIntervalMs: 1000 });
  web = await startWebApp({ kubeconfigPaths: [env.kubeconfig!] });
  ctxId = `${env.kubeconfig!}#sandbox-admin`;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
  await page.goto(web.loginUrl);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await env?.stop();
});

async function openService(service: string) {
  await page.goto(`${web.url}/#/traffic?context=${encodeURIComponent(ctxId)}&namespace=shop&service=${service}`);
  // The first visit finds the context not connected yet: the view offers to connect it.
  const first = page.locator('[data-testid="traffic-connect"], [data-testid="traffic-service-title"]').first();
  await first.waitFor({ timeout: 20_000 });
  if ((await first.getAttribute('data-testid')) === 'traffic-connect') await first.click();
  await page.getByTestId('traffic-service-title').filter({ hasText: service }).waitFor({ timeout: 20_000 });
}

describe('traffic control, closed loop (Chromium, web mode, Prometheus)', () => {
  it('weights changed in the UI move the split seen in Prometheus', async () => {
    // Before: the seeded 90/10 canary.
    const before = shares(await env.waitFor(SPLIT, (r) => r.length >= 2 && r.reduce((a, x) => a + x.value, 0) > 1, 20_000), 'destination_version');
    expect(before.v2).toBeLessThan(0.2);

    await openService('checkout');
    await page.getByTestId('tab-weights').click();
    const v1 = page.getByTestId('weight-input-v1');
    await v1.fill('40');
    await v1.press('Enter');
    await expect.poll(() => page.getByTestId('weight-input-v2').inputValue()).toBe('60');
    await page.getByTestId('plan-button').first().click();
    const diff = page.getByTestId('yaml-diff').first();
    await diff.waitFor();
    await expect.poll(() => diff.textContent()).toContain('weight: 60');
    await screenshot(page, 'traffic-weights-review');
    await page.getByTestId('apply-button').click();
    const result = page.getByTestId('apply-result');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.getAttribute('data-outcome')).toBe('landed');
    await screenshot(page, 'traffic-weights-landed');

    const t0 = Date.now();
    const after = await env.waitFor(SPLIT, (r) => {
      const s = shares(r, 'destination_version');
      return (s.v2 ?? 0) > 0.5 && (s.v2 ?? 0) < 0.7;
    }, 30_000);
    console.log(`split moved to v2=${(shares(after, 'destination_version').v2! * 100).toFixed(1)}% within ${Date.now() - t0} ms`);
    // And it stays there once the rate window holds only the new routing.
    await new Promise((r) => setTimeout(r, 8000));
    const s = shares(await env.query(SPLIT.replace('[4s]', '[7s]')), 'destination_version');
    console.log(`steady split v1=${(s.v1! * 100).toFixed(1)}% v2=${(s.v2! * 100).toFixed(1)}%`);
    expect(s.v2).toBeGreaterThan(0.5);
    expect(s.v2).toBeLessThan(0.7);
    expect(s.v1! + s.v2!).toBeGreaterThan(0.99);
  }, 120_000);

  it('a 50 % abort injected in the UI raises the error rate of the checkout → payments edge', async () => {
    const base = await env.query(ABORTS);
    expect(base[0]?.value ?? 0).toBeLessThan(0.1);

    await openService('payments');
    await page.getByTestId('owner-banner').waitFor();
    await page.getByTestId('tab-fault').click();
    const enabled = page.getByTestId('fault-abort-enabled');
    if (!(await enabled.isChecked())) await enabled.check();
    // Bad input first: refused by field, nothing to apply.
    await page.getByTestId('fault-abort-status').fill('700');
    await page.getByTestId('issue-fault.abort.httpStatus').waitFor();
    expect(await page.getByTestId('plan-button').first().isDisabled()).toBe(true);
    await screenshot(page, 'traffic-fault-invalid');
    await page.getByTestId('fault-abort-status').fill('503');
    await page.getByTestId('fault-abort-percent').fill('50');
    await page.getByTestId('plan-button').first().click();
    await page.getByTestId('yaml-diff').first().waitFor();
    // Helm owns payments: apply stays disabled until the user confirms.
    expect(await page.getByTestId('apply-button').isDisabled()).toBe(true);
    await page.getByTestId('confirm-ownership').check();
    await screenshot(page, 'traffic-fault-review');
    await page.getByTestId('apply-button').click();
    await page.getByTestId('apply-result').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('apply-result').getAttribute('data-outcome')).toBe('landed');

    const t0 = Date.now();
    const r = await env.waitFor(ABORTS, (x) => (x[0]?.value ?? 0) > 0.35, 30_000);
    console.log(`checkout → payments error rate ${(r[0]!.value * 100).toFixed(1)}% within ${Date.now() - t0} ms`);
    await new Promise((res) => setTimeout(res, 8000));
    const steady = (await env.query(ABORTS.replaceAll('[4s]', '[7s]')))[0]?.value ?? 0;
    console.log(`steady checkout → payments error rate ${(steady * 100).toFixed(1)}%`);
    expect(steady).toBeGreaterThan(0.35);
    expect(steady).toBeLessThan(0.65);
    await screenshot(page, 'traffic-fault-landed');

    // Undo from the result: the abort goes back to 0 % and the errors stop.
    await page.getByTestId('undo-button').click();
    await page.getByTestId('yaml-diff').first().waitFor();
    await page.getByTestId('confirm-ownership').check();
    await page.getByTestId('apply-button').click();
    await expect.poll(async () => page.getByTestId('apply-result').getAttribute('data-outcome'), { timeout: 20_000 }).toBe('landed');
    await env.waitFor(ABORTS, (x) => (x[0]?.value ?? 0) < 0.1, 30_000);
  }, 120_000);

  it('the audit log lists every change with its result, in both themes', async () => {
    await page.goto(`${web.url}/#/traffic?context=${encodeURIComponent(ctxId)}&namespace=shop&tab=audit`);
    await page.getByTestId('audit-log').waitFor();
    await expect.poll(() => page.getByTestId('audit-row').count()).toBeGreaterThanOrEqual(3);
    const theme = async () => (await page.evaluate(() => document.documentElement.dataset.theme)) ?? 'default';
    await screenshot(page, `traffic-audit-${await theme()}`);
    await page.getByRole('button', { name: 'Toggle theme' }).click();
    await openService('catalog');
    await page.getByTestId('tab-ab').click();
    await page.getByTestId('ab-value').fill('always');
    await page.getByTestId('plan-button').first().click();
    await page.getByTestId('yaml-diff').first().waitFor();
    await screenshot(page, `traffic-ab-review-${await theme()}`);
    await page.getByRole('button', { name: 'Toggle theme' }).click();
  }, 60_000);
});
