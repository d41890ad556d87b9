import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTrafficSimulator } from '../../sandbox/traffic';
import type { TrafficSimulator } from '../../sandbox/traffic';
import { startPrometheus, waitForQuery } from '../../sandbox/prometheus';
import type { SandboxPrometheus } from '../../sandbox/prometheus';
import { createGraphService } from '../../main/graph/service';
import type { GraphService } from '../../main/graph/service';
import { PromClient, directTransport } from '../../main/metrics';
import { graphOptionsSchema } from '../../shared/contract/graph';
import type { Graph, GraphEdge } from '../../shared/graph/types';

/**
 * The demo mesh (sandbox/traffic/mesh.yaml) through a real Prometheus: the graph has the demo's
 * nodes and edges at the rates the simulator is configured for, within tolerance.
 */
let sim: TrafficSimulator;
let prom: SandboxPrometheus;
let service: GraphService;

beforeAll(async () => {
  sim = await startTrafficSimulator({ tickMs: 250 });
  prom = await startPrometheus({ targets: [sim.target], scrapeIntervalMs: 1000 });
  const client = new PromClient(directTransport({ url: prom.url }));
  service = createGraphService({
    sources: { prometheus: () => client, routing: () => null, clusterName: () => 'sandbox' },
    queryTimeoutMs: 5000,
  });
  // Enough history for rate() over the window to settle.
  await waitForQuery(prom.url, 'count_over_time(istio_requests_total{reporter="destination",destination_workload="frontend-v1"}[2m])', {
    timeoutMs: 90_000, pred: (v) => v.some((s) => Number(s.value[1]) >= 70),
  });
}, 150_000);

afterAll(async () => {
  await prom?.stop();
  await sim?.stop();
});

const opts = (o: Record<string, unknown> = {}) => graphOptionsSchema.parse({ contexts: ['sandbox'], namespaces: ['shop', 'billing'], window: '1m', ...o });
function edge(g: Graph, source: string, target: string): GraphEdge {
  const e = g.edges.filter((x) => x.source === source && x.target === target);
  if (e.length === 0) throw new Error(`no edge ${source} -> ${target}; have:\n${g.edges.map((x) => `${x.id} ${x.rate}`).join('\n')}`);
  return e[0]!;
}
const near = (actual: number, expected: number, tol: number) => {
  expect(actual, `${actual} vs ${expected} ±${tol * 100}%`).toBeGreaterThanOrEqual(expected * (1 - tol));
  expect(actual, `${actual} vs ${expected} ±${tol * 100}%`).toBeLessThanOrEqual(expected * (1 + tol));
};

/**
 * What the simulator is configured to send (no routing objects: plain load balancing by
 * replicas): rate per caller -> service and per service -> workload, from the mesh file.
 */
function expectedFlows(mesh: TrafficSimulator['mesh']) {
  const toService = new Map<string, { rate: number; tcp: boolean }>();
  const toWorkload = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const send = (call: TrafficSimulator['mesh']['calls'][number], src: string, rate: number, depth: number) => {
    const k = `${src}>${call.target.namespace}/${call.target.name}`;
    const cur = toService.get(k);
    toService.set(k, { rate: (cur?.rate ?? 0) + rate, tcp: call.target.protocol === 'tcp' });
    const total = call.target.workloads.reduce((a, w) => a + (w.replicas ?? 1), 0);
    for (const w of call.target.workloads) flow(w, rate * ((w.replicas ?? 1) / total), call.target, depth);
  };
  const flow = (w: TrafficSimulator['mesh']['workloads'][number], rate: number, svc: { namespace: string; name: string }, depth: number) => {
    add(toWorkload, `${svc.namespace}/${svc.name}>${w.namespace}/${w.name}`, rate);
    if (depth > 8) return;
    for (const c of w.fanout) send(c, `${w.namespace}/${w.name}`, rate * (c.perRequest ?? 0), depth + 1);
  };
  for (const e of mesh.entries) {
    if (!e.sources) send(e, 'unknown', e.rps ?? 0, 0);
    else {
      const total = e.sources.reduce((a, w) => a + (w.replicas ?? 1), 0);
      for (const w of e.sources) send(e, `${w.namespace}/${w.name}`, (e.rps ?? 0) * ((w.replicas ?? 1) / total), 0);
    }
  }
  return { toService, toWorkload };
}

const C = 'sandbox';
const wlId = (k: string) => (k === 'unknown' ? `unknown:${C}` : `wl:${C}:${k.replace('/', ':')}`);
const svcId = (k: string) => `svc:${C}:${k.replace('/', ':')}`;
// Poisson noise over a 1-minute window: 3 standard deviations, at least 20 %.
const tolFor = (rate: number) => Math.max(0.2, 3 / Math.sqrt(rate * 60));

describe('graph against the sandbox mesh and a real Prometheus', () => {
  let g: Graph;
  let flows: ReturnType<typeof expectedFlows>;
  beforeAll(async () => {
    g = await service.get(opts(), new AbortController().signal);
    flows = expectedFlows(sim.mesh);
  }, 30_000);

  it('draws every demo workload and service that carries traffic, and the unknown caller', () => {
    const ids = new Set(g.nodes.map((n) => n.id));
    for (const [k, r] of flows.toService) {
      if (r.rate < 0.2) continue;
      const [src, svc] = k.split('>') as [string, string];
      expect(ids, src).toContain(wlId(src));
      expect(ids, svc).toContain(svcId(svc));
    }
    for (const [k, r] of flows.toWorkload) if (r >= 0.2) expect(ids, k).toContain(wlId(k.split('>')[1]!));
    expect(ids).toContain(`unknown:${C}`);
    expect(g.empty).toBe(false);
    expect(g.contexts[0]!.meshes).toEqual(['istio', 'linkerd']);
    expect(g.boxes.some((b) => b.kind === 'cluster')).toBe(false);
    expect(g.stale).toBeNull();
  });

  it('has the configured rates on every edge (both Istio reporters counted once)', () => {
    let checked = 0;
    for (const [k, r] of flows.toService) {
      if (r.tcp || r.rate < 0.5) continue;
      const [src, svc] = k.split('>') as [string, string];
      near(edge(g, wlId(src), svcId(svc)).rate, r.rate, tolFor(r.rate));
      checked++;
    }
    for (const [k, r] of flows.toWorkload) {
      const [svc, wl] = k.split('>') as [string, string];
      const s = sim.mesh.services.find((x) => `${x.namespace}/${x.name}` === svc);
      if (s?.protocol === 'tcp' || r < 0.5) continue;
      near(edge(g, svcId(svc), wlId(wl)).rate, r, tolFor(r));
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
    const tcp = [...flows.toService].filter(([, r]) => r.tcp);
    expect(tcp.length).toBeGreaterThan(0);
    for (const [k] of tcp) {
      const [src, svc] = k.split('>') as [string, string];
      const e = edge(g, wlId(src), svcId(svc));
      expect(e.protocol).toBe('tcp');
      expect(e.rate).toBeGreaterThan(0);
    }
    const grpc = sim.mesh.services.find((x) => x.protocol === 'grpc');
    if (grpc) expect(g.edges.find((e) => e.target === svcId(`${grpc.namespace}/${grpc.name}`))?.protocol).toBe('grpc');
  });

  it('adds latency, mTLS and health', () => {
    const istioEdges = g.edges.filter((e) => e.mesh === 'istio' && e.protocol !== 'tcp' && !e.source.startsWith('unknown') && g.nodes.find((n) => n.id === e.target)?.type === 'workload');
    expect(istioEdges.length).toBeGreaterThan(3);
    for (const e of istioEdges) expect(e.responseTime?.p95, e.id).toBeGreaterThan(0);
    const inMesh = g.edges.filter((e) => e.mesh === 'istio' && e.source.startsWith(`wl:${C}:shop:`) && e.target.startsWith(`svc:${C}:shop:`) && e.protocol !== 'tcp');
    expect(inMesh.length).toBeGreaterThan(3);
    for (const e of inMesh) expect(e.mtlsPct, e.id).toBe(100);
    for (const e of g.edges.filter((x) => x.source === `unknown:${C}`)) expect(e.mtlsPct).toBe(0);
    // the workloads configured to fail a lot are red; the ones that never fail are green
    for (const w of sim.mesh.workloads) {
      const n = g.nodes.find((x) => x.id === wlId(`${w.namespace}/${w.name}`));
      if (!n || n.traffic.httpIn.total < 1) continue;
      if ((w.errorRate ?? 0) >= 0.15) expect(n.health, w.name).toBe('failure');
      if ((w.errorRate ?? 0) === 0 && n.type === 'workload' && !sim.mesh.calls.some((c) => c.failCaller && c.sources?.includes(w))) expect(n.health, w.name).toBe('healthy');
    }
  });

  it('joins an Istio caller and a Linkerd callee across meshes, and draws Linkerd edges', () => {
    const cross = [...flows.toService].filter(([k]) => {
      const [src, svc] = k.split('>') as [string, string];
      return sim.mesh.namespaces.get(src.split('/')[0]!) === 'istio' && sim.mesh.namespaces.get(svc.split('/')[0]!) === 'linkerd';
    });
    expect(cross.length).toBeGreaterThan(0);
    for (const [k] of cross) {
      const svc = k.split('>')[1]!;
      const s = sim.mesh.services.find((x) => `${x.namespace}/${x.name}` === svc)!;
      for (const w of s.workloads) {
        const into = g.edges.filter((x) => x.target === wlId(`${w.namespace}/${w.name}`));
        expect(into.map((x) => x.source), w.name).not.toContain(`unknown:${C}`);
        expect(into.map((x) => x.source), w.name).toContain(svcId(svc));
      }
    }
    const linkerd = g.edges.filter((e) => e.mesh === 'linkerd' && !e.source.startsWith('unknown'));
    expect(linkerd.length).toBeGreaterThan(1);
    for (const e of linkerd) if (e.target.startsWith('svc:')) expect(e.mtlsPct, e.id).toBe(100);
  });

  it('builds the service and app graphs', async () => {
    const [k, r] = [...flows.toService].filter(([kk, rr]) => !rr.tcp && !kk.startsWith('unknown') && !kk.startsWith('istio-system')).sort((a, b) => b[1].rate - a[1].rate)[0]!;
    const [src, svc] = k.split('>') as [string, string];
    const srcSvc = sim.mesh.services.find((s) => s.workloads.some((w) => `${w.namespace}/${w.name}` === src))!;
    const svcG = await service.get(opts({ graphType: 'service' }), new AbortController().signal);
    expect(svcG.nodes.every((n) => n.type === 'service' || n.type === 'unknown' || n.isRoot)).toBe(true);
    expect(edge(svcG, svcId(`${srcSvc.namespace}/${srcSvc.name}`), svcId(svc)).rate).toBeGreaterThan(r.rate * 0.7);
    const app = await service.get(opts({ graphType: 'app', injectServiceNodes: false }), new AbortController().signal);
    expect(app.nodes.some((n) => n.type === 'app')).toBe(true);
    expect(app.nodes.some((n) => n.type === 'service')).toBe(false);
  });

  it('gives the side panel its golden signals', async () => {
    const busiest = [...flows.toWorkload].filter(([k]) => !k.startsWith('istio-system')).sort((a, b) => b[1] - a[1])[0]!;
    const id = wlId(busiest[0].split('>')[1]!);
    const inbound = g.nodes.find((n) => n.id === id)!.traffic.httpIn.total;
    const d = await service.detail(opts(), id, new AbortController().signal);
    expect(d.series.rps.points.length).toBeGreaterThan(3);
    near(d.series.rps.points.at(-1)!.v, inbound, 0.35);
    expect(d.series.successRate.points.at(-1)!.v).toBeGreaterThan(50);
    expect(d.series.p95.points.length).toBeGreaterThan(0);
    expect(d.inbound.length).toBeGreaterThan(0);
    const le = g.edges.find((e) => e.mesh === 'linkerd' && e.source.startsWith('wl:'))!;
    const e = await service.detail(opts(), le.id, new AbortController().signal);
    expect(e.series.rps.points.length).toBeGreaterThan(3);
  });

  it('keeps the last good graph, marked stale, when Prometheus goes down', async () => {
    const before = await service.get(opts(), new AbortController().signal);
    await prom.stop();
    const t0 = Date.now();
    const after = await service.get(opts(), new AbortController().signal);
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(after.stale).not.toBeNull();
    expect(after.stale!.code).toBe('UNREACHABLE');
    expect(after.nodes.map((n) => n.id).sort()).toEqual(before.nodes.map((n) => n.id).sort());
    // a graph never asked for before has nothing to fall back on: a typed error
    await expect(service.get(opts({ namespaces: ['shop'] }), new AbortController().signal)).rejects.toMatchObject({ code: 'UNREACHABLE' });
  });
});
