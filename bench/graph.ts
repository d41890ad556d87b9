/**
 * Graph benchmarks on the synthetic 1,000-workload mesh (sandbox/traffic synthetic mode) scraped
 * by a real Prometheus:
 *   1. the graph call (queries + build) vs the raw Prometheus queries it issues, same run, same data;
 *   2. rendering in Chromium (web mode): first layout, in-place refresh, page memory over 100 refreshes.
 * `runGraphBench()` returns a markdown section; `node --import tsx bench/graph.ts` runs it alone.
 */
import { cpus } from 'node:os';
import type { CDPSession, Page } from 'playwright-core';
import { createGraphService } from '../main/graph/service';
import { PromClient, directTransport } from '../main/metrics';
import { graphOptionsSchema } from '../shared/contract/graph';
import { startSimWithPrometheus } from '../test/helpers/prometheus';
import type { SimWithPrometheus } from '../test/helpers/prometheus';
import { launchChromium } from '../test/helpers/browser';
import { startWebApp } from '../test/helpers/webapp';

const WORKLOADS = 1000;
const EDGES = 5000;
const ITER = 7;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const ms = (n: number) => `${n.toFixed(0)} ms`;

async function rawQueries(url: string, plan: { promql: string; time: number }[]): Promise<number> {
  // What any client must do at least: send each query, read and parse its JSON answer; all at once.
  const t0 = performance.now();
  await Promise.all(
    plan.map(async (p) => {
      const res = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: p.promql, time: (p.time / 1000).toFixed(3) }).toString(),
      });
      const body = (await res.json()) as { status: string };
      if (body.status !== 'success') throw new Error(`raw query failed: ${JSON.stringify(body).slice(0, 200)}`);
    }),
  );
  return performance.now() - t0;
}

async function graphCallBench(env: SimWithPrometheus, namespaces: string[]): Promise<string[]> {
  const client = new PromClient(directTransport({ url: env.prom.url }), { timeoutMs: 30_000 });
  const service = createGraphService({ sources: { prometheus: () => client, routing: () => null, clusterName: () => 'synthetic' }, queryTimeoutMs: 30_000 });
  const lines: string[] = [];
  for (const injectServiceNodes of [true, false]) {
    const opts = graphOptionsSchema.parse({ contexts: ['synthetic'], namespaces, window: '1m', injectServiceNodes });
    // Warm Prometheus's caches and V8 the same way for both sides.
    for (let i = 0; i < 2; i++) {
      await service.get({ ...opts, at: Date.now() }, new AbortController().signal);
      await rawQueries(env.prom.url, service.lastPlan());
    }
    const graphT: number[] = [];
    const rawT: number[] = [];
    const buildT: number[] = [];
    let shape = { nodes: 0, edges: 0, series: 0, queries: 0 };
    for (let i = 0; i < ITER; i++) {
      // Same instant for both sides: the same data. Alternate who goes first.
      const at = Date.now() - 2000;
      const runGraph = async () => {
        const t0 = performance.now();
        const g = await service.get({ ...opts, at }, new AbortController().signal);
        graphT.push(performance.now() - t0);
        buildT.push(g.stats.buildMs);
        shape = { nodes: g.nodes.length, edges: g.edges.length, series: g.stats.series, queries: g.stats.queries };
      };
      const runRaw = async () => {
        rawT.push(await rawQueries(env.prom.url, service.lastPlan().map((p) => ({ ...p, time: at }))));
      };
      if (i % 2 === 0) {
        await runGraph();
        await runRaw();
      } else {
        await runRaw();
        await runGraph();
      }
    }
    const g = median(graphT);
    const r = median(rawT);
    lines.push(
      `| workload graph${injectServiceNodes ? ' + service nodes' : ''} | ${shape.nodes} / ${shape.edges} | ${shape.queries} queries, ${shape.series} series | ${ms(g)} | ${ms(r)} | ${(g / r).toFixed(2)}× | ${ms(median(buildT))} | ${g <= 1000 && g / r <= 1.5 ? 'yes' : '**no**'} |`,
    );
  }
  return lines;
}

async function heapMb(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const m = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return (m.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? 0) / 2 ** 20;
}

async function renderBench(env: SimWithPrometheus, namespaces: string[]): Promise<string[]> {
  const web = await startWebApp({ kubeconfigPaths: [env.kubeconfig!] });
  const browser = await launchChromium();
  const lines: string[] = [];
  try {
    const ctx = `${env.kubeconfig!}#sandbox-admin`;
    const r = await web.app.router.invoke('kube.connect', { contextId: ctx }, { signal: new AbortController().signal, transport: 'web' });
    if (!r.ok) throw new Error(`connect: ${r.error.message}`);
    const page: Page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(web.loginUrl);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    for (const layout of ['dagre', 'fcose', 'grid']) {
      const url = `${new URL('/', web.url).href}#/graph?contexts=${encodeURIComponent(ctx)}&namespaces=${namespaces.join(',')}&type=workload&window=1m&refresh=0&animate=0&svcnodes=0&layout=${layout}`;
      await page.evaluate(() => localStorage.clear());
      await page.goto('about:blank');
      const t0 = Date.now();
      await page.goto(url);
      await page.waitForFunction(() => window.__meshdeckGraph?.layoutMs != null && window.__meshdeckGraph.nodes > 500, undefined, { timeout: 120_000 });
      const wall = Date.now() - t0;
      const s = await page.evaluate(() => window.__meshdeckGraph!);
      lines.push(`| first layout, ${layout} | ${s.nodes} nodes (incl. boxes) / ${s.edges} edges | ${ms(s.layoutMs!)} (page open to drawn: ${ms(wall)}) | ${s.layoutMs! <= 3000 ? 'yes' : '**no**'} |`);
    }
    // 100 data refreshes on the dagre page: time of the in-place update and heap after each GC.
    const url = `${new URL('/', web.url).href}#/graph?contexts=${encodeURIComponent(ctx)}&namespaces=${namespaces.join(',')}&type=workload&window=1m&refresh=0&animate=0&svcnodes=0&layout=dagre`;
    await page.goto('about:blank');
    await page.goto(url);
    await page.waitForFunction(() => window.__meshdeckGraph?.layoutMs != null && window.__meshdeckGraph.nodes > 500, undefined, { timeout: 120_000 });
    const refresh: number[] = [];
    const heap: number[] = [await heapMb(cdp)];
    for (let i = 1; i <= 100; i++) {
      const before = await page.evaluate(() => window.__meshdeckGraph!.refreshes);
      await page.getByTestId('refresh').click();
      await page.waitForFunction((b) => window.__meshdeckGraph!.refreshes > b, before, { timeout: 60_000 });
      refresh.push(await page.evaluate(() => window.__meshdeckGraph!.refreshMs ?? 0));
      if (i === 10 || i === 50 || i === 100) heap.push(await heapMb(cdp));
    }
    const p95 = [...refresh].sort((a, b) => a - b)[Math.floor(refresh.length * 0.95)]!;
    lines.push(`| data refresh in place (100×) | median ${ms(median(refresh))}, p95 ${ms(p95)}, max ${ms(Math.max(...refresh))} | | ${median(refresh) <= 100 ? 'yes' : '**no**'} |`);
    const growth = heap[3]! - heap[1]!;
    lines.push(`| JS heap after GC: start / 10 / 50 / 100 refreshes | ${heap.map((h) => `${h.toFixed(1)} MB`).join(' / ')} | growth 10→100: ${growth.toFixed(1)} MB | ${growth < 5 ? 'yes (flat)' : '**no**'} |`);
  } finally {
    await browser.close();
    await web.close();
  }
  return lines;
}

export async function runGraphBench(): Promise<string> {
  const env = await startSimWithPrometheus({ sim: { synthetic: { workloads: WORKLOADS, edges: EDGES }, tickMs: 1000 }, scrapeIntervalMs: 5000 });
  try {
    const namespaces = [...env.sim.mesh.namespaces.keys()].filter((n) => n.startsWith('syn-'));
    // A full 1-minute window of history, so rates are real rates.
    await env.waitFor('count_over_time(istio_requests_total{reporter="destination"}[2m])', (v) => v.some((s) => s.value >= 13), 150_000);
    const series = await env.query('count({__name__=~"istio_requests_total|response_total|istio_tcp_received_bytes_total"})');
    const call = await graphCallBench(env, namespaces);
    const render = await renderBench(env, namespaces);
    return [
      '## Graph',
      '',
      `Synthetic mesh: ${env.sim.mesh.workloads.length - 1} workloads, ${env.sim.mesh.calls.length} calls, ${namespaces.length} namespaces (one in ten Linkerd), both Istio reporters; ${series[0]?.value ?? '?'} request/TCP series in Prometheus 2.42 (5 s scrape); window 1m. ${cpus().length} cores. Medians of ${ITER} runs after 2 warm-ups.`,
      '',
      '**Graph call vs the raw Prometheus queries it issues** (same instant, same run; raw = POST each query concurrently and parse its JSON). Targets: ≤ 1 s and ≤ 1.5× raw.',
      '',
      '| graph | nodes / edges | issued | graph call | raw queries | ratio | build step | target met |',
      '|---|---|---|---|---|---|---|---|',
      ...call,
      '',
      '**Rendering in Chromium** (web mode, workload graph without service nodes, animation off). Targets: first layout ≤ 3 s, refresh ≤ 100 ms, memory flat over 100 refreshes.',
      '',
      '| what | measured | | target met |',
      '|---|---|---|---|',
      ...render,
      '',
    ].join('\n');
  } finally {
    await env.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runGraphBench().then(
    (md) => console.log(md),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
