// Just enough OpenAPI for kubectl. `kubectl apply/create/edit` (validation=Strict by default)
// first asks /openapi/v3 whether the PATCH endpoint of a kind accepts `fieldValidation`; if it
// does, validation happens server-side and no client-side schema is needed. So every
// resource path here declares its operations with `x-kubernetes-group-version-kind` and the
// `fieldValidation` parameter. Built-in kinds deliberately carry no component schema: kubectl
// then computes strategic merge patches from its compiled-in types, which know the real
// merge keys. Custom kinds get their CRD's schema so `kubectl explain` has something to say.
import { createHash } from 'node:crypto';
import type { Registry, ResourceDef } from './discovery.js';
import { isObj, type JsonMap } from './json.js';

const QUERY = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });

function gvk(d: ResourceDef, version: string) {
  return { group: d.group, version, kind: d.kind };
}

function schemaName(d: ResourceDef, version: string): string {
  // Reverse-domain naming like the real server (io.istio.networking.v1.VirtualService).
  const g = d.group ? d.group.split('.').reverse().join('.') : 'io.k8s.api.core';
  return `${g}.${version}.${d.kind}`;
}

function op(d: ResourceDef, version: string, action: string, params: string[]): JsonMap {
  return {
    operationId: `${action}${d.kind}`,
    parameters: params.map(QUERY),
    responses: { '200': { description: 'OK' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(d, version),
  };
}

function pathsFor(d: ResourceDef, version: string): JsonMap {
  const prefix = d.group ? `/apis/${d.group}/${version}` : `/api/${version}`;
  const coll = d.namespaced ? `${prefix}/namespaces/{namespace}/${d.plural}` : `${prefix}/${d.plural}`;
  const write = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'];
  const paths: JsonMap = {};
  if (d.verbs.includes('create') && !d.verbs.includes('get')) {
    paths[coll] = { post: op(d, version, 'post', write) };
    return paths;
  }
  paths[coll] = {
    get: op(d, version, 'list', ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'watch']),
    post: op(d, version, 'post', write),
  };
  paths[`${coll}/{name}`] = {
    get: op(d, version, 'get', ['pretty']),
    put: op(d, version, 'put', write),
    patch: op(d, version, 'patch', [...write, 'force']),
    delete: op(d, version, 'delete', ['dryRun', 'gracePeriodSeconds', 'propagationPolicy']),
  };
  if (d.status) {
    paths[`${coll}/{name}/status`] = { get: op(d, version, 'get', []), put: op(d, version, 'put', write), patch: op(d, version, 'patch', [...write, 'force']) };
  }
  return paths;
}

function gvDefs(registry: Registry, group: string, version: string): ResourceDef[] {
  return registry.all().filter((d) => d.group === group && d.versions.includes(version));
}

function hash(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase();
}

export function openapiV3Doc(registry: Registry, gvPath: string, version: Record<string, string>): JsonMap | undefined {
  const m = /^(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(gvPath);
  if (!m) return undefined;
  const group = m[2] ?? '';
  const ver = m[1] ?? m[3] ?? '';
  const defs = gvDefs(registry, group, ver);
  if (!defs.length) return undefined;
  const paths: JsonMap = {};
  const schemas: JsonMap = {};
  for (const d of defs) {
    Object.assign(paths, pathsFor(d, ver));
    if (!d.builtin) {
      schemas[schemaName(d, ver)] = {
        type: 'object',
        'x-kubernetes-group-version-kind': [gvk(d, ver)],
        'x-kubernetes-preserve-unknown-fields': true,
        properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      };
    }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: version.gitVersion ?? 'v1.32.0' }, paths, components: { schemas } };
}

export function openapiV3Index(registry: Registry): JsonMap {
  const paths: JsonMap = {};
  const seen = new Set<string>();
  for (const d of registry.all()) {
    for (const v of d.versions) {
      const gv = d.group ? `apis/${d.group}/${v}` : `api/${v}`;
      if (seen.has(gv)) continue;
      seen.add(gv);
      const doc = openapiV3Doc(registry, gv, {});
      paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash(doc)}` };
    }
  }
  return { paths };
}

/** Swagger 2.0 with the same operations; older code paths in kubectl still read it. */
export function openapiV2(registry: Registry, version: Record<string, string>): JsonMap {
  const paths: JsonMap = {};
  const definitions: JsonMap = {};
  for (const d of registry.all()) {
    for (const v of d.versions) {
      const p = pathsFor(d, v);
      for (const [path, ops] of Object.entries(p)) {
        if (!isObj(ops)) continue;
        const converted: JsonMap = {};
        for (const [method, o] of Object.entries(ops)) {
          if (!isObj(o)) continue;
          converted[method] = { ...o, parameters: (Array.isArray(o.parameters) ? o.parameters : []).filter(isObj).map((x) => ({ name: x.name, in: 'query', type: 'string', uniqueItems: true })) };
        }
        paths[path] = converted;
      }
      if (!d.builtin) definitions[schemaName(d, v)] = { type: 'object', 'x-kubernetes-group-version-kind': [gvk(d, v)] };
    }
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: version.gitVersion ?? 'v1.32.0' }, paths, definitions };
}
