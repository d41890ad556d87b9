/**
 * How bytes reach a Prometheus: a direct URL (HTTP or HTTPS from this machine), or the Kubernetes
 * API server's service proxy with the user's kube credentials. Both answer every HTTP status;
 * both reject only when there is no answer, with an ApiError saying which stage failed
 * (details.stage: dns, tcp, tls, timeout, cancelled, kube).
 */
import http from 'node:http';
import https from 'node:https';
import { ApiError } from '../../shared/errors';

export const DEFAULT_TIMEOUT_MS = 15_000;
/** Answers bigger than this are refused rather than buffered (a query that returns the world). */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export interface PromFetchInit {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface PromHttpResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface PromTransport {
  readonly kind: 'direct' | 'kube-proxy';
  /** What the user knows this Prometheus as: its URL, or `service ns/name:port via <API server>`. */
  readonly describe: string;
  /** `path` is an API path such as `/api/v1/query` (the transport adds any prefix). */
  fetch(path: string, init?: PromFetchInit): Promise<PromHttpResponse>;
  /** Drops idle keep-alive sockets (direct transports own an agent). */
  close(): void;
}

export type NetStage = 'dns' | 'tcp' | 'tls' | 'timeout' | 'cancelled' | 'http';

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const TCP_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE', 'EHOSTDOWN', 'ENETDOWN', 'ECONNABORTED', 'EADDRNOTAVAIL']);

function codeOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTlsCode(code: string | undefined, message: string): boolean {
  if (!code) return /certificate|SSL|TLS|handshake/i.test(message);
  return code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|DEPTH_ZERO|EPROTO/.test(code);
}

/** Classifies a socket-level failure. `connected`: the TCP (and TLS) connection had been made. */
export function classifyNetError(err: unknown, where: string, connected: boolean): ApiError {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code && DNS_CODES.has(code)) {
    return new ApiError('UNREACHABLE', `Cannot resolve the host of ${where} (${code}): check the name, or your DNS/VPN.`, { details: { stage: 'dns', code, url: where }, cause: err });
  }
  if (code === 'ECONNREFUSED') {
    return new ApiError('UNREACHABLE', `Connection to ${where} was refused: nothing listens on that port (or a firewall rejects it).`, { details: { stage: 'tcp', code, url: where }, cause: err });
  }
  if (isTlsCode(code, message) && code !== 'ECONNRESET') {
    return new ApiError('TLS', `TLS with ${where} failed (${code ?? 'handshake'}): ${message}. Set a CA file, or (only for testing) skip verification.`, { details: { stage: 'tls', code: code ?? null, url: where }, cause: err });
  }
  if (code && TCP_CODES.has(code)) {
    const text = connected ? 'dropped the connection' : 'cannot be reached';
    return new ApiError('UNREACHABLE', `${where} ${text} (${code}).`, { details: { stage: 'tcp', code, url: where }, cause: err });
  }
  return new ApiError('UNREACHABLE', `Request to ${where} failed: ${message}`, { details: { stage: connected ? 'http' : 'tcp', code: code ?? null, url: where }, cause: err });
}

export interface DirectTransportOptions {
  /** Base URL including any route prefix, e.g. `https://mimir.example/prometheus`. */
  url: string;
  insecureSkipTlsVerify?: boolean;
  /** PEM text of extra CA certificates. */
  ca?: string;
  maxBytes?: number;
}

/** A Prometheus reached from this machine. */
export function directTransport(opts: DirectTransportOptions): PromTransport {
  let base: URL;
  try {
    base = new URL(opts.url);
  } catch {
    throw new ApiError('BAD_INPUT', `"${opts.url.slice(0, 200)}" is not a URL.`, { field: 'url' });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ApiError('BAD_INPUT', `Prometheus URL must be http or https: ${opts.url}`, { field: 'url' });
  if (base.username || base.password) throw new ApiError('BAD_INPUT', 'Put credentials in the auth fields, not in the URL.', { field: 'url' });
  const prefix = base.pathname.replace(/\/+$/, '');
  const shown = `${base.origin}${prefix}`;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const agentOpts = { keepAlive: true, maxSockets: 8 };
  const agent = base.protocol === 'https:' ? new https.Agent({ ...agentOpts, rejectUnauthorized: !opts.insecureSkipTlsVerify, ...(opts.ca ? { ca: opts.ca } : {}) }) : new http.Agent(agentOpts);

  return {
    kind: 'direct',
    describe: shown,
    close: () => agent.destroy(),
    fetch(path, init = {}) {
      const timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const where = `${shown}${path.split('?')[0]}`;
      return new Promise<PromHttpResponse>((resolve, reject) => {
        if (init.signal?.aborted) return reject(new ApiError('CANCELLED', `Request to ${where} was cancelled.`, { details: { stage: 'cancelled', url: shown } }));
        let connected = false;
        let settled = false;
        const lib = base.protocol === 'https:' ? https : http;
        const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
        if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
        const req = lib.request(
          { protocol: base.protocol, hostname: base.hostname, port: base.port || undefined, path: `${prefix}${path}`, method: init.method ?? 'GET', headers, agent },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (c: Buffer) => {
              size += c.length;
              if (size > maxBytes) {
                fail(new ApiError('UPSTREAM', `Prometheus at ${shown} sent more than ${Math.round(maxBytes / 1048576)} MiB for ${path.split('?')[0]}: narrow the query.`, { details: { url: shown, stage: 'http' } }));
                req.destroy();
                return;
              }
              chunks.push(c);
            });
            res.on('end', () => {
              if (settled) return;
              settled = true;
              cleanup();
              const hs: Record<string, string> = {};
              for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) hs[k] = Array.isArray(v) ? v.join(', ') : v;
              resolve({ status: res.statusCode ?? 0, headers: hs, body: Buffer.concat(chunks) });
            });
            res.on('error', (e) => fail(classifyNetError(e, shown, true)));
            res.on('aborted', () => fail(new ApiError('UPSTREAM', `Prometheus at ${shown} closed the connection in the middle of the answer (truncated).`, { details: { url: shown, stage: 'http' } })));
          },
        );
        const fail = (e: ApiError) => {
          if (settled) return;
          settled = true;
          cleanup();
          reject(e);
        };
        const timer = setTimeout(() => {
          fail(new ApiError('TIMEOUT', `${shown} did not ${connected ? 'answer' : 'accept a connection'} within ${timeoutMs} ms.`, { details: { stage: 'timeout', phase: connected ? 'response' : 'connect', url: shown, timeoutMs } }));
          req.destroy();
        }, timeoutMs);
        const onAbort = () => {
          fail(new ApiError('CANCELLED', `Request to ${where} was cancelled.`, { details: { stage: 'cancelled', url: shown } }));
          req.destroy();
        };
        init.signal?.addEventListener('abort', onAbort, { once: true });
        const cleanup = () => {
          clearTimeout(timer);
          init.signal?.removeEventListener('abort', onAbort);
        };
        req.on('socket', (s) => {
          const mark = () => (connected = true);
          if (!s.connecting) mark();
          s.once(base.protocol === 'https:' ? 'secureConnect' : 'connect', mark);
        });
        req.on('error', (e) => fail(classifyNetError(e, shown, connected)));
        if (init.body !== undefined) req.write(init.body);
        req.end();
      });
    },
  };
}

/** The part of main/kube's KubeClient the proxy transport needs (so tests can pass their own). */
export interface KubeRawClient {
  readonly server: string;
  readonly contextName: string;
  request(
    path: string,
    init?: { method?: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number; maxBytes?: number },
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }>;
}

export interface ServiceRef {
  namespace: string;
  name: string;
  port: number;
  scheme: 'http' | 'https';
}

/** `/api/v1/namespaces/<ns>/services/[https:]<name>:<port>/proxy` (names are DNS labels; still encoded). */
export function serviceProxyBase(s: ServiceRef): string {
  const spec = `${s.scheme === 'https' ? 'https:' : ''}${s.name}:${s.port}`;
  return `/api/v1/namespaces/${encodeURIComponent(s.namespace)}/services/${encodeURIComponent(spec)}/proxy`;
}

/** Prometheus inside the cluster, through the API server's service proxy, with the user's kube credentials. */
export function kubeProxyTransport(client: KubeRawClient, service: ServiceRef, pathPrefix = ''): PromTransport {
  const base = `${serviceProxyBase(service)}${pathPrefix.replace(/\/+$/, '')}`;
  const shown = `service ${service.namespace}/${service.name}:${service.port} via ${client.server}`;
  return {
    kind: 'kube-proxy',
    describe: shown,
    close: () => undefined, // the kube client owns its sockets
    async fetch(path, init = {}) {
      try {
        return await client.request(`${base}${path}`, {
          method: init.method ?? 'GET',
          ...(init.body !== undefined ? { body: init.body } : {}),
          headers: { accept: 'application/json', ...init.headers },
          ...(init.signal ? { signal: init.signal } : {}),
          timeoutMs: init.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          maxBytes: DEFAULT_MAX_BYTES,
        });
      } catch (e) {
        if (e instanceof ApiError) {
          // The kube client already classified it (UNREACHABLE, TLS, TIMEOUT...): say it was the API server.
          const stage = e.code === 'TIMEOUT' ? 'timeout' : e.code === 'CANCELLED' ? 'cancelled' : e.code === 'TLS' ? 'tls' : 'kube';
          throw new ApiError(e.code, `Reaching ${shown}: ${e.message}`, { details: { ...(e.details ?? {}), stage, url: shown }, cause: e });
        }
        throw classifyNetError(e, shown, false);
      }
    },
  };
}

/**
 * When the API server itself (not Prometheus) answered a proxied call: a Status object with a
 * failure. Returns a classified error, or null when the answer came from Prometheus.
 */
export function kubeProxyError(t: PromTransport, res: PromHttpResponse): ApiError | null {
  if (t.kind !== 'kube-proxy') return null;
  const text = res.body.toString('utf8', 0, Math.min(res.body.length, 4096));
  if (!text.includes('"kind":"Status"') && !text.includes('"kind": "Status"')) return null;
  let st: { message?: string; reason?: string; code?: number };
  try {
    st = JSON.parse(res.body.toString('utf8')) as typeof st;
  } catch {
    return null;
  }
  const msg = st.message ?? st.reason ?? `HTTP ${res.status}`;
  // 401 is about the kube credentials; the rest is about the proxied service or the right to proxy it.
  const details = { url: t.describe, status: res.status, stage: res.status === 401 ? 'kube' : 'proxy', reason: st.reason ?? null };
  switch (res.status) {
    case 401:
      return new ApiError('UNAUTHORIZED', `The API server rejected the kube credentials for ${t.describe} (401): ${msg}`, { details });
    case 403:
      return new ApiError('FORBIDDEN', `Your kube user may not use the service proxy for ${t.describe} (403; needs "get" on services/proxy in that namespace): ${msg}`, { details });
    case 404:
      return new ApiError('NOT_FOUND', `The API server has no ${t.describe.split(' via ')[0]} (404): ${msg}`, { details });
    case 503:
      return new ApiError('UNREACHABLE', `The API server cannot reach ${t.describe.split(' via ')[0]} (503): ${msg}`, { details });
    default:
      return res.status >= 400 ? new ApiError('UPSTREAM', `The API server's service proxy failed for ${t.describe} (${res.status}): ${msg}`, { details }) : null;
  }
}
