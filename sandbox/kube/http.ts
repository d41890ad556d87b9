// HTTP routing: authentication, discovery, RBAC, then the REST verbs of api.ts. URL layout,
// query parameters, status codes and bodies follow kube-apiserver, since the clients under
// test (client-node, kubectl) were written against it.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { patchTypeOf, type KubeApi, type WriteOptions } from './api.js';
import { authorize, forbiddenFor, verbForMethod, type Attributes, type Authenticator, type User } from './auth.js';
import { apiVersionOf, VIRTUAL_RESOURCES, type ResourceDef } from './discovery.js';
import { badRequest, failure, KubeError, methodNotAllowed, pathNotFound, unauthorized, unsupportedMediaType } from './errors.js';
import { isObj, type JsonMap } from './json.js';
import { jsonPatch, mergePatch, parseJsonPatch, strategicMerge } from './patch.js';
import type { ServiceProxy } from './proxy.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { toTable, wantsTable, type IncludeObject } from './table.js';
import type { KubeObject, Status } from './types.js';
import { serveWatch } from './watch.js';
import { openapiV2, openapiV3Doc, openapiV3Index } from './openapi.js';
import { decodeK8sProtobuf } from './protobuf.js';

export interface HttpDeps {
  api: KubeApi;
  auth: Authenticator;
  proxy: ServiceProxy;
  watchers: Set<ServerResponse>;
  bookmarkIntervalMs: number;
  serverAddress: () => string;
  version: Record<string, string>;
}

const MAX_BODY = 3 * 1024 * 1024; // kube-apiserver's request size limit

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof KubeError) return send(res, err.code, err.status);
  const message = err instanceof Error ? err.message : String(err);
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
  send(res, 500, status);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(failure(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseObjectBody(body: Buffer, contentType: string): unknown {
  const ct = contentType.split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/vnd.kubernetes.protobuf') return decodeK8sProtobuf(body);
  const text = body.toString('utf8');
  try {
    if (ct === 'application/yaml' || ct === 'application/x-yaml' || ct === 'text/yaml') return YAML.parse(text);
    if (ct !== '' && ct !== 'application/json' && ct !== '*/*') throw unsupportedMediaType(ct, ['application/json', 'application/yaml']);
    return text.trim() === '' ? undefined : JSON.parse(text);
  } catch (e) {
    if (e instanceof KubeError) throw e;
    throw badRequest(`Object 'Kind' is missing in '${text.slice(0, 200)}': ${(e as Error).message}`);
  }
}

interface ResourcePath {
  group: string;
  version: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
  /** For services/proxy: the raw path after `/proxy` (not decoded). */
  proxyRest: string;
  watchPrefix: boolean;
}

function parseResourcePath(pathname: string): ResourcePath | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  const raw = pathname.split('/').slice(1);
  if (raw[0] === 'api' && raw.length >= 3) {
    group = '';
    version = raw[1]!;
    rest = raw.slice(2);
  } else if (raw[0] === 'apis' && raw.length >= 4) {
    group = raw[1]!;
    version = raw[2]!;
    rest = raw.slice(3);
  } else return undefined;
  let consumed = pathname.length - rest.join('/').length; // offset where `rest` starts
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    consumed += 'watch/'.length;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = decodeURIComponent(rest[1]!);
    consumed += `namespaces/${rest[1]!}/`.length;
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource) return undefined;
  let proxyRest = '';
  if (subresource === 'proxy') {
    const prefix = `${resource}/${name ?? ''}/proxy`;
    proxyRest = pathname.slice(consumed + prefix.length);
  }
  return {
    group,
    version,
    namespace,
    resource,
    name: name === undefined || name === '' ? undefined : decodeURIComponent(name),
    subresource: subresource || undefined,
    proxyRest,
    watchPrefix,
  };
}

function boolParam(q: URLSearchParams, k: string): boolean {
  const v = q.get(k);
  return v === 'true' || v === '1';
}

function writeOptions(q: URLSearchParams): WriteOptions {
  const dry = q.getAll('dryRun');
  for (const d of dry) if (d !== 'All' && d !== '') throw badRequest(`dryRun: Unsupported value: "${d}": supported values: "All"`);
  const o: WriteOptions = { dryRun: dry.includes('All') };
  const fm = q.get('fieldManager');
  if (fm) o.fieldManager = fm;
  return o;
}

/**
 * `kubectl logs` against the sandbox: there are no processes, so the log is a short synthetic
 * start-up transcript of the container (enough for the UI's log view to have something real).
 */
function sendPodLog(pod: KubeObject, q: URLSearchParams, res: ServerResponse): void {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isObj) : [];
  const wanted = q.get('container') ?? String(pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'] ?? containers[0]?.name ?? '');
  const c = containers.find((x) => x.name === wanted);
  if (!c) {
    throw badRequest(`container ${wanted} is not valid for pod ${pod.metadata.name ?? ''}`);
  }
  const started = isObj(pod.status) && typeof pod.status.startTime === 'string' ? pod.status.startTime : new Date().toISOString();
  const port = Array.isArray(c.ports) && isObj(c.ports[0]) ? String(c.ports[0].containerPort) : '8080';
  const stamp = q.get('timestamps') === 'true' ? `${started} ` : '';
  let lines = [
    `${stamp}starting ${String(c.name)} (${String(c.image ?? 'unknown image')}) in pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`,
    `${stamp}listening on :${port}`,
    `${stamp}ready (meshdeck sandbox: simulated workload, no real process logs)`,
  ];
  const tail = Number(q.get('tailLines') ?? NaN);
  if (Number.isInteger(tail) && tail >= 0) lines = lines.slice(Math.max(0, lines.length - tail));
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  res.end(lines.map((l) => `${l}\n`).join(''));
}

export function createHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { api, auth } = deps;
  const registry = api.registry;

  const handleDiscovery = (method: string, url: URL, res: ServerResponse): boolean => {
    const p = url.pathname.replace(/\/+$/, '') || '/';
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (p === '/api') {
      send(res, 200, registry.apiVersions(deps.serverAddress()));
      return true;
    }
    if (p === '/api/v1') {
      send(res, 200, registry.apiResourceList('', 'v1'));
      return true;
    }
    if (p === '/apis') {
      send(res, 200, registry.apiGroupList());
      return true;
    }
    const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
    if (m) {
      const doc = m[2] ? registry.apiResourceList(m[1]!, m[2]) : registry.apiGroup(m[1]!);
      if (!doc) throw pathNotFound();
      send(res, 200, doc);
      return true;
    }
    if (p === '/openapi/v2') {
      send(res, 200, openapiV2(registry, deps.version));
      return true;
    }
    if (p === '/openapi/v3') {
      send(res, 200, openapiV3Index(registry));
      return true;
    }
    const o = /^\/openapi\/v3\/(api\/v1|apis\/[^/]+\/[^/]+)$/.exec(p);
    if (o) {
      const doc = openapiV3Doc(registry, o[1]!, deps.version);
      if (!doc) throw pathNotFound();
      send(res, 200, doc);
      return true;
    }
    return false;
  };

  const selfReview = (def: ResourceDef, user: User, body: unknown, res: ServerResponse) => {
    const b = isObj(body) ? body : {};
    const spec = isObj(b.spec) ? b.spec : {};
    const base = { apiVersion: apiVersionOf(def.group, def.storageVersion), kind: def.kind, metadata: { creationTimestamp: null } };
    if (def.plural === 'selfsubjectreviews') {
      return send(res, 201, { ...base, status: { userInfo: { username: user.name, uid: user.uid, groups: user.groups } } });
    }
    if (def.plural === 'selfsubjectrulesreviews') {
      const admin = user.name === 'admin';
      return send(res, 201, {
        ...base,
        spec,
        status: {
          resourceRules: admin
            ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]
            : [
                { verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] },
                { verbs: ['get'], apiGroups: [''], resources: ['services/proxy'] },
                { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
              ],
          nonResourceRules: [{ verbs: admin ? ['*'] : ['get'], nonResourceURLs: ['*'] }],
          incomplete: false,
        },
      });
    }
    const ra = isObj(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
    let allowed = true;
    if (ra) {
      const attrs: Attributes = {
        verb: String(ra.verb ?? ''),
        group: String(ra.group ?? ''),
        resource: String(ra.resource ?? ''),
        subresource: typeof ra.subresource === 'string' && ra.subresource ? ra.subresource : undefined,
        namespace: typeof ra.namespace === 'string' ? ra.namespace : undefined,
        name: typeof ra.name === 'string' ? ra.name : undefined,
      };
      allowed = authorize(user, attrs);
    } else if (user.name !== 'admin') {
      const nra = isObj(spec.nonResourceAttributes) ? spec.nonResourceAttributes : {};
      allowed = nra.verb === 'get';
    }
    const status: JsonMap = { allowed };
    if (allowed) status.reason = user.name === 'admin' ? 'RBAC: allowed by ClusterRoleBinding "sandbox-admin" of ClusterRole "cluster-admin" to User "admin"' : 'RBAC: allowed by ClusterRoleBinding "sandbox-viewer" of ClusterRole "view" to User "viewer"';
    return send(res, 201, { ...base, spec, status });
  };

  const list = (def: ResourceDef, rp: ResourcePath, q: URLSearchParams, accept: string, res: ServerResponse) => {
    const limit = q.get('limit');
    const result = api.list(def, {
      namespace: rp.namespace,
      labelSelector: parseLabelSelector(q.get('labelSelector')),
      fieldSelector: parseFieldSelector(q.get('fieldSelector'), def.kind),
      limit: limit ? Number(limit) : undefined,
      continueToken: q.get('continue') ?? undefined,
      resourceVersion: q.get('resourceVersion') ?? undefined,
      resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
    });
    const items = result.items.map((o) => api.present(def, o, rp.version));
    const meta: JsonMap = { resourceVersion: result.resourceVersion };
    if (result.continueToken) meta.continue = result.continueToken;
    if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
    if (wantsTable(accept)) {
      const include = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
      return send(res, 200, toTable(def, items, { resourceVersion: result.resourceVersion, ...(result.continueToken ? { continue: result.continueToken } : {}), ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}) }, include));
    }
    if (/as=PartialObjectMetadataList/.test(accept)) {
      return send(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta, items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })) });
    }
    send(res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def.group, rp.version), metadata: meta, items });
  };

  const respondObject = (def: ResourceDef, rp: ResourcePath, q: URLSearchParams, accept: string, res: ServerResponse, code: number, obj: KubeObject | Status) => {
    if (obj.kind === 'Status') return send(res, code, obj);
    const o = api.present(def, obj as KubeObject, rp.version);
    if (wantsTable(accept)) return send(res, code, toTable(def, [o], { resourceVersion: o.metadata.resourceVersion ?? '' }, (q.get('includeObject') ?? 'Metadata') as IncludeObject));
    if (/as=PartialObjectMetadata/.test(accept)) return send(res, code, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata });
    send(res, code, o);
  };

  const handleResource = async (req: IncomingMessage, res: ServerResponse, url: URL, user: User): Promise<void> => {
    const rp = parseResourcePath(url.pathname);
    if (!rp) throw pathNotFound();
    const def = registry.byResource(rp.group, rp.version, rp.resource);
    if (!def) {
      // Namespace subresources (`namespaces/x/status`) parse as resource=namespaces, name=x.
      throw pathNotFound();
    }
    if (def.namespaced && rp.name !== undefined && rp.namespace === undefined) throw pathNotFound();
    if (!def.namespaced && rp.namespace !== undefined) throw pathNotFound();
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const accept = req.headers.accept ?? '';
    // `/watch/…/{name}` (the legacy watch path) watches one object: a collection watch by name.
    const collection = rp.name === undefined || rp.watchPrefix;
    const watch = rp.watchPrefix || boolParam(q, 'watch');
    if (rp.subresource && !['status', 'scale', 'proxy', 'log'].includes(rp.subresource)) throw pathNotFound();
    if (rp.subresource === 'log' && !(def.builtin && def.kind === 'Pod')) throw pathNotFound();
    if (rp.subresource === 'status' && !def.status) throw pathNotFound();
    if (rp.subresource === 'scale' && !def.scale) throw pathNotFound();
    if (rp.subresource === 'proxy' && !def.proxy) throw pathNotFound();
    const verb = verbForMethod(method, { collection, watch });
    const attrs: Attributes = { verb, group: def.group, resource: def.plural, subresource: rp.subresource, namespace: rp.namespace, name: rp.name };
    if (!authorize(user, attrs)) throw forbiddenFor(user, attrs);

    if (VIRTUAL_RESOURCES.has(def.plural)) {
      if (method !== 'POST' || !collection) throw methodNotAllowed();
      return selfReview(def, user, parseObjectBody(await readBody(req), req.headers['content-type'] ?? ''), res);
    }

    if (rp.subresource === 'proxy') {
      const svc = api.store.get('/services', rp.namespace, (rp.name ?? '').split(':').length === 3 ? (rp.name ?? '').split(':')[1]! : (rp.name ?? '').split(':')[0]!);
      const resolved = deps.proxy.resolve(rp.namespace ?? '', rp.name ?? '', svc);
      if (resolved instanceof KubeError) throw resolved;
      deps.proxy.forward(req, res, resolved.target, rp.proxyRest, url.search, (err) => sendError(res, err));
      return;
    }

    switch (method) {
      case 'GET':
      case 'HEAD': {
        if (collection) {
          if (watch) {
            const rv = q.get('resourceVersion');
            const sinceRV = rv && rv !== '0' ? Number(rv) : undefined;
            if (sinceRV !== undefined && !Number.isInteger(sinceRV)) throw badRequest(`invalid resource version: ${rv ?? ''}`);
            const timeout = q.get('timeoutSeconds');
            const fieldSelector = parseFieldSelector(q.get('fieldSelector'), def.kind);
            if (rp.watchPrefix && rp.name) fieldSelector.push({ field: 'metadata.name', op: '=', value: rp.name });
            return serveWatch(
              api.store,
              res,
              {
                def,
                version: rp.version,
                filter: { namespace: def.namespaced ? rp.namespace : undefined, labelSelector: parseLabelSelector(q.get('labelSelector')), fieldSelector },
                sinceRV,
                bookmarks: boolParam(q, 'allowWatchBookmarks'),
                sendInitialEvents: boolParam(q, 'sendInitialEvents'),
                timeoutSeconds: timeout ? Number(timeout) : undefined,
                table: wantsTable(accept) ? { include: (q.get('includeObject') ?? 'Metadata') as IncludeObject } : undefined,
                partialMetadata: /as=PartialObjectMetadata/.test(accept),
              },
              deps.bookmarkIntervalMs,
              deps.watchers,
            );
          }
          return list(def, rp, q, accept, res);
        }
        if (rp.subresource === 'scale') return send(res, 200, api.getScale(def, rp.namespace, rp.name!));
        if (rp.subresource === 'log') return sendPodLog(api.get(def, rp.namespace, rp.name!), q, res);
        return respondObject(def, rp, q, accept, res, 200, api.get(def, rp.namespace, rp.name!));
      }
      case 'POST': {
        if (!collection) throw methodNotAllowed();
        const body = parseObjectBody(await readBody(req), req.headers['content-type'] ?? '');
        const created = api.create(def, rp.namespace, body, { ...writeOptions(q), scope: 'main' });
        return respondObject(def, rp, q, accept, res, 201, created);
      }
      case 'PUT': {
        if (collection) throw methodNotAllowed();
        const body = parseObjectBody(await readBody(req), req.headers['content-type'] ?? '');
        const opts = writeOptions(q);
        if (rp.subresource === 'scale') return send(res, 200, api.setScale(def, rp.namespace, rp.name!, body, opts));
        const scope = rp.subresource === 'status' ? 'status' : 'main';
        return respondObject(def, rp, q, accept, res, 200, api.update(def, rp.namespace, rp.name!, body, { ...opts, scope }));
      }
      case 'PATCH': {
        if (collection) throw methodNotAllowed();
        const ct = req.headers['content-type'] ?? '';
        const type = patchTypeOf(ct);
        if (!type) throw unsupportedMediaType(ct, ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', ...(def.builtin ? ['application/strategic-merge-patch+json'] : [])]);
        const text = (await readBody(req)).toString('utf8');
        const opts = writeOptions(q);
        if (rp.subresource === 'scale') {
          const scale = api.getScale(def, rp.namespace, rp.name!);
          let parsed: unknown;
          try {
            parsed = type === 'apply' ? YAML.parse(text) : JSON.parse(text);
          } catch (e) {
            throw badRequest(`error decoding patch: ${(e as Error).message}`);
          }
          const patched = type === 'json' ? jsonPatch(scale, parseJsonPatch(parsed)) : type === 'strategic' ? strategicMerge(scale, parsed) : mergePatch(scale, parsed);
          return send(res, 200, api.setScale(def, rp.namespace, rp.name!, patched, opts));
        }
        const scope = rp.subresource === 'status' ? 'status' : 'main';
        const force = boolParam(q, 'force');
        const obj = api.patch(def, rp.namespace, rp.name!, type, text, { ...opts, scope, force, version: rp.version });
        return respondObject(def, rp, q, accept, res, 200, obj);
      }
      case 'DELETE': {
        const raw = await readBody(req);
        const body = raw.toString('utf8').trim() ? parseObjectBody(raw, req.headers['content-type'] ?? 'application/json') : undefined;
        const b = isObj(body) ? body : {};
        const opts = writeOptions(q);
        if (Array.isArray(b.dryRun) && b.dryRun.includes('All')) opts.dryRun = true;
        const propagationPolicy = q.get('propagationPolicy') ?? (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined);
        const pre = isObj(b.preconditions) ? b.preconditions : {};
        const delOpts = {
          ...opts,
          ...(propagationPolicy ? { propagationPolicy } : {}),
          preconditions: {
            ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
            ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
          },
        };
        if (collection) {
          if (!def.verbs.includes('deletecollection')) throw methodNotAllowed();
          const victims = api.list(def, {
            namespace: rp.namespace,
            labelSelector: parseLabelSelector(q.get('labelSelector')),
            fieldSelector: parseFieldSelector(q.get('fieldSelector'), def.kind),
          }).items;
          const items: KubeObject[] = [];
          for (const v of victims) {
            const out = api.delete(def, v.metadata.namespace, v.metadata.name ?? '', delOpts);
            items.push(out.kind === 'Status' ? v : (out as KubeObject));
          }
          return send(res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def.group, rp.version), metadata: { resourceVersion: String(api.store.currentRV()) }, items: items.map((o) => api.present(def, o, rp.version)) });
        }
        const out = api.delete(def, rp.namespace, rp.name!, delOpts);
        return respondObject(def, rp, q, accept, res, 200, out);
      }
      default:
        throw methodNotAllowed();
    }
  };

  return (req, res) => {
    res.setHeader('Audit-Id', randomUUID());
    const url = new URL(req.url ?? '/', 'https://sandbox.invalid');
    const method = req.method ?? 'GET';
    void (async () => {
      try {
        const p = url.pathname;
        if (p === '/version' || p === '/version/') return send(res, 200, deps.version);
        if (p === '/healthz' || p === '/livez' || p === '/readyz' || p.startsWith('/healthz/') || p.startsWith('/livez/') || p.startsWith('/readyz/')) {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
          return res.end('ok');
        }
        const user = auth.authenticate(req.headers.authorization);
        if (!user) throw unauthorized();
        if (handleDiscovery(method, url, res)) return;
        if (p.startsWith('/api/') || p.startsWith('/apis/')) return await handleResource(req, res, url, user);
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('404 page not found\n');
      } catch (err) {
        sendError(res, err);
      }
    })();
  };
}
