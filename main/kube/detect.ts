import type { MeshDetection } from '../../shared/contract/kube';
import { ApiError } from '../../shared/errors';
import type { CallOptions, KubeClient } from './clients';

/**
 * What a freshly connected cluster is: its version, its namespaces, and which meshes and traffic
 * APIs it has installed. Each probe is one bounded call (or a few pages).
 */

export async function serverVersion(client: KubeClient, opts: CallOptions = {}): Promise<string> {
  const v = await client.version.getCode({}, client.call(opts));
  return v.gitVersion || `v${v.major}.${v.minor}`;
}

/** Namespace names, paged with limit/continue (as Headlamp does on big clusters), stopping at `max`. */
export async function listNamespaces(
  client: KubeClient,
  opts: CallOptions & { pageSize?: number; max?: number } = {},
): Promise<{ names: string[]; truncated: boolean }> {
  const pageSize = opts.pageSize ?? 500;
  const max = opts.max ?? 5000;
  const names: string[] = [];
  let cont: string | undefined;
  do {
    const page = await client.core.listNamespace({ limit: pageSize, ...(cont ? { _continue: cont } : {}) }, client.call(opts));
    for (const ns of page.items) if (ns.metadata?.name) names.push(ns.metadata.name);
    cont = page.metadata?._continue || undefined;
    if (names.length >= max) return { names: names.slice(0, max).sort(), truncated: true };
  } while (cont);
  return { names: names.sort(), truncated: false };
}

export const MESH_GROUPS = {
  istio: ['networking.istio.io', 'security.istio.io'],
  gatewayApi: ['gateway.networking.k8s.io'],
  smi: ['split.smi-spec.io'],
  linkerd: ['linkerd.io', 'policy.linkerd.io'],
} as const;

/** A mesh counts as installed when one of its API groups is present. */
export function meshFromGroups(groups: Iterable<string>, source: MeshDetection['source']): MeshDetection {
  const set = new Set(groups);
  const has = (list: readonly string[]) => list.some((g) => set.has(g));
  return {
    istio: has(MESH_GROUPS.istio),
    gatewayApi: has(MESH_GROUPS.gatewayApi),
    smi: has(MESH_GROUPS.smi),
    linkerd: has(MESH_GROUPS.linkerd),
    groups: [...set].sort(),
    source,
  };
}

interface CrdListPage {
  items?: { metadata?: { name?: string }; spec?: { group?: string } }[];
  metadata?: { continue?: string };
}

/**
 * CRD groups from the CRD list. CRDs carry their whole schema (often megabytes in total), so the
 * list asks for metadata only; the group is the part of the CRD's name after the first dot.
 */
async function crdGroups(client: KubeClient, opts: CallOptions): Promise<string[]> {
  const groups = new Set<string>();
  let cont: string | undefined;
  let pages = 0;
  do {
    const page = await client.requestJson<CrdListPage>('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      query: { limit: 500, continue: cont },
      headers: { Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' },
      ...opts,
    });
    for (const item of page.items ?? []) {
      const g = item.spec?.group ?? item.metadata?.name?.split('.').slice(1).join('.');
      if (g) groups.add(g);
    }
    cont = page.metadata?.continue || undefined;
  } while (cont && ++pages < 50);
  return [...groups];
}

/** API groups from discovery: always allowed for signed-in users, and lists CRD groups too. */
async function discoveryGroups(client: KubeClient, opts: CallOptions): Promise<string[]> {
  const list = await client.apis.getAPIVersions({}, client.call(opts));
  return list.groups.map((g) => g.name);
}

/** Which meshes are installed: CRDs first, discovery when the CRD list is forbidden. */
export async function detectMesh(client: KubeClient, opts: CallOptions = {}): Promise<MeshDetection> {
  try {
    return meshFromGroups(await crdGroups(client, opts), 'crds');
  } catch (err) {
    if (err instanceof ApiError && (err.code === 'FORBIDDEN' || err.code === 'NOT_FOUND')) {
      return meshFromGroups(await discoveryGroups(client, opts), 'discovery');
    }
    throw err;
  }
}
