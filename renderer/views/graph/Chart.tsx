import type { TimeSeries } from '../../../shared/graph/types';

/**
 * A small time-series chart in plain SVG (no chart library needed for a few lines): y axis with
 * two ticks, time labels at both ends, one polyline per series, colours from the theme.
 */
export interface ChartLine { series: TimeSeries; color: string }

export function LineChart({ title, lines, unit, format, height = 90, yMax }: {
  title: string; lines: ChartLine[]; unit: string; format: (v: number) => string; height?: number; yMax?: number;
}) {
  const W = 300;
  const H = height;
  const padL = 40;
  const padB = 16;
  const pts = lines.flatMap((l) => l.series.points);
  const last = lines.map((l) => l.series.points.at(-1)?.v);
  if (pts.length === 0) {
    return (
      <div className="chart" data-testid={`chart-${title}`}>
        <div className="chart-title">{title}</div>
        <div className="chart-empty muted">No data in this window</div>
      </div>
    );
  }
  const t0 = Math.min(...pts.map((p) => p.t));
  const t1 = Math.max(...pts.map((p) => p.t));
  const max = yMax ?? Math.max(...pts.map((p) => p.v), 0) * 1.1;
  const top = max > 0 ? max : 1;
  const x = (t: number) => padL + ((t - t0) / Math.max(1, t1 - t0)) * (W - padL - 4);
  const y = (v: number) => 4 + (1 - v / top) * (H - padB - 8);
  const time = (t: number) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <div className="chart" data-testid={`chart-${title}`}>
      <div className="chart-title">
        {title}
        <span className="chart-now">
          {lines.map((l, i) => (
            <span key={l.series.name} style={{ color: l.color }} title={l.series.name}>
              {last[i] === undefined ? '–' : format(last[i]!)}
              {i < lines.length - 1 ? ' · ' : ''}
            </span>
          ))}
          {unit ? <span className="muted"> {unit}</span> : null}
        </span>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" height={H} role="img" aria-label={title}>
        <line x1={padL} x2={W - 4} y1={y(0)} y2={y(0)} stroke="var(--border)" />
        <line x1={padL} x2={W - 4} y1={y(top / 2)} y2={y(top / 2)} stroke="var(--border)" strokeDasharray="2 3" />
        <text x={padL - 4} y={y(top) + 8} textAnchor="end" fontSize="9" fill="var(--text-muted)">{format(top)}</text>
        <text x={padL - 4} y={y(top / 2) + 3} textAnchor="end" fontSize="9" fill="var(--text-muted)">{format(top / 2)}</text>
        <text x={padL - 4} y={y(0)} textAnchor="end" fontSize="9" fill="var(--text-muted)">0</text>
        <text x={padL} y={H - 2} fontSize="9" fill="var(--text-muted)">{time(t0)}</text>
        <text x={W - 4} y={H - 2} textAnchor="end" fontSize="9" fill="var(--text-muted)">{time(t1)}</text>
        {lines.map((l) =>
          l.series.points.length === 1 ? (
            <circle key={l.series.name} cx={x(l.series.points[0]!.t)} cy={y(l.series.points[0]!.v)} r={2} fill={l.color} />
          ) : (
            <polyline
              key={l.series.name}
              fill="none"
              stroke={l.color}
              strokeWidth={1.5}
              points={l.series.points.map((p) => `${x(p.t).toFixed(1)},${y(Math.min(p.v, top)).toFixed(1)}`).join(' ')}
            />
          ),
        )}
      </svg>
    </div>
  );
}
