/**
 * The simulator's world: workloads (Deployments, with their behaviour), services (with selectors)
 * and calls (who calls whom, how often). Loaded from `mesh.yaml` (the demo mesh, which mirrors the
 * sandbox cluster's seed) or generated (synthetic mode, for benchmarks).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

export const DEFAULT_MESH_FILE = fileURLToPath(new URL('./mesh.yaml', import.meta.url));

const latencySchema = z.object({ p50: z.number().positive(), p99: z.number().positive() }).strict();

const workloadSchema = z
  .object({
    name: z.string().min(1),
    namespace: z.string().min(1),
    app: z.string().min(1),
    version: z.string().default(''),
    serviceAccount: z.string().optional(),
    /** Multi-cluster mode only: which cluster runs it (default: the first cluster). */
    cluster: z.string().optional(),
    replicas: z.number().int().min(0).default(1),
    latencyMs: latencySchema.default({ p50: 10, p99: 50 }),
    /** Share of requests the workload itself fails (0..1). */
    errorRate: z.number().min(0).max(1).default(0),
    errorCode: z.number().int().min(100).max(599).default(503),
    /** gRPC status for failures of gRPC requests (14 = UNAVAILABLE). */
    grpcErrorStatus: z.number().int().min(1).max(16).default(14),
    responseBytes: z.number().int().min(0).default(1200),
    /** A gateway: called from outside the mesh, reports as a source only. */
    gateway: z.boolean().default(false),
  })
  .strict();

const serviceSchema = z
  .object({
    name: z.string().min(1),
    namespace: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    protocol: z.enum(['http', 'grpc', 'tcp']).default('http'),
    selector: z.record(z.string(), z.string()),
  })
  .strict();

const headerSchema = z
  .object({ name: z.string().min(1), value: z.string(), fraction: z.number().min(0).max(1) })
  .strict();

const callSchema = z
  .object({
    /** `ns/app` (every version), `ns/app@version`, or `unknown` (traffic from outside the mesh, no proxy). */
    from: z.string().min(1),
    /** `service.namespace`. */
    to: z.string().min(1),
    /** Fixed rate (requests per second) for entry traffic. */
    rps: z.number().min(0).optional(),
    /** Calls made per request the source handles (fan-out along the call chain). */
    perRequest: z.number().min(0).optional(),
    /** Headers carried by a fraction of the requests (for header/cookie routing). */
    headers: z.array(headerSchema).default([]),
    path: z.string().default('/'),
    /** A failed call fails the caller's request too. */
    failCaller: z.boolean().default(false),
    /** TCP calls: connections opened per request/second and bytes per connection. */
    tcp: z.object({ bytesSent: z.number().int().min(0), bytesReceived: z.number().int().min(0) }).strict().optional(),
    requestBytes: z.number().int().min(0).default(400),
  })
  .strict()
  .refine((c) => (c.rps === undefined) !== (c.perRequest === undefined), { message: 'a call sets exactly one of rps and perRequest' });

const meshFileSchema = z
  .object({
    trustDomain: z.string().default('cluster.local'),
    clusterDomain: z.string().default('cluster.local'),
    /** Cluster names used when the simulator runs multi-cluster; the first is the default one. */
    clusters: z.array(z.string().min(1)).min(1).default(['east', 'west']),
    namespaces: z.array(z.object({ name: z.string().min(1), mesh: z.enum(['istio', 'linkerd', 'none']) }).strict()),
    workloads: z.array(workloadSchema),
    services: z.array(serviceSchema),
    calls: z.array(callSchema),
  })
  .strict();

export type MeshFile = z.output<typeof meshFileSchema>;
export type WorkloadSpec = z.output<typeof workloadSchema>;
export type ServiceSpec = z.output<typeof serviceSchema>;
export type CallSpec = z.output<typeof callSchema>;
export type MeshKind = 'istio' | 'linkerd' | 'none';

export interface Workload extends WorkloadSpec {
  key: string;
  mesh: MeshKind;
  serviceAccount: string;
  cluster: string;
  /** Pod name used in Linkerd labels (one pod per workload keeps cardinality bounded). */
  pod: string;
  podIp: string;
  /** Calls this workload makes per request it handles. */
  fanout: Call[];
}

export interface Service extends ServiceSpec {
  key: string;
  fqdn: string;
  mesh: MeshKind;
  clusterIp: string;
  workloads: Workload[];
}

export interface Call extends CallSpec {
  key: string;
  /** null: an `unknown` source (no proxy, no identity). */
  sources: Workload[] | null;
  target: Service;
}

export interface Mesh {
  trustDomain: string;
  clusterDomain: string;
  clusters: string[];
  multiCluster: boolean;
  namespaces: Map<string, MeshKind>;
  workloads: Workload[];
  services: Service[];
  calls: Call[];
  /** Entry calls (fixed rate). */
  entries: Call[];
  serviceByKey: Map<string, Service>;
}

function ipFor(i: number, base: number): string {
  return `10.${base}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
}

/** Turns a validated file into the linked model; throws with a clear message on dangling names. */
export function buildMesh(file: MeshFile, opts: { multiCluster?: boolean } = {}): Mesh {
  const multiCluster = opts.multiCluster ?? false;
  const namespaces = new Map(file.namespaces.map((n) => [n.name, n.mesh] as const));
  const defaultCluster = multiCluster ? file.clusters[0]! : 'Kubernetes';
  const workloads: Workload[] = file.workloads.map((w, i) => {
    const mesh = namespaces.get(w.namespace);
    if (!mesh) throw new Error(`mesh: workload ${w.namespace}/${w.name} is in an undeclared namespace`);
    if (w.cluster && multiCluster && !file.clusters.includes(w.cluster)) throw new Error(`mesh: workload ${w.name} names unknown cluster ${w.cluster}`);
    const hash = ((i * 2654435761) >>> 0).toString(36).slice(0, 5).padEnd(5, 'x');
    return {
      ...w,
      key: `${w.namespace}/${w.name}`,
      mesh,
      serviceAccount: w.serviceAccount ?? w.app,
      cluster: multiCluster ? (w.cluster ?? defaultCluster) : defaultCluster,
      pod: `${w.name}-7d4b9${hash}-abcde`.slice(0, 63),
      podIp: ipFor(i, 244),
      fanout: [],
    };
  });
  const services: Service[] = file.services.map((s, i) => {
    const mesh = namespaces.get(s.namespace);
    if (!mesh) throw new Error(`mesh: service ${s.namespace}/${s.name} is in an undeclared namespace`);
    const sel = Object.entries(s.selector);
    const members = workloads.filter(
      (w) => w.namespace === s.namespace && sel.every(([k, v]) => (k === 'app' ? w.app === v : k === 'version' ? w.version === v : false)),
    );
    return { ...s, key: `${s.name}.${s.namespace}`, fqdn: `${s.name}.${s.namespace}.svc.${file.clusterDomain}`, mesh, clusterIp: ipFor(i, 96), workloads: members };
  });
  const serviceByKey = new Map(services.map((s) => [s.key, s] as const));
  const calls: Call[] = file.calls.map((c) => {
    const target = serviceByKey.get(c.to);
    if (!target) throw new Error(`mesh: call ${c.from} -> ${c.to}: no service "${c.to}" (write it as service.namespace)`);
    let sources: Workload[] | null = null;
    if (c.from !== 'unknown') {
      const m = /^([^/]+)\/([^@]+)(?:@(.+))?$/.exec(c.from);
      if (!m) throw new Error(`mesh: call source "${c.from}" must be ns/app, ns/app@version or unknown`);
      const [, ns, app, version] = m;
      sources = workloads.filter((w) => w.namespace === ns && w.app === app && (version === undefined || w.version === version));
      if (sources.length === 0) throw new Error(`mesh: call source "${c.from}" matches no workload`);
    }
    return { ...c, key: `${c.from}->${c.to}`, sources, target };
  });
  for (const c of calls) if (c.perRequest !== undefined && c.sources) for (const w of c.sources) w.fanout.push(c);
  return {
    trustDomain: file.trustDomain,
    clusterDomain: file.clusterDomain,
    clusters: multiCluster ? file.clusters : [defaultCluster],
    multiCluster,
    namespaces,
    workloads,
    services,
    calls,
    entries: calls.filter((c) => c.rps !== undefined),
    serviceByKey,
  };
}

export function parseMeshFile(text: string, where = 'mesh.yaml'): MeshFile {
  const raw: unknown = parse(text);
  const r = meshFileSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new Error(`${where}: ${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'}`);
  }
  return r.data;
}

export function loadMesh(path = DEFAULT_MESH_FILE, opts: { multiCluster?: boolean } = {}): Mesh {
  return buildMesh(parseMeshFile(readFileSync(path, 'utf8'), path), opts);
}
