/**
 * Event-store gates end to end: the sandbox cluster (HTTPS API server), the traffic simulator with a
 * real Prometheus, and the embedded-Postgres demo store whose orders-read-model projection never
 * moves (rate 0), so it is thousands of events behind. A canary on the healthy catalog v2 gated on
 * that projection rolls back because of the gate alone, with the lag in the failure; an unknown
 * projection holds the step under the "hold" policy; the same canary with a generous lag threshold
 * (and a saga failure-rate gate) promotes. Intervals of 2 s.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCanary } from '../../main/canary';
import type { CanaryService } from '../../main/canary';
import { createEventStoreService } from '../../main/eventstore/service';
import type { EventStoreService } from '../../main/eventstore/service';
import { createKubeService } from '../../main/kube/service';
import type { KubeService } from '../../main/kube/service';
import { createMetricsService } from '../../main/metrics';
import type { MetricsService } from '../../main/metrics';
import { createProjectionsService, projectionGates } from '../../main/projections';
import type { ProjectionsService } from '../../main/projections';
import { startSandboxEventStore } from '../../sandbox/eventstore';
import type { SandboxEventStore } from '../../sandbox/eventstore';
import { READ_MODEL_PROJECTION, startOrdersReadModel } from '../../sandbox/eventstore/read-model';
import type { OrdersReadModel } from '../../sandbox/eventstore/read-model';
import { canarySpecSchema } from '../../shared/canary/spec';
import type { EventStoreGate } from '../../shared/canary/spec';
import { isTerminal } from '../../shared/canary/types';
import type { CanaryRun, CheckResult } from '../../shared/canary/types';
import { startSimWithPrometheus } from '../helpers/prometheus';
import type { SimWithPrometheus } from '../helpers/prometheus';

const STORE = 'sandbox';
const GATE = `projection-lag:${READ_MODEL_PROJECTION}`;
const never = new AbortController().signal;

let env: SimWithPrometheus | undefined;
let store: SandboxEventStore | undefined;
let readModel: OrdersReadModel | undefined;
let events: EventStoreService | undefined;
let projections: ProjectionsService;
let dataDir: string;
let kube: KubeService | undefined;
let metrics: MetricsService | undefined;
let canary: CanaryService | undefined;
let contextId: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function vsWeights(): [number, number] {
  const vs = env!.kube!.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'catalog') as unknown as { spec: { http: { name?: string; route: { weight?: number }[] }[] } };
  const primary = vs.spec.http.find((h) => h.name === 'primary')!;
  return [primary.route[0]?.weight ?? 0, primary.route[1]?.weight ?? 0];
}

async function waitForRun(id: string, pred: (r: CanaryRun) => boolean, timeoutMs: number, what: string): Promise<CanaryRun> {
  const deadline = Date.now() + timeoutMs;
  let last: CanaryRun | null = null;
  while (Date.now() < deadline) {
    last = await canary!.get(id);
    if (pred(last)) return last;
    await sleep(250);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms; last: ${last?.progress.state} step ${last?.progress.stepIndex} — ${last?.progress.message}`);
}

function gatedSpec(gates: EventStoreGate[], noData: 'fail' | 'hold' = 'fail') {
  return canarySpecSchema.parse({
    target: { kind: 'VirtualService', namespace: 'shop', name: 'catalog', service: 'catalog', stable: 'v1', canary: 'v2' },
    steps: { kind: 'list', weights: [20, 50] },
    intervalSec: 2,
    threshold: 2,
    noData,
    analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', windowSec: 6, successRateMin: 99, latencyP99MaxMs: 500, gates },
  });
}

const checksOf = (r: CanaryRun): CheckResult[][] => r.progress.history.filter((h) => h.kind === 'check' && h.results).map((h) => h.results!);
const gateIn = (rs: CheckResult[], name = GATE) => rs.find((x) => x.check === name);

beforeAll(async () => {
  const t0 = Date.now();
  // The mesh and the store start side by side; whichever started is stopped in afterAll even if the other failed.
  const [sim, es] = await Promise.allSettled([
    startSimWithPrometheus().then((e) => (env = e)),
    startSandboxEventStore({ ratePerSec: 0, seedEvents: 5000, seedOperations: 200 }).then((s) => (store = s)),
  ]);
  if (sim.status === 'rejected') throw sim.reason;
  if (es.status === 'rejected') throw es.reason;
  // A read model that never catches up: its checkpoint stays at 0, the whole store behind it.
  readModel = await startOrdersReadModel(store!.url, { eventsPerSec: 0, bugEvery: 0 });
  dataDir = await mkdtemp(join(tmpdir(), 'meshdeck-canary-gates-'));
  events = createEventStoreService({ sandboxUrl: store!.url, env: {} });
  projections = createProjectionsService({ events, dataDir });
  kube = await createKubeService({ version: '0.0.0-test', dataDir, kubeconfigPaths: [env!.kubeconfig!], env: { HOME: dataDir } });
  contextId = (await kube.sources()).contexts.find((c) => c.name === 'sandbox-admin')!.id;
  expect((await kube.connect(contextId)).status).toBe('connected');
  metrics = await createMetricsService({ dataDir, kube });
  canary = await createCanary({ kube, metrics, dataDir, env: { USER: 'tester' }, pollMs: 400, gates: projectionGates(projections) });
  await env!.waitFor('sum(rate(istio_requests_total{reporter="destination",destination_workload="catalog-v1"}[5s]))', (r) => (r[0]?.value ?? 0) > 1, 20_000);
  console.log(`[canary-gates] sandbox, Prometheus and event store up in ${Date.now() - t0} ms`);
}, 120_000);

afterAll(async () => {
  await canary?.close();
  await metrics?.close();
  await kube?.close();
  await events?.close();
  await readModel?.stop();
  await store?.stop();
  await env?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('canary gated on the event store', () => {
  it('a healthy v2 gated on a projection far behind rolls back, and the failure names the gate and its lag', async () => {
    const lagNow = await projectionGates(projections).projectionLag(STORE, READ_MODEL_PROJECTION, never);
    expect(lagNow).toBeGreaterThan(1000);
    const t0 = Date.now();
    const run = await canary!.start(contextId, gatedSpec([{ kind: 'projectionLag', connectionId: STORE, projection: READ_MODEL_PROJECTION, maxLag: 100 }]));
    const done = await waitForRun(run.id, (r) => isTerminal(r.progress.state), 40_000, 'rollback');
    expect(done.progress.state, done.progress.message).toBe('rolledBack');
    expect(vsWeights()).toEqual([100, 0]);
    const failed = gateIn(done.progress.failure!.results);
    expect(failed).toMatchObject({ kind: 'gate', outcome: 'fail', unit: 'events', threshold: { max: 100 } });
    expect(failed!.value).toBeGreaterThanOrEqual(lagNow!);
    expect(done.progress.message).toMatch(new RegExp(`Rolled back after 2 failed checks .*${GATE} \\d+ events \\(needs ≤ 100 events\\)`));
    // The timeline holds every interval's gate value; the mesh itself was healthy.
    const checks = checksOf(done);
    expect(checks.length).toBe(2);
    for (const rs of checks) {
      expect(gateIn(rs)).toMatchObject({ outcome: 'fail', value: expect.any(Number) });
      expect(rs.find((x) => x.check === 'success-rate')?.outcome).not.toBe('fail');
    }
    console.log(`[canary-gates] rollback on the gate took ${Date.now() - t0} ms: ${done.progress.message}`);
  }, 60_000);

  it('an unknown projection has no data: the "hold" policy holds the step', async () => {
    const run = await canary!.start(contextId, gatedSpec([{ kind: 'projectionLag', connectionId: STORE, projection: 'no-such-projection', maxLag: 100 }], 'hold'));
    const held = await waitForRun(run.id, (r) => r.progress.heldChecks >= 2 || r.progress.failedChecks > 0 || isTerminal(r.progress.state), 30_000, 'two held checks');
    expect(held.progress).toMatchObject({ state: 'progressing', stepIndex: 0, failedChecks: 0 });
    expect(gateIn(held.progress.lastResults!, 'projection-lag:no-such-projection')).toMatchObject({ outcome: 'noData', value: null, message: expect.stringContaining('No projection "no-such-projection"') });
    expect(held.progress.message).toMatch(/Holding step 1/);
    expect(vsWeights()).toEqual([80, 20]);
    expect((await canary!.command(run.id, 'abort')).progress.state).toBe('aborted');
    expect(vsWeights()).toEqual([100, 0]);
  }, 60_000);

  it('the same canary with a generous lag threshold and a saga failure-rate gate promotes', async () => {
    const t0 = Date.now();
    const run = await canary!.start(contextId, gatedSpec([
      { kind: 'projectionLag', connectionId: STORE, projection: READ_MODEL_PROJECTION, maxLag: 10_000_000 },
      { kind: 'sagaFailureRate', connectionId: STORE, windowSec: 3600, maxPercent: 100, minFinished: 1 },
    ]));
    const done = await waitForRun(run.id, (r) => isTerminal(r.progress.state), 40_000, 'promotion');
    expect(done.progress.state, done.progress.message).toBe('succeeded');
    expect(vsWeights()).toEqual([0, 100]);
    // Two steps, two passing intervals at least (a slow scrape may fail one Prometheus check; the gates pass every time).
    const checks = checksOf(done);
    expect(checks.length).toBeGreaterThanOrEqual(2);
    for (const rs of checks) {
      expect(gateIn(rs)).toMatchObject({ outcome: 'pass', threshold: { max: 10_000_000 } });
      expect(gateIn(rs)!.value).toBeGreaterThan(1000);
      const saga = gateIn(rs, `saga-failure-rate:${STORE}`);
      expect(saga).toMatchObject({ outcome: 'pass', unit: '%', message: expect.stringMatching(/^\d+ of \d+ sagas failed in the last 1h$/) });
      expect(saga!.value).toBeGreaterThanOrEqual(0);
      expect(saga!.value).toBeLessThanOrEqual(100);
    }
    console.log(`[canary-gates] gated promotion took ${Date.now() - t0} ms`);
  }, 60_000);
});
