/**
 * The side panel's named golden-signal queries. The target's namespace and name only ever enter
 * PromQL as escaped label values (promql.ts), so a name like `a"}or vector(1)` stays a name.
 * Istio: destination reporter for inbound (no network time), source reporter for outbound.
 * Linkerd: inbound/outbound proxy metrics; a service is seen from its callers (outbound, dst_*).
 */
import { ApiError } from '../../shared/errors';
import type { GoldenSignal, MetricsTarget } from '../../shared/contract/metrics';
import { byLabels, type Matcher, rangeSeconds, selector } from './promql';

const WINDOW_SECONDS: Record<string, number> = { '30s': 30, '1m': 60, '2m': 120, '5m': 300, '10m': 600, '30m': 1800, '1h': 3600 };

export function windowSecondsOf(w: string): number {
  const s = WINDOW_SECONDS[w];
  if (s === undefined) throw new ApiError('BAD_INPUT', `Unknown window "${w}".`, { field: 'window' });
  return s;
}

function istioSelector(t: MetricsTarget): Record<string, Matcher> {
  if (t.kind === 'service') {
    if (t.direction === 'outbound') throw new ApiError('BAD_INPUT', 'A service has inbound traffic only.', { field: 'target.direction' });
    return { reporter: 'destination', destination_service_namespace: t.namespace, destination_service_name: t.name };
  }
  const side = t.direction === 'inbound' ? 'destination' : 'source';
  const nameLabel = t.kind === 'workload' ? `${side}_workload` : `${side}_canonical_service`;
  return { reporter: t.direction === 'inbound' ? 'destination' : 'source', [`${side}_workload_namespace`]: t.namespace, [nameLabel]: t.name };
}

function linkerdSelector(t: MetricsTarget): Record<string, Matcher> {
  if (t.kind === 'service') {
    if (t.direction === 'outbound') throw new ApiError('BAD_INPUT', 'A service has inbound traffic only.', { field: 'target.direction' });
    // As linkerd viz does: the callers' outbound view of the service.
    return { direction: 'outbound', dst_namespace: t.namespace, dst_service: t.name };
  }
  if (t.kind === 'app') throw new ApiError('BAD_INPUT', 'Linkerd metrics have no app label: pick a workload or a service.', { field: 'target.kind' });
  return { direction: t.direction, namespace: t.namespace, deployment: t.name };
}

/** PromQL for one golden signal of one target over `window` seconds. */
export function goldenQuery(signal: GoldenSignal, t: MetricsTarget, windowSec: number): string {
  const w = `[${rangeSeconds(windowSec)}]`;
  if (t.mesh === 'istio') {
    const sel = istioSelector(t);
    const req = (extra: Record<string, Matcher> = {}) => selector('istio_requests_total', { ...sel, ...extra });
    const quantile = (q: number) => `histogram_quantile(${q}, sum ${byLabels(['le'])} (rate(${selector('istio_request_duration_milliseconds_bucket', sel)}${w})))`;
    // 5xx over all, as Flagger and Kiali's 5xx tolerance read it; gRPC failures count too.
    const errorRatio = `((sum(rate(${req({ response_code: { re: '5..' } })}${w})) or vector(0)) + (sum(rate(${req({ request_protocol: 'grpc', grpc_response_status: { nre: '0|' } })}${w})) or vector(0))) / sum(rate(${req()}${w}))`;
    switch (signal) {
      case 'requestRate':
        return `sum(rate(${req()}${w}))`;
      case 'errorRate':
        return errorRatio;
      case 'successRate':
        return `1 - (${errorRatio})`;
      case 'latencyP50':
        return quantile(0.5);
      case 'latencyP95':
        return quantile(0.95);
      case 'latencyP99':
        return quantile(0.99);
      case 'requestsByCode':
        return `sum ${byLabels(['response_code'])} (rate(${req()}${w}))`;
      case 'tcpSent':
        // Istio's TCP metric names are backwards (istio/istio#32399): bytes sent by the target are "received".
        return `sum(rate(${selector('istio_tcp_received_bytes_total', sel)}${w}))`;
      case 'tcpReceived':
        return `sum(rate(${selector('istio_tcp_sent_bytes_total', sel)}${w}))`;
    }
  }
  const sel = linkerdSelector(t);
  const resp = (extra: Record<string, Matcher> = {}) => selector('response_total', { ...sel, ...extra });
  const quantile = (q: number) => `histogram_quantile(${q}, sum ${byLabels(['le'])} (rate(${selector('response_latency_ms_bucket', sel)}${w})))`;
  switch (signal) {
    case 'requestRate':
      return `sum(rate(${resp()}${w}))`;
    case 'errorRate':
      return `(sum(rate(${resp({ classification: 'failure' })}${w})) or vector(0)) / sum(rate(${resp()}${w}))`;
    case 'successRate':
      return `sum(rate(${resp({ classification: 'success' })}${w})) / sum(rate(${resp()}${w}))`;
    case 'latencyP50':
      return quantile(0.5);
    case 'latencyP95':
      return quantile(0.95);
    case 'latencyP99':
      return quantile(0.99);
    case 'requestsByCode':
      return `sum ${byLabels(['status_code'])} (rate(${resp()}${w}))`;
    case 'tcpSent':
      return `sum(rate(${selector('tcp_write_bytes_total', sel)}${w}))`;
    case 'tcpReceived':
      return `sum(rate(${selector('tcp_read_bytes_total', sel)}${w}))`;
  }
}
