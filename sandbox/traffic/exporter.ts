/**
 * The simulated proxies' metrics, with prom-client: Istio's standard metrics (both reporters, as
 * sidecars do) and Linkerd's proxy metrics (inbound on the server pod, outbound on the client).
 * Label names and values follow what Istio and Linkerd really emit, so the graph builder can be
 * tested against the same PromQL it runs in production.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Mesh, Service, Workload } from './mesh';

/** Istio's default buckets for istio_request_duration_milliseconds. */
export const ISTIO_DURATION_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
/** Istio's buckets for request/response sizes (exponential 1..1e8). */
export const ISTIO_BYTES_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];
/** Linkerd proxy buckets for response_latency_ms. */
export const LINKERD_LATENCY_BUCKETS = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000, 50000];

const ISTIO_PEER_LABELS = [
  'reporter',
  'source_workload', 'source_workload_namespace', 'source_app', 'source_version', 'source_canonical_service',
  'source_canonical_revision', 'source_principal', 'source_cluster',
  'destination_workload', 'destination_workload_namespace', 'destination_app', 'destination_version',
  'destination_service', 'destination_service_name', 'destination_service_namespace',
  'destination_canonical_service', 'destination_canonical_revision', 'destination_principal', 'destination_cluster',
  'request_protocol', 'response_flags', 'connection_security_policy',
] as const;
const ISTIO_HTTP_LABELS = [...ISTIO_PEER_LABELS, 'response_code', 'grpc_response_status'] as const;

const LINKERD_LABELS = [
  'direction', 'namespace', 'deployment', 'pod', 'serviceaccount', 'control_plane_ns', 'authority', 'target_addr',
  'tls', 'no_tls_reason', 'server_id', 'client_id', 'srv_kind', 'srv_name',
  'dst_namespace', 'dst_deployment', 'dst_service', 'dst_pod', 'dst_serviceaccount', 'dst_control_plane_ns',
] as const;
const LINKERD_RESPONSE_LABELS = [...LINKERD_LABELS, 'status_code', 'classification', 'grpc_status'] as const;
const LINKERD_TCP_LABELS = [...LINKERD_LABELS, 'peer'] as const;

type Labels = Record<string, string>;
export type Reporter = 'source' | 'destination';
export type Protocol = 'http' | 'grpc' | 'tcp';

export interface ExporterOptions {
  /** Which reporters get the duration histogram (both is what Istio does; 'destination' halves the scrape). */
  histograms: 'both' | 'destination' | 'none';
  /** istio_request_bytes / istio_response_bytes histograms. */
  byteHistograms: boolean;
}

/** An endpoint of a simulated request: a workload, or nobody known (`unknown`). */
export interface IstioRequestSample {
  reporter: Reporter;
  source: Workload | null;
  /** The service the client addressed (destination_service*). */
  service: Service;
  /** null when the request never reached a workload (fault abort, no upstream). */
  destination: Workload | null;
  protocol: Protocol;
  code: number;
  grpcStatus: number | null;
  flags: string;
  mtls: boolean;
  latencyMs: number;
  requestBytes: number;
  responseBytes: number;
}

export class MeshExporter {
  readonly registry = new Registry();
  private readonly istioRequests: Counter<string>;
  private readonly istioDuration: Histogram<string>;
  private readonly istioReqBytes: Histogram<string> | null;
  private readonly istioRespBytes: Histogram<string> | null;
  private readonly istioTcpSent: Counter<string>;
  private readonly istioTcpReceived: Counter<string>;
  private readonly istioTcpOpened: Counter<string>;
  private readonly istioTcpClosed: Counter<string>;
  private readonly lkRequests: Counter<string>;
  private readonly lkResponses: Counter<string>;
  private readonly lkLatency: Histogram<string>;
  private readonly lkOpen: Gauge<string>;
  private readonly lkRead: Counter<string>;
  private readonly lkWrite: Counter<string>;
  private readonly peerCache = new Map<string, Labels>();
  /** Full label sets by a short key, so a series' labels are built once. */
  private readonly labelCache = new Map<string, Labels>();
  /**
   * Counter increments and gauge values gathered during a tick and applied by `flush()`: one
   * prom-client call per series per tick instead of one per request (prom-client hashes the whole
   * label set on every call, which dominated the cost at 5,000 edges).
   */
  private readonly pending = new Map<string, { metric: Counter<string> | Gauge<string>; labels: Labels; n: number; set: boolean }>();

  constructor(
    private readonly mesh: Mesh,
    private readonly opts: ExporterOptions,
  ) {
    const r = [this.registry];
    this.istioRequests = new Counter({ name: 'istio_requests_total', help: 'Total requests.', labelNames: ISTIO_HTTP_LABELS, registers: r });
    this.istioDuration = new Histogram({ name: 'istio_request_duration_milliseconds', help: 'Request duration in milliseconds.', labelNames: ISTIO_HTTP_LABELS, buckets: ISTIO_DURATION_BUCKETS, registers: r });
    this.istioReqBytes = opts.byteHistograms ? new Histogram({ name: 'istio_request_bytes', help: 'Request sizes.', labelNames: ISTIO_HTTP_LABELS, buckets: ISTIO_BYTES_BUCKETS, registers: r }) : null;
    this.istioRespBytes = opts.byteHistograms ? new Histogram({ name: 'istio_response_bytes', help: 'Response sizes.', labelNames: ISTIO_HTTP_LABELS, buckets: ISTIO_BYTES_BUCKETS, registers: r }) : null;
    this.istioTcpSent = new Counter({ name: 'istio_tcp_sent_bytes_total', help: 'Bytes sent during a TCP connection (response direction).', labelNames: ISTIO_PEER_LABELS, registers: r });
    this.istioTcpReceived = new Counter({ name: 'istio_tcp_received_bytes_total', help: 'Bytes received during a TCP connection (request direction).', labelNames: ISTIO_PEER_LABELS, registers: r });
    this.istioTcpOpened = new Counter({ name: 'istio_tcp_connections_opened_total', help: 'TCP connections opened.', labelNames: ISTIO_PEER_LABELS, registers: r });
    this.istioTcpClosed = new Counter({ name: 'istio_tcp_connections_closed_total', help: 'TCP connections closed.', labelNames: ISTIO_PEER_LABELS, registers: r });
    this.lkRequests = new Counter({ name: 'request_total', help: 'Total requests handled by the proxy.', labelNames: LINKERD_LABELS, registers: r });
    this.lkResponses = new Counter({ name: 'response_total', help: 'Total responses.', labelNames: LINKERD_RESPONSE_LABELS, registers: r });
    this.lkLatency = new Histogram({ name: 'response_latency_ms', help: 'Elapsed times between a request header and response header.', labelNames: LINKERD_RESPONSE_LABELS, buckets: LINKERD_LATENCY_BUCKETS, registers: r });
    this.lkOpen = new Gauge({ name: 'tcp_open_connections', help: 'Connections currently open.', labelNames: LINKERD_TCP_LABELS, registers: r });
    this.lkRead = new Counter({ name: 'tcp_read_bytes_total', help: 'Bytes read from peers.', labelNames: LINKERD_TCP_LABELS, registers: r });
    this.lkWrite = new Counter({ name: 'tcp_write_bytes_total', help: 'Bytes written to peers.', labelNames: LINKERD_TCP_LABELS, registers: r });
  }

  private add(metric: Counter<string> | Gauge<string>, key: string, labels: Labels, n: number, set = false): void {
    const k = `${(metric as unknown as { name: string }).name}#${key}`;
    const p = this.pending.get(k);
    if (p) {
      if (set) p.n = n;
      else p.n += n;
    } else this.pending.set(k, { metric, labels, n, set });
  }

  private cached(key: string, make: () => Labels): Labels {
    let l = this.labelCache.get(key);
    if (!l) {
      l = make();
      this.labelCache.set(key, l);
    }
    return l;
  }

  /** Applies the tick's counter increments and gauge values (the engine calls it after each tick). */
  flush(): void {
    for (const p of this.pending.values()) {
      if (p.set) (p.metric as Gauge<string>).set(p.labels, p.n);
      else (p.metric as Counter<string>).inc(p.labels, p.n);
    }
    this.pending.clear();
  }

  // ---------------- Istio ----------------

  private principal(w: Workload): string {
    return `spiffe://${this.mesh.trustDomain}/ns/${w.namespace}/sa/${w.serviceAccount}`;
  }

  /** The peer part of Istio's labels, cached per (reporter, source, service, destination, protocol, flags, mtls). */
  private istioPeer(reporter: Reporter, src: Workload | null, svc: Service, dst: Workload | null, protocol: Protocol, flags: string, mtls: boolean): Labels {
    const key = `${reporter}|${src?.key ?? '-'}|${svc.key}|${dst?.key ?? '-'}|${protocol}|${flags}|${mtls ? 1 : 0}`;
    let l = this.peerCache.get(key);
    if (l) return l;
    const secure = mtls && src !== null && dst !== null;
    l = {
      reporter,
      source_workload: src?.name ?? 'unknown',
      source_workload_namespace: src?.namespace ?? 'unknown',
      source_app: src?.app ?? 'unknown',
      source_version: src ? src.version || 'unknown' : 'unknown',
      source_canonical_service: src?.app ?? 'unknown',
      source_canonical_revision: src ? src.version || 'latest' : 'latest',
      source_principal: src && secure ? this.principal(src) : 'unknown',
      source_cluster: src?.cluster ?? 'unknown',
      destination_workload: dst?.name ?? 'unknown',
      destination_workload_namespace: dst?.namespace ?? 'unknown',
      destination_app: dst?.app ?? 'unknown',
      destination_version: dst ? dst.version || 'unknown' : 'unknown',
      destination_service: svc.fqdn,
      destination_service_name: svc.name,
      destination_service_namespace: svc.namespace,
      destination_canonical_service: dst?.app ?? 'unknown',
      destination_canonical_revision: dst ? dst.version || 'latest' : 'latest',
      destination_principal: dst && secure ? this.principal(dst) : 'unknown',
      destination_cluster: dst?.cluster ?? 'unknown',
      request_protocol: protocol,
      response_flags: flags,
      // Only the server side knows the connection's security; the client reports "unknown".
      connection_security_policy: reporter === 'destination' ? (secure ? 'mutual_tls' : 'none') : 'unknown',
    };
    this.peerCache.set(key, l);
    return l;
  }

  istioRequest(s: IstioRequestSample): void {
    const peerKey = `${s.reporter}|${s.source?.key ?? '-'}|${s.service.key}|${s.destination?.key ?? '-'}|${s.protocol}|${s.flags}|${s.mtls ? 1 : 0}`;
    const key = `${peerKey}|${s.code}|${s.grpcStatus ?? ''}`;
    const labels = this.cached(key, () => ({
      ...this.istioPeer(s.reporter, s.source, s.service, s.destination, s.protocol, s.flags, s.mtls),
      response_code: String(s.code),
      grpc_response_status: s.grpcStatus === null ? '' : String(s.grpcStatus),
    }));
    this.add(this.istioRequests, key, labels, 1);
    if (this.opts.histograms === 'both' || (this.opts.histograms === 'destination' && s.reporter === 'destination')) {
      this.istioDuration.observe(labels, s.latencyMs);
    }
    if (this.istioReqBytes && this.istioRespBytes) {
      this.istioReqBytes.observe(labels, s.requestBytes);
      this.istioRespBytes.observe(labels, s.responseBytes);
    }
  }

  /** One reporter's view of TCP traffic on an edge during a tick. */
  istioTcp(reporter: Reporter, src: Workload | null, svc: Service, dst: Workload | null, mtls: boolean, t: { opened: number; sent: number; received: number }): void {
    const l = this.istioPeer(reporter, src, svc, dst, 'tcp', '-', mtls);
    const key = `${reporter}|${src?.key ?? '-'}|${svc.key}|${dst?.key ?? '-'}|${mtls ? 1 : 0}`;
    if (t.opened > 0) {
      this.add(this.istioTcpOpened, key, l, t.opened);
      this.add(this.istioTcpClosed, key, l, t.opened);
    }
    // Istio's names are from the server's point of view: "sent" is the response direction.
    if (t.sent > 0) this.add(this.istioTcpSent, key, l, t.sent);
    if (t.received > 0) this.add(this.istioTcpReceived, key, l, t.received);
  }

  // ---------------- Linkerd ----------------

  private linkerdId(w: Workload): string {
    return `${w.serviceAccount}.${w.namespace}.serviceaccount.identity.linkerd.${this.mesh.trustDomain}`;
  }

  private lkCache = new Map<string, Labels>();

  /** Outbound labels on the client pod, inbound labels on the server pod. */
  private linkerdBase(direction: 'inbound' | 'outbound', src: Workload | null, svc: Service, dst: Workload | null): Labels {
    const key = `${direction}|${src?.key ?? '-'}|${svc.key}|${dst?.key ?? '-'}`;
    let l = this.lkCache.get(key);
    if (l) return l;
    const tls = src !== null && src.mesh === 'linkerd' && dst !== null && dst.mesh === 'linkerd';
    const authority = `${svc.fqdn}:${svc.port}`;
    if (direction === 'outbound') {
      if (!src) throw new Error('linkerd outbound needs a source');
      l = {
        direction, namespace: src.namespace, deployment: src.name, pod: src.pod, serviceaccount: src.serviceAccount,
        control_plane_ns: 'linkerd', authority, target_addr: `${dst?.podIp ?? svc.clusterIp}:${svc.port}`,
        tls: tls ? 'true' : 'no_identity',
        dst_namespace: svc.namespace, dst_service: svc.name,
        ...(dst ? { dst_deployment: dst.name, dst_pod: dst.pod, dst_serviceaccount: dst.serviceAccount } : {}),
        ...(tls && dst ? { server_id: this.linkerdId(dst), dst_control_plane_ns: 'linkerd' } : { no_tls_reason: 'not_provided_by_service_discovery' }),
      };
    } else {
      if (!dst) throw new Error('linkerd inbound needs a destination');
      l = {
        direction, namespace: dst.namespace, deployment: dst.name, pod: dst.pod, serviceaccount: dst.serviceAccount,
        control_plane_ns: 'linkerd', authority, target_addr: `${dst.podIp}:${svc.port}`,
        tls: tls ? 'true' : 'no_identity', srv_kind: 'default', srv_name: 'all-unauthenticated',
        ...(tls && src ? { client_id: this.linkerdId(src) } : { no_tls_reason: 'no_tls_from_remote' }),
      };
    }
    this.lkCache.set(key, l);
    return l;
  }

  linkerdRequest(direction: 'inbound' | 'outbound', src: Workload | null, svc: Service, dst: Workload | null, code: number, grpcStatus: number | null, latencyMs: number): void {
    const baseKey = `${direction}|${src?.key ?? '-'}|${svc.key}|${dst?.key ?? '-'}`;
    const base = this.linkerdBase(direction, src, svc, dst);
    this.add(this.lkRequests, baseKey, base, 1);
    const key = `${baseKey}|${code}|${grpcStatus ?? ''}`;
    const labels = this.cached(`lk|${key}`, () => {
      const failure = code >= 500 || (grpcStatus !== null && grpcStatus !== 0);
      const l: Labels = { ...base, status_code: String(code), classification: failure ? 'failure' : 'success' };
      if (grpcStatus !== null) l.grpc_status = String(grpcStatus);
      return l;
    });
    this.add(this.lkResponses, key, labels, 1);
    this.lkLatency.observe(labels, latencyMs);
  }

  linkerdTcp(direction: 'inbound' | 'outbound', src: Workload | null, svc: Service, dst: Workload | null, t: { open: number; read: number; write: number }): void {
    const key = `${direction}|${src?.key ?? '-'}|${svc.key}|${dst?.key ?? '-'}`;
    const l = this.cached(`lktcp|${key}`, () => ({ ...this.linkerdBase(direction, src, svc, dst), peer: direction === 'inbound' ? 'src' : 'dst' }));
    this.add(this.lkOpen, key, l, t.open, true);
    if (t.read > 0) this.add(this.lkRead, key, l, t.read);
    if (t.write > 0) this.add(this.lkWrite, key, l, t.write);
  }

  /** Series counts per metric (for stats and the scale benchmark). */
  async seriesCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const m of await this.registry.getMetricsAsJSON()) out[m.name] = m.values.length;
    return out;
  }
}
