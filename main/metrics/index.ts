/**
 * main/metrics — Prometheus per cluster (kube context id).
 *
 * For other capabilities (graph builder, canary analysis):
 *
 *   const prom = await metrics.clientFor(contextId, signal);     // PromClient; ask per operation
 *   // main/graph's PromQuerier, structurally:
 *   const vec = await prom.instant(promql, Date.now(), signal);  // { metric, value }[] (scalar → one sample)
 *   const mat = await prom.range(promql, startMs, endMs, stepSec, signal); // { metric, values: { t, v }[] }[]
 *   // Full answers (resultType, warnings, per-call timeout):
 *   const r = await prom.query(promql, { time, signal, timeoutMs });
 *
 *   GraphSources.prometheus = (id) => metrics.clientFor(id)
 *
 * Build PromQL with the escaping helpers here (`selector`, `matchers`, `promLabelValue`,
 * `anyOfRegex`): user text only ever enters a query as a quoted label value.
 *
 * Failures are ApiErrors: NOT_CONNECTED (in-cluster Prometheus but the context is not connected),
 * NOT_FOUND (auto-discovery found nothing; message lists where it looked), UNREACHABLE / TLS /
 * TIMEOUT / CANCELLED (details.stage: dns, tcp, tls, kube, proxy, timeout), UNAUTHORIZED /
 * FORBIDDEN, UPSTREAM (HTML, truncated or mis-shaped answers; message names the URL),
 * BAD_INPUT (Prometheus rejected the PromQL: errorType bad_data).
 *
 * Through the kube service proxy queries go as GET (RBAC "get services/proxy" suffices; a POST
 * would need "create"); direct URLs get POSTed forms. Prometheus auth (bearer/basic) applies to
 * direct URLs only; X-Scope-OrgID (tenant) and extra headers go both ways.
 */
export { createMetricsService } from './service';
export type { MetricsService, MetricsServiceOptions, KubeClientSource } from './service';
export { metricsHandlers } from './handlers';
export { PromClient, authHeaders } from './client';
export type { Sample, RangeSample, PromAuth, PromClientOptions, QueryResult } from './client';
export { directTransport, kubeProxyTransport, serviceProxyBase } from './transport';
export type { PromTransport, KubeRawClient, ServiceRef } from './transport';
export { promLabelValue, promRegexLiteral, anyOfRegex, matchers, selector, byLabels, rangeSeconds } from './promql';
export type { Matcher } from './promql';
export { readEnvelope, parseQueryData } from './answer';
export type { QueryData, InstantSeries, RangeSeries } from './answer';
export { goldenQuery } from './golden';
export { FileMetricsSettings, MemoryMetricsSettings, FileSecretStore, MemorySecretStore, secretKeyFor } from './store';
export type { MetricsSettingsStore, SecretStore } from './store';
