/**
 * Finding Prometheus inside a cluster: services named `prometheus`, or labelled
 * `app.kubernetes.io/name=prometheus` (or the older `app=prometheus`), in istio-system (Istio's
 * addon), monitoring (kube-prometheus, Helm charts) and linkerd-viz. Each namespace looked at is
 * reported with what was there, so "not found" comes with reasons (missing, forbidden...).
 */
import { ApiError } from '../../shared/errors';
import type { DiscoveryCandidate, DiscoveryResult } from '../../shared/contract/metrics';
import type { KubeRawClient } from './transport';

export const DISCOVERY_NAMESPACES = ['istio-system', 'monitoring', 'linkerd-viz'] as const;

interface ServicePort {
  name?: string;
  port?: number;
  appProtocol?: string;
}
interface ServiceItem {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: { ports?: ServicePort[]; type?: string };
}

const PREFERRED_PORT_NAMES = ['http-web', 'web', 'http', 'http-prometheus', 'prometheus'];

function pickPort(ports: ServicePort[]): { port: number; scheme: 'http' | 'https' } | null {
  const valid = ports.filter((p): p is ServicePort & { port: number } => typeof p.port === 'number');
  const byName = PREFERRED_PORT_NAMES.map((n) => valid.find((p) => p.name === n)).find(Boolean);
  const p = byName ?? valid.find((x) => x.port === 9090) ?? valid[0];
  if (!p) return null;
  const https = p.appProtocol === 'https' || /^https/.test(p.name ?? '') || p.port === 443;
  return { port: p.port, scheme: https ? 'https' : 'http' };
}

function reasonFor(s: ServiceItem): string | null {
  const name = s.metadata?.name ?? '';
  const labels = s.metadata?.labels ?? {};
  if (name === 'prometheus') return 'named "prometheus"';
  if (labels['app.kubernetes.io/name'] === 'prometheus') return 'label app.kubernetes.io/name=prometheus';
  if (labels.app === 'prometheus') return 'label app=prometheus';
  return null;
}

/** Lower is better: the exact name first, then namespace order, then headless/operator services last. */
function rank(c: DiscoveryCandidate, s: ServiceItem): number {
  const nsRank = (DISCOVERY_NAMESPACES as readonly string[]).indexOf(c.namespace);
  // prometheus-operated is the operator's headless service; prefer the real one.
  const operated = c.name === 'prometheus-operated' ? 50 : 0;
  const name = c.reason.startsWith('named') ? 0 : 10;
  const headless = s.spec?.type === 'ClusterIP' && c.name.endsWith('-operated') ? 5 : 0;
  return nsRank * 100 + name + operated + headless;
}

export async function discoverPrometheus(client: KubeRawClient, contextId: string, signal?: AbortSignal, timeoutMs = 10_000): Promise<DiscoveryResult> {
  const found: { c: DiscoveryCandidate; s: ServiceItem }[] = [];
  const checked: DiscoveryResult['checked'] = [];
  await Promise.all(
    DISCOVERY_NAMESPACES.map(async (ns) => {
      let res: { status: number; body: Buffer };
      try {
        res = await client.request(`/api/v1/namespaces/${ns}/services`, { ...(signal ? { signal } : {}), timeoutMs });
      } catch (e) {
        if (e instanceof ApiError && e.code === 'CANCELLED') throw e;
        checked.push({ namespace: ns, outcome: 'error', detail: e instanceof Error ? e.message : String(e) });
        return;
      }
      if (res.status === 403) return void checked.push({ namespace: ns, outcome: 'forbidden', detail: 'your kube user may not list services here' });
      if (res.status === 404) return void checked.push({ namespace: ns, outcome: 'missing', detail: 'no such namespace' });
      if (res.status !== 200) return void checked.push({ namespace: ns, outcome: 'error', detail: `HTTP ${res.status} from the API server` });
      let items: ServiceItem[] = [];
      try {
        const body = JSON.parse(res.body.toString('utf8')) as { items?: ServiceItem[] };
        items = Array.isArray(body.items) ? body.items : [];
      } catch {
        return void checked.push({ namespace: ns, outcome: 'error', detail: 'the API server answered something that is not JSON' });
      }
      let n = 0;
      for (const s of items) {
        const reason = reasonFor(s);
        if (!reason) continue;
        const port = pickPort(s.spec?.ports ?? []);
        if (!port) continue;
        n++;
        found.push({ c: { namespace: ns, name: s.metadata?.name ?? '', port: port.port, scheme: port.scheme, reason, chosen: false }, s });
      }
      checked.push(
        n > 0
          ? { namespace: ns, outcome: 'found', detail: `${n} candidate service(s)` }
          : { namespace: ns, outcome: 'none', detail: `${items.length} service(s), none named or labelled prometheus` },
      );
    }),
  );
  found.sort((a, b) => rank(a.c, a.s) - rank(b.c, b.s));
  const candidates = found.map((f) => f.c);
  if (candidates[0]) candidates[0].chosen = true;
  checked.sort((a, b) => DISCOVERY_NAMESPACES.indexOf(a.namespace as (typeof DISCOVERY_NAMESPACES)[number]) - DISCOVERY_NAMESPACES.indexOf(b.namespace as (typeof DISCOVERY_NAMESPACES)[number]));
  return { contextId, candidates, checked, chosen: candidates[0] ?? null };
}
