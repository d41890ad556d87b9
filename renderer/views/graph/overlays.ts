/**
 * Overlays: what other capabilities know about the graph's services (a running canary, the lag of
 * the projections of an event store a service owns), joined onto the graph in the renderer. The
 * graph data stays what `graph.get` returned; these functions only decide which node shows what,
 * and turn that into element data (a label line and a style attribute), so an overlay change is an
 * in-place data update of the few nodes concerned — never a re-layout. Pure: tested directly.
 */
import { STATE_LABELS } from '../../../shared/canary/format';
import { isTerminal } from '../../../shared/canary/types';
import type { CanaryRun, CanaryState } from '../../../shared/canary/types';
import type { LagBadge } from '../../../shared/contract/projections';
import type { Graph, GraphNode } from '../../../shared/graph/types';
import type { CyData } from './elements';

/** A Kubernetes service, as the other views name it. */
export interface ServiceRef {
  /** The kube context the graph drew the node from; null when the graph does not say. */
  contextId: string | null;
  namespace: string;
  service: string;
}

export interface CanaryMark {
  runId: string;
  state: CanaryState;
  /** Canary weight the run has set, percent. */
  weight: number;
  /** The service itself, the canary or stable workload, or another node behind the service. */
  role: 'service' | 'canary' | 'stable' | 'member';
  /** The line under the node: "canary 30 % · progressing". */
  text: string;
  service: string;
}

export interface LagMark {
  level: LagBadge['level'];
  /** The line under the node: "lag 1,204 ev · 42 s". */
  text: string;
  /** The projections service's own sentence, for the side panel. */
  detail: string;
  laggard: string | null;
  connectionId: string;
  service: string;
}

export interface NodeOverlay {
  canary?: CanaryMark;
  lag?: LagMark;
}

/** Node id -> what to show on it. Nodes without an overlay are absent. */
export type Overlays = Map<string, NodeOverlay>;

export const CANARY_GLYPH = '⤴';
export const LAG_GLYPH = '◷';

/** The context a node was drawn from (nodes carry the cluster name; the graph maps it back). */
export function contextIdOf(graph: Pick<Graph, 'contexts'>, node: Pick<GraphNode, 'cluster'>): string | null {
  return graph.contexts.find((c) => c.cluster === node.cluster)?.contextId ?? null;
}

/**
 * The services a node stands for: a service node is its service; a workload or app node the
 * services it was reached through. Unknown callers have none.
 */
export function servicesOf(graph: Pick<Graph, 'contexts'>, node: GraphNode): ServiceRef[] {
  const contextId = contextIdOf(graph, node);
  if (node.type === 'service') return [{ contextId, namespace: node.namespace, service: node.service ?? node.name }];
  if (node.type === 'unknown') return [];
  const out: ServiceRef[] = [];
  for (const s of node.services) {
    const i = s.indexOf('/');
    if (i <= 0 || i === s.length - 1) continue;
    const ref = { contextId, namespace: s.slice(0, i), service: s.slice(i + 1) };
    if (!out.some((o) => o.namespace === ref.namespace && o.service === ref.service)) out.push(ref);
  }
  return out;
}

const isActive = (r: CanaryRun) => !isTerminal(r.progress.state) && r.error === null;

export function canaryText(state: CanaryState, weight: number, role: CanaryMark['role'] = 'service'): string {
  if (role === 'canary') return `canary ${weight} %`;
  if (role === 'stable') return `stable ${100 - weight} %`;
  return `canary ${weight} % · ${STATE_LABELS[state].toLowerCase()}`;
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function duration(sec: number): string {
  if (sec < 90) return `${Math.round(sec)} s`;
  if (sec < 5400) return `${Math.round(sec / 60)} min`;
  return `${Math.round(sec / 3600)} h`;
}

/** The short line a lag badge puts under its node. */
export function lagText(b: Pick<LagBadge, 'level' | 'maxLagEvents' | 'maxLagSeconds' | 'stalled' | 'failed'>): string {
  if (b.level === 'unknown') return 'lag ? · store unreachable';
  const parts: string[] = [];
  const ev = b.maxLagEvents ?? 0;
  parts.push(ev > 0 ? `lag ${int.format(ev)} ev${b.maxLagSeconds !== null ? ` · ${duration(b.maxLagSeconds)}` : ''}` : 'projections caught up');
  if (b.stalled) parts.push(`${b.stalled} stalled`);
  if (b.failed) parts.push(`${b.failed} failed`);
  return parts.join(' · ');
}

const LEVEL_RANK: Record<LagBadge['level'], number> = { bad: 3, unknown: 2, warn: 1, ok: 0 };

/** Active canary runs and lag badges -> per-node marks. Finished runs mark nothing. */
export function buildOverlays(graph: Pick<Graph, 'nodes' | 'contexts'>, runs: Iterable<CanaryRun>, badges: readonly LagBadge[]): Overlays {
  const out: Overlays = new Map();
  const at = (id: string) => {
    let o = out.get(id);
    if (!o) out.set(id, (o = {}));
    return o;
  };
  const clusterOf = new Map(graph.contexts.map((c) => [c.contextId, c.cluster]));
  const byService = (ns: string, svc: string, cluster: string | null) => {
    const key = `${ns}/${svc}`;
    const inCluster = (n: GraphNode) => cluster === null || n.cluster === cluster;
    const svcNodes = graph.nodes.filter((n) => n.type === 'service' && inCluster(n) && n.namespace === ns && (n.service ?? n.name) === svc);
    const behind = graph.nodes.filter((n) => (n.type === 'workload' || n.type === 'app') && inCluster(n) && n.services.includes(key));
    return { svcNodes, behind };
  };

  // Newest first, so with two active runs on one service the latest one wins.
  const active = [...runs].filter(isActive).sort((a, b) => Date.parse(b.progress.updatedAt) - Date.parse(a.progress.updatedAt));
  for (const run of active) {
    const cluster = clusterOf.get(run.contextId);
    if (cluster === undefined) continue;
    const t = run.spec.target;
    const { state, weight } = run.progress;
    const { svcNodes, behind } = byService(t.namespace, t.service, cluster);
    const workloadRole = (n: GraphNode): CanaryMark['role'] | null => {
      if (n.namespace !== t.namespace || n.cluster !== cluster || !n.workload) return null;
      if (n.workload === run.spec.analysis.canaryWorkload) return 'canary';
      if (n.workload === run.spec.analysis.stableWorkload) return 'stable';
      return null;
    };
    // The canary and stable workloads, even when the graph saw them only under their own names.
    const roleNodes = graph.nodes.filter((n) => n.type !== 'service' && workloadRole(n) !== null);
    const marks: [GraphNode, CanaryMark['role']][] = [
      ...svcNodes.map((n) => [n, 'service'] as [GraphNode, CanaryMark['role']]),
      ...roleNodes.map((n) => [n, workloadRole(n)!] as [GraphNode, CanaryMark['role']]),
      ...behind.filter((n) => !roleNodes.includes(n)).map((n) => [n, 'member'] as [GraphNode, CanaryMark['role']]),
    ];
    for (const [n, role] of marks) {
      const o = at(n.id);
      if (o.canary) continue;
      o.canary = { runId: run.id, state, weight, role, text: canaryText(state, weight, role), service: t.service };
    }
  }

  // Badges name no context: a service of that namespace and name in any drawn cluster owns the store.
  for (const b of badges) {
    const { svcNodes, behind } = byService(b.namespace, b.service, null);
    // On the service node; on the workloads behind it when service nodes are not drawn.
    const targets = svcNodes.length ? svcNodes : behind;
    for (const n of targets) {
      const o = at(n.id);
      if (o.lag && LEVEL_RANK[o.lag.level] >= LEVEL_RANK[b.level]) continue;
      o.lag = { level: b.level, text: lagText(b), detail: b.text, laggard: b.laggard, connectionId: b.connectionId, service: b.service };
    }
  }
  return out;
}

/** The element data an overlay sets. Every key is always present (null when off), so removing an overlay clears it in place. */
export function overlayData(o: NodeOverlay | undefined): { canary: string | null; canaryRole: string | null; lag: string | null } {
  return { canary: o?.canary?.state ?? null, canaryRole: o?.canary?.role ?? null, lag: o?.lag?.level ?? null };
}

export function overlayLines(o: NodeOverlay | undefined): string[] {
  const lines: string[] = [];
  if (o?.canary) lines.push(`${CANARY_GLYPH} ${o.canary.text}`);
  if (o?.lag) lines.push(`${LAG_GLYPH} ${o.lag.text}`);
  return lines;
}

/**
 * The graph's elements with the overlays joined in: node data gains the overlay attributes and the
 * label its overlay lines. Edges and boxes are passed through untouched.
 */
export function applyOverlays(elements: readonly CyData[], overlays: Overlays): CyData[] {
  return elements.map((el) => {
    if (el.group !== 'nodes' || el.data.box) return el;
    const o = overlays.get(String(el.data.id));
    const lines = overlayLines(o);
    const extra = overlayData(o);
    const label = lines.length ? `${String(el.data.label ?? '')}\n${lines.join('\n')}` : el.data.label ?? null;
    return { group: el.group, data: { ...el.data, ...extra, label }, sig: `${el.sig}|${extra.canary ?? ''}|${extra.canaryRole ?? ''}|${extra.lag ?? ''}|${lines.join('\n')}` };
  });
}

/** Links into the other views. */
export function trafficHref(s: ServiceRef, object?: { kind: string; name: string }): string {
  const p = new URLSearchParams();
  if (s.contextId) p.set('context', s.contextId);
  p.set('namespace', s.namespace);
  p.set('service', s.service);
  if (object) {
    p.set('kind', object.kind);
    p.set('name', object.name);
  }
  return `#/traffic?${p.toString()}`;
}

export const canaryHref = (runId: string): string => `#/canary?${new URLSearchParams({ run: runId }).toString()}`;
export const projectionsHref = (connectionId: string): string => `#/projections?${new URLSearchParams({ c: connectionId }).toString()}`;

/** Routing kinds the Traffic view edits; others (DestinationRule) open the service there without an object. */
export const EDITABLE_ROUTING_KINDS: readonly string[] = ['VirtualService', 'HTTPRoute', 'TrafficSplit'];
