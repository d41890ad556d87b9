/**
 * The metrics capability: per-cluster Prometheus connections (typed URL, named service, or found
 * in the cluster and reached through the API server's service proxy), "test connection", the side
 * panel's golden-signal queries, and — for other capabilities — a query client per context:
 *
 *   const prom = await metrics.clientFor(contextId, signal);   // PromClient
 *   const samples = await prom.instant('sum(rate(...))', Date.now(), signal);  // graph's PromQuerier
 *   const r = await prom.query(promql, { time, signal });      // full answer (vector/scalar/matrix)
 *
 * Errors are ApiErrors: NOT_CONNECTED (cluster not connected, for service/auto), NOT_FOUND
 * (nothing discovered), UNREACHABLE / TLS / TIMEOUT / CANCELLED (transport, details.stage),
 * UNAUTHORIZED / FORBIDDEN, UPSTREAM (garbage answers), BAD_INPUT (PromQL rejected).
 */
import { readFile } from 'node:fs/promises';
import { ApiError } from '../../shared/errors';
import {
  metricsConfigSchema,
  type ConnectionTestResult,
  type DiscoveryResult,
  type GoldenSignal,
  type MetricsConfig,
  type MetricsConfigView,
  type MetricsInstantResult,
  type MetricsRangeResult,
  type MetricsTarget,
} from '../../shared/contract/metrics';
import { withTimeout } from '../util/abort';
import { PromClient, type PromAuth } from './client';
import { discoverPrometheus } from './discover';
import { goldenQuery, windowSecondsOf } from './golden';
import { probeConnection } from './probe';
import { FileMetricsSettings, FileSecretStore, secretKeyFor, type MetricsSettingsStore, type SecretStore } from './store';
import { directTransport, kubeProxyTransport, type KubeRawClient, type PromTransport } from './transport';

/** What the metrics service needs from main/kube (its KubeService fits). */
export interface KubeClientSource {
  /** Throws (NOT_CONNECTED) when the context has no live connection. */
  clientFor(contextId: string): KubeRawClient;
}

export interface MetricsServiceOptions {
  dataDir: string;
  kube?: KubeClientSource;
  settings?: MetricsSettingsStore;
  secrets?: SecretStore;
  /** How long an auto-discovery result is reused (default 5 min). */
  discoveryTtlMs?: number;
}

export interface Secret {
  token?: string | undefined;
  password?: string | undefined;
}

export type GoldenQueryInput = { kind: 'golden'; contextId: string; signal: GoldenSignal; target: MetricsTarget; window: string; time?: number | undefined };
export type CustomQueryInput = { kind: 'custom'; contextId: string; promql: string; time?: number | undefined };
export type GoldenRangeInput = { kind: 'golden'; contextId: string; signals: GoldenSignal[]; target: MetricsTarget; window: string; start: number; end: number; stepSec: number };
export type CustomRangeInput = { kind: 'custom'; contextId: string; promql: string; start: number; end: number; stepSec: number };

export interface MetricsService {
  getConfig(contextId: string): Promise<MetricsConfigView>;
  setConfig(contextId: string, config: MetricsConfig, secret?: Secret, clearSecret?: boolean): Promise<MetricsConfigView>;
  reset(contextId: string): Promise<MetricsConfigView>;
  discover(contextId: string, signal?: AbortSignal): Promise<DiscoveryResult>;
  /** Stage-by-stage test of the saved settings, or of an unsaved form (`override`). Never rejects for connection problems. */
  test(contextId: string, override?: { config?: MetricsConfig | undefined; secret?: Secret | undefined }, signal?: AbortSignal): Promise<ConnectionTestResult>;
  /** A query client for the context (implements main/graph's PromQuerier). Ask per operation: settings changes replace it. */
  clientFor(contextId: string, signal?: AbortSignal): Promise<PromClient>;
  query(input: GoldenQueryInput | CustomQueryInput, signal?: AbortSignal): Promise<MetricsInstantResult>;
  queryRange(input: GoldenRangeInput | CustomRangeInput, signal?: AbortSignal): Promise<MetricsRangeResult>;
  close(): Promise<void>;
}

const DEFAULT_CONFIG: MetricsConfig = metricsConfigSchema.parse({});
const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

export async function createMetricsService(opts: MetricsServiceOptions): Promise<MetricsService> {
  const settings = opts.settings ?? FileMetricsSettings.inDir(opts.dataDir);
  const secrets = opts.secrets ?? FileSecretStore.inDir(opts.dataDir);
  const ttl = opts.discoveryTtlMs ?? 5 * 60_000;
  const discovered = new Map<string, { at: number; result: DiscoveryResult }>();
  /** Direct-URL clients keep their keep-alive agents: cached by the settings that made them. */
  const direct = new Map<string, { key: string; client: PromClient }>();

  const configOf = async (contextId: string): Promise<{ config: MetricsConfig; saved: boolean }> => {
    const c = await settings.get(contextId);
    return c ? { config: c, saved: true } : { config: DEFAULT_CONFIG, saved: false };
  };

  const storedSecret = async (contextId: string, auth: MetricsConfig['auth']): Promise<string | null> => {
    const key = secretKeyFor(contextId, auth);
    return key ? secrets.get(key) : null;
  };

  const view = async (contextId: string): Promise<MetricsConfigView> => {
    const { config, saved } = await configOf(contextId);
    return { contextId, config, saved, secretSet: (await storedSecret(contextId, config.auth)) !== null };
  };

  const kubeClient = (contextId: string): KubeRawClient => {
    if (!opts.kube) throw new ApiError('NOT_CONNECTED', 'Reaching Prometheus inside a cluster needs the kube service; set a direct URL instead.');
    try {
      return opts.kube.clientFor(contextId);
    } catch (e) {
      if (e instanceof ApiError) {
        throw new ApiError(e.code, `Prometheus inside the cluster is reached through the API server: ${e.message}`, { ...(e.details ? { details: e.details } : {}), cause: e });
      }
      throw e;
    }
  };

  const discover = async (contextId: string, signal?: AbortSignal): Promise<DiscoveryResult> => {
    const result = await discoverPrometheus(kubeClient(contextId), contextId, signal);
    discovered.set(contextId, { at: Date.now(), result });
    return result;
  };

  const authOf = (config: MetricsConfig, secret: string | null): PromAuth => {
    if (config.auth === 'bearer') {
      if (!secret) throw new ApiError('INVALID_CONFIG', 'Bearer auth is selected but no token is stored: enter the token.', { field: 'secret.token' });
      return { kind: 'bearer', token: secret };
    }
    if (config.auth === 'basic') {
      if (!secret) throw new ApiError('INVALID_CONFIG', 'Basic auth is selected but no password is stored: enter the password.', { field: 'secret.password' });
      return { kind: 'basic', username: config.username ?? '', password: secret };
    }
    return { kind: 'none' };
  };

  const headersOf = (config: MetricsConfig): Record<string, string> => ({
    ...config.headers,
    ...(config.tenant ? { 'X-Scope-OrgID': config.tenant } : {}),
  });

  /** Builds a client for settings (saved or a form being tested). */
  const build = async (contextId: string, config: MetricsConfig, secret: string | null, signal?: AbortSignal, useCache = true): Promise<PromClient> => {
    if (config.source === 'url') {
      const url = config.url;
      if (!url) throw new ApiError('INVALID_CONFIG', 'No Prometheus URL is set.', { field: 'url' });
      const key = JSON.stringify([config, secret]);
      const hit = direct.get(contextId);
      if (useCache && hit && hit.key === key) return hit.client;
      let ca: string | undefined;
      if (config.caFile) {
        try {
          ca = await readFile(config.caFile, 'utf8');
        } catch (e) {
          throw new ApiError('INVALID_CONFIG', `The CA file ${config.caFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, { field: 'caFile' });
        }
      }
      const transport: PromTransport = directTransport({ url, insecureSkipTlsVerify: config.insecureSkipTlsVerify, ...(ca ? { ca } : {}) });
      const client = new PromClient(transport, { auth: authOf(config, secret), headers: headersOf(config), timeoutMs: config.timeoutMs });
      if (useCache) {
        hit?.client.close();
        direct.set(contextId, { key, client });
      }
      return client;
    }
    let service = config.source === 'service' ? config.service : null;
    if (config.source === 'auto') {
      const cached = discovered.get(contextId);
      const result = cached && Date.now() - cached.at < ttl ? cached.result : await discover(contextId, signal);
      if (!result.chosen) {
        const why = result.checked.map((c) => `${c.namespace}: ${c.outcome}`).join('; ');
        throw new ApiError('NOT_FOUND', `No Prometheus found in the cluster (${why}). Set its URL or name its service in the Prometheus settings.`, { details: { contextId } });
      }
      service = { namespace: result.chosen.namespace, name: result.chosen.name, port: result.chosen.port, scheme: result.chosen.scheme };
    }
    if (!service) throw new ApiError('INVALID_CONFIG', 'No Prometheus service is set.', { field: 'service' });
    const transport = kubeProxyTransport(kubeClient(contextId), service, config.pathPrefix);
    return new PromClient(transport, { headers: headersOf(config), timeoutMs: config.timeoutMs });
  };

  const clientFor = async (contextId: string, signal?: AbortSignal): Promise<PromClient> => {
    const { config } = await configOf(contextId);
    return build(contextId, config, await storedSecret(contextId, config.auth), signal);
  };

  const forget = (contextId: string) => {
    discovered.delete(contextId);
    direct.get(contextId)?.client.close();
    direct.delete(contextId);
  };

  /** The CA file's text for the probe's TLS stage (the build step already reported unreadable files). */
  const caOf = async (config: MetricsConfig): Promise<{ ca?: string }> => {
    if (!config.caFile) return {};
    try {
      return { ca: await readFile(config.caFile, 'utf8') };
    } catch {
      return {};
    }
  };

  return {
    getConfig: view,

    async setConfig(contextId, config, secret, clearSecret = false) {
      const parsed = metricsConfigSchema.parse(config);
      for (const auth of ['bearer', 'basic'] as const) {
        const key = secretKeyFor(contextId, auth)!;
        // A secret of an auth kind no longer in use is dropped, so nothing lingers.
        if (clearSecret || auth !== parsed.auth) await secrets.delete(key);
      }
      const key = secretKeyFor(contextId, parsed.auth);
      const value = parsed.auth === 'bearer' ? secret?.token : parsed.auth === 'basic' ? secret?.password : undefined;
      if (key && value !== undefined && !clearSecret) await secrets.set(key, value);
      await settings.set(contextId, parsed);
      forget(contextId);
      return view(contextId);
    },

    async reset(contextId) {
      for (const auth of ['bearer', 'basic'] as const) await secrets.delete(secretKeyFor(contextId, auth)!);
      await settings.set(contextId, null);
      forget(contextId);
      return view(contextId);
    },

    discover,

    async test(contextId, override, signal) {
      const saved = await configOf(contextId);
      const config = override?.config ? metricsConfigSchema.parse(override.config) : saved.config;
      const given = config.auth === 'bearer' ? override?.secret?.token : config.auth === 'basic' ? override?.secret?.password : undefined;
      const secret = given ?? (await storedSecret(contextId, config.auth));
      let client: PromClient;
      const started = Date.now();
      try {
        const s = withTimeout(config.timeoutMs, signal);
        client = await build(contextId, config, secret, s, false);
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError('INTERNAL', e instanceof Error ? e.message : String(e));
        const stage = err.code === 'NOT_CONNECTED' || err.details?.stage === 'kube' ? 'kube' : err.code === 'TIMEOUT' ? 'timeout' : err.code === 'NOT_FOUND' ? 'proxy' : 'config';
        return {
          ok: false, target: config.source === 'url' ? (config.url ?? '') : config.source === 'service' && config.service ? `service ${config.service.namespace}/${config.service.name}:${config.service.port}` : 'auto-discovery',
          via: config.source === 'url' ? 'direct' : 'kube-proxy', failedStage: stage, error: err.toJSON(),
          steps: [{ stage, ok: false, ms: Date.now() - started, detail: err.message }], prometheus: null, durationMs: Date.now() - started,
        };
      }
      try {
        return await probeConnection({
          client,
          ...(config.source === 'url' && config.url ? { direct: { url: config.url, insecureSkipTlsVerify: config.insecureSkipTlsVerify, ...(await caOf(config)) } } : {}),
          timeoutMs: config.timeoutMs,
          ...(signal ? { signal } : {}),
        });
      } finally {
        client.close();
      }
    },

    clientFor,

    async query(input, signal) {
      const client = await clientFor(input.contextId, signal);
      const promql = input.kind === 'golden' ? goldenQuery(input.signal, input.target, windowSecondsOf(input.window)) : input.promql;
      const at = input.time ?? Date.now();
      const r = await client.query(promql, { time: at, ...(signal ? { signal } : {}) });
      const d = r.data;
      const series =
        d.resultType === 'vector' ? d.series.map((s) => ({ labels: s.labels, value: finite(s.value) }))
        : d.resultType === 'scalar' ? [{ labels: {}, value: finite(d.value) }]
        : d.resultType === 'matrix' ? d.series.map((s) => ({ labels: s.labels, value: finite(s.points.at(-1)?.[1] ?? null) }))
        : [];
      return { promql, resultType: d.resultType, series, at, warnings: r.warnings };
    },

    async queryRange(input, signal) {
      const client = await clientFor(input.contextId, signal);
      const range = { start: input.start, end: input.end, stepSec: input.stepSec };
      const jobs: { name: GoldenSignal | 'custom'; promql: string }[] =
        input.kind === 'golden'
          ? [...new Set(input.signals)].map((s) => ({ name: s, promql: goldenQuery(s, input.target, windowSecondsOf(input.window)) }))
          : [{ name: 'custom', promql: input.promql }];
      const warnings: string[] = [];
      const results = await Promise.all(
        jobs.map(async (j) => {
          try {
            const r = await client.queryRange(j.promql, range, signal ? { signal } : {});
            warnings.push(...r.warnings);
            return {
              ...j,
              series: r.series.map((s) => ({ labels: s.labels, points: s.points.map(([t, v]) => [t, finite(v)] as [number, number | null]) })),
              error: null,
            };
          } catch (e) {
            // Cancel and connection failures fail the whole call; a query that fails alone doesn't.
            if (!(e instanceof ApiError) || ['CANCELLED', 'UNREACHABLE', 'TLS', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_CONNECTED'].includes(e.code) || input.kind === 'custom') throw e;
            return { ...j, series: [], error: e.toJSON() };
          }
        }),
      );
      return { results, warnings: [...new Set(warnings)] };
    },

    async close() {
      discovered.clear();
      for (const d of direct.values()) d.client.close();
      direct.clear();
    },
  };
}
