import type { MeshKind, Protocol } from '../../shared/graph/types';
import type { Sample } from './ports';

/**
 * Prometheus series turned into mesh-neutral observations: who called whom, how, with what
 * outcome, at what rate. Everything after this step is the same for Istio and Linkerd.
 */

export interface Side {
  cluster: string;
  namespace: string;
  /** "unknown" for a caller without identity. */
  workload: string;
  app: string;
  version: string;
}

export interface DestSide extends Side {
  /** Empty when the request did not go through a Kubernetes service (Linkerd inbound). */
  serviceNamespace: string;
  service: string;
}

export type Outcome = 'ok' | '4xx' | '5xx';

export interface Identity {
  mesh: MeshKind;
  src: Side;
  dst: DestSide;
  /** Which proxy reported it: the caller's (true) or the callee's. */
  byCaller: boolean;
  /** identityKey(this), computed once: every later step keys maps by it. */
  key: string;
}

export interface TrafficObs extends Identity {
  protocol: Protocol;
  code: string;
  outcome: Outcome;
  /** Linkerd tls="true" / Istio mutual_tls, when the traffic series says. */
  tls: boolean | null;
  rate: number;
  /** The identity its latency and mTLS series carry, when a cross-mesh join changed `dst`. */
  idKey?: string;
}

export interface ValueObs extends Identity {
  value: number;
}

export const UNKNOWN = 'unknown';

const known = (v: string | undefined): v is string => v !== undefined && v !== '' && v !== UNKNOWN;
/**
 * Istio labels every series "Kubernetes" unless the mesh was given cluster names (multi-cluster
 * setups must): that default means "this context's cluster", so it takes the context's name.
 */
const istioCluster = (v: string | undefined, fallback: string) => (known(v) && v !== 'Kubernetes' ? v : fallback);

/** `reviews.bookinfo.svc.cluster.local` -> reviews. */
function serviceFromHost(host: string | undefined): string {
  if (!host || host === UNKNOWN) return '';
  return host.split('.')[0] ?? '';
}

export function istioIdentity(m: Record<string, string>, fallbackCluster: string): Identity {
  const srcWl = known(m.source_workload) ? m.source_workload : UNKNOWN;
  const dstWl = known(m.destination_workload) ? m.destination_workload : UNKNOWN;
  const dstCluster = istioCluster(m.destination_cluster, fallbackCluster);
  const svc = known(m.destination_service_name) ? m.destination_service_name : serviceFromHost(m.destination_service);
  const svcNs = known(m.destination_service_namespace) ? m.destination_service_namespace : (m.destination_workload_namespace ?? '');
  const src: Side = {
    // An unknown caller has no cluster of its own: draw it in the cluster that saw it.
    cluster: srcWl === UNKNOWN ? dstCluster : istioCluster(m.source_cluster, fallbackCluster),
    namespace: srcWl === UNKNOWN ? UNKNOWN : (m.source_workload_namespace ?? UNKNOWN),
    workload: srcWl,
    app: known(m.source_canonical_service) ? m.source_canonical_service : srcWl,
    version: known(m.source_canonical_revision) ? m.source_canonical_revision : 'latest',
  };
  const dst: DestSide = {
    cluster: dstCluster,
    namespace: known(m.destination_workload_namespace) ? m.destination_workload_namespace : svcNs,
    workload: dstWl,
    app: known(m.destination_canonical_service) ? m.destination_canonical_service : dstWl === UNKNOWN ? svc : dstWl,
    version: known(m.destination_canonical_revision) ? m.destination_canonical_revision : 'latest',
    serviceNamespace: svcNs,
    service: svc,
  };
  return withKey({ mesh: 'istio', src, dst, byCaller: m.reporter !== 'destination', key: '' });
}

function withKey<T extends Identity>(o: T): T {
  o.key = identityKey(o);
  return o;
}

function istioOutcome(m: Record<string, string>, protocol: Protocol): Outcome {
  const code = m.response_code ?? '';
  if (protocol === 'grpc') {
    const g = m.grpc_response_status;
    if (g !== undefined && g !== '' && g !== '0') return '5xx';
  }
  if (code.startsWith('5') || code === '0' || code === '-' || code === '') return '5xx';
  if (code.startsWith('4')) return '4xx';
  return 'ok';
}

export function istioTraffic(samples: readonly Sample[], fallbackCluster: string): TrafficObs[] {
  const out: TrafficObs[] = [];
  for (const s of samples) {
    if (!Number.isFinite(s.value) || s.value < 0) continue;
    const m = s.metric;
    const protocol: Protocol = m.request_protocol === 'grpc' ? 'grpc' : 'http';
    const outcome = istioOutcome(m, protocol);
    const code = protocol === 'grpc' && m.grpc_response_status ? `grpc ${m.grpc_response_status}` : (m.response_code || '-');
    const id = istioIdentity(m, fallbackCluster) as TrafficObs;
    id.protocol = protocol;
    id.code = code;
    id.outcome = outcome;
    id.tls = null;
    id.rate = s.value;
    out.push(id);
  }
  return out;
}

function linkerdWorkload(m: Record<string, string>, prefix: '' | 'dst_'): string {
  for (const k of ['deployment', 'statefulset', 'daemonset']) {
    const v = m[prefix + k];
    if (known(v)) return v;
  }
  return UNKNOWN;
}

export function linkerdIdentity(m: Record<string, string>, cluster: string): Identity {
  if (m.direction === 'inbound') {
    // Inbound series without TLS: the callee knows itself, the caller has no identity.
    const wl = linkerdWorkload(m, '');
    return withKey({
      mesh: 'linkerd',
      src: { cluster, namespace: UNKNOWN, workload: UNKNOWN, app: UNKNOWN, version: 'latest' },
      dst: {
        cluster, namespace: m.namespace ?? UNKNOWN, workload: wl, app: known(m.app) ? m.app : wl,
        version: known(m.version) ? m.version : 'latest', serviceNamespace: '', service: '',
      },
      byCaller: false,
      key: '',
    });
  }
  const srcWl = linkerdWorkload(m, '');
  const dstWl = linkerdWorkload(m, 'dst_');
  const dstNs = known(m.dst_namespace) ? m.dst_namespace : UNKNOWN;
  const svc = known(m.dst_service) ? m.dst_service : '';
  return withKey({
    mesh: 'linkerd',
    src: {
      cluster, namespace: m.namespace ?? UNKNOWN, workload: srcWl, app: known(m.app) ? m.app : srcWl,
      version: known(m.version) ? m.version : 'latest',
    },
    dst: {
      cluster, namespace: dstNs, workload: dstWl, app: known(m.dst_app) ? m.dst_app : dstWl === UNKNOWN ? svc || UNKNOWN : dstWl,
      version: known(m.dst_version) ? m.dst_version : 'latest',
      serviceNamespace: svc ? dstNs : '', service: svc,
    },
    byCaller: true,
    key: '',
  });
}

export function linkerdTraffic(samples: readonly Sample[], cluster: string): TrafficObs[] {
  const out: TrafficObs[] = [];
  for (const s of samples) {
    if (!Number.isFinite(s.value) || s.value < 0) continue;
    const m = s.metric;
    // Linkerd's own rule: only classification="failure" is an error; a 404 is a success.
    const outcome: Outcome = m.classification === 'failure' ? '5xx' : 'ok';
    const tls = m.tls === undefined ? null : m.tls === 'true';
    const id = linkerdIdentity(m, cluster) as TrafficObs;
    id.protocol = 'http';
    id.code = m.status_code || '-';
    id.outcome = outcome;
    id.tls = tls;
    id.rate = s.value;
    out.push(id);
  }
  return out;
}

export function values(samples: readonly Sample[], mesh: MeshKind, cluster: string): ValueObs[] {
  const out: ValueObs[] = [];
  for (const s of samples) {
    if (!Number.isFinite(s.value) || s.value < 0) continue;
    const id = (mesh === 'istio' ? istioIdentity(s.metric, cluster) : linkerdIdentity(s.metric, cluster)) as ValueObs;
    id.value = s.value;
    out.push(id);
  }
  return out;
}

/** The edge identity without reporter or outcome: what both proxies' series share. */
export function identityKey(o: Omit<Identity, 'key'>): string {
  const s = o.src;
  const d = o.dst;
  return `${o.mesh}|${s.cluster}|${s.namespace}|${s.workload}|${s.app}|${s.version}|${d.cluster}|${d.namespace}|${d.workload}|${d.app}|${d.version}|${d.serviceNamespace}|${d.service}`;
}

/**
 * Reporter dedup (Istio reports every request twice: at the caller and at the callee). Prefer
 * the caller's series for callers inside the mesh, the callee's for unknown callers (only it saw
 * them), as Kiali does. The same series seen through two contexts (a shared Prometheus) counts once.
 */
export function dedupTraffic(obs: readonly TrafficObs[]): TrafficObs[] {
  // identity -> (protocol|code|outcome) -> what each proxy said
  const byKey = new Map<string, Map<string, { caller?: TrafficObs; callee?: TrafficObs }>>();
  for (const o of obs) {
    let inner = byKey.get(o.key);
    if (!inner) byKey.set(o.key, (inner = new Map()));
    const k = `${o.protocol}|${o.code}|${o.outcome}`;
    let e = inner.get(k);
    if (!e) inner.set(k, (e = {}));
    if (o.byCaller) {
      if (e.caller) e.caller = { ...e.caller, rate: Math.max(e.caller.rate, o.rate) };
      else e.caller = o;
    } else if (e.callee) e.callee = { ...e.callee, rate: Math.max(e.callee.rate, o.rate) };
    else e.callee = o;
  }
  const out: TrafficObs[] = [];
  for (const inner of byKey.values()) {
    for (const e of inner.values()) {
      const callerKnown = (e.caller ?? e.callee)!.src.workload !== UNKNOWN;
      out.push((callerKnown ? (e.caller ?? e.callee) : (e.callee ?? e.caller))!);
    }
  }
  return out;
}

/** The same choice for per-identity values (latency prefers the callee: no network time in it). */
export function dedupValues(obs: readonly ValueObs[], prefer: 'caller' | 'callee'): Map<string, ValueObs> {
  const out = new Map<string, ValueObs>();
  for (const o of obs) {
    const key = o.key;
    const prev = out.get(key);
    if (!prev) out.set(key, o);
    else if (prev.byCaller !== o.byCaller && (prefer === 'caller') === o.byCaller) out.set(key, o);
  }
  return out;
}
