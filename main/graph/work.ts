import type { GraphNode, GraphType, MeshKind, NodeType, Protocol, RateSplit, Thresholds } from '../../shared/graph/types';
import { UNKNOWN } from './observe';
import type { DestSide, Side } from './observe';

/**
 * The graph while it is being built: nodes and edges with accumulators the appenders add to.
 * Sums (never averages) until `finalize`, so merging edges (service graph) stays exact.
 */

export interface EdgeAcc {
  id: string;
  source: string;
  target: string;
  protocol: Protocol;
  mesh: MeshKind;
  rates: RateSplit;
  codes: Record<string, number>;
  /** Traffic rate per identity key that flows over this edge: the weights for latency and mTLS. */
  identities: Map<string, number>;
  /** Rate-weighted sums of per-identity percentiles: [sum(v*w), sum(w)]. */
  rt: { p50: [number, number]; p95: [number, number]; p99: [number, number] };
  throughput: number | null;
  mtls: { mutual: number; total: number };
}

export interface BuildOptions {
  graphType: GraphType;
  namespaces: readonly string[];
  injectServiceNodes: boolean;
  idleEdges: boolean;
  thresholds: Thresholds;
}

export interface Work {
  opts: BuildOptions;
  nsSet: Set<string>;
  nodes: Map<string, GraphNode>;
  edges: Map<string, EdgeAcc>;
  /** identity key -> ids of the edges its traffic was drawn on. */
  identityEdges: Map<string, Set<string>>;
  warnings: string[];
}

export function newWork(opts: BuildOptions): Work {
  return { opts, nsSet: new Set(opts.namespaces), nodes: new Map(), edges: new Map(), identityEdges: new Map(), warnings: [] };
}

/** Kubernetes names never hold these; cluster names from kubeconfigs might. */
export function idPart(s: string): string {
  return /[%:|>]/.test(s) ? s.replace(/[%:|>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : s;
}

export const emptySplit = (): RateSplit => ({ total: 0, err4xx: 0, err5xx: 0 });

function node(w: Work, id: string, type: NodeType, side: { cluster: string; namespace: string }, name: string, mesh: MeshKind, extra: Partial<GraphNode>): GraphNode {
  let n = w.nodes.get(id);
  if (!n) {
    n = {
      id, type, parent: null, cluster: side.cluster, namespace: side.namespace, name, mesh,
      traffic: { httpIn: emptySplit(), httpOut: emptySplit(), tcpIn: 0, tcpOut: 0 },
      health: 'na', badges: [], isOutside: type !== 'unknown' && !w.nsSet.has(side.namespace),
      isRoot: false, isIdle: false, services: [], ...extra,
    };
    w.nodes.set(id, n);
  }
  return n;
}

/** The node a workload-side endpoint becomes, by graph type. */
export function workloadNode(w: Work, side: Side, mesh: MeshKind): GraphNode {
  const c = idPart(side.cluster);
  if (side.workload === UNKNOWN) {
    return node(w, `unknown:${c}`, 'unknown', { cluster: side.cluster, namespace: UNKNOWN }, UNKNOWN, mesh, { isOutside: false });
  }
  switch (w.opts.graphType) {
    case 'app':
      return node(w, `app:${c}:${side.namespace}:${side.app}`, 'app', side, side.app, mesh, { app: side.app });
    case 'versionedApp':
      return node(w, `vapp:${c}:${side.namespace}:${side.app}:${side.version}`, 'app', side, side.app, mesh, { app: side.app, version: side.version, workload: side.workload });
    default:
      return node(w, `wl:${c}:${side.namespace}:${side.workload}`, 'workload', side, side.workload, mesh, { workload: side.workload, app: side.app, version: side.version });
  }
}

export function serviceNode(w: Work, dst: DestSide, mesh: MeshKind): GraphNode {
  const ns = dst.serviceNamespace || dst.namespace || UNKNOWN;
  const name = dst.service || UNKNOWN;
  const n = node(w, `svc:${idPart(dst.cluster)}:${ns}:${name}`, 'service', { cluster: dst.cluster, namespace: ns }, name, mesh, { service: name });
  addService(n, `${ns}/${name}`);
  return n;
}

export function addService(n: GraphNode, svc: string): void {
  if (!n.services.includes(svc)) n.services.push(svc);
}

export function edgeId(source: string, target: string, protocol: Protocol): string {
  return `${source}>${target}|${protocol}`;
}

export function edge(w: Work, source: string, target: string, protocol: Protocol, mesh: MeshKind): EdgeAcc {
  const id = edgeId(source, target, protocol);
  let e = w.edges.get(id);
  if (!e) {
    e = {
      id, source, target, protocol, mesh, rates: emptySplit(), codes: {}, identities: new Map(),
      rt: { p50: [0, 0], p95: [0, 0], p99: [0, 0] }, throughput: null, mtls: { mutual: 0, total: 0 },
    };
    w.edges.set(id, e);
  }
  return e;
}

export function linkIdentity(w: Work, key: string, e: EdgeAcc, rate: number): void {
  e.identities.set(key, (e.identities.get(key) ?? 0) + rate);
  let s = w.identityEdges.get(key);
  if (!s) w.identityEdges.set(key, (s = new Set()));
  s.add(e.id);
}

/**
 * The chain of nodes one request passes: caller -> [service ->] workload. A request that reached
 * no workload ends at its service; one without a service (Linkerd inbound) skips it.
 */
export function pathFor(w: Work, o: { src: Side; dst: DestSide; mesh: MeshKind }): GraphNode[] {
  const src = workloadNode(w, o.src, o.mesh);
  if (o.dst.workload === UNKNOWN) return [src, serviceNode(w, o.dst, o.mesh)];
  const dstNode = workloadNode(w, o.dst, o.mesh);
  if (o.dst.service) addService(dstNode, `${o.dst.serviceNamespace || o.dst.namespace}/${o.dst.service}`);
  const viaService = o.dst.service !== '' && (w.opts.injectServiceNodes || w.opts.graphType === 'service');
  return viaService ? [src, serviceNode(w, o.dst, o.mesh), dstNode] : [src, dstNode];
}
