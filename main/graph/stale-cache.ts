/**
 * The last good answer per (context, query), so a failing Prometheus degrades the graph to
 * "stale since T because R" instead of an error. Small LRU: a few graphs' worth of queries.
 */
export interface CachedAnswer<T> {
  value: T;
  /** Epoch ms of the good answer. */
  at: number;
  /** Epoch ms of the first failure after it, while failures go on. */
  failingSince: number | null;
}

export class LastGood<T> {
  private readonly map = new Map<string, CachedAnswer<T>>();
  constructor(private readonly max = 256) {}

  ok(key: string, value: T, at: number): void {
    this.map.delete(key);
    this.map.set(key, { value, at, failingSince: null });
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }

  /** Records a failure; returns the last good answer, if any. */
  failed(key: string, at: number): CachedAnswer<T> | undefined {
    const c = this.map.get(key);
    if (c && c.failingSince === null) c.failingSince = at;
    return c;
  }

  get(key: string): CachedAnswer<T> | undefined {
    return this.map.get(key);
  }
}
