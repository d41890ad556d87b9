import type { HandlersFor } from '../api/types';
import type { MetricsService } from './service';

/** The metrics channels (shared/contract/metrics.ts) onto the service; ctx.signal is passed to every remote call. */
export function metricsHandlers(metrics: MetricsService): HandlersFor<'metrics'> {
  return {
    'metrics.getConfig': (input) => metrics.getConfig(input.contextId),
    'metrics.setConfig': (input) => metrics.setConfig(input.contextId, input.config, input.secret, input.clearSecret),
    'metrics.reset': (input) => metrics.reset(input.contextId),
    'metrics.discover': (input, ctx) => metrics.discover(input.contextId, ctx.signal),
    'metrics.test': (input, ctx) => metrics.test(input.contextId, { config: input.config, secret: input.secret }, ctx.signal),
    'metrics.query': (input, ctx) => metrics.query(input, ctx.signal),
    'metrics.queryRange': (input, ctx) => metrics.queryRange(input, ctx.signal),
  };
}
