/**
 * Sandbox cluster + traffic simulator + a real Prometheus: the routing objects in the cluster
 * decide what Prometheus sees, and changes made through the Kubernetes API (client-node merge
 * patches, as the app makes them) move the traffic within a few scrape intervals.
 */
import https from 'node:https';
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTrafficSimulator } from '../../sandbox/traffic/index';
import { shares, startSimWithPrometheus, type SimWithPrometheus } from '../helpers/prometheus';

let env: SimWithPrometheus;
let custom: CustomObjectsApi;
const VS = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices', namespace: 'shop' };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  env = await startSimWithPrometheus({ sim: { rateScale: 5, seed: 3 } });
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig!);
  custom = kc.makeApiClient(CustomObjectsApi);
  // Let a 10 s rate window fill.
  await new Promise((r) => setTimeout(r, 9000));
});

afterAll(async () => {
  await env?.stop();
});

const byVersion = (svc: string, w = '10s') => `sum by (destination_version) (rate(istio_requests_total{reporter="destination",destination_service_name="${svc}"}[${w}]))`;

describe('traffic simulator with the sandbox cluster and Prometheus', () => {
  it('follows the seeded VirtualService weights (checkout 90/10) and the HTTPRoute (search-v1/v2 80/20)', async () => {
    const checkout = shares(await env.query(byVersion('checkout')), 'destination_version');
    expect(checkout.v2).toBeGreaterThan(0.05);
    expect(checkout.v2).toBeLessThan(0.15);
    const search = shares(await env.query(`sum by (destination_workload) (rate(istio_requests_total{reporter="destination",destination_service_name=~"search-v1|search-v2"}[10s]))`), 'destination_workload');
    expect(search['search-v2']).toBeGreaterThan(0.14);
    expect(search['search-v2']).toBeLessThan(0.26);
    expect(env.sim.stats().routing.objects).toMatchObject({ virtualServices: 6, destinationRules: 3, httpRoutes: 1, trafficSplits: 1 });
  });

  it('moves the split within a few scrape intervals after a merge patch of the weights', async () => {
    const before = shares(await env.query(byVersion('catalog', '5s')), 'destination_version');
    expect(before.v2 ?? 0).toBeLessThan(0.12); // 100/0 plus the beta-tester header
    const t0 = Date.now();
    await custom.patchNamespacedCustomObject(
      {
        ...VS,
        name: 'catalog',
        body: {
          spec: {
            http: [
              { name: 'primary', route: [{ destination: { host: 'catalog', subset: 'v1' }, weight: 40 }, { destination: { host: 'catalog', subset: 'v2' }, weight: 60 }] },
            ],
          },
        },
      },
      merge,
    );
    await env.waitFor(byVersion('catalog', '3s'), (r) => {
      const s = shares(r, 'destination_version');
      return (s.v2 ?? 0) > 0.52 && (s.v2 ?? 0) < 0.68;
    }, 15_000);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('a 50 % abort fault raises that edge\'s 5xx rate to about 50 %', async () => {
    const vs = (await custom.getNamespacedCustomObject({ ...VS, name: 'payments' })) as { spec: { http: { fault?: { abort?: { percentage?: { value: number } } } }[] } };
    const http = structuredClone(vs.spec.http);
    http[0]!.fault!.abort!.percentage = { value: 50 };
    await custom.patchNamespacedCustomObject({ ...VS, name: 'payments', body: { spec: { http } } }, merge);
    const sel = 'reporter="source",source_workload="checkout-v1",destination_service_name="payments"';
    const r = await env.waitFor(
      `sum(rate(istio_requests_total{${sel},response_code=~"5.."}[4s])) / sum(rate(istio_requests_total{${sel}}[4s]))`,
      (x) => (x[0]?.value ?? 0) > 0.42 && (x[0]?.value ?? 0) < 0.58,
      15_000,
    );
    expect(r[0]!.value).toBeGreaterThan(0.42);
    const flags = await env.query(`sum by (response_flags) (rate(istio_requests_total{${sel},response_code="503"}[4s]))`);
    expect(flags.map((f) => f.metric.response_flags)).toContain('FI');
  });

  it('exports Linkerd metrics for billing, and the TrafficSplit (90/10) holds', async () => {
    const inbound = await env.query('sum by (deployment) (rate(response_total{namespace="billing",direction="inbound"}[10s]))');
    expect(inbound.map((x) => x.metric.deployment).sort()).toEqual(['fx-rates-v1', 'invoices-v1', 'invoices-v2', 'ledger-v1']);
    const split = shares(inbound.filter((x) => x.metric.deployment?.startsWith('invoices')), 'deployment');
    expect(split['invoices-v2']).toBeGreaterThan(0.05);
    expect(split['invoices-v2']).toBeLessThan(0.15);
    const p95 = await env.query('histogram_quantile(0.95, sum by (le) (rate(response_latency_ms_bucket{namespace="billing",direction="inbound",deployment="fx-rates-v1"}[10s])))');
    expect(p95[0]!.value).toBeGreaterThan(90);
    const edges = await env.query('sum by (deployment, dst_deployment) (tcp_open_connections{direction="outbound",namespace="billing"})');
    expect(edges.length).toBeGreaterThan(0);
  });

  it('reaches Prometheus through the API server\'s service proxy (istio-system/prometheus:9090)', async () => {
    const kube = env.kube!;
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        `${kube.url}/api/v1/namespaces/istio-system/services/prometheus:9090/proxy/api/v1/query?query=${encodeURIComponent('count(istio_requests_total)')}`,
        { ca: kube.caPem, headers: { authorization: `Bearer ${kube.tokens.viewer}` } },
        (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => (res.statusCode === 200 ? resolve(b) : reject(new Error(`HTTP ${res.statusCode}: ${b}`))));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const j = JSON.parse(body) as { status: string; data: { result: { value: [number, string] }[] } };
    expect(j.status).toBe('success');
    expect(Number(j.data.result[0]!.value[1])).toBeGreaterThan(10);
  });

  it('also reads routing over HTTPS with a kubeconfig (client-node informers) and follows changes', async () => {
    const sim = await startTrafficSimulator({ kube: env.kubeconfig!, tickMs: 0 });
    try {
      expect(sim.stats().routing.objects).toMatchObject({ virtualServices: 6, destinationRules: 3, httpRoutes: 1, trafficSplits: 1 });
      expect(sim.stats().routing.source).toContain('client-node');
      await custom.patchNamespacedCustomObject({ ...VS, name: 'checkout', body: { metadata: { labels: { 'test/seen-by': 'informer' } } } }, merge);
      await sim.waitForRouting((o) => o.virtualServices.some((v) => (v.metadata as { labels?: Record<string, string> }).labels?.['test/seen-by'] === 'informer'), 10_000);
    } finally {
      await sim.stop();
    }
  });
});
