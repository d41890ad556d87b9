import type { GraphEdge, GraphNode, ResponseTimes } from '../../../shared/graph/types';
import { requestHealth } from './health';
import type { Work } from '../work';

const r = (n: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

function rtOf(acc: [number, number]): number | null {
  return acc[1] > 0 ? r(acc[0] / acc[1], 2) : null;
}

/**
 * Sums -> the numbers on screen: edge rates, error and share percentages, percentiles, mTLS
 * share, node in/out totals, roots, idle flags and health.
 */
export function finalize(w: Work): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const t = w.opts.thresholds;
  const outReq = new Map<string, number>();
  const outTcp = new Map<string, number>();
  const inCount = new Map<string, number>();
  const live = new Map<string, boolean>();
  for (const e of w.edges.values()) {
    const m = e.protocol === 'tcp' ? outTcp : outReq;
    m.set(e.source, (m.get(e.source) ?? 0) + e.rates.total);
    inCount.set(e.target, (inCount.get(e.target) ?? 0) + 1);
    const isLive = e.rates.total > 0;
    live.set(e.source, (live.get(e.source) ?? false) || isLive);
    live.set(e.target, (live.get(e.target) ?? false) || isLive);
    const src = w.nodes.get(e.source);
    const dst = w.nodes.get(e.target);
    if (src && dst) {
      if (e.protocol === 'tcp') {
        src.traffic.tcpOut += e.rates.total;
        dst.traffic.tcpIn += e.rates.total;
      } else {
        for (const k of ['total', 'err4xx', 'err5xx'] as const) {
          src.traffic.httpOut[k] += e.rates[k];
          dst.traffic.httpIn[k] += e.rates[k];
        }
      }
    }
  }

  const edges: GraphEdge[] = [];
  for (const e of w.edges.values()) {
    const total = e.rates.total;
    const isIdle = total <= 0;
    const base = e.protocol === 'tcp' ? outTcp.get(e.source) : outReq.get(e.source);
    const rt: ResponseTimes | null = e.protocol === 'tcp' ? null : { p50: rtOf(e.rt.p50), p95: rtOf(e.rt.p95), p99: rtOf(e.rt.p99) };
    const h = e.protocol === 'tcp' ? { status: isIdle ? ('idle' as const) : ('na' as const) } : requestHealth(e.rates, t);
    const codes: Record<string, number> = {};
    for (const [c, v] of Object.entries(e.codes)) codes[c] = r(v, 4);
    const ge: GraphEdge = {
      id: e.id, source: e.source, target: e.target, protocol: e.protocol, mesh: e.mesh,
      rate: r(total, 4),
      rates: { total: r(total, 4), err4xx: r(e.rates.err4xx, 4), err5xx: r(e.rates.err5xx, 4) },
      errorPct: total > 0 ? r(((e.rates.err4xx + e.rates.err5xx) / total) * 100, 2) : 0,
      sharePct: base && base > 0 ? r((total / base) * 100, 2) : 0,
      responseTime: rt && (rt.p50 !== null || rt.p95 !== null || rt.p99 !== null) ? rt : null,
      throughput: e.throughput === null ? null : r(e.throughput, 2),
      mtlsPct: e.mtls.total > 0 ? r((e.mtls.mutual / e.mtls.total) * 100, 1) : null,
      health: h.status, isIdle, codes,
    };
    if (h.reason) ge.healthReason = h.reason;
    edges.push(ge);
  }

  const nodes: GraphNode[] = [];
  for (const n of w.nodes.values()) {
    n.isRoot = !inCount.has(n.id) && (outReq.has(n.id) || outTcp.has(n.id));
    n.isIdle = live.get(n.id) === false;
    // A node is judged by what it serves; a traffic source (nothing inbound) by what it sends.
    const basis = n.traffic.httpIn.total > 0 ? n.traffic.httpIn : n.isRoot ? n.traffic.httpOut : null;
    if (n.isIdle) n.health = 'idle';
    else if (basis) {
      const h = requestHealth(basis, t);
      n.health = h.status;
      if (h.reason) n.healthReason = h.reason;
    } else n.health = 'na';
    for (const k of ['total', 'err4xx', 'err5xx'] as const) {
      n.traffic.httpIn[k] = r(n.traffic.httpIn[k], 4);
      n.traffic.httpOut[k] = r(n.traffic.httpOut[k], 4);
    }
    n.traffic.tcpIn = r(n.traffic.tcpIn, 2);
    n.traffic.tcpOut = r(n.traffic.tcpOut, 2);
    nodes.push(n);
  }
  return { nodes, edges };
}
