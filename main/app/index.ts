import { createRouter } from '../api/router';
import type { Router } from '../api/router';
import { appHandlers } from './handlers';
import type { MainOptions } from './options';
import { createKubeService } from '../kube/service';
import { kubeHandlers } from '../kube/handlers';
import { createEventStoreService } from '../eventstore/service';
import { eventsHandlers } from '../eventstore/handlers';
import { createSettingsService, settingsHandlers } from '../settings';
import { createGraphService, graphHandlers, graphSources } from '../graph';
import { createMetricsService, metricsHandlers } from '../metrics';
import { createTrafficService, trafficHandlers } from '../traffic';
import { createCanary, canaryHandlers } from '../canary';
import { createProjectionsService, projectionGates, projectionsHandlers } from '../projections';

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
  const settings = opts.settings ?? (await createSettingsService({ dataDir: opts.dataDir }));
  const kube = await createKubeService(opts, { userFiles: settings.kubeconfigs });
  const events = createEventStoreService({ env: opts.env, sandboxUrl: opts.sandbox?.eventStoreUrl, connections: settings.eventStoreConnections, secrets: settings.secrets });
  const projections = createProjectionsService({ events, dataDir: opts.dataDir });
  const metrics = await createMetricsService({ dataDir: opts.dataDir, kube, settings: settings.prometheusStore, secrets: settings.secrets });
  const canary = await createCanary({ kube, metrics, dataDir: opts.dataDir, env: opts.env, gates: projectionGates(projections) });
  const router = createRouter({
    ...appHandlers(opts),
    ...kubeHandlers(kube),
    ...eventsHandlers(events),
    ...settingsHandlers(settings),
    ...metricsHandlers(metrics),
    ...canaryHandlers(canary),
    ...projectionsHandlers(projections),
    ...trafficHandlers(createTrafficService(kube, { dataDir: opts.dataDir })),
    ...graphHandlers(createGraphService({ sources: graphSources({ kube, prometheusFor: (id) => metrics.clientFor(id) }) })),
  });
  return {
    router,
    async close() {
      await canary.close();
      await kube.close();
      await events.close();
      await metrics.close();
    },
  };
}
