import type { ValueObs } from '../observe';
import type { Work } from '../work';

/**
 * Percentiles per identity onto the edges that identity's traffic was drawn on. An edge carrying
 * several identities (a service node's inbound, an app node) gets their request-weighted mean:
 * exact for one identity, an approximation otherwise (percentiles do not add).
 */
export function appendResponseTimes(w: Work, q: 'p50' | 'p95' | 'p99', values: Map<string, ValueObs>): void {
  for (const [key, o] of values) {
    const ids = w.identityEdges.get(key);
    if (!ids) continue;
    for (const id of ids) {
      const e = w.edges.get(id);
      if (!e || e.protocol === 'tcp') continue;
      const weight = Math.max(e.identities.get(key) ?? 0, 1e-9);
      e.rt[q][0] += o.value * weight;
      e.rt[q][1] += weight;
    }
  }
}

/** Istio connection_security_policy, per identity: share of mutual TLS on each edge. */
export function appendMtls(w: Work, perIdentity: Map<string, { mutual: number; total: number }>): void {
  for (const [key, m] of perIdentity) {
    const ids = w.identityEdges.get(key);
    if (!ids) continue;
    for (const id of ids) {
      const e = w.edges.get(id);
      if (!e) continue;
      e.mtls.total += m.total;
      e.mtls.mutual += m.mutual;
    }
  }
}
