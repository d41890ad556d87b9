/**
 * Planning a routing change: the pure half of the public API.
 *
 *   planChange(snapshot, op) → PlannedChange
 *
 * reads the model through the object's adapter, validates the op (issues by field), applies it to
 * a copy of the object, and turns the difference into guarded JSON patches — one per object
 * written (a DestinationRule gaining subsets comes first, then the route object). Nothing is sent:
 * `applyPlanned` (apply.ts) does that. The canary controller uses it as its step:
 *
 *   const change = planChange(await readSnapshot(...), { op: 'setWeights', weights: { stable: 80, canary: 20 } });
 *   if (change.issues.length === 0) await applyPlanned(client, change, { signal });
 */
import { ApiError } from '../../shared/errors';
import { describeOp, refKey } from '../../shared/traffic/model';
import type { ObjectRef, OwnerInfo, RoutingModel, TrafficOp, ValidationIssue } from '../../shared/traffic/model';
import { validateOp } from '../../shared/traffic/validate';
import { adapterFor } from './adapters';
import type { RoutingAdapter, RoutingContext } from './adapters';
import { clone, deepEqual, isObj } from './json';
import type { KubeObject } from './json';
import { applyPatch, assemble, failingTest, pointer, structuralDiff, withoutRvTest } from './jsonpatch';
import type { JsonPatchOp } from './jsonpatch';
import { detectOwners } from './ownership';
import { toYaml, unifiedDiff } from './render';

/** The routing object as read, and what is around it. */
export interface RoutingSnapshot {
  object: KubeObject;
  context: RoutingContext;
  /** Which service of a multi-host VirtualService (default: its first). */
  service?: string;
}

export interface PlannedObjectWrite {
  ref: ObjectRef;
  action: 'patch' | 'create' | 'delete';
  /** The version the write is guarded by ('' for a create). */
  resourceVersion: string;
  /** RFC 6902 ops: `test /metadata/resourceVersion` first, then identity and old-value tests, then the changes. */
  patch: JsonPatchOp[];
  before: KubeObject | null;
  after: KubeObject | null;
  /** Unified diff of the YAML before → after. */
  diff: string;
}

export interface PlannedChange {
  summary: string;
  op: TrafficOp | null;
  model: RoutingModel;
  issues: ValidationIssue[];
  /** In the order they must be applied. Empty when invalid or when there is nothing to change. */
  writes: PlannedObjectWrite[];
  owners: OwnerInfo[];
}

export const refOf = (o: KubeObject): ObjectRef => ({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name });

export function readModel(snap: RoutingSnapshot): RoutingModel {
  return requireAdapter(snap.object).read(snap.object, snap.context, snap.service);
}

export function requireAdapter(obj: KubeObject): RoutingAdapter {
  const a = adapterFor(obj.kind);
  if (!a) throw new ApiError('BAD_INPUT', `meshdeck does not edit ${obj.kind} objects (VirtualService, HTTPRoute and TrafficSplit only).`, { field: 'kind' });
  return a;
}

export function diffOf(before: KubeObject | null, after: KubeObject | null): string {
  const o = after ?? before;
  const name = o ? `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}` : 'object';
  return unifiedDiff(name, toYaml(before), toYaml(after));
}

/**
 * The guarded patch turning `before` into `after` (only `spec` may differ). Tests: the
 * resourceVersion, the identity of each touched route (adapter), and the old value of every
 * changed field. Null when the specs are equal.
 */
export function patchWrite(before: KubeObject, after: KubeObject, adapter: RoutingAdapter | null): PlannedObjectWrite | null {
  const { tests, changes } = structuralDiff(before.spec, after.spec, ['spec']);
  if (changes.length === 0) return null;
  const identity = adapter ? adapter.identityTests(before, changes.map((c) => c.path)) : hostTest(before);
  const patch = assemble(before.metadata.resourceVersion ?? '', [...identity, ...tests], changes);
  // Self-check: the patch must produce exactly `after` from `before`.
  const check = applyPatch(before, patch);
  if (!deepEqual(check.spec, after.spec)) {
    throw new ApiError('INTERNAL', `The patch computed for ${before.kind} ${before.metadata.name} does not reproduce the edit; nothing was sent.`);
  }
  return { ref: refOf(before), action: 'patch', resourceVersion: before.metadata.resourceVersion ?? '', patch, before, after, diff: diffOf(before, after) };
}

/** A DestinationRule is identified by its host. */
function hostTest(o: KubeObject): JsonPatchOp[] {
  return isObj(o.spec) && o.spec.host !== undefined ? [{ op: 'test', path: pointer(['spec', 'host']), value: clone(o.spec.host) }] : [];
}

export function planChange(snap: RoutingSnapshot, op: TrafficOp): PlannedChange {
  const adapter = requireAdapter(snap.object);
  const model = adapter.read(snap.object, snap.context, snap.service);
  const related = snap.context.destinationRules.filter((d) => model.available.some((a) => a.detail === `DestinationRule ${d.metadata.name}`));
  const owners = detectOwners(snap.object, related);
  const base = { summary: describeOp(op), op, model, owners };
  const issues = validateOp(model, op);
  if (issues.length > 0) return { ...base, issues, writes: [] };
  const result = adapter.apply(snap.object, op, snap.context, model);
  const writes: PlannedObjectWrite[] = [];
  for (const side of result.before) {
    if (side.action === 'create' || !side.before) {
      writes.push({ ref: refOf(side.after), action: 'create', resourceVersion: '', patch: [], before: null, after: side.after, diff: diffOf(null, side.after) });
    } else {
      const w = patchWrite(side.before, side.after, null);
      if (w) writes.push(w);
    }
  }
  const main = patchWrite(snap.object, result.after, adapter);
  if (main) writes.push(main);
  return { ...base, issues: [], writes };
}

/**
 * Undo one write: put back the `before` spec of the fields the write changed, if `current` still
 * has what the write left there. Returns the write, or a conflict saying what changed since.
 */
export function planRestore(
  current: KubeObject | null,
  written: { object: ObjectRef; action: 'patch' | 'create'; before: KubeObject | null; after: KubeObject | null },
): { write: PlannedObjectWrite | null; conflict: string | null } {
  const key = refKey(written.object);
  if (written.action === 'create') {
    if (!current) return { write: null, conflict: null }; // already gone
    if (!written.after || !deepEqual(current.spec, written.after.spec)) {
      return { write: null, conflict: `${key} changed since it was created: deleting it would drop those changes.\n${diffOf(written.after, current)}` };
    }
    return {
      write: { ref: refOf(current), action: 'delete', resourceVersion: current.metadata.resourceVersion ?? '', patch: [], before: current, after: null, diff: diffOf(current, null) },
      conflict: null,
    };
  }
  if (!current) return { write: null, conflict: `${key} no longer exists.` };
  if (!written.before || !written.after) return { write: null, conflict: `The audit entry for ${key} has no saved spec to restore.` };
  const adapter = adapterFor(written.object.kind);
  // Ops that turn the "after" spec back into "before", checked against the object as it is now.
  const { tests, changes } = structuralDiff(written.after.spec, written.before.spec, ['spec']);
  if (changes.length === 0) return { write: null, conflict: null };
  const identity = adapter ? adapter.identityTests(written.after, changes.map((c) => c.path)) : hostTest(written.after);
  const ops = assemble(current.metadata.resourceVersion ?? '', [...identity, ...tests], changes);
  const failing = failingTest(current, withoutRvTest(ops));
  if (failing) {
    return {
      write: null,
      conflict: `${key} changed at ${failing.path} since this change was made: undoing it would overwrite that.\n${diffOf(written.after, current)}`,
    };
  }
  const after = applyPatch(current, ops);
  return {
    write: { ref: refOf(current), action: 'patch', resourceVersion: current.metadata.resourceVersion ?? '', patch: ops, before: current, after, diff: diffOf(current, after) },
    conflict: null,
  };
}
