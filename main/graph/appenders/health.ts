import type { Band, HealthStatus, RateSplit, Thresholds } from '../../../shared/graph/types';

const RANK: Record<HealthStatus, number> = { failure: 4, degraded: 3, healthy: 1, idle: 0, na: 0 };

export function worst(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[b] > RANK[a] ? b : a;
}

/** Kiali's rule: ratio <= 0 healthy; >= failure failure; >= degraded degraded; else healthy. */
export function band(pct: number, b: Band): HealthStatus {
  if (pct <= 0) return 'healthy';
  if (pct >= b.failure) return 'failure';
  if (pct >= b.degraded) return 'degraded';
  return 'healthy';
}

const fmt = (n: number) => `${n.toFixed(1)}%`;

/** Health of some requests: 5xx-class and 4xx each against their band; the worst wins. */
export function requestHealth(r: RateSplit, t: Thresholds): { status: HealthStatus; reason?: string } {
  if (r.total <= 0) return { status: 'idle' };
  const p5 = (r.err5xx / r.total) * 100;
  const p4 = (r.err4xx / r.total) * 100;
  const s5 = band(p5, t.http5xx);
  const s4 = band(p4, t.http4xx);
  const status = worst(s5, s4);
  if (status === 'healthy') return { status };
  const reasons: string[] = [];
  if (s5 === status) reasons.push(`5xx ${fmt(p5)} ≥ ${status === 'failure' ? t.http5xx.failure : t.http5xx.degraded}%`);
  if (s4 === status) reasons.push(`4xx ${fmt(p4)} ≥ ${status === 'failure' ? t.http4xx.failure : t.http4xx.degraded}%`);
  return { status, reason: reasons.join(', ') };
}
