import { createRouter } from '../api/router';
import type { Router } from '../api/router';
import { appHandlers } from './handlers';
import type { MainOptions } from './options';
import { createKubeService } from '../kube/service';
import { kubeHandlers } from '../kube/handlers';

export type { MainOptions } from './options';

/**
 * The composition root: builds every service once and wires their handlers into one router.
 * Both doors (main/electron, main/server) call this and nothing else.
 */
export interface MainApp {
  router: Router;
  close(): Promise<void>;
}

export async function createMainApp(opts: MainOptions): Promise<MainApp> {
  const kube = await createKubeService(opts);
  const router = createRouter({
    ...appHandlers(opts),
    ...kubeHandlers(kube),
  });
  return {
    router,
    async close() {
      await kube.close();
    },
  };
}
