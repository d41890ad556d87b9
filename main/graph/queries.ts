import type { MeshKind } from '../../shared/graph/types';
import { anyOf } from './promql';

/**
 * One instant query per concern per mesh, for all selected namespaces at once (namespace
 * regex), never one per node or per namespace. Kiali runs 3 traffic queries per namespace; here
 * the three shapes are OR-ed into one query, with `reporter`/`direction` kept in the grouping so
 * the builder can deduplicate what both proxies reported.
 */
export type Concern = 'traffic' | 'p50' | 'p95' | 'p99' | 'tcp' | 'mtls';

export interface PlannedQuery {
  concern: Concern;
  mesh: MeshKind;
  promql: string;
}

export interface PlanInput {
  namespaces: readonly string[];
  /** Window as Prometheus reads it, e.g. `60s`. */
  range: string;
  idleEdges: boolean;
}

export const QUANTILES = { p50: 0.5, p95: 0.95, p99: 0.99 } as const;

/** Identity of an Istio edge: who called which service on which workload. */
export const ISTIO_ID = [
  'source_cluster', 'source_workload_namespace', 'source_workload', 'source_canonical_service', 'source_canonical_revision',
  'destination_cluster', 'destination_service_namespace', 'destination_service_name',
  'destination_workload_namespace', 'destination_workload', 'destination_canonical_service', 'destination_canonical_revision',
].join(',');

// response_flags is left out: the graph shows codes, and flags would only split series.
const ISTIO_CODES = 'request_protocol,response_code,grpc_response_status';

export function istioQueries(p: PlanInput): PlannedQuery[] {
  const ns = anyOf(p.namespaces);
  const w = p.range;
  // Idle edges are series whose counter exists but did not move: keep them by dropping "> 0".
  const live = p.idleEdges ? '' : ' > 0';
  const by = `reporter,${ISTIO_ID},${ISTIO_CODES}`;
  const req = (sel: string) => `sum by (${by}) (rate(istio_requests_total{${sel}}[${w}]))${live}`;
  const traffic = [
    // outgoing, seen by the caller's proxy
    req(`reporter="source",source_workload_namespace=~${ns}`),
    // incoming, seen by the callee's proxy (covers callers outside the namespaces and unknown callers)
    req(`reporter="destination",destination_workload_namespace=~${ns}`),
    // requests into these namespaces' services that never reached a workload (e.g. 503 NR at the caller)
    req(`reporter="source",source_workload_namespace!~${ns},destination_workload="unknown",destination_service_namespace=~${ns}`),
  ].join(' or ');

  // Latency: the callee's proxy first (no network time in it), the caller's for the rest.
  const rt = (q: number) =>
    [`reporter="destination",destination_workload_namespace=~${ns}`, `reporter="source",source_workload_namespace=~${ns}`]
      .map((sel) => `histogram_quantile(${q}, sum by (le,reporter,${ISTIO_ID}) (rate(istio_request_duration_milliseconds_bucket{${sel}}[${w}]))) > 0`)
      .join(' or ');

  // Istio's TCP metrics are named backwards (istio/istio#32399): "sent" is istio_tcp_received_bytes_total, as Kiali reads it.
  const tcpq = (sel: string) => `sum by (reporter,${ISTIO_ID}) (rate(istio_tcp_received_bytes_total{${sel}}[${w}]))${live}`;
  const tcp = [tcpq(`reporter="source",source_workload_namespace=~${ns}`), tcpq(`reporter="destination",destination_workload_namespace=~${ns}`)].join(' or ');

  const mtls =
    `sum by (${ISTIO_ID},connection_security_policy) (rate({__name__=~"istio_requests_total|istio_tcp_connections_opened_total",` +
    `reporter="destination",destination_workload_namespace=~${ns}}[${w}])) > 0`;

  return [
    { concern: 'traffic', mesh: 'istio', promql: traffic },
    { concern: 'p50', mesh: 'istio', promql: rt(QUANTILES.p50) },
    { concern: 'p95', mesh: 'istio', promql: rt(QUANTILES.p95) },
    { concern: 'p99', mesh: 'istio', promql: rt(QUANTILES.p99) },
    { concern: 'tcp', mesh: 'istio', promql: tcp },
    { concern: 'mtls', mesh: 'istio', promql: mtls },
  ];
}

const L_SRC = 'namespace,deployment,statefulset,daemonset,app,version';
const L_DST = 'dst_namespace,dst_deployment,dst_statefulset,dst_daemonset,dst_service,dst_app,dst_version';

export function linkerdQueries(p: PlanInput): PlannedQuery[] {
  const ns = anyOf(p.namespaces);
  const w = p.range;
  const live = p.idleEdges ? '' : ' > 0';
  // Edges come from the callers' outbound metrics (they name the destination); callers without a
  // Linkerd identity are only visible inbound, without TLS: they become "unknown" sources.
  const outSel = [`direction="outbound",namespace=~${ns}`, `direction="outbound",dst_namespace=~${ns}`];
  const inUnknownSel = `direction="inbound",namespace=~${ns},tls!="true"`;

  const resp = (sel: string, dst: boolean) =>
    `sum by (direction,${L_SRC}${dst ? `,${L_DST}` : ''},classification,status_code,tls) (rate(response_total{${sel}}[${w}]))${live}`;
  const traffic = [resp(outSel[0]!, true), resp(outSel[1]!, true), resp(inUnknownSel, false)].join(' or ');

  const rt = (q: number) =>
    [
      ...outSel.map((sel) => `histogram_quantile(${q}, sum by (le,direction,${L_SRC},${L_DST}) (rate(response_latency_ms_bucket{${sel}}[${w}]))) > 0`),
      `histogram_quantile(${q}, sum by (le,direction,${L_SRC}) (rate(response_latency_ms_bucket{${inUnknownSel}}[${w}]))) > 0`,
    ].join(' or ');

  // peer!="src": the connection to the destination (absent peer label counts too).
  const tcp = outSel.map((sel) => `sum by (direction,${L_SRC},${L_DST}) (rate(tcp_write_bytes_total{${sel},peer!="src"}[${w}]))${live}`).join(' or ');

  return [
    { concern: 'traffic', mesh: 'linkerd', promql: traffic },
    { concern: 'p50', mesh: 'linkerd', promql: rt(QUANTILES.p50) },
    { concern: 'p95', mesh: 'linkerd', promql: rt(QUANTILES.p95) },
    { concern: 'p99', mesh: 'linkerd', promql: rt(QUANTILES.p99) },
    { concern: 'tcp', mesh: 'linkerd', promql: tcp },
  ];
}
