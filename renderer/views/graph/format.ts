/** Number formats of the graph, after Kiali's: 2 decimals for rates, 1 for percentages. */

export function fmtRate(rps: number): string {
  if (rps === 0) return '0';
  if (rps < 0.01) return '<0.01';
  if (rps >= 1000) return `${(rps / 1000).toFixed(1)}k`;
  return rps >= 100 ? rps.toFixed(0) : rps.toFixed(2);
}

export function fmtPct(p: number): string {
  return p >= 99.95 && p < 100 ? '99.9' : p.toFixed(1);
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  return ms >= 10 ? `${ms.toFixed(0)}ms` : `${ms.toFixed(1)}ms`;
}

export function fmtBytes(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(1)}GB/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)}MB/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(1)}kB/s`;
  return `${bps.toFixed(0)}B/s`;
}

export function fmtTime(iso: string): string {
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
