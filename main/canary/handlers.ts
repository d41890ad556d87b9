import type { HandlersFor } from '../api/types';
import type { CanaryService } from './service';

/** The canary channels of the contract, answered by the canary service. */
export function canaryHandlers(canary: CanaryService): HandlersFor<'canary'> {
  return {
    'canary.list': (_input, ctx) => canary.list(ctx.signal),
    'canary.get': (input, ctx) => canary.get(input.id, ctx.signal),
    'canary.candidates': (input, ctx) => canary.candidates(input.contextId, input.namespaces ?? null, ctx.signal),
    'canary.start': (input, ctx) => canary.start(input.contextId, input.spec, ctx.signal),
    'canary.pause': (input, ctx) => canary.command(input.id, 'pause', ctx.signal),
    'canary.resume': (input, ctx) => canary.command(input.id, 'resume', ctx.signal),
    'canary.promote': (input, ctx) => canary.command(input.id, 'promote', ctx.signal),
    'canary.abort': (input, ctx) => canary.command(input.id, 'abort', ctx.signal),
    'canary.retry': (input, ctx) => canary.command(input.id, 'retry', ctx.signal),
    'canary.approve': (input, ctx) => canary.command(input.id, 'approve', ctx.signal),
    'canary.takeOver': (input, ctx) => canary.takeOver(input.id, ctx.signal),
    'canary.series': (input, ctx) => canary.series(input.id, input.minutes, ctx.signal),
    'canary.watch': (_input, emit, ctx) => {
      if (ctx.signal.aborted) return;
      const off = canary.watch(emit);
      ctx.signal.addEventListener('abort', off, { once: true });
    },
  };
}
