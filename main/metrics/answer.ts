/**
 * Reads Prometheus HTTP API answers. Anything that is not the documented JSON envelope (an HTML
 * login page, a truncated body, a proxy's error page, a wrong shape) becomes an ApiError naming
 * the URL and what was wrong, instead of a crash deeper in the graph builder.
 */
import { z } from 'zod';
import { ApiError } from '../../shared/errors';
import type { ErrorCode } from '../../shared/errors';

/** A sample value as Prometheus sends it: [unix seconds, "number as string"]. */
const sampleValue = z.tuple([z.number(), z.string()]);
const labels = z.record(z.string(), z.string());

const vectorSchema = z.object({
  resultType: z.literal('vector'),
  result: z.array(z.object({ metric: labels, value: sampleValue.optional(), histogram: z.unknown().optional() })),
});
const matrixSchema = z.object({
  resultType: z.literal('matrix'),
  result: z.array(z.object({ metric: labels, values: z.array(sampleValue).optional(), histograms: z.unknown().optional() })),
});
const scalarSchema = z.object({ resultType: z.literal('scalar'), result: sampleValue });
const stringSchema = z.object({ resultType: z.literal('string'), result: sampleValue });
const dataSchema = z.discriminatedUnion('resultType', [vectorSchema, matrixSchema, scalarSchema, stringSchema]);

const successSchema = z.object({ status: z.literal('success'), data: z.unknown(), warnings: z.array(z.string()).optional(), infos: z.array(z.string()).optional() });
const errorSchema = z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() });

export interface InstantSeries {
  labels: Record<string, string>;
  /** null for a native-histogram sample (not used by meshdeck's queries). */
  value: number | null;
  /** Unix seconds. */
  t: number;
}
export interface RangeSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

export type QueryData =
  | { resultType: 'vector'; series: InstantSeries[] }
  | { resultType: 'matrix'; series: RangeSeries[] }
  | { resultType: 'scalar'; value: number; t: number }
  | { resultType: 'string'; value: string; t: number };

export interface PromAnswer<T> {
  data: T;
  warnings: string[];
}

/** "NaN", "+Inf", "-Inf" and numbers, as Go formats them. */
export function sampleNumber(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

function clip(s: string, n = 160): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}…` : t;
}

function upstream(url: string, what: string, details: Record<string, string | number | boolean | null> = {}): ApiError {
  return new ApiError('UPSTREAM', `Prometheus at ${url} ${what}`, { details: { url, ...details } });
}

const PROM_ERROR_CODES: Record<string, ErrorCode> = {
  bad_data: 'BAD_INPUT',
  timeout: 'TIMEOUT',
  canceled: 'CANCELLED',
  execution: 'UPSTREAM',
  internal: 'UPSTREAM',
  unavailable: 'UPSTREAM',
  not_found: 'NOT_FOUND',
};

/**
 * Checks an HTTP answer from a Prometheus-compatible API and returns the envelope's `data`
 * (still unknown: `parseQueryData` narrows query answers). `url` is what the user knows the
 * server as (shown in messages).
 */
export function readEnvelope(url: string, status: number, contentType: string, body: Buffer | string): PromAnswer<unknown> {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const trimmed = text.trimStart();
  if (status === 401 || status === 403) {
    return authError(url, status, text);
  }
  if (!trimmed.startsWith('{')) {
    const looksHtml = /^<(!doctype|html|head|body)/i.test(trimmed) || contentType.includes('text/html');
    if (looksHtml) {
      const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
      throw upstream(
        url,
        `answered HTTP ${status} with an HTML page${title ? ` ("${clip(title, 80)}")` : ''}, not the Prometheus JSON API. Check the URL (and any path prefix such as /prometheus) — it may point at a login page, a dashboard or a proxy.`,
        { status, contentType },
      );
    }
    if (status >= 500) throw upstream(url, `failed with HTTP ${status}: ${clip(text) || '(empty body)'}`, { status });
    if (status === 404) throw new ApiError('NOT_FOUND', `Prometheus at ${url}: the API path was not found (HTTP 404). Is this a Prometheus server, and is the path prefix right?`, { details: { url, status } });
    throw upstream(url, `answered HTTP ${status} with something that is not JSON: ${clip(text) || '(empty body)'}`, { status, contentType });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw upstream(url, `answered with JSON that cannot be parsed (${e instanceof Error ? clip(e.message, 100) : 'invalid'}; ${text.length} bytes, truncated?).`, { status });
  }
  const err = errorSchema.safeParse(json);
  if (err.success) {
    const code = PROM_ERROR_CODES[err.data.errorType ?? ''] ?? 'UPSTREAM';
    throw new ApiError(code, `Prometheus at ${url} refused the query (${err.data.errorType ?? 'error'}): ${clip(err.data.error ?? 'no message', 400)}`, {
      details: { url, status, errorType: err.data.errorType ?? null },
    });
  }
  if (status < 200 || status >= 300) throw upstream(url, `failed with HTTP ${status}: ${clip(text)}`, { status });
  const ok = successSchema.safeParse(json);
  if (!ok.success) {
    const issue = ok.error.issues[0];
    throw upstream(url, `answered JSON that is not a Prometheus API answer (${issue ? `${issue.path.join('.') || 'status'}: ${issue.message}` : 'unknown shape'}).`, { status });
  }
  return { data: ok.data.data, warnings: [...(ok.data.warnings ?? []), ...(ok.data.infos ?? [])] };
}

function authError(url: string, status: number, text: string): never {
  let reason = '';
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    reason = typeof j.error === 'string' ? j.error : typeof j.message === 'string' ? j.message : '';
  } catch {
    reason = /^</.test(text.trimStart()) ? '' : text;
  }
  const code: ErrorCode = status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN';
  const what = status === 401 ? 'rejected the credentials (401 Unauthorized): set a bearer token or basic auth' : 'refused access (403 Forbidden): the credentials are valid but not allowed (or the tenant is wrong)';
  throw new ApiError(code, `Prometheus at ${url} ${what}${reason ? ` — ${clip(reason, 200)}` : ''}.`, { details: { url, status } });
}

/** Narrows a query answer's data to one of the four result types. */
export function parseQueryData(url: string, data: unknown): QueryData {
  const r = dataSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw upstream(url, `answered a query with data of an unexpected shape (${issue ? `data.${issue.path.join('.')}: ${issue.message}` : 'unknown'}).`);
  }
  const d = r.data;
  switch (d.resultType) {
    case 'vector':
      return {
        resultType: 'vector',
        series: d.result.map((s) => ({ labels: s.metric, value: s.value ? sampleNumber(s.value[1]) : null, t: s.value?.[0] ?? 0 })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        series: d.result.map((s) => ({ labels: s.metric, points: (s.values ?? []).map(([t, v]) => [t, sampleNumber(v)] as [number, number]) })),
      };
    case 'scalar':
      return { resultType: 'scalar', value: sampleNumber(d.result[1]), t: d.result[0] };
    case 'string':
      return { resultType: 'string', value: d.result[1], t: d.result[0] };
  }
}
