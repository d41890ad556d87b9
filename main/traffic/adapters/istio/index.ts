/**
 * Istio: a VirtualService's `spec.http` routes, with DestinationRule subsets as destinations.
 * Fields read: match (headers, uri; the rest is kept as "other"), route[].destination/weight,
 * fault (delay/abort), mirror + mirrorPercentage, timeout, retries. Everything else (corsPolicy,
 * headers, rewrite, tcp/tls routes...) is left exactly as it is.
 */
import type { Destination, FaultSpec, Route, RouteMatch, RoutingModel, StringMatch, StringMatchType, TrafficOp } from '../../../../shared/traffic/model';
import { targetRoute } from '../../../../shared/traffic/validate';
import { arr, clone, isObj, num, str } from '../../json';
import type { KubeObject, Obj } from '../../json';
import type { JsonPatchOp } from '../../jsonpatch';
import { cookieFromRegex, cookieRegex, emptyMatch, hostService, pickDefault, routeIdentityTests } from '../common';
import type { AdapterResult, RoutingAdapter, RoutingContext, SideWrite } from '../types';

const MATCH_TYPES: StringMatchType[] = ['exact', 'prefix', 'regex'];

function stringMatch(v: unknown): StringMatch | null {
  if (!isObj(v)) return null;
  for (const t of MATCH_TYPES) {
    const s = str(v[t]);
    if (s !== undefined) return { type: t, value: s };
  }
  return null;
}

function readMatch(m: Obj): RouteMatch {
  const out = emptyMatch();
  if (isObj(m.headers)) {
    for (const [name, cond] of Object.entries(m.headers)) {
      const sm = stringMatch(cond);
      if (!sm) {
        out.other.push(`headers.${name}`);
        continue;
      }
      const cookie = name.toLowerCase() === 'cookie' && sm.type === 'regex' ? cookieFromRegex(sm.value) : null;
      if (cookie) out.cookies.push(cookie);
      else out.headers.push({ name, match: sm });
    }
  }
  if (m.uri !== undefined) {
    out.uri = stringMatch(m.uri);
    if (!out.uri) out.other.push('uri');
  }
  for (const k of Object.keys(m)) if (k !== 'headers' && k !== 'uri') out.other.push(k);
  return out;
}

const percentOf = (o: Obj): number => (isObj(o.percentage) ? (num(o.percentage.value) ?? 0) : (num(o.percent) ?? 100));

const MANAGED = new Set(['name', 'match', 'route', 'fault', 'mirror', 'mirrorPercentage', 'mirrorPercent', 'timeout', 'retries']);

/** Where a subset-less destination points and what the user calls it. */
function destName(d: Obj, service: string, ns: string): string {
  const host = str(d.host) ?? '';
  const subset = str(d.subset);
  const hs = hostService(host, ns);
  const short = hs ? (hs.namespace === ns ? hs.name : `${hs.name}.${hs.namespace}`) : host;
  if (!subset) return short;
  return hs && hs.name === service && hs.namespace === ns ? subset : `${short}/${subset}`;
}

function servicesOf(obj: KubeObject): string[] {
  const ns = obj.metadata.namespace ?? 'default';
  const spec = isObj(obj.spec) ? obj.spec : {};
  const out: string[] = [];
  for (const h of arr(spec.hosts)) {
    const hs = hostService(str(h) ?? '', ns);
    if (hs && hs.namespace === ns && !out.includes(hs.name)) out.push(hs.name);
  }
  if (out.length > 0) return out;
  // A gateway-bound VirtualService (external host names): the services it routes to.
  for (const r of arr(spec.http)) {
    for (const d of arr(isObj(r) ? r.route : undefined)) {
      const hs = isObj(d) && isObj(d.destination) ? hostService(str(d.destination.host) ?? '', ns) : null;
      if (hs && hs.namespace === ns && !out.includes(hs.name)) out.push(hs.name);
    }
  }
  return out;
}

/** DestinationRules whose host is the service. */
function rulesFor(ctx: RoutingContext, service: string): KubeObject[] {
  return ctx.destinationRules.filter((dr) => {
    const host = isObj(dr.spec) ? str(dr.spec.host) : undefined;
    const hs = host ? hostService(host, dr.metadata.namespace ?? ctx.namespace) : null;
    return hs?.name === service && hs.namespace === ctx.namespace;
  });
}

/** Version labels of the workloads behind the service (its selector). */
function versionsFor(ctx: RoutingContext, service: string): { version: string; workload: string }[] {
  const svc = ctx.services.find((s) => s.name === service);
  const out: { version: string; workload: string }[] = [];
  for (const w of ctx.workloads) {
    const sel = svc?.selector ?? { app: service };
    if (Object.keys(sel).length === 0) continue;
    if (!Object.entries(sel).every(([k, v]) => w.labels[k] === v)) continue;
    const v = w.labels.version;
    if (v && !out.some((o) => o.version === v)) out.push({ version: v, workload: `${w.kind} ${w.name}` });
  }
  return out;
}

function subsetsOf(dr: KubeObject): { name: string; labels: Record<string, string> }[] {
  const spec = isObj(dr.spec) ? dr.spec : {};
  return arr(spec.subsets)
    .filter(isObj)
    .map((s) => ({ name: str(s.name) ?? '', labels: isObj(s.labels) ? (Object.fromEntries(Object.entries(s.labels).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : {} }))
    .filter((s) => s.name !== '');
}

function read(obj: KubeObject, ctx: RoutingContext, wanted?: string): RoutingModel {
  const ns = obj.metadata.namespace ?? ctx.namespace;
  const spec = isObj(obj.spec) ? obj.spec : {};
  const services = servicesOf(obj);
  const service = wanted && services.includes(wanted) ? wanted : (services[0] ?? obj.metadata.name);
  const notes: string[] = [];
  const routes: Route[] = arr(spec.http).map((raw, index): Route => {
    const r = isObj(raw) ? raw : {};
    const matches = arr(r.match).filter(isObj).map(readMatch);
    const destinations: Destination[] = arr(r.route)
      .filter(isObj)
      .map((d) => {
        const dest = isObj(d.destination) ? d.destination : {};
        const weight = num(d.weight) ?? null;
        const port = isObj(dest.port) ? num(dest.port.number) : undefined;
        return {
          name: destName(dest, service, ns),
          ...(str(dest.host) ? { host: str(dest.host) } : {}),
          ...(port !== undefined ? { port } : {}),
          weight,
          effectiveWeight: weight ?? (arr(r.route).length === 1 ? 100 : 0),
        };
      });
    let fault: FaultSpec | null = null;
    if (isObj(r.fault)) {
      const d = r.fault.delay;
      const a = r.fault.abort;
      fault = {
        delay: isObj(d) && str(d.fixedDelay) !== undefined ? { fixedDelay: str(d.fixedDelay)!, percent: percentOf(d) } : null,
        abort: isObj(a) && num(a.httpStatus) !== undefined ? { httpStatus: num(a.httpStatus)!, percent: percentOf(a) } : null,
      };
    }
    const mirror = isObj(r.mirror)
      ? { destination: destName(r.mirror, service, ns), percent: isObj(r.mirrorPercentage) ? (num(r.mirrorPercentage.value) ?? 0) : (num(r.mirrorPercent) ?? 100) }
      : null;
    const retries = isObj(r.retries)
      ? { attempts: num(r.retries.attempts) ?? 0, perTryTimeout: str(r.retries.perTryTimeout) ?? null, retryOn: str(r.retries.retryOn) ?? null }
      : null;
    const unmanaged = Object.keys(r).filter((k) => !MANAGED.has(k));
    if (isObj(r.fault)) for (const k of Object.keys(r.fault)) if (k !== 'delay' && k !== 'abort') unmanaged.push(`fault.${k}`);
    return {
      index,
      name: str(r.name) ?? null,
      matches,
      destinations,
      fault,
      mirror,
      timeout: str(r.timeout) ?? null,
      retries,
      isDefault: false,
      unmanaged,
    };
  });
  const defaultRoute = pickDefault(routes, (r) => r.matches.length === 0);
  if (defaultRoute !== null) routes[defaultRoute]!.isDefault = true;
  if (arr(spec.tcp).length > 0) notes.push(`${arr(spec.tcp).length} TCP route(s) are not edited here and stay as they are.`);
  if (arr(spec.tls).length > 0) notes.push(`${arr(spec.tls).length} TLS route(s) are not edited here and stay as they are.`);
  if (services.length > 1) notes.push(`This VirtualService also routes ${services.filter((s) => s !== service).join(', ')}.`);

  const available: RoutingModel['available'] = [];
  const rules = rulesFor(ctx, service);
  if (rules.length > 1) notes.push(`${rules.length} DestinationRules target ${service}; subsets are read from all, new ones go to ${rules[0]!.metadata.name}.`);
  for (const dr of rules) {
    for (const s of subsetsOf(dr)) {
      if (!available.some((a) => a.name === s.name)) available.push({ name: s.name, source: 'subset', labels: s.labels, detail: `DestinationRule ${dr.metadata.name}` });
    }
  }
  for (const v of versionsFor(ctx, service)) {
    if (!available.some((a) => a.name === v.version)) {
      available.push({ name: v.version, source: 'version', labels: { version: v.version }, detail: `${v.workload} (no subset yet: applying adds it)` });
    }
  }
  return {
    api: 'istio',
    object: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: ns, name: obj.metadata.name },
    resourceVersion: obj.metadata.resourceVersion ?? '',
    service,
    routes,
    defaultRoute,
    capabilities: { weightsSumTo100: true, maxWeight: 100, fault: true, mirror: true, timeout: true, retries: true, matchRoutes: true },
    available,
    notes,
  };
}

/** The raw destination for a name: as already written in the object, else a subset of the service's host. */
function destinationFor(spec: Obj, name: string, model: RoutingModel, ctx: RoutingContext): Obj {
  const ns = model.object.namespace;
  const all = arr(spec.http).flatMap((r) => arr(isObj(r) ? r.route : undefined)).filter(isObj);
  for (const d of all) {
    if (isObj(d.destination) && destName(d.destination, model.service, ns) === name) return clone(d.destination);
  }
  for (const r of arr(spec.http)) {
    if (isObj(r) && isObj(r.mirror) && destName(r.mirror, model.service, ns) === name) return clone(r.mirror);
  }
  // The host as this object already writes the service (short name or FQDN), with its port.
  const sibling = all.find((d) => isObj(d.destination) && hostService(str(d.destination.host) ?? '', ns)?.name === model.service);
  const siblingDest = sibling && isObj(sibling.destination) ? sibling.destination : null;
  const host = str(siblingDest?.host) ?? model.service;
  const isSubset = model.available.some((a) => a.name === name && a.source !== 'service');
  if (!isSubset && ctx.services.some((s) => s.name === name)) return { host: name };
  const out: Obj = { host, subset: name };
  if (siblingDest && isObj(siblingDest.port)) out.port = clone(siblingDest.port);
  return out;
}

function setPercent(target: Obj, percent: number): void {
  // Neither field means 100 %: leave it unwritten when that is what is asked.
  if (percent === 100 && target.percentage === undefined && target.percent === undefined) return;
  // `percentage` supersedes the deprecated integer `percent`; keeping both would be ambiguous.
  delete target.percent;
  target.percentage = isObj(target.percentage) ? { ...target.percentage, value: percent } : { value: percent };
}

function applyWeights(r: Obj, weights: Record<string, number>, spec: Obj, model: RoutingModel, ctx: RoutingContext): void {
  const ns = model.object.namespace;
  const list = arr(r.route).filter(isObj);
  if (!Array.isArray(r.route)) r.route = list;
  const dests = r.route as Obj[];
  for (const [name, w] of Object.entries(weights)) {
    const d = dests.find((x) => isObj(x.destination) && destName(x.destination, model.service, ns) === name);
    if (d) {
      // A lone destination without a weight already gets 100: leave it unwritten.
      if (d.weight === undefined && dests.length === 1 && Object.keys(weights).length === 1 && w === 100) continue;
      d.weight = w;
    } else {
      dests.push({ destination: destinationFor(spec, name, model, ctx), weight: w });
    }
  }
  // A destination that had the implicit 100 needs an explicit weight once it has company.
  if (dests.length > 1) for (const d of dests) if (d.weight === undefined) d.weight = 0;
}

function applyOp(spec: Obj, op: TrafficOp, model: RoutingModel, ctx: RoutingContext): void {
  const http = arr(spec.http) as Obj[];
  const routeOf = (sel: number | undefined): Obj => {
    const t = targetRoute(model, sel);
    const r = t.route ? http[t.route.index] : undefined;
    if (!r || !isObj(r)) throw new Error('route not found (validate the op first)');
    return r;
  };
  switch (op.op) {
    case 'setWeights':
      applyWeights(routeOf(op.route), op.weights, spec, model, ctx);
      return;
    case 'switchBlueGreen': {
      const r = routeOf(op.route);
      const weights: Record<string, number> = {};
      for (const d of arr(r.route).filter(isObj)) if (isObj(d.destination)) weights[destName(d.destination, model.service, model.object.namespace)] = 0;
      weights[op.to] = 100;
      applyWeights(r, weights, spec, model, ctx);
      return;
    }
    case 'setFault': {
      const r = routeOf(op.route);
      const f = op.fault;
      if (!f || (!f.delay && !f.abort)) {
        if (isObj(r.fault)) {
          delete r.fault.delay;
          delete r.fault.abort;
          if (Object.keys(r.fault).length === 0) delete r.fault;
        }
        return;
      }
      const fault: Obj = isObj(r.fault) ? r.fault : {};
      if (f.delay) {
        const d: Obj = isObj(fault.delay) ? fault.delay : {};
        d.fixedDelay = f.delay.fixedDelay;
        delete d.exponentialDelay;
        setPercent(d, f.delay.percent);
        fault.delay = d;
      } else delete fault.delay;
      if (f.abort) {
        const a: Obj = isObj(fault.abort) ? fault.abort : {};
        a.httpStatus = f.abort.httpStatus;
        delete a.grpcStatus;
        delete a.http2Error;
        setPercent(a, f.abort.percent);
        fault.abort = a;
      } else delete fault.abort;
      r.fault = fault;
      return;
    }
    case 'setMirror': {
      const r = routeOf(op.route);
      if (!op.mirror) {
        delete r.mirror;
        delete r.mirrorPercentage;
        delete r.mirrorPercent;
        return;
      }
      r.mirror = destinationFor(spec, op.mirror.destination, model, ctx);
      delete r.mirrorPercent;
      r.mirrorPercentage = isObj(r.mirrorPercentage) ? { ...r.mirrorPercentage, value: op.mirror.percent } : { value: op.mirror.percent };
      return;
    }
    case 'setTimeout': {
      const r = routeOf(op.route);
      if (op.timeout === null) delete r.timeout;
      else r.timeout = op.timeout;
      return;
    }
    case 'setRetries': {
      const r = routeOf(op.route);
      if (!op.retries) {
        delete r.retries;
        return;
      }
      const rt: Obj = isObj(r.retries) ? r.retries : {};
      rt.attempts = op.retries.attempts;
      if (op.retries.perTryTimeout === null) delete rt.perTryTimeout;
      else rt.perTryTimeout = op.retries.perTryTimeout;
      if (op.retries.retryOn === null) delete rt.retryOn;
      else rt.retryOn = op.retries.retryOn;
      r.retries = rt;
      return;
    }
    case 'addHeaderMatchRoute': {
      const at = model.defaultRoute ?? http.length;
      const cond = op.kind === 'cookie' ? { regex: cookieRegex(op.name, op.value) } : { [op.matchType ?? 'exact']: op.value };
      const headerName = op.kind === 'cookie' ? 'cookie' : op.name.toLowerCase();
      const route: Obj = {};
      if (op.routeName) route.name = op.routeName;
      // The new route only takes traffic the default route would get: its match blocks (if any), plus the header.
      const base = model.defaultRoute !== null ? arr(http[model.defaultRoute]?.match).filter(isObj) : [];
      route.match = base.length === 0 ? [{ headers: { [headerName]: cond } }] : base.map((m) => ({ ...clone(m), headers: { ...(isObj(m.headers) ? clone(m.headers) : {}), [headerName]: cond } }));
      route.route = [{ destination: destinationFor(spec, op.destination, model, ctx) }];
      http.splice(at, 0, route);
      spec.http = http;
      return;
    }
    case 'removeRoute':
      http.splice(op.route, 1);
      return;
  }
}

/** Subset names the op sends traffic to. */
function referencedNames(op: TrafficOp): string[] {
  switch (op.op) {
    case 'setWeights':
      return Object.entries(op.weights).filter(([, w]) => w > 0).map(([k]) => k);
    case 'switchBlueGreen':
      return [op.to];
    case 'addHeaderMatchRoute':
      return [op.destination];
    case 'setMirror':
      return op.mirror ? [op.mirror.destination] : [];
    default:
      return [];
  }
}

/** Missing DestinationRule subsets for versions the op now uses: add them (or create the rule). */
function subsetWrites(op: TrafficOp, model: RoutingModel, ctx: RoutingContext): SideWrite[] {
  const missing = referencedNames(op).filter((n) => model.available.find((a) => a.name === n)?.source === 'version');
  if (missing.length === 0) return [];
  const rules = rulesFor(ctx, model.service);
  const newSubsets = missing.map((name) => ({ name, labels: { version: name } }));
  const first = rules[0];
  if (first) {
    const after = clone(first);
    const spec: Obj = isObj(after.spec) ? after.spec : {};
    spec.subsets = [...arr(spec.subsets), ...newSubsets];
    after.spec = spec;
    return [{ action: 'patch', before: first, after }];
  }
  const ns = model.object.namespace;
  const created: KubeObject = {
    apiVersion: model.object.apiVersion.replace(/\/.*$/, '') === 'networking.istio.io' ? model.object.apiVersion : 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: model.service, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'meshdeck' } },
    spec: { host: `${model.service}.${ns}.svc.cluster.local`, subsets: newSubsets },
  };
  return [{ action: 'create', before: null, after: created }];
}

const identityTests = (before: KubeObject, changedPaths: string[]): JsonPatchOp[] => routeIdentityTests(before, changedPaths, { list: 'http', identity: ['name', 'match'], dests: 'route', destKey: 'destination' });

export const istioAdapter: RoutingAdapter = {
  api: 'istio',
  kind: 'VirtualService',
  group: 'networking.istio.io',
  plural: 'virtualservices',
  services: servicesOf,
  read,
  apply(obj, op, ctx, model): AdapterResult {
    const after = clone(obj);
    const spec: Obj = isObj(after.spec) ? after.spec : {};
    after.spec = spec;
    applyOp(spec, op, model, ctx);
    return { after, before: subsetWrites(op, model, ctx) };
  },
  identityTests,
};
