import type { HandlersFor } from '../api/types';
import type { ProjectionsService } from './service';

export function projectionsHandlers(svc: ProjectionsService): HandlersFor<'projections'> {
  return {
    'projections.overview': (i, ctx) => svc.overview(i.connectionId, i, ctx.signal),
    'projections.watch': async (i, emit, ctx) => { await svc.watch(i.connectionId, i, emit, ctx.signal); },
    'projections.history': async (i) => svc.history(i.connectionId, i.name),
    'projections.sagas': (i, ctx) => svc.sagas(i.connectionId, i, ctx.signal),
    'projections.saga': (i, ctx) => svc.saga(i.connectionId, i, ctx.signal),
    'projections.sagaStats': (i, ctx) => svc.sagaStats(i.connectionId, i.windowSec, i.stuckAfterSec, ctx.signal),
    'projections.idempotency': (i, ctx) => svc.idempotency(i.connectionId, i, ctx.signal),
    'projections.consistencyChecks': (i, ctx) => svc.consistencyChecks(i.connectionId, ctx.signal),
    'projections.consistency': (i, ctx) => svc.consistency(i.connectionId, i, ctx.signal),
    'projections.owners': () => svc.owners(),
    'projections.setOwner': (i) => svc.setOwner(i),
    'projections.badges': (_i, ctx) => svc.badges(ctx.signal),
  };
}
