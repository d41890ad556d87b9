import { describe, expect, it } from 'vitest';
import { pickWorkload, TrafficEngine } from '../../sandbox/traffic/engine';
import { MeshExporter } from '../../sandbox/traffic/exporter';
import { buildMesh, loadMesh, type Mesh, type MeshFile } from '../../sandbox/traffic/mesh';
import { createRng } from '../../sandbox/traffic/rng';
import { emptyRoutingObjects, parseDurationMs, parseWeight, RoutingTable, type RoutingObject, type RoutingObjects } from '../../sandbox/traffic/routing';

const mesh = loadMesh();
const svc = (key: string) => {
  const s = mesh.serviceByKey.get(key);
  if (!s) throw new Error(`no service ${key}`);
  return s;
};
const wl = (name: string) => {
  const w = mesh.workloads.find((x) => x.name === name);
  if (!w) throw new Error(`no workload ${name}`);
  return w;
};

function vs(name: string, ns: string, spec: unknown): RoutingObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: ns }, spec };
}
function dr(name: string, ns: string, host: string, versions: string[]): RoutingObject {
  return { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name, namespace: ns }, spec: { host, subsets: versions.map((v) => ({ name: v, labels: { version: v } })) } };
}
function routing(partial: Partial<RoutingObjects>): RoutingObjects {
  return { ...emptyRoutingObjects(), ...partial };
}

/** Routes `n` requests from `src` to `service` and counts the chosen workloads (after picking one per decision). */
function tally(table: RoutingTable, src: string | null, service: string, n: number, headers: Record<string, string> = {}, seed = 7) {
  const rng = createRng(seed);
  const source = src ? wl(src) : null;
  const counts: Record<string, number> = {};
  let aborts = 0;
  let mirrors = 0;
  let delays = 0;
  for (let i = 0; i < n; i++) {
    const d = table.route({ source, sourceMesh: source?.mesh ?? 'none', service: svc(service), headers, path: '/' }, rng);
    if (d.fault.abort) aborts++;
    if (d.fault.delayMs) delays++;
    if (d.mirror) mirrors++;
    const w = pickWorkload(d.workloads, rng);
    const k = w?.name ?? 'none';
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return { counts, aborts, mirrors, delays };
}

describe('traffic simulator routing', () => {
  const catalogDr = dr('catalog', 'shop', 'catalog', ['v1', 'v2']);

  it('splits by VirtualService weights within tolerance', () => {
    const t = new RoutingTable(mesh, routing({
      virtualServices: [vs('catalog', 'shop', { hosts: ['catalog'], http: [{ route: [{ destination: { host: 'catalog', subset: 'v1' }, weight: 70 }, { destination: { host: 'catalog', subset: 'v2' }, weight: 30 }] }] })],
      destinationRules: [catalogDr],
    }));
    const { counts } = tally(t, 'frontend-v1', 'catalog.shop', 20_000);
    expect((counts['catalog-v2'] ?? 0) / 20_000).toBeGreaterThan(0.28);
    expect((counts['catalog-v2'] ?? 0) / 20_000).toBeLessThan(0.32);
    expect(counts.none).toBeUndefined();
  });

  it('without routing objects spreads over endpoints by replicas (catalog-v1 has 2, v2 has 1)', () => {
    const t = new RoutingTable(mesh, emptyRoutingObjects());
    const { counts } = tally(t, 'frontend-v1', 'catalog.shop', 30_000);
    expect((counts['catalog-v1'] ?? 0) / 30_000).toBeCloseTo(2 / 3, 1);
  });

  it('a weight of 0 gets nothing and a missing subset routes nowhere (503 NR at the caller)', () => {
    const t = new RoutingTable(mesh, routing({
      virtualServices: [vs('catalog', 'shop', { hosts: ['catalog'], http: [{ route: [{ destination: { host: 'catalog', subset: 'v1' }, weight: 100 }, { destination: { host: 'catalog', subset: 'v2' }, weight: 0 }] }] })],
      destinationRules: [catalogDr],
    }));
    expect(tally(t, 'frontend-v1', 'catalog.shop', 2000).counts).toEqual({ 'catalog-v1': 2000 });
    const broken = new RoutingTable(mesh, routing({
      virtualServices: [vs('catalog', 'shop', { hosts: ['catalog'], http: [{ route: [{ destination: { host: 'catalog', subset: 'v9' } }] }] })],
      destinationRules: [catalogDr],
    }));
    expect(tally(broken, 'frontend-v1', 'catalog.shop', 10).counts).toEqual({ none: 10 });
  });

  it('header matches (exact, regex on cookie) route only the requests that carry the header', () => {
    const t = new RoutingTable(mesh, routing({
      virtualServices: [
        vs('catalog', 'shop', {
          hosts: ['catalog.shop.svc.cluster.local'],
          http: [
            { match: [{ headers: { 'end-user': { exact: 'jason' } } }, { headers: { cookie: { regex: '^(.*?; ?)?(user=beta-tester)(;.*)?$' } } }], route: [{ destination: { host: 'catalog', subset: 'v2' } }] },
            { route: [{ destination: { host: 'catalog', subset: 'v1' } }] },
          ],
        }),
      ],
      destinationRules: [catalogDr],
    }));
    expect(tally(t, 'frontend-v1', 'catalog.shop', 500, { 'end-user': 'jason' }).counts).toEqual({ 'catalog-v2': 500 });
    expect(tally(t, 'frontend-v1', 'catalog.shop', 500, { cookie: 'session=abc; user=beta-tester' }).counts).toEqual({ 'catalog-v2': 500 });
    expect(tally(t, 'frontend-v1', 'catalog.shop', 500, { 'end-user': 'mallory' }).counts).toEqual({ 'catalog-v1': 500 });
    expect(tally(t, 'frontend-v1', 'catalog.shop', 500).counts).toEqual({ 'catalog-v1': 500 });
    // Clients without a proxy never see VirtualServices.
    expect(tally(t, null, 'catalog.shop', 3000, { 'end-user': 'jason' }).counts['catalog-v1']).toBeGreaterThan(1500);
  });

  it('the engine applies a header match to the configured fraction of requests', () => {
    const file: MeshFile = {
      trustDomain: 'cluster.local', clusterDomain: 'cluster.local', clusters: ['east', 'west'],
      namespaces: [{ name: 'a', mesh: 'istio' }],
      workloads: [
        { name: 'web-v1', namespace: 'a', app: 'web', version: 'v1', replicas: 1, latencyMs: { p50: 1, p99: 2 }, errorRate: 0, errorCode: 503, grpcErrorStatus: 14, responseBytes: 1, gateway: false },
        { name: 'api-v1', namespace: 'a', app: 'api', version: 'v1', replicas: 1, latencyMs: { p50: 1, p99: 2 }, errorRate: 0, errorCode: 503, grpcErrorStatus: 14, responseBytes: 1, gateway: false },
        { name: 'api-v2', namespace: 'a', app: 'api', version: 'v2', replicas: 1, latencyMs: { p50: 1, p99: 2 }, errorRate: 0, errorCode: 503, grpcErrorStatus: 14, responseBytes: 1, gateway: false },
      ],
      services: [{ name: 'api', namespace: 'a', port: 80, protocol: 'http', selector: { app: 'api' } }],
      calls: [{ from: 'a/web', to: 'api.a', rps: 1000, headers: [{ name: 'end-user', value: 'jason', fraction: 0.25 }], path: '/', failCaller: false, requestBytes: 1 }],
    };
    const m: Mesh = buildMesh(file);
    const objs = routing({
      virtualServices: [vs('api', 'a', { hosts: ['api'], http: [{ match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'api', subset: 'v2' } }] }, { route: [{ destination: { host: 'api', subset: 'v1' } }] }] })],
      destinationRules: [dr('api', 'a', 'api', ['v1', 'v2'])],
    });
    const exporter = new MeshExporter(m, { histograms: 'none', byteHistograms: false });
    const engine = new TrafficEngine(m, exporter, createRng(3), new RoutingTable(m, objs));
    engine.tick(10); // ~10,000 requests
    return exporter.registry.getSingleMetricAsString('istio_requests_total').then((text) => {
      const count = (w: string) => Number(new RegExp(`reporter="destination".*destination_workload="${w}".* (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      const share = count('api-v2') / (count('api-v1') + count('api-v2'));
      expect(share).toBeGreaterThan(0.23);
      expect(share).toBeLessThan(0.27);
    });
  });

  it('aborts the configured percentage (fault.abort) and delays per fault.delay', () => {
    const t = new RoutingTable(mesh, routing({
      virtualServices: [vs('payments', 'shop', { hosts: ['payments'], http: [{ fault: { abort: { httpStatus: 503, percentage: { value: 50 } }, delay: { fixedDelay: '2s', percentage: { value: 10 } } }, route: [{ destination: { host: 'payments', subset: 'v1' } }] }] })],
      destinationRules: [dr('payments', 'shop', 'payments', ['v1', 'v2'])],
    }));
    const r = tally(t, 'checkout-v1', 'payments.shop', 20_000);
    expect(r.aborts / 20_000).toBeGreaterThan(0.48);
    expect(r.aborts / 20_000).toBeLessThan(0.52);
    expect(r.delays / 20_000).toBeGreaterThan(0.09);
    expect(r.delays / 20_000).toBeLessThan(0.11);
  });

  it('mirrors the configured percentage to the mirror host and subset', () => {
    const t = new RoutingTable(mesh, routing({
      virtualServices: [vs('catalog', 'shop', { hosts: ['catalog'], http: [{ route: [{ destination: { host: 'catalog', subset: 'v1' } }], mirror: { host: 'catalog', subset: 'v2' }, mirrorPercentage: { value: 25 } }] })],
      destinationRules: [catalogDr],
    }));
    const rng = createRng(1);
    let mirrored = 0;
    for (let i = 0; i < 10_000; i++) {
      const d = t.route({ source: wl('frontend-v1'), sourceMesh: 'istio', service: svc('catalog.shop'), headers: {}, path: '/' }, rng);
      if (d.mirror) {
        mirrored++;
        expect(d.mirror.workloads.map((w) => w.name)).toEqual(['catalog-v2']);
      }
      expect(d.workloads.map((w) => w.name)).toEqual(['catalog-v1']);
    }
    expect(mirrored / 10_000).toBeGreaterThan(0.23);
    expect(mirrored / 10_000).toBeLessThan(0.27);
  });

  it('reads timeouts and retries', () => {
    const t = new RoutingTable(mesh, routing({
      virtualServices: [vs('checkout', 'shop', { hosts: ['checkout'], http: [{ route: [{ destination: { host: 'checkout' } }], timeout: '1.5s', retries: { attempts: 3, retryOn: '5xx,reset' } }] })],
    }));
    const d = t.route({ source: wl('frontend-v1'), sourceMesh: 'istio', service: svc('checkout.shop'), headers: {}, path: '/' }, createRng(1));
    expect(d.timeoutMs).toBe(1500);
    expect(d.retries).toEqual({ attempts: 3, retryOn: ['5xx', 'reset'] });
  });

  it('follows HTTPRoute backendRefs weights (path match) and SMI TrafficSplit weights', () => {
    const t = new RoutingTable(mesh, routing({
      httpRoutes: [{
        apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'search', namespace: 'shop' },
        spec: { parentRefs: [{ group: '', kind: 'Service', name: 'search', port: 8080 }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/search' } }], backendRefs: [{ name: 'search-v1', port: 8080, weight: 60 }, { name: 'search-v2', port: 8080, weight: 40 }] }] },
      }],
      trafficSplits: [{
        apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit', metadata: { name: 'invoices', namespace: 'billing' },
        spec: { service: 'invoices', backends: [{ service: 'invoices-v1', weight: 900 }, { service: 'invoices-v2', weight: '100m' }] },
      }],
    }));
    const rng = createRng(5);
    let v2 = 0;
    for (let i = 0; i < 10_000; i++) {
      const d = t.route({ source: wl('frontend-v1'), sourceMesh: 'istio', service: svc('search.shop'), headers: {}, path: '/search/items' }, rng);
      expect(d.kind).toBe('httproute');
      if (d.service?.name === 'search-v2') v2++;
    }
    expect(v2 / 10_000).toBeGreaterThan(0.38);
    expect(v2 / 10_000).toBeLessThan(0.42);
    // Path outside the match: no rule applies, plain Service.
    expect(t.route({ source: wl('frontend-v1'), sourceMesh: 'istio', service: svc('search.shop'), headers: {}, path: '/other' }, rng).kind).toBe('service');
    let inv2 = 0;
    for (let i = 0; i < 10_000; i++) {
      const d = t.route({ source: wl('invoices-v1'), sourceMesh: 'linkerd', service: svc('invoices.billing'), headers: {}, path: '/' }, rng);
      expect(d.kind).toBe('trafficsplit');
      if (d.service?.name === 'invoices-v2') inv2++;
    }
    // 900 : 0.1 → almost everything on v1.
    expect(inv2).toBeLessThan(10);
  });

  it('parses durations and SMI weights', () => {
    expect(parseDurationMs('2s')).toBe(2000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('soon')).toBeNull();
    expect(parseWeight('500m')).toBe(0.5);
    expect(parseWeight(10)).toBe(10);
    expect(parseWeight('x')).toBe(0);
  });

  it('malformed routing objects are skipped, not thrown', () => {
    const t = new RoutingTable(mesh, routing({ virtualServices: [vs('bad', 'shop', 'not an object'), vs('worse', 'shop', { hosts: 7, http: 'x' })] }));
    expect(t.skipped.length).toBe(1);
    expect(tally(t, 'frontend-v1', 'catalog.shop', 10).counts.none).toBeUndefined();
  });
});
