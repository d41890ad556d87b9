import { describe, expect, it } from 'vitest';
import { builtinQueries, outcomeFor, renderCustomQuery, runAnalysis } from '../../main/canary/analysis';
import { ApiError } from '../../shared/errors';
import { FakeProm, spec } from '../fixtures/canary/fakes';

const signal = new AbortController().signal;
const byCheck = <T extends { check: string }>(rs: T[]) => Object.fromEntries(rs.map((r) => [r.check, r]));

describe('canary analysis', () => {
  it('builds Flagger-shaped Istio and Linkerd queries with quoted labels', () => {
    const istio = builtinQueries('istio', 'shop', 'catalog-v2', 60);
    expect(istio.successRate).toBe(
      '(sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload="catalog-v2",response_code!~"5.*"}[60s])) or on() vector(0))' +
        ' / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload="catalog-v2"}[60s])) * 100',
    );
    expect(istio.latencyP99).toBe('histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="shop",destination_workload="catalog-v2"}[60s])) by (le))');
    const lk = builtinQueries('linkerd', 'billing', 'invoices-v2', 30);
    expect(lk.successRate).toContain('response_total{namespace="billing",deployment="invoices-v2",direction="inbound",classification!="failure"}[30s]');
    expect(lk.latencyP99).toContain('response_latency_ms_bucket{namespace="billing",deployment="invoices-v2",direction="inbound"}[30s]');
    // A hostile name cannot break out of the label value.
    expect(builtinQueries('istio', 'shop', 'a"} or vector(1) #', 60).rps).toContain('destination_workload="a\\"} or vector(1) #"');
  });

  it('compares inclusively against the range; NaN and null are no data', () => {
    expect(outcomeFor(99, { min: 99 })).toBe('pass');
    expect(outcomeFor(98.99, { min: 99 })).toBe('fail');
    expect(outcomeFor(500, { max: 500 })).toBe('pass');
    expect(outcomeFor(501, { max: 500 })).toBe('fail');
    expect(outcomeFor(5, { min: 1, max: 4 })).toBe('fail');
    expect(outcomeFor(Number.NaN, { min: 1 })).toBe('noData');
    expect(outcomeFor(null, { min: 1 })).toBe('noData');
  });

  it('reports each check with its value and threshold', async () => {
    const prom = new FakeProm();
    prom.successRate = 70.5;
    prom.p99 = 900;
    const r = byCheck(await runAnalysis(spec(), { prometheus: prom, gates: null }, signal));
    expect(r['success-rate']).toMatchObject({ value: 70.5, threshold: { min: 99 }, outcome: 'fail', unit: '%' });
    expect(r['latency-p99']).toMatchObject({ value: 900, threshold: { max: 500 }, outcome: 'fail', unit: 'ms' });
    expect(r['success-rate']?.query).toContain('istio_requests_total');
  });

  it('empty answers are no data, with the reason', async () => {
    const prom = new FakeProm();
    prom.successRate = null;
    prom.p99 = Number.NaN;
    const r = byCheck(await runAnalysis(spec(), { prometheus: prom, gates: null }, signal));
    expect(r['success-rate']).toMatchObject({ outcome: 'noData', value: null, message: 'the query returned no series' });
    expect(r['latency-p99']).toMatchObject({ outcome: 'noData', message: expect.stringContaining('NaN') });
  });

  it('fewer requests than the minimum make the interval no-data, even when the rate looks bad', async () => {
    const prom = new FakeProm();
    prom.count = 3;
    prom.successRate = 50;
    const r = byCheck(await runAnalysis(spec({ analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', minRequests: 20 } }), { prometheus: prom, gates: null }, signal));
    expect(r['request-count']).toMatchObject({ outcome: 'noData', value: 3, threshold: { min: 20 }, message: expect.stringContaining('served 3 requests') });
    expect(r['success-rate']).toMatchObject({ outcome: 'noData', value: 50, message: 'too few requests' });
    prom.count = null; // nobody called: zero requests
    const r2 = byCheck(await runAnalysis(spec({ analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', minRequests: 1 } }), { prometheus: prom, gates: null }, signal));
    expect(r2['request-count']).toMatchObject({ value: 0, outcome: 'noData' });
  });

  it('a Prometheus failure is an error result, never a pass and never a throw', async () => {
    const prom = new FakeProm();
    prom.fail = new ApiError('UNREACHABLE', 'connection refused');
    const rs = await runAnalysis(spec(), { prometheus: prom, gates: null }, signal);
    expect(rs.every((x) => x.outcome === 'error' && x.message?.includes('UNREACHABLE'))).toBe(true);
  });

  it('custom PromQL: placeholders become escaped values; the threshold range applies', async () => {
    const s = spec({ analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', custom: [{ name: 'errors-5xx', query: 'sum(rate(x{ns="{{namespace}}",w="{{canary}}"}[{{window}}]))', thresholdRange: { max: 0.5 } }] } });
    expect(renderCustomQuery(s.analysis.custom[0]!.query, s)).toBe('sum(rate(x{ns="shop",w="catalog-v2"}[60s]))');
    expect(() => renderCustomQuery('x{a="{{nope}}"}', s)).toThrow(/Unknown placeholder/);
    const prom = new FakeProm();
    prom.custom = 0.7;
    const r = byCheck(await runAnalysis(s, { prometheus: prom, gates: null }, signal));
    expect(r['errors-5xx']).toMatchObject({ kind: 'custom', value: 0.7, outcome: 'fail', threshold: { max: 0.5 } });
  });

  it('event-store gates: evaluated through the provider; without one they are errors', async () => {
    const s = spec({ analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', gates: [{ kind: 'projectionLag', connectionId: 'pg', projection: 'orders', maxLag: 100 }] } });
    const none = byCheck(await runAnalysis(s, { prometheus: new FakeProm(), gates: null }, signal));
    expect(none['projection-lag:orders']).toMatchObject({ outcome: 'error' });
    const ok = byCheck(await runAnalysis(s, { prometheus: new FakeProm(), gates: { projectionLag: async () => 250, sagaFailureRate: async () => ({ finished: 0, failed: 0, rate: null }) } }, signal));
    expect(ok['projection-lag:orders']).toMatchObject({ value: 250, outcome: 'fail', unit: 'events' });
  });

  it('several series for a check is an error (the query must aggregate)', async () => {
    const prom = new FakeProm();
    prom.instant = async () => [{ labels: { a: '1' }, value: 1 }, { labels: { a: '2' }, value: 2 }];
    const rs = await runAnalysis(spec(), { prometheus: prom, gates: null }, signal);
    expect(rs[0]).toMatchObject({ outcome: 'error', message: expect.stringContaining('2 series') });
  });
});
