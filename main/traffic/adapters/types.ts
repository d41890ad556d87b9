/**
 * One adapter per routing API. An adapter reads the routing model from the raw object (plus the
 * objects around it) and applies an op to a copy of the raw object, touching only the fields the
 * op is about: every other field, route and match stays exactly as it was.
 */
import type { RoutingApi, RoutingModel, TrafficOp } from '../../../shared/traffic/model';
import type { KubeObject } from '../json';
import type { JsonPatchOp } from '../jsonpatch';

export interface ServiceInfo {
  name: string;
  selector: Record<string, string>;
  ports: { name?: string; port: number }[];
}

export interface WorkloadInfo {
  kind: string;
  name: string;
  /** Pod template labels. */
  labels: Record<string, string>;
}

/** What is around the routing object in its namespace. */
export interface RoutingContext {
  namespace: string;
  services: ServiceInfo[];
  workloads: WorkloadInfo[];
  /** Istio only: DestinationRules of the namespace. */
  destinationRules: KubeObject[];
}

export const emptyContext = (namespace: string): RoutingContext => ({ namespace, services: [], workloads: [], destinationRules: [] });

/** A write besides the routing object itself (Istio: DestinationRule subsets). */
export interface SideWrite {
  action: 'patch' | 'create';
  before: KubeObject | null;
  after: KubeObject;
}

export interface AdapterResult {
  after: KubeObject;
  /** Applied before the main object (subsets must exist before routes use them). */
  before: SideWrite[];
}

export interface RoutingAdapter {
  readonly api: RoutingApi;
  readonly kind: string;
  readonly group: string;
  readonly plural: string;
  /** The services this object steers (a VirtualService may name several hosts). */
  services(obj: KubeObject): string[];
  read(obj: KubeObject, ctx: RoutingContext, service?: string): RoutingModel;
  /** Applies a valid op (validate first) to a copy of `obj`. */
  apply(obj: KubeObject, op: TrafficOp, ctx: RoutingContext, model: RoutingModel): AdapterResult;
  /** Tests that pin down "the same route" at an index: its name, its matches, its destinations. */
  identityTests(before: KubeObject, changedPaths: string[]): JsonPatchOp[];
}
