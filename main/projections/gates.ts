import type { GateProvider } from '../canary/ports';
import type { SagaFailureRate } from '../../shared/contract/projections';
import type { ProjectionsService } from './service';

/**
 * Event-store gates for the canary analysis (main/canary/ports.ts GateProvider): projection lag in
 * events (`projectionLag` gates) and the saga failure rate over a window (`sagaFailureRate` gates).
 * The richer SagaFailureRate (compensating, stuck) is a superset of what the canary port asks for.
 */
export interface ProjectionGates extends GateProvider {
  sagaFailureRate(connectionId: string, windowSec: number, signal: AbortSignal): Promise<SagaFailureRate>;
}

export function projectionGates(svc: Pick<ProjectionsService, 'projectionLagFor' | 'sagaFailureRate'>): ProjectionGates {
  return {
    projectionLag: (connectionId, projection, signal) => svc.projectionLagFor(connectionId, projection, signal),
    sagaFailureRate: (connectionId, windowSec, signal) => svc.sagaFailureRate(connectionId, windowSec, signal),
  };
}
