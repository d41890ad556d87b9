import type { HandlersFor } from '../api/types';
import type { KubeService } from './service';

/** The kube channels of the contract, answered by the kube service. */
export function kubeHandlers(kube: KubeService): HandlersFor<'kube'> {
  return {
    'kube.sources': () => kube.sources(),
    'kube.addFile': (input) => kube.addFile(input.path),
    'kube.removeFile': (input) => kube.removeFile(input.path),
    'kube.connect': (input, ctx) => kube.connect(input.contextId, ctx.signal),
    'kube.disconnect': async (input) => {
      await kube.disconnect(input.contextId);
      return { contextId: input.contextId };
    },
    'kube.connections': async () => kube.connections(),
    'kube.sourcesChanged': async (_input, emit, ctx) => {
      const off = kube.onSourcesChanged(emit);
      ctx.signal.addEventListener('abort', off, { once: true });
      if (ctx.signal.aborted) {
        off();
        return;
      }
      // The current state first, so a change between the client's query and its subscription isn't lost.
      emit(await kube.sources());
    },
  };
}
