import type { Badge, Graph, GraphEdge, GraphNode } from '../../../shared/graph/types';
import { fmtBytes, fmtMs, fmtPct, fmtRate } from './format';

export interface EdgeLabelModes {
  rate: boolean;
  share: boolean;
  /** Which percentile to show, or none. */
  responseTime: 'none' | 'p50' | 'p95' | 'p99';
  throughput: boolean;
  security: boolean;
}

export const DEFAULT_LABELS: EdgeLabelModes = { rate: true, share: false, responseTime: 'none', throughput: false, security: false };

const BADGE_TEXT: Record<Badge, string> = {
  trafficShifting: 'TS', faultInjection: 'FI', mirroring: 'MI', circuitBreaker: 'CB', requestRouting: 'RR', timeout: 'RT', mtls: 'mTLS',
};

export function nodeLabel(n: GraphNode): string {
  const name = n.version && n.type === 'app' && n.id.startsWith('vapp:') ? `${n.name} ${n.version}` : n.name;
  const badges = n.badges.map((b) => BADGE_TEXT[b]).join(' · ');
  return badges ? `${name}\n${badges}` : name;
}

export function edgeLabel(e: GraphEdge, m: EdgeLabelModes): string {
  const parts: string[] = [];
  if (e.protocol === 'tcp') {
    if (m.rate || m.throughput) parts.push(fmtBytes(e.rate));
  } else {
    if (m.rate) parts.push(e.errorPct > 0 ? `${fmtRate(e.rate)}rps ${fmtPct(e.errorPct)}%err` : `${fmtRate(e.rate)}rps`);
    if (m.throughput && e.throughput !== null) parts.push(fmtBytes(e.throughput));
  }
  if (m.share && e.sharePct > 0 && e.sharePct < 100) parts.push(`${fmtPct(e.sharePct)}%`);
  if (m.responseTime !== 'none' && e.responseTime?.[m.responseTime] != null) parts.push(fmtMs(e.responseTime[m.responseTime]));
  if (m.security && e.mtlsPct !== null && e.mtlsPct > 0) parts.push(e.mtlsPct >= 100 ? 'mTLS' : `mTLS ${fmtPct(e.mtlsPct)}%`);
  return parts.join(' | ');
}

export interface CyData {
  group: 'nodes' | 'edges';
  data: Record<string, string | number | boolean | null>;
  /** Cheap change detector: a refresh touches only elements whose signature moved. */
  sig: string;
}

/** Width grows with the log of the rate, so a 1000 rps edge does not swallow the canvas. */
function width(e: GraphEdge): number {
  const r = e.protocol === 'tcp' ? e.rate / 1000 : e.rate;
  return Math.min(6, 1.2 + Math.log10(1 + r) * 1.4);
}

export function toElements(g: Graph, labels: EdgeLabelModes): CyData[] {
  const out: CyData[] = [];
  for (const b of g.boxes) {
    const data = { id: b.id, parent: b.parent, label: b.kind === 'cluster' ? `cluster ${b.label}` : b.label, box: b.kind };
    out.push({ group: 'nodes', data, sig: JSON.stringify(data) });
  }
  for (const n of g.nodes) {
    const data = {
      id: n.id, parent: n.parent, label: nodeLabel(n), type: n.type, health: n.health, outside: n.isOutside, root: n.isRoot,
      idle: n.isIdle, mesh: n.mesh, name: n.name,
    };
    out.push({ group: 'nodes', data, sig: JSON.stringify(data) });
  }
  for (const e of g.edges) {
    const data = {
      id: e.id, source: e.source, target: e.target, label: edgeLabel(e, labels), health: e.health, protocol: e.protocol,
      idle: e.isIdle, width: Math.round(width(e) * 10) / 10, rate: e.rate, err: e.errorPct, rt: e.responseTime?.p95 ?? null,
    };
    out.push({ group: 'edges', data, sig: JSON.stringify(data) });
  }
  return out;
}
