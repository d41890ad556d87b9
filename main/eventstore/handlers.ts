import type { HandlersFor } from '../api/types';
import type { EventStoreService } from './service';

export function eventsHandlers(svc: EventStoreService): HandlersFor<'events'> {
  return {
    'events.connections': () => svc.connections(),
    'events.addConnection': (input) => svc.add(input),
    'events.removeConnection': async (input) => {
      await svc.remove(input.id);
      return { id: input.id };
    },
    'events.testConnection': (input, ctx) => svc.test(input, ctx.signal),
    'events.detect': (input, ctx) => svc.detect(input.connectionId, input.refresh, ctx.signal),
    'events.categories': (input, ctx) => svc.categories(input.connectionId, ctx.signal),
    'events.streams': (input, ctx) => svc.streams(input.connectionId, input.query, input.exact, input.limit, ctx.signal),
    'events.page': (input, ctx) => svc.page(input.connectionId, input.scope, input.anchor, input.limit, input.filter, ctx.signal),
    'events.event': (input, ctx) => svc.event(input.connectionId, input.position, input.full, ctx.signal),
    'events.positions': (input, ctx) => svc.positions(input.connectionId, ctx.signal),
    'events.tail': async (input, emit, ctx) => {
      await svc.tail(input.connectionId, { after: input.after, scope: input.scope, types: input.types }, emit, ctx.signal);
    },
  };
}
