/**
 * Gateway API HTTPRoute (also Linkerd's policy.linkerd.io HTTPRoute, same schema): `spec.rules`,
 * each with matches, filters, backendRefs (weights are proportional, default 1) and timeouts.
 * Mirroring is the RequestMirror filter. There is no fault injection and (in the standard
 * channel) no retries. Every other filter, match and field is kept exactly.
 */
import type { Destination, Route, RouteMatch, RoutingModel, StringMatch, TrafficOp } from '../../../../shared/traffic/model';
import { targetRoute } from '../../../../shared/traffic/validate';
import { arr, clone, isObj, num, str } from '../../json';
import type { KubeObject, Obj } from '../../json';
import type { JsonPatchOp } from '../../jsonpatch';
import { cookieFromRegex, cookieRegex, emptyMatch, pickDefault, routeIdentityTests } from '../common';
import type { AdapterResult, RoutingAdapter, RoutingContext } from '../types';

const PATH_TYPES: Record<string, StringMatch['type']> = { Exact: 'exact', PathPrefix: 'prefix', RegularExpression: 'regex' };

function readMatch(m: Obj): RouteMatch {
  const out = emptyMatch();
  for (const h of arr(m.headers)) {
    if (!isObj(h)) continue;
    const name = str(h.name) ?? '';
    const value = str(h.value) ?? '';
    const type = str(h.type) ?? 'Exact';
    if (type === 'RegularExpression' && name.toLowerCase() === 'cookie') {
      const c = cookieFromRegex(value);
      if (c) {
        out.cookies.push(c);
        continue;
      }
    }
    if (type === 'Exact' || type === 'RegularExpression') out.headers.push({ name, match: { type: type === 'Exact' ? 'exact' : 'regex', value } });
    else out.other.push(`headers.${name}`);
  }
  if (isObj(m.path)) {
    const t = PATH_TYPES[str(m.path.type) ?? 'PathPrefix'];
    if (t) out.uri = { type: t, value: str(m.path.value) ?? '/' };
    else out.other.push('path');
  }
  for (const k of Object.keys(m)) if (k !== 'headers' && k !== 'path') out.other.push(k);
  return out;
}

/** "Matches everything": no matches, or only `PathPrefix /`. */
const catchAll = (r: Route): boolean =>
  r.matches.length === 0 ||
  r.matches.every((m) => m.headers.length === 0 && m.cookies.length === 0 && m.other.length === 0 && (m.uri === null || (m.uri.type === 'prefix' && m.uri.value === '/')));

const refName = (b: Obj, ns: string): string => {
  const n = str(b.name) ?? '';
  const bns = str(b.namespace);
  return bns && bns !== ns ? `${bns}/${n}` : n;
};

function servicesOf(obj: KubeObject): string[] {
  const spec = isObj(obj.spec) ? obj.spec : {};
  const out: string[] = [];
  for (const p of arr(spec.parentRefs)) {
    if (isObj(p) && str(p.kind) === 'Service' && str(p.name) && !out.includes(str(p.name)!)) out.push(str(p.name)!);
  }
  // An ingress route (parent is a Gateway): named after itself.
  return out.length > 0 ? out : [obj.metadata.name];
}

const MANAGED = new Set(['name', 'matches', 'backendRefs', 'filters', 'timeouts']);

function mirrorFilter(rule: Obj): Obj | null {
  for (const f of arr(rule.filters)) if (isObj(f) && str(f.type) === 'RequestMirror' && isObj(f.requestMirror)) return f;
  return null;
}

function read(obj: KubeObject, ctx: RoutingContext, wanted?: string): RoutingModel {
  const ns = obj.metadata.namespace ?? ctx.namespace;
  const spec = isObj(obj.spec) ? obj.spec : {};
  const services = servicesOf(obj);
  const service = wanted && services.includes(wanted) ? wanted : services[0]!;
  const routes: Route[] = arr(spec.rules).map((raw, index): Route => {
    const r = isObj(raw) ? raw : {};
    const destinations: Destination[] = arr(r.backendRefs)
      .filter(isObj)
      .map((b) => {
        const weight = num(b.weight) ?? null;
        const port = num(b.port);
        return { name: refName(b, ns), ...(port !== undefined ? { port } : {}), weight, effectiveWeight: weight ?? 1 };
      });
    const mf = mirrorFilter(r);
    let mirror: Route['mirror'] = null;
    if (mf && isObj(mf.requestMirror)) {
      const rm = mf.requestMirror;
      const ref = isObj(rm.backendRef) ? rm.backendRef : {};
      const frac = isObj(rm.fraction) ? ((num(rm.fraction.numerator) ?? 0) / (num(rm.fraction.denominator) ?? 100)) * 100 : undefined;
      mirror = { destination: refName(ref, ns), percent: num(rm.percent) ?? frac ?? 100 };
    }
    const unmanaged = Object.keys(r).filter((k) => !MANAGED.has(k));
    for (const f of arr(r.filters)) if (isObj(f) && str(f.type) !== 'RequestMirror') unmanaged.push(`filter ${str(f.type) ?? '?'}`);
    return {
      index,
      name: str(r.name) ?? null,
      matches: arr(r.matches).filter(isObj).map(readMatch),
      destinations,
      fault: null,
      mirror,
      timeout: isObj(r.timeouts) ? (str(r.timeouts.request) ?? null) : null,
      retries: null,
      isDefault: false,
      unmanaged,
    };
  });
  const defaultRoute = pickDefault(routes, catchAll);
  if (defaultRoute !== null) routes[defaultRoute]!.isDefault = true;
  const notes: string[] = [];
  if (arr(spec.parentRefs).some((p) => isObj(p) && (str(p.kind) ?? 'Gateway') === 'Gateway')) notes.push('Attached to a Gateway: edits change ingress traffic.');
  notes.push('Gateway API weights are proportional: they need not add up to 100.');
  const available: RoutingModel['available'] = ctx.services.map((s) => ({ name: s.name, source: 'service' as const, detail: `Service ${s.name}` }));
  return {
    api: 'gateway-api',
    object: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: ns, name: obj.metadata.name },
    resourceVersion: obj.metadata.resourceVersion ?? '',
    service,
    routes,
    defaultRoute,
    capabilities: { weightsSumTo100: false, maxWeight: 1_000_000, fault: false, mirror: true, timeout: true, retries: false, matchRoutes: true },
    available,
    notes,
  };
}

function backendRef(spec: Obj, name: string, model: RoutingModel, ctx: RoutingContext): Obj {
  const ns = model.object.namespace;
  for (const r of arr(spec.rules)) {
    for (const b of arr(isObj(r) ? r.backendRefs : undefined)) {
      if (isObj(b) && refName(b, ns) === name) {
        const out: Obj = {};
        for (const k of ['group', 'kind', 'name', 'namespace', 'port']) if (b[k] !== undefined) out[k] = clone(b[k]);
        return out;
      }
    }
  }
  const [maybeNs, maybeName] = name.includes('/') ? name.split('/', 2) : [undefined, name];
  const svc = ctx.services.find((s) => s.name === maybeName);
  const out: Obj = { name: maybeName };
  if (maybeNs) out.namespace = maybeNs;
  const port = svc?.ports[0]?.port;
  if (port !== undefined) out.port = port;
  return out;
}

function applyWeights(rule: Obj, weights: Record<string, number>, spec: Obj, model: RoutingModel, ctx: RoutingContext): void {
  const ns = model.object.namespace;
  if (!Array.isArray(rule.backendRefs)) rule.backendRefs = [];
  const refs = rule.backendRefs as unknown[];
  for (const [name, w] of Object.entries(weights)) {
    const b = refs.find((x): x is Obj => isObj(x) && refName(x, ns) === name);
    if (b) {
      if (b.weight === undefined && w === 1) continue; // the default weight: leave it unwritten
      b.weight = w;
    } else refs.push({ ...backendRef(spec, name, model, ctx), weight: w });
  }
}

function applyOp(spec: Obj, op: TrafficOp, model: RoutingModel, ctx: RoutingContext): void {
  const rules = arr(spec.rules) as Obj[];
  const ruleOf = (sel: number | undefined): Obj => {
    const t = targetRoute(model, sel);
    const r = t.route ? rules[t.route.index] : undefined;
    if (!r || !isObj(r)) throw new Error('rule not found (validate the op first)');
    return r;
  };
  const ns = model.object.namespace;
  switch (op.op) {
    case 'setWeights':
      applyWeights(ruleOf(op.route), op.weights, spec, model, ctx);
      return;
    case 'switchBlueGreen': {
      const r = ruleOf(op.route);
      const weights: Record<string, number> = {};
      for (const b of arr(r.backendRefs)) if (isObj(b)) weights[refName(b, ns)] = 0;
      weights[op.to] = 100;
      applyWeights(r, weights, spec, model, ctx);
      return;
    }
    case 'setMirror': {
      const r = ruleOf(op.route);
      const existing = mirrorFilter(r);
      if (!op.mirror) {
        if (existing) {
          r.filters = arr(r.filters).filter((f) => f !== existing);
          if ((r.filters as unknown[]).length === 0) delete r.filters;
        }
        return;
      }
      const ref = backendRef(spec, op.mirror.destination, model, ctx);
      if (existing && isObj(existing.requestMirror)) {
        const rm = existing.requestMirror;
        rm.backendRef = ref;
        delete rm.fraction;
        if (op.mirror.percent === 100 && rm.percent === undefined) return;
        rm.percent = op.mirror.percent;
        return;
      }
      const rm: Obj = { backendRef: ref };
      if (op.mirror.percent !== 100) rm.percent = op.mirror.percent;
      r.filters = [...arr(r.filters), { type: 'RequestMirror', requestMirror: rm }];
      return;
    }
    case 'setTimeout': {
      const r = ruleOf(op.route);
      const t: Obj = isObj(r.timeouts) ? r.timeouts : {};
      if (op.timeout === null) delete t.request;
      else t.request = op.timeout;
      if (Object.keys(t).length === 0) delete r.timeouts;
      else r.timeouts = t;
      return;
    }
    case 'addHeaderMatchRoute': {
      const at = model.defaultRoute ?? rules.length;
      const header =
        op.kind === 'cookie'
          ? { type: 'RegularExpression', name: 'Cookie', value: cookieRegex(op.name, op.value) }
          : { type: op.matchType === 'regex' ? 'RegularExpression' : 'Exact', name: op.name, value: op.value };
      const rule: Obj = {};
      if (op.routeName) rule.name = op.routeName;
      // Gateway API ranks rules by path first: keep the default rule's matches and add the header to each.
      const base = model.defaultRoute !== null ? arr(rules[model.defaultRoute]?.matches).filter(isObj) : [];
      rule.matches =
        base.length === 0
          ? [{ headers: [header] }]
          : base.map((m) => ({ ...clone(m), headers: [...arr(m.headers).filter((h) => !(isObj(h) && str(h.name)?.toLowerCase() === header.name.toLowerCase())).map(clone), header] }));
      rule.backendRefs = [backendRef(spec, op.destination, model, ctx)];
      rules.splice(at, 0, rule);
      spec.rules = rules;
      return;
    }
    case 'removeRoute':
      rules.splice(op.route, 1);
      return;
    case 'setFault':
    case 'setRetries':
      throw new Error(`${op.op} is not supported on HTTPRoute (validate the op first)`);
  }
}

const identityTests = (before: KubeObject, changedPaths: string[]): JsonPatchOp[] => routeIdentityTests(before, changedPaths, { list: 'rules', identity: ['name', 'matches'], dests: 'backendRefs', destKey: 'name' });

export const gatewayApiAdapter: RoutingAdapter = {
  api: 'gateway-api',
  kind: 'HTTPRoute',
  group: 'gateway.networking.k8s.io',
  plural: 'httproutes',
  services: servicesOf,
  read,
  apply(obj, op, ctx, model): AdapterResult {
    const after = clone(obj);
    const spec: Obj = isObj(after.spec) ? after.spec : {};
    after.spec = spec;
    applyOp(spec, op, model, ctx);
    return { after, before: [] };
  },
  identityTests,
};
