/**
 * PromQL text the graph needs. Label values are escaped here (the metrics layer has its own
 * helpers for its callers; these stay local so the graph's queries are plain, testable strings).
 */

/** A PromQL double-quoted string literal. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** RE2 escape for one literal alternative. */
export function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `label=~"a|b"` (anchored by Prometheus) for a set of literal values. */
export function anyOf(values: readonly string[]): string {
  return quote(values.map(regexLiteral).join('|'));
}

/** Seconds of a window like 1m, 10m, 1h, 1d. */
export function windowSeconds(w: string): number {
  const m = /^(\d+)([smhd])$/.exec(w);
  if (!m) throw new Error(`bad window ${w}`);
  const n = Number(m[1]);
  return n * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
