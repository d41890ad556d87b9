/**
 * Reading routing objects from a cluster: which routing APIs are served (API discovery, cached
 * per context), the routing objects of a namespace, and the snapshot an edit is planned on
 * (the object fresh, plus Services, workloads and DestinationRules around it).
 */
import { ApiError } from '../../shared/errors';
import type { ApiErrorShape } from '../../shared/errors';
import type { ObjectRef, RoutingKind } from '../../shared/traffic/model';
import type { KubeRequestInit, KubeResponse } from '../kube/service';
import { KubeHttpError } from '../kube/errors';
import { withTimeout } from '../util/abort';
import type { RoutingContext, ServiceInfo, WorkloadInfo } from './adapters';
import { adapterFor } from './adapters';
import { collectionPath, objectPath } from './apply';
import { arr, isKubeObject, isObj, num, str } from './json';
import type { KubeObject } from './json';
import type { RoutingSnapshot } from './plan';

export interface KubeReader {
  readonly contextId: string;
  readonly contextName: string;
  request(path: string, init?: KubeRequestInit): Promise<KubeResponse>;
  errorFrom(err: unknown, extra?: { verb?: string; resource?: string }): ApiError;
}

/** The routing APIs meshdeck reads, in the order a service's objects are preferred. */
export const ROUTING_SOURCES: { kind: RoutingKind | 'DestinationRule'; group: string }[] = [
  { kind: 'VirtualService', group: 'networking.istio.io' },
  { kind: 'HTTPRoute', group: 'gateway.networking.k8s.io' },
  { kind: 'HTTPRoute', group: 'policy.linkerd.io' },
  { kind: 'TrafficSplit', group: 'split.smi-spec.io' },
];

const TIMEOUT_MS = 15_000;

async function getJson<T>(client: KubeReader, path: string, signal: AbortSignal | undefined, what: { verb: string; resource: string }): Promise<T | null> {
  const res = await client.request(path, { signal: withTimeout(TIMEOUT_MS, signal), timeoutMs: TIMEOUT_MS });
  if (res.status === 404) return null;
  if (res.status < 200 || res.status >= 300) throw client.errorFrom(new KubeHttpError(res.status, res.text()), what);
  return res.json<T>();
}

const groupCache = new WeakMap<object, Map<string, { version: string | null; at: number }>>();
const GROUP_TTL_MS = 5 * 60_000;

/** The preferred served version of an API group, or null when the cluster doesn't serve it. */
export async function preferredVersion(client: KubeReader, group: string, signal?: AbortSignal): Promise<string | null> {
  let cache = groupCache.get(client);
  if (!cache) {
    cache = new Map();
    groupCache.set(client, cache);
  }
  const hit = cache.get(group);
  if (hit && Date.now() - hit.at < GROUP_TTL_MS) return hit.version;
  const body = await getJson<{ preferredVersion?: { version?: string }; versions?: { version?: string }[] }>(client, `/apis/${group}`, signal, { verb: 'get', resource: `API group ${group}` });
  const version = body ? (body.preferredVersion?.version ?? body.versions?.[0]?.version ?? null) : null;
  cache.set(group, { version, at: Date.now() });
  return version;
}

export async function listKind(client: KubeReader, group: string, kind: string, namespace: string, signal?: AbortSignal): Promise<KubeObject[]> {
  const version = await preferredVersion(client, group, signal);
  if (!version) return [];
  const apiVersion = `${group}/${version}`;
  const path = `${collectionPath(apiVersion, kind, namespace)}?limit=500`;
  const body = await getJson<{ items?: unknown[] }>(client, path, signal, { verb: 'list', resource: `${kind} in namespace "${namespace}"` });
  // List items carry no apiVersion/kind: put them back so each object is self-describing.
  return arr(body?.items)
    .map((i) => (isObj(i) ? { ...i, apiVersion, kind } : i))
    .filter(isKubeObject);
}

/** Every routing object of a namespace; an API the user may not list is reported, not fatal. */
export async function listRouting(client: KubeReader, namespace: string, signal?: AbortSignal): Promise<{ objects: KubeObject[]; warnings: ApiErrorShape[] }> {
  const results = await Promise.allSettled(ROUTING_SOURCES.map((s) => listKind(client, s.group, s.kind, namespace, signal)));
  const objects: KubeObject[] = [];
  const warnings: ApiErrorShape[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') objects.push(...r.value);
    else {
      const e = r.reason instanceof ApiError ? r.reason : client.errorFrom(r.reason);
      if (e.code === 'CANCELLED') throw e;
      warnings.push({ ...e.toJSON(), details: { ...(e.details ?? {}), source: `${ROUTING_SOURCES[i]!.kind}.${ROUTING_SOURCES[i]!.group}` } });
    }
  });
  if (warnings.length === ROUTING_SOURCES.length && warnings[0]) {
    const w = warnings[0];
    throw new ApiError(w.code, w.message, { details: w.details });
  }
  return { objects, warnings };
}

export async function readObject(client: KubeReader, ref: ObjectRef, signal?: AbortSignal): Promise<KubeObject> {
  const o = await getJson<unknown>(client, objectPath(ref), signal, { verb: 'get', resource: `${ref.kind} "${ref.name}" in namespace "${ref.namespace}"` });
  if (o === null) throw new ApiError('NOT_FOUND', `${ref.kind} ${ref.namespace}/${ref.name} does not exist (any more) on context "${client.contextName}".`, { details: { kind: ref.kind, namespace: ref.namespace, name: ref.name } });
  if (!isKubeObject(o)) throw new ApiError('UPSTREAM', `The API server returned something that is not a ${ref.kind} for ${ref.namespace}/${ref.name}.`);
  return { ...o, apiVersion: o.apiVersion || ref.apiVersion, kind: o.kind || ref.kind };
}

export function toService(o: KubeObject): ServiceInfo {
  const spec = isObj(o.spec) ? o.spec : {};
  const selector = isObj(spec.selector) ? (Object.fromEntries(Object.entries(spec.selector).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : {};
  const ports = arr(spec.ports).filter(isObj).map((p) => ({ ...(str(p.name) ? { name: str(p.name) } : {}), port: num(p.port) ?? 0 }));
  return { name: o.metadata.name, selector, ports };
}

export function toWorkload(o: KubeObject): WorkloadInfo {
  const spec = isObj(o.spec) ? o.spec : {};
  const tpl = isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata : {};
  const labels = isObj(tpl.labels) ? (Object.fromEntries(Object.entries(tpl.labels).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : {};
  return { kind: o.kind, name: o.metadata.name, labels };
}

/** Services, workloads and (for Istio) DestinationRules around a routing object. Optional parts may be forbidden: they are left empty. */
export async function readContext(client: KubeReader, namespace: string, withDestinationRules: boolean, signal?: AbortSignal): Promise<{ context: RoutingContext; notes: string[] }> {
  const notes: string[] = [];
  const soft = async <T>(p: Promise<T>, empty: T, what: string): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      const e = err instanceof ApiError ? err : client.errorFrom(err);
      if (e.code === 'CANCELLED') throw e;
      notes.push(`Could not read ${what}: ${e.message}`);
      return empty;
    }
  };
  const list = async (apiVersion: string, kind: string): Promise<KubeObject[]> => {
    const body = await getJson<{ items?: unknown[] }>(client, `${collectionPath(apiVersion, kind, namespace)}?limit=1000`, signal, { verb: 'list', resource: `${kind} in namespace "${namespace}"` });
    return arr(body?.items).map((i) => (isObj(i) ? { ...i, apiVersion, kind } : i)).filter(isKubeObject);
  };
  const [services, deployments, rules] = await Promise.all([
    soft(list('v1', 'Service'), [], 'Services'),
    soft(list('apps/v1', 'Deployment'), [], 'Deployments'),
    withDestinationRules ? soft(listKind(client, 'networking.istio.io', 'DestinationRule', namespace, signal), [], 'DestinationRules') : Promise.resolve([]),
  ]);
  return {
    context: { namespace, services: services.map(toService), workloads: deployments.map(toWorkload), destinationRules: rules },
    notes,
  };
}

/** The snapshot an edit is planned on: the object as it is now, and its surroundings. */
export async function readSnapshot(client: KubeReader, ref: ObjectRef, service: string | undefined, signal?: AbortSignal): Promise<RoutingSnapshot & { notes: string[] }> {
  if (!adapterFor(ref.kind)) throw new ApiError('BAD_INPUT', `meshdeck does not edit ${ref.kind} objects.`, { field: 'object.kind' });
  const [object, ctx] = await Promise.all([readObject(client, ref, signal), readContext(client, ref.namespace, ref.kind === 'VirtualService', signal)]);
  return { object, context: ctx.context, ...(service ? { service } : {}), notes: ctx.notes };
}
