import { ApiError } from '../../shared/errors';
import { isTimeout, withTimeout } from '../util/abort';
import type { PromQuerier, RangeSample, Sample } from './ports';

/**
 * Reading Prometheus HTTP API answers, strictly: anything that is not the documented shape is
 * an UPSTREAM error naming what was wrong, never a crash further down. A tiny HTTP querier sits
 * on top for tests, benches and the time before the metrics layer's client is wired in.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function labels(v: unknown, where: string): Record<string, string> {
  if (!isObj(v)) throw new ApiError('UPSTREAM', `Prometheus answered a series without labels (${where}).`);
  for (const x of Object.values(v)) if (typeof x !== 'string') throw new ApiError('UPSTREAM', `Prometheus answered a non-string label value (${where}).`);
  return v as Record<string, string>;
}

function point(v: unknown, where: string): { t: number; v: number } {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'number' || typeof v[1] !== 'string') {
    throw new ApiError('UPSTREAM', `Prometheus answered a malformed sample (${where}).`);
  }
  // "NaN", "+Inf" and "-Inf" are legal values (Go's spelling, which Number() does not read).
  const x = v[1] === '+Inf' ? Infinity : v[1] === '-Inf' ? -Infinity : Number(v[1]);
  return { t: v[0], v: x };
}

function data(body: unknown, url: string): Obj {
  if (!isObj(body)) throw new ApiError('UPSTREAM', `Prometheus at ${url} answered something that is not a JSON object.`);
  if (body.status === 'error') {
    const msg = typeof body.error === 'string' ? body.error : 'unknown error';
    throw new ApiError(body.errorType === 'bad_data' ? 'BAD_INPUT' : 'UPSTREAM', `Prometheus at ${url} rejected the query: ${msg}`);
  }
  if (body.status !== 'success' || !isObj(body.data)) throw new ApiError('UPSTREAM', `Prometheus at ${url} answered without status "success" and data.`);
  return body.data;
}

export function parseVector(body: unknown, url = 'Prometheus'): Sample[] {
  const d = data(body, url);
  if (d.resultType === 'scalar') return [{ metric: {}, value: point(d.result, 'scalar').v }];
  if (d.resultType !== 'vector' || !Array.isArray(d.result)) throw new ApiError('UPSTREAM', `Prometheus at ${url} answered a ${String(d.resultType)}, not a vector.`);
  return d.result.map((r: unknown, i) => {
    if (!isObj(r)) throw new ApiError('UPSTREAM', `Prometheus at ${url}: result ${i} is not an object.`);
    return { metric: labels(r.metric, `result ${i}`), value: point(r.value, `result ${i}`).v };
  });
}

export function parseMatrix(body: unknown, url = 'Prometheus'): RangeSample[] {
  const d = data(body, url);
  if (d.resultType !== 'matrix' || !Array.isArray(d.result)) throw new ApiError('UPSTREAM', `Prometheus at ${url} answered a ${String(d.resultType)}, not a matrix.`);
  return d.result.map((r: unknown, i) => {
    if (!isObj(r) || !Array.isArray(r.values)) throw new ApiError('UPSTREAM', `Prometheus at ${url}: series ${i} has no values.`);
    return { metric: labels(r.metric, `series ${i}`), values: r.values.map((p, j) => point(p, `series ${i} point ${j}`)) };
  });
}

export interface HttpQuerierOptions {
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export function httpPromQuerier(baseUrl: string, opts: HttpQuerierOptions = {}): PromQuerier {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  async function call(path: string, params: Record<string, string>, signal: AbortSignal): Promise<unknown> {
    const url = `${base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...opts.headers },
        body: new URLSearchParams(params).toString(),
        signal: withTimeout(timeoutMs, signal),
      });
    } catch (err) {
      if (signal.aborted) throw new ApiError('CANCELLED', 'The query was cancelled.');
      if (isTimeout(err)) throw new ApiError('TIMEOUT', `Prometheus at ${base} did not answer within ${timeoutMs} ms.`);
      throw new ApiError('UNREACHABLE', `Prometheus at ${base} is unreachable: ${(err as Error).message}`, { cause: err });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      if (signal.aborted) throw new ApiError('CANCELLED', 'The query was cancelled.');
      if (isTimeout(err)) throw new ApiError('TIMEOUT', `Prometheus at ${base} did not finish answering within ${timeoutMs} ms.`);
      throw new ApiError('UPSTREAM', `Prometheus at ${base} broke off its answer: ${(err as Error).message}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError('UPSTREAM', `Prometheus at ${base} answered HTTP ${res.status} that is not JSON: ${text.slice(0, 120)}`);
    }
    return body;
  }
  return {
    async instant(promql, time, signal) {
      return parseVector(await call('/api/v1/query', { query: promql, time: (time / 1000).toFixed(3) }, signal), base);
    },
    async range(promql, start, end, stepSec, signal) {
      return parseMatrix(
        await call('/api/v1/query_range', { query: promql, start: (start / 1000).toFixed(3), end: (end / 1000).toFixed(3), step: String(stepSec) }, signal),
        base,
      );
    },
  };
}
