/**
 * A generated mesh for benchmarks: `workloads` workloads and `edges` calls (workload -> service),
 * seeded so two runs with the same numbers produce the same mesh. Every edge has a fixed rate, so
 * the traffic does not depend on the call graph's shape. One namespace in ten is Linkerd-meshed.
 */
import type { MeshFile } from './mesh';
import { createRng } from './rng';

export interface SyntheticOptions {
  workloads: number;
  edges: number;
  seed?: number;
  /** Workloads per namespace (default 50). */
  perNamespace?: number;
  /** Requests per second per edge (uniform in [min, max]); default 0.2..2. */
  rps?: { min: number; max: number };
}

export function syntheticMesh(o: SyntheticOptions): MeshFile {
  const rng = createRng(o.seed ?? 42);
  const perNs = o.perNamespace ?? 50;
  const rps = o.rps ?? { min: 0.2, max: 2 };
  const nsCount = Math.max(1, Math.ceil(o.workloads / perNs));
  const namespaces = Array.from({ length: nsCount }, (_, i) => ({
    name: `syn-${String(i).padStart(3, '0')}`,
    mesh: (i % 10 === 9 ? 'linkerd' : 'istio') as 'istio' | 'linkerd',
  }));
  namespaces.push({ name: 'istio-system', mesh: 'istio' });
  const workloads: MeshFile['workloads'] = [
    {
      name: 'istio-ingressgateway', namespace: 'istio-system', app: 'istio-ingressgateway', version: '', replicas: 1,
      latencyMs: { p50: 1, p99: 5 }, errorRate: 0, errorCode: 503, grpcErrorStatus: 14, responseBytes: 0, gateway: true,
    },
  ];
  const services: MeshFile['services'] = [];
  let app = 0;
  while (workloads.length - 1 < o.workloads) {
    const ns = namespaces[Math.floor(app / Math.ceil(perNs * 0.85)) % nsCount]!.name;
    const name = `app-${String(app).padStart(4, '0')}`;
    const versions = rng.chance(0.2) && workloads.length + 1 < o.workloads + 1 ? ['v1', 'v2'] : ['v1'];
    for (const v of versions) {
      if (workloads.length - 1 >= o.workloads) break;
      workloads.push({
        name: `${name}-${v}`, namespace: ns, app: name, version: v, replicas: 1,
        latencyMs: { p50: 5 + rng.int(40), p99: 100 + rng.int(400) },
        errorRate: rng.chance(0.05) ? 0.05 : 0, errorCode: 503, grpcErrorStatus: 14, responseBytes: 500 + rng.int(5000), gateway: false,
      });
    }
    services.push({ name, namespace: ns, port: 8080, protocol: 'http', selector: { app: name } });
    app++;
  }
  const calls: MeshFile['calls'] = [];
  const seen = new Set<string>();
  const meshWorkloads = workloads.slice(1);
  const entryCount = Math.min(10, services.length);
  for (let i = 0; i < entryCount; i++) {
    const s = services[i]!;
    calls.push({ from: 'istio-system/istio-ingressgateway', to: `${s.name}.${s.namespace}`, rps: 5, headers: [], path: '/', failCaller: false, requestBytes: 400 });
  }
  const firstInNs = new Map<string, number>();
  services.forEach((s, i) => {
    if (!firstInNs.has(s.namespace)) firstInNs.set(s.namespace, i);
  });
  let guard = 0;
  while (calls.length - entryCount < o.edges && guard++ < o.edges * 20) {
    const src = meshWorkloads[rng.int(meshWorkloads.length)]!;
    // Mostly local calls (same or neighbouring namespace), like real meshes.
    const dst = rng.chance(0.8) ? services[Math.min(services.length - 1, Math.max(0, (firstInNs.get(src.namespace) ?? 0) + rng.int(perNs)))]! : services[rng.int(services.length)]!;
    if (!dst || dst.name === src.app) continue;
    const key = `${src.namespace}/${src.app}@${src.version}->${dst.name}.${dst.namespace}`;
    if (seen.has(key)) continue;
    seen.add(key);
    calls.push({
      from: `${src.namespace}/${src.app}@${src.version}`, to: `${dst.name}.${dst.namespace}`,
      rps: rps.min + rng.next() * (rps.max - rps.min), headers: [], path: '/', failCaller: false, requestBytes: 400,
    });
  }
  return { trustDomain: 'cluster.local', clusterDomain: 'cluster.local', clusters: ['east', 'west'], namespaces, workloads, services, calls };
}
