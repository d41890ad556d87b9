import type { GateProvider } from '../canary/ports';
import type { SagaFailureRate } from '../../shared/contract/projections';
import type { ProjectionsService } from './service';

/**
 * Event-store gates for the canary analysis (main/canary/ports.ts GateProvider): projection lag in
 * events; plus the saga failure rate for a future `sagaFailureRate` gate kind.
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
