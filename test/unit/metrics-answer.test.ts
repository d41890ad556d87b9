import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors';
import { parseQueryData, readEnvelope, sampleNumber } from '../../main/metrics/answer';

const URL = 'http://prom.example:9090';
const ok = (data: unknown) => JSON.stringify({ status: 'success', data });

function fails(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected a failure');
}

describe('Prometheus answer validation', () => {
  it('reads vectors, matrices, scalars and special values', () => {
    const v = parseQueryData(URL, readEnvelope(URL, 200, 'application/json', ok({ resultType: 'vector', result: [{ metric: { a: 'b' }, value: [1700000000.5, '1.25'] }, { metric: {}, value: [1, 'NaN'] }] })).data);
    expect(v).toEqual({ resultType: 'vector', series: [{ labels: { a: 'b' }, value: 1.25, t: 1700000000.5 }, { labels: {}, value: NaN, t: 1 }] });
    const m = parseQueryData(URL, readEnvelope(URL, 200, 'application/json', ok({ resultType: 'matrix', result: [{ metric: {}, values: [[1, '+Inf'], [2, '-Inf'], [3, '3']] }] })).data);
    expect(m).toEqual({ resultType: 'matrix', series: [{ labels: {}, points: [[1, Infinity], [2, -Infinity], [3, 3]] }] });
    expect(parseQueryData(URL, { resultType: 'scalar', result: [5, '42'] })).toEqual({ resultType: 'scalar', value: 42, t: 5 });
    expect(sampleNumber('1e3')).toBe(1000);
    const w = readEnvelope(URL, 200, 'application/json', JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] }, warnings: ['careful'] }));
    expect(w.warnings).toEqual(['careful']);
  });

  it('turns an HTML page into UPSTREAM naming the URL and the page', () => {
    const e = fails(() => readEnvelope(URL, 200, 'text/html; charset=utf-8', '<!DOCTYPE html><html><head><title>Grafana</title></head><body>hi</body></html>'));
    expect(e.code).toBe('UPSTREAM');
    expect(e.message).toContain(URL);
    expect(e.message).toContain('HTML');
    expect(e.message).toContain('Grafana');
  });

  it('turns truncated JSON into UPSTREAM', () => {
    const body = ok({ resultType: 'vector', result: [{ metric: { a: 'b' }, value: [1, '1'] }] });
    const e = fails(() => readEnvelope(URL, 200, 'application/json', body.slice(0, body.length - 7)));
    expect(e.code).toBe('UPSTREAM');
    expect(e.message).toMatch(/cannot be parsed/);
  });

  it('rejects wrong shapes with the path that was wrong', () => {
    expect(fails(() => readEnvelope(URL, 200, 'application/json', JSON.stringify({ hello: 'world' }))).message).toMatch(/not a Prometheus API answer/);
    expect(fails(() => readEnvelope(URL, 200, 'application/json', JSON.stringify([1, 2]))).code).toBe('UPSTREAM');
    const bad = [
      { resultType: 'vector', result: 'nope' },
      { resultType: 'vector', result: [{ metric: { a: 1 }, value: [1, '1'] }] },
      { resultType: 'vector', result: [{ metric: {}, value: [1, 2] }] },
      { resultType: 'matrix', result: [{ metric: {}, values: [[1]] }] },
      { resultType: 'scalar', result: ['x', '1'] },
      { resultType: 'table', result: [] },
      null,
    ];
    for (const d of bad) {
      const e = fails(() => parseQueryData(URL, d));
      expect(e.code).toBe('UPSTREAM');
      expect(e.message).toContain('unexpected shape');
    }
  });

  it('maps Prometheus error answers to codes (bad_data → BAD_INPUT, timeout → TIMEOUT)', () => {
    const e1 = fails(() => readEnvelope(URL, 400, 'application/json', JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5: unexpected "}"' })));
    expect(e1.code).toBe('BAD_INPUT');
    expect(e1.message).toContain('parse error');
    const e2 = fails(() => readEnvelope(URL, 503, 'application/json', JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out' })));
    expect(e2.code).toBe('TIMEOUT');
    const e3 = fails(() => readEnvelope(URL, 422, 'application/json', JSON.stringify({ status: 'error', errorType: 'execution', error: 'many-to-many matching not allowed' })));
    expect(e3.code).toBe('UPSTREAM');
  });

  it('401/403 are UNAUTHORIZED/FORBIDDEN, whatever the body', () => {
    expect(fails(() => readEnvelope(URL, 401, 'text/plain', 'Unauthorized')).code).toBe('UNAUTHORIZED');
    expect(fails(() => readEnvelope(URL, 403, 'text/html', '<html>nope</html>')).code).toBe('FORBIDDEN');
  });

  it('non-JSON error pages keep their status', () => {
    expect(fails(() => readEnvelope(URL, 502, 'text/plain', 'Bad Gateway')).message).toContain('HTTP 502');
    expect(fails(() => readEnvelope(URL, 404, 'text/plain', '404 page not found')).code).toBe('NOT_FOUND');
    expect(fails(() => readEnvelope(URL, 200, 'application/json', '')).code).toBe('UPSTREAM');
  });
});
