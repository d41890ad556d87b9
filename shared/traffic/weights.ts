/**
 * Weight arithmetic for the sliders: moving one destination redistributes the others that are not
 * locked so the total stays at 100 (Istio's rule), with whole numbers only.
 */

export interface WeightRow {
  name: string;
  weight: number;
  locked: boolean;
}

/** Whole numbers proportional to `shares` that add up to `total` (largest remainder). */
export function apportion(shares: number[], total: number): number[] {
  if (shares.length === 0) return [];
  const sum = shares.reduce((a, b) => a + Math.max(0, b), 0);
  const raw = sum > 0 ? shares.map((s) => (Math.max(0, s) / sum) * total) : shares.map(() => total / shares.length);
  const out = raw.map((r) => Math.floor(r));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => ({ i, frac: r - Math.floor(r) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0 && order.length > 0; k = (k + 1) % order.length, left--) out[order[k]!.i]! += 1;
  return out;
}

/** Even split with the remainder on the last row, as Kiali does. */
export function evenWeights(n: number, total = 100): number[] {
  if (n <= 0) return [];
  const base = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? total - base * (n - 1) : base));
}

/**
 * Set `name` to `value` and spread the difference over the unlocked others, keeping the sum at
 * `total`. The moved row is clamped to what the locked rows leave.
 */
export function rebalance(rows: WeightRow[], name: string, value: number, total = 100): WeightRow[] {
  const target = rows.find((r) => r.name === name);
  if (!target) return rows;
  const lockedSum = rows.filter((r) => r.locked && r.name !== name).reduce((a, r) => a + r.weight, 0);
  const free = rows.filter((r) => !r.locked && r.name !== name);
  const room = Math.max(0, total - lockedSum);
  const v = free.length === 0 ? room : Math.min(room, Math.max(0, Math.round(value)));
  const rest = apportion(free.map((r) => r.weight), room - v);
  let k = 0;
  return rows.map((r) => {
    if (r.name === name) return { ...r, weight: v };
    if (r.locked) return r;
    return { ...r, weight: rest[k++] ?? 0 };
  });
}

export const weightSum = (rows: { weight: number }[]): number => rows.reduce((a, r) => a + r.weight, 0);
