/**
 * Start once per test file: (optionally) the sandbox cluster, the traffic simulator reading its
 * routing, and a real Prometheus scraping the simulator, published in the cluster as
 * istio-system/prometheus:9090. Resolves when the first scrape has data. `stop()` stops all of
 * it (Prometheus with SIGTERM, then SIGKILL) — call it in afterAll.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandboxKube, type SandboxKube } from '../../sandbox/kube/index';
import { registerInSandbox, startPrometheus, waitForQuery, type SandboxPrometheus } from '../../sandbox/prometheus/index';
import { startTrafficSimulator, type TrafficSimulator, type TrafficSimulatorOptions } from '../../sandbox/traffic/index';

export interface SimWithPrometheus {
  kube: SandboxKube | null;
  /** Written when `kube` is on: a kubeconfig for the sandbox (contexts sandbox-admin, sandbox-viewer). */
  kubeconfig: string | null;
  sim: TrafficSimulator;
  prom: SandboxPrometheus;
  /** Instant query against Prometheus: `[{ metric, value }]`. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  /** Polls `promql` until `pred` holds (or throws with the last answer after timeoutMs). */
  waitFor(promql: string, pred: (r: { metric: Record<string, string>; value: number }[]) => boolean, timeoutMs?: number): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

export interface SimWithPrometheusOptions {
  /** Start the sandbox cluster and drive routing from it (default true). */
  kube?: boolean;
  sim?: Omit<TrafficSimulatorOptions, 'kube'>;
  scrapeIntervalMs?: number;
}

export async function startSimWithPrometheus(opts: SimWithPrometheusOptions = {}): Promise<SimWithPrometheus> {
  let kube: SandboxKube | null = null;
  let sim: TrafficSimulator | null = null;
  let prom: SandboxPrometheus | null = null;
  let dir: string | null = null;
  const stop = async () => {
    await prom?.stop();
    await sim?.stop();
    await kube?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  try {
    let kubeconfig: string | null = null;
    if (opts.kube !== false) {
      kube = await startSandboxKube({ onError: () => undefined });
      dir = await mkdtemp(join(tmpdir(), 'meshdeck-sim-'));
      kubeconfig = join(dir, 'kubeconfig');
      await kube.writeKubeconfig(kubeconfig);
    }
    sim = await startTrafficSimulator({ tickMs: 250, ...opts.sim, ...(kube ? { kube: kube.store } : {}) });
    prom = await startPrometheus({ targets: [sim.target], scrapeIntervalMs: opts.scrapeIntervalMs ?? 1000 });
    if (kube) registerInSandbox(kube, prom);
    await waitForQuery(prom.url, 'count(istio_requests_total) or count(response_total)', { timeoutMs: 20_000 });
    const url = prom.url;
    const query = async (promql: string) => {
      const res = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: promql }).toString(),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { status: string; error?: string; data?: { result?: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query failed: ${body.error ?? res.status}: ${promql}`);
      return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    };
    const waitFor: SimWithPrometheus['waitFor'] = async (promql, pred, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      let last: { metric: Record<string, string>; value: number }[] = [];
      for (;;) {
        last = await query(promql);
        if (pred(last)) return last;
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms for ${promql}; last answer: ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    return { kube, kubeconfig, sim, prom, query, waitFor, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Share of each label value in a `sum by (label)` answer. */
export function shares(r: { metric: Record<string, string>; value: number }[], label: string): Record<string, number> {
  const total = r.reduce((a, x) => a + x.value, 0);
  const out: Record<string, number> = {};
  for (const x of r) out[x.metric[label] ?? ''] = total > 0 ? x.value / total : 0;
  return out;
}
