/**
 * The routing the simulated proxies obey, built from the cluster's objects: Istio VirtualService +
 * DestinationRule, Gateway API HTTPRoute (GAMMA: parentRef is a Service), SMI TrafficSplit.
 * Who obeys what (a simplification of the real data planes, stated once here):
 *   - Istio sidecars and the ingress gateway: VirtualService first, else HTTPRoute, else
 *     TrafficSplit, else plain Service. (Real Istio ignores SMI; the demo's only caller of the
 *     Linkerd-side split is Istio-meshed, so the split is honoured for every proxied client.)
 *   - Linkerd proxies: HTTPRoute first, else TrafficSplit, else plain Service.
 *   - `unknown` sources (no proxy): plain Service (kube-proxy spreads over ready endpoints).
 *   - VirtualServices bound to a Gateway by an external host (shop.example.com) are not applied.
 * Objects are read defensively: a malformed route is skipped (and counted), never thrown.
 */
import type { Mesh, MeshKind, Service, Workload } from './mesh';
import type { Rng } from './rng';

export interface RoutingObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; generation?: number; resourceVersion?: string };
  spec?: unknown;
  [k: string]: unknown;
}

export interface RoutingObjects {
  virtualServices: RoutingObject[];
  destinationRules: RoutingObject[];
  httpRoutes: RoutingObject[];
  trafficSplits: RoutingObject[];
}

export const emptyRoutingObjects = (): RoutingObjects => ({ virtualServices: [], destinationRules: [], httpRoutes: [], trafficSplits: [] });

/** One simulated request as the client proxy sees it. */
export interface RouteRequest {
  /** null: a client without a proxy. */
  source: Workload | null;
  sourceMesh: MeshKind;
  service: Service;
  headers: Record<string, string>;
  path: string;
}

export interface Fault {
  delayMs?: number;
  abort?: { httpStatus: number; grpcStatus?: number };
}

export interface RouteDecision {
  kind: 'virtualservice' | 'httproute' | 'trafficsplit' | 'service';
  /** Name of the object that decided (`ns/name`), for stats and debugging. */
  by: string | null;
  /** The service the request ends up at (TrafficSplit and HTTPRoute backends may be other services). */
  service: Service | null;
  /** The workloads the request may land on (subset applied); empty: no healthy upstream. */
  workloads: Workload[];
  subset: string | null;
  fault: Fault;
  mirror: { service: Service; workloads: Workload[] } | null;
  timeoutMs: number | null;
  retries: { attempts: number; retryOn: string[] } | null;
}

// ---------- small readers for untyped JSON ----------
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** `1.5s`, `250ms`, `2m`, `1h` → ms; Istio and Gateway API durations. */
export function parseDurationMs(v: unknown): number | null {
  const s = str(v);
  if (!s) return null;
  let total = 0;
  let matched = '';
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === 'ms' ? n : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n * 3_600_000;
    matched += m[0];
  }
  return matched === s && matched !== '' ? total : null;
}

/** SMI weights: numbers or quantities ("500m", "1"). */
export function parseWeight(v: unknown): number {
  if (typeof v === 'number') return Math.max(0, v);
  const s = str(v);
  if (!s) return 0;
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(s.trim());
  if (!m) return 0;
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

/** Istio `percentage: {value}` (0..100) or the legacy integer `percent`; absent means 100. */
function percentOf(o: Obj, pctKey: string, legacyKey: string): number {
  const p = o[pctKey];
  if (isObj(p)) return num(p.value) ?? 0;
  const legacy = num(o[legacyKey]);
  return legacy ?? 100;
}

function weightedPick<T>(items: readonly { item: T; weight: number }[], rng: Rng): T | null {
  let total = 0;
  for (const i of items) total += i.weight;
  if (total <= 0) return null;
  let r = rng.next() * total;
  for (const i of items) {
    r -= i.weight;
    if (r < 0) return i.item;
  }
  return items[items.length - 1]?.item ?? null;
}

function matchString(m: unknown, value: string | undefined): boolean {
  if (!isObj(m)) return true;
  if (value === undefined) return false;
  const exact = str(m.exact);
  if (exact !== undefined) return value === exact;
  const prefix = str(m.prefix);
  if (prefix !== undefined) return value.startsWith(prefix);
  const regex = str(m.regex);
  if (regex !== undefined) {
    try {
      // Envoy's RE2 matches the whole value.
      return new RegExp(`^(?:${regex})$`).test(value);
    } catch {
      return false;
    }
  }
  return true;
}

export class RoutingTable {
  /** Routes that could not be read (malformed); the simulator reports them in stats(). */
  readonly skipped: string[] = [];
  private readonly vsByHost = new Map<string, Obj[]>();
  private readonly drByHost = new Map<string, Obj[]>();
  private readonly routesByParent = new Map<string, RoutingObject[]>();
  private readonly splitByApex = new Map<string, RoutingObject>();

  constructor(
    private readonly mesh: Mesh,
    objects: RoutingObjects,
  ) {
    for (const vs of objects.virtualServices) {
      const spec = vs.spec;
      const ns = vs.metadata.namespace ?? 'default';
      if (!isObj(spec)) {
        this.skipped.push(`VirtualService ${ns}/${vs.metadata.name}: no spec`);
        continue;
      }
      const hosts = arr(spec.hosts).map(str).filter((h): h is string => !!h);
      for (const h of hosts) {
        const svc = this.resolveHost(h, ns);
        if (!svc) continue;
        const list = this.vsByHost.get(svc.key) ?? [];
        list.push({ ...spec, __ns: ns, __name: vs.metadata.name ?? '' });
        this.vsByHost.set(svc.key, list);
      }
    }
    for (const dr of objects.destinationRules) {
      const spec = dr.spec;
      const ns = dr.metadata.namespace ?? 'default';
      if (!isObj(spec)) continue;
      const svc = this.resolveHost(str(spec.host) ?? '', ns);
      if (!svc) continue;
      const list = this.drByHost.get(svc.key) ?? [];
      list.push(spec);
      this.drByHost.set(svc.key, list);
    }
    for (const r of objects.httpRoutes) {
      const spec = r.spec;
      const ns = r.metadata.namespace ?? 'default';
      if (!isObj(spec)) continue;
      for (const p of arr(spec.parentRefs)) {
        if (!isObj(p)) continue;
        const kind = str(p.kind) ?? 'Gateway';
        if (kind !== 'Service') continue;
        const key = `${str(p.name)}.${str(p.namespace) ?? ns}`;
        const list = this.routesByParent.get(key) ?? [];
        list.push(r);
        this.routesByParent.set(key, list);
      }
    }
    for (const t of objects.trafficSplits) {
      const spec = t.spec;
      const ns = t.metadata.namespace ?? 'default';
      if (!isObj(spec)) continue;
      const apex = this.resolveHost(str(spec.service) ?? '', ns);
      if (apex) this.splitByApex.set(apex.key, t);
    }
  }

  /** `reviews`, `reviews.shop`, `reviews.shop.svc`, `reviews.shop.svc.cluster.local` (relative to `ns`). */
  resolveHost(host: string, ns: string): Service | null {
    const parts = host.split('.');
    const name = parts[0];
    if (!name || name === '*') return null;
    const hostNs = parts[1] ?? ns;
    return this.mesh.serviceByKey.get(`${name}.${hostNs}`) ?? null;
  }

  route(req: RouteRequest, rng: Rng): RouteDecision {
    const plain = (): RouteDecision => ({
      kind: 'service', by: null, service: req.service, workloads: req.service.workloads, subset: null,
      fault: {}, mirror: null, timeoutMs: null, retries: null,
    });
    if (req.source === null || req.sourceMesh === 'none') return plain();
    if (req.sourceMesh === 'istio') {
      return this.viaVirtualService(req, rng) ?? this.viaHttpRoute(req, rng) ?? this.viaTrafficSplit(req, rng) ?? plain();
    }
    return this.viaHttpRoute(req, rng) ?? this.viaTrafficSplit(req, rng) ?? plain();
  }

  /** Workloads of `service` whose labels match the DestinationRule subset `subset`. */
  subsetWorkloads(service: Service, subset: string | null): Workload[] | null {
    if (!subset) return service.workloads;
    for (const dr of this.drByHost.get(service.key) ?? []) {
      for (const s of arr(dr.subsets)) {
        if (!isObj(s) || str(s.name) !== subset) continue;
        const labels = isObj(s.labels) ? Object.entries(s.labels) : [];
        return service.workloads.filter((w) =>
          labels.every(([k, v]) => (k === 'version' ? w.version === v : k === 'app' ? w.app === v : false)),
        );
      }
    }
    return null; // unknown subset: Envoy has no such cluster
  }

  private viaVirtualService(req: RouteRequest, rng: Rng): RouteDecision | null {
    const list = this.vsByHost.get(req.service.key);
    if (!list) return null;
    for (const vs of list) {
      const by = `${String(vs.__ns)}/${String(vs.__name)}`;
      for (const rule of arr(vs.http)) {
        if (!isObj(rule)) continue;
        if (!this.vsRuleMatches(rule, req)) continue;
        const dests = arr(rule.route)
          .filter(isObj)
          .map((d) => ({ item: d, weight: num(d.weight) ?? (arr(rule.route).length === 1 ? 100 : 0) }));
        const picked = weightedPick(dests, rng);
        const decision: RouteDecision = {
          kind: 'virtualservice', by, service: null, workloads: [], subset: null,
          fault: {}, mirror: null, timeoutMs: null, retries: null,
        };
        if (picked && isObj(picked.destination)) {
          const d = picked.destination;
          const svc = this.resolveHost(str(d.host) ?? '', String(vs.__ns));
          decision.service = svc;
          decision.subset = str(d.subset) ?? null;
          decision.workloads = svc ? (this.subsetWorkloads(svc, decision.subset) ?? []) : [];
        }
        const fault = rule.fault;
        if (isObj(fault)) {
          if (isObj(fault.delay) && rng.next() * 100 < percentOf(fault.delay, 'percentage', 'percent')) {
            decision.fault.delayMs = parseDurationMs(fault.delay.fixedDelay) ?? 0;
          }
          if (isObj(fault.abort) && rng.next() * 100 < percentOf(fault.abort, 'percentage', 'percent')) {
            const grpc = str(fault.abort.grpcStatus);
            decision.fault.abort = { httpStatus: num(fault.abort.httpStatus) ?? (grpc ? 200 : 503), ...(grpc ? { grpcStatus: grpcCode(grpc) } : {}) };
          }
        }
        if (isObj(rule.mirror)) {
          const pct = isObj(rule.mirrorPercentage) ? (num(rule.mirrorPercentage.value) ?? 0) : (num(rule.mirrorPercent) ?? 100);
          if (rng.next() * 100 < pct) {
            const svc = this.resolveHost(str(rule.mirror.host) ?? '', String(vs.__ns));
            if (svc) decision.mirror = { service: svc, workloads: this.subsetWorkloads(svc, str(rule.mirror.subset) ?? null) ?? [] };
          }
        }
        decision.timeoutMs = parseDurationMs(rule.timeout);
        if (isObj(rule.retries)) {
          const attempts = num(rule.retries.attempts) ?? 0;
          const retryOn = (str(rule.retries.retryOn) ?? '5xx,connect-failure').split(',').map((s) => s.trim());
          if (attempts > 0) decision.retries = { attempts, retryOn };
        }
        return decision;
      }
    }
    return null;
  }

  private vsRuleMatches(rule: Obj, req: RouteRequest): boolean {
    const matches = arr(rule.match).filter(isObj);
    if (matches.length === 0) return true;
    return matches.some((m) => {
      if (isObj(m.headers)) {
        for (const [name, cond] of Object.entries(m.headers)) if (!matchString(cond, req.headers[name.toLowerCase()])) return false;
      }
      if (isObj(m.withoutHeaders)) {
        for (const [name, cond] of Object.entries(m.withoutHeaders)) if (matchString(cond, req.headers[name.toLowerCase()])) return false;
      }
      if (isObj(m.uri) && !matchString(m.uri, req.path)) return false;
      if (isObj(m.sourceLabels)) {
        const src = req.source;
        if (!src) return false;
        for (const [k, v] of Object.entries(m.sourceLabels)) {
          const have = k === 'app' ? src.app : k === 'version' ? src.version : undefined;
          if (have !== v) return false;
        }
      }
      const sn = str(m.sourceNamespace);
      if (sn !== undefined && req.source?.namespace !== sn) return false;
      return true;
    });
  }

  private viaHttpRoute(req: RouteRequest, rng: Rng): RouteDecision | null {
    const routes = this.routesByParent.get(req.service.key);
    if (!routes) return null;
    for (const r of routes) {
      const spec = r.spec as Obj;
      const ns = r.metadata.namespace ?? 'default';
      for (const rule of arr(spec.rules)) {
        if (!isObj(rule)) continue;
        const matches = arr(rule.matches).filter(isObj);
        const ok = matches.length === 0 || matches.some((m) => httpRouteMatch(m, req));
        if (!ok) continue;
        const refs = arr(rule.backendRefs)
          .filter(isObj)
          .map((b) => ({ item: b, weight: num(b.weight) ?? 1 }));
        const picked = weightedPick(refs, rng);
        const svc = picked ? this.resolveHost(str(picked.name) ?? '', str(picked.namespace) ?? ns) : null;
        const decision: RouteDecision = {
          kind: 'httproute', by: `${ns}/${r.metadata.name}`, service: svc, workloads: svc?.workloads ?? [], subset: null,
          fault: {}, mirror: null, timeoutMs: null, retries: null,
        };
        if (isObj(rule.timeouts)) decision.timeoutMs = parseDurationMs(rule.timeouts.request);
        for (const f of arr(rule.filters)) {
          if (!isObj(f) || str(f.type) !== 'RequestMirror' || !isObj(f.requestMirror)) continue;
          const rm = f.requestMirror;
          const pct = num(rm.percent) ?? (isObj(rm.fraction) ? ((num(rm.fraction.numerator) ?? 0) / (num(rm.fraction.denominator) ?? 100)) * 100 : 100);
          const ref = isObj(rm.backendRef) ? rm.backendRef : null;
          const ms = ref ? this.resolveHost(str(ref.name) ?? '', str(ref.namespace) ?? ns) : null;
          if (ms && rng.next() * 100 < pct) decision.mirror = { service: ms, workloads: ms.workloads };
        }
        return decision;
      }
    }
    return null;
  }

  private viaTrafficSplit(req: RouteRequest, rng: Rng): RouteDecision | null {
    const ts = this.splitByApex.get(req.service.key);
    if (!ts) return null;
    const spec = ts.spec as Obj;
    const ns = ts.metadata.namespace ?? 'default';
    const backends = arr(spec.backends)
      .filter(isObj)
      .map((b) => ({ item: b, weight: parseWeight(b.weight) }));
    const picked = weightedPick(backends, rng);
    const svc = picked ? this.resolveHost(str(picked.service) ?? '', ns) : null;
    return {
      kind: 'trafficsplit', by: `${ns}/${ts.metadata.name}`, service: svc, workloads: svc?.workloads ?? [], subset: null,
      fault: {}, mirror: null, timeoutMs: null, retries: null,
    };
  }
}

function httpRouteMatch(m: Obj, req: RouteRequest): boolean {
  for (const h of arr(m.headers)) {
    if (!isObj(h)) continue;
    const name = (str(h.name) ?? '').toLowerCase();
    const value = str(h.value) ?? '';
    const have = req.headers[name];
    if (have === undefined) return false;
    if ((str(h.type) ?? 'Exact') === 'RegularExpression') {
      try {
        if (!new RegExp(`^(?:${value})$`).test(have)) return false;
      } catch {
        return false;
      }
    } else if (have !== value) return false;
  }
  if (isObj(m.path)) {
    const type = str(m.path.type) ?? 'PathPrefix';
    const value = str(m.path.value) ?? '/';
    if (type === 'Exact' && req.path !== value) return false;
    if (type === 'PathPrefix' && !(req.path === value || req.path.startsWith(value.endsWith('/') ? value : `${value}/`) || value === '/')) return false;
  }
  return true;
}

const GRPC_CODES: Record<string, number> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};
function grpcCode(s: string): number {
  return GRPC_CODES[s] ?? (Number.isInteger(Number(s)) ? Number(s) : 2);
}
