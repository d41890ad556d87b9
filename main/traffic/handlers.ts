import type { HandlersFor } from '../api/types';
import type { TrafficService } from './service';

/** The traffic channels of the contract, answered by the traffic service. */
export function trafficHandlers(traffic: TrafficService): HandlersFor<'traffic'> {
  return {
    'traffic.list': (input, ctx) => traffic.list(input.contextId, input.namespace, ctx.signal),
    'traffic.get': (input, ctx) => traffic.get(input, ctx.signal),
    'traffic.plan': (input, ctx) => traffic.plan(input, ctx.signal),
    'traffic.planUndo': (input, ctx) => traffic.planUndo(input.auditId, ctx.signal),
    'traffic.apply': (input, ctx) => traffic.apply(input.planId, { confirmOwnership: input.confirmOwnership }, ctx.signal),
    'traffic.verify': (input, ctx) => traffic.verify(input.auditId, ctx.signal),
    'traffic.audit': (input) => traffic.audit({ limit: input.limit, ...(input.contextId ? { contextId: input.contextId } : {}) }),
    'traffic.exportAudit': (input) => traffic.exportAudit(input.format),
  };
}
