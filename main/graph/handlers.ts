import type { HandlersFor } from '../api/types';
import type { GraphService } from './service';

export function graphHandlers(graph: GraphService): HandlersFor<'graph'> {
  return {
    'graph.get': (input, ctx) => graph.get(input, ctx.signal),
    'graph.nodeDetail': (input, ctx) => graph.detail(input.options, input.id, ctx.signal),
  };
}
