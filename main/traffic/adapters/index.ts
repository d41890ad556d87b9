import type { RoutingKind } from '../../../shared/traffic/model';
import { gatewayApiAdapter } from './gateway-api';
import { istioAdapter } from './istio';
import { smiAdapter } from './smi';
import type { RoutingAdapter } from './types';

export type { RoutingAdapter, RoutingContext, ServiceInfo, WorkloadInfo, SideWrite, AdapterResult } from './types';
export { emptyContext } from './types';

export const ADAPTERS: Record<RoutingKind, RoutingAdapter> = {
  VirtualService: istioAdapter,
  HTTPRoute: gatewayApiAdapter,
  TrafficSplit: smiAdapter,
};

export function adapterFor(kind: string): RoutingAdapter | null {
  return (ADAPTERS as Record<string, RoutingAdapter | undefined>)[kind] ?? null;
}
