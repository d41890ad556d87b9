// In-process access to the sandbox cluster for code running in the same Node process (the
// traffic simulator, test set-up, the demo). No HTTP, no auth, no JSON encoding: reads return
// the stored objects themselves.
//
// Contract:
//  - Objects are addressed by apiVersion + kind, exactly as in manifests; every served
//    version works (`networking.istio.io/v1beta1` reads the same VirtualServices as `/v1`).
//  - Returned objects are deep-frozen snapshots shared with the server: never mutate them
//    (it throws); clone first if you need a modified copy. Holding one is free and it never
//    changes under you; fetch again (or watch) to see newer state.
//  - `watch` callbacks run synchronously right after each committed change, in
//    resourceVersion order, on the same tick as the write. Keep them cheap; it is fine to
//    write from them (the write's own event is queued, never re-entered).
//  - Writes are privileged (like a controller): no RBAC, status is writable, but the same
//    validation, defaulting, resourceVersion and generation rules as the API apply, and
//    HTTP watchers (the app, kubectl) see the changes.
import type { KubeApi, WriteOptions } from './api.js';
import type { Controllers } from './controllers.js';
import { resourceKey, splitApiVersion, type ResourceDef } from './discovery.js';
import { failure } from './errors.js';
import type { KindOf } from './kinds.js';
import type { JsonPatchOp } from './patch.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { KubeObject, WatchEvent } from './types.js';

export interface StoreQuery {
  /** Namespace to read from; omit for all namespaces (and for cluster-scoped kinds). */
  namespace?: string;
  /** Label selector in kubectl syntax: `app=reviews,version in (v1,v2)`. */
  labelSelector?: string;
  /** Field selector: `metadata.name=reviews` (the fields the real server supports). */
  fieldSelector?: string;
}

export interface StoreWatchOptions extends StoreQuery {
  /**
   * Omit to receive the current objects as ADDED first, then every change. Pass a
   * resourceVersion (e.g. from `resourceVersion()`) to receive only changes after it; one
   * older than the retained history throws a 410 Expired KubeError.
   */
  resourceVersion?: string;
}

export interface ResourceInfo {
  group: string;
  versions: string[];
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames: string[];
}

export interface SandboxStore {
  /** The cluster's current resourceVersion (a decimal string, monotonic). */
  resourceVersion(): string;
  /** Every resource currently served (built-in kinds plus those defined by CRDs). */
  resources(): ResourceInfo[];
  get<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string | undefined, name: string): KindOf<A, K> | undefined;
  list<A extends string, K extends string>(apiVersion: A, kind: K, query?: StoreQuery): KindOf<A, K>[];
  /** Returns an unsubscribe function. */
  watch<A extends string, K extends string>(apiVersion: A, kind: K, options: StoreWatchOptions, onEvent: (ev: WatchEvent<KindOf<A, K>>) => void): () => void;
  create<A extends string, K extends string>(obj: KubeObject & { apiVersion: A; kind: K }, opts?: { dryRun?: boolean }): KindOf<A, K>;
  /** Full replace, status included. A set metadata.resourceVersion must match (409 otherwise). */
  update<A extends string, K extends string>(obj: KubeObject & { apiVersion: A; kind: K }, opts?: { dryRun?: boolean }): KindOf<A, K>;
  /** A JSON merge patch (object) or a JSON patch (array of operations). */
  patch<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string | undefined, name: string, patch: Record<string, unknown> | JsonPatchOp[]): KindOf<A, K>;
  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void;
  /** Resolves when the built-in controllers (pods, endpoints, status) have caught up. */
  whenIdle(): Promise<void>;
}

export function createStoreFacade(api: KubeApi, controllers: Controllers): SandboxStore {
  const resolve = (apiVersion: string, kind: string): { def: ResourceDef; version: string } => {
    const def = api.registry.byApiVersionKind(apiVersion, kind);
    if (!def) throw failure(404, 'NotFound', `the server doesn't have a resource type for ${apiVersion} ${kind}`);
    return { def, version: splitApiVersion(apiVersion).version };
  };
  const write: WriteOptions = { scope: 'all' };
  const facade: SandboxStore = {
    resourceVersion: () => String(api.store.currentRV()),
    resources: () =>
      api.registry.all().map((d) => ({ group: d.group, versions: [...d.versions], kind: d.kind, plural: d.plural, namespaced: d.namespaced, shortNames: [...d.shortNames] })),
    get<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string | undefined, name: string) {
      const { def, version } = resolve(apiVersion, kind);
      const o = api.store.get(resourceKey(def), def.namespaced ? namespace : undefined, name);
      return (o ? api.present(def, o, version) : undefined) as KindOf<A, K> | undefined;
    },
    list<A extends string, K extends string>(apiVersion: A, kind: K, query: StoreQuery = {}) {
      const { def, version } = resolve(apiVersion, kind);
      const items = api.store.list(resourceKey(def), {
        namespace: def.namespaced ? query.namespace : undefined,
        labelSelector: parseLabelSelector(query.labelSelector),
        fieldSelector: parseFieldSelector(query.fieldSelector, def.kind),
      });
      return items.map((o) => api.present(def, o, version)) as KindOf<A, K>[];
    },
    watch<A extends string, K extends string>(apiVersion: A, kind: K, options: StoreWatchOptions, onEvent: (ev: WatchEvent<KindOf<A, K>>) => void) {
      const { def, version } = resolve(apiVersion, kind);
      const since = options.resourceVersion !== undefined && options.resourceVersion !== '0' ? Number(options.resourceVersion) : undefined;
      return api.store.watch(
        resourceKey(def),
        {
          namespace: def.namespaced ? options.namespace : undefined,
          labelSelector: parseLabelSelector(options.labelSelector),
          fieldSelector: parseFieldSelector(options.fieldSelector, def.kind),
        },
        since,
        (type, object) => onEvent({ type, object: api.present(def, object, version) as KindOf<A, K> }),
      );
    },
    create<A extends string, K extends string>(obj: KubeObject & { apiVersion: A; kind: K }, opts: { dryRun?: boolean } = {}) {
      const { def, version } = resolve(obj.apiVersion, obj.kind);
      return api.present(def, api.create(def, obj.metadata.namespace, obj, { ...write, ...opts }), version) as KindOf<A, K>;
    },
    update<A extends string, K extends string>(obj: KubeObject & { apiVersion: A; kind: K }, opts: { dryRun?: boolean } = {}) {
      const { def, version } = resolve(obj.apiVersion, obj.kind);
      return api.present(def, api.update(def, obj.metadata.namespace, obj.metadata.name ?? '', obj, { ...write, ...opts }), version) as KindOf<A, K>;
    },
    patch<A extends string, K extends string>(apiVersion: A, kind: K, namespace: string | undefined, name: string, patch: Record<string, unknown> | JsonPatchOp[]) {
      const { def, version } = resolve(apiVersion, kind);
      const type = Array.isArray(patch) ? 'json' : 'merge';
      return api.present(def, api.patch(def, namespace, name, type, JSON.stringify(patch), { ...write, version }), version) as KindOf<A, K>;
    },
    delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
      const { def } = resolve(apiVersion, kind);
      api.delete(def, namespace, name, write);
    },
    whenIdle: () => controllers.whenIdle(),
  };
  return facade;
}
