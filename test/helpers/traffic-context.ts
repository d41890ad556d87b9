import type { RoutingContext } from '../../main/traffic/adapters';
import type { KubeObject } from '../../main/traffic/json';
import { toService, toWorkload } from '../../main/traffic/read';

/** The same reduction main/traffic/read.ts does for live objects. */
export function readContextFromObjects(namespace: string, services: KubeObject[], deployments: KubeObject[], rules: KubeObject[]): RoutingContext {
  return { namespace, services: services.map(toService), workloads: deployments.map(toWorkload), destinationRules: rules };
}
