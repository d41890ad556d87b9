import { ApiError } from '../../shared/errors';
import type { JsonGetter } from './kube-routing';
import { kubeRoutingReader } from './kube-routing';
import type { GraphSources, PromQuerier, RoutingReader } from './ports';

export interface GraphSourceDeps {
  /** main/kube's service: clients of connected contexts and their names. */
  kube?: { clientFor(contextId: string): JsonGetter; connections(): { contextId: string; contextName: string; status: string }[] };
  /** The metrics layer's querier for a context's Prometheus. */
  prometheusFor?: (contextId: string) => PromQuerier | Promise<PromQuerier>;
}

/** Binds the graph service to the app's kube and metrics layers. */
export function graphSources(deps: GraphSourceDeps): GraphSources {
  const readers = new Map<string, RoutingReader>();
  return {
    prometheus(contextId) {
      if (!deps.prometheusFor) throw new ApiError('NOT_CONNECTED', `No Prometheus is connected for context ${contextId}.`);
      return deps.prometheusFor(contextId);
    },
    routing(contextId) {
      const kube = deps.kube;
      if (!kube || !kube.connections().some((c) => c.contextId === contextId && c.status === 'connected')) return null;
      let r = readers.get(contextId);
      if (!r) readers.set(contextId, (r = kubeRoutingReader(() => kube.clientFor(contextId))));
      return r;
    },
    clusterName(contextId) {
      const c = deps.kube?.connections().find((x) => x.contextId === contextId);
      return c?.contextName ?? contextId.split('#').pop() ?? contextId;
    },
  };
}
