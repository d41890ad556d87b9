import { ApiError } from '../../shared/errors';
import type { GraphOptions } from '../../shared/contract/graph';
import type { ElementDetail, Graph, GraphEdge, GraphNode, RoutingObjectRef, SecurityPolicy, TimeSeries, TrafficRow } from '../../shared/graph/types';
import { toErrorShape } from '../api/router';
import { withTimeout } from '../util/abort';
import { indexRouting } from './appenders/routing';
import { securityFor } from './appenders/security';
import type { PromQuerier, RangeSample, RoutingSnapshot } from './ports';
import { quote, windowSeconds } from './promql';

/**
 * The side panel: golden signals over the window for one node or edge (range queries, one per
 * signal), its inbound and outbound rows (from the graph already built), the routing objects
 * that act on it and the security policy in force.
 */

type Sel = Record<string, string>;
const sel = (m: Sel, extra = '') => `{${[...Object.entries(m).map(([k, v]) => (v.startsWith('!') ? `${k}!=${quote(v.slice(1))}` : `${k}=${quote(v)}`)), extra].filter(Boolean).join(',')}}`;

/** Istio matchers for one end of a request. */
function istioSide(n: GraphNode, side: 'source' | 'destination'): Sel {
  if (n.type === 'unknown') return { [`${side}_workload`]: 'unknown' };
  if (n.type === 'service') return side === 'destination' ? { destination_service_namespace: n.namespace, destination_service_name: n.name } : {};
  if (n.workload && n.id.startsWith('wl:')) return { [`${side}_workload_namespace`]: n.namespace, [`${side}_workload`]: n.workload };
  const m: Sel = { [`${side}_workload_namespace`]: n.namespace, [`${side}_canonical_service`]: n.app ?? n.name };
  if (n.id.startsWith('vapp:') && n.version) m[`${side}_canonical_revision`] = n.version;
  return m;
}

function linkerdSide(n: GraphNode, side: 'source' | 'destination'): Sel {
  const p = side === 'source' ? '' : 'dst_';
  if (n.type === 'service') return side === 'destination' ? { dst_namespace: n.namespace, dst_service: n.name } : {};
  if (n.type === 'unknown') return {};
  return { [`${p}namespace`]: n.namespace, [`${p}deployment`]: n.workload ?? n.app ?? n.name };
}

interface SignalQueries { total: string; errors: string; p: (q: number) => string }

function istioSignals(selector: string, rate: string): SignalQueries {
  const inner = selector.slice(1, -1);
  return {
    total: `sum(rate(istio_requests_total${selector}[${rate}]))`,
    errors: `sum(rate(istio_requests_total{${inner}${inner ? ',' : ''}response_code=~"4..|5..|0|-"}[${rate}]))`,
    p: (q) => `histogram_quantile(${q}, sum by (le) (rate(istio_request_duration_milliseconds_bucket${selector}[${rate}])))`,
  };
}

function linkerdSignals(selector: string, rate: string): SignalQueries {
  const inner = selector.slice(1, -1);
  return {
    total: `sum(rate(response_total${selector}[${rate}]))`,
    errors: `sum(rate(response_total{${inner},classification="failure"}[${rate}]))`,
    p: (q) => `histogram_quantile(${q}, sum by (le) (rate(response_latency_ms_bucket${selector}[${rate}])))`,
  };
}

/** Selector for a node's own requests: what it serves, or (a traffic source) what it sends. */
function nodeSelector(n: GraphNode): { istio: string; linkerd: string } {
  const outbound = n.isRoot || n.type === 'unknown';
  if (outbound) {
    return {
      istio: sel({ reporter: n.type === 'unknown' ? 'destination' : 'source', ...istioSide(n, 'source') }),
      linkerd: n.type === 'unknown' ? sel({ direction: 'inbound' }, 'tls!="true"') : sel({ direction: 'outbound', ...linkerdSide(n, 'source') }),
    };
  }
  return {
    istio: sel({ reporter: 'destination', ...istioSide(n, 'destination') }),
    linkerd: n.type === 'service' ? sel({ direction: 'outbound', ...linkerdSide(n, 'destination') }) : sel({ direction: 'inbound', namespace: n.namespace, deployment: n.workload ?? n.app ?? n.name }),
  };
}

function edgeSelector(e: GraphEdge, src: GraphNode, dst: GraphNode): string {
  if (e.mesh === 'istio') {
    const reporter = src.type === 'unknown' ? 'destination' : 'source';
    // An edge out of a service node (service -> workload): the service is the destination's service.
    const from = src.type === 'service' ? { destination_service_namespace: src.namespace, destination_service_name: src.name } : istioSide(src, 'source');
    return sel({ reporter, ...from, ...istioSide(dst, 'destination') });
  }
  if (src.type === 'unknown') return sel({ direction: 'inbound', namespace: dst.namespace, deployment: dst.workload ?? dst.name }, 'tls!="true"');
  const from = src.type === 'service' ? { dst_namespace: src.namespace, dst_service: src.name } : linkerdSide(src, 'source');
  return sel({ direction: 'outbound', ...from, ...linkerdSide(dst, 'destination') });
}

/** Points of several answers (one per context) merged by time, taking the largest: a shared Prometheus is not counted twice. */
function mergeMax(answers: RangeSample[][]): Map<number, number> {
  const out = new Map<number, number>();
  for (const a of answers) for (const s of a) for (const p of s.values) if (Number.isFinite(p.v)) out.set(p.t, Math.max(out.get(p.t) ?? -Infinity, p.v));
  return out;
}

const toSeries = (name: string, m: Map<number, number>): TimeSeries => ({
  name, points: [...m.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v: Math.round(v * 10_000) / 10_000 })),
});

function rows(g: Graph, nodes: Map<string, GraphNode>, edges: GraphEdge[], peerOf: (e: GraphEdge) => string): TrafficRow[] {
  return edges
    .map((e) => {
      const peer = nodes.get(peerOf(e));
      return {
        peer: peerOf(e), peerName: peer?.name ?? peerOf(e), peerNamespace: peer?.namespace ?? '', protocol: e.protocol,
        rate: e.rate, errorPct: e.errorPct, p95: e.responseTime?.p95 ?? null, mtlsPct: e.mtlsPct,
      };
    })
    .sort((a, b) => b.rate - a.rate);
}

export interface DetailInput {
  graph: Graph;
  id: string;
  options: GraphOptions;
  signal: AbortSignal;
  now: number;
  timeoutMs: number;
  warnings: string[];
  routing: Map<string, RoutingSnapshot | null>;
  clusterOf: (contextId: string) => string;
  prometheus: (contextId: string) => PromQuerier | Promise<PromQuerier>;
}

export async function elementDetail(d: DetailInput): Promise<ElementDetail> {
  const g = d.graph;
  const nodes = new Map(g.nodes.map((n) => [n.id, n]));
  const node = nodes.get(d.id);
  const edge = node ? undefined : g.edges.find((e) => e.id === d.id);
  if (!node && !edge) throw new ApiError('NOT_FOUND', `No node or edge ${JSON.stringify(d.id.slice(0, 200))} in the current graph.`, { field: 'id' });

  const mesh = node ? node.mesh : edge!.mesh;
  let selector: string;
  let title: string;
  let focus: GraphNode | undefined;
  if (node) {
    const s = nodeSelector(node);
    selector = mesh === 'linkerd' ? s.linkerd : s.istio;
    title = `${node.type} ${node.namespace === 'unknown' ? '' : `${node.namespace}/`}${node.name}${node.version && node.id.startsWith('vapp:') ? ` ${node.version}` : ''}`;
    focus = node;
  } else {
    const src = nodes.get(edge!.source)!;
    const dst = nodes.get(edge!.target)!;
    selector = edgeSelector(edge!, src, dst);
    title = `${src.name} → ${dst.name} (${edge!.protocol})`;
    focus = dst;
  }

  // The charts cover the window, at least 10 minutes so a 1m graph still has a history.
  const span = Math.max(windowSeconds(d.options.window), 600);
  const step = Math.max(5, Math.round(span / 60));
  const rate = `${Math.max(2 * step, 30)}s`;
  const end = Math.floor((d.options.at ?? d.now) / 1000) * 1000;
  const start = end - span * 1000;
  const q = mesh === 'linkerd' ? linkerdSignals(selector, rate) : istioSignals(selector, rate);
  const exprs = { total: q.total, errors: q.errors, p50: q.p(0.5), p95: q.p(0.95), p99: q.p(0.99) };

  const warnings = [...d.warnings];
  const results: Record<keyof typeof exprs, RangeSample[][]> = { total: [], errors: [], p50: [], p95: [], p99: [] };
  await Promise.all(
    d.options.contexts.flatMap((c) =>
      (Object.keys(exprs) as (keyof typeof exprs)[]).map(async (k) => {
        try {
          const prom = await d.prometheus(c);
          results[k].push(await prom.range(exprs[k], start, end, step, withTimeout(d.timeoutMs, d.signal)));
        } catch (err) {
          if (d.signal.aborted) throw new ApiError('CANCELLED', 'The detail request was cancelled.');
          const m = `${k} (${d.clusterOf(c)}): ${toErrorShape(err).message}`;
          if (!warnings.includes(m)) warnings.push(m);
        }
      }),
    ),
  );
  const total = mergeMax(results.total);
  const errors = mergeMax(results.errors);
  const success = new Map<number, number>();
  for (const [t, v] of total) if (v > 0) success.set(t, (1 - (errors.get(t) ?? 0) / v) * 100);

  // Routing objects of the services it is reached through; security of the workload it is (or the edge's target).
  const routing: RoutingObjectRef[] = [];
  let security: SecurityPolicy | null = null;
  for (const c of d.options.contexts) {
    const snap = d.routing.get(c);
    if (!snap || !focus) continue;
    if (d.options.contexts.length > 1 && focus.cluster !== d.clusterOf(c)) continue;
    const index = indexRouting(snap);
    for (const s of focus.services) for (const r of index.get(s)?.refs ?? []) if (!routing.some((x) => x.kind === r.kind && x.name === r.name && x.namespace === r.namespace)) routing.push(r);
    if (focus.type !== 'service' && focus.type !== 'unknown') security = securityFor(focus, snap);
  }

  return {
    id: d.id,
    kind: node ? 'node' : 'edge',
    title,
    series: {
      rps: toSeries('requests/s', total),
      successRate: toSeries('success %', success),
      p50: toSeries('p50 ms', mergeMax(results.p50)),
      p95: toSeries('p95 ms', mergeMax(results.p95)),
      p99: toSeries('p99 ms', mergeMax(results.p99)),
    },
    inbound: node ? rows(g, nodes, g.edges.filter((e) => e.target === node.id), (e) => e.source) : [],
    outbound: node ? rows(g, nodes, g.edges.filter((e) => e.source === node.id), (e) => e.target) : [],
    routing,
    security,
    warnings,
  };
}
