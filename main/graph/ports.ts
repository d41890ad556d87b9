/**
 * What the graph builder needs from the outside world, as small interfaces. The metrics layer
 * (Prometheus per kube context) and the kube layer (routing objects) implement them; tests feed
 * fixed answers through them.
 */

/** Series of instant (vector) and range (matrix) answers: the metrics client's own types. */
export type { Sample, RangeSample } from '../metrics/client';
import type { Sample, RangeSample } from '../metrics/client';

export interface PromQuerier {
  /** Instant query at `time` (epoch ms). Rejects with an ApiError (TIMEOUT, UNREACHABLE, UPSTREAM...). */
  instant(promql: string, time: number, signal: AbortSignal): Promise<Sample[]>;
  /** Range query from `start` to `end` (epoch ms) every `stepSec` seconds. */
  range(promql: string, start: number, end: number, stepSec: number, signal: AbortSignal): Promise<RangeSample[]>;
}

/** A Kubernetes object as the routing reader hands it over: only what the badges and panels read. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
}

export interface WorkloadLabels {
  namespace: string;
  name: string;
  /** Pod template labels (what selectors match). */
  labels: Record<string, string>;
}

export interface RoutingSnapshot {
  /** VirtualService, DestinationRule, HTTPRoute, TrafficSplit, PeerAuthentication, AuthorizationPolicy. */
  objects: KubeObject[];
  /** Workloads with their pod labels, when known: AuthorizationPolicy and PeerAuthentication selectors match these. */
  workloads: WorkloadLabels[];
  /** The Istio root namespace (mesh-wide PeerAuthentication lives there). */
  rootNamespace?: string;
}

export interface RoutingReader {
  /** Routing and security objects in these namespaces (plus the mesh root namespace). */
  snapshot(namespaces: string[], signal: AbortSignal): Promise<RoutingSnapshot>;
}

/** How the graph service reaches a context's Prometheus and routing objects. */
export interface GraphSources {
  prometheus(contextId: string): PromQuerier | Promise<PromQuerier>;
  /** Null when the context has no kube client yet: badges and security are then left out, with a warning. */
  routing(contextId: string): RoutingReader | null | Promise<RoutingReader | null>;
  /** The cluster name to show for a context when the metrics carry none (Linkerd, single-cluster Istio). */
  clusterName(contextId: string): string;
}
