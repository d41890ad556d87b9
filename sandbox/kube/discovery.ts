// The resource table: which groups, versions and resources exist, and the discovery
// documents built from it. Built-in kinds are fixed; custom kinds come from the
// CustomResourceDefinition objects in the store, so deleting the Istio CRDs really makes the
// Istio kinds disappear from discovery (the app's "is Istio installed?" check can be tested).
import { getPath, isObj, asString } from './json.js';
import type { KubeObject } from './types.js';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface ResourceDef {
  group: string;
  /** Served versions, most preferred first. All share one schema (no conversion needed). */
  versions: string[];
  /** The version objects are stored (and watched internally) as. */
  storageVersion: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Subresources served: status, scale, proxy (services). */
  status: boolean;
  scale: boolean;
  proxy: boolean;
  /** Built-in kinds accept strategic merge patch; custom resources do not (415). */
  builtin: boolean;
  /** Server-side printing for `kubectl get` (Table). Empty = Name + Age. */
  columns: PrinterColumn[];
}

export const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Storage key of a resource: versions share one bucket. */
export function resourceKey(d: { group: string; plural: string }): string {
  return `${d.group}/${d.plural}`;
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

interface BuiltinSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  status?: boolean;
  scale?: boolean;
  proxy?: boolean;
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
// Built-in kinds print with the dedicated printers in table.ts, as kube-apiserver does.

const BUILTINS: BuiltinSpec[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], status: true },
  { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], status: true },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], status: true, proxy: true },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], status: true },
  { group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], categories: ['all'], status: true, scale: true },
  { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'], status: true, scale: true },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    status: true,
  },
  // Reviews are "create only" virtual resources; `kubectl auth can-i` and `auth whoami` use them.
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: ['create'] },
  { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: ['create'] },
];

/** Virtual resources are never stored; they only answer a POST. */
export const VIRTUAL_RESOURCES = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews']);

function builtinDef(b: BuiltinSpec): ResourceDef {
  return {
    group: b.group,
    versions: [b.version],
    storageVersion: b.version,
    kind: b.kind,
    listKind: `${b.kind}List`,
    plural: b.plural,
    singular: b.kind.toLowerCase(),
    namespaced: b.namespaced,
    shortNames: b.shortNames ?? [],
    categories: b.categories ?? [],
    verbs: b.verbs ?? STANDARD_VERBS,
    status: b.status ?? false,
    scale: b.scale ?? false,
    proxy: b.proxy ?? false,
    builtin: true,
    columns: [age],
  };
}

/** Kubernetes version ordering: GA > beta > alpha, higher numbers first. */
export function versionPriority(v: string): number {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return -1;
  const major = Number(m[1]);
  const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
  const minor = m[3] === undefined ? 0 : Number(m[3]);
  return stage * 1e6 + major * 1e3 + minor;
}

/** Turn a CRD object into the resource it defines, or undefined if it's not servable. */
export function defFromCrd(crd: KubeObject): ResourceDef | undefined {
  const spec = crd.spec;
  if (!isObj(spec) || crd.metadata.deletionTimestamp) return undefined;
  const group = asString(spec.group);
  const names = spec.names;
  if (!group || !isObj(names) || !Array.isArray(spec.versions)) return undefined;
  const kind = asString(names.kind);
  const plural = asString(names.plural);
  if (!kind || !plural) return undefined;
  const versions = spec.versions.filter((v): v is Record<string, unknown> => isObj(v) && v.served === true && typeof v.name === 'string');
  if (versions.length === 0) return undefined;
  versions.sort((a, b) => versionPriority(String(b.name)) - versionPriority(String(a.name)));
  const storage = versions.find((v) => v.storage === true) ?? versions[0]!;
  const preferred = versions[0]!;
  const cols = Array.isArray(preferred.additionalPrinterColumns) ? preferred.additionalPrinterColumns : [];
  const columns: PrinterColumn[] = cols.filter(isObj).map((c) => ({
    name: String(c.name),
    type: String(c.type ?? 'string'),
    jsonPath: String(c.jsonPath ?? ''),
    ...(typeof c.description === 'string' ? { description: c.description } : {}),
    ...(typeof c.priority === 'number' ? { priority: c.priority } : {}),
  }));
  const hasCreated = columns.some((c) => c.jsonPath === '.metadata.creationTimestamp');
  return {
    group,
    versions: versions.map((v) => String(v.name)),
    storageVersion: String(storage.name),
    kind,
    listKind: asString(names.listKind) ?? `${kind}List`,
    plural,
    singular: asString(names.singular) ?? kind.toLowerCase(),
    namespaced: spec.scope !== 'Cluster',
    shortNames: Array.isArray(names.shortNames) ? names.shortNames.map(String) : [],
    categories: Array.isArray(names.categories) ? names.categories.map(String) : [],
    verbs: STANDARD_VERBS,
    status: getPath(storage, 'subresources.status') !== undefined,
    scale: getPath(storage, 'subresources.scale') !== undefined,
    proxy: false,
    builtin: false,
    columns: hasCreated ? columns : [...columns, age],
  };
}

/** Lookup tables over built-ins plus CRD-defined resources; rebuilt when a CRD changes. */
export class Registry {
  private defs: ResourceDef[] = [];
  private byPath = new Map<string, ResourceDef>();
  private byKind = new Map<string, ResourceDef>();

  constructor() {
    this.rebuild([]);
  }

  rebuild(crds: KubeObject[]): void {
    const defs = BUILTINS.map(builtinDef);
    const taken = new Set(defs.map((d) => resourceKey(d)));
    for (const crd of crds) {
      const d = defFromCrd(crd);
      if (d && !taken.has(resourceKey(d))) {
        defs.push(d);
        taken.add(resourceKey(d));
      }
    }
    this.defs = defs;
    this.byPath.clear();
    this.byKind.clear();
    for (const d of defs) {
      for (const v of d.versions) {
        this.byPath.set(`${d.group}/${v}/${d.plural}`, d);
        this.byKind.set(`${apiVersionOf(d.group, v)}/${d.kind}`, d);
      }
    }
  }

  all(): readonly ResourceDef[] {
    return this.defs;
  }

  byResource(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  byApiVersionKind(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.byKind.get(`${apiVersion}/${kind}`);
  }

  /** Groups in discovery order: core first, then built-in groups, then custom ones by name. */
  groups(): { name: string; versions: string[] }[] {
    const order: string[] = [];
    const versions = new Map<string, Set<string>>();
    for (const d of this.defs) {
      if (!versions.has(d.group)) {
        versions.set(d.group, new Set());
        order.push(d.group);
      }
      for (const v of d.versions) versions.get(d.group)!.add(v);
    }
    const builtinGroups = new Set(BUILTINS.map((b) => b.group));
    const custom = order.filter((g) => !builtinGroups.has(g)).sort();
    return [...order.filter((g) => builtinGroups.has(g)), ...custom].map((name) => ({
      name,
      versions: [...versions.get(name)!].sort((a, b) => versionPriority(b) - versionPriority(a)),
    }));
  }

  groupVersionExists(group: string, version: string): boolean {
    return this.defs.some((d) => d.group === group && d.versions.includes(version));
  }

  // ---- discovery documents ----

  apiVersions(serverAddress: string): Record<string, unknown> {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }

  apiGroup(name: string): Record<string, unknown> | undefined {
    const g = this.groups().find((x) => x.name === name && name !== '');
    if (!g) return undefined;
    const versions = g.versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { kind: 'APIGroup', apiVersion: 'v1', name, versions, preferredVersion: versions[0] };
  }

  apiGroupList(): Record<string, unknown> {
    const groups = this.groups()
      .filter((g) => g.name !== '')
      .map((g) => {
        const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
        return { name: g.name, versions, preferredVersion: versions[0] };
      });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }

  apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
    if (!this.groupVersionExists(group, version)) return undefined;
    const resources: Record<string, unknown>[] = [];
    for (const d of this.defs) {
      if (d.group !== group || !d.versions.includes(version)) continue;
      const r: Record<string, unknown> = { name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: d.verbs };
      if (d.shortNames.length) r.shortNames = d.shortNames;
      if (d.categories.length) r.categories = d.categories;
      resources.push(r);
      if (d.status) resources.push({ name: `${d.plural}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: ['get', 'patch', 'update'] });
      if (d.scale) {
        resources.push({ name: `${d.plural}/scale`, singularName: '', namespaced: d.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
      }
      if (d.builtin && d.kind === 'Pod') resources.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
      if (d.proxy) resources.push({ name: `${d.plural}/proxy`, singularName: '', namespaced: d.namespaced, kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
  }
}
