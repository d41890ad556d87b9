/**
 * Canary runs against the sandbox cluster (HTTPS API server), the traffic simulator obeying the
 * routing live, and a real Prometheus scraping it — with 2–4 s intervals.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createCanary } from '../../main/canary';
import type { CanaryService } from '../../main/canary';
import { createKubeService } from '../../main/kube/service';
import type { KubeService } from '../../main/kube/service';
import { createMetricsService } from '../../main/metrics';
import type { MetricsService } from '../../main/metrics';
import { canarySpecSchema } from '../../shared/canary/spec';
import type { CanarySpecInput } from '../../shared/canary/spec';
import { isTerminal } from '../../shared/canary/types';
import type { CanaryRun, CanaryState } from '../../shared/canary/types';
import { startSimWithPrometheus } from '../helpers/prometheus';
import type { SimWithPrometheus } from '../helpers/prometheus';

let env: SimWithPrometheus;
let dataDir: string;
let kube: KubeService;
let metrics: MetricsService;
let canary: CanaryService;
let contextId: string;

/** The simulator stops once (for the no-traffic test); afterAll must not stop it again. */
let simStopped = false;
async function stopSim() {
  if (simStopped) return;
  simStopped = true;
  await env.sim.stop();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startCanaryService(): Promise<CanaryService> {
  return createCanary({ kube, metrics, dataDir, env: { USER: 'tester' }, pollMs: 400 });
}

function vsWeights(name: string): [number, number] {
  const vs = env.kube!.store.get('networking.istio.io/v1', 'VirtualService', 'shop', name) as unknown as { spec: { http: { name?: string; route: { weight?: number }[] }[] } };
  const primary = vs.spec.http.find((h) => h.name === 'primary')!;
  return [primary.route[0]?.weight ?? 0, primary.route[1]?.weight ?? 0];
}

async function waitForRun(svc: CanaryService, id: string, pred: (r: CanaryRun) => boolean, timeoutMs: number, what: string): Promise<CanaryRun> {
  const deadline = Date.now() + timeoutMs;
  let last: CanaryRun | null = null;
  while (Date.now() < deadline) {
    last = await svc.get(id);
    if (pred(last)) return last;
    await sleep(200);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms; last: ${last?.progress.state} step ${last?.progress.stepIndex} — ${last?.progress.message}`);
}

const state = (s: CanaryState) => (r: CanaryRun) => r.progress.state === s;

function catalogSpec(over: Partial<CanarySpecInput> = {}) {
  return canarySpecSchema.parse({
    target: { kind: 'VirtualService', namespace: 'shop', name: 'catalog', service: 'catalog', stable: 'v1', canary: 'v2' },
    steps: { kind: 'list', weights: [20, 50] },
    intervalSec: 2,
    threshold: 3,
    analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', windowSec: 6, successRateMin: 99, latencyP99MaxMs: 500 },
    ...over,
  });
}

beforeAll(async () => {
  env = await startSimWithPrometheus();
  dataDir = await mkdtemp(join(tmpdir(), 'meshdeck-canary-'));
  kube = await createKubeService({ version: '0.0.0-test', dataDir, kubeconfigPaths: [env.kubeconfig!], env: { HOME: dataDir } });
  const ctx = (await kube.sources()).contexts.find((c) => c.name === 'sandbox-admin')!;
  contextId = ctx.id;
  const conn = await kube.connect(contextId);
  expect(conn.status).toBe('connected');
  metrics = await createMetricsService({ dataDir, kube });
  canary = await startCanaryService();
  // Traffic has reached catalog v1 before any canary starts.
  await env.waitFor('sum(rate(istio_requests_total{reporter="destination",destination_workload="catalog-v1"}[5s]))', (r) => (r[0]?.value ?? 0) > 1, 20_000);
}, 120_000);

afterAll(async () => {
  await canary?.close();
  await metrics?.close();
  await kube?.close();
  if (env && simStopped) env.sim.stop = async () => undefined;
  await env?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('canary against the sandbox and a real Prometheus', () => {
  it('a healthy v2 promotes to 100 %, one guarded patch per step', async () => {
    const t0 = Date.now();
    const run = await canary.start(contextId, catalogSpec());
    const done = await waitForRun(canary, run.id, (r) => r.progress.state === 'succeeded' || r.progress.state === 'rolledBack', 40_000, 'promotion');
    expect(done.progress.state, done.progress.message).toBe('succeeded');
    expect(vsWeights('catalog')).toEqual([0, 100]);
    const weightEntries = done.progress.history.filter((h) => h.kind === 'weights').map((h) => h.weight);
    expect(weightEntries).toEqual([20, 50, 100]);
    const checks = done.progress.history.filter((h) => h.kind === 'check');
    expect(checks.every((c) => c.verdict === 'pass')).toBe(true);
    expect(checks[0]?.results?.find((r) => r.check === 'success-rate')?.value).toBeGreaterThanOrEqual(99);
    // The header route and the timeout were left alone.
    const vs = env.kube!.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'catalog') as unknown as { spec: { http: { name: string; timeout?: string }[] } };
    expect(vs.spec.http.map((h) => h.name)).toEqual(['beta-testers', 'primary']);
    expect(vs.spec.http[1]?.timeout).toBe('3s');
    console.log(`[canary] healthy promotion took ${Date.now() - t0} ms`);
    // Back to stable for the next tests.
    env.kube!.store.patch('networking.istio.io/v1', 'VirtualService', 'shop', 'catalog', [
      { op: 'replace', path: '/spec/http/1/route/0/weight', value: 100 },
      { op: 'replace', path: '/spec/http/1/route/1/weight', value: 0 },
    ]);
  }, 60_000);

  it('the faulty v2 rolls back to stable and says which check failed, with the values', async () => {
    const t0 = Date.now();
    const run = await canary.start(contextId, canarySpecSchema.parse({
      target: { kind: 'VirtualService', namespace: 'shop', name: 'payments', service: 'payments', stable: 'v1', canary: 'v2' },
      steps: { kind: 'list', weights: [30, 60] },
      intervalSec: 3,
      threshold: 2,
      noData: 'fail',
      analysis: { stableWorkload: 'payments-v1', canaryWorkload: 'payments-v2', windowSec: 10 },
    }));
    const done = await waitForRun(canary, run.id, (r) => r.progress.state === 'rolledBack' || r.progress.state === 'succeeded', 40_000, 'rollback');
    expect(done.progress.state).toBe('rolledBack');
    expect(vsWeights('payments')).toEqual([100, 0]);
    const failed = done.progress.failure!.results;
    expect(failed.length).toBeGreaterThan(0);
    const p99 = failed.find((r) => r.check === 'latency-p99');
    const sr = failed.find((r) => r.check === 'success-rate');
    // payments v2 answers with p99 ≈ 1.5 s and 25 % errors.
    expect(p99?.outcome === 'fail' || sr?.outcome === 'fail').toBe(true);
    if (p99?.outcome === 'fail') expect(p99.value).toBeGreaterThan(500);
    if (sr?.outcome === 'fail') expect(sr.value).toBeLessThan(99);
    expect(done.progress.message).toMatch(/Rolled back after 2 failed checks/);
    console.log(`[canary] rollback took ${Date.now() - t0} ms: ${done.progress.message}`);
  }, 60_000);

  it('the app killed mid-run and started again resumes at the same step, without restarting its timer', async () => {
    const run = await canary.start(contextId, catalogSpec({ steps: { kind: 'list', weights: [10, 20, 30] }, intervalSec: 4 }));
    const atStep2 = await waitForRun(canary, run.id, (r) => r.progress.stepIndex === 1, 20_000, 'step 2');
    const { stepStartedAt, nextCheckAt } = atStep2.progress;
    // "Kill": the service goes away with all its timers; nothing is left in memory.
    await canary.close();
    await sleep(1500);
    const killedFor = Date.now();
    canary = await startCanaryService();
    await canary.refresh();
    const resumed = await canary.get(run.id);
    expect(resumed.progress.stepIndex).toBe(1);
    expect(resumed.progress.stepStartedAt).toBe(stepStartedAt);
    expect(resumed.drivenHere).toBe(true);
    const atStep3 = await waitForRun(canary, run.id, (r) => r.progress.stepIndex === 2, 20_000, 'step 3 after restart');
    const stepped = atStep3.progress.history.filter((h) => h.kind === 'weights').at(-1)!;
    // Not early (the original due time held) and not restarted (no full new interval after the restart).
    expect(Date.parse(stepped.at)).toBeGreaterThanOrEqual(Date.parse(nextCheckAt!));
    expect(Date.parse(stepped.at) - killedFor).toBeLessThan(4000 + 1500);
    await canary.command(run.id, 'abort');
  }, 60_000);

  it('a concurrent weight edit (client-node merge patch) pauses the run with the drift, and it is not reverted', async () => {
    const run = await canary.start(contextId, catalogSpec({ steps: { kind: 'list', weights: [10, 20] }, intervalSec: 3 }));
    await waitForRun(canary, run.id, (r) => r.progress.state === 'progressing', 10_000, 'first step');
    // Someone edits the weights with kubectl-like tooling: a JSON merge patch of spec.http.
    const kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfig!);
    kc.setCurrentContext('sandbox-admin');
    const api = kc.makeApiClient(CustomObjectsApi);
    const current = env.kube!.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'catalog') as unknown as { spec: { http: { route: { weight?: number }[] }[] } };
    const http = structuredClone(current.spec.http);
    http[1]!.route[0]!.weight = 65;
    http[1]!.route[1]!.weight = 35;
    await api.patchNamespacedCustomObject(
      { group: 'networking.istio.io', version: 'v1', namespace: 'shop', plural: 'virtualservices', name: 'catalog', body: { spec: { http } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const paused = await waitForRun(canary, run.id, state('paused'), 10_000, 'drift pause');
    expect(paused.progress.pauseReason).toBe('drift');
    expect(paused.progress.drift).toMatchObject({ expected: { stable: 90, canary: 10 }, observed: { stable: 65, canary: 35 } });
    await sleep(3500);
    expect(vsWeights('catalog')).toEqual([65, 35]);
    expect((await canary.get(run.id)).progress.state).toBe('paused');
    // Resume writes the run's weights back in one guarded patch and carries on.
    const resumed = await canary.command(run.id, 'resume');
    expect(resumed.progress.state).toBe('progressing');
    expect(vsWeights('catalog')).toEqual([90, 10]);
    await canary.command(run.id, 'abort');
    expect(vsWeights('catalog')).toEqual([100, 0]);
  }, 60_000);
  it('no traffic with the "hold" policy holds the step', async () => {
    // No traffic at all: the simulated mesh stops (its scrape target goes away, its series go stale).
    await stopSim();
    await env.waitFor('sum(rate(istio_requests_total{reporter="destination",destination_workload="catalog-v1"}[6s]))', (r) => r.length === 0, 20_000);
    const run = await canary.start(contextId, catalogSpec({ noData: 'hold', threshold: 2, analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', windowSec: 6, minRequests: 5 } }));
    const held = await waitForRun(canary, run.id, (r) => r.progress.heldChecks >= 3 || r.progress.failedChecks > 0 || isTerminal(r.progress.state), 30_000, 'three held checks');
    expect(held.progress, JSON.stringify(held.progress.lastResults)).toMatchObject({ state: "progressing", stepIndex: 0, failedChecks: 0 });
    expect(held.progress.lastResults?.find((r) => r.check === 'request-count')).toMatchObject({ outcome: 'noData', value: 0 });
    expect(held.progress.lastResults?.find((r) => r.check === 'success-rate')).toMatchObject({ outcome: 'noData' });
    expect(vsWeights('catalog')).toEqual([80, 20]);
    expect(held.progress.message).toMatch(/Holding step 1/);
    const aborted = await canary.command(run.id, 'abort');
    expect(aborted.progress.state).toBe('aborted');
  }, 60_000);

});
