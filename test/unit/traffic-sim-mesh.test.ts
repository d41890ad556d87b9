import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_SEED_DIR } from '../../sandbox/kube/index';
import { MeshExporter } from '../../sandbox/traffic/exporter';
import { TrafficEngine } from '../../sandbox/traffic/engine';
import { loadMesh } from '../../sandbox/traffic/mesh';
import { createRng } from '../../sandbox/traffic/rng';
import { RoutingTable, emptyRoutingObjects, type RoutingObjects } from '../../sandbox/traffic/routing';
import { syntheticMesh } from '../../sandbox/traffic/synthetic';
import { buildMesh } from '../../sandbox/traffic/mesh';

interface Doc {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

function seedDocs(): Doc[] {
  const out: Doc[] = [];
  for (const f of readdirSync(DEFAULT_SEED_DIR).filter((n) => n.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(join(DEFAULT_SEED_DIR, f), 'utf8'))) {
      const j = d.toJSON() as Doc | null;
      if (j) out.push(j);
    }
  }
  return out;
}

describe('traffic simulator mesh.yaml agrees with the sandbox seed', () => {
  const mesh = loadMesh();
  const docs = seedDocs();
  const deployments = docs.filter((d) => d.kind === 'Deployment' && ['shop', 'billing'].includes(d.metadata.namespace ?? ''));
  const services = docs.filter((d) => d.kind === 'Service' && ['shop', 'billing'].includes(d.metadata.namespace ?? ''));

  it('has exactly the seed workloads, with their error rates and median latencies', () => {
    const ours = mesh.workloads.filter((w) => w.namespace !== 'istio-system').map((w) => `${w.namespace}/${w.name}`).sort();
    expect(ours).toEqual(deployments.map((d) => `${d.metadata.namespace}/${d.metadata.name}`).sort());
    for (const d of deployments) {
      const tpl = (d.spec?.template ?? {}) as { metadata?: { annotations?: Record<string, string>; labels?: Record<string, string> } };
      const a = tpl.metadata?.annotations ?? {};
      const w = mesh.workloads.find((x) => x.name === d.metadata.name && x.namespace === d.metadata.namespace)!;
      expect(w.errorRate, d.metadata.name).toBe(Number(a['sandbox.meshdeck.dev/error-rate']));
      expect(w.latencyMs.p50, d.metadata.name).toBe(Number(a['sandbox.meshdeck.dev/latency-ms']));
      expect(w.version).toBe(tpl.metadata?.labels?.version);
      expect(w.replicas).toBe(d.spec?.replicas ?? 1);
    }
  });

  it('has exactly the seed services, with their ports and selectors', () => {
    const ours = mesh.services.map((s) => `${s.namespace}/${s.name}:${s.port} ${JSON.stringify(s.selector)}`).sort();
    const seed = services.map((s) => `${s.metadata.namespace}/${s.metadata.name}:${(s.spec?.ports as { port: number }[])[0]!.port} ${JSON.stringify(s.spec?.selector)}`).sort();
    expect(ours).toEqual(seed);
  });

  it('calls exactly what the seed annotations say each workload calls', () => {
    const seedCalls = new Set<string>();
    for (const d of [...deployments, ...docs.filter((x) => x.kind === 'Deployment' && x.metadata.name === 'istio-ingressgateway')]) {
      const a = ((d.spec?.template ?? {}) as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {};
      for (const c of (a['sandbox.meshdeck.dev/calls'] ?? '').split(',').filter(Boolean)) {
        const host = c.split(':')[0]!;
        const target = host.includes('.') ? host : `${host}.${d.metadata.namespace}`;
        seedCalls.add(`${d.metadata.namespace}/${d.metadata.name}->${target}`);
      }
    }
    const ours = new Set<string>();
    for (const c of mesh.calls) for (const w of c.sources ?? []) ours.add(`${w.namespace}/${w.name}->${c.target.key}`);
    expect([...ours].sort()).toEqual([...seedCalls].sort());
  });

  it('includes a gRPC service, a TCP service, gateway and unknown entry traffic', () => {
    expect(mesh.services.some((s) => s.protocol === 'grpc')).toBe(true);
    expect(mesh.services.some((s) => s.protocol === 'tcp')).toBe(true);
    expect(mesh.entries.some((c) => c.sources === null)).toBe(true);
    expect(mesh.entries.some((c) => c.sources?.[0]?.gateway)).toBe(true);
  });
});

describe('traffic simulator metrics', () => {
  async function run(objs: RoutingObjects, seconds = 20, multiCluster = false) {
    const m = loadMesh(undefined, { multiCluster });
    const exporter = new MeshExporter(m, { histograms: 'both', byteHistograms: true });
    const engine = new TrafficEngine(m, exporter, createRng(11), new RoutingTable(m, objs));
    for (let i = 0; i < seconds * 2; i++) engine.tick(0.5);
    return { text: await exporter.registry.metrics(), engine };
  }
  const lines = (text: string, metric: string, ...parts: string[]) => text.split('\n').filter((l) => l.startsWith(`${metric}{`) && parts.every((p) => l.includes(p)));
  const sum = (ls: string[]) => ls.reduce((a, l) => a + Number(l.split(' ').pop()), 0);

  it('reports each hop from both Istio reporters, unknown callers only from the destination', async () => {
    const { text } = await run(emptyRoutingObjects());
    const src = sum(lines(text, 'istio_requests_total', 'reporter="source"', 'source_workload="frontend-v1"', 'destination_service_name="catalog"'));
    const dst = sum(lines(text, 'istio_requests_total', 'reporter="destination"', 'source_workload="frontend-v1"', 'destination_service_name="catalog"'));
    expect(src).toBeGreaterThan(100);
    expect(dst).toBe(src);
    expect(lines(text, 'istio_requests_total', 'reporter="destination"', 'source_workload="unknown"', 'connection_security_policy="none"').length).toBeGreaterThan(0);
    expect(lines(text, 'istio_requests_total', 'reporter="source"', 'source_workload="unknown"')).toEqual([]);
    expect(lines(text, 'istio_requests_total', 'reporter="destination"', 'source_workload="istio-ingressgateway"', 'connection_security_policy="mutual_tls"').length).toBeGreaterThan(0);
    // gRPC: HTTP 200 with a grpc status; TCP: byte counters, both reporters.
    expect(lines(text, 'istio_requests_total', 'request_protocol="grpc"', 'grpc_response_status="0"').length).toBeGreaterThan(0);
    expect(sum(lines(text, 'istio_tcp_received_bytes_total', 'reporter="destination"', 'destination_service_name="sessions"'))).toBeGreaterThan(0);
    expect(lines(text, 'istio_tcp_connections_opened_total', 'reporter="source"', 'destination_service_name="sessions"').length).toBeGreaterThan(0);
    expect(lines(text, 'istio_request_duration_milliseconds_bucket', 'le="0.5"').length).toBeGreaterThan(0);
    expect(text).toContain('source_cluster="Kubernetes"');
  });

  it('marks fault-injected aborts FI at the caller, with no destination workload', async () => {
    const { text } = await run({
      ...emptyRoutingObjects(),
      virtualServices: [{ metadata: { name: 'payments', namespace: 'shop' }, spec: { hosts: ['payments'], http: [{ fault: { abort: { httpStatus: 503, percentage: { value: 50 } } }, route: [{ destination: { host: 'payments' } }] }] } }],
    });
    const fi = sum(lines(text, 'istio_requests_total', 'reporter="source"', 'destination_service_name="payments"', 'response_flags="FI"', 'response_code="503"', 'destination_workload="unknown"'));
    const all = sum(lines(text, 'istio_requests_total', 'reporter="source"', 'destination_service_name="payments"'));
    expect(fi / all).toBeGreaterThan(0.4);
    expect(fi / all).toBeLessThan(0.6);
    expect(lines(text, 'istio_requests_total', 'reporter="destination"', 'response_flags="FI"')).toEqual([]);
  });

  it('exports Linkerd proxy metrics for the Linkerd namespace (inbound and outbound, dst_* labels)', async () => {
    const { text } = await run(emptyRoutingObjects());
    expect(lines(text, 'response_total', 'direction="outbound"', 'deployment="invoices-v1"', 'dst_deployment="ledger-v1"', 'tls="true"', 'classification="success"').length).toBe(1);
    expect(lines(text, 'response_total', 'direction="inbound"', 'deployment="ledger-v1"', 'client_id="invoices.billing.serviceaccount.identity.linkerd.cluster.local"').length).toBeGreaterThan(0);
    expect(lines(text, 'request_total', 'direction="inbound"', 'namespace="billing"').length).toBeGreaterThan(0);
    expect(lines(text, 'response_latency_ms_bucket', 'direction="inbound"', 'le="50"').length).toBeGreaterThan(0);
    expect(lines(text, 'tcp_open_connections', 'direction="outbound"', 'deployment="invoices-v1"', 'dst_deployment="ledger-v1"').length).toBe(1);
    expect(lines(text, 'tcp_read_bytes_total', 'namespace="billing"').length).toBeGreaterThan(0);
    // Istio-meshed orders calling Linkerd-meshed invoices: the Istio caller cannot name the workload.
    expect(lines(text, 'istio_requests_total', 'reporter="source"', 'source_workload="orders-v1"', 'destination_service_name="invoices"', 'destination_workload="unknown"').length).toBeGreaterThan(0);
    expect(lines(text, 'istio_requests_total', 'destination_workload_namespace="billing"')).toEqual([]);
  });

  it('labels clusters east/west in multi-cluster mode', async () => {
    const { text } = await run(emptyRoutingObjects(), 5, true);
    expect(text).toContain('destination_cluster="west"');
    expect(text).toContain('source_cluster="east"');
    expect(text).not.toContain('source_cluster="Kubernetes"');
  });

  it('times out slow calls (504 UT at the caller, DC at the server) and retries 5xx', async () => {
    const { text, engine } = await run({
      ...emptyRoutingObjects(),
      virtualServices: [
        { metadata: { name: 'payments', namespace: 'shop' }, spec: { hosts: ['payments'], http: [{ route: [{ destination: { host: 'payments' } }], timeout: '100ms' }] } },
        { metadata: { name: 'checkout', namespace: 'shop' }, spec: { hosts: ['checkout'], http: [{ route: [{ destination: { host: 'checkout' } }], retries: { attempts: 2, retryOn: '5xx' } }] } },
      ],
    });
    expect(sum(lines(text, 'istio_requests_total', 'reporter="source"', 'destination_service_name="payments"', 'response_code="504"', 'response_flags="UT"'))).toBeGreaterThan(0);
    expect(sum(lines(text, 'istio_requests_total', 'reporter="destination"', 'destination_service_name="payments"', 'response_flags="DC"'))).toBeGreaterThan(0);
    expect(engine.stats.retries).toBeGreaterThan(0);
    expect(engine.stats.timeouts).toBeGreaterThan(0);
  });

  it('generates a synthetic mesh of the asked size, the same for the same seed', () => {
    const a = syntheticMesh({ workloads: 300, edges: 1200, seed: 3 });
    const b = syntheticMesh({ workloads: 300, edges: 1200, seed: 3 });
    expect(a).toEqual(b);
    const m = buildMesh(a);
    expect(m.workloads.length).toBe(301); // + the ingress gateway
    expect(m.calls.length).toBe(1200 + 10);
  });
});
