import type { GraphNode, SecurityPolicy } from '../../../shared/graph/types';
import type { KubeObject, RoutingSnapshot } from '../ports';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null);

type Mode = SecurityPolicy['peerAuthentication']['mode'];

function matchLabels(o: KubeObject): Record<string, string> | null {
  const ml = obj(obj(obj(o.spec)?.selector)?.matchLabels);
  if (!ml) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ml)) if (typeof v === 'string') out[k] = v;
  return out;
}

function selects(sel: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}

function modeOf(o: KubeObject): Mode {
  const m = obj(obj(o.spec)?.mtls)?.mode;
  return m === 'STRICT' || m === 'PERMISSIVE' || m === 'DISABLE' ? m : 'UNSET';
}

/** Pod labels of a node's workload; the app/version labels the metrics carried when the reader has none. */
export function labelsOf(n: GraphNode, snap: RoutingSnapshot): Record<string, string> {
  const wl = n.workload ? snap.workloads.find((w) => w.namespace === n.namespace && w.name === n.workload) : undefined;
  if (wl) return wl.labels;
  const l: Record<string, string> = {};
  if (n.app) l.app = n.app;
  if (n.version && n.version !== 'latest') l.version = n.version;
  return l;
}

/**
 * The security policy in force for a workload, as Istio resolves it: a PeerAuthentication with a
 * matching selector, else the namespace-wide one, else the mesh-wide one in the root namespace;
 * AuthorizationPolicies that select it (by labels, namespace-wide, or mesh-wide).
 */
export function securityFor(n: GraphNode, snap: RoutingSnapshot): SecurityPolicy {
  const root = snap.rootNamespace ?? 'istio-system';
  const labels = labelsOf(n, snap);
  const pas = snap.objects.filter((o) => o.kind === 'PeerAuthentication');
  const pick = (cands: KubeObject[]) => cands.find((o) => modeOf(o) !== 'UNSET') ?? cands[0];
  const bySelector = pick(pas.filter((o) => o.metadata.namespace === n.namespace && matchLabels(o) && selects(matchLabels(o)!, labels)));
  const nsWide = pick(pas.filter((o) => o.metadata.namespace === n.namespace && !matchLabels(o)));
  const meshWide = pick(pas.filter((o) => o.metadata.namespace === root && !matchLabels(o)));
  const pa = [bySelector, nsWide, meshWide].find((o) => o !== undefined && modeOf(o) !== 'UNSET');
  const authz = snap.objects
    .filter((o) => o.kind === 'AuthorizationPolicy' && /security\.istio\.io/.test(o.apiVersion))
    .filter((o) => {
      const sel = matchLabels(o);
      if (o.metadata.namespace === n.namespace) return !sel || selects(sel, labels);
      return o.metadata.namespace === root && !sel;
    })
    .map((o) => {
      const spec = obj(o.spec) ?? {};
      return {
        namespace: o.metadata.namespace ?? '', name: o.metadata.name,
        action: typeof spec.action === 'string' ? spec.action : 'ALLOW',
        rules: Array.isArray(spec.rules) ? spec.rules.length : 0,
      };
    });
  const policy: SecurityPolicy = {
    peerAuthentication: { mode: pa ? modeOf(pa) : 'UNSET', from: pa ? `${pa.metadata.namespace}/${pa.metadata.name}` : null },
    authorizationPolicies: authz,
  };
  if (n.mesh === 'linkerd') policy.note = 'Linkerd encrypts meshed traffic by default; its Server and AuthorizationPolicy objects are not read here.';
  return policy;
}

/** Marks workload-like Istio nodes with the PeerAuthentication mode in force, and STRICT ones with the mTLS badge. */
export function appendSecurity(nodes: Iterable<GraphNode>, snap: RoutingSnapshot): void {
  for (const n of nodes) {
    if (n.type === 'service' || n.type === 'unknown' || n.mesh !== 'istio' || n.isOutside) continue;
    const mode = securityFor(n, snap).peerAuthentication.mode;
    n.mtlsMode = mode;
    if (mode === 'STRICT' && !n.badges.includes('mtls')) n.badges.push('mtls');
  }
}
