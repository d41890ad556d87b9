/**
 * One interval's analysis: Flagger's built-in checks (request success rate in %, p99 request
 * duration in ms) for Istio or Linkerd metrics, a minimum request count, custom PromQL with a
 * threshold range, and event-store gates (projection lag in events, saga failure rate in %). Every
 * check becomes a CheckResult with its value and threshold; "no data" (empty answer, NaN, too few
 * requests, an unknown projection, no finished sagas) is reported as such, never as a pass.
 *
 * PromQL is built with the metrics layer's helpers, so workload and namespace names are quoted,
 * not pasted.
 */
import { gateCheckName } from '../../shared/canary/spec';
import type { AnalysisSpec, CanarySpec, CustomMetric, EventStoreGate, ThresholdRange } from '../../shared/canary/spec';
import { formatDuration } from '../../shared/canary/format';
import type { CheckResult, CheckOutcome } from '../../shared/canary/types';
import { ApiError } from '../../shared/errors';
import { matchers, promLabelValue, rangeSeconds } from '../metrics/promql';
import { withTimeout } from '../util/abort';
import type { CanaryPrometheus, GateProvider } from './ports';

/** Flagger's Prometheus provider timeout. */
export const QUERY_TIMEOUT_MS = 5_000;
/**
 * Event-store gates read Postgres (the projections overview, a saga count): give them the
 * connections' default statement timeout rather than Prometheus's, so a busy store is slow, not "down".
 */
export const GATE_TIMEOUT_MS = 10_000;

/** Inclusive range, as Flagger: fails only when value < min or value > max. */
export function outcomeFor(value: number | null, r: ThresholdRange): CheckOutcome {
  if (value === null || Number.isNaN(value)) return 'noData';
  if (r.min !== undefined && value < r.min) return 'fail';
  if (r.max !== undefined && value > r.max) return 'fail';
  return 'pass';
}

export interface BuiltinQueries {
  successRate: string;
  latencyP99: string;
  requestCount: string;
  rps: string;
}

/**
 * The built-in queries for one workload. Success rate follows Flagger's istio.go / linkerd.go,
 * with one change: the numerator falls back to 0 (`or on() vector(0)`) so a workload that fails
 * EVERY request reads 0 %, not "no data" (an empty numerator is Flagger issue #1365's trap).
 * With no traffic at all the denominator is empty and the answer is still "no data".
 */
export function builtinQueries(provider: AnalysisSpec['provider'], namespace: string, workload: string, windowSec: number): BuiltinQueries {
  const w = `[${rangeSeconds(windowSec)}]`;
  if (provider === 'linkerd') {
    const base = { namespace, deployment: workload, direction: 'inbound' };
    const all = `response_total${matchers(base)}`;
    const ok = `response_total${matchers({ ...base, classification: { ne: 'failure' } })}`;
    return {
      successRate: `(sum(rate(${ok}${w})) or on() vector(0)) / sum(rate(${all}${w})) * 100`,
      latencyP99: `histogram_quantile(0.99, sum(rate(response_latency_ms_bucket${matchers(base)}${w})) by (le))`,
      requestCount: `sum(increase(${all}${w}))`,
      rps: `sum(rate(${all}${w}))`,
    };
  }
  const base = { reporter: 'destination', destination_workload_namespace: namespace, destination_workload: workload };
  const all = `istio_requests_total${matchers(base)}`;
  const ok = `istio_requests_total${matchers({ ...base, response_code: { nre: '5.*' } })}`;
  return {
    successRate: `(sum(rate(${ok}${w})) or on() vector(0)) / sum(rate(${all}${w})) * 100`,
    latencyP99: `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket${matchers(base)}${w})) by (le))`,
    requestCount: `sum(increase(${all}${w}))`,
    rps: `sum(rate(${all}${w}))`,
  };
}

/** The text between the quotes of a PromQL string literal, for placeholders the user put inside quotes. */
const inner = (v: string) => promLabelValue(v).slice(1, -1);

/** Replaces {{namespace}}, {{service}}, {{canary}}, {{stable}}, {{window}} in a custom query. */
export function renderCustomQuery(query: string, spec: CanarySpec): string {
  const vars: Record<string, string> = {
    namespace: inner(spec.target.namespace),
    service: inner(spec.target.service),
    canary: inner(spec.analysis.canaryWorkload),
    stable: inner(spec.analysis.stableWorkload),
    window: rangeSeconds(spec.analysis.windowSec),
    interval: rangeSeconds(spec.analysis.windowSec),
  };
  return query.replace(/\{\{\s*([a-zA-Z]+)\s*\}\}/g, (m, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new ApiError('BAD_INPUT', `Unknown placeholder ${m} in a custom query; use {{namespace}}, {{service}}, {{canary}}, {{stable}} or {{window}}.`, { field: 'analysis.custom' });
    return v;
  });
}

type Scalar = { value: number | null; message?: string };

/** One number from an instant query. Empty or NaN: no data. Several series: an error (as Flagger). */
async function scalar(prom: CanaryPrometheus, q: string, signal: AbortSignal): Promise<Scalar> {
  const series = await prom.instant(q, withTimeout(QUERY_TIMEOUT_MS, signal));
  if (series.length === 0) return { value: null, message: 'the query returned no series' };
  if (series.length > 1) throw new ApiError('UPSTREAM', `The query returned ${series.length} series; a check needs exactly one.`);
  const v = series[0]?.value ?? null;
  if (v === null || Number.isNaN(v)) return { value: null, message: 'the query returned NaN (0/0: no requests)' };
  return { value: v };
}

function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export interface AnalysisDeps {
  prometheus: CanaryPrometheus;
  gates: GateProvider | null;
}

/** Runs every check of the spec once. Never throws for a failing query: that is an 'error' result. */
export async function runAnalysis(spec: CanarySpec, deps: AnalysisDeps, signal: AbortSignal): Promise<CheckResult[]> {
  const a = spec.analysis;
  const q = builtinQueries(a.provider, spec.target.namespace, a.canaryWorkload, a.windowSec);
  const results: CheckResult[] = [];

  const ask = async (query: string): Promise<Scalar & { error?: string }> => {
    try {
      return await scalar(deps.prometheus, query, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      return { value: null, error: errorMessage(err) };
    }
  };
  const toResult = (base: Omit<CheckResult, 'outcome' | 'value' | 'message'>, s: Scalar & { error?: string }): CheckResult => {
    if (s.error !== undefined) return { ...base, value: null, outcome: 'error', message: s.error };
    const outcome = outcomeFor(s.value, base.threshold);
    return { ...base, value: s.value, outcome, ...(outcome === 'noData' && s.message ? { message: s.message } : {}) };
  };

  // Gates ask the event store while Prometheus answers the rest.
  const gates = Promise.all(a.gates.map((g) => evaluateGate(g, deps.gates, signal)));
  // Only rejects on abort, which the Prometheus side rethrows first: never an unhandled rejection.
  gates.catch(() => undefined);
  const [count, sr, p99, ...custom] = await Promise.all([
    a.minRequests > 0 ? ask(q.requestCount) : Promise.resolve(null),
    a.successRateMin !== null ? ask(q.successRate) : Promise.resolve(null),
    a.latencyP99MaxMs !== null ? ask(q.latencyP99) : Promise.resolve(null),
    ...a.custom.map((c: CustomMetric) => {
      try {
        return ask(renderCustomQuery(c.query, spec));
      } catch (err) {
        return Promise.resolve({ value: null, error: errorMessage(err) });
      }
    }),
  ]);

  // Too few requests: the rate and the percentile say nothing yet; report them as no data.
  let tooFew: string | null = null;
  if (count) {
    // No series at all means nobody called the canary: that is 0 requests, a real value.
    const c = count.error === undefined && count.value === null ? { value: 0 } : count;
    const r = toResult({ check: 'request-count', kind: 'request-count', threshold: { min: a.minRequests }, unit: 'requests', query: q.requestCount }, c);
    if (r.outcome === 'fail') {
      tooFew = `${spec.analysis.canaryWorkload} served ${Math.round(r.value ?? 0)} requests in ${a.windowSec}s, fewer than ${a.minRequests}`;
      results.push({ ...r, outcome: 'noData', message: tooFew });
    } else results.push(r);
  }
  if (sr && a.successRateMin !== null) {
    const base = { check: 'success-rate', kind: 'success-rate' as const, threshold: { min: a.successRateMin }, unit: '%' as const, query: q.successRate };
    results.push(tooFew && sr.error === undefined ? { ...base, value: sr.value, outcome: 'noData', message: 'too few requests' } : toResult(base, sr));
  }
  if (p99 && a.latencyP99MaxMs !== null) {
    const base = { check: 'latency-p99', kind: 'latency-p99' as const, threshold: { max: a.latencyP99MaxMs }, unit: 'ms' as const, query: q.latencyP99 };
    results.push(tooFew && p99.error === undefined ? { ...base, value: p99.value, outcome: 'noData', message: 'too few requests' } : toResult(base, p99));
  }
  a.custom.forEach((c, i) => {
    const s = custom[i] ?? { value: null, error: 'not asked' };
    let query: string | undefined;
    try {
      query = renderCustomQuery(c.query, spec);
    } catch {
      query = c.query;
    }
    results.push(toResult({ check: c.name, kind: 'custom', threshold: c.thresholdRange, unit: '', query }, s));
  });

  results.push(...(await gates));
  return results;
}

/**
 * One event-store gate, once. Like the Prometheus checks it never throws (except on abort): an
 * unknown projection or connection, a store that can't tell, or no finished sagas are `noData`; a
 * store that can't be asked (down, timeout) is `error`. Both follow the run's no-data policy.
 */
export async function evaluateGate(g: EventStoreGate, provider: GateProvider | null, signal: AbortSignal): Promise<CheckResult> {
  const check = gateCheckName(g);
  const base = g.kind === 'projectionLag'
    ? { check, kind: 'gate' as const, threshold: { max: g.maxLag }, unit: 'events' as const }
    : { check, kind: 'gate' as const, threshold: { max: g.maxPercent }, unit: '%' as const };
  if (!provider) return { ...base, value: null, outcome: 'error', message: 'event-store gates are not wired in this build' };
  const noData = (message: string, value: number | null = null): CheckResult => ({ ...base, value, outcome: 'noData', message });
  try {
    const s = withTimeout(GATE_TIMEOUT_MS, signal);
    if (g.kind === 'projectionLag') {
      const lag = await provider.projectionLag(g.connectionId, g.projection, s);
      if (lag === null || !Number.isFinite(lag)) return noData(`the event store could not tell how far ${g.projection} is behind`);
      return { ...base, value: lag, outcome: outcomeFor(lag, base.threshold) };
    }
    const r = await provider.sagaFailureRate(g.connectionId, g.windowSec, s);
    const window = formatDuration(g.windowSec * 1000);
    // Rounded so 1 of 10 reads 10 %, not 10.000000000000002 %.
    const pct = r.rate === null ? null : Math.round(r.rate * 100 * 1e6) / 1e6;
    if (pct === null || r.finished === 0) return noData(`no saga finished in the last ${window}`);
    if (r.finished < g.minFinished) return noData(`only ${r.finished} saga${r.finished === 1 ? '' : 's'} finished in the last ${window}, fewer than ${g.minFinished}`, pct);
    return { ...base, value: pct, outcome: outcomeFor(pct, base.threshold), message: `${r.failed} of ${r.finished} sagas failed in the last ${window}` };
  } catch (err) {
    if (signal.aborted) throw err;
    // No such projection (or connection): the store answered, there is just nothing to measure.
    if (err instanceof ApiError && err.code === 'NOT_FOUND') return noData(err.message);
    return { ...base, value: null, outcome: 'error', message: errorMessage(err) };
  }
}
