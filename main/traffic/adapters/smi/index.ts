/**
 * SMI TrafficSplit (Linkerd via linkerd-smi, legacy but still used): `spec.service` is the apex,
 * `spec.backends[]` are Services with weights. One weighted "route", nothing else to edit.
 * v1alpha1 writes weights as quantities ("500m"); the type already written is kept.
 */
import type { Destination, RoutingModel, TrafficOp } from '../../../../shared/traffic/model';
import { arr, clone, isObj, str } from '../../json';
import type { KubeObject, Obj } from '../../json';
import { pointer } from '../../jsonpatch';
import type { JsonPatchOp } from '../../jsonpatch';
import type { AdapterResult, RoutingAdapter, RoutingContext } from '../types';

/** Numbers, or quantities like "1", "500m". */
export function parseWeight(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  const s = str(v)?.trim();
  if (!s) return null;
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(s);
  return m ? Number(m[1]) / (m[2] ? 1000 : 1) : null;
}

function read(obj: KubeObject, ctx: RoutingContext): RoutingModel {
  const ns = obj.metadata.namespace ?? ctx.namespace;
  const spec = isObj(obj.spec) ? obj.spec : {};
  const destinations: Destination[] = arr(spec.backends)
    .filter(isObj)
    .map((b) => {
      const w = parseWeight(b.weight);
      return { name: str(b.service) ?? '', weight: w, effectiveWeight: w ?? 0 };
    });
  const notes = ['TrafficSplit weights are proportional: they need not add up to 100.'];
  if (arr(spec.matches).length > 0) notes.push('This TrafficSplit also references HTTPRouteGroup matches; they are kept as they are.');
  return {
    api: 'smi',
    object: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: ns, name: obj.metadata.name },
    resourceVersion: obj.metadata.resourceVersion ?? '',
    service: str(spec.service) ?? obj.metadata.name,
    routes: [
      { index: 0, name: null, matches: [], destinations, fault: null, mirror: null, timeout: null, retries: null, isDefault: true, unmanaged: [] },
    ],
    defaultRoute: 0,
    capabilities: { weightsSumTo100: false, maxWeight: 1_000_000, fault: false, mirror: false, timeout: false, retries: false, matchRoutes: false },
    available: ctx.services.map((s) => ({ name: s.name, source: 'service' as const, detail: `Service ${s.name}` })),
    notes,
  };
}

function applyWeights(spec: Obj, weights: Record<string, number>): void {
  if (!Array.isArray(spec.backends)) spec.backends = [];
  const backends = spec.backends as unknown[];
  const stringy = backends.some((b) => isObj(b) && typeof b.weight === 'string');
  for (const [name, w] of Object.entries(weights)) {
    const b = backends.find((x): x is Obj => isObj(x) && str(x.service) === name);
    const value = stringy ? String(w) : w;
    if (b) {
      if (parseWeight(b.weight) === w) continue; // same weight, possibly written differently: keep it
      b.weight = value;
    } else backends.push({ service: name, weight: value });
  }
}

function applyOp(spec: Obj, op: TrafficOp): void {
  switch (op.op) {
    case 'setWeights':
      applyWeights(spec, op.weights);
      return;
    case 'switchBlueGreen': {
      const weights: Record<string, number> = {};
      for (const b of arr(spec.backends)) if (isObj(b) && str(b.service)) weights[str(b.service)!] = 0;
      weights[op.to] = 100;
      applyWeights(spec, weights);
      return;
    }
    default:
      throw new Error(`${op.op} is not supported on TrafficSplit (validate the op first)`);
  }
}

function identityTests(before: KubeObject, changedPaths: string[]): JsonPatchOp[] {
  const spec = isObj(before.spec) ? before.spec : {};
  if (!changedPaths.some((p) => p.startsWith('/spec/backends'))) return [];
  const out: JsonPatchOp[] = [];
  if (spec.service !== undefined) out.push({ op: 'test', path: '/spec/service', value: clone(spec.service) });
  arr(spec.backends).forEach((b, j) => {
    if (isObj(b) && b.service !== undefined) out.push({ op: 'test', path: pointer(['spec', 'backends', j, 'service']), value: clone(b.service) });
  });
  return out;
}

export const smiAdapter: RoutingAdapter = {
  api: 'smi',
  kind: 'TrafficSplit',
  group: 'split.smi-spec.io',
  plural: 'trafficsplits',
  services: (obj) => {
    const s = isObj(obj.spec) ? str(obj.spec.service) : undefined;
    return [s ?? obj.metadata.name];
  },
  read: (obj, ctx) => read(obj, ctx),
  apply(obj, op): AdapterResult {
    const after = clone(obj);
    const spec: Obj = isObj(after.spec) ? after.spec : {};
    after.spec = spec;
    applyOp(spec, op);
    return { after, before: [] };
  },
  identityTests,
};
