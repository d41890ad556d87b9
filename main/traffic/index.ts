/**
 * Traffic control. Public API for other capabilities (the canary controller):
 *
 *   readSnapshot(client, ref, service?, signal?)  → RoutingSnapshot      (read.ts: the object fresh + its surroundings)
 *   planChange(snapshot, op)                       → PlannedChange        (plan.ts: pure; issues by field, guarded JSON patches, diffs)
 *   applyPlanned(client, change, { signal })       → AppliedChange        (apply.ts: guarded writes, conflict re-check, landed/unknown)
 *   service.change({ contextId, object, op })      → ApplyResult & {plan} (all three, plus the audit log)
 *
 * A weight step is `{ op: 'setWeights', weights: { primary: 90, canary: 10 } }` (route omitted →
 * the default weighted route).
 */
export { readSnapshot, readObject, listRouting, readContext, preferredVersion } from './read';
export type { KubeReader } from './read';
export { planChange, planRestore, readModel, patchWrite, diffOf } from './plan';
export type { RoutingSnapshot, PlannedChange, PlannedObjectWrite } from './plan';
export { applyPlanned, applyWrite, objectPath, collectionPath } from './apply';
export type { KubeRequester, ApplyOptions, AppliedChange, AppliedWrite } from './apply';
export { detectOwners } from './ownership';
export { createTrafficService } from './service';
export type { TrafficService, TrafficKube, TrafficServiceOptions } from './service';
export { trafficHandlers } from './handlers';
export { ADAPTERS, adapterFor } from './adapters';
