import type { ApiErrorShape } from '../../shared/errors';
import type { Graph, GraphContextStatus, GraphWindow, MeshKind } from '../../shared/graph/types';
import { appendBoxes } from './appenders/boxes';
import { finalize } from './appenders/finalize';
import { appendRoutingBadges, indexRouting } from './appenders/routing';
import { appendSecurity } from './appenders/security';
import { reduceToServiceGraph } from './appenders/service-graph';
import { appendTcp, appendTraffic, joinAcrossMeshes } from './appenders/traffic';
import { appendMtls, appendResponseTimes } from './appenders/values';
import { dedupTraffic, dedupValues, istioIdentity, istioTraffic, linkerdTraffic, values } from './observe';
import type { TrafficObs, ValueObs } from './observe';
import type { RoutingSnapshot, Sample } from './ports';
import type { Concern, PlannedQuery } from './queries';
import { newWork } from './work';
import type { BuildOptions } from './work';

/** What one query of the plan gave: its samples, or why there are none. */
export interface QueryOutcome {
  contextId: string;
  query: PlannedQuery;
  samples: Sample[] | null;
  error: ApiErrorShape | null;
  /** Set when `samples` are the last good answer, kept because this run's query failed. */
  staleSince: string | null;
}

export interface BuildInput {
  options: BuildOptions & { window: GraphWindow };
  at: number;
  contexts: { contextId: string; cluster: string }[];
  outcomes: QueryOutcome[];
  /** Routing snapshot per context; null where none could be read. */
  routing: Map<string, RoutingSnapshot | null>;
  queryMs: number;
}

const CONCERN_NAMES: Record<Concern, string> = {
  traffic: 'traffic', p50: 'response time p50', p95: 'response time p95', p99: 'response time p99', tcp: 'TCP bytes', mtls: 'mTLS',
};

/**
 * The pure pipeline: fixed Prometheus answers (and routing objects) in, the graph out. Each step
 * is one concern; nothing here does I/O, so every step is unit-tested on fixtures.
 */
export function buildGraph(input: BuildInput): Graph {
  const t0 = performance.now();
  const w = newWork(input.options);
  const clusterOf = new Map(input.contexts.map((c) => [c.contextId, c.cluster]));
  const meshesSeen = new Map<string, Set<MeshKind>>();
  let series = 0;

  const of = (concern: Concern) => input.outcomes.filter((o) => o.query.concern === concern && o.samples !== null);
  for (const o of input.outcomes) {
    if (o.samples) series += o.samples.length;
    if (o.error && o.query.concern !== 'traffic' && o.samples === null) {
      w.warnings.push(`${CONCERN_NAMES[o.query.concern]} (${o.query.mesh}, ${clusterOf.get(o.contextId) ?? o.contextId}): ${o.error.message}`);
    }
  }

  // 1. traffic: requests by code from every context and mesh, reporter-deduplicated
  const traffic: TrafficObs[] = [];
  // Which clusters' nodes each context speaks for: its own name, and the cluster labels its own
  // proxies put on what they received (Istio multi-cluster names clusters itself).
  const ownClusters = new Map<string, Set<string>>(input.contexts.map((c) => [c.contextId, new Set([c.cluster])]));
  for (const o of of('traffic')) {
    const cluster = clusterOf.get(o.contextId) ?? o.contextId;
    const obs = o.query.mesh === 'istio' ? istioTraffic(o.samples!, cluster) : linkerdTraffic(o.samples!, cluster);
    for (const x of obs) if (!x.byCaller) ownClusters.get(o.contextId)?.add(x.dst.cluster);
    if (obs.length) {
      let s = meshesSeen.get(o.contextId);
      if (!s) meshesSeen.set(o.contextId, (s = new Set()));
      s.add(o.query.mesh);
    }
    for (const x of obs) traffic.push(x);
  }
  appendTraffic(w, joinAcrossMeshes(dedupTraffic(traffic)));

  // 2. TCP bytes (a mesh's own edges for Istio; throughput of HTTP edges for Linkerd)
  for (const mesh of ['linkerd', 'istio'] as const) {
    const obs: ValueObs[] = [];
    for (const o of of('tcp')) if (o.query.mesh === mesh) for (const v of values(o.samples!, mesh, clusterOf.get(o.contextId) ?? o.contextId)) obs.push(v);
    appendTcp(w, dedupValues(obs, 'caller').values(), mesh);
  }

  // 3. latency percentiles, the callee's measurement first
  for (const q of ['p50', 'p95', 'p99'] as const) {
    const obs: ValueObs[] = [];
    for (const o of of(q)) for (const v of values(o.samples!, o.query.mesh, clusterOf.get(o.contextId) ?? o.contextId)) obs.push(v);
    appendResponseTimes(w, q, dedupValues(obs, 'callee'));
  }

  // 4. mTLS share (Istio's connection_security_policy; Linkerd's tls label came with the traffic)
  const mtls = new Map<string, { mutual: number; total: number }>();
  for (const o of of('mtls')) {
    const cluster = clusterOf.get(o.contextId) ?? o.contextId;
    for (const s of o.samples!) {
      if (!Number.isFinite(s.value) || s.value < 0) continue;
      const key = istioIdentity(s.metric, cluster).key;
      let m = mtls.get(key);
      if (!m) mtls.set(key, (m = { mutual: 0, total: 0 }));
      m.total += s.value;
      if (s.metric.connection_security_policy === 'mutual_tls') m.mutual += s.value;
    }
  }
  appendMtls(w, mtls);

  // 5. service graph: collapse workloads behind their services
  if (input.options.graphType === 'service') reduceToServiceGraph(w);

  // 6. numbers on screen and health
  const { nodes, edges } = finalize(w);

  // 7. routing badges and security, per context (its routing objects apply to its cluster's nodes)
  const single = input.contexts.length === 1;
  const serviceNodesShown = input.options.injectServiceNodes || input.options.graphType === 'service';
  for (const c of input.contexts) {
    const snap = input.routing.get(c.contextId);
    if (!snap) continue;
    const own = ownClusters.get(c.contextId)!;
    const mine = single ? nodes : nodes.filter((n) => own.has(n.cluster));
    appendRoutingBadges(mine, indexRouting(snap), { serviceNodesShown });
    appendSecurity(mine, snap);
  }

  // 8. boxes
  const boxes = appendBoxes(nodes, { appBoxes: input.options.graphType === 'versionedApp' });

  const contexts: GraphContextStatus[] = input.contexts.map((c) => {
    const failed = input.outcomes.find((o) => o.contextId === c.contextId && o.query.concern === 'traffic' && o.error);
    return {
      contextId: c.contextId, cluster: c.cluster, meshes: [...(meshesSeen.get(c.contextId) ?? [])].sort(),
      error: failed?.error ? { code: failed.error.code, message: failed.error.message } : null,
    };
  });

  return {
    at: new Date(input.at).toISOString(), window: input.options.window, graphType: input.options.graphType,
    nodes, edges, boxes, contexts, stale: null, warnings: w.warnings,
    empty: !edges.some((e) => e.rate > 0),
    stats: { queries: input.outcomes.length, series, queryMs: Math.round(input.queryMs), buildMs: Math.round(performance.now() - t0) },
  };
}
