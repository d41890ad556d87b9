import type { Badge, GraphNode, RoutingObjectRef } from '../../../shared/graph/types';
import type { KubeObject, RoutingSnapshot } from '../ports';

// Spec fields are read defensively: objects come from clusters we do not control.
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A service host as written in a routing object -> `namespace/name`, relative to the object's namespace. */
export function serviceKey(host: string, ns: string): string | null {
  if (host === '' || host.includes('*')) return null;
  const parts = host.split('.');
  if (parts.length === 1) return `${ns}/${parts[0]}`;
  return `${parts[1]}/${parts[0]}`;
}

export interface RoutingEntry {
  badges: Set<Badge>;
  refs: RoutingObjectRef[];
}

/** Routing objects indexed by the service they act on, once per snapshot (never nodes x objects). */
export type RoutingIndex = Map<string, RoutingEntry>;

function destName(d: unknown): string {
  const dest = obj(obj(d)?.destination);
  const host = str(dest?.host) ?? '?';
  const subset = str(dest?.subset);
  return `${host.split('.')[0]}${subset ? `/${subset}` : ''}`;
}

function describeVirtualService(spec: Obj): { badges: Set<Badge>; summary: string[] } {
  const badges = new Set<Badge>();
  const summary: string[] = [];
  for (const route of [...arr(spec.http), ...arr(spec.tcp), ...arr(spec.tls)]) {
    const r = obj(route);
    if (!r) continue;
    const dests = arr(r.route);
    if (dests.length > 1) {
      badges.add('trafficShifting');
      summary.push(`weights ${dests.map((d) => `${destName(d)} ${num(obj(d)?.weight) ?? 0}`).join(' / ')}`);
    }
    const fault = obj(r.fault);
    if (fault) {
      badges.add('faultInjection');
      const abort = obj(fault.abort);
      const delay = obj(fault.delay);
      if (abort) summary.push(`fault abort ${num(abort.httpStatus) ?? '?'} at ${num(obj(abort.percentage)?.value) ?? 100}%`);
      if (delay) summary.push(`fault delay ${str(delay.fixedDelay) ?? '?'} at ${num(obj(delay.percentage)?.value) ?? 100}%`);
    }
    if (r.mirror !== undefined || arr(r.mirrors).length > 0) {
      badges.add('mirroring');
      summary.push(`mirror to ${str(obj(r.mirror)?.host)?.split('.')[0] ?? 'several'}${num(obj(r.mirrorPercentage)?.value) !== null ? ` at ${num(obj(r.mirrorPercentage)?.value)}%` : ''}`);
    }
    if (arr(r.match).length > 0) {
      badges.add('requestRouting');
      summary.push('match rules');
    }
    if (r.timeout !== undefined || r.retries !== undefined) {
      badges.add('timeout');
      summary.push([str(r.timeout) ? `timeout ${str(r.timeout)}` : '', obj(r.retries) ? `retries ${num(obj(r.retries)?.attempts) ?? '?'}` : ''].filter(Boolean).join(', '));
    }
  }
  return { badges, summary };
}

function describeDestinationRule(spec: Obj): { badges: Set<Badge>; summary: string[] } {
  const badges = new Set<Badge>();
  const summary: string[] = [];
  const policies = [obj(spec.trafficPolicy), ...arr(spec.subsets).map((s) => obj(obj(s)?.trafficPolicy))];
  for (const p of policies) {
    if (!p) continue;
    const od = obj(p.outlierDetection);
    if (od) {
      badges.add('circuitBreaker');
      summary.push(`outlier detection${num(od.consecutive5xxErrors) !== null ? ` after ${num(od.consecutive5xxErrors)} 5xx` : ''}`);
    }
    if (obj(p.connectionPool)) {
      badges.add('circuitBreaker');
      summary.push('connection pool limits');
    }
    const tls = str(obj(p.tls)?.mode);
    if (tls) summary.push(`tls ${tls}`);
  }
  const subsets = arr(spec.subsets).map((s) => str(obj(s)?.name)).filter((s): s is string => s !== null);
  if (subsets.length) summary.push(`subsets ${subsets.join(', ')}`);
  return { badges, summary };
}

function describeHttpRoute(spec: Obj): { badges: Set<Badge>; summary: string[] } {
  const badges = new Set<Badge>();
  const summary: string[] = [];
  for (const rule of arr(spec.rules)) {
    const r = obj(rule);
    if (!r) continue;
    const backends = arr(r.backendRefs).map(obj).filter((b): b is Obj => b !== null);
    if (backends.length > 1) {
      badges.add('trafficShifting');
      summary.push(`weights ${backends.map((b) => `${str(b.name) ?? '?'} ${num(b.weight) ?? 1}`).join(' / ')}`);
    }
    // Linkerd has no fault primitive: its documented way is a weighted backend that always fails.
    if (backends.some((b) => /error-injector|fault/.test(str(b.name) ?? ''))) badges.add('faultInjection');
    if (arr(r.filters).some((f) => str(obj(f)?.type) === 'RequestMirror')) {
      badges.add('mirroring');
      summary.push('mirror');
    }
    if (arr(r.matches).some((m) => Object.keys(obj(m) ?? {}).some((k) => k !== 'path') || str(obj(obj(m)?.path)?.value) !== '/')) {
      badges.add('requestRouting');
      summary.push('match rules');
    }
    if (obj(r.timeouts)) {
      badges.add('timeout');
      summary.push(`timeout ${str(obj(r.timeouts)?.request) ?? ''}`.trim());
    }
  }
  return { badges, summary };
}

function describeTrafficSplit(spec: Obj): { badges: Set<Badge>; summary: string[] } {
  const backends = arr(spec.backends).map(obj).filter((b): b is Obj => b !== null);
  const badges = new Set<Badge>(backends.length > 1 ? ['trafficShifting'] : []);
  return { badges, summary: [`weights ${backends.map((b) => `${str(b.service) ?? '?'} ${num(b.weight) ?? str(b.weight) ?? 0}`).join(' / ')}`] };
}

/** The services a routing object acts on. */
function targets(o: KubeObject): string[] {
  const ns = o.metadata.namespace ?? 'default';
  const spec = obj(o.spec) ?? {};
  switch (o.kind) {
    case 'VirtualService':
      return arr(spec.hosts).map((h) => serviceKey(str(h) ?? '', ns)).filter((k): k is string => k !== null);
    case 'DestinationRule': {
      const k = serviceKey(str(spec.host) ?? '', ns);
      return k ? [k] : [];
    }
    case 'HTTPRoute':
    case 'GRPCRoute': {
      // Mesh (GAMMA / Linkerd) routes hang off a Service; gateway routes are not badges of a service node.
      const parents = arr(spec.parentRefs)
        .map(obj)
        .filter((p): p is Obj => p !== null && str(p.kind) === 'Service')
        .map((p) => `${str(p.namespace) ?? ns}/${str(p.name) ?? ''}`);
      if (parents.length === 0) return [];
      // Meshes report the backend services as destinations (search-v1, search-v2), so the split
      // shows on them too, not only on the parent service the callers address.
      const backends = arr(spec.rules).flatMap((r) => arr(obj(r)?.backendRefs)).map(obj)
        .filter((b): b is Obj => b !== null && (b.kind === undefined || str(b.kind) === 'Service') && str(b.name) !== null)
        .map((b) => `${str(b.namespace) ?? ns}/${str(b.name)}`);
      return [...new Set([...parents, ...backends])];
    }
    case 'TrafficSplit': {
      const apex = serviceKey(str(spec.service) ?? '', ns);
      const backends = arr(spec.backends).map((b) => serviceKey(str(obj(b)?.service) ?? '', ns)).filter((k): k is string => k !== null);
      return [...new Set([...(apex ? [apex] : []), ...backends])];
    }
    default:
      return [];
  }
}

function describe(o: KubeObject): { badges: Set<Badge>; summary: string[] } {
  const spec = obj(o.spec) ?? {};
  switch (o.kind) {
    case 'VirtualService': return describeVirtualService(spec);
    case 'DestinationRule': return describeDestinationRule(spec);
    case 'HTTPRoute':
    case 'GRPCRoute': return describeHttpRoute(spec);
    case 'TrafficSplit': return describeTrafficSplit(spec);
    default: return { badges: new Set(), summary: [] };
  }
}

export function indexRouting(snap: RoutingSnapshot): RoutingIndex {
  const index: RoutingIndex = new Map();
  for (const o of snap.objects) {
    const keys = targets(o);
    if (keys.length === 0) continue;
    const d = describe(o);
    const ref: RoutingObjectRef = {
      kind: o.kind, apiVersion: o.apiVersion, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name,
      summary: d.summary.filter(Boolean).join('; ') || 'no routing rules', badges: [...d.badges],
    };
    for (const k of keys) {
      let e = index.get(k);
      if (!e) index.set(k, (e = { badges: new Set(), refs: [] }));
      for (const b of d.badges) e.badges.add(b);
      e.refs.push(ref);
    }
  }
  return index;
}

/** Badges land on service nodes (on the workloads behind a service when service nodes are off). */
export function appendRoutingBadges(nodes: Iterable<GraphNode>, index: RoutingIndex, opts: { serviceNodesShown: boolean }): void {
  for (const n of nodes) {
    if (opts.serviceNodesShown && n.type !== 'service') continue;
    for (const s of n.services) {
      const e = index.get(s);
      if (!e) continue;
      for (const b of e.badges) if (!n.badges.includes(b)) n.badges.push(b);
    }
  }
}
