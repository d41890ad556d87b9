import { ApiError } from '../../shared/errors';
import type { KubeObject, RoutingReader, RoutingSnapshot, WorkloadLabels } from './ports';

/** The one call the reader needs from a kube client (main/kube's KubeClient has it). */
export interface JsonGetter {
  requestJson<T = unknown>(path: string, init?: { signal?: AbortSignal; timeoutMs?: number }): Promise<T>;
}

const KINDS: { kind: string; apiVersion: string; plural: string }[] = [
  { kind: 'VirtualService', apiVersion: 'networking.istio.io/v1', plural: 'virtualservices' },
  { kind: 'DestinationRule', apiVersion: 'networking.istio.io/v1', plural: 'destinationrules' },
  { kind: 'PeerAuthentication', apiVersion: 'security.istio.io/v1', plural: 'peerauthentications' },
  { kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', plural: 'authorizationpolicies' },
  { kind: 'HTTPRoute', apiVersion: 'gateway.networking.k8s.io/v1', plural: 'httproutes' },
  { kind: 'TrafficSplit', apiVersion: 'split.smi-spec.io/v1alpha2', plural: 'trafficsplits' },
];
/** Mesh-wide security lives in Istio's root namespace. */
const ROOT_KINDS = new Set(['PeerAuthentication', 'AuthorizationPolicy']);

interface List { items?: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }; spec?: unknown }[] }

/**
 * Lists routing and security objects per namespace through a kube client. A kind whose CRD is not
 * installed (404) or that RBAC hides (403) is simply absent: the graph then has no badges of that kind.
 */
export function kubeRoutingReader(client: () => JsonGetter, opts: { rootNamespace?: string } = {}): RoutingReader {
  const root = opts.rootNamespace ?? 'istio-system';
  return {
    async snapshot(namespaces, signal): Promise<RoutingSnapshot> {
      const c = client();
      const objects: KubeObject[] = [];
      const workloads: WorkloadLabels[] = [];
      const list = async (path: string): Promise<List> => {
        try {
          return await c.requestJson<List>(path, { signal });
        } catch (err) {
          if (err instanceof ApiError && (err.code === 'NOT_FOUND' || err.code === 'FORBIDDEN')) return {};
          throw err;
        }
      };
      const jobs: Promise<void>[] = [];
      const nsList = [...new Set(namespaces)];
      for (const ns of new Set([...nsList, root])) {
        for (const k of KINDS) {
          if (ns === root && !nsList.includes(ns) && !ROOT_KINDS.has(k.kind)) continue;
          jobs.push(
            list(`/apis/${k.apiVersion}/namespaces/${encodeURIComponent(ns)}/${k.plural}`).then((l) => {
              for (const it of l.items ?? []) {
                if (!it.metadata?.name) continue;
                objects.push({ apiVersion: k.apiVersion, kind: k.kind, metadata: { name: it.metadata.name, namespace: it.metadata.namespace ?? ns, labels: it.metadata.labels }, spec: it.spec });
              }
            }),
          );
        }
      }
      for (const ns of nsList) {
        jobs.push(
          list(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments`).then((l) => {
            for (const it of l.items ?? []) {
              const tpl = (it.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template;
              if (it.metadata?.name) workloads.push({ namespace: ns, name: it.metadata.name, labels: tpl?.metadata?.labels ?? {} });
            }
          }),
        );
      }
      await Promise.all(jobs);
      // Stable order, so badges and panels do not shuffle between refreshes.
      objects.sort((a, b) => `${a.kind}/${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.namespace}/${b.metadata.name}`));
      return { objects, workloads, rootNamespace: root };
    },
  };
}
