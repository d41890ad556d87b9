import { z } from 'zod';
import { request } from './define';
import type { ApiErrorShape } from '../errors';
import { contextIdSchema } from './kube';

/**
 * Prometheus per cluster (per kube context id): where it is (typed URL, a named service, or found
 * in the cluster), how to authenticate, test, and the side panel's golden-signal queries.
 * Secrets (bearer token, basic password) are write-only: no channel ever returns them.
 * Field names match shared/contract/settings.ts `prometheusSettingsSchema` so the settings
 * service can take the configuration over as it is.
 */

const dnsLabel = z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label (lower-case letters, digits, -)');
const headerName = z.string().min(1).max(100).regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name');

export const metricsServiceRefSchema = z
  .object({
    namespace: dnsLabel,
    name: dnsLabel,
    port: z.number().int().min(1).max(65535),
    scheme: z.enum(['http', 'https']).default('http'),
  })
  .strict();

export const metricsConfigSchema = z
  .object({
    /** `auto`: find it in the cluster; `service`: a named service via the API server's proxy; `url`: a direct address. */
    source: z.enum(['auto', 'service', 'url']).default('auto'),
    url: z.string().max(2048).regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL').nullable().default(null),
    service: metricsServiceRefSchema.nullable().default(null),
    /** `--web.route-prefix`, e.g. `/prometheus` (Mimir) — for service and auto; a URL carries its own path. */
    pathPrefix: z.string().max(512).regex(/^(\/[^\s?#]*)?$/, 'must be empty or start with /').default(''),
    /** Thanos/Mimir/Cortex tenant, sent as X-Scope-OrgID. */
    tenant: z.string().min(1).max(256).regex(/^[^\r\n]*$/, 'must be one line').nullable().default(null),
    /** Extra request headers (not secret: they are stored in plain settings and shown back). */
    headers: z.record(headerName, z.string().max(4096).regex(/^[^\r\n\0]*$/, 'must be one line')).default({}),
    /** Direct URLs only: through the kube proxy, the kube credentials authenticate. */
    auth: z.enum(['none', 'bearer', 'basic']).default('none'),
    username: z.string().min(1).max(256).nullable().default(null),
    insecureSkipTlsVerify: z.boolean().default(false),
    caFile: z.string().min(1).max(4096).nullable().default(null),
    timeoutMs: z.number().int().min(500).max(120_000).default(15_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.source === 'url' && !c.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'a URL is needed when source is "url"' });
    if (c.source === 'service' && !c.service) ctx.addIssue({ code: 'custom', path: ['service'], message: 'a service is needed when source is "service"' });
    if (c.auth === 'basic' && !c.username) ctx.addIssue({ code: 'custom', path: ['username'], message: 'basic auth needs a username' });
  });
export type MetricsConfig = z.output<typeof metricsConfigSchema>;
export type MetricsConfigInput = z.input<typeof metricsConfigSchema>;

/** Write-only secret for the config's auth kind; omitted = keep the stored one. */
export const metricsSecretSchema = z
  .object({ token: z.string().min(1).max(16_384).optional(), password: z.string().min(1).max(4096).optional() })
  .strict();

export interface MetricsConfigView {
  contextId: string;
  config: MetricsConfig;
  /** Whether a token/password is stored for the config's auth kind (never the value). */
  secretSet: boolean;
  /** False while the context uses the defaults (nothing saved). */
  saved: boolean;
}

export type TestStage = 'config' | 'dns' | 'tcp' | 'tls' | 'kube' | 'proxy' | 'http' | 'auth' | 'timeout' | 'promql';

export interface TestStep {
  stage: TestStage;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface ConnectionTestResult {
  ok: boolean;
  /** The URL, or `service ns/name:port via <API server>`. */
  target: string;
  via: 'direct' | 'kube-proxy';
  /** The first stage that failed (timeout: the time budget ran out; `error.details.during` says in which stage). */
  failedStage: TestStage | null;
  error: ApiErrorShape | null;
  steps: TestStep[];
  prometheus: {
    version: string | null;
    targetsUp: number | null;
    istio: boolean;
    linkerd: boolean;
    istioSeries: number;
    linkerdSeries: number;
  } | null;
  durationMs: number;
}

export interface DiscoveryCandidate {
  namespace: string;
  name: string;
  port: number;
  scheme: 'http' | 'https';
  /** Why it qualified: `named "prometheus"`, `label app.kubernetes.io/name=prometheus`... */
  reason: string;
  chosen: boolean;
}

export interface DiscoveryResult {
  contextId: string;
  candidates: DiscoveryCandidate[];
  /** Each place looked at, and what was there. */
  checked: { namespace: string; outcome: 'found' | 'none' | 'missing' | 'forbidden' | 'error'; detail: string }[];
  chosen: DiscoveryCandidate | null;
}

/** The named queries the side panel may run; the renderer never sends PromQL for these. */
export const GOLDEN_SIGNALS = ['requestRate', 'errorRate', 'successRate', 'latencyP50', 'latencyP95', 'latencyP99', 'requestsByCode', 'tcpSent', 'tcpReceived'] as const;
export type GoldenSignal = (typeof GOLDEN_SIGNALS)[number];
export const METRICS_WINDOWS = ['30s', '1m', '2m', '5m', '10m', '30m', '1h'] as const;

export const metricsTargetSchema = z
  .object({
    mesh: z.enum(['istio', 'linkerd']),
    kind: z.enum(['workload', 'service', 'app']),
    namespace: z.string().min(1).max(253),
    name: z.string().min(1).max(253),
    /** inbound: traffic the target serves; outbound: traffic it sends. Services are inbound only. */
    direction: z.enum(['inbound', 'outbound']).default('inbound'),
  })
  .strict();
export type MetricsTarget = z.output<typeof metricsTargetSchema>;

const timeMs = z.number().int().min(0).max(32_503_680_000_000);

const queryInputSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('golden'),
      contextId: contextIdSchema,
      signal: z.enum(GOLDEN_SIGNALS),
      target: metricsTargetSchema,
      window: z.enum(METRICS_WINDOWS).default('1m'),
      time: timeMs.optional(),
    })
    .strict(),
  z
    .object({
      /** The explicit custom-query field: PromQL the user wrote, sent as it is. */
      kind: z.literal('custom'),
      contextId: contextIdSchema,
      promql: z.string().min(1).max(20_000),
      time: timeMs.optional(),
    })
    .strict(),
]);

const rangeBase = { contextId: contextIdSchema, start: timeMs, end: timeMs, stepSec: z.number().int().min(1).max(86_400) };
const queryRangeInputSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('golden'),
      ...rangeBase,
      signals: z.array(z.enum(GOLDEN_SIGNALS)).min(1).max(GOLDEN_SIGNALS.length),
      target: metricsTargetSchema,
      window: z.enum(METRICS_WINDOWS).default('1m'),
    })
    .strict(),
  z.object({ kind: z.literal('custom'), ...rangeBase, promql: z.string().min(1).max(20_000) }).strict(),
]);

export interface MetricsInstantResult {
  /** The PromQL that ran (for "show query"). */
  promql: string;
  resultType: 'vector' | 'scalar' | 'matrix' | 'string';
  /** Non-finite values (NaN, ±Inf) are null. */
  series: { labels: Record<string, string>; value: number | null }[];
  /** Epoch ms the query was evaluated at. */
  at: number;
  warnings: string[];
}

export interface MetricsRangeResult {
  results: {
    /** The golden signal, or 'custom'. */
    name: GoldenSignal | 'custom';
    promql: string;
    /** Points as [epoch seconds, value|null]. */
    series: { labels: Record<string, string>; points: [number, number | null][] }[];
    /** A signal that failed alone (e.g. no histogram for TCP-only targets); the others still answer. */
    error: ApiErrorShape | null;
  }[];
  warnings: string[];
}

export const metricsContract = {
  'metrics.getConfig': request(z.object({ contextId: contextIdSchema }).strict(), "A cluster's Prometheus settings (defaults if none saved); secrets are reported as set/unset only.").returns<MetricsConfigView>(),
  'metrics.setConfig': request(
    z
      .object({
        contextId: contextIdSchema,
        config: metricsConfigSchema,
        /** New token/password for the auth kind; omitted keeps the stored one. */
        secret: metricsSecretSchema.optional(),
        /** Forget the stored token/password. */
        clearSecret: z.boolean().default(false),
      })
      .strict(),
    "Save a cluster's Prometheus settings (plain settings file; secrets in the secret store).",
  ).returns<MetricsConfigView>(),
  'metrics.reset': request(z.object({ contextId: contextIdSchema }).strict(), "Forget a cluster's Prometheus settings and stored secrets.").returns<MetricsConfigView>(),
  'metrics.discover': request(
    z.object({ contextId: contextIdSchema }).strict(),
    'Look for Prometheus in the cluster (services named prometheus or labelled app.kubernetes.io/name=prometheus in istio-system, monitoring, linkerd-viz) and say what was found where.',
  ).returns<DiscoveryResult>(),
  'metrics.test': request(
    z
      .object({
        contextId: contextIdSchema,
        /** Test an unsaved form; default: the saved settings. */
        config: metricsConfigSchema.optional(),
        secret: metricsSecretSchema.optional(),
      })
      .strict(),
    'Test the connection stage by stage (DNS, TCP, TLS, HTTP/auth, PromQL) and report which stage failed and whether Istio/Linkerd metrics exist.',
  ).returns<ConnectionTestResult>(),
  'metrics.query': request(queryInputSchema, 'Instant query: a named golden signal for a target, or an explicit custom PromQL.').returns<MetricsInstantResult>(),
  'metrics.queryRange': request(queryRangeInputSchema, "Range queries for the side panel's charts: several golden signals for one target, or one custom PromQL.").returns<MetricsRangeResult>(),
} as const;
