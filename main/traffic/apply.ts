/**
 * Applying a planned change: the side-effecting half of the public API.
 *
 *   applyPlanned(client, change, { signal }) → AppliedChange
 *
 * Each write is sent as a JSON patch whose first op tests the resourceVersion it was planned on
 * (never a blind overwrite). When the server says the object is stale (409 Conflict, or 422 for a
 * failed `test`), the object is re-read and the same ops are checked against it without the
 * resourceVersion test: if they still hold, the change is re-based on the fresh version and sent
 * again ("reapplied"); if not, the outcome is 'conflict' with a diff of what changed.
 * When the connection breaks mid-write, the object is re-read to tell whether the write landed.
 * Writes run in order and stop at the first one that does not land.
 */
import { ApiError } from '../../shared/errors';
import type { ApplyOutcome, ObjectRef } from '../../shared/traffic/model';
import { refKey } from '../../shared/traffic/model';
import type { KubeRequestInit, KubeResponse } from '../kube/service';
import { KubeHttpError } from '../kube/errors';
import { sleep, withTimeout } from '../util/abort';
import { deepEqual, isKubeObject } from './json';
import type { KubeObject } from './json';
import { applyPatch, failingTest, hasPath, rebase, valueAt, withoutRvTest } from './jsonpatch';
import type { JsonPatchOp } from './jsonpatch';
import { diffOf } from './plan';
import type { PlannedChange, PlannedObjectWrite } from './plan';

/** What applying needs from a connected context (KubeClient satisfies it). */
export interface KubeRequester {
  readonly contextName: string;
  request(path: string, init?: KubeRequestInit): Promise<KubeResponse>;
  errorFrom(err: unknown, extra?: { verb?: string; resource?: string }): ApiError;
}

export interface ApplyOptions {
  signal?: AbortSignal;
  /** Per request (default 15 s). */
  timeoutMs?: number;
  /** How many times a stale write is re-based before giving up (default 3). */
  maxRebases?: number;
  /** Re-reads after a broken connection (default 3, 1 s apart). */
  verifyAttempts?: number;
  verifyDelayMs?: number;
}

export interface AppliedWrite {
  write: PlannedObjectWrite;
  outcome: ApplyOutcome;
  reapplied: boolean;
  /** The object as the server returned it after the write (or as re-read). */
  result: KubeObject | null;
  message: string;
  /** For a conflict: what changed since the plan. */
  conflictDiff: string | null;
  error: ApiError | null;
}

export interface AppliedChange {
  outcome: ApplyOutcome;
  message: string;
  writes: AppliedWrite[];
}

const PLURALS: Record<string, string> = {
  VirtualService: 'virtualservices',
  DestinationRule: 'destinationrules',
  HTTPRoute: 'httproutes',
  TrafficSplit: 'trafficsplits',
  Service: 'services',
  Deployment: 'deployments',
};

export function collectionPath(apiVersion: string, kind: string, namespace: string): string {
  const plural = PLURALS[kind] ?? `${kind.toLowerCase()}s`;
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
}

export const objectPath = (r: ObjectRef): string => `${collectionPath(r.apiVersion, r.kind, r.namespace)}/${encodeURIComponent(r.name)}`;

const resourceOf = (r: ObjectRef): string => `${PLURALS[r.kind] ?? r.kind.toLowerCase()}.${r.apiVersion.split('/')[0]} "${r.name}" in namespace "${r.namespace}"`;

function statusMessage(res: KubeResponse): string {
  try {
    const b = res.json<{ message?: string }>();
    return typeof b.message === 'string' ? b.message : '';
  } catch {
    return '';
  }
}

/** 409, or a failed `test` op (the server answers 422 for those). */
function isStale(res: KubeResponse): boolean {
  if (res.status === 409) return true;
  return res.status === 422 && /test(ing value .*)? failed|testing value/i.test(statusMessage(res));
}

async function readObject(client: KubeRequester, ref: ObjectRef, opts: ApplyOptions, signal?: AbortSignal): Promise<KubeObject | null> {
  const res = await client.request(objectPath(ref), { signal: withTimeout(opts.timeoutMs ?? 15_000, signal), timeoutMs: opts.timeoutMs });
  if (res.status === 404) return null;
  if (res.status < 200 || res.status >= 300) {
    throw client.errorFrom(new KubeHttpError(res.status, res.text()), { verb: 'get', resource: resourceOf(ref) });
  }
  const o = res.json<unknown>();
  if (!isKubeObject(o)) throw new ApiError('UPSTREAM', `The API server returned something that is not a ${ref.kind} for ${refKey(ref)}.`);
  return o;
}

/** Did the write land? Decided from a fresh read after the connection broke. */
function judge(write: PlannedObjectWrite, fresh: KubeObject | null, ops: JsonPatchOp[]): { outcome: ApplyOutcome; message: string } {
  const key = refKey(write.ref);
  if (write.action === 'create') {
    if (fresh && write.after && deepEqual(fresh.spec, write.after.spec)) return { outcome: 'landed', message: `${key} was created (checked by re-reading).` };
    if (!fresh) return { outcome: 'failed', message: `${key} was not created (checked by re-reading): nothing changed.` };
    return { outcome: 'unknown', message: `${key} exists but not as planned: check it before retrying.` };
  }
  if (write.action === 'delete') {
    return fresh ? { outcome: 'failed', message: `${key} still exists: it was not deleted.` } : { outcome: 'landed', message: `${key} was deleted (checked by re-reading).` };
  }
  if (!fresh) return { outcome: 'unknown', message: `${key} no longer exists.` };
  if (write.after && deepEqual(fresh.spec, write.after.spec)) return { outcome: 'landed', message: `The change to ${key} landed (checked by re-reading).` };
  if (fresh.metadata.resourceVersion === write.resourceVersion) return { outcome: 'failed', message: `The change to ${key} did not land (checked by re-reading): the object is unchanged.` };
  // Someone else wrote too: look at the fields this write changes.
  const changes = ops.filter((o) => o.op !== 'test');
  const applied = changes.every((c) => (c.op === 'remove' ? !hasPath(fresh, c.path) : deepEqual(valueAt(fresh, c.path), c.value)));
  if (applied) return { outcome: 'landed', message: `The change to ${key} landed (checked by re-reading; the object has other changes too).` };
  if (!failingTest(fresh, withoutRvTest(ops))) return { outcome: 'failed', message: `The change to ${key} did not land (checked by re-reading).` };
  return { outcome: 'unknown', message: `${key} changed in the meantime and it is not clear whether this change landed: review it before retrying.` };
}

async function verify(client: KubeRequester, write: PlannedObjectWrite, ops: JsonPatchOp[], opts: ApplyOptions): Promise<{ outcome: ApplyOutcome; message: string; fresh: KubeObject | null }> {
  const attempts = opts.verifyAttempts ?? 3;
  let last: unknown = null;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(opts.verifyDelayMs ?? 1000).catch(() => undefined);
    try {
      // A fresh signal: the user's cancel must not stop us from finding out what happened.
      const fresh = await readObject(client, write.ref, { ...opts, timeoutMs: Math.min(opts.timeoutMs ?? 15_000, 5000) });
      return { ...judge(write, fresh, ops), fresh };
    } catch (err) {
      last = err;
    }
  }
  const why = last instanceof Error ? last.message : String(last);
  return {
    outcome: 'unknown',
    message: `The connection broke while writing ${refKey(write.ref)}, and re-reading it failed too (${why}). The change may or may not have landed: use "Re-check" once the cluster is reachable.`,
    fresh: null,
  };
}

function bodyObject(res: KubeResponse): KubeObject | null {
  try {
    const o = res.json<unknown>();
    return isKubeObject(o) ? o : null;
  } catch {
    return null;
  }
}

async function send(client: KubeRequester, write: PlannedObjectWrite, ops: JsonPatchOp[], opts: ApplyOptions): Promise<KubeResponse> {
  const init: KubeRequestInit = { signal: opts.signal, timeoutMs: opts.timeoutMs };
  if (write.action === 'patch') {
    return client.request(objectPath(write.ref), { ...init, method: 'PATCH', headers: { 'Content-Type': 'application/json-patch+json' }, body: JSON.stringify(ops) });
  }
  if (write.action === 'create') {
    return client.request(collectionPath(write.ref.apiVersion, write.ref.kind, write.ref.namespace), { ...init, method: 'POST', body: write.after ?? {} });
  }
  return client.request(objectPath(write.ref), {
    ...init,
    method: 'DELETE',
    body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: write.resourceVersion } },
  });
}

const verbOf = (w: PlannedObjectWrite) => (w.action === 'patch' ? 'patch' : w.action === 'create' ? 'create' : 'delete');

export async function applyWrite(client: KubeRequester, write: PlannedObjectWrite, opts: ApplyOptions = {}): Promise<AppliedWrite> {
  let ops = write.patch;
  let reapplied = false;
  const key = refKey(write.ref);
  const done = (outcome: ApplyOutcome, message: string, extra: Partial<AppliedWrite> = {}): AppliedWrite => ({
    write, outcome, reapplied, result: null, message, conflictDiff: null, error: null, ...extra,
  });
  for (let attempt = 0; ; attempt++) {
    let res: KubeResponse;
    try {
      res = await send(client, write, ops, opts);
    } catch (err) {
      // No answer (network, timeout, cancel): find out whether it landed.
      const v = await verify(client, write, ops, opts);
      const e = err instanceof ApiError ? err : client.errorFrom(err, { verb: verbOf(write), resource: resourceOf(write.ref) });
      return done(v.outcome, v.message, { result: v.fresh, error: v.outcome === 'landed' ? null : e });
    }
    if (res.status >= 200 && res.status < 300) {
      const obj = bodyObject(res);
      return done('landed', `${key}: ${write.action === 'patch' ? 'patched' : write.action === 'create' ? 'created' : 'deleted'}${reapplied ? ' (re-applied on the newer version)' : ''}${obj?.metadata.resourceVersion ? `, resourceVersion ${obj.metadata.resourceVersion}` : ''}.`, { result: obj });
    }
    const error = client.errorFrom(new KubeHttpError(res.status, res.text()), { verb: verbOf(write), resource: resourceOf(write.ref) });
    if (res.status === 403) return done('forbidden', error.message, { error });
    if (write.action === 'create' && res.status === 409) {
      return done('conflict', `${key} was created by someone else in the meantime: review the change again.`, { error });
    }
    if (write.action === 'delete' && (res.status === 409 || res.status === 404)) {
      return res.status === 404 ? done('noop', `${key} is already gone.`) : done('conflict', `${key} changed since it was read: not deleted.`, { error });
    }
    if (write.action !== 'patch' || !isStale(res)) return done('failed', error.message, { error });

    // Stale: re-read and check whether the same change still applies cleanly.
    let fresh: KubeObject | null;
    try {
      fresh = await readObject(client, write.ref, opts, opts.signal);
    } catch (err) {
      const e = err instanceof ApiError ? err : client.errorFrom(err, { verb: 'get', resource: resourceOf(write.ref) });
      return done('failed', `${key} changed since it was read, and re-reading it failed: ${e.message}`, { error: e });
    }
    if (!fresh) return done('conflict', `${key} was deleted since it was read.`, { error });
    if (write.after && deepEqual(fresh.spec, write.after.spec)) {
      return done('noop', `${key} already has this change (someone made the same edit).`, { result: fresh });
    }
    const failing = failingTest(fresh, withoutRvTest(ops));
    if (failing) {
      return done('conflict', `${key} changed since it was read, at ${failing.path}: the change no longer applies cleanly. Review the new state and plan again.`, {
        result: fresh,
        conflictDiff: diffOf(write.before, fresh),
        error,
      });
    }
    if (attempt >= (opts.maxRebases ?? 3)) {
      return done('conflict', `${key} keeps changing under this edit (${attempt + 1} tries): try again later.`, { result: fresh, error });
    }
    ops = rebase(ops, fresh.metadata.resourceVersion ?? '');
    // The rebased ops must still be a well-formed edit of the fresh object.
    applyPatch(fresh, ops);
    reapplied = true;
  }
}

export async function applyPlanned(client: KubeRequester, change: Pick<PlannedChange, 'writes'>, opts: ApplyOptions = {}): Promise<AppliedChange> {
  if ('issues' in change && Array.isArray(change.issues) && change.issues.length > 0) {
    const first = (change.issues as { field: string; message: string }[])[0]!;
    throw new ApiError('BAD_INPUT', first.message, { field: first.field });
  }
  const writes: AppliedWrite[] = [];
  for (const w of change.writes) {
    const r = await applyWrite(client, w, opts);
    writes.push(r);
    if (r.outcome !== 'landed' && r.outcome !== 'noop') break;
  }
  if (writes.length === 0) return { outcome: 'noop', message: 'Nothing to change: the object already has this state.', writes };
  const bad = writes.find((w) => w.outcome !== 'landed' && w.outcome !== 'noop');
  if (!bad) {
    const all = writes.every((w) => w.outcome === 'noop');
    return { outcome: all ? 'noop' : 'landed', message: writes.map((w) => w.message).join(' '), writes };
  }
  const landedBefore = writes.filter((w) => w !== bad && w.outcome === 'landed').map((w) => refKey(w.write.ref));
  return {
    outcome: bad.outcome,
    message: `${bad.message}${landedBefore.length ? ` (Already written: ${landedBefore.join(', ')}.)` : ''}`,
    writes,
  };
}

