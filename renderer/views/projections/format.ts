import type { ProjectionRow, ProjectionStatus } from '../../../shared/contract/projections';

/** 45 s, 12 min, 3 h 5 min, 2 d 4 h. */
export function fmtDuration(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '—';
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 && s < 600 ? ` ${s % 60} s` : ''}`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / 86_400)} d${Math.floor((s % 86_400) / 3600) ? ` ${Math.floor((s % 86_400) / 3600)} h` : ''}`;
}

export function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n.toLocaleString('en-US');
}

export function fmtRate(r: number | null): string {
  if (r === null) return '—';
  if (r >= 100) return `${Math.round(r).toLocaleString('en-US')}/s`;
  return `${r.toFixed(1)}/s`;
}

export function fmtEta(r: Pick<ProjectionRow, 'etaSeconds' | 'etaNote'>): string {
  switch (r.etaNote) {
    case 'caught-up': return 'caught up';
    case 'no-history': return 'measuring…';
    case 'falling-behind': return 'falling behind';
    case 'not-moving': return 'not moving';
    default: return r.etaSeconds === null ? '—' : r.etaSeconds < 1 ? '< 1 s' : `≈ ${fmtDuration(r.etaSeconds)}`;
  }
}

export function statusClass(s: ProjectionStatus): string {
  switch (s) {
    case 'caught-up':
    case 'running': return 'ok';
    case 'lagging': return 'warn';
    case 'stalled':
    case 'failed': return 'bad';
    case 'stopped':
    case 'unknown': return '';
  }
}

export function fmtAgo(iso: string | null): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return `${fmtDuration((Date.now() - t) / 1000)} ago`;
}
