/**
 * The canary capability, wired to the rest of meshdeck: routing objects through the kube clients
 * (weight steps through the traffic planner), Prometheus through the metrics service, leases under
 * this installation's id. The composition root calls `createCanary(...)` and spreads `canaryHandlers`.
 */
import type { KubeService } from '../kube/service';
import type { MetricsService } from '../metrics';
import { toSamples } from '../metrics/client';
import { loadIdentity } from './identity';
import { createKubeRoutingStore } from './kube-store';
import type { CanaryPrometheus, GateProvider } from './ports';
import { createCanaryService } from './service';
import type { CanaryService } from './service';

export { canaryHandlers } from './handlers';
export { createCanaryService } from './service';
export type { CanaryService, CanaryServiceDeps } from './service';
export type { CanaryPrometheus, CanaryRoutingStore, GateProvider, SagaFailureCounts } from './ports';

export const CANARY_FIELD_MANAGER = 'meshdeck-canary';

/** A context's Prometheus as the metrics service reaches it (typed URL or in-cluster proxy). */
export function metricsPrometheus(metrics: Pick<MetricsService, 'clientFor'>): (contextId: string) => CanaryPrometheus {
  return (contextId) => ({
    async instant(promql, signal) {
      const client = await metrics.clientFor(contextId, signal);
      const r = await client.query(promql, { signal });
      return toSamples(r.data, client.describe).map((s) => ({ labels: s.metric, value: Number.isNaN(s.value) ? null : s.value }));
    },
    async range(promql, start, end, stepSec, signal) {
      const client = await metrics.clientFor(contextId, signal);
      const r = await client.queryRange(promql, { start: start * 1000, end: end * 1000, stepSec }, { signal });
      return r.series.map((s) => ({ labels: s.labels, points: s.points }));
    },
  });
}

export interface CanaryWiring {
  kube: Pick<KubeService, 'connections' | 'clientFor'>;
  metrics: Pick<MetricsService, 'clientFor'>;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Event-store gates (projection lag, saga failure rate): `projectionGates(projections)` from main/projections. */
  gates?: GateProvider | null;
  pollMs?: number;
}

export async function createCanary(w: CanaryWiring): Promise<CanaryService> {
  const identity = await loadIdentity(w.dataDir, w.env);
  return createCanaryService({
    connections: () => w.kube.connections(),
    store: createKubeRoutingStore({ clientFor: (id) => w.kube.clientFor(id), fieldManager: CANARY_FIELD_MANAGER }),
    prometheus: metricsPrometheus(w.metrics),
    gates: w.gates ?? null,
    identity,
    fieldManager: CANARY_FIELD_MANAGER,
    ...(w.pollMs !== undefined ? { pollMs: w.pollMs } : {}),
    workloads: async (contextId, namespace, signal) => {
      const client = w.kube.clientFor(contextId);
      const body = await client.requestJson<{ items?: { metadata?: { name?: string }; spec?: { template?: { metadata?: { labels?: Record<string, string> } } } }[] }>(
        `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`,
        { query: { limit: 1000 }, signal },
      );
      return (body.items ?? []).map((d) => ({ name: d.metadata?.name ?? '', labels: d.spec?.template?.metadata?.labels ?? {} })).filter((d) => d.name);
    },
  });
}
