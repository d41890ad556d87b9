// Authentication (static bearer tokens, new at every start) and a fixed RBAC policy with two
// users: `admin` may do everything; `viewer` may get/list/watch and GET through the service
// proxy. Denials carry the exact wording of the real RBAC authorizer, which the app shows.
import { randomBytes } from 'node:crypto';
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

export class Authenticator {
  private readonly byToken: Map<string, User>;

  constructor(readonly tokens: Tokens) {
    this.byToken = new Map([
      [tokens.admin, { name: 'admin', groups: ['system:masters', 'system:authenticated'], uid: 'sandbox-admin' }],
      [tokens.viewer, { name: 'viewer', groups: ['meshdeck:viewers', 'system:authenticated'], uid: 'sandbox-viewer' }],
    ]);
  }

  authenticate(authorization: string | undefined): User | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return m ? this.byToken.get(m[1]!) : undefined;
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
