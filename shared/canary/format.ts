/** Words and numbers for check results: the same in the controller's messages and in the UI. */
import type { CheckResult, CanaryState } from './types';
import type { ThresholdRange } from './spec';

export function formatValue(v: number | null, unit: CheckResult['unit']): string {
  if (v === null || !Number.isFinite(v)) return 'no data';
  const abs = Math.abs(v);
  const digits = unit === '%' ? (abs >= 99 && abs < 100 ? 2 : 1) : unit === 'requests' || unit === 'events' ? 0 : abs < 10 ? 2 : abs < 100 ? 1 : 0;
  const n = v.toFixed(digits);
  return unit === '%' ? `${n} %` : unit === 'ms' ? `${n} ms` : unit ? `${n} ${unit}` : n;
}

/** Thresholds as the user typed them: 99 → "99 %", 0.5 → "0.5". */
function plain(n: number, unit: CheckResult['unit']): string {
  const t = String(Number(n.toFixed(3)));
  return unit === '%' ? `${t} %` : unit ? `${t} ${unit}` : t;
}

export function formatRange(r: ThresholdRange, unit: CheckResult['unit']): string {
  const f = (n: number) => plain(n, unit);
  if (r.min !== undefined && r.max !== undefined) return `${f(r.min)} – ${f(r.max)}`;
  if (r.min !== undefined) return `≥ ${f(r.min)}`;
  if (r.max !== undefined) return `≤ ${f(r.max)}`;
  return 'any';
}

/** "success-rate 71.3 % (needs ≥ 99.0 %)", "latency-p99: no data (canary got 0 requests)". */
export function describeResult(r: CheckResult): string {
  if (r.outcome === 'noData') return `${r.check}: no data${r.message ? ` (${r.message})` : ''}`;
  if (r.outcome === 'error') return `${r.check}: query failed${r.message ? ` (${r.message})` : ''}`;
  return `${r.check} ${formatValue(r.value, r.unit)} (needs ${formatRange(r.threshold, r.unit)})`;
}

export const STATE_LABELS: Record<CanaryState, string> = {
  waiting: 'Waiting',
  progressing: 'Progressing',
  paused: 'Paused',
  awaitingApproval: 'Awaiting approval',
  promoting: 'Promoting',
  succeeded: 'Succeeded',
  rolledBack: 'Rolled back',
  aborted: 'Aborted',
};

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
}

export type CanaryCommandName = 'pause' | 'resume' | 'promote' | 'abort' | 'retry' | 'approve';

/** The buttons each state enables (the state machine in main is the judge; a unit test keeps them in step). */
export const COMMANDS_BY_STATE: Record<CanaryState, readonly CanaryCommandName[]> = {
  waiting: ['pause', 'promote', 'abort'],
  progressing: ['pause', 'promote', 'abort'],
  paused: ['resume', 'promote', 'abort'],
  awaitingApproval: ['approve', 'pause', 'promote', 'abort'],
  promoting: ['abort'],
  succeeded: [],
  rolledBack: ['retry'],
  aborted: ['retry'],
};
