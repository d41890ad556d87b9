import { edge } from '../work';
import type { EdgeAcc, Work } from '../work';

function mergeScaled(into: EdgeAcc, from: EdgeAcc, f: number, w: Work): void {
  into.rates.total += from.rates.total * f;
  into.rates.err4xx += from.rates.err4xx * f;
  into.rates.err5xx += from.rates.err5xx * f;
  for (const [c, r] of Object.entries(from.codes)) into.codes[c] = (into.codes[c] ?? 0) + r * f;
  for (const [k, r] of from.identities) {
    into.identities.set(k, (into.identities.get(k) ?? 0) + r * f);
    w.identityEdges.get(k)?.add(into.id);
  }
  for (const q of ['p50', 'p95', 'p99'] as const) {
    into.rt[q][0] += from.rt[q][0] * f;
    into.rt[q][1] += from.rt[q][1] * f;
  }
  if (from.throughput !== null) into.throughput = (into.throughput ?? 0) + from.throughput * f;
  into.mtls.total += from.mtls.total * f;
  into.mtls.mutual += from.mtls.mutual * f;
}

/**
 * The service graph: workloads reached through services disappear, and what they send on is
 * drawn from the services they serve, split by how much each service sent them. Callers reached
 * by no service (gateways, traffic generators) and unknown callers stay as they are.
 */
export function reduceToServiceGraph(w: Work): void {
  const inbound = new Map<string, EdgeAcc[]>();
  const outbound = new Map<string, EdgeAcc[]>();
  for (const e of w.edges.values()) {
    let i = inbound.get(e.target);
    if (!i) inbound.set(e.target, (i = []));
    i.push(e);
    let o = outbound.get(e.source);
    if (!o) outbound.set(e.source, (o = []));
    o.push(e);
  }
  const served = [...w.nodes.values()].filter(
    (n) => n.type !== 'service' && n.type !== 'unknown' && (inbound.get(n.id) ?? []).some((e) => w.nodes.get(e.source)?.type === 'service'),
  );
  for (const n of served) {
    const fromServices = (inbound.get(n.id) ?? []).filter((e) => w.nodes.get(e.source)?.type === 'service');
    const total = fromServices.reduce((s, e) => s + e.rates.total, 0);
    // Callers that reached the workload without a service (Linkerd's unknown callers): draw them into its services.
    for (const direct of (inbound.get(n.id) ?? []).filter((e) => w.nodes.get(e.source)?.type !== 'service')) {
      for (const inE of fromServices) {
        const f = total > 0 ? inE.rates.total / total : 1 / fromServices.length;
        mergeScaled(edge(w, direct.source, inE.source, direct.protocol, direct.mesh), direct, f, w);
      }
    }
    for (const out of outbound.get(n.id) ?? []) {
      for (const inE of fromServices) {
        const f = total > 0 ? inE.rates.total / total : 1 / fromServices.length;
        // An edge into a workload that is itself removed is re-pointed when that workload is processed.
        mergeScaled(edge(w, inE.source, out.target, out.protocol, out.mesh), out, f, w);
      }
    }
  }
  const gone = new Set(served.map((n) => n.id));
  // Edges left pointing at removed workloads (svc -> wl) are the service's own inbound: drop them.
  // Edges whose new target is a removed workload were re-pointed above through that workload's services.
  for (const [id, e] of w.edges) if (gone.has(e.source) || gone.has(e.target)) w.edges.delete(id);
  for (const id of gone) w.nodes.delete(id);
  for (const s of w.identityEdges.values()) for (const id of s) if (!w.edges.has(id)) s.delete(id);
}
