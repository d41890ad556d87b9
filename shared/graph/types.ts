/**
 * The service graph as main builds it and the renderer draws it. Plain data (no classes), so it
 * crosses IPC and HTTP as JSON. Ids are stable across refreshes: the renderer diffs by id.
 */

export const GRAPH_TYPES = ['workload', 'app', 'versionedApp', 'service'] as const;
export type GraphType = (typeof GRAPH_TYPES)[number];

/** Kiali's duration menu, 1m to 1d. */
export const GRAPH_WINDOWS = ['1m', '2m', '5m', '10m', '30m', '1h', '3h', '6h', '12h', '1d'] as const;
export type GraphWindow = (typeof GRAPH_WINDOWS)[number];

export type MeshKind = 'istio' | 'linkerd';
export type MeshChoice = MeshKind | 'auto';

export type HealthStatus = 'healthy' | 'degraded' | 'failure' | 'idle' | 'na';
export type NodeType = 'workload' | 'app' | 'service' | 'unknown';
export type Protocol = 'http' | 'grpc' | 'tcp';

/** Percent bands: an error share at or above `failure` is a failure, at or above `degraded` (and > 0) degraded. */
export interface Band { degraded: number; failure: number }

/**
 * Health tolerances. Istio errors are split as Kiali does (4xx and 5xx each with their own band;
 * "no response" and gRPC errors count with 5xx). Linkerd has no 4xx notion: only
 * classification="failure" is an error, judged by the `http5xx` band.
 */
export interface Thresholds { http5xx: Band; http4xx: Band }

export const DEFAULT_THRESHOLDS: Thresholds = {
  http5xx: { degraded: 0, failure: 10 },
  http4xx: { degraded: 10, failure: 20 },
};

export type Badge =
  | 'trafficShifting'
  | 'faultInjection'
  | 'mirroring'
  | 'circuitBreaker'
  | 'requestRouting'
  | 'timeout'
  | 'mtls';

/** Request rates (per second) split the way health needs them. */
export interface RateSplit {
  total: number;
  /** Istio 4xx (Linkerd: always 0, 4xx is a success there). */
  err4xx: number;
  /** Istio 5xx, no response and gRPC errors; Linkerd classification="failure". */
  err5xx: number;
}

export interface NodeTraffic {
  httpIn: RateSplit;
  httpOut: RateSplit;
  /** Bytes per second. */
  tcpIn: number;
  tcpOut: number;
}

export interface GraphNode {
  id: string;
  type: NodeType;
  /** Compound parent (a namespace box, or an app box for versioned apps). */
  parent: string | null;
  cluster: string;
  namespace: string;
  /** What the node is called on screen: workload, app or service name; `unknown` for unknown sources. */
  name: string;
  workload?: string;
  app?: string;
  version?: string;
  service?: string;
  mesh: MeshKind | null;
  traffic: NodeTraffic;
  health: HealthStatus;
  /** Why the health is what it is, e.g. "5xx 12.0% ≥ 10%". */
  healthReason?: string;
  badges: Badge[];
  /** Outside the requested namespaces. */
  isOutside: boolean;
  /** Only outbound traffic: a traffic source. */
  isRoot: boolean;
  /** Every edge touching it is idle (only with idle edges on). */
  isIdle: boolean;
  /** Kubernetes services it was reached through (`ns/name`): routing objects attach through these. */
  services: string[];
  /** PeerAuthentication mode in force, when the routing reader knows it. */
  mtlsMode?: 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'UNSET';
}

export interface ResponseTimes { p50: number | null; p95: number | null; p99: number | null }

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  protocol: Protocol;
  mesh: MeshKind;
  /** Requests per second (http/grpc); bytes per second for tcp edges. */
  rate: number;
  rates: RateSplit;
  /** Error percent by the mesh's own rule (Istio: 4xx + 5xx + no response; Linkerd: failures). */
  errorPct: number;
  /** Share of the source's outbound traffic of the same protocol, percent. */
  sharePct: number;
  /** Milliseconds; null where the mesh reported none. */
  responseTime: ResponseTimes | null;
  /** Bytes per second (Istio TCP bytes sent; Linkerd TCP write bytes). */
  throughput: number | null;
  /** Percent of requests (or connections) that were mutual TLS; null when unknown. */
  mtlsPct: number | null;
  health: HealthStatus;
  healthReason?: string;
  isIdle: boolean;
  /** Response codes and their rates, e.g. { "200": 9.5, "503": 0.5 }. */
  codes: Record<string, number>;
}

export interface GraphBox {
  id: string;
  kind: 'cluster' | 'namespace' | 'app';
  parent: string | null;
  label: string;
  cluster: string;
  namespace?: string;
}

export interface GraphContextStatus {
  contextId: string;
  cluster: string;
  /** Meshes whose metrics were found. */
  meshes: MeshKind[];
  /** Why this context's data is missing or stale. */
  error: { code: string; message: string } | null;
}

export interface GraphStale {
  reason: string;
  code: string;
  /** ISO time of the first failure since the last good answer. */
  since: string;
}

export interface Graph {
  /** ISO time the data is for (the instant queries' time). */
  at: string;
  window: GraphWindow;
  graphType: GraphType;
  nodes: GraphNode[];
  edges: GraphEdge[];
  boxes: GraphBox[];
  contexts: GraphContextStatus[];
  /** Set when some or all data is the last good answer, kept because Prometheus failed. */
  stale: GraphStale | null;
  /** Secondary concerns (latency, TCP, mTLS, routing) that could not be fetched this time. */
  warnings: string[];
  /** No traffic at all in the window: the UI says so instead of drawing an empty canvas. */
  empty: boolean;
  stats: { queries: number; series: number; queryMs: number; buildMs: number };
}

export interface TimePoint { t: number; v: number }
export interface TimeSeries { name: string; points: TimePoint[] }

export interface TrafficRow {
  /** The node on the other end. */
  peer: string;
  peerName: string;
  peerNamespace: string;
  protocol: Protocol;
  rate: number;
  errorPct: number;
  p95: number | null;
  mtlsPct: number | null;
}

export interface RoutingObjectRef {
  kind: string;
  apiVersion: string;
  namespace: string;
  name: string;
  /** One line on what it does: "weights v1 90 / v2 10", "fault abort 503 at 10%". */
  summary: string;
  badges: Badge[];
}

export interface SecurityPolicy {
  peerAuthentication: { mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'UNSET'; from: string | null };
  authorizationPolicies: { namespace: string; name: string; action: string; rules: number }[];
  /** Linkerd: authorisation lives in Server/AuthorizationPolicy objects the reader may not know. */
  note?: string;
}

export interface ElementDetail {
  id: string;
  kind: 'node' | 'edge';
  title: string;
  /** Golden signals over the window. */
  series: { rps: TimeSeries; successRate: TimeSeries; p50: TimeSeries; p95: TimeSeries; p99: TimeSeries };
  inbound: TrafficRow[];
  outbound: TrafficRow[];
  routing: RoutingObjectRef[];
  security: SecurityPolicy | null;
  warnings: string[];
}
