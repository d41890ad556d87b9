// The sandbox API server's storage and REST semantics without HTTP: resourceVersions,
// history and watch replay, conflicts, generation, status subresource, dry run, finalizers,
// the built-in controllers, and the in-process store facade.
import { describe, expect, it } from 'vitest';
import { KubeApi } from '../../sandbox/kube/api.js';
import { Controllers } from '../../sandbox/kube/controllers.js';
import { Registry, type ResourceDef } from '../../sandbox/kube/discovery.js';
import { KubeError } from '../../sandbox/kube/errors.js';
import { createStoreFacade } from '../../sandbox/kube/facade.js';
import { ObjectStore } from '../../sandbox/kube/store.js';
import { parseLabelSelector } from '../../sandbox/kube/selectors.js';
import { humanDuration, jsonPath, toTable } from '../../sandbox/kube/table.js';
import type { KubeObject } from '../../sandbox/kube/types.js';

function cluster(historySize = 100) {
  const store = new ObjectStore(historySize);
  const api = new KubeApi(store, new Registry());
  const controllers = new Controllers(api, (e) => {
    throw e;
  });
  controllers.start();
  const def = (apiVersion: string, kind: string): ResourceDef => {
    const d = api.registry.byApiVersionKind(apiVersion, kind);
    if (!d) throw new Error(`no ${apiVersion} ${kind}`);
    return d;
  };
  api.create(def('v1', 'Namespace'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } });
  api.create(def('apiextensions.k8s.io/v1', 'CustomResourceDefinition'), undefined, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'virtualservices.networking.istio.io' },
    spec: {
      group: 'networking.istio.io',
      names: { kind: 'VirtualService', plural: 'virtualservices', singular: 'virtualservice', shortNames: ['vs'] },
      scope: 'Namespaced',
      versions: [
        { name: 'v1beta1', served: true, storage: false },
        { name: 'v1', served: true, storage: true, subresources: { status: {} }, additionalPrinterColumns: [{ name: 'Hosts', type: 'string', jsonPath: '.spec.hosts' }] },
      ],
    },
  });
  return { store, api, controllers, def, facade: createStoreFacade(api, controllers) };
}

function vs(name: string, weight = 100, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'shop', labels: { app: name } },
    spec: { hosts: [name], http: [{ route: [{ destination: { host: name }, weight }] }] },
    ...extra,
  };
}

function code(fn: () => unknown): { code: number; reason?: string; message?: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof KubeError) return { code: e.code, reason: e.status.reason, message: e.status.message };
    throw e;
  }
  throw new Error('expected a KubeError');
}

describe('sandbox kube store', () => {
  it('assigns a global monotonic resourceVersion and freezes stored objects', () => {
    const { api, def, store } = cluster();
    const d = def('networking.istio.io/v1', 'VirtualService');
    const a = api.create(d, 'shop', vs('a'));
    const b = api.create(d, 'shop', vs('b'));
    expect(Number(b.metadata.resourceVersion)).toBe(Number(a.metadata.resourceVersion) + 1);
    expect(String(store.currentRV())).toBe(b.metadata.resourceVersion);
    expect(Object.isFrozen(a.metadata)).toBe(true);
    expect(a.metadata).toMatchObject({ generation: 1, namespace: 'shop' });
    expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('replays history after a resourceVersion, filters by label with enter/leave transitions, and expires old ones', () => {
    const { api, def, store } = cluster(5);
    const d = def('networking.istio.io/v1', 'VirtualService');
    const start = store.currentRV();
    api.create(d, 'shop', vs('a'));
    const b = api.create(d, 'shop', vs('b'));
    const events: string[] = [];
    const cancel = store.watch('networking.istio.io/virtualservices', { labelSelector: parseLabelSelector('tier=gold') }, start, (type, o) => events.push(`${type}:${o.metadata.name}`));
    api.patch(d, 'shop', 'b', 'merge', JSON.stringify({ metadata: { labels: { tier: 'gold' } } })); // enters: ADDED
    api.patch(d, 'shop', 'b', 'merge', JSON.stringify({ spec: { hosts: ['b', 'b2'] } })); // MODIFIED
    api.patch(d, 'shop', 'b', 'merge', JSON.stringify({ metadata: { labels: { tier: null } } })); // leaves: DELETED
    api.delete(d, 'shop', 'a');
    cancel();
    expect(events).toEqual(['ADDED:b', 'MODIFIED:b', 'DELETED:b']);
    expect(b.metadata.labels).toEqual({ app: 'b' });
    // Five more changes push `start` out of the 5-event history.
    for (let i = 0; i < 5; i++) api.create(d, 'shop', vs(`n${i}`));
    expect(code(() => store.watch('networking.istio.io/virtualservices', {}, start, () => {}))).toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('lists consistent pages with continue tokens even while objects change', () => {
    const { api, def } = cluster();
    const d = def('networking.istio.io/v1', 'VirtualService');
    for (const n of ['a', 'b', 'c', 'd', 'e']) api.create(d, 'shop', vs(n));
    const p1 = api.list(d, { namespace: 'shop', limit: 2 });
    expect(p1.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(p1.remainingItemCount).toBe(3);
    // Changes after the first page do not leak into later pages (snapshot at the list RV).
    api.delete(d, 'shop', 'c');
    api.create(d, 'shop', vs('bb'));
    const p2 = api.list(d, { namespace: 'shop', limit: 2, continueToken: p1.continueToken });
    expect(p2.items.map((o) => o.metadata.name)).toEqual(['c', 'd']);
    const p3 = api.list(d, { namespace: 'shop', limit: 2, continueToken: p2.continueToken });
    expect(p3.items.map((o) => o.metadata.name)).toEqual(['e']);
    expect(p3.continueToken).toBeUndefined();
    expect(p3.resourceVersion).toBe(p1.resourceVersion);
    expect(code(() => api.list(d, { continueToken: 'garbage' })).code).toBe(400);
  });

  it('update: stale resourceVersion is 409, CRs require one (422), generation moves only with spec, no-op writes are free', () => {
    const { api, def, store } = cluster();
    const d = def('networking.istio.io/v1', 'VirtualService');
    const v1 = api.create(d, 'shop', vs('r', 100));
    const changed = { ...vs('r', 50), metadata: { ...v1.metadata } };
    const v2 = api.update(d, 'shop', 'r', changed);
    expect(v2.metadata.generation).toBe(2);
    expect(code(() => api.update(d, 'shop', 'r', { ...vs('r', 10), metadata: { ...v1.metadata } }))).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(code(() => api.update(d, 'shop', 'r', vs('r', 10)))).toMatchObject({ code: 422, reason: 'Invalid' });
    const labelled = api.update(d, 'shop', 'r', { ...changed, metadata: { ...v2.metadata, labels: { app: 'r', x: 'y' } } });
    expect(labelled.metadata.generation).toBe(2);
    const rv = store.currentRV();
    const same = api.update(d, 'shop', 'r', { ...labelled });
    expect(same.metadata.resourceVersion).toBe(labelled.metadata.resourceVersion);
    expect(store.currentRV()).toBe(rv);
  });

  it('status subresource: main writes ignore status, /status writes change only status', () => {
    const { api, def } = cluster();
    const d = def('networking.istio.io/v1', 'VirtualService');
    const created = api.create(d, 'shop', vs('s', 100, { status: { observedGeneration: 7 } }));
    expect(created.status).toBeUndefined();
    const withStatus = api.update(d, 'shop', 's', { ...created, status: { validationMessages: [] }, spec: { hosts: ['other'] } }, { scope: 'status' });
    expect(withStatus.status).toEqual({ validationMessages: [] });
    expect((withStatus.spec as { hosts: string[] }).hosts).toEqual(['s']);
    expect(withStatus.metadata.generation).toBe(1);
    const main = api.update(d, 'shop', 's', { ...withStatus, status: { hacked: true } });
    expect(main.status).toEqual({ validationMessages: [] });
  });

  it('dry run validates and returns the result without storing; invalid names and bad weights are rejected', () => {
    const { api, def, store } = cluster();
    const d = def('networking.istio.io/v1', 'VirtualService');
    const rv = store.currentRV();
    const dry = api.create(d, 'shop', vs('dry'), { dryRun: true });
    expect(dry.metadata.name).toBe('dry');
    expect(store.currentRV()).toBe(rv);
    expect(store.get('networking.istio.io/virtualservices', 'shop', 'dry')).toBeUndefined();
    expect(code(() => api.create(d, 'shop', vs('Bad_Name')))).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(code(() => api.create(d, 'shop', vs('neg', -1), { dryRun: true })).message).toBe(
      'admission webhook "validation.istio.io" denied the request: configuration is invalid: weight -1 < 0',
    );
    expect(code(() => api.create(d, 'nope', { ...vs('x'), metadata: { name: 'x' } })).message).toBe('namespaces "nope" not found');
    expect(code(() => api.create(d, 'nope', vs('x'))).code).toBe(400); // body namespace ≠ URL namespace
    const generated = api.create(d, 'shop', { ...vs('gen'), metadata: { generateName: 'gen-', namespace: 'shop' } });
    expect(generated.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('strategic merge patch is refused (415) for custom resources', () => {
    const { api, def } = cluster();
    const d = def('networking.istio.io/v1', 'VirtualService');
    api.create(d, 'shop', vs('smp'));
    expect(code(() => api.patch(d, 'shop', 'smp', 'strategic', '{}')).code).toBe(415);
  });

  it('finalizers delay deletion until they are removed', () => {
    const { api, def, store } = cluster();
    const d = def('networking.istio.io/v1', 'VirtualService');
    api.create(d, 'shop', { ...vs('fin'), metadata: { name: 'fin', namespace: 'shop', finalizers: ['meshdeck.dev/canary'] } });
    const deleting = api.delete(d, 'shop', 'fin') as KubeObject;
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    expect(store.get('networking.istio.io/virtualservices', 'shop', 'fin')).toBeDefined();
    api.patch(d, 'shop', 'fin', 'json', JSON.stringify([{ op: 'remove', path: '/metadata/finalizers' }]));
    expect(store.get('networking.istio.io/virtualservices', 'shop', 'fin')).toBeUndefined();
  });

  it('serves every CRD version from one bucket and drops the kind when the CRD is deleted', async () => {
    const { api, def, facade, controllers } = cluster();
    api.create(def('networking.istio.io/v1', 'VirtualService'), 'shop', vs('multi'));
    expect(facade.get('networking.istio.io/v1beta1', 'VirtualService', 'shop', 'multi')?.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(api.registry.apiGroup('networking.istio.io')).toMatchObject({ preferredVersion: { version: 'v1' } });
    api.delete(def('apiextensions.k8s.io/v1', 'CustomResourceDefinition'), undefined, 'virtualservices.networking.istio.io');
    await controllers.whenIdle();
    expect(api.registry.byApiVersionKind('networking.istio.io/v1', 'VirtualService')).toBeUndefined();
    expect(api.registry.apiGroup('networking.istio.io')).toBeUndefined();
    expect(api.store.list('networking.istio.io/virtualservices')).toHaveLength(0);
  });
});

describe('sandbox kube controllers', () => {
  const deployment = (name: string, replicas: number, image = 'app:1'): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, version: 'v1' } }, spec: { containers: [{ name: 'app', image, ports: [{ name: 'http', containerPort: 8080 }] }] } },
    },
  });

  it('Deployment → ReplicaSet → Running pods with an injected sidecar → Endpoints, and a rollout replaces pods', async () => {
    const { api, def, controllers, facade } = cluster();
    api.create(def('v1', 'Service'), 'shop', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    api.create(def('apps/v1', 'Deployment'), 'shop', deployment('web', 3));
    await controllers.whenIdle();
    const pods = facade.list('v1', 'Pod', { namespace: 'shop', labelSelector: 'app=web' });
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.status?.phase === 'Running' && p.spec.containers.map((c) => c.name).join() === 'app,istio-proxy')).toBe(true);
    expect(pods[0]!.metadata.labels?.['security.istio.io/tlsMode']).toBe('istio');
    const ep = facade.get('v1', 'Endpoints', 'shop', 'web');
    expect(ep?.subsets?.[0]?.addresses).toHaveLength(3);
    expect(ep?.subsets?.[0]?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const svc = facade.get('v1', 'Service', 'shop', 'web');
    expect(svc?.spec.clusterIP).toMatch(/^10\.96\./);
    const dep = facade.get('apps/v1', 'Deployment', 'shop', 'web');
    expect(dep?.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3, observedGeneration: 1 });
    expect(dep?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');

    const oldNames = new Set(pods.map((p) => p.metadata.name));
    facade.patch('apps/v1', 'Deployment', 'shop', 'web', { spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'app:2', ports: [{ name: 'http', containerPort: 8080 }] }] } } } });
    await controllers.whenIdle();
    const after = facade.list('v1', 'Pod', { namespace: 'shop', labelSelector: 'app=web' });
    expect(after).toHaveLength(2);
    expect(after.some((p) => oldNames.has(p.metadata.name))).toBe(false);
    expect(facade.list('apps/v1', 'ReplicaSet', { namespace: 'shop' })).toHaveLength(2);
    expect(facade.get('apps/v1', 'Deployment', 'shop', 'web')?.status).toMatchObject({ observedGeneration: 2, replicas: 2, updatedReplicas: 2 });

    // Deleting the Deployment takes its ReplicaSets and pods with it (background GC).
    facade.delete('apps/v1', 'Deployment', 'shop', 'web');
    await controllers.whenIdle();
    expect(facade.list('v1', 'Pod', { namespace: 'shop' })).toHaveLength(0);
    expect(facade.get('v1', 'Endpoints', 'shop', 'web')?.subsets).toBeUndefined();
  });

  it('a deleted namespace terminates, empties itself, then disappears', async () => {
    const { api, def, controllers, facade } = cluster();
    api.create(def('networking.istio.io/v1', 'VirtualService'), 'shop', vs('doomed'));
    api.delete(def('v1', 'Namespace'), undefined, 'shop');
    expect(facade.get('v1', 'Namespace', undefined, 'shop')?.status?.phase).toBe('Terminating');
    expect(code(() => api.create(def('networking.istio.io/v1', 'VirtualService'), 'shop', vs('late'))).code).toBe(403);
    await controllers.whenIdle();
    expect(facade.get('v1', 'Namespace', undefined, 'shop')).toBeUndefined();
    expect(facade.list('networking.istio.io/v1', 'VirtualService')).toHaveLength(0);
  });

  it('the facade watch delivers in order and tolerates writes from inside a callback', () => {
    const { facade } = cluster();
    const seen: string[] = [];
    const stop = facade.watch('networking.istio.io/v1', 'VirtualService', { namespace: 'shop' }, (ev) => {
      seen.push(`${ev.type}:${ev.object.metadata.name}:${ev.object.metadata.resourceVersion}`);
      if (ev.object.metadata.name === 'first' && ev.type === 'ADDED') facade.create(vs('second'));
    });
    facade.create(vs('first'));
    stop();
    expect(seen.map((s) => s.split(':').slice(0, 2).join(':'))).toEqual(['ADDED:first', 'ADDED:second']);
    const rvs = seen.map((s) => Number(s.split(':')[2]));
    expect(rvs[1]).toBeGreaterThan(rvs[0]!);
  });
});

describe('sandbox kube tables', () => {
  it('formats ages like kubectl and evaluates CRD printer-column JSONPath', () => {
    expect(humanDuration(5_000)).toBe('5s');
    expect(humanDuration(150_000)).toBe('2m30s');
    expect(humanDuration(3 * 3600_000 + 5 * 60_000)).toBe('3h5m');
    expect(humanDuration(3 * 86400_000)).toBe('3d');
    const o = { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Other', status: 'False' }] }, spec: { hosts: ['a', 'b'] } };
    expect(jsonPath(o, '.status.conditions[?(@.type=="Ready")].status')).toEqual(['True']);
    expect(jsonPath(o, '.spec.hosts')).toEqual([['a', 'b']]);
    expect(jsonPath(o, '.spec.hosts[*]')).toEqual(['a', 'b']);
  });

  it('renders CR rows with the CRD columns', () => {
    const { api, def } = cluster();
    const d = def('networking.istio.io/v1', 'VirtualService');
    const created = api.create(d, 'shop', vs('t'));
    const table = toTable(d, [created], { resourceVersion: '1' }, 'Metadata') as { columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string } }[] };
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Hosts', 'Age']);
    expect(table.rows[0]!.cells.slice(0, 2)).toEqual(['t', '["t"]']);
    expect(table.rows[0]!.object.kind).toBe('PartialObjectMetadata');
  });
});
