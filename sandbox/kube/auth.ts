// Authentication (static bearer tokens, new at every start) and a fixed RBAC policy with two
// users: `admin` may do everything; `viewer` may get/list/watch and GET through the service
// proxy. Denials carry the exact wording of the real RBAC authorizer, which the app shows.
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { forbidden, type KubeError } from './errors.js';

export interface User {
  name: 'admin' | 'viewer';
  groups: string[];
  uid: string;
}

export interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string | undefined;
  namespace?: string | undefined;
  name?: string | undefined;
}

export interface Tokens {
  admin: string;
  viewer: string;
}

export function newTokens(): Tokens {
  return { admin: `sandbox-admin.${randomBytes(24).toString('hex')}`, viewer: `sandbox-viewer.${randomBytes(24).toString('hex')}` };
}

/**
 * OIDC as kube-apiserver's --oidc-* flags do it: a bearer token that is a JWT signed (RS256) by the
 * issuer's key, with the right `iss` and `aud`, not expired. `groups` containing `meshdeck:admins`
 * makes the caller admin, anything else viewer. Lets the app's OIDC users be tested end to end.
 */
export interface OidcOptions {
  issuer: string;
  audience: string;
  /** PEM of the issuer's RSA public key. */
  publicKeyPem: string;
}

function b64json(part: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function verifyOidcToken(token: string, oidc: OidcOptions, nowSec = Date.now() / 1000): User | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, sig] = parts as [string, string, string];
  const header = b64json(h);
  const claims = b64json(p);
  if (!header || !claims || header.alg !== 'RS256') return undefined;
  const ok = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey(oidc.publicKeyPem), Buffer.from(sig, 'base64url'));
  if (!ok) return undefined;
  const aud = claims.aud;
  const audOk = aud === oidc.audience || (Array.isArray(aud) && aud.includes(oidc.audience));
  if (claims.iss !== oidc.issuer || !audOk || typeof claims.exp !== 'number' || claims.exp <= nowSec) return undefined;
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : [];
  const sub = typeof claims.email === 'string' ? claims.email : String(claims.sub ?? 'oidc-user');
  return groups.includes('meshdeck:admins')
    ? { name: 'admin', groups: [...groups, 'system:authenticated'], uid: `oidc:${sub}` }
    : { name: 'viewer', groups: [...groups, 'system:authenticated'], uid: `oidc:${sub}` };
}

export class Authenticator {
  private readonly byToken: Map<string, User>;

  constructor(readonly tokens: Tokens, private readonly oidc?: OidcOptions) {
    this.byToken = new Map([
      [tokens.admin, { name: 'admin', groups: ['system:masters', 'system:authenticated'], uid: 'sandbox-admin' }],
      [tokens.viewer, { name: 'viewer', groups: ['meshdeck:viewers', 'system:authenticated'], uid: 'sandbox-viewer' }],
    ]);
  }

  authenticate(authorization: string | undefined): User | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return undefined;
    return this.byToken.get(m[1]!) ?? (this.oidc ? verifyOidcToken(m[1]!, this.oidc) : undefined);
  }
}

const READ_VERBS = new Set(['get', 'list', 'watch']);
/** Everybody may ask who they are and what they can do. */
const SELF_REVIEWS = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews']);

export function authorize(user: User, a: Attributes): boolean {
  if (user.name === 'admin') return true;
  if (SELF_REVIEWS.has(a.resource) && a.verb === 'create') return true;
  if (a.resource === 'services' && a.subresource === 'proxy') return a.verb === 'get';
  return READ_VERBS.has(a.verb);
}

/** The RBAC denial message, word for word as kube-apiserver phrases it. */
export function forbiddenFor(user: User, a: Attributes): KubeError {
  const res = a.group ? `${a.resource}.${a.group}` : a.resource;
  const target = a.name ? `${res} "${a.name}"` : res;
  const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const message = `${target} is forbidden: User "${user.name}" cannot ${a.verb} resource "${full}" in API group "${a.group}" ${where}`;
  return forbidden(message, { ...(a.name ? { name: a.name } : {}), group: a.group, kind: a.resource });
}

/** HTTP method to RBAC verb (for the proxy and plain resource requests). */
export function verbForMethod(method: string, opts: { collection: boolean; watch: boolean }): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return opts.watch ? 'watch' : opts.collection ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return opts.collection ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}
