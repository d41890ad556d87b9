import type { MeshKind } from '../../../shared/graph/types';
import { identityKey, UNKNOWN } from '../observe';
import type { TrafficObs, ValueObs } from '../observe';
import { edge, linkIdentity, pathFor } from '../work';
import type { EdgeAcc, Work } from '../work';

/** Requests (already reporter-deduplicated) -> nodes and edges with rates by outcome and code. */
export function appendTraffic(w: Work, obs: readonly TrafficObs[]): void {
  // Many series share one identity (codes, reporters): resolve its nodes and edges once.
  const edgesOf = new Map<string, EdgeAcc[]>();
  for (const o of obs) {
    const key = o.idKey ?? o.key;
    const ek = `${o.key}|${o.protocol}`;
    let edges = edgesOf.get(ek);
    if (!edges) {
      const path = pathFor(w, o);
      edges = [];
      for (let i = 0; i + 1 < path.length; i++) edges.push(edge(w, path[i]!.id, path[i + 1]!.id, o.protocol, o.mesh));
      edgesOf.set(ek, edges);
    }
    for (const e of edges) {
      e.rates.total += o.rate;
      if (o.outcome === '4xx') e.rates.err4xx += o.rate;
      else if (o.outcome === '5xx') e.rates.err5xx += o.rate;
      e.codes[o.code] = (e.codes[o.code] ?? 0) + o.rate;
      if (o.tls !== null) {
        e.mtls.total += o.rate;
        if (o.tls) e.mtls.mutual += o.rate;
      }
      linkIdentity(w, key, e, o.rate);
    }
  }
}

/**
 * One cluster running both meshes: a request from a workload of one mesh to a workload of the
 * other is seen twice, by the caller's mesh (which may not know the callee's workload) and by the
 * callee's mesh as coming from an unknown caller. Join the two: the caller's series gets the
 * callee's workload (when it named only the service, the callee's workloads of that service
 * take it in proportion), and the callee's unknown-caller series lose what was attributed.
 */
export function joinAcrossMeshes(obs: readonly TrafficObs[]): TrafficObs[] {
  const key = (mesh: string, cluster: string, ns: string, wl: string) => `${mesh}|${cluster}|${ns}|${wl}`;
  const unknownTotal = new Map<string, { rate: number; dst: TrafficObs['dst'] }>();
  const byNs = new Map<string, string[]>();
  for (const o of obs) {
    if (o.src.workload !== UNKNOWN || o.dst.workload === UNKNOWN) continue;
    const k = key(o.mesh, o.dst.cluster, o.dst.namespace, o.dst.workload);
    const e = unknownTotal.get(k);
    if (e) e.rate += o.rate;
    else {
      unknownTotal.set(k, { rate: o.rate, dst: o.dst });
      const nk = `${o.mesh}|${o.dst.cluster}|${o.dst.namespace}`;
      byNs.set(nk, [...(byNs.get(nk) ?? []), k]);
    }
  }
  if (unknownTotal.size === 0) return [...obs];
  const attributed = new Map<string, number>();
  const out: TrafficObs[] = [];
  for (const o of obs) {
    if (o.src.workload === UNKNOWN) continue;
    const other = o.mesh === 'istio' ? 'linkerd' : 'istio';
    if (o.dst.workload !== UNKNOWN) {
      const k = key(other, o.dst.cluster, o.dst.namespace, o.dst.workload);
      if (unknownTotal.has(k)) attributed.set(k, (attributed.get(k) ?? 0) + o.rate);
      out.push(o);
      continue;
    }
    const svcNs = o.dst.serviceNamespace || o.dst.namespace;
    const cands = (byNs.get(`${other}|${o.dst.cluster}|${svcNs}`) ?? []).filter((k) => {
      const d = unknownTotal.get(k)!.dst;
      return o.dst.service !== '' && (d.app === o.dst.service || d.workload === o.dst.service || d.workload.startsWith(`${o.dst.service}-`));
    });
    const total = cands.reduce((s, k) => s + unknownTotal.get(k)!.rate, 0);
    if (cands.length === 0 || total <= 0) {
      out.push(o);
      continue;
    }
    const idKey = o.idKey ?? o.key;
    for (const k of cands) {
      const u = unknownTotal.get(k)!;
      const part = o.rate * (u.rate / total);
      attributed.set(k, (attributed.get(k) ?? 0) + part);
      const joined = { ...o, idKey, rate: part, dst: { ...o.dst, namespace: u.dst.namespace, workload: u.dst.workload, app: u.dst.app, version: u.dst.version } };
      joined.key = identityKey(joined);
      out.push(joined);
    }
  }
  for (const o of obs) {
    if (o.src.workload !== UNKNOWN) continue;
    const k = key(o.mesh, o.dst.cluster, o.dst.namespace, o.dst.workload);
    const u = unknownTotal.get(k);
    const a = attributed.get(k);
    if (!u || a === undefined) {
      out.push(o);
      continue;
    }
    const left = o.rate * Math.max(0, 1 - a / u.rate);
    // Allow for the two proxies' rate estimates differing by a little.
    if (left > Math.max(0.001, o.rate * 0.05)) out.push({ ...o, rate: left });
  }
  return out;
}

/**
 * TCP bytes. Istio's TCP series are TCP-proxied connections: edges of their own. Linkerd counts
 * every connection, HTTP too: its bytes become the throughput of the HTTP edge when there is one.
 */
export function appendTcp(w: Work, obs: Iterable<ValueObs>, mesh: MeshKind): void {
  for (const o of obs) {
    const key = o.key;
    const path = pathFor(w, o);
    for (let i = 0; i + 1 < path.length; i++) {
      const a = path[i]!.id;
      const b = path[i + 1]!.id;
      const http = mesh === 'linkerd' ? (w.edges.get(`${a}>${b}|http`) ?? w.edges.get(`${a}>${b}|grpc`)) : undefined;
      if (http) {
        http.throughput = (http.throughput ?? 0) + o.value;
        continue;
      }
      const e = edge(w, a, b, 'tcp', mesh);
      e.rates.total += o.value;
      e.throughput = (e.throughput ?? 0) + o.value;
      linkIdentity(w, key, e, o.value);
    }
  }
}
