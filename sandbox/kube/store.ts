// The object store: one bucket per resource (all versions share it), a global monotonic
// resourceVersion like etcd's revision, a bounded history of changes (the "watch cache")
// and watch fan-out. It knows nothing about HTTP, validation or RBAC (see api.ts).
//
// Stored objects are deep-frozen. Readers (HTTP handlers, the in-process simulator) share
// them without copying; writers always build a new object.
import { expired } from './errors.js';
import { deepFreeze } from './json.js';
import { matchFields, matchLabels, type FieldSelector, type LabelSelector } from './selectors.js';
import type { KubeObject, WatchEventType } from './types.js';

export interface StoredEvent {
  rv: number;
  /** resourceKey(def): `group/plural`. */
  key: string;
  type: WatchEventType;
  /** For DELETED: the last state, stamped with the deletion's resourceVersion. */
  object: KubeObject;
  /** State before the change (undefined for ADDED); lets filtered watches compute transitions. */
  previous: KubeObject | undefined;
}

export interface Filter {
  namespace?: string | undefined;
  labelSelector?: LabelSelector | undefined;
  fieldSelector?: FieldSelector | undefined;
}

export type WatchCallback = (type: WatchEventType, object: KubeObject, rv: number) => void;

interface Watcher {
  key: string;
  filter: Filter;
  cb: WatchCallback;
  /** Highest rv delivered: guards against re-delivery when a watch starts mid-dispatch. */
  lastRV: number;
  closed: boolean;
}

export function objectKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

export function matchesFilter(f: Filter, obj: KubeObject): boolean {
  if (f.namespace && obj.metadata.namespace !== f.namespace) return false;
  if (f.labelSelector && f.labelSelector.length && !matchLabels(f.labelSelector, obj.metadata.labels)) return false;
  if (f.fieldSelector && f.fieldSelector.length && !matchFields(f.fieldSelector, obj)) return false;
  return true;
}

/** Sorted like etcd keys (`namespace/name`), which is what makes limit/continue stable. */
function sortObjects(objs: KubeObject[]): KubeObject[] {
  return objs.sort((a, b) => {
    const ka = objectKey(a.metadata.namespace, a.metadata.name);
    const kb = objectKey(b.metadata.namespace, b.metadata.name);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

export interface StoreDump {
  resourceVersion: number;
  objects: Record<string, KubeObject[]>;
}

export class ObjectStore {
  private buckets = new Map<string, Map<string, KubeObject>>();
  private rv = 0;
  private history: StoredEvent[] = [];
  private historyStart = 0;
  /** Events with rv <= floor may be missing from history: watching from there is "too old". */
  private floor = 0;
  private watchers = new Map<string, Set<Watcher>>();
  private queue: StoredEvent[] = [];
  private dispatching = false;
  private listeners = new Set<(ev: StoredEvent) => void>();

  constructor(private readonly historyLimit = 5000) {}

  currentRV(): number {
    return this.rv;
  }

  /** Oldest resourceVersion a watch or an exact list may still start from. */
  oldestRV(): number {
    return this.floor;
  }

  get(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.buckets.get(key)?.get(objectKey(namespace, name));
  }

  list(key: string, filter: Filter = {}): KubeObject[] {
    const bucket = this.buckets.get(key);
    if (!bucket) return [];
    const out: KubeObject[] = [];
    for (const o of bucket.values()) if (matchesFilter(filter, o)) out.push(o);
    return sortObjects(out);
  }

  /** Every stored object of every resource (persistence, garbage collection). */
  keys(): string[] {
    return [...this.buckets.keys()];
  }

  /**
   * The bucket as it was at `rv`, rebuilt by undoing newer history events. This gives
   * paged lists (continue tokens) and `resourceVersionMatch=Exact` a consistent snapshot,
   * as etcd does; an rv older than the retained history is 410 Expired, as after compaction.
   */
  listAt(key: string, rv: number, filter: Filter = {}): KubeObject[] {
    if (rv >= this.rv) return this.list(key, filter);
    if (rv < this.floor) {
      throw expired(`The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.`);
    }
    const state = new Map(this.buckets.get(key) ?? []);
    for (let i = this.history.length - 1; i >= this.historyStart; i--) {
      const ev = this.history[i]!;
      if (ev.rv <= rv) break;
      if (ev.key !== key) continue;
      const k = objectKey(ev.object.metadata.namespace, ev.object.metadata.name);
      if (ev.previous) state.set(k, ev.previous);
      else state.delete(k);
    }
    return sortObjects([...state.values()].filter((o) => matchesFilter(filter, o)));
  }

  /**
   * Commit a create or update. The store stamps the next resourceVersion and freezes the
   * object; the caller must not keep mutating it.
   */
  put(key: string, obj: KubeObject): KubeObject {
    const k = objectKey(obj.metadata.namespace, obj.metadata.name);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(key, bucket);
    }
    const previous = bucket.get(k);
    const rv = ++this.rv;
    const stored = deepFreeze({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } });
    bucket.set(k, stored);
    this.record({ rv, key, type: previous ? 'MODIFIED' : 'ADDED', object: stored, previous });
    return stored;
  }

  remove(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const bucket = this.buckets.get(key);
    const k = objectKey(namespace, name);
    const previous = bucket?.get(k);
    if (!bucket || !previous) return undefined;
    bucket.delete(k);
    const rv = ++this.rv;
    const object = deepFreeze({ ...previous, metadata: { ...previous.metadata, resourceVersion: String(rv) } });
    this.record({ rv, key, type: 'DELETED', object, previous });
    return object;
  }

  /** Subscribe to every committed change (controllers, persistence). */
  onChange(listener: (ev: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Watch one resource. `sinceRV` undefined: synthetic ADDED events for the current state,
   * then changes (like a watch without resourceVersion or with "0"). A number: every change
   * after it from history, then live; older than the history → throws 410 Expired.
   * Returns a cancel function.
   */
  watch(key: string, filter: Filter, sinceRV: number | undefined, cb: WatchCallback): () => void {
    const w: Watcher = { key, filter, cb, lastRV: this.rv, closed: false };
    if (sinceRV === undefined) {
      for (const o of this.list(key, filter)) cb('ADDED', o, this.rv);
    } else {
      if (sinceRV < this.floor) throw expired(`too old resource version: ${sinceRV} (${this.floor})`);
      w.lastRV = sinceRV;
      for (let i = this.historyStart; i < this.history.length; i++) {
        const ev = this.history[i]!;
        if (ev.rv > sinceRV && ev.key === key && ev.rv <= this.rv) this.deliver(w, ev);
      }
    }
    w.lastRV = Math.max(this.rv, sinceRV ?? 0);
    let set = this.watchers.get(key);
    if (!set) {
      set = new Set();
      this.watchers.set(key, set);
    }
    set.add(w);
    return () => {
      w.closed = true;
      this.watchers.get(key)?.delete(w);
    };
  }

  watcherCount(): number {
    let n = 0;
    for (const s of this.watchers.values()) n += s.size;
    return n;
  }

  /** Replace everything (persistence load). History restarts: older RVs become "too old". */
  load(dump: StoreDump): void {
    this.buckets.clear();
    for (const [key, objs] of Object.entries(dump.objects)) {
      const bucket = new Map<string, KubeObject>();
      for (const o of objs) bucket.set(objectKey(o.metadata.namespace, o.metadata.name), deepFreeze(o));
      this.buckets.set(key, bucket);
    }
    this.rv = dump.resourceVersion;
    this.floor = this.rv;
    this.history = [];
    this.historyStart = 0;
  }

  dump(): StoreDump {
    const objects: Record<string, KubeObject[]> = {};
    for (const [key, bucket] of this.buckets) if (bucket.size) objects[key] = [...bucket.values()];
    return { resourceVersion: this.rv, objects };
  }

  /** Mark the current state as the start of history (after seeding). */
  resetHistory(): void {
    this.history = [];
    this.historyStart = 0;
    this.floor = this.rv;
  }

  private record(ev: StoredEvent): void {
    this.history.push(ev);
    if (this.history.length - this.historyStart > this.historyLimit) {
      this.floor = this.history[this.historyStart]!.rv;
      this.historyStart++;
      // Compact occasionally so eviction stays O(1) amortised.
      if (this.historyStart > 1024 && this.historyStart * 2 > this.history.length) {
        this.history = this.history.slice(this.historyStart);
        this.historyStart = 0;
      }
    }
    this.queue.push(ev);
    if (this.dispatching) return;
    // A listener that writes (a controller) queues its event; it is dispatched after the
    // current one reached everybody, so every watcher sees resourceVersions in order.
    this.dispatching = true;
    try {
      let next: StoredEvent | undefined;
      while ((next = this.queue.shift())) {
        for (const w of this.watchers.get(next.key) ?? []) this.deliver(w, next);
        for (const l of this.listeners) l(next);
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** Translate a change for a filtered watcher: leaving the filter is DELETED, entering is ADDED. */
  private deliver(w: Watcher, ev: StoredEvent): void {
    if (w.closed || ev.rv <= w.lastRV) return;
    w.lastRV = ev.rv;
    const now = matchesFilter(w.filter, ev.object);
    if (ev.type === 'DELETED') {
      if (now) w.cb('DELETED', ev.object, ev.rv);
      return;
    }
    const before = ev.previous !== undefined && matchesFilter(w.filter, ev.previous);
    if (now && before) w.cb('MODIFIED', ev.object, ev.rv);
    else if (now) w.cb('ADDED', ev.object, ev.rv);
    else if (before) w.cb('DELETED', ev.object, ev.rv);
  }
}
