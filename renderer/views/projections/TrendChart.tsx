import type { LagSample } from '../../../shared/contract/projections';
import { fmtCount } from './format';

/** A sparkline of lag (events) over the samples; no axes, for the table. */
export function Sparkline({ samples, width = 110, height = 24 }: { samples: LagSample[]; width?: number; height?: number }) {
  if (samples.length < 2) return <span className="muted pj-small">—</span>;
  const max = Math.max(1, ...samples.map((s) => s.lag));
  const t0 = samples[0]!.t;
  const span = Math.max(1, samples.at(-1)!.t - t0);
  const pts = samples.map((s) => `${(((s.t - t0) / span) * (width - 2) + 1).toFixed(1)},${(height - 2 - (s.lag / max) * (height - 4)).toFixed(1)}`).join(' ');
  const rising = samples.at(-1)!.lag > samples[0]!.lag;
  return (
    <svg className="pj-spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-label={`lag trend, last ${fmtCount(samples.at(-1)!.lag)}`} role="img">
      <polyline points={pts} fill="none" stroke={rising ? 'var(--warn)' : 'var(--accent)'} strokeWidth="1.5" strokeLinejoin="round" />
    </svg>
  );
}

/**
 * Lag over time for one projection, with axes: lag in events (area), and the time the samples
 * cover. A widening area means the projection falls behind.
 */
export function TrendChart({ samples, height = 200 }: { samples: LagSample[]; height?: number }) {
  const width = 1100;
  const pad = { l: 64, r: 12, t: 12, b: 24 };
  if (samples.length < 2) {
    return <div className="pj-chart-empty muted">The trend builds up as meshdeck samples the checkpoint (every refresh).</div>;
  }
  const max = Math.max(1, ...samples.map((s) => s.lag));
  const t0 = samples[0]!.t;
  const t1 = samples.at(-1)!.t;
  const span = Math.max(1, t1 - t0);
  const x = (t: number) => pad.l + ((t - t0) / span) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - v / max) * (height - pad.t - pad.b);
  const line = samples.map((s) => `${x(s.t).toFixed(1)},${y(s.lag).toFixed(1)}`).join(' ');
  const area = `${x(t0).toFixed(1)},${y(0).toFixed(1)} ${line} ${x(t1).toFixed(1)},${y(0).toFixed(1)}`;
  const ticks = [0, 0.5, 1].map((f) => Math.round(max * f));
  const fmtT = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return (
    <svg className="pj-chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label="lag over time" data-testid="trend-chart">
      {ticks.map((v) => (
        <g key={v}>
          <line x1={pad.l} x2={width - pad.r} y1={y(v)} y2={y(v)} stroke="var(--border)" strokeDasharray={v === 0 ? undefined : '3 3'} />
          <text x={pad.l - 6} y={y(v) + 4} textAnchor="end" fill="var(--text-muted)" fontSize="10">{fmtCount(v)}</text>
        </g>
      ))}
      <polygon points={area} fill="var(--accent-bg)" />
      <polyline points={line} fill="none" stroke="var(--accent)" strokeWidth="2" strokeLinejoin="round" />
      <text x={pad.l} y={height - 6} fill="var(--text-muted)" fontSize="10">{fmtT(t0)}</text>
      <text x={width - pad.r} y={height - 6} textAnchor="end" fill="var(--text-muted)" fontSize="10">{fmtT(t1)}</text>
    </svg>
  );
}
