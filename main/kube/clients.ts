import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import {
  ApiextensionsV1Api,
  ApisApi,
  CoreV1Api,
  CustomObjectsApi,
  Observable,
  ResponseContext,
  ServerConfiguration,
  VersionApi,
  createConfiguration,
} from '@kubernetes/client-node';
import type { Configuration, ConfigurationOptions, HttpLibrary, KubeConfig, RequestContext } from '@kubernetes/client-node';
import type { Authenticator } from './kubeconfig-parse';
import { ApiError } from '../../shared/errors';
import { raceAbort } from '../util/abort';
import { kubeErrorFrom, KubeHttpError } from './errors';
import { ExecAuthenticator, ExecCredentialProvider, TokenFileAuthenticator } from './exec-auth';
import type { ResolvedContext } from './kubeconfig-parse';
import { toKubeConfig } from './kubeconfig-parse';

/** Every call has a time limit; this is the one used when the caller doesn't say. */
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Responses are buffered; a proxied answer bigger than this is refused rather than eating memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface KubeRequestInit {
  method?: string;
  /** Appended to the path's own query string; undefined and null values are skipped. */
  query?: Record<string, string | number | boolean | undefined | null>;
  /** Strings and bytes are sent as they are; any other value is sent as JSON. */
  body?: string | Uint8Array | object;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Default: the service's timeout (15 s). */
  timeoutMs?: number;
  maxBytes?: number;
}

export interface KubeResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  text(): string;
  /** Parses the body as JSON; throws UPSTREAM if it isn't. */
  json<T = unknown>(): T;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The client set of one connected context. Everything goes through one authenticated transport. */
export interface KubeClient {
  readonly contextId: string;
  readonly contextName: string;
  readonly server: string;
  /** The context's default namespace, if it sets one. */
  readonly namespace: string | null;
  readonly core: CoreV1Api;
  readonly customObjects: CustomObjectsApi;
  readonly apis: ApisApi;
  readonly apiextensions: ApiextensionsV1Api;
  readonly version: VersionApi;
  /** Any other generated API class (AppsV1Api, NetworkingV1Api...) on the same transport. */
  api<T>(ctor: new (config: Configuration) => T): T;
  /**
   * Per-call options for the generated APIs, so they get a timeout and a cancel:
   * `client.core.listNamespace({ limit: 500 }, client.call({ signal }))`.
   * Without it a generated call still has the default timeout. Failures reject with an ApiError.
   * The options are always the SECOND argument, even for calls without parameters:
   * `client.version.getCode({}, client.call({ signal }))`.
   */
  call(opts?: CallOptions): ConfigurationOptions;
  /**
   * Authenticated raw request to any API path (`/version`, a CR, the service proxy
   * `/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/...`). Resolves for every HTTP status;
   * rejects with an ApiError (UNREACHABLE, TLS, TIMEOUT, CANCELLED...) only when there is no answer.
   */
  request(path: string, init?: KubeRequestInit): Promise<KubeResponse>;
  /** `request` + JSON, rejecting with a classified ApiError (kubeErrorFrom) on a non-2xx status. */
  requestJson<T = unknown>(path: string, init?: KubeRequestInit): Promise<T>;
  /** kubeErrorFrom with this context and server filled in. */
  errorFrom(err: unknown, extra?: { verb?: string; resource?: string }): ApiError;
  close(): void;
}

/** What a method and an API path mean in RBAC words, for error messages. */
export function describeApiPath(method: string, path: string): { verb?: string; resource?: string } {
  const segs = (path.split('?')[0] ?? '').split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  let group = '';
  let rest: string[];
  if (segs[0] === 'api') rest = segs.slice(2);
  else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1] ?? '';
    rest = segs.slice(3);
  } else return {};
  let ns: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    ns = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, sub] = rest;
  if (!plural) return {};
  const m = method.toUpperCase();
  const verb = m === 'GET' ? (name ? 'get' : 'list') : m === 'POST' ? 'create' : m === 'PUT' ? 'update' : m === 'PATCH' ? 'patch' : m === 'DELETE' ? 'delete' : m.toLowerCase();
  let resource = `${plural}${group ? `.${group}` : ''}${sub ? `/${sub}` : ''}`;
  if (name) resource += ` "${name}"`;
  if (ns) resource += ` in namespace "${ns}"`;
  return { verb, resource };
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}


type TlsOpts = https.RequestOptions & { headers?: Record<string, string | string[] | number | undefined> };

export interface ClientDeps {
  exec: ExecCredentialProvider;
  timeoutMs?: number;
  userAgent?: string;
}

/**
 * Builds the client set for one context. Authentication comes from client-node's KubeConfig
 * (applyToHTTPSOptions: CA, client certificates, tokens, basic, OIDC, and meshdeck's exec and
 * token-file authenticators); the HTTP itself is node:https with a keep-alive agent per TLS
 * identity, so every call has a timeout and an AbortSignal and connections are reused.
 */
export function createKubeClient(ctx: ResolvedContext, deps: ClientDeps): KubeClient {
  if (!ctx.cluster) throw new ApiError('INVALID_CONFIG', `Context "${ctx.name}" has no cluster.`);
  const cluster = ctx.cluster;
  const server = cluster.server;
  const defaultTimeout = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const userAgent = deps.userAgent ?? 'meshdeck';
  const scope = { context: ctx.name, server };

  const authenticators: Authenticator[] = [];
  let execKey: string | null = null;
  if (ctx.user?.exec) {
    execKey = ExecCredentialProvider.keyFor(ctx.file, ctx.name, ctx.user.name);
    authenticators.push(new ExecAuthenticator(deps.exec, execKey, ctx.user.exec, cluster));
  } else if (ctx.user?.tokenFile && !ctx.user.token) {
    authenticators.push(new TokenFileAuthenticator(ctx.user.tokenFile));
  }
  const kc: KubeConfig = toKubeConfig(ctx, authenticators);
  const impersonation: Record<string, string | string[]> = {};
  if (ctx.user?.impersonateGroups?.length) impersonation['Impersonate-Group'] = ctx.user.impersonateGroups;
  if (ctx.user?.impersonateUid) impersonation['Impersonate-Uid'] = ctx.user.impersonateUid;

  // One keep-alive agent per TLS identity (CA, client cert, server name); an exec plugin that
  // hands out a new client certificate gets a new agent. A few are kept, the oldest destroyed.
  const agents = new Map<string, http.Agent>();
  let closed = false;
  const agentFor = (o: TlsOpts): http.Agent => {
    if (server.startsWith('http:')) {
      const a = agents.get('http') ?? new http.Agent({ keepAlive: true, maxSockets: 32 });
      agents.set('http', a);
      return a;
    }
    const key = createHash('sha256')
      .update(JSON.stringify([String(o.ca ?? ''), String(o.cert ?? ''), String(o.key ?? ''), o.servername ?? '', o.rejectUnauthorized ?? null, o.passphrase ?? '']))
      .digest('hex');
    let a = agents.get(key);
    if (!a) {
      a = new https.Agent({
        keepAlive: true,
        maxSockets: 32,
        ...(o.ca !== undefined ? { ca: o.ca } : {}),
        ...(o.cert !== undefined ? { cert: o.cert } : {}),
        ...(o.key !== undefined ? { key: o.key } : {}),
        ...(o.passphrase !== undefined ? { passphrase: o.passphrase } : {}),
        ...(o.servername !== undefined ? { servername: o.servername } : {}),
        ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
      });
      agents.set(key, a);
      while (agents.size > 4) {
        const oldest = agents.keys().next().value as string;
        agents.get(oldest)?.destroy();
        agents.delete(oldest);
      }
    }
    return a;
  };

  const once = async (url: URL, init: KubeRequestInit, body: Buffer | undefined, signal: AbortSignal): Promise<KubeResponse> => {
    const o: TlsOpts = {};
    await raceAbort(kc.applyToHTTPSOptions(o), signal);
    const agent = cluster.proxyUrl ? (o.agent as http.Agent) : agentFor(o);
    const headers: Record<string, string | string[]> = { Accept: 'application/json', 'User-Agent': userAgent, ...impersonation };
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v : String(v);
    for (const [k, v] of Object.entries(init.headers ?? {})) headers[k] = v;
    if (body) headers['Content-Length'] = String(body.length);
    const maxBytes = init.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const lib = url.protocol === 'http:' ? http : https;
    return new Promise<KubeResponse>((resolve, reject) => {
      const req = lib.request(url, { method: init.method ?? 'GET', headers, agent, signal, ...(o.auth ? { auth: o.auth } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            req.destroy(new ApiError('UPSTREAM', `The answer from context "${ctx.name}" (${server}) for ${url.pathname} is larger than ${Math.round(maxBytes / 1048576)} MiB.`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: flatHeaders(res.headers),
            body: buf,
            text: () => buf.toString('utf8'),
            json: <T>() => {
              try {
                return JSON.parse(buf.toString('utf8')) as T;
              } catch {
                throw new ApiError('UPSTREAM', `Context "${ctx.name}" (${server}) answered ${url.pathname} with something that is not JSON (HTTP ${res.statusCode ?? 0}).`, {
                  details: { status: res.statusCode ?? 0, context: ctx.name, server },
                });
              }
            },
          });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  };

  const send = async (url: URL, init: KubeRequestInit = {}): Promise<KubeResponse> => {
    if (closed) throw new ApiError('NOT_CONNECTED', `Context "${ctx.name}" was disconnected.`, { details: { context: ctx.name } });
    const timeoutMs = init.timeoutMs ?? defaultTimeout;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let body: Buffer | undefined;
    if (init.body !== undefined) {
      if (typeof init.body === 'string') body = Buffer.from(init.body, 'utf8');
      else if (init.body instanceof Uint8Array) body = Buffer.from(init.body);
      else {
        body = Buffer.from(JSON.stringify(init.body), 'utf8');
        init = { ...init, headers: { 'Content-Type': 'application/json', ...init.headers } };
      }
    }
    const method = (init.method ?? 'GET').toUpperCase();
    try {
      let res = await once(url, init, body, signal);
      // A credential without an expiry is used until the server refuses it; then the plugin runs again.
      if (res.status === 401 && execKey) {
        deps.exec.invalidate(execKey);
        res = await once(url, init, body, signal);
      }
      return res;
    } catch (err) {
      if (init.signal?.aborted) {
        throw new ApiError('CANCELLED', `The call to context "${ctx.name}" was cancelled (${method} ${url.pathname}).`, { details: { context: ctx.name, server } });
      }
      if (timeout.aborted) {
        throw new ApiError('TIMEOUT', `No answer from context "${ctx.name}" (${server}) within ${Math.round(timeoutMs / 100) / 10} s (${method} ${url.pathname}).`, {
          details: { context: ctx.name, server, timeoutMs },
        });
      }
      throw kubeErrorFrom(err, { ...scope, ...describeApiPath(method, url.pathname) });
    }
  };

  const urlFor = (p: string, query?: KubeRequestInit['query']): URL => {
    if (!p.startsWith('/')) throw new ApiError('BAD_INPUT', `API path must start with "/": ${p.slice(0, 200)}`, { field: 'path' });
    const url = new URL(server + p);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) url.searchParams.append(k, String(v));
    return url;
  };

  /** The generated APIs' HTTP layer: same transport, same timeout and cancel, ApiError on failure. */
  class TransportHttpLibrary implements HttpLibrary {
    constructor(private readonly opts: CallOptions) {}
    send(rc: RequestContext): Observable<ResponseContext> {
      return new Observable(this.sendAsync(rc));
    }
    private async sendAsync(rc: RequestContext): Promise<ResponseContext> {
      const raw = rc.getBody();
      const body = typeof raw === 'string' ? raw : raw instanceof URLSearchParams ? raw.toString() : undefined;
      const signals = [rc.getSignal(), this.opts.signal].filter((s): s is AbortSignal => s !== undefined);
      const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      const url = new URL(rc.getUrl());
      const method = String(rc.getHttpMethod());
      const res = await send(url, {
        method,
        headers: rc.getHeaders(),
        ...(body !== undefined ? { body } : {}),
        ...(signal ? { signal } : {}),
        ...(this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {}),
      });
      if (res.status >= 400) {
        throw kubeErrorFrom(new KubeHttpError(res.status, res.text()), { ...scope, ...describeApiPath(method, url.pathname) });
      }
      return new ResponseContext(res.status, res.headers, { text: async () => res.text(), binary: async () => res.body });
    }
  }

  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    httpApi: new TransportHttpLibrary({}),
    authMethods: {},
  });
  const api = <T>(ctor: new (config: Configuration) => T): T => new ctor(configuration);

  return {
    contextId: ctx.id,
    contextName: ctx.name,
    server,
    namespace: ctx.namespace,
    core: api(CoreV1Api),
    customObjects: api(CustomObjectsApi),
    apis: api(ApisApi),
    apiextensions: api(ApiextensionsV1Api),
    version: api(VersionApi),
    api,
    call: (opts = {}) => ({ httpApi: new TransportHttpLibrary(opts) }),
    request: (p, init = {}) => send(urlFor(p, init.query), init),
    async requestJson<T>(p: string, init: KubeRequestInit = {}): Promise<T> {
      const url = urlFor(p, init.query);
      const res = await send(url, init);
      if (res.status < 200 || res.status >= 300) {
        throw kubeErrorFrom(new KubeHttpError(res.status, res.text()), { ...scope, ...describeApiPath(init.method ?? 'GET', url.pathname) });
      }
      return res.json<T>();
    },
    errorFrom: (err, extra = {}) => kubeErrorFrom(err, { ...scope, ...extra }),
    close() {
      closed = true;
      for (const a of agents.values()) a.destroy();
      agents.clear();
    },
  };
}
