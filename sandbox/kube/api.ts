// REST semantics of the API server, independent of HTTP: what create, update, patch and
// delete do to metadata (uid, resourceVersion, generation), optimistic concurrency, the
// status subresource, finalizers, dry run, paging. Both the HTTP layer and the in-process
// store facade go through here, so they cannot drift apart.
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { Allocators, mutate, randomSuffix, validate } from './admission.js';
import { apiVersionOf, resourceKey, splitApiVersion, type Registry, type ResourceDef } from './discovery.js';
import { alreadyExists, badRequest, conflict, failure, invalid, notFound, successStatus, unsupportedMediaType } from './errors.js';
import { clone, deepEqual, isObj } from './json.js';
import { jsonPatch, mergePatch, parseJsonPatch, strategicMerge } from './patch.js';
import type { FieldSelector, LabelSelector } from './selectors.js';
import type { ObjectStore } from './store.js';
import type { KubeObject, Status } from './types.js';

/** Which part of an object a write may change (the real server's status subresource split). */
export type WriteScope = 'main' | 'status' | 'all';

export interface WriteOptions {
  dryRun?: boolean;
  /** `main`: HTTP on the resource (status changes ignored); `status`: the /status subresource; `all`: in-process. */
  scope?: WriteScope;
  fieldManager?: string;
}

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: LabelSelector | undefined;
  fieldSelector?: FieldSelector | undefined;
  limit?: number | undefined;
  continueToken?: string | undefined;
  resourceVersion?: string | undefined;
  resourceVersionMatch?: string | undefined;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export function patchTypeOf(contentType: string): PatchType | undefined {
  const ct = contentType.split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/json-patch+json') return 'json';
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor') return 'apply';
  return undefined;
}

/** Kinds whose objects carry metadata.generation (core/v1 kinds historically don't). */
function tracksGeneration(def: ResourceDef): boolean {
  return def.group !== '';
}

/** Everything except metadata and status: a change here is a "spec" change that bumps generation. */
function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meshdeck.sandbox/v1', rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const raw: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (isObj(raw) && typeof raw.rv === 'number' && typeof raw.start === 'string') return { rv: raw.rv, start: raw.start };
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meshdeck.sandbox/v1)');
}

export class KubeApi {
  readonly allocators = new Allocators();

  constructor(
    readonly store: ObjectStore,
    readonly registry: Registry,
  ) {}

  /** The object as served under `version` (versions of one resource share a schema). */
  present(def: ResourceDef, obj: KubeObject, version: string = def.storageVersion): KubeObject {
    const apiVersion = apiVersionOf(def.group, version);
    return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
  }

  private ns(def: ResourceDef, namespace: string | undefined): string | undefined {
    return def.namespaced ? namespace : undefined;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(resourceKey(def), this.ns(def, namespace), name);
    if (!obj) throw notFound(def, name);
    return obj;
  }

  list(def: ResourceDef, opts: ListOptions): ListResult {
    const key = resourceKey(def);
    const filter = { namespace: this.ns(def, opts.namespace), labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
    let atRV = this.store.currentRV();
    let start = '';
    if (opts.continueToken) {
      const t = decodeContinue(opts.continueToken);
      atRV = t.rv;
      start = t.start;
    } else if (opts.resourceVersion && opts.resourceVersionMatch === 'Exact') {
      atRV = Number(opts.resourceVersion);
      if (!Number.isInteger(atRV)) throw badRequest(`invalid resource version: ${opts.resourceVersion}`);
    }
    let items = atRV === this.store.currentRV() ? this.store.list(key, filter) : this.store.listAt(key, atRV, filter);
    if (start) items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}` > start);
    const result: ListResult = { items, resourceVersion: String(atRV) };
    if (opts.limit && opts.limit > 0 && items.length > opts.limit) {
      const page = items.slice(0, opts.limit);
      const last = page[page.length - 1]!;
      result.items = page;
      result.continueToken = encodeContinue({ rv: atRV, start: `${last.metadata.namespace ?? ''}/${last.metadata.name ?? ''}` });
      result.remainingItemCount = items.length - opts.limit;
    }
    return result;
  }

  private checkBody(def: ResourceDef, body: unknown, namespace: string | undefined): KubeObject {
    if (!isObj(body)) throw badRequest('Object \'Kind\' is missing in request body');
    const obj = clone(body) as KubeObject;
    if (!isObj(obj.metadata)) obj.metadata = {};
    if (obj.kind !== undefined && obj.kind !== def.kind) {
      throw badRequest(`the object provided is unrecognized (must be of type ${def.kind}): kind ${String(obj.kind)} does not match ${def.kind}`);
    }
    if (obj.apiVersion !== undefined) {
      const { group, version } = splitApiVersion(String(obj.apiVersion));
      if (group !== def.group || !def.versions.includes(version)) {
        throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(def.group, def.storageVersion)})`);
      }
    }
    obj.kind = def.kind;
    obj.apiVersion = apiVersionOf(def.group, def.storageVersion);
    if (def.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace;
      if (!obj.metadata.namespace) throw badRequest('an empty namespace may not be set during creation');
    } else {
      delete obj.metadata.namespace;
    }
    delete obj.metadata.managedFields;
    delete obj.metadata.selfLink;
    return obj;
  }

  private admissionCtx() {
    return {
      allocators: this.allocators,
      namespace: (name: string) => this.store.get('/namespaces', undefined, name),
    };
  }

  create(def: ResourceDef, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): KubeObject {
    const obj = this.checkBody(def, body, this.ns(def, namespace));
    const scope = opts.scope ?? 'main';
    if (!obj.metadata.name) {
      if (obj.metadata.generateName) obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
      else throw invalid(def.kind, def.group, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    }
    const name = obj.metadata.name;
    if (def.namespaced) {
      const ns = this.store.get('/namespaces', undefined, obj.metadata.namespace ?? '');
      if (!ns) throw notFound({ group: '', plural: 'namespaces' }, obj.metadata.namespace ?? '');
      if (ns.metadata.deletionTimestamp) {
        throw failure(403, 'Forbidden', `${def.plural} "${name}" is forbidden: unable to create new content in namespace ${ns.metadata.name ?? ''} because it is being terminated`, {
          name,
          group: def.group,
          kind: def.plural,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns.metadata.name ?? ''} is being terminated`, field: 'metadata.namespace' }],
        });
      }
    }
    if (this.store.get(resourceKey(def), obj.metadata.namespace, name)) throw alreadyExists(def, name);
    if (def.kind === 'CustomResourceDefinition') this.checkCrdName(obj);
    // Status is owned by controllers: a create through the API starts with an empty one.
    if (def.status && scope === 'main') delete obj.status;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    delete obj.metadata.resourceVersion;
    delete obj.metadata.deletionTimestamp;
    if (tracksGeneration(def)) obj.metadata.generation = 1;
    else delete obj.metadata.generation;
    mutate(def, obj, undefined, this.admissionCtx());
    validate(def, obj);
    if (opts.dryRun) return obj;
    if (def.kind === 'Service') this.allocators.observe(obj);
    return this.store.put(resourceKey(def), obj);
  }

  private checkCrdName(obj: KubeObject): void {
    const spec = isObj(obj.spec) ? obj.spec : {};
    const names = isObj(spec.names) ? spec.names : {};
    const want = `${String(names.plural)}.${String(spec.group)}`;
    if (obj.metadata.name !== want) {
      throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', obj.metadata.name ?? '', [
        { reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${obj.metadata.name ?? ''}": must be spec.names.plural+"."+spec.group` },
      ]);
    }
  }

  /**
   * PUT semantics. `requireRV`: custom resources refuse an update without resourceVersion
   * (422), built-ins accept it unconditionally; a stale one is always 409 Conflict.
   */
  update(def: ResourceDef, namespace: string | undefined, name: string, body: unknown, opts: WriteOptions = {}, fromPatch = false): KubeObject {
    const key = resourceKey(def);
    const ns = this.ns(def, namespace);
    const existing = this.store.get(key, ns, name);
    if (!existing) throw notFound(def, name);
    const obj = this.checkBody(def, body, ns ?? existing.metadata.namespace);
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    const scope = opts.scope ?? 'main';
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== existing.metadata.resourceVersion) throw conflict(def, name);
    if ((rv === undefined || rv === '') && !def.builtin && !fromPatch && scope !== 'all') {
      throw invalid(def.kind, def.group, name, [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
    }
    let next: KubeObject;
    if (scope === 'status') {
      // The status subresource changes status only; everything else is kept as stored.
      next = { ...clone(existing), status: clone(obj.status) };
      if (obj.status === undefined) delete next.status;
    } else {
      next = obj;
      if (def.status && scope === 'main') {
        if (existing.status !== undefined) next.status = clone(existing.status);
        else delete next.status;
      }
    }
    // Identity and bookkeeping fields are the server's, whatever the client sent.
    next.metadata.name = name;
    next.metadata.namespace = existing.metadata.namespace;
    if (!def.namespaced) delete next.metadata.namespace;
    next.metadata.uid = existing.metadata.uid;
    next.metadata.creationTimestamp = existing.metadata.creationTimestamp;
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (existing.metadata.deletionTimestamp) next.metadata.deletionTimestamp = existing.metadata.deletionTimestamp;
    else delete next.metadata.deletionTimestamp;
    if (tracksGeneration(def)) {
      const gen = existing.metadata.generation ?? 1;
      next.metadata.generation = deepEqual(specPart(next), specPart(existing)) ? gen : gen + 1;
    } else {
      delete next.metadata.generation;
    }
    if (scope !== 'status') mutate(def, next, existing, this.admissionCtx());
    validate(def, next);
    // A no-op write changes nothing: same resourceVersion, no watch event (like etcd).
    if (deepEqual(next, existing)) return existing;
    if (opts.dryRun) return next;
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers?.length ?? 0)) {
      // The last finalizer was removed from an object being deleted: it goes away now.
      return this.store.remove(key, existing.metadata.namespace, name) ?? next;
    }
    if (def.kind === 'Service') this.allocators.observe(next);
    return this.store.put(key, next);
  }

  patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: string,
    opts: WriteOptions & { force?: boolean; version?: string } = {},
  ): KubeObject {
    const key = resourceKey(def);
    const ns = this.ns(def, namespace);
    if (type === 'strategic' && !def.builtin) {
      throw unsupportedMediaType('application/strategic-merge-patch+json', ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
    }
    let parsed: unknown;
    try {
      parsed = type === 'apply' ? YAML.parse(body) : JSON.parse(body);
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    const existing = this.store.get(key, ns, name);
    if (type === 'apply') {
      if (!opts.fieldManager) {
        throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
      }
      if (!existing) return this.create(def, ns, isObj(parsed) ? { ...parsed, metadata: { ...(isObj(parsed.metadata) ? parsed.metadata : {}), name } } : parsed, opts);
    }
    if (!existing) throw notFound(def, name);
    // Patches apply to the object as seen in the requested version.
    const base = clone(this.present(def, existing, opts.version));
    let patched: unknown;
    switch (type) {
      case 'json':
        patched = jsonPatch(base, parseJsonPatch(parsed));
        break;
      case 'merge':
        if (!isObj(parsed)) throw badRequest('merge patch must be a JSON object');
        patched = mergePatch(base, parsed);
        break;
      case 'strategic':
        if (!isObj(parsed)) throw badRequest('strategic merge patch must be a JSON object');
        patched = strategicMerge(base, parsed);
        break;
      case 'apply':
        // Server-side apply, approximated: the applied configuration is merged over the
        // live object (strategically for built-ins). Field ownership is not tracked.
        if (!isObj(parsed)) throw badRequest('apply patch must be an object');
        patched = def.builtin ? strategicMerge(base, parsed) : mergePatch(base, parsed);
        break;
    }
    if (!isObj(patched)) throw badRequest('patch result is not an object');
    const meta = isObj(patched.metadata) ? patched.metadata : {};
    // A resourceVersion in the patch is a precondition, as on the real server.
    if (typeof meta.resourceVersion === 'string' && meta.resourceVersion !== existing.metadata.resourceVersion) throw conflict(def, name);
    return this.update(def, ns, name, patched, opts, true);
  }

  delete(def: ResourceDef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): KubeObject | Status {
    const key = resourceKey(def);
    const ns = this.ns(def, namespace);
    const existing = this.store.get(key, ns, name);
    if (!existing) throw notFound(def, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw conflict(def, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid ?? ''}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw conflict(def, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${existing.metadata.resourceVersion ?? ''}`);
    }
    const finalizers = [...(existing.metadata.finalizers ?? [])];
    if (opts.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    // Namespaces always terminate first: the namespace controller empties them, then they go.
    const graceful = finalizers.length > 0 || def.kind === 'Namespace';
    if (graceful) {
      if (existing.metadata.deletionTimestamp) return existing;
      const next = clone(existing);
      next.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      next.metadata.deletionGracePeriodSeconds = 0;
      if (def.kind === 'Namespace') next.status = { ...(isObj(next.status) ? next.status : {}), phase: 'Terminating' };
      if (opts.dryRun) return next;
      return this.store.put(key, next);
    }
    if (opts.dryRun) return def.kind === 'Pod' || def.kind === 'Service' ? existing : successStatus(def, name, existing.metadata.uid);
    const gone = this.store.remove(key, existing.metadata.namespace, name);
    // Pods and Services answer with the object, most kinds with a Success Status.
    if (def.kind === 'Pod' || def.kind === 'Service') return gone ?? existing;
    return successStatus(def, name, existing.metadata.uid);
  }

  /** Scale subresource (autoscaling/v1 Scale) for kinds with spec.replicas. */
  getScale(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const obj = this.get(def, namespace, name);
    const spec = isObj(obj.spec) ? obj.spec : {};
    const status = isObj(obj.status) ? obj.status : {};
    const sel = isObj(spec.selector) && isObj(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
      spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
      status: {
        replicas: typeof status.replicas === 'number' ? status.replicas : 0,
        selector: Object.entries(sel)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(','),
      },
    };
  }

  setScale(def: ResourceDef, namespace: string | undefined, name: string, scale: unknown, opts: WriteOptions = {}): KubeObject {
    const obj = this.get(def, namespace, name);
    const replicas = isObj(scale) && isObj(scale.spec) ? scale.spec.replicas : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('Scale', 'autoscaling', name, [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: must be greater than or equal to 0' }]);
    }
    const rv = isObj(scale) && isObj(scale.metadata) ? scale.metadata.resourceVersion : undefined;
    if (typeof rv === 'string' && rv !== '' && rv !== obj.metadata.resourceVersion) throw conflict(def, name);
    const next = clone(obj);
    next.spec = { ...(isObj(next.spec) ? next.spec : {}), replicas };
    this.update(def, namespace, name, next, { ...opts, scope: 'main' }, true);
    return this.getScale(def, namespace, name);
  }
}
