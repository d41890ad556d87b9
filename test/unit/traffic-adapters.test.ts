/**
 * Round trips of the three adapters on realistic objects: read the model, apply every op, and
 * check that only the fields the op manages changed — every other field, route and match is
 * byte-identical — and that the guarded JSON patch reproduces the edit exactly.
 */
import { describe, expect, it } from 'vitest';
import type { TrafficOp } from '../../shared/traffic/model';
import { planChange, readModel } from '../../main/traffic/plan';
import type { PlannedChange, RoutingSnapshot } from '../../main/traffic/plan';
import { applyPatch, structuralDiff, valueAt } from '../../main/traffic/jsonpatch';
import type { KubeObject } from '../../main/traffic/json';
import { snapshot } from '../helpers/traffic-fixtures';

const vs = (): RoutingSnapshot => snapshot('reviews.virtualservice.yaml', 'bookinfo.context.yaml', 'bookinfo', ['reviews.destinationrule.yaml']);
const route = (): RoutingSnapshot => snapshot('search.httproute.yaml', 'shop.context.yaml', 'shop');
const split = (): RoutingSnapshot => snapshot('invoices.trafficsplit.yaml', 'billing.context.yaml', 'billing');
const legacy = (): RoutingSnapshot => snapshot('legacy.trafficsplit.yaml', 'billing.context.yaml', 'test');

const bytes = (o: unknown, p: string) => JSON.stringify(valueAt(o, p));

/** Plan, then check the patch, the allowed paths, and that `keep` pointers are byte-identical (before → after paths). */
function check(snap: RoutingSnapshot, op: TrafficOp, allowed: RegExp[], keep: [string, string?][]): { change: PlannedChange; after: KubeObject } {
  const before = structuredClone(snap.object);
  const change = planChange(snap, op);
  expect(change.issues).toEqual([]);
  const main = change.writes.find((w) => w.ref.kind === snap.object.kind);
  expect(main, 'a write of the routing object').toBeTruthy();
  const after = main!.after!;
  // The input object was not touched.
  expect(snap.object).toEqual(before);
  // Guarded: first the resourceVersion, then tests, then changes.
  expect(main!.patch[0]).toEqual({ op: 'test', path: '/metadata/resourceVersion', value: before.metadata.resourceVersion });
  const firstChange = main!.patch.findIndex((o) => o.op !== 'test');
  expect(main!.patch.slice(firstChange).every((o) => o.op !== 'test')).toBe(true);
  // The patch reproduces the edit on the object as read.
  expect(applyPatch(before, main!.patch)).toEqual(after);
  // Only managed paths changed.
  const { changes } = structuralDiff(before, after);
  expect(changes.length).toBeGreaterThan(0);
  for (const c of changes) expect(allowed.some((re) => re.test(c.path)), `unexpected change at ${c.path}`).toBe(true);
  // Everything named in `keep` is byte-identical (optionally at a shifted path).
  for (const [from, to] of [['/metadata'], ['/status'], ...keep] as [string, string?][]) {
    expect(bytes(after, to ?? from), `${from} must be kept`).toBe(bytes(before, from));
  }
  return { change, after };
}

describe('Istio VirtualService adapter', () => {
  it('reads a multi-route VirtualService: matches, destinations, retries, unmanaged fields', () => {
    const m = readModel(vs());
    expect(m.api).toBe('istio');
    expect(m.service).toBe('reviews');
    expect(m.routes).toHaveLength(3);
    expect(m.defaultRoute).toBe(2);
    const [jason, api, def] = m.routes;
    expect(jason!.matches[0]!.headers).toEqual([{ name: 'end-user', match: { type: 'exact', value: 'jason' } }]);
    expect(jason!.matches[0]!.other).toEqual(['sourceLabels']);
    expect(jason!.unmanaged).toEqual(['headers']);
    expect(api!.matches.map((x) => x.uri)).toEqual([{ type: 'prefix', value: '/api/v3' }, { type: 'regex', value: '^/v3/.*' }]);
    expect(api!.unmanaged).toEqual(expect.arrayContaining(['rewrite', 'corsPolicy']));
    expect(def!.destinations.map((d) => [d.name, d.weight])).toEqual([['v1', 80], ['v2', 20]]);
    expect(def!.retries).toEqual({ attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure' });
    expect(def!.timeout).toBe('10s');
    expect(m.available.map((a) => [a.name, a.source])).toEqual([['v1', 'subset'], ['v2', 'subset'], ['v3', 'subset'], ['v4', 'version']]);
    expect(m.notes.join(' ')).toMatch(/TCP route/);
  });

  const KEEP_OTHERS: [string, string?][] = [
    ['/spec/hosts'], ['/spec/gateways'], ['/spec/exportTo'], ['/spec/tcp'],
    ['/spec/http/0'], ['/spec/http/1'],
    ['/spec/http/2/name'], ['/spec/http/2/corsPolicy'], ['/spec/http/2/headers'],
    ['/spec/http/2/route/0/destination'], ['/spec/http/2/route/0/headers'], ['/spec/http/2/retries/retryRemoteLocalities'],
  ];

  it('setWeights edits only the weights of the default route', () => {
    check(vs(), { op: 'setWeights', weights: { v1: 50, v2: 50 } }, [/^\/spec\/http\/2\/route\/[01]\/weight$/], [...KEEP_OTHERS, ['/spec/http/2/timeout'], ['/spec/http/2/retries']]);
  });

  it('setWeights can add a destination (an existing subset)', () => {
    const { after } = check(vs(), { op: 'setWeights', weights: { v1: 60, v2: 30, v3: 10 } }, [/^\/spec\/http\/2\/route\/(\d+)(\/weight)?$/], KEEP_OTHERS);
    expect(valueAt(after, '/spec/http/2/route/2')).toEqual({ destination: { host: 'reviews', subset: 'v3', port: { number: 9080 } }, weight: 10 });
  });

  it('a version without a subset gets one in the DestinationRule first (other subsets and policies kept)', () => {
    const { change } = check(vs(), { op: 'setWeights', weights: { v1: 90, v2: 0, v4: 10 } }, [/^\/spec\/http\/2\/route\/(\d+)(\/weight)?$/], KEEP_OTHERS);
    expect(change.writes.map((w) => `${w.action} ${w.ref.kind}`)).toEqual(['patch DestinationRule', 'patch VirtualService']);
    const dr = change.writes[0]!;
    expect(dr.patch).toContainEqual({ op: 'add', path: '/spec/subsets/3', value: { name: 'v4', labels: { version: 'v4' } } });
    expect(dr.patch.filter((o) => o.op !== 'test')).toHaveLength(1);
    expect(bytes(dr.after, '/spec/trafficPolicy')).toBe(bytes(dr.before, '/spec/trafficPolicy'));
    expect(bytes(dr.after, '/spec/subsets/1')).toBe(bytes(dr.before, '/spec/subsets/1'));
    expect(dr.diff).toContain('+    - name: v4');
  });

  it('creates the DestinationRule when there is none', () => {
    const snap = vs();
    snap.context.destinationRules = [];
    const change = planChange(snap, { op: 'switchBlueGreen', to: 'v2' });
    expect(change.issues).toEqual([]);
    expect(change.writes.map((w) => `${w.action} ${w.ref.kind}`)).toEqual(['create DestinationRule', 'patch VirtualService']);
    expect(change.writes[0]!.after!.spec).toEqual({ host: 'reviews.bookinfo.svc.cluster.local', subsets: [{ name: 'v2', labels: { version: 'v2' } }] });
  });

  it('setFault adds delay and abort with percentages to the default route only', () => {
    const { after } = check(
      vs(),
      { op: 'setFault', fault: { delay: { fixedDelay: '5s', percent: 10 }, abort: { httpStatus: 503, percent: 50 } } },
      [/^\/spec\/http\/2\/fault$/],
      [...KEEP_OTHERS, ['/spec/http/2/route'], ['/spec/http/2/retries']],
    );
    expect(valueAt(after, '/spec/http/2/fault')).toEqual({ delay: { fixedDelay: '5s', percentage: { value: 10 } }, abort: { httpStatus: 503, percentage: { value: 50 } } });
  });

  it('removing a fault that is not there changes nothing', () => {
    const change = planChange(vs(), { op: 'setFault', fault: null });
    expect(change.issues).toEqual([]);
    expect(change.writes).toEqual([]);
  });

  it('an A/B cookie route goes right before the default route; the default moves down untouched', () => {
    const { after } = check(
      vs(),
      { op: 'addHeaderMatchRoute', kind: 'cookie', name: 'user', value: 'beta', destination: 'v2', routeName: 'beta-cookie' },
      [/^\/spec\/http\/2$/],
      [['/spec/http/0'], ['/spec/http/1'], ['/spec/http/2', '/spec/http/3'], ['/spec/tcp']],
    );
    const added = valueAt(after, '/spec/http/2') as { name: string; match: unknown[]; route: unknown[] };
    expect(added.name).toBe('beta-cookie');
    expect(added.match).toEqual([{ headers: { cookie: { regex: '^(.*?;\\s*)?(user=beta)(;.*)?$' } } }]);
    expect(added.route).toEqual([{ destination: { host: 'reviews', subset: 'v2' } }]);
    // And the model reads it back as a cookie match.
    const again = readModel({ ...vs(), object: after });
    expect(again.routes[2]!.matches[0]!.cookies).toEqual([{ name: 'user', value: 'beta' }]);
    expect(again.defaultRoute).toBe(3);
  });

  it('a header route with a regex', () => {
    const { after } = check(vs(), { op: 'addHeaderMatchRoute', kind: 'header', name: 'X-Canary', value: '.*insider.*', matchType: 'regex', destination: 'v3' }, [/^\/spec\/http\/2$/], [['/spec/http/2', '/spec/http/3']]);
    expect(valueAt(after, '/spec/http/2/match')).toEqual([{ headers: { 'x-canary': { regex: '.*insider.*' } } }]);
  });

  it('removeRoute removes exactly that route, guarded by a test of its whole content', () => {
    const { change } = check(vs(), { op: 'removeRoute', route: 0 }, [/^\/spec\/http\/0$/], [['/spec/http/1', '/spec/http/0'], ['/spec/http/2', '/spec/http/1']]);
    const main = change.writes[0]!;
    expect(main.patch).toContainEqual({ op: 'test', path: '/spec/http/0', value: vs().object.spec && (vs().object.spec as { http: unknown[] }).http[0] });
  });

  it('switchBlueGreen sends everything to one side, and back', () => {
    const { after } = check(vs(), { op: 'switchBlueGreen', to: 'v2' }, [/^\/spec\/http\/2\/route\/[01]\/weight$/], KEEP_OTHERS);
    expect(valueAt(after, '/spec/http/2/route/0/weight')).toBe(0);
    expect(valueAt(after, '/spec/http/2/route/1/weight')).toBe(100);
    const back = planChange({ ...vs(), object: after }, { op: 'switchBlueGreen', to: 'v1' });
    expect(valueAt(back.writes[0]!.after, '/spec/http/2/route/0/weight')).toBe(100);
    expect(valueAt(back.writes[0]!.after, '/spec/http/2/route/1/weight')).toBe(0);
  });

  it('setMirror writes mirror + mirrorPercentage', () => {
    const { after } = check(vs(), { op: 'setMirror', mirror: { destination: 'v3', percent: 25 } }, [/^\/spec\/http\/2\/(mirror|mirrorPercentage)$/], [...KEEP_OTHERS, ['/spec/http/2/route']]);
    // The destination as the object already writes it elsewhere (with its port).
    expect(valueAt(after, '/spec/http/2/mirror')).toEqual({ host: 'reviews', subset: 'v3', port: { number: 9080 } });
    expect(valueAt(after, '/spec/http/2/mirrorPercentage')).toEqual({ value: 25 });
  });

  it('setTimeout and setRetries keep the retry fields they do not manage', () => {
    check(vs(), { op: 'setTimeout', timeout: '5s' }, [/^\/spec\/http\/2\/timeout$/], [...KEEP_OTHERS, ['/spec/http/2/retries']]);
    check(vs(), { op: 'setTimeout', timeout: '750ms', route: 1 }, [/^\/spec\/http\/1\/timeout$/], [['/spec/http/0'], ['/spec/http/2'], ['/spec/http/1/match'], ['/spec/http/1/corsPolicy']]);
    const { after } = check(
      vs(),
      { op: 'setRetries', retries: { attempts: 5, perTryTimeout: '1s', retryOn: 'gateway-error' } },
      [/^\/spec\/http\/2\/retries\/(attempts|perTryTimeout|retryOn)$/],
      [...KEEP_OTHERS, ['/spec/http/2/timeout']],
    );
    expect(valueAt(after, '/spec/http/2/retries')).toEqual({ attempts: 5, perTryTimeout: '1s', retryOn: 'gateway-error', retryRemoteLocalities: true });
  });

  it('identity tests pin the touched route: name, matches and destinations', () => {
    const change = planChange(vs(), { op: 'setTimeout', timeout: '1s', route: 0 });
    const tests = change.writes[0]!.patch.filter((o) => o.op === 'test').map((o) => o.path);
    expect(tests).toEqual(['/metadata/resourceVersion', '/spec/http/0/name', '/spec/http/0/match', '/spec/http/0/route/0/destination']);
  });
});

describe('Gateway API HTTPRoute adapter', () => {
  it('reads rules, backendRefs, filters and the catch-all default rule', () => {
    const m = readModel(route());
    expect(m.api).toBe('gateway-api');
    expect(m.service).toBe('search');
    expect(m.defaultRoute).toBe(2);
    expect(m.capabilities.weightsSumTo100).toBe(false);
    expect(m.routes[0]!.matches[0]!.headers).toEqual([{ name: 'x-internal', match: { type: 'exact', value: '1' } }]);
    expect(m.routes[1]!.matches[0]!.other).toEqual(['method']);
    expect(m.routes[1]!.unmanaged).toEqual(['filter URLRewrite']);
    expect(m.routes[2]!.destinations.map((d) => [d.name, d.weight, d.port])).toEqual([['search-v1', 80, 8080], ['search-v2', 20, 8080]]);
    expect(m.routes[2]!.timeout).toBe('2s');
    expect(m.routes[0]!.destinations[0]!.effectiveWeight).toBe(1);
  });

  const KEEP: [string, string?][] = [['/spec/parentRefs'], ['/spec/rules/0'], ['/spec/rules/1'], ['/spec/rules/2/matches'], ['/spec/rules/2/filters'], ['/spec/rules/2/backendRefs/0/filters']];

  it('setWeights (proportional, need not sum to 100) and a new backend', () => {
    check(route(), { op: 'setWeights', weights: { 'search-v1': 3, 'search-v2': 1 } }, [/^\/spec\/rules\/2\/backendRefs\/[01]\/weight$/], [...KEEP, ['/spec/rules/2/timeouts']]);
    const { after } = check(route(), { op: 'setWeights', weights: { 'search-v3': 5 } }, [/^\/spec\/rules\/2\/backendRefs\/2$/], KEEP);
    expect(valueAt(after, '/spec/rules/2/backendRefs/2')).toEqual({ name: 'search-v3', port: 8080, weight: 5 });
  });

  it('setMirror appends a RequestMirror filter after the existing filters', () => {
    const { after } = check(route(), { op: 'setMirror', mirror: { destination: 'search-v2', percent: 10 } }, [/^\/spec\/rules\/2\/filters\/2$/], KEEP.filter(([p]) => p !== '/spec/rules/2/filters'));
    expect(valueAt(after, '/spec/rules/2/filters/2')).toEqual({ type: 'RequestMirror', requestMirror: { backendRef: { name: 'search-v2', port: 8080 }, percent: 10 } });
    const removed = planChange({ ...route(), object: after }, { op: 'setMirror', mirror: null });
    expect(valueAt(removed.writes[0]!.after, '/spec/rules/2/filters')).toEqual(valueAt(route().object, '/spec/rules/2/filters'));
  });

  it('setTimeout keeps backendRequest', () => {
    const { after } = check(route(), { op: 'setTimeout', timeout: '5s' }, [/^\/spec\/rules\/2\/timeouts\/request$/], KEEP);
    expect(valueAt(after, '/spec/rules/2/timeouts')).toEqual({ request: '5s', backendRequest: '1500ms' });
  });

  it('an A/B header rule keeps the default rule\'s path match and goes before it', () => {
    const { after } = check(route(), { op: 'addHeaderMatchRoute', kind: 'header', name: 'x-beta', value: 'yes', destination: 'search-v2' }, [/^\/spec\/rules\/2$/], [['/spec/rules/2', '/spec/rules/3'], ['/spec/rules/0'], ['/spec/rules/1']]);
    expect(valueAt(after, '/spec/rules/2')).toEqual({
      matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-beta', value: 'yes' }] }],
      backendRefs: [{ name: 'search-v2', port: 8080 }],
    });
  });

  it('refuses fault injection and retries with a reason', () => {
    expect(planChange(route(), { op: 'setFault', fault: { delay: { fixedDelay: '1s', percent: 5 }, abort: null } }).issues).toEqual([
      { field: 'fault', message: expect.stringMatching(/HTTPRoute has no fault injection/) },
    ]);
    expect(planChange(route(), { op: 'setRetries', retries: { attempts: 2, perTryTimeout: null, retryOn: null } }).issues[0]!.field).toBe('retries');
    expect(planChange(route(), { op: 'addHeaderMatchRoute', kind: 'header', name: 'x', value: 'y', matchType: 'prefix', destination: 'search-v2' }).issues[0]!.field).toBe('matchType');
  });
});

describe('SMI TrafficSplit adapter', () => {
  it('reads the backends as one weighted route', () => {
    const m = readModel(split());
    expect(m.api).toBe('smi');
    expect(m.service).toBe('invoices');
    expect(m.routes[0]!.destinations.map((d) => [d.name, d.weight])).toEqual([['invoices-v1', 90], ['invoices-v2', 10], ['invoices-v3', 0]]);
    expect(m.capabilities).toMatchObject({ fault: false, mirror: false, matchRoutes: false, weightsSumTo100: false });
  });

  it('setWeights and blue-green touch only backend weights; matches kept', () => {
    check(split(), { op: 'setWeights', weights: { 'invoices-v1': 50, 'invoices-v2': 50 } }, [/^\/spec\/backends\/[0-2]\/weight$/], [['/spec/service'], ['/spec/matches']]);
    const { after } = check(split(), { op: 'switchBlueGreen', to: 'invoices-v3' }, [/^\/spec\/backends\/[0-2]\/weight$/], [['/spec/matches']]);
    expect((after.spec as { backends: unknown[] }).backends).toEqual([
      { service: 'invoices-v1', weight: 0 },
      { service: 'invoices-v2', weight: 0 },
      { service: 'invoices-v3', weight: 100 },
    ]);
  });

  it('v1alpha1 quantity weights stay quantities; unchanged ones keep their spelling', () => {
    const m = readModel(legacy());
    expect(m.routes[0]!.destinations.map((d) => d.weight)).toEqual([0.9, 0.1]);
    const { after } = check(legacy(), { op: 'setWeights', weights: { 'podinfo-primary': 80, 'podinfo-canary': 20 } }, [/^\/spec\/backends\/[01]\/weight$/], [['/spec/backends/0/service']]);
    expect((after.spec as { backends: unknown[] }).backends).toEqual([{ service: 'podinfo-primary', weight: '80' }, { service: 'podinfo-canary', weight: '20' }]);
  });

  it('refuses what a TrafficSplit cannot do', () => {
    const issues = planChange(split(), { op: 'setTimeout', timeout: '1s' }).issues;
    expect(issues[0]).toEqual({ field: 'timeout', message: expect.stringMatching(/TrafficSplit only splits by weight/) });
  });
});
