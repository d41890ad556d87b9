/**
 * The graph's links to the other capabilities, in Chromium against web mode (sandbox cluster,
 * traffic simulator, real Prometheus, the demo event store): a service node opens its routing
 * editor; a running canary marks its service; a service that owns the event store shows its
 * projections' lag; a deep link preselects context and namespace; the shell's find and refresh
 * commands reach the graph. Screenshots (dark and light) under test-results/graph-overlays-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSandboxEventStore } from '../../sandbox/eventstore';
import type { SandboxEventStore } from '../../sandbox/eventstore';
import { LAGGING_PROJECTION } from '../../sandbox/eventstore/schema';
import { canarySpecSchema } from '../../shared/canary/spec';
import type { CanaryRun } from '../../shared/canary/types';
import { launchChromium, screenshot } from '../helpers/browser';
import { startSimWithPrometheus } from '../helpers/prometheus';
import type { SimWithPrometheus } from '../helpers/prometheus';
import { startWebApp } from '../helpers/webapp';
import type { WebAppHandle } from '../helpers/webapp';

let env: SimWithPrometheus;
let store: SandboxEventStore;
let web: WebAppHandle;
let browser: Browser;
let page: Page;
let ctxId: string;
let runId: string | null = null;

const CATALOG = 'svc:sandbox-admin:shop:catalog';
const ORDERS = 'svc:sandbox-admin:shop:orders';

async function call<T>(channel: string, input: unknown): Promise<T> {
  const r = await web.app.router.invoke(channel, input, { signal: new AbortController().signal, transport: 'web' });
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

beforeAll(async () => {
  env = await startSimWithPrometheus({ scrapeIntervalMs: 1000 });
  store = await startSandboxEventStore({ ratePerSec: 0, seedEvents: 2000, seedOperations: 50 });
  web = await startWebApp({ kubeconfigPaths: [env.kubeconfig!], env: { HOME: '/nonexistent', KUBECONFIG: env.kubeconfig!, MESHDECK_EVENTSTORE_URL: store.url } });
  ctxId = `${env.kubeconfig!}#sandbox-admin`;
  await call('kube.connect', { contextId: ctxId });
  // Some history, so the 1-minute window has the demo services.
  await env.waitFor('count_over_time(istio_requests_total{reporter="destination",destination_workload="frontend-v1"}[2m])', (v) => v.some((s) => s.value >= 20), 90_000);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(web.loginUrl);
}, 240_000);

afterAll(async () => {
  if (runId) await call('canary.abort', { id: runId }).catch(() => undefined);
  await browser?.close();
  await web?.close();
  await store?.stop();
  await env?.stop();
});

const graphUrl = (theme: 'dark' | 'light', query: string) => `${new URL(`/?theme=${theme}`, web.url).href}#/graph?${query}`;
const shopUrl = (theme: 'dark' | 'light') => graphUrl(theme, `contexts=${encodeURIComponent(ctxId)}&namespaces=shop,billing&window=1m&type=workload&layout=dagre`);

async function waitForGraph(p: Page, minNodes = 10) {
  await p.waitForFunction((n) => (window.__meshdeckGraph?.nodes ?? 0) >= n && window.__meshdeckGraph?.layoutMs !== null, minNodes, { timeout: 60_000 });
}
const nodeData = (p: Page, id: string, key: string) => p.evaluate(([i, k]) => {
  const n = window.__meshdeckCy?.getElementById(i);
  return n && n.length ? (n.data(k) as unknown) : undefined;
}, [id, key] as const);
const label = async (p: Page, id: string) => String((await nodeData(p, id, 'label')) ?? '');

/** Zooms onto the marked nodes and their neighbours, so the screenshot shows the marks at a readable size. */
async function zoomToMarks(p: Page) {
  await p.evaluate(() => {
    const cy = window.__meshdeckCy!;
    const marked = cy.nodes('[?canary], [?lag]');
    if (marked.length) cy.fit(marked.closedNeighborhood().nodes().filter((n) => !n.isParent()), 40);
  });
  await p.waitForTimeout(500);
}

async function clickNode(p: Page, id: string, button: 'left' | 'right' = 'left') {
  await p.waitForFunction((i) => (window.__meshdeckCy?.getElementById(i).length ?? 0) > 0, id, { timeout: 30_000 });
  const box = (await p.getByTestId('graph-canvas').boundingBox())!;
  const pos = await p.evaluate((i) => window.__meshdeckCy!.getElementById(i).renderedPosition(), id);
  await p.mouse.click(box.x + pos.x, box.y + pos.y, { button });
}

describe('graph overlays and links (Chromium, web mode, sandbox + Prometheus + event store)', () => {
  it('shows routing badges on VirtualService-steered services', async () => {
    await page.goto(shopUrl('dark'));
    await waitForGraph(page);
    // catalog: A/B match rule, weighted v1/v2 route, timeout.
    await expect.poll(() => label(page, CATALOG), { timeout: 20_000 }).toBe('catalog\nRR · TS · RT');
    expect(await label(page, 'svc:sandbox-admin:shop:payments')).toMatch(/^payments\n.*FI/);
  });

  it('shows routing badges on HTTPRoute- (search) and TrafficSplit-steered (invoices) services', async () => {
    // The mesh reports the backends (search-v1/-v2, invoices-v1/-v2) as destination services;
    // the routing index badges them as well as the parent/apex service.
    await page.goto(shopUrl('dark'));
    await waitForGraph(page);
    await expect.poll(() => label(page, 'svc:sandbox-admin:shop:search-v2'), { timeout: 20_000 }).toMatch(/^search-v2\n.*TS/);
    expect(await label(page, 'svc:sandbox-admin:billing:invoices-v2')).toMatch(/^invoices-v2\n.*TS/);
  });

  it('a service node opens its routing editor, from the side panel and from its context menu', async () => {
    await clickNode(page, CATALOG, 'right');
    const menu = page.getByTestId('node-menu');
    await menu.waitFor();
    const href = (await menu.getByTestId('menu-edit-routing').getAttribute('href'))!;
    expect(href.startsWith('#/traffic?')).toBe(true);
    expect(Object.fromEntries(new URLSearchParams(href.split('?')[1]))).toEqual({ context: ctxId, namespace: 'shop', service: 'catalog' });
    await page.keyboard.press('Escape');
    await expect.poll(() => menu.count()).toBe(0);

    await clickNode(page, CATALOG);
    const panel = page.getByTestId('graph-panel');
    await panel.getByText('shop/catalog').first().waitFor();
    // The routing objects are listed with the same link (once the detail has loaded).
    const ref = panel.getByTestId('routing-ref').filter({ hasText: 'VirtualService' });
    await ref.waitFor({ timeout: 30_000 });
    expect(await ref.getByRole('link', { name: 'Edit' }).getAttribute('href')).toContain('service=catalog&kind=VirtualService&name=catalog');
    await screenshot(page, 'graph-overlays-dark-routing-panel');

    await panel.getByTestId('edit-routing').click();
    await page.getByTestId('traffic-service-title').filter({ hasText: 'catalog' }).waitFor({ timeout: 30_000 });
    const hash = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
    expect(new URL(page.url()).hash.startsWith('#/traffic?')).toBe(true);
    expect(Object.fromEntries(hash)).toMatchObject({ context: ctxId, namespace: 'shop', service: 'catalog' });
    expect(await page.getByTestId('traffic-context').inputValue()).toBe(ctxId);
  });

  it('marks the service of a running canary (and its workloads) in place, and links to the run', async () => {
    await page.goto(shopUrl('dark'));
    await waitForGraph(page);
    await page.waitForFunction((i) => (window.__meshdeckCy?.getElementById(i).length ?? 0) > 0, CATALOG, { timeout: 30_000 });
    const pos = () => page.evaluate((i) => window.__meshdeckCy!.getElementById(i).position(), CATALOG);
    const p0 = await pos();
    expect(await nodeData(page, CATALOG, 'canary')).toBeNull();

    const spec = canarySpecSchema.parse({
      target: { kind: 'VirtualService', namespace: 'shop', name: 'catalog', service: 'catalog', stable: 'v1', canary: 'v2' },
      steps: { kind: 'list', weights: [10, 20, 30, 40, 50] },
      intervalSec: 10,
      threshold: 10,
      noData: 'hold',
      // Waits for approval before promoting: the run stays active for the rest of the file.
      approvals: { beforeSteps: [], beforePromotion: true },
      analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', windowSec: 10, successRateMin: 90, latencyP99MaxMs: 5000 },
    });
    const run = await call<CanaryRun>('canary.start', { contextId: ctxId, spec });
    runId = run.id;

    // canary.watch pushes the run; the node gains its mark without a graph refresh.
    await expect.poll(() => nodeData(page, CATALOG, 'canary'), { timeout: 30_000 }).toMatch(/^(waiting|progressing)$/);
    await expect.poll(() => label(page, CATALOG), { timeout: 30_000 }).toMatch(/\n⤴ canary \d+ % · progressing$/);
    const outline = await page.evaluate((i) => window.__meshdeckCy!.getElementById(i).style('outline-style'), CATALOG);
    expect(outline).toBe('dashed');
    // The canary workload says which side it is.
    if (await nodeData(page, 'wl:sandbox-admin:shop:catalog-v2', 'id')) expect(await nodeData(page, 'wl:sandbox-admin:shop:catalog-v2', 'canaryRole')).toBe('canary');
    expect(await nodeData(page, 'wl:sandbox-admin:shop:catalog-v1', 'canaryRole')).toBe('stable');
    // Other services stay unmarked; nothing moved.
    expect(await nodeData(page, 'svc:sandbox-admin:shop:payments', 'canary')).toBeNull();
    expect(await pos()).toEqual(p0);

    await clickNode(page, CATALOG);
    const row = page.getByTestId('panel-canary');
    await row.waitFor({ timeout: 15_000 });
    expect(await row.innerText()).toMatch(/canary \d+ % · (progressing|waiting)/);
    expect(await row.getByTestId('open-canary').getAttribute('href')).toBe(`#/canary?${new URLSearchParams({ run: run.id })}`);
    await zoomToMarks(page);
    await screenshot(page, 'graph-overlays-dark-canary');
    await row.getByTestId('open-canary').click();
    await page.getByTestId('canary-run').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('canary-run').innerText()).toContain('catalog');
  });

  it('badges the service that owns the event store with its projections\' lag, naming the laggard', async () => {
    await call('projections.setOwner', { namespace: 'shop', service: 'orders', connectionId: 'sandbox' });
    await page.goto(shopUrl('dark'));
    await waitForGraph(page);
    await expect.poll(() => nodeData(page, ORDERS, 'lag'), { timeout: 45_000 }).toMatch(/^(ok|warn|bad)$/);
    const level = String(await nodeData(page, ORDERS, 'lag'));
    expect(await label(page, ORDERS)).toMatch(/\n◷ lag [\d,]+ ev/);
    // Coloured by level: the halo is the level's theme colour.
    const [halo, expected] = await page.evaluate(([i, l]) => {
      const css = getComputedStyle(document.documentElement);
      const v = { ok: '--ok', warn: '--warn', bad: '--bad' }[l as 'ok' | 'warn' | 'bad'];
      const probe = document.createElement('div');
      probe.style.color = css.getPropertyValue(v).trim();
      document.body.appendChild(probe);
      const want = getComputedStyle(probe).color;
      probe.remove();
      return [window.__meshdeckCy!.getElementById(i).style('underlay-color'), want];
    }, [ORDERS, level] as const);
    expect(halo.replace(/\s/g, '')).toBe(expected.replace(/\s/g, ''));

    await clickNode(page, ORDERS);
    const row = page.getByTestId('panel-lag');
    await row.waitFor({ timeout: 15_000 });
    expect(await row.innerText()).toContain(LAGGING_PROJECTION);
    expect(await row.getByTestId('open-projections').getAttribute('href')).toBe('#/projections?c=sandbox');
    await zoomToMarks(page);
    await screenshot(page, 'graph-overlays-dark-lag');
  });

  it('a deep link preselects context and namespace, also while the graph is open; light theme', async () => {
    const light = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await light.goto(web.loginUrl);
    await light.goto(graphUrl('light', `context=${encodeURIComponent(ctxId)}&namespace=billing`));
    await waitForGraph(light, 3);
    expect(await light.getByTestId('ns-select').locator('summary').innerText()).toBe('Namespaces: billing');
    const inside = await light.evaluate(() => window.__meshdeckCy!.nodes().filter((n) => !n.isParent() && !n.data('outside') && n.data('type') !== 'unknown').map((n) => n.id()));
    expect(inside.length).toBeGreaterThan(0);
    expect(inside.every((id) => id.includes(':billing:'))).toBe(true);
    // The bookmarkable URL now spells the choice out.
    expect(decodeURIComponent(new URL(light.url()).hash)).toContain('namespaces=billing');
    await screenshot(light, 'graph-overlays-light-billing');

    // A link that arrives while the graph is open, naming the context by its name, moves it to shop: the overlays show there too.
    await light.evaluate(() => { window.location.hash = '#/graph?context=sandbox-admin&namespace=shop'; });
    await expect.poll(() => light.getByTestId('ns-select').locator('summary').innerText(), { timeout: 15_000 }).toBe('Namespaces: shop');
    await waitForGraph(light, 10);
    await expect.poll(() => nodeData(light, CATALOG, 'canary'), { timeout: 30_000 }).toMatch(/^(waiting|progressing|awaitingApproval|promoting)$/);
    await expect.poll(() => nodeData(light, ORDERS, 'lag'), { timeout: 45_000 }).toMatch(/^(ok|warn|bad)$/);
    // A new view: laid out afresh, not piled around the nodes it shares with the billing view.
    const overlapping = await light.evaluate(() => {
      const ps = window.__meshdeckCy!.nodes(':childless').map((n) => n.position());
      let close = 0;
      for (let i = 0; i < ps.length; i++) for (let j = i + 1; j < ps.length; j++) {
        const a = ps[i]!;
        const b = ps[j]!;
        if (Math.hypot(a.x - b.x, a.y - b.y) < 20) close++;
      }
      return close;
    });
    expect(overlapping).toBe(0);
    await light.waitForTimeout(500);
    await screenshot(light, 'graph-overlays-light-overlays');
    await clickNode(light, CATALOG);
    await light.getByTestId('panel-canary').waitFor({ timeout: 15_000 });
    await zoomToMarks(light);
    await screenshot(light, 'graph-overlays-light-canary-panel');
    await light.close();
  });

  it('answers the shell\'s find (focus the find box) and refresh commands', async () => {
    // Nothing else refreshes the graph here: the run is stopped and the graph is paused.
    if (runId) await call('canary.abort', { id: runId });
    runId = null;
    await page.goto(`${shopUrl('dark')}&refresh=0`);
    await waitForGraph(page);
    await page.getByTestId('graph-canvas').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+f');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('find');
    const r0 = await page.evaluate(() => window.__meshdeckGraph!.refreshes);
    await page.keyboard.press('Escape');
    await page.getByTestId('graph-canvas').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Alt+r');
    await page.waitForFunction((r) => window.__meshdeckGraph!.refreshes > r, r0, { timeout: 30_000 });
  });

  it('takes its defaults from Settings (window, refresh, layout) until the URL says otherwise', async () => {
    await call('settings.update', { preferences: { graph: { window: '5m', layout: 'grid' }, refresh: { graphSeconds: 20 } } });
    // A fresh load: Settings are read when the view mounts.
    await page.goto('about:blank');
    await page.goto(graphUrl('dark', `contexts=${encodeURIComponent(ctxId)}&namespaces=shop`));
    await waitForGraph(page);
    // Settings changed since the view last saved its choices: Settings win; 20 s is not on the menu, so it is added.
    expect(await page.getByLabel('Window').inputValue()).toBe('5m');
    expect(await page.getByLabel('Layout').inputValue()).toBe('grid');
    expect(await page.getByLabel('Refresh interval').inputValue()).toBe('20000');
    // The URL's own choice still wins, also when followed while the graph is open.
    await page.goto(graphUrl('dark', `contexts=${encodeURIComponent(ctxId)}&namespaces=shop&window=1m`));
    await expect.poll(() => page.getByLabel('Window').inputValue()).toBe('1m');
  });
});
