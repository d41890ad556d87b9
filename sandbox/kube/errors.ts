// Errors in the exact shape the real API server sends (meta/v1 Status), so clients that
// branch on `reason`/`code` (client-go's IsConflict, client-node's ApiException.code,
// kubectl's "Error from server (NotFound)") behave as they do against a real cluster.
import type { Status, StatusCause } from './types.js';

export class KubeError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
  }
  get code(): number {
    return this.status.code;
  }
}

/** What the messages need to name a resource: `virtualservices.networking.istio.io`. */
export interface ResourceName {
  group: string;
  plural: string;
}

export function qualified(r: ResourceName): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

export function failure(code: number, reason: string, message: string, details?: Status['details']): KubeError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return new KubeError(status);
}

export function notFound(r: ResourceName, name: string): KubeError {
  return failure(404, 'NotFound', `${qualified(r)} "${name}" not found`, { name, group: r.group, kind: r.plural });
}

export function pathNotFound(): KubeError {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(r: ResourceName, name: string): KubeError {
  return failure(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, { name, group: r.group, kind: r.plural });
}

export function conflict(r: ResourceName, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): KubeError {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, {
    name,
    group: r.group,
    kind: r.plural,
  });
}

/** 422 with field causes; `kind` here is the Kind (real servers name the Kind in Invalid errors). */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): KubeError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const text = causes.map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? ''))).join(', ');
  const detail = causes.length > 1 ? `[${text}]` : text;
  return failure(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${detail}`, { name, group, kind, causes });
}

export function badRequest(message: string): KubeError {
  return failure(400, 'BadRequest', message);
}

export function methodNotAllowed(): KubeError {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export function unsupportedMediaType(contentType: string, accepted: string[]): KubeError {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}` +
      (contentType ? ` (got ${contentType})` : ''),
  );
}

export function expired(message: string): KubeError {
  return failure(410, 'Expired', message);
}

export function unauthorized(): KubeError {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

export function forbidden(message: string, details: Status['details']): KubeError {
  return failure(403, 'Forbidden', message, details);
}

export function internalError(message: string): KubeError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

export function successStatus(r: ResourceName, name: string, uid: string | undefined): Status {
  const details: NonNullable<Status['details']> = { name, group: r.group, kind: r.plural };
  if (uid) details.uid = uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}
