/**
 * The routing-object store over the kube capability's clients: GET, list by the run label, and the
 * ONE guarded JSON patch per step (weights + annotation + label, guarded by resourceVersion).
 */
import { CANARY_ANNOTATION, CANARY_LABEL } from '../../shared/canary/spec';
import type { CanaryRoutingKind } from '../../shared/canary/spec';
import { ApiError } from '../../shared/errors';
import type { KubeClient } from '../kube/service';
import type { CanaryRoutingStore, GuardedWrite, RoutingRead, RoutingRef } from './ports';
import { applyWrite, objectPath } from '../traffic/apply';
import { planChange } from '../traffic/plan';
import { readContext } from '../traffic/read';
import type { KubeObject } from '../traffic/json';
import { metadataOps, pickRoute } from './weights';
import type { JsonPatchOp, RawObject } from './weights';

export const KIND_API: Record<CanaryRoutingKind, { group: string; plural: string; fallbackVersions: string[] }> = {
  VirtualService: { group: 'networking.istio.io', plural: 'virtualservices', fallbackVersions: ['v1', 'v1beta1', 'v1alpha3'] },
  HTTPRoute: { group: 'gateway.networking.k8s.io', plural: 'httproutes', fallbackVersions: ['v1', 'v1beta1'] },
  TrafficSplit: { group: 'split.smi-spec.io', plural: 'trafficsplits', fallbackVersions: ['v1alpha4', 'v1alpha3', 'v1alpha2', 'v1alpha1'] },
};

export const KINDS = Object.keys(KIND_API) as CanaryRoutingKind[];

export interface KubeStoreDeps {
  clientFor(contextId: string): KubeClient;
  fieldManager: string;
  timeoutMs?: number;
}

interface ListBody {
  items?: RawObject[];
  metadata?: { continue?: string };
}

export function createKubeRoutingStore(deps: KubeStoreDeps): CanaryRoutingStore {
  const versions = new Map<string, string | null>();
  const timeoutMs = deps.timeoutMs ?? 15_000;

  /** The served version of a kind's group (discovery, cached per context and server); null: not installed. */
  const versionOf = async (client: KubeClient, kind: CanaryRoutingKind, signal: AbortSignal): Promise<string | null> => {
    const key = `${client.contextId}|${client.server}|${kind}`;
    if (versions.has(key)) return versions.get(key) ?? null;
    const api = KIND_API[kind];
    const res = await client.request(`/apis/${api.group}`, { signal, timeoutMs });
    let version: string | null = null;
    if (res.status === 200) {
      const body = res.json<{ preferredVersion?: { version?: string }; versions?: { version?: string }[] }>();
      const served = (body.versions ?? []).map((v) => v.version).filter((v): v is string => typeof v === 'string');
      version = api.fallbackVersions.find((v) => served.includes(v)) ?? body.preferredVersion?.version ?? null;
    } else if (res.status !== 404) {
      throw client.errorFrom(Object.assign(new Error(res.text().slice(0, 300)), { statusCode: res.status }), { verb: 'get', resource: `apis/${api.group}` });
    }
    versions.set(key, version);
    return version;
  };

  const basePath = async (client: KubeClient, kind: CanaryRoutingKind, namespace: string | null, signal: AbortSignal): Promise<string | null> => {
    const v = await versionOf(client, kind, signal);
    if (!v) return null;
    const api = KIND_API[kind];
    return `/apis/${api.group}/${v}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${api.plural}`;
  };

  const readOf = (ref: RoutingRef, obj: RawObject): RoutingRead => ({ ref, object: obj, resourceVersion: obj.metadata?.resourceVersion ?? '' });

  const listKind = async (client: KubeClient, kind: CanaryRoutingKind, namespace: string | null, labelSelector: string | undefined, signal: AbortSignal): Promise<RoutingRead[]> => {
    const version = await versionOf(client, kind, signal);
    const path = await basePath(client, kind, namespace, signal);
    if (!path || !version) return [];
    const out: RoutingRead[] = [];
    let cont: string | undefined;
    do {
      const body = await client.requestJson<ListBody>(path, { query: { labelSelector, limit: 500, continue: cont }, signal, timeoutMs });
      for (const o of body.items ?? []) {
        // List items carry no kind/apiVersion; the traffic planner needs both.
        out.push(readOf({ contextId: client.contextId, kind, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' }, { ...o, kind, apiVersion: `${KIND_API[kind].group}/${version}` }));
      }
      cont = body.metadata?.continue || undefined;
    } while (cont && out.length < 5000);
    return out;
  };

  return {
    async read(ref, signal) {
      const client = deps.clientFor(ref.contextId);
      const path = await basePath(client, ref.kind, ref.namespace, signal);
      if (!path) throw new ApiError('NOT_FOUND', `The cluster of context "${client.contextName}" does not serve ${ref.kind} (${KIND_API[ref.kind].group}).`);
      const obj = await client.requestJson<RawObject>(`${path}/${encodeURIComponent(ref.name)}`, { signal, timeoutMs });
      return readOf(ref, obj);
    },

    async write(ref, w, signal) {
      const client = deps.clientFor(ref.contextId);
      const path = await basePath(client, ref.kind, ref.namespace, signal);
      if (!path) throw new ApiError('NOT_FOUND', `The cluster of context "${client.contextName}" does not serve ${ref.kind}.`);
      const current = w.object;
      const oldAnnotation = current.metadata?.annotations?.[CANARY_ANNOTATION];
      // The run's own state must not have changed either: a rebased write (the traffic layer
      // re-applies a patch whose tests still hold) may never overwrite a colleague's pause or abort.
      const annotationGuard: JsonPatchOp[] = oldAnnotation !== undefined ? [{ op: 'test', path: `/metadata/annotations/${CANARY_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`, value: oldAnnotation }] : [];
      const meta = metadataOps(current, { [CANARY_ANNOTATION]: w.annotation }, w.labels ?? {});
      if (w.weights) {
        const written = await writeWeights(client, ref, current, w.weights, [...annotationGuard, ...meta], signal, timeoutMs);
        if (written) return readOf(ref, written);
        // The weights are already what the step wants: only the annotation is left to write.
      }
      // Annotation-only write. The resourceVersion in the patch is a precondition: 409 if stale.
      const ops: JsonPatchOp[] = [{ op: 'replace', path: '/metadata/resourceVersion', value: w.resourceVersion }, ...meta];
      const obj = await client.requestJson<RawObject>(`${path}/${encodeURIComponent(ref.name)}`, {
        method: 'PATCH',
        body: JSON.stringify(ops),
        headers: { 'Content-Type': 'application/json-patch+json' },
        query: { fieldManager: deps.fieldManager },
        signal,
        timeoutMs,
      });
      return readOf(ref, obj);
    },

    async listRuns(contextId, signal) {
      const client = deps.clientFor(contextId);
      const all = await Promise.all(KINDS.map((k) => listKind(client, k, null, CANARY_LABEL, signal).catch((err: unknown) => {
        // A kind the user may not list (RBAC) hides its runs, it doesn't hide the others.
        if (err instanceof ApiError && (err.code === 'FORBIDDEN' || err.code === 'NOT_FOUND')) return [];
        throw err;
      })));
      return all.flat();
    },

    async listAll(contextId, namespaces, signal) {
      const client = deps.clientFor(contextId);
      const scopes: (string | null)[] = namespaces && namespaces.length ? namespaces : [null];
      const parts = await Promise.all(
        KINDS.flatMap((k) => scopes.map((ns) => listKind(client, k, ns, undefined, signal).catch((err: unknown) => {
          if (err instanceof ApiError && (err.code === 'FORBIDDEN' || err.code === 'NOT_FOUND')) return [];
          throw err;
        }))),
      );
      return parts.flat();
    },
  };
}

/**
 * The weight step through the traffic capability's public API: `planChange(setWeights)` gives the
 * guarded JSON patch (resourceVersion test, route identity tests, old-value tests, the new
 * weights); the run's annotation ops are appended to that SAME patch, so state and weights land
 * together or not at all. Returns null when the plan has nothing to change.
 */
async function writeWeights(
  client: KubeClient,
  ref: RoutingRef,
  current: RawObject,
  w: NonNullable<GuardedWrite['weights']>,
  extraOps: JsonPatchOp[],
  signal: AbortSignal,
  timeoutMs: number,
): Promise<RawObject | null> {
  const object = current as unknown as KubeObject;
  const route = pickRoute(ref.kind, current, w.stable, w.canary);
  if (!route.ok) throw new ApiError('CONFLICT', route.problem);
  const { context } = await readContext(client, ref.namespace, ref.kind === 'VirtualService', signal);
  const change = planChange({ object, context }, { op: 'setWeights', weights: { [w.stable]: Math.round(w.value.stable), [w.canary]: Math.round(w.value.canary) }, route: route.route.index });
  if (change.issues.length > 0) {
    const first = change.issues[0];
    throw new ApiError('BAD_INPUT', `The weight step was refused: ${first?.message ?? 'invalid'}`, { field: first ? `weights.${first.field}` : 'weights' });
  }
  const main = change.writes.find((x) => x.ref.kind === ref.kind && x.ref.name === ref.name && x.action === 'patch');
  if (!main) return null;
  // Side writes (an Istio DestinationRule subset the route needs) go first, as the planner orders them.
  for (const side of change.writes.filter((x) => x !== main)) {
    const r = await applyWrite(client, side, { signal, timeoutMs });
    if (r.outcome !== 'landed' && r.outcome !== 'noop') throw outcomeError(r.outcome, r.message);
  }
  const r = await applyWrite(client, { ...main, patch: [...main.patch, ...extraOps] }, { signal, timeoutMs });
  if (r.outcome === 'landed' && r.result) return r.result as unknown as RawObject;
  if (r.outcome === 'landed') return (await client.requestJson<RawObject>(objectPath(main.ref), { signal, timeoutMs }));
  // 'noop' means someone else wrote the same weights: the annotation did not land, so start over.
  throw outcomeError(r.outcome === 'noop' ? 'conflict' : r.outcome, r.message);
}

function outcomeError(outcome: string, message: string): ApiError {
  switch (outcome) {
    case 'conflict':
      return new ApiError('CONFLICT', message);
    case 'forbidden':
      return new ApiError('FORBIDDEN', message);
    case 'unknown':
      // The next turn re-reads the object: the annotation says whether the step landed.
      return new ApiError('UNREACHABLE', message);
    default:
      return new ApiError('UPSTREAM', message);
  }
}
