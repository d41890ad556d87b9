import { ApiError } from '../../shared/errors';
import type { ApiErrorShape } from '../../shared/errors';
import type { GraphOptions } from '../../shared/contract/graph';
import { DEFAULT_THRESHOLDS } from '../../shared/graph/types';
import type { ElementDetail, Graph, MeshKind } from '../../shared/graph/types';
import { toErrorShape } from '../api/router';
import { withTimeout } from '../util/abort';
import { buildGraph } from './build';
import type { QueryOutcome } from './build';
import { elementDetail } from './detail';
import type { GraphSources, RoutingSnapshot, Sample } from './ports';
import { windowSeconds } from './promql';
import { istioQueries, linkerdQueries } from './queries';
import type { PlannedQuery } from './queries';
import { LastGood } from './stale-cache';

export interface GraphServiceOptions {
  sources: GraphSources;
  /** Per query (default 10 s). */
  queryTimeoutMs?: number;
  /** Routing objects change rarely: reuse a snapshot this long (default 15 s). */
  routingTtlMs?: number;
  now?: () => number;
}

export interface GraphService {
  get(opts: GraphOptions, signal: AbortSignal): Promise<Graph>;
  detail(opts: GraphOptions, id: string, signal: AbortSignal): Promise<ElementDetail>;
  /** Every query the last `get` issued, per context: the bench replays them raw. */
  lastPlan(): { contextId: string; promql: string; time: number }[];
}

/** Errors that mean "Prometheus could not answer", for which the last good answer is kept. */
const TRANSIENT = new Set<ApiErrorShape['code']>(['UNREACHABLE', 'TIMEOUT', 'UPSTREAM', 'TLS', 'NOT_CONNECTED', 'INTERNAL', 'UNAUTHORIZED', 'FORBIDDEN']);

export function optionsKey(o: GraphOptions): string {
  return JSON.stringify([[...o.contexts].sort(), [...o.namespaces].sort(), o.graphType, o.window, o.mesh, o.idleEdges, o.injectServiceNodes, o.thresholds ?? null]);
}

export function createGraphService(so: GraphServiceOptions): GraphService {
  const now = so.now ?? Date.now;
  const timeoutMs = so.queryTimeoutMs ?? 10_000;
  const routingTtl = so.routingTtlMs ?? 15_000;
  const answers = new LastGood<Sample[]>(512);
  const routingCache = new Map<string, { snap: RoutingSnapshot; at: number }>();
  const lastGraphs = new Map<string, Graph>();
  let plan: { contextId: string; promql: string; time: number }[] = [];

  async function runQuery(contextId: string, q: PlannedQuery, at: number, signal: AbortSignal): Promise<QueryOutcome> {
    const key = `${contextId}\n${q.promql}`;
    try {
      const prom = await so.sources.prometheus(contextId);
      const samples = await prom.instant(q.promql, at, withTimeout(timeoutMs, signal));
      answers.ok(key, samples, now());
      return { contextId, query: q, samples, error: null, staleSince: null };
    } catch (err) {
      if (signal.aborted) throw new ApiError('CANCELLED', 'The graph request was cancelled.');
      const error = toErrorShape(err);
      const last = TRANSIENT.has(error.code) ? answers.failed(key, now()) : undefined;
      if (last) return { contextId, query: q, samples: last.value, error, staleSince: new Date(last.failingSince ?? now()).toISOString() };
      return { contextId, query: q, samples: null, error, staleSince: null };
    }
  }

  async function routingFor(contextId: string, namespaces: string[], signal: AbortSignal, warnings: string[]): Promise<RoutingSnapshot | null> {
    const key = `${contextId}\n${[...namespaces].sort().join(',')}`;
    const cached = routingCache.get(key);
    if (cached && now() - cached.at < routingTtl) return cached.snap;
    try {
      const reader = await so.sources.routing(contextId);
      if (!reader) return null;
      const snap = await reader.snapshot(namespaces, withTimeout(timeoutMs, signal));
      routingCache.set(key, { snap, at: now() });
      return snap;
    } catch (err) {
      if (signal.aborted) throw new ApiError('CANCELLED', 'The graph request was cancelled.');
      warnings.push(`Routing objects (${so.sources.clusterName(contextId)}): ${toErrorShape(err).message}${cached ? ' — showing the last ones read' : ''}`);
      return cached?.snap ?? null;
    }
  }

  async function get(opts: GraphOptions, signal: AbortSignal): Promise<Graph> {
    const at = Math.floor((opts.at ?? now()) / 1000) * 1000;
    const contexts = opts.contexts.map((contextId) => ({ contextId, cluster: so.sources.clusterName(contextId) }));
    const meshes: MeshKind[] = opts.mesh === 'auto' ? ['istio', 'linkerd'] : [opts.mesh];
    const planInput = { namespaces: opts.namespaces, range: `${windowSeconds(opts.window)}s`, idleEdges: opts.idleEdges };
    const queries = meshes.flatMap((m) => (m === 'istio' ? istioQueries(planInput) : linkerdQueries(planInput)));
    plan = contexts.flatMap((c) => queries.map((q) => ({ contextId: c.contextId, promql: q.promql, time: at })));

    const routingWarnings: string[] = [];
    const t0 = performance.now();
    const [outcomes, snaps] = await Promise.all([
      Promise.all(contexts.flatMap((c) => queries.map((q) => runQuery(c.contextId, q, at, signal)))),
      Promise.all(contexts.map(async (c) => [c.contextId, await routingFor(c.contextId, opts.namespaces, signal, routingWarnings)] as const)),
    ]);
    const queryMs = performance.now() - t0;

    const traffic = outcomes.filter((o) => o.query.concern === 'traffic');
    if (traffic.every((o) => o.samples === null)) {
      const e = traffic.find((o) => o.error)?.error ?? { code: 'INTERNAL' as const, message: 'No traffic query ran.' };
      throw new ApiError(e.code, e.message, { details: { contexts: contexts.map((c) => c.cluster).join(', ') } });
    }

    const graph = buildGraph({
      options: {
        graphType: opts.graphType, namespaces: opts.namespaces, injectServiceNodes: opts.injectServiceNodes,
        idleEdges: opts.idleEdges, thresholds: opts.thresholds ?? DEFAULT_THRESHOLDS, window: opts.window,
      },
      at, contexts, outcomes, routing: new Map(snaps), queryMs,
    });
    graph.warnings.push(...routingWarnings);
    for (const o of traffic) {
      if (o.samples === null && o.error) graph.warnings.push(`Traffic (${o.query.mesh}, ${so.sources.clusterName(o.contextId)}): ${o.error.message}`);
    }
    const staleOnes = outcomes.filter((o) => o.staleSince !== null);
    if (staleOnes.length) {
      const first = staleOnes.reduce((a, b) => (a.staleSince! <= b.staleSince! ? a : b));
      graph.stale = { reason: first.error?.message ?? 'Prometheus did not answer', code: first.error?.code ?? 'UPSTREAM', since: first.staleSince! };
    }
    lastGraphs.set(optionsKey(opts), graph);
    if (lastGraphs.size > 16) lastGraphs.delete(lastGraphs.keys().next().value as string);
    return graph;
  }

  return {
    get,
    async detail(opts, id, signal) {
      const graph = lastGraphs.get(optionsKey(opts)) ?? (await get(opts, signal));
      const warnings: string[] = [];
      const snaps = new Map<string, RoutingSnapshot | null>();
      for (const c of opts.contexts) snaps.set(c, await routingFor(c, opts.namespaces, signal, warnings));
      return elementDetail({
        graph, id, options: opts, signal, now: now(), timeoutMs, warnings, routing: snaps,
        clusterOf: (c) => so.sources.clusterName(c),
        prometheus: (c) => so.sources.prometheus(c),
      });
    },
    lastPlan: () => plan,
  };
}
