/**
 * Where the simulator reads routing from, live: the sandbox cluster's in-process store (watch
 * callbacks, no HTTP), or any cluster through @kubernetes/client-node informers (list + watch).
 * Both call `onChange` with a complete snapshot after every change.
 */
import { CustomObjectsApi, KubeConfig, makeInformer } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { emptyRoutingObjects, type RoutingObject, type RoutingObjects } from './routing';

export interface RoutingSource {
  readonly describe: string;
  /** Resolves once the initial state was delivered (or failed; see errors). */
  start(onChange: (objects: RoutingObjects) => void): Promise<void>;
  stop(): void;
  /** Recent problems (a missing CRD, a failed watch), newest last. */
  readonly errors: string[];
}

interface Kind {
  field: keyof RoutingObjects;
  kind: string;
  group: string;
  /** Served versions to try, preferred first. */
  versions: string[];
  plural: string;
}

export const ROUTING_KINDS: readonly Kind[] = [
  { field: 'virtualServices', kind: 'VirtualService', group: 'networking.istio.io', versions: ['v1', 'v1beta1', 'v1alpha3'], plural: 'virtualservices' },
  { field: 'destinationRules', kind: 'DestinationRule', group: 'networking.istio.io', versions: ['v1', 'v1beta1', 'v1alpha3'], plural: 'destinationrules' },
  { field: 'httpRoutes', kind: 'HTTPRoute', group: 'gateway.networking.k8s.io', versions: ['v1', 'v1beta1'], plural: 'httproutes' },
  { field: 'trafficSplits', kind: 'TrafficSplit', group: 'split.smi-spec.io', versions: ['v1alpha4', 'v1alpha3', 'v1alpha2', 'v1alpha1'], plural: 'trafficsplits' },
];

/** The slice of the sandbox kube store (sandbox/kube facade.ts SandboxStore) the simulator needs. */
export interface InProcessStore {
  watch(
    apiVersion: string,
    kind: string,
    options: Record<string, never>,
    onEvent: (ev: { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: RoutingObject }) => void,
  ): () => void;
}

/** Snapshots keyed by `ns/name` per kind; emits a fresh RoutingObjects after each change (coalesced per microtask). */
class Snapshot {
  private readonly maps = new Map<keyof RoutingObjects, Map<string, RoutingObject>>();
  private pending = false;
  constructor(private readonly onChange: (o: RoutingObjects) => void) {
    for (const k of ROUTING_KINDS) this.maps.set(k.field, new Map());
  }
  set(field: keyof RoutingObjects, type: 'ADDED' | 'MODIFIED' | 'DELETED', o: RoutingObject): void {
    const m = this.maps.get(field)!;
    const key = `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
    if (type === 'DELETED') m.delete(key);
    else m.set(key, o);
    this.schedule();
  }
  replace(field: keyof RoutingObjects, list: RoutingObject[]): void {
    const m = this.maps.get(field)!;
    m.clear();
    for (const o of list) m.set(`${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`, o);
    this.schedule();
  }
  current(): RoutingObjects {
    const out = emptyRoutingObjects();
    for (const [field, m] of this.maps) out[field] = [...m.values()];
    return out;
  }
  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.onChange(this.current());
    });
  }
  flush(): void {
    this.onChange(this.current());
  }
}

export function storeRoutingSource(store: InProcessStore): RoutingSource {
  const cancels: (() => void)[] = [];
  const errors: string[] = [];
  return {
    describe: 'sandbox kube store (in-process watch)',
    errors,
    async start(onChange) {
      const snap = new Snapshot(onChange);
      for (const k of ROUTING_KINDS) {
        let problem = '';
        for (const version of k.versions) {
          try {
            cancels.push(store.watch(`${k.group}/${version}`, k.kind, {}, (ev) => snap.set(k.field, ev.type, ev.object)));
            problem = '';
            break;
          } catch (e) {
            // Not served at this version (or the CRD is missing): try the next one.
            problem = e instanceof Error ? e.message : String(e);
          }
        }
        if (problem) errors.push(`watch ${k.plural}.${k.group}: ${problem}`);
      }
      snap.flush();
    },
    stop() {
      for (const c of cancels.splice(0)) c();
    },
  };
}

export function kubeconfigRoutingSource(kubeconfig: string | KubeConfig): RoutingSource {
  const kc = typeof kubeconfig === 'string' ? loadKubeconfig(kubeconfig) : kubeconfig;
  const api = kc.makeApiClient(CustomObjectsApi);
  const errors: string[] = [];
  const informers: { stop(): Promise<void> }[] = [];
  let stopped = false;
  const note = (msg: string) => {
    errors.push(msg);
    if (errors.length > 50) errors.shift();
  };
  return {
    describe: `Kubernetes API ${kc.getCurrentCluster()?.server ?? '?'} (client-node informers)`,
    errors,
    async start(onChange) {
      const snap = new Snapshot(onChange);
      await Promise.all(
        ROUTING_KINDS.map(async (k) => {
          // Find a served version: the first list that answers.
          for (const version of k.versions) {
            const list = async () => (await api.listClusterCustomObject({ group: k.group, version, plural: k.plural })) as { items: KubernetesObject[]; metadata: { resourceVersion?: string } };
            try {
              await list();
            } catch (e) {
              const code = (e as { code?: number }).code;
              if (code === 404) continue;
              note(`list ${k.plural}.${k.group}/${version}: ${e instanceof Error ? e.message : String(e)}`);
              continue;
            }
            const inf = makeInformer(kc, `/apis/${k.group}/${version}/${k.plural}`, list);
            const sync = () => snap.replace(k.field, inf.list() as unknown as RoutingObject[]);
            inf.on('add', sync);
            inf.on('update', sync);
            inf.on('delete', sync);
            inf.on('error', (err: unknown) => {
              note(`watch ${k.plural}.${k.group}: ${err instanceof Error ? err.message : String(err)}`);
              // Informers stop on error: restart after a pause, as controllers do.
              setTimeout(() => {
                if (!stopped) inf.start().catch((e: unknown) => note(`restart ${k.plural}: ${String(e)}`));
              }, 1000).unref();
            });
            await inf.start();
            sync();
            informers.push(inf);
            return;
          }
          note(`${k.plural}.${k.group}: no served version (${k.versions.join(', ')})`);
        }),
      );
      snap.flush();
    },
    stop() {
      stopped = true;
      for (const i of informers.splice(0)) void i.stop().catch(() => undefined);
    },
  };
}

export function staticRoutingSource(objects: RoutingObjects): RoutingSource {
  return {
    describe: 'static routing objects',
    errors: [],
    async start(onChange) {
      onChange(objects);
    },
    stop() {},
  };
}

function loadKubeconfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}
