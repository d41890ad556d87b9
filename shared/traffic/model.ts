/**
 * The routing model: one service's HTTP routes as meshdeck edits them, whatever the mesh object
 * (Istio VirtualService + DestinationRule subsets, Gateway API HTTPRoute, SMI TrafficSplit).
 * It is a *view* of the object, read by an adapter in main; edits are small typed operations
 * (`TrafficOp`) that the adapter applies to the raw object, so every field the model does not
 * name is kept exactly. Shared with the renderer: no Node or DOM imports.
 */

export type RoutingKind = 'VirtualService' | 'HTTPRoute' | 'TrafficSplit';
export const ROUTING_KINDS: readonly RoutingKind[] = ['VirtualService', 'HTTPRoute', 'TrafficSplit'];

/** Which mesh API an object belongs to (Linkerd users get HTTPRoute and TrafficSplit). */
export type RoutingApi = 'istio' | 'gateway-api' | 'smi';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export const refKey = (r: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string => `${r.kind}/${r.namespace}/${r.name}`;

export type StringMatchType = 'exact' | 'prefix' | 'regex';

export interface StringMatch {
  type: StringMatchType;
  value: string;
}

/** One condition block: all of its parts must hold (AND). A route's blocks are ORed. */
export interface RouteMatch {
  headers: { name: string; match: StringMatch }[];
  /** A header match on `cookie` shaped as "cookie NAME equals VALUE" (recognised, not guessed). */
  cookies: { name: string; value: string }[];
  uri: StringMatch | null;
  /** Condition fields the model doesn't show (method, queryParams, sourceLabels...): kept as they are. */
  other: string[];
}

export interface Destination {
  /** What the user picks: the Istio subset (or the host when there is no subset), the backend Service. */
  name: string;
  /** Istio destination host, as written. */
  host?: string;
  port?: number;
  /** As written; null when the object leaves it out (then `effectiveWeight` says what applies). */
  weight: number | null;
  /** The weight the data plane uses (Istio: 100 for a lone destination; Gateway API: 1 by default). */
  effectiveWeight: number;
}

export interface FaultSpec {
  /** Fixed delay, e.g. "5s", applied to `percent` % of requests. */
  delay: { fixedDelay: string; percent: number } | null;
  /** Abort with an HTTP status (100–599) for `percent` % of requests. */
  abort: { httpStatus: number; percent: number } | null;
}

export interface MirrorSpec {
  /** A destination name (subset / backend). */
  destination: string;
  /** 0–100; 100 when the object doesn't say. */
  percent: number;
}

export interface RetrySpec {
  attempts: number;
  perTryTimeout: string | null;
  retryOn: string | null;
}

export interface Route {
  /** Position in the object's list (spec.http, spec.rules; 0 for a TrafficSplit). */
  index: number;
  name: string | null;
  matches: RouteMatch[];
  destinations: Destination[];
  fault: FaultSpec | null;
  mirror: MirrorSpec | null;
  timeout: string | null;
  retries: RetrySpec | null;
  /** The catch-all route that carries the weighted split (the one `setWeights` edits by default). */
  isDefault: boolean;
  /** Parts of the route the model doesn't manage (redirect, rewrite, headers, corsPolicy, filters...). */
  unmanaged: string[];
}

export interface Capabilities {
  /** Istio: the weights of a route must be integers 0–100 summing to 100. Others are proportional. */
  weightsSumTo100: boolean;
  maxWeight: number;
  fault: boolean;
  mirror: boolean;
  timeout: boolean;
  retries: boolean;
  /** Header / cookie routes before the default (A/B). */
  matchRoutes: boolean;
}

export interface AvailableDestination {
  name: string;
  /** subset: a DestinationRule subset; version: a workload version label without a subset yet
   *  (applying creates the subset); service: a Kubernetes Service (Gateway API / SMI backends). */
  source: 'subset' | 'version' | 'service';
  labels?: Record<string, string>;
  /** Where it comes from, for the UI: "DestinationRule shop/reviews", "Deployment reviews-v2"... */
  detail: string;
}

export interface RoutingModel {
  api: RoutingApi;
  object: ObjectRef;
  resourceVersion: string;
  /** The service whose traffic this object steers (apex / host / parent Service). */
  service: string;
  routes: Route[];
  /** Index of the default weighted route, or null when there is none (e.g. every route has matches). */
  defaultRoute: number | null;
  capabilities: Capabilities;
  available: AvailableDestination[];
  /** Things the user should know about this object (several VirtualServices, tcp routes not shown...). */
  notes: string[];
}

// ---------- operations ----------

/** Which route an op touches: by index; omitted → the default weighted route. */
export interface RouteSelector {
  route?: number;
}

export type HeaderMatchKind = 'header' | 'cookie';

export type TrafficOp =
  | ({ op: 'setWeights'; weights: Record<string, number> } & RouteSelector)
  | ({ op: 'setFault'; fault: FaultSpec | null } & RouteSelector)
  | {
      op: 'addHeaderMatchRoute';
      kind: HeaderMatchKind;
      /** Header name, or cookie name. */
      name: string;
      value: string;
      /** For headers; cookies always match their exact value. */
      matchType?: StringMatchType;
      /** All matching requests go here. */
      destination: string;
      /** Optional route name (Istio http[].name, Gateway API rule name). */
      routeName?: string;
    }
  | { op: 'removeRoute'; route: number }
  | ({ op: 'switchBlueGreen'; to: string } & RouteSelector)
  | ({ op: 'setMirror'; mirror: MirrorSpec | null } & RouteSelector)
  | ({ op: 'setTimeout'; timeout: string | null } & RouteSelector)
  | ({ op: 'setRetries'; retries: RetrySpec | null } & RouteSelector);

export type TrafficOpName = TrafficOp['op'];

export function describeOp(op: TrafficOp): string {
  const at = 'route' in op && op.route !== undefined ? ` on route ${op.route}` : '';
  switch (op.op) {
    case 'setWeights':
      return `set weights ${Object.entries(op.weights).map(([k, v]) => `${k}=${v}`).join(', ')}${at}`;
    case 'setFault':
      if (!op.fault || (!op.fault.delay && !op.fault.abort)) return `remove fault injection${at}`;
      return `inject ${[op.fault.delay ? `delay ${op.fault.delay.fixedDelay} to ${op.fault.delay.percent}%` : '', op.fault.abort ? `abort ${op.fault.abort.httpStatus} to ${op.fault.abort.percent}%` : ''].filter(Boolean).join(' and ')}${at}`;
    case 'addHeaderMatchRoute':
      return `route ${op.kind} ${op.name}${op.kind === 'cookie' ? '=' : ` ${op.matchType ?? 'exact'} `}${op.value} to ${op.destination}`;
    case 'removeRoute':
      return `remove route ${op.route}`;
    case 'switchBlueGreen':
      return `switch all traffic to ${op.to}${at}`;
    case 'setMirror':
      return op.mirror ? `mirror ${op.mirror.percent}% to ${op.mirror.destination}${at}` : `stop mirroring${at}`;
    case 'setTimeout':
      return op.timeout ? `set timeout ${op.timeout}${at}` : `remove timeout${at}`;
    case 'setRetries':
      return op.retries ? `set retries ${op.retries.attempts}${op.retries.perTryTimeout ? ` × ${op.retries.perTryTimeout}` : ''}${at}` : `remove retries${at}`;
  }
}

// ---------- ownership ----------

export type OwnerController = 'Flagger' | 'Argo Rollouts' | 'Argo CD' | 'Flux' | 'Helm' | 'Kiali';

export interface OwnerInfo {
  controller: OwnerController;
  /** The label, annotation or ownerReference that says so. */
  evidence: string;
  /** True when the controller will put its own version back (a reconcile loop). */
  reverts: boolean;
  message: string;
}

// ---------- planning and applying ----------

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

export interface ValidationIssue {
  /** Dotted path in the op, e.g. `weights.v2`, `fault.abort.httpStatus`. */
  field: string;
  message: string;
}

export interface PlannedWrite {
  object: ObjectRef;
  action: 'patch' | 'create';
  /** The resourceVersion the patch is guarded by ('' for a create). */
  resourceVersion: string;
  /** JSON patch (RFC 6902) with `test` ops; for a create, empty (the body is `afterYaml`). */
  patch: JsonPatchOp[];
  beforeYaml: string;
  afterYaml: string;
  /** Unified diff of beforeYaml → afterYaml. */
  diff: string;
}

export interface PlanView {
  planId: string;
  contextId: string;
  summary: string;
  /** Writes in the order they are applied (DestinationRule subsets before the VirtualService). */
  writes: PlannedWrite[];
  issues: ValidationIssue[];
  owners: OwnerInfo[];
  /** False when there is nothing to change, or the op is invalid. */
  applicable: boolean;
  /** Set when this plan undoes an audit entry. */
  undoOf: string | null;
  expiresAt: string;
}

export type ApplyOutcome =
  /** Every write landed (checked). */
  | 'landed'
  /** Someone changed what this change touches since it was planned: nothing (more) was written. */
  | 'conflict'
  /** RBAC refused: nothing was written. */
  | 'forbidden'
  /** The server refused or failed, and re-reading shows the change did not land. */
  | 'failed'
  /** The connection broke and re-reading failed too: it may or may not have landed. */
  | 'unknown'
  /** Nothing to do: the object already has this state. */
  | 'noop';

export interface WriteResult {
  object: ObjectRef;
  outcome: ApplyOutcome;
  /** resourceVersion after the write, when it landed. */
  resourceVersion: string | null;
  /** The write was re-based on a newer version after a conflict (it still applied cleanly). */
  reapplied: boolean;
  message: string;
}

export interface ApplyResult {
  outcome: ApplyOutcome;
  message: string;
  writes: WriteResult[];
  auditId: string;
  /** For 'conflict': what changed under us (a diff of the touched part), for 'forbidden': verb and resource. */
  conflictDiff: string | null;
  error: { code: string; message: string; details?: Record<string, string | number | boolean | null> } | null;
}

export interface AuditEntry {
  id: string;
  time: string;
  contextId: string;
  contextName: string;
  user: string;
  summary: string;
  objects: string[];
  diff: string;
  outcome: ApplyOutcome;
  message: string;
  undoOf: string | null;
  /** The specs needed to undo: the object before and after each write (kept locally only). */
  writes: { object: ObjectRef; action: 'patch' | 'create'; patch: JsonPatchOp[]; before: unknown; after: unknown; outcome: ApplyOutcome }[];
}

// ---------- listing ----------

export interface RoutingTarget {
  service: string;
  namespace: string;
  api: RoutingApi;
  object: ObjectRef;
  owners: OwnerInfo[];
  /** One-line summary, e.g. "v1 80 · v2 20 · 1 header route · fault". */
  summary: string;
}

export interface TrafficState {
  model: RoutingModel;
  /** Every object this view reads (the route object, DestinationRules), as YAML. */
  objects: { ref: ObjectRef; yaml: string }[];
  owners: OwnerInfo[];
  /** Other routing objects for the same service (a second VirtualService, an HTTPRoute...). */
  alternatives: ObjectRef[];
}
