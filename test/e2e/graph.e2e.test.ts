/**
 * The graph in Chromium against web mode, fed by the sandbox cluster, the traffic simulator and a
 * real Prometheus: open it, see the demo services, select a node and see its charts, hide by an
 * expression, export a PNG. Screenshots (dark and light) go to test-results/.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, SCREENSHOT_DIR } from '../helpers/browser';
import { startSimWithPrometheus } from '../helpers/prometheus';
import type { SimWithPrometheus } from '../helpers/prometheus';
import { startWebApp } from '../helpers/webapp';
import type { WebAppHandle } from '../helpers/webapp';

let env: SimWithPrometheus;
let web: WebAppHandle;
let browser: Browser;
let page: Page;
let ctxId: string;

beforeAll(async () => {
  env = await startSimWithPrometheus({ scrapeIntervalMs: 1000 });
  web = await startWebApp({ kubeconfigPaths: [env.kubeconfig!] });
  ctxId = `${env.kubeconfig!}#sandbox-admin`;
  const r = await web.app.router.invoke('kube.connect', { contextId: ctxId }, { signal: new AbortController().signal, transport: 'web' });
  expect(r).toMatchObject({ ok: true, value: { status: 'connected' } });
  // Some history, so the 1-minute window has rates and the charts have points.
  await env.waitFor('count_over_time(istio_requests_total{reporter="destination",destination_workload="frontend-v1"}[2m])', (v) => v.some((s) => s.value >= 20), 60_000);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  await page.goto(web.loginUrl);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await env?.stop();
});

const graphUrl = (theme: 'dark' | 'light', extra = '') =>
  `${new URL(`/?theme=${theme}`, web.url).href}#/graph?contexts=${encodeURIComponent(ctxId)}&namespaces=shop,billing&window=1m&type=workload${extra}`;

async function waitForGraph(p: Page, minNodes = 10) {
  await p.waitForFunction((n) => (window.__meshdeckGraph?.nodes ?? 0) >= n && window.__meshdeckGraph?.layoutMs !== null, minNodes, { timeout: 30_000 });
}
const names = (p: Page) => p.evaluate(() => window.__meshdeckCy!.nodes().filter((n) => !n.isParent()).map((n) => String(n.data('name'))));

describe('service graph (Chromium, web mode, sandbox + Prometheus)', () => {
  it('opens the graph and shows the demo services', async () => {
    await page.goto(graphUrl('dark'));
    await waitForGraph(page);
    const shown = await names(page);
    for (const n of ['frontend', 'catalog', 'checkout', 'payments', 'ledger', 'frontend-v1', 'istio-ingressgateway', 'unknown']) expect(shown).toContain(n);
    await page.getByTestId('graph-status').filter({ hasText: 'nodes' }).waitFor();
    expect(await page.getByTestId('graph-empty').count()).toBe(0);
    const stats = await page.evaluate(() => window.__meshdeckGraph!);
    console.log(`graph: ${stats.nodes} nodes, ${stats.edges} edges, first layout ${stats.layoutMs} ms`);
    await screenshot(page, 'graph-dark');
  });

  it('selects a node and shows its golden-signal charts and tables', async () => {
    const id = 'wl:sandbox-admin:shop:frontend-v1';
    const box = (await page.getByTestId('graph-canvas').boundingBox())!;
    const pos = await page.evaluate((i) => window.__meshdeckCy!.getElementById(i).renderedPosition(), id);
    await page.mouse.click(box.x + pos.x, box.y + pos.y);
    const panel = page.getByTestId('graph-panel');
    await panel.waitFor();
    await panel.getByText('frontend-v1').first().waitFor();
    const chart = panel.getByTestId('chart-Requests/s');
    await chart.locator('polyline').waitFor({ timeout: 20_000 });
    await panel.getByTestId('chart-Latency p50 / p95 / p99').locator('polyline').first().waitFor();
    await panel.getByTestId('table-inbound').waitFor();
    expect(await panel.getByTestId('table-outbound').locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
    await screenshot(page, 'graph-dark-node-panel');
  });

  it('hides by expression and finds by expression', async () => {
    const visible = () => page.evaluate(() => window.__meshdeckCy!.nodes().filter((n) => !n.isParent() && !n.hasClass('hidden')).map((n) => String(n.data('name'))));
    const before = await visible();
    expect(before).toContain('catalog-v1');
    await page.getByTestId('hide').fill('name = catalog*');
    await expect.poll(visible).not.toContain('catalog-v1');
    const after = await visible();
    expect(after).not.toContain('catalog');
    expect(after).toContain('frontend-v1');
    expect(after.length).toBeLessThan(before.length);
    // edges of hidden nodes go too
    const hiddenEdges = await page.evaluate(() => window.__meshdeckCy!.edges().filter((e) => e.target().data('name') === 'catalog').toArray().every((e) => e.hasClass('hidden')));
    expect(hiddenEdges).toBe(true);
    await page.getByTestId('find').fill('rps > 1 and !unknown');
    await expect.poll(() => page.evaluate(() => window.__meshdeckCy!.elements('.find').length)).toBeGreaterThan(0);
    await page.getByTestId('hide').fill('name = ');
    await page.locator('.field-error').first().waitFor();
    await page.getByTestId('hide').fill('');
    await expect.poll(visible).toContain('catalog-v1');
  });

  it('exports a PNG', async () => {
    await page.getByTestId('export').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
    expect(download.suggestedFilename()).toMatch(/^meshdeck-graph-.*\.png$/);
    const path = join(SCREENSHOT_DIR, 'graph-export.png');
    await download.saveAs(path);
    const bytes = await readFile(path);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.length).toBeGreaterThan(20_000);
  });

  it('exports SVG and JSON', async () => {
    await page.getByTestId('export').click();
    const [svg] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-svg').click()]);
    const svgText = await readFile((await svg.path())!, 'utf8');
    expect(svgText.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svgText).toContain('>frontend-v1<');
    await page.getByTestId('export').click();
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    const data = JSON.parse(await readFile((await json.path())!, 'utf8')) as { graph: { nodes: { id: string }[] }; positions: Record<string, { x: number }> };
    expect(data.graph.nodes.length).toBeGreaterThan(10);
    expect(Object.keys(data.positions)).toContain('wl:sandbox-admin:shop:frontend-v1');
  });

  it('refreshes in place without moving nodes', async () => {
    const pos = () => page.evaluate(() => window.__meshdeckCy!.getElementById('wl:sandbox-admin:shop:frontend-v1').position());
    const p0 = await pos();
    const r0 = await page.evaluate(() => window.__meshdeckGraph!.refreshes);
    await page.getByTestId('refresh').click();
    await page.waitForFunction((r) => window.__meshdeckGraph!.refreshes > r, r0, { timeout: 20_000 });
    expect(await pos()).toEqual(p0);
  });

  it('renders the light theme', async () => {
    const light = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await light.goto(web.loginUrl);
    await light.goto(graphUrl('light', '&layout=dagre'));
    await waitForGraph(light);
    await screenshot(light, 'graph-light');
    const box = (await light.getByTestId('graph-canvas').boundingBox())!;
    const pos = await light.evaluate(() => {
      const e = window.__meshdeckCy!.edges().filter((x) => x.source().data('name') === 'cart-v1')[0]!;
      return e.renderedMidpoint();
    });
    await light.mouse.click(box.x + pos.x, box.y + pos.y);
    await light.getByTestId('graph-panel').waitFor();
    await light.getByTestId('chart-Requests/s').locator('polyline').waitFor({ timeout: 20_000 });
    await screenshot(light, 'graph-light-edge-panel');
    await light.close();
  });
});
