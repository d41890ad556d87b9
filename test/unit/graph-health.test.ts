import { describe, expect, it } from 'vitest';
import { band, requestHealth } from '../../main/graph/appenders/health';
import { DEFAULT_THRESHOLDS } from '../../shared/graph/types';

describe('health thresholds (Kiali defaults)', () => {
  const h = (total: number, err4xx: number, err5xx: number) => requestHealth({ total, err4xx, err5xx }, DEFAULT_THRESHOLDS).status;
  it('5xx: degraded above 0 %, failure at 10 %', () => {
    expect(h(100, 0, 0)).toBe('healthy');
    expect(h(1000, 0, 1)).toBe('degraded');
    expect(h(100, 0, 9.99)).toBe('degraded');
    expect(h(100, 0, 10)).toBe('failure');
  });
  it('4xx: degraded at 10 %, failure at 20 %', () => {
    expect(h(100, 9.9, 0)).toBe('healthy');
    expect(h(100, 10, 0)).toBe('degraded');
    expect(h(100, 20, 0)).toBe('failure');
  });
  it('the worst band wins and says why', () => {
    const r = requestHealth({ total: 100, err4xx: 25, err5xx: 1 }, DEFAULT_THRESHOLDS);
    expect(r).toEqual({ status: 'failure', reason: '4xx 25.0% ≥ 20%' });
    expect(h(0, 0, 0)).toBe('idle');
  });
  it('uses configured thresholds', () => {
    const strict = { http5xx: { degraded: 1, failure: 5 }, http4xx: { degraded: 50, failure: 90 } };
    expect(requestHealth({ total: 100, err4xx: 40, err5xx: 0.5 }, strict).status).toBe('healthy');
    expect(requestHealth({ total: 100, err4xx: 0, err5xx: 5 }, strict).status).toBe('failure');
    expect(band(0, { degraded: 0, failure: 0 })).toBe('healthy');
    expect(band(0.1, { degraded: 0, failure: 0 })).toBe('failure');
  });
});
