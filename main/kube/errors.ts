import { ApiError } from '../../shared/errors';
import type { ApiErrorShape, ErrorCode } from '../../shared/errors';

/**
 * Turns whatever a Kubernetes call threw (a socket error, a TLS error, an HTTP status with a
 * Status body, a client-node ApiException, an abort) into one ApiError whose message names the
 * context and the server. Shared by every capability that talks to a cluster.
 */
export interface KubeErrorScope {
  /** Context name (or id) the call was made for. */
  context: string;
  /** API server URL. */
  server: string | null;
  /** What was attempted, e.g. 'list'; filled from the Status body when the server says. */
  verb?: string;
  /** What it was attempted on, e.g. 'virtualservices.networking.istio.io'. */
  resource?: string;
}

/** An HTTP answer that is not 2xx; thrown by the raw request helpers, understood by kubeErrorFrom. */
export class KubeHttpError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(status: number, body: string, message = `HTTP ${status}`) {
    super(message);
    this.name = 'KubeHttpError';
    this.status = status;
    this.body = body;
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE',
  'EHOSTDOWN', 'ENETDOWN', 'ECONNABORTED', 'UND_ERR_SOCKET', 'ERR_SOCKET_CLOSED', 'ERR_PROXY_CONNECTION_FAILED',
]);

const TLS_REASONS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not signed by a trusted certificate authority",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain ends in a self-signed CA that the kubeconfig does not trust",
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server presents a self-signed certificate that the kubeconfig does not trust',
  UNABLE_TO_GET_ISSUER_CERT: "the issuer of the server's certificate is unknown",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the issuer of the server's certificate is not in the kubeconfig's certificate authority",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not name this host (set tls-server-name if it is reached by another name)",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet (check the clock)",
  CERT_SIGNATURE_FAILURE: "the server's certificate signature is invalid",
  CERT_REVOKED: "the server's certificate was revoked",
  CERT_UNTRUSTED: "the server's certificate is not trusted",
  CERT_REJECTED: "the server's certificate was rejected",
  HOSTNAME_MISMATCH: "the server's certificate does not name this host",
  ERR_TLS_HANDSHAKE_TIMEOUT: 'the TLS handshake timed out',
};

function errCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' ? c : undefined;
}

/** Node and fetch nest the interesting error in `cause` (sometimes twice). */
function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur !== undefined && cur !== null; i++) {
    out.push(cur);
    cur = typeof cur === 'object' ? (cur as { cause?: unknown }).cause : undefined;
  }
  return out;
}

function where(scope: KubeErrorScope): string {
  return scope.server ? `context "${scope.context}" (${scope.server})` : `context "${scope.context}"`;
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string };
  code?: number;
}

function parseStatus(body: unknown): StatusBody | null {
  let obj: unknown = body;
  if (typeof body === 'string') {
    try {
      obj = JSON.parse(body);
    } catch {
      return null;
    }
  } else if (Buffer.isBuffer(body)) {
    return parseStatus(body.toString('utf8'));
  }
  if (typeof obj !== 'object' || obj === null) return null;
  const s = obj as StatusBody;
  return typeof s.message === 'string' || typeof s.reason === 'string' ? s : null;
}

/** `User "x" cannot list resource "namespaces" in API group "" at the cluster scope` → its parts. */
export function parseForbidden(message: string): { user?: string; verb?: string; resource?: string; group?: string; namespace?: string } {
  const m = /User "([^"]*)" cannot (\S+) resource "([^"]*)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]*)")?/.exec(message);
  if (!m) return {};
  const out: { user?: string; verb?: string; resource?: string; group?: string; namespace?: string } = {};
  if (m[1] !== undefined) out.user = m[1];
  if (m[2] !== undefined) out.verb = m[2];
  if (m[3] !== undefined) out.resource = m[3];
  if (m[4] !== undefined) out.group = m[4];
  if (m[5] !== undefined) out.namespace = m[5];
  return out;
}

/** Status text without trailing punctuation and bounded, so it fits in one sentence. */
function clip(s: string, max = 400): string {
  const t = s.trim().replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

function fromHttp(status: number, body: unknown, scope: KubeErrorScope, cause: unknown): ApiError {
  const st = parseStatus(body);
  const serverMsg = st?.message ? clip(st.message) : '';
  const details: NonNullable<ApiErrorShape['details']> = { status, context: scope.context, server: scope.server };
  if (st?.reason) details.reason = st.reason;
  const at = where(scope);
  const what = scope.resource ? `${scope.verb ? `${scope.verb} ` : ''}${scope.resource}` : '';
  const mk = (code: ErrorCode, message: string) => new ApiError(code, message, { details, cause });
  switch (status) {
    case 401:
      return mk(
        'UNAUTHORIZED',
        `The API server of ${at} rejected the credentials (401 Unauthorized)${serverMsg && serverMsg !== 'Unauthorized' ? `: ${serverMsg}` : ''}. The token or certificate may have expired.`,
      );
    case 403: {
      const f = parseForbidden(serverMsg);
      const verb = f.verb ?? scope.verb;
      const resource = f.resource ? (f.group ? `${f.resource}.${f.group}` : f.resource) : scope.resource;
      if (verb) details.verb = verb;
      if (resource) details.resource = resource;
      if (f.user) details.user = f.user;
      if (f.namespace) details.namespace = f.namespace;
      const who = f.user ? `user "${f.user}"` : 'the user';
      const scopeText = f.namespace ? ` in namespace "${f.namespace}"` : '';
      const action = verb && resource ? `${who} may not ${verb} ${resource}${scopeText}` : `${who} is not allowed to do this${what ? ` (${what})` : ''}`;
      // The server's own sentence only adds something when it couldn't be read into verb and resource.
      const extra = serverMsg && !(f.verb && f.resource) ? ` Server: ${serverMsg}` : '';
      return mk('FORBIDDEN', `On ${at}, ${action} (403 Forbidden).${extra}`);
    }
    case 404:
      return mk('NOT_FOUND', `Not found on ${at}${what ? `: ${what}` : ''}${serverMsg ? ` — ${serverMsg}` : ''}.`);
    case 409:
      return mk('CONFLICT', `Conflict on ${at}${what ? ` (${what})` : ''}: ${serverMsg || 'the object changed since it was read'}.`);
    case 408:
    case 504:
      return mk('TIMEOUT', `The API server of ${at} timed out (${status})${serverMsg ? `: ${serverMsg}` : ''}.`);
    case 400:
    case 422:
      return mk('BAD_INPUT', `The API server of ${at} refused the request (${status})${what ? ` for ${what}` : ''}: ${serverMsg || 'invalid request'}.`);
    default:
      return mk(
        'UPSTREAM',
        `The API server of ${at} answered ${status}${what ? ` for ${what}` : ''}${serverMsg ? `: ${serverMsg}` : ''}.`,
      );
  }
}

/** An HTTP status carried by a client-node ApiException, a KubeHttpError or anything shaped like them. */
function httpStatusOf(err: unknown): { status: number; body: unknown } | null {
  if (err instanceof KubeHttpError) return { status: err.status, body: err.body };
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; statusCode?: unknown; body?: unknown; name?: unknown };
    // client-node's ApiException: numeric `code`, `body` (parsed or text).
    if (typeof e.code === 'number' && e.code >= 100 && e.code < 600) return { status: e.code, body: e.body };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400) return { status: e.statusCode, body: e.body };
  }
  return null;
}

export function kubeErrorFrom(err: unknown, scope: KubeErrorScope): ApiError {
  if (err instanceof ApiError) return err;
  const at = where(scope);
  const http = httpStatusOf(err);
  if (http) return fromHttp(http.status, http.body, scope, err);

  const chain = causes(err);
  const baseDetails = (extra: Record<string, string | number | boolean | null> = {}) => ({ context: scope.context, server: scope.server, ...extra });

  for (const e of chain) {
    if (!(e instanceof Error)) continue;
    if (e.name === 'TimeoutError') return new ApiError('TIMEOUT', `No answer from ${at} in time.`, { details: baseDetails(), cause: err });
  }
  for (const e of chain) {
    if (e instanceof Error && e.name === 'AbortError') return new ApiError('CANCELLED', `The call to ${at} was cancelled.`, { details: baseDetails(), cause: err });
  }

  for (const e of chain) {
    const code = errCode(e);
    const msg = e instanceof Error ? e.message : '';
    if (code && TLS_REASONS[code]) {
      return new ApiError('TLS', `TLS failure talking to ${at}: ${TLS_REASONS[code]} (${code}).`, { details: baseDetails({ errno: code }), cause: err });
    }
    if (
      (code && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_') || code.startsWith('ERR_TLS_') || code.startsWith('CERT_'))) ||
      (code === 'EPROTO' && /ssl|tls|alert|wrong version/i.test(msg))
    ) {
      const why = /wrong version number|packet length too long|http request/i.test(msg)
        ? 'the server does not speak TLS on this port (is it http:// rather than https://?)'
        : /certificate required|bad certificate|unknown ca/i.test(msg)
          ? 'the server rejected the client certificate'
          : clip(msg.split('\n')[0] ?? msg, 200);
      return new ApiError('TLS', `TLS failure talking to ${at}: ${why} (${code}).`, { details: baseDetails({ errno: code }), cause: err });
    }
    if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
      return new ApiError('TIMEOUT', `No answer from ${at} in time (${code}).`, { details: baseDetails({ errno: code }), cause: err });
    }
    if (code && UNREACHABLE_CODES.has(code)) {
      const reason: Record<string, string> = {
        ECONNREFUSED: 'connection refused',
        ENOTFOUND: 'host name not found',
        EAI_AGAIN: 'DNS lookup failed',
        EHOSTUNREACH: 'host unreachable',
        ENETUNREACH: 'network unreachable',
        ECONNRESET: 'connection reset',
      };
      return new ApiError('UNREACHABLE', `Cannot reach the API server of ${at}: ${reason[code] ?? code} (${code}).`, {
        details: baseDetails({ errno: code }),
        cause: err,
      });
    }
    if (/socket hang up/i.test(msg)) {
      return new ApiError('UNREACHABLE', `Cannot reach the API server of ${at}: the connection closed before an answer (socket hang up).`, {
        details: baseDetails({ errno: 'ECONNRESET' }),
        cause: err,
      });
    }
    if (code === 'ENOENT' || code === 'EACCES') {
      const p = (e as { path?: unknown }).path;
      return new ApiError('INVALID_CONFIG', `Context "${scope.context}": cannot read ${typeof p === 'string' ? p : 'a file it names'} (${code}).`, {
        details: baseDetails({ errno: code }),
        cause: err,
      });
    }
  }
  const first = chain[0];
  const message = first instanceof Error ? first.message : String(first);
  return new ApiError('UPSTREAM', `Call to ${at} failed: ${clip(message, 300)}`, { details: baseDetails(), cause: err });
}
