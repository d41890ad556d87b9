/**
 * Reading (and, as a fallback writer, patching) the stable/canary weights of one route of a raw
 * routing object. Destination names follow the routing model in shared/traffic: the Istio subset
 * (or the host when there is no subset), the Gateway API backendRef name, the SMI backend service.
 *
 * The run drives ONE route: the catch-all route (no match conditions) that carries the stable or
 * the canary destination; header routes for A/B are left alone.
 */
import type { CanaryRoutingKind } from '../../shared/canary/spec';
import type { Weights } from '../../shared/canary/types';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    annotations?: Record<string, string> | null;
    labels?: Record<string, string> | null;
    ownerReferences?: { kind?: string; apiVersion?: string; name?: string }[];
    managedFields?: { manager?: string; operation?: string; time?: string }[];
  };
  spec?: unknown;
  [k: string]: unknown;
}

export interface RouteDestination {
  name: string;
  /** Index in the route's destination list. */
  index: number;
  weight: number;
  /** The weight field is absent (the data plane's default applies). */
  implicit: boolean;
}

export interface RouteView {
  /** Index in spec.http / spec.rules (0 for a TrafficSplit). */
  index: number;
  hasMatches: boolean;
  destinations: RouteDestination[];
}

/** Parses "500m", "1", 3 (SMI v1alpha1 weights are Quantities). */
function quantity(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const s = str(v);
  if (!s) return undefined;
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

/** The routes of an object with their destinations and effective weights. */
export function routesOf(kind: CanaryRoutingKind, obj: RawObject): RouteView[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  if (kind === 'VirtualService') {
    return arr(spec.http).map((r, index) => {
      const route = isObj(r) ? r : {};
      const dests = arr(route.route);
      return {
        index,
        hasMatches: arr(route.match).length > 0,
        destinations: dests.map((d, i) => {
          const dd = isObj(d) ? d : {};
          const dest = isObj(dd.destination) ? dd.destination : {};
          const w = typeof dd.weight === 'number' ? dd.weight : undefined;
          return { name: str(dest.subset) ?? str(dest.host) ?? '', index: i, weight: w ?? (dests.length === 1 ? 100 : 0), implicit: w === undefined };
        }),
      };
    });
  }
  if (kind === 'HTTPRoute') {
    return arr(spec.rules).map((r, index) => {
      const rule = isObj(r) ? r : {};
      // A rule whose only match is the default `path prefix /` is a catch-all.
      const matches = arr(rule.matches).filter((m) => {
        if (!isObj(m)) return false;
        const keys = Object.keys(m);
        const p = isObj(m.path) ? m.path : null;
        return !(keys.length === 1 && p && (p.type === 'PathPrefix' || p.type === undefined) && p.value === '/');
      });
      return {
        index,
        hasMatches: matches.length > 0,
        destinations: arr(rule.backendRefs).map((b, i) => {
          const ref = isObj(b) ? b : {};
          const w = typeof ref.weight === 'number' ? ref.weight : undefined;
          return { name: str(ref.name) ?? '', index: i, weight: w ?? 1, implicit: w === undefined };
        }),
      };
    });
  }
  return [
    {
      index: 0,
      hasMatches: false,
      destinations: arr(spec.backends).map((b, i) => {
        const be = isObj(b) ? b : {};
        const w = quantity(be.weight);
        return { name: str(be.service) ?? '', index: i, weight: w ?? 0, implicit: w === undefined };
      }),
    },
  ];
}

export type RoutePick = { ok: true; route: RouteView } | { ok: false; problem: string };

/** The route the run drives: the last catch-all route that names stable or canary. */
export function pickRoute(kind: CanaryRoutingKind, obj: RawObject, stable: string, canary: string): RoutePick {
  const routes = routesOf(kind, obj).filter((r) => r.destinations.some((d) => d.name === stable || d.name === canary));
  if (routes.length === 0) return { ok: false, problem: `No route of ${kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''} sends traffic to "${stable}" or "${canary}".` };
  const catchAll = routes.filter((r) => !r.hasMatches);
  const route = catchAll.length > 0 ? catchAll[catchAll.length - 1] : routes.find((r) => r.destinations.some((d) => d.name === stable) && r.destinations.some((d) => d.name === canary));
  if (!route) return { ok: false, problem: `Every route that names "${stable}" or "${canary}" has match conditions; add a default route first.` };
  if (!route.destinations.some((d) => d.name === stable)) return { ok: false, problem: `The default route does not send traffic to the stable destination "${stable}".` };
  return { ok: true, route };
}

/**
 * Stable and canary as percentages of the route (canary absent = 0 %). Other destinations must carry
 * no traffic: a canary splits the route between two destinations only.
 */
export function weightsOf(kind: CanaryRoutingKind, obj: RawObject, stable: string, canary: string): { weights: Weights | null; problem: string | null; route: number | null } {
  const pick = pickRoute(kind, obj, stable, canary);
  if (!pick.ok) return { weights: null, problem: pick.problem, route: null };
  const total = pick.route.destinations.reduce((s, d) => s + Math.max(0, d.weight), 0);
  const s = pick.route.destinations.filter((d) => d.name === stable).reduce((a, d) => a + d.weight, 0);
  const c = pick.route.destinations.filter((d) => d.name === canary).reduce((a, d) => a + d.weight, 0);
  const others = pick.route.destinations.filter((d) => d.name !== stable && d.name !== canary && d.weight > 0).map((d) => d.name);
  if (total <= 0) return { weights: null, problem: 'The route has no weight on any destination.', route: pick.route.index };
  const canaryPct = Math.round((c / total) * 1000) / 10;
  const stablePct = Math.round((s / total) * 1000) / 10;
  return {
    weights: { stable: stablePct, canary: canaryPct },
    problem: others.length ? `Other destinations carry traffic on this route: ${others.join(', ')}.` : null,
    route: pick.route.index,
  };
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** Ops that set (or add) one annotation and one label, creating the maps when the object has none. */
export function metadataOps(obj: RawObject, annotations: Record<string, string | null>, labels: Record<string, string> = {}): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const has = obj.metadata?.annotations && isObj(obj.metadata.annotations);
  const sets = Object.entries(annotations).filter((e): e is [string, string] => e[1] !== null);
  const dels = Object.entries(annotations).filter(([, v]) => v === null).map(([k]) => k);
  if (!has && sets.length) ops.push({ op: 'add', path: '/metadata/annotations', value: Object.fromEntries(sets) });
  else if (has) {
    for (const [k, v] of sets) ops.push({ op: 'add', path: `/metadata/annotations/${esc(k)}`, value: v });
    for (const k of dels) if (obj.metadata?.annotations?.[k] !== undefined) ops.push({ op: 'remove', path: `/metadata/annotations/${esc(k)}` });
  }
  const hasLabels = obj.metadata?.labels && isObj(obj.metadata.labels);
  const lset = Object.entries(labels).filter(([k, v]) => obj.metadata?.labels?.[k] !== v);
  if (lset.length) {
    if (!hasLabels) ops.push({ op: 'add', path: '/metadata/labels', value: Object.fromEntries(lset) });
    else for (const [k, v] of lset) ops.push({ op: 'add', path: `/metadata/labels/${esc(k)}`, value: v });
  }
  return ops;
}

/**
 * The weight ops for one route (used when the traffic capability's planner is not wired in):
 * replaces the stable and canary weights, adding the canary destination next to the stable one
 * when the route doesn't have it yet. Other fields are left exactly as they are.
 */
export function weightOps(kind: CanaryRoutingKind, obj: RawObject, stable: string, canary: string, w: Weights): JsonPatchOp[] {
  const pick = pickRoute(kind, obj, stable, canary);
  if (!pick.ok) throw new Error(pick.problem);
  const r = pick.route;
  const base = kind === 'VirtualService' ? `/spec/http/${r.index}/route` : kind === 'HTTPRoute' ? `/spec/rules/${r.index}/backendRefs` : '/spec/backends';
  const ops: JsonPatchOp[] = [];
  const spec = isObj(obj.spec) ? obj.spec : {};
  const rawList = kind === 'VirtualService' ? arr((arr(spec.http)[r.index] as Obj | undefined)?.route) : kind === 'HTTPRoute' ? arr((arr(spec.rules)[r.index] as Obj | undefined)?.backendRefs) : arr(spec.backends);
  for (const d of r.destinations) {
    const target = d.name === stable ? w.stable : d.name === canary ? w.canary : null;
    if (target === null) continue;
    ops.push({ op: d.implicit ? 'add' : 'replace', path: `${base}/${d.index}/weight`, value: target });
  }
  if (!r.destinations.some((d) => d.name === canary)) {
    const stableRaw = rawList[r.destinations.find((d) => d.name === stable)?.index ?? 0];
    const s = isObj(stableRaw) ? stableRaw : {};
    let value: Obj;
    if (kind === 'VirtualService') {
      const dest = isObj(s.destination) ? s.destination : {};
      value = { destination: { ...dest, subset: canary }, weight: w.canary };
      if (dest.subset === undefined) value = { destination: { ...dest, host: canary }, weight: w.canary };
    } else if (kind === 'HTTPRoute') {
      value = { ...s, name: canary, weight: w.canary };
    } else {
      value = { service: canary, weight: w.canary };
    }
    ops.push({ op: 'add', path: `${base}/-`, value });
  }
  return ops;
}
