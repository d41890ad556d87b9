// Typings for the kinds the simulator reads through `SandboxKube.store`. They describe the
// fields routing and health depend on; every object also keeps any other field it has
// (KubeObject's index signature), so nothing is lost by reading through these types.
import type { KubeObject } from './types.js';

type Labels = Record<string, string>;

export interface Percent {
  value?: number;
}

// ---- core / apps ----

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
  nodePort?: number;
}
export interface Service extends KubeObject {
  spec: { type?: string; clusterIP?: string; selector?: Labels; ports?: ServicePort[]; [k: string]: unknown };
}

export interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: { name: string; value?: string }[];
  [k: string]: unknown;
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  nodeName?: string;
  [k: string]: unknown;
}
export interface Pod extends KubeObject {
  spec: PodSpec;
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number }[];
    [k: string]: unknown;
  };
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    selector: { matchLabels?: Labels };
    template: { metadata?: { labels?: Labels; annotations?: Labels }; spec: PodSpec };
    [k: string]: unknown;
  };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; updatedReplicas?: number; observedGeneration?: number; [k: string]: unknown };
}
export type ReplicaSet = Deployment;

export interface Endpoints extends KubeObject {
  subsets?: {
    addresses?: { ip: string; targetRef?: { kind: string; name: string; namespace: string } }[];
    notReadyAddresses?: { ip: string }[];
    ports?: { name?: string; port: number; protocol?: string }[];
  }[];
}

export interface Namespace extends KubeObject {
  status?: { phase?: string };
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

// ---- Istio ----

export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}
export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  headers?: Record<string, StringMatch>;
  queryParams?: Record<string, StringMatch>;
  sourceLabels?: Labels;
  [k: string]: unknown;
}
export interface Destination {
  host: string;
  subset?: string;
  port?: { number?: number };
}
export interface HTTPRouteDestination {
  destination: Destination;
  weight?: number;
  headers?: unknown;
}
export interface HTTPFaultInjection {
  delay?: { fixedDelay?: string; percentage?: Percent };
  abort?: { httpStatus?: number; grpcStatus?: string; percentage?: Percent };
}
export interface IstioHTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  fault?: HTTPFaultInjection;
  mirror?: Destination;
  mirrorPercentage?: Percent;
  timeout?: string;
  retries?: { attempts?: number; perTryTimeout?: string; retryOn?: string };
  [k: string]: unknown;
}
export interface VirtualService extends KubeObject {
  spec: {
    hosts: string[];
    gateways?: string[];
    http?: IstioHTTPRoute[];
    tcp?: { match?: unknown[]; route?: HTTPRouteDestination[] }[];
    tls?: unknown[];
    exportTo?: string[];
    [k: string]: unknown;
  };
}
export interface TrafficPolicy {
  connectionPool?: unknown;
  loadBalancer?: unknown;
  outlierDetection?: { consecutive5xxErrors?: number; interval?: string; baseEjectionTime?: string; maxEjectionPercent?: number; [k: string]: unknown };
  tls?: { mode?: string };
  [k: string]: unknown;
}
export interface DestinationRule extends KubeObject {
  spec: { host: string; trafficPolicy?: TrafficPolicy; subsets?: { name: string; labels?: Labels; trafficPolicy?: TrafficPolicy }[]; [k: string]: unknown };
}
export interface IstioGateway extends KubeObject {
  spec: { selector?: Labels; servers?: { port: { number: number; name?: string; protocol: string }; hosts: string[]; tls?: unknown }[] };
}
export interface PeerAuthentication extends KubeObject {
  spec: { selector?: { matchLabels?: Labels }; mtls?: { mode?: 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'UNSET' }; portLevelMtls?: Record<string, { mode?: string }> };
}
export interface AuthorizationPolicy extends KubeObject {
  spec: { selector?: { matchLabels?: Labels }; action?: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM'; rules?: unknown[]; [k: string]: unknown };
}

// ---- Gateway API ----

export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
}
export interface HTTPRoute extends KubeObject {
  spec: {
    parentRefs?: { name: string; namespace?: string; kind?: string; group?: string; sectionName?: string }[];
    hostnames?: string[];
    rules?: { matches?: unknown[]; filters?: unknown[]; backendRefs?: BackendRef[]; timeouts?: { request?: string } }[];
    [k: string]: unknown;
  };
}

// ---- SMI (Linkerd) ----

export interface TrafficSplit extends KubeObject {
  spec: { service: string; backends: { service: string; weight: number }[]; matches?: unknown[] };
}

/** `${apiVersion}/${kind}` → type. Lookups for other kinds return plain KubeObject. */
export interface KnownKinds {
  'v1/Namespace': Namespace;
  'v1/Service': Service;
  'v1/Pod': Pod;
  'v1/Endpoints': Endpoints;
  'v1/ConfigMap': ConfigMap;
  'apps/v1/Deployment': Deployment;
  'apps/v1/ReplicaSet': ReplicaSet;
  'networking.istio.io/v1/VirtualService': VirtualService;
  'networking.istio.io/v1beta1/VirtualService': VirtualService;
  'networking.istio.io/v1alpha3/VirtualService': VirtualService;
  'networking.istio.io/v1/DestinationRule': DestinationRule;
  'networking.istio.io/v1beta1/DestinationRule': DestinationRule;
  'networking.istio.io/v1alpha3/DestinationRule': DestinationRule;
  'networking.istio.io/v1/Gateway': IstioGateway;
  'security.istio.io/v1/PeerAuthentication': PeerAuthentication;
  'security.istio.io/v1beta1/PeerAuthentication': PeerAuthentication;
  'security.istio.io/v1/AuthorizationPolicy': AuthorizationPolicy;
  'security.istio.io/v1beta1/AuthorizationPolicy': AuthorizationPolicy;
  'gateway.networking.k8s.io/v1/HTTPRoute': HTTPRoute;
  'gateway.networking.k8s.io/v1beta1/HTTPRoute': HTTPRoute;
  'split.smi-spec.io/v1alpha2/TrafficSplit': TrafficSplit;
}

export type KindOf<A extends string, K extends string> = `${A}/${K}` extends keyof KnownKinds ? KnownKinds[`${A}/${K}`] : KubeObject;
