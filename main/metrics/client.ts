/**
 * A Prometheus HTTP API client on a PromTransport: auth headers, tenant header, timeout, cancel,
 * validated answers. Queries go as POST form bodies (long PromQL never hits URL limits), except
 * through the kube service proxy, where they go as GET (see `api`).
 *
 * It also implements the graph builder's `PromQuerier` (main/graph/ports.ts):
 *   instant(promql, timeMs, signal) -> { metric, value }[]
 *   range(promql, startMs, endMs, stepSec, signal) -> { metric, values: { t, v }[] }[]
 */
import { ApiError } from '../../shared/errors';
import { parseQueryData, readEnvelope, type InstantSeries, type QueryData, type RangeSeries } from './answer';
import { DEFAULT_TIMEOUT_MS, kubeProxyError, type PromTransport } from './transport';

export type PromAuth = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string };

export interface PromClientOptions {
  auth?: PromAuth;
  /** Sent with every request (e.g. X-Scope-OrgID for Mimir/Cortex/Thanos tenants). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface QueryOptions {
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
}

export interface QueryResult {
  data: QueryData;
  warnings: string[];
}

/** One series of an instant-query vector answer (the graph builder's input too). */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}
export interface RangeSample {
  metric: Record<string, string>;
  values: { t: number; v: number }[];
}

const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'content-type']);

export function authHeaders(auth: PromAuth | undefined): Record<string, string> {
  if (!auth || auth.kind === 'none') return {};
  if (auth.kind === 'bearer') return { authorization: `Bearer ${auth.token}` };
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` };
}

export class PromClient {
  readonly timeoutMs: number;
  private readonly headers: Record<string, string>;

  constructor(
    readonly transport: PromTransport,
    opts: PromClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      const name = k.trim().toLowerCase();
      if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new ApiError('BAD_INPUT', `"${k.slice(0, 60)}" is not a valid HTTP header name.`, { field: 'headers' });
      if (FORBIDDEN_HEADERS.has(name)) throw new ApiError('BAD_INPUT', `The header "${k}" is set by meshdeck itself.`, { field: 'headers' });
      if (/[\r\n\0]/.test(v)) throw new ApiError('BAD_INPUT', `The value of header "${k}" contains a line break.`, { field: 'headers' });
      extra[name] = v;
    }
    // Through the kube service proxy, Authorization belongs to the API server: Prometheus auth is not sent there.
    this.headers = { ...extra, ...(transport.kind === 'direct' ? authHeaders(opts.auth) : {}) };
  }

  get describe(): string {
    return this.transport.describe;
  }

  /** Releases idle sockets; the client still works afterwards (new sockets are opened). */
  close(): void {
    this.transport.close();
  }

  /** GET or POST an API path and return the validated envelope's data. */
  async api(path: string, opts: QueryOptions & { form?: Record<string, string> } = {}): Promise<{ data: unknown; warnings: string[] }> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    // Through the API server's service proxy a POST is the RBAC verb "create" on services/proxy,
    // which read-only roles lack; a GET needs only "get". So queries go as GET there.
    const viaGet = !opts.form || this.transport.kind === 'kube-proxy';
    const init = viaGet
      ? { method: 'GET' as const, headers: this.headers }
      : { method: 'POST' as const, body: new URLSearchParams(opts.form).toString(), headers: { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' } };
    const target = opts.form && viaGet ? `${path}?${new URLSearchParams(opts.form).toString()}` : path;
    const res = await this.transport.fetch(target, { ...init, timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    const viaKube = kubeProxyError(this.transport, res);
    if (viaKube) throw viaKube;
    return readEnvelope(this.transport.describe, res.status, res.headers['content-type'] ?? '', res.body);
  }

  /** Instant query. `time` in epoch ms (default: now, as Prometheus decides). */
  async query(promql: string, opts: QueryOptions & { time?: number } = {}): Promise<QueryResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const form: Record<string, string> = { query: promql, timeout: serverTimeout(timeoutMs) };
    if (opts.time !== undefined) form.time = (opts.time / 1000).toFixed(3);
    const { data, warnings } = await this.api('/api/v1/query', { ...opts, timeoutMs, form });
    return { data: parseQueryData(this.transport.describe, data), warnings };
  }

  /** Range query; times in epoch ms, step in seconds. */
  async queryRange(promql: string, range: { start: number; end: number; stepSec: number }, opts: QueryOptions = {}): Promise<{ series: RangeSeries[]; warnings: string[] }> {
    if (!(range.end >= range.start)) throw new ApiError('BAD_INPUT', 'A range query needs end >= start.', { field: 'end' });
    if (!(range.stepSec > 0)) throw new ApiError('BAD_INPUT', 'A range query needs a positive step.', { field: 'step' });
    const points = (range.end - range.start) / 1000 / range.stepSec;
    // Prometheus refuses more than 11,000 points per series; say so before asking.
    if (points > 11_000) throw new ApiError('BAD_INPUT', `The range has ${Math.ceil(points)} points per series (max 11,000): use a bigger step.`, { field: 'step' });
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const form = {
      query: promql,
      start: (range.start / 1000).toFixed(3),
      end: (range.end / 1000).toFixed(3),
      step: String(range.stepSec),
      timeout: serverTimeout(timeoutMs),
    };
    const { data, warnings } = await this.api('/api/v1/query_range', { ...opts, timeoutMs, form });
    const parsed = parseQueryData(this.transport.describe, data);
    if (parsed.resultType !== 'matrix') throw new ApiError('UPSTREAM', `Prometheus at ${this.transport.describe} answered a range query with a ${parsed.resultType}, not a matrix.`, { details: { url: this.transport.describe } });
    return { series: parsed.series, warnings };
  }

  /** The graph builder's PromQuerier.instant: a vector (a scalar becomes one unlabelled sample). */
  async instant(promql: string, time: number, signal: AbortSignal): Promise<Sample[]> {
    const r = await this.query(promql, { time, signal });
    return toSamples(r.data, this.transport.describe);
  }

  /** The graph builder's PromQuerier.range. */
  async range(promql: string, start: number, end: number, stepSec: number, signal: AbortSignal): Promise<RangeSample[]> {
    const r = await this.queryRange(promql, { start, end, stepSec }, { signal });
    return r.series.map((s) => ({ metric: s.labels, values: s.points.map(([t, v]) => ({ t, v })) }));
  }

  /** `/api/v1/status/buildinfo` (absent on some compatible backends: null then). */
  async buildInfo(opts: QueryOptions = {}): Promise<{ version: string } | null> {
    try {
      const { data } = await this.api('/api/v1/status/buildinfo', opts);
      const v = (data as { version?: unknown } | null)?.version;
      return typeof v === 'string' ? { version: v } : null;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'NOT_FOUND') return null;
      throw e;
    }
  }
}

/** Prometheus's own evaluation timeout: a little under ours, so it gives up first and says so. */
function serverTimeout(ms: number): string {
  return `${Math.max(1, Math.floor((ms * 0.9) / 1000))}s`;
}

export function toSamples(d: QueryData, url: string): Sample[] {
  switch (d.resultType) {
    case 'vector':
      return d.series.filter((s): s is InstantSeries & { value: number } => s.value !== null).map((s) => ({ metric: s.labels, value: s.value }));
    case 'scalar':
      return [{ metric: {}, value: d.value }];
    default:
      throw new ApiError('UPSTREAM', `Prometheus at ${url} answered an instant query with a ${d.resultType}, not a vector.`, { details: { url } });
  }
}
