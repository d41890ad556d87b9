// Conformance of the sandbox Kubernetes API server with the two clients meshdeck cares
// about: @kubernetes/client-node (what the app uses) and kubectl 1.32 (what users compare
// against). Both run against the same server instance.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxKube, type SandboxKube, type VirtualService } from '../../sandbox/kube/index.js';

const KUBECTL = '/usr/bin/kubectl';
const VS = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' };

let kube: SandboxKube;
let dir: string;
let kubeconfigPath: string;
let kc: KubeConfig;
let viewerKc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let custom: CustomObjectsApi;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], opts: { input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    // HOME points at a scratch dir so kubectl's discovery cache is per-run (the port changes).
    const child = execFile(KUBECTL, ['--kubeconfig', kubeconfigPath, ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function apiError(p: Promise<unknown>): Promise<{ code: number; body: { reason?: string; message?: string; code?: number; details?: Record<string, unknown> } }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) {
      const raw = (e as ApiException<unknown>).body;
      return { code: e.code, body: typeof raw === 'string' && raw ? JSON.parse(raw) : {} };
    }
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** A raw HTTPS call to the sandbox (service proxy, odd content types). */
function raw(method: string, path: string, opts: { token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(path, kube.url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method, ca: kube.caPem, headers: { ...(opts.token !== '' ? { authorization: `Bearer ${opts.token ?? kube.tokens.admin}` } : {}), ...(opts.headers ?? {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function vsManifest(name: string, weights: [number, number]): VirtualService {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace: 'shop', labels: { suite: 'conformance' } },
    spec: {
      hosts: [name],
      http: [
        {
          name: 'primary',
          route: [
            { destination: { host: name, subset: 'v1' }, weight: weights[0] },
            { destination: { host: name, subset: 'v2' }, weight: weights[1] },
          ],
          retries: { attempts: 3, perTryTimeout: '2s' },
          timeout: '5s',
        },
      ],
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-kube-test-'));
  kube = await startSandboxKube({ bookmarkIntervalMs: 300 });
  kubeconfigPath = join(dir, 'kubeconfig');
  await kube.writeKubeconfig(kubeconfigPath);
  kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  viewerKc = new KubeConfig();
  viewerKc.loadFromFile(kubeconfigPath);
  viewerKc.setCurrentContext('sandbox-viewer');
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  await kube?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sandbox kube: bootstrap', () => {
  it('serves HTTPS with its own CA and a kubeconfig for admin and viewer', async () => {
    expect(kube.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(kc.getCurrentContext()).toBe('sandbox-admin');
    expect(kc.getContextObject('sandbox-viewer')?.namespace).toBe('shop');
    expect(kc.getCurrentCluster()?.name).toBe('meshdeck-sandbox');
    const v = await raw('GET', '/version', { token: '' });
    expect(JSON.parse(v.body)).toMatchObject({ major: '1', minor: '32' });
  });

  it('rejects a missing or wrong token with a 401 Status', async () => {
    const none = await raw('GET', '/api/v1/namespaces', { token: '' });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const bad = await raw('GET', '/api/v1/namespaces', { token: 'nope' });
    expect(bad.status).toBe(401);
  });
});

describe('sandbox kube: client-node', () => {
  it('lists the seeded mesh: VirtualServices, Running pods with sidecars, ready deployments', async () => {
    const list = (await custom.listNamespacedCustomObject({ ...VS, namespace: 'shop' })) as { items: VirtualService[]; metadata: { resourceVersion: string } };
    const names = list.items.map((v) => v.metadata.name).sort();
    expect(names).toEqual(['catalog', 'checkout', 'frontend', 'payments', 'recommendations', 'sessions']);
    const checkout = list.items.find((v) => v.metadata.name === 'checkout')!;
    expect(checkout.spec.http?.[0]?.route?.map((r) => r.weight)).toEqual([90, 10]);

    const pods = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=checkout,version in (v2)' });
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]!.status?.phase).toBe('Running');
    expect(pods.items[0]!.spec?.containers.map((c) => c.name)).toEqual(['checkout', 'istio-proxy']);

    const billingPods = await core.listNamespacedPod({ namespace: 'billing', labelSelector: 'app=invoices' });
    expect(billingPods.items).toHaveLength(3);
    expect(billingPods.items.every((p) => p.spec?.containers[0]?.name === 'linkerd-proxy')).toBe(true);

    const dep = await apps.readNamespacedDeployment({ namespace: 'shop', name: 'checkout-v1' });
    expect(dep.status?.readyReplicas).toBe(2);
    const eps = await core.readNamespacedEndpoints({ namespace: 'shop', name: 'checkout' });
    expect(eps.subsets?.[0]?.addresses).toHaveLength(3);
  });

  it('creates (201), refuses a duplicate (409 AlreadyExists), reads and deletes a VirtualService', async () => {
    const created = (await custom.createNamespacedCustomObject({ ...VS, namespace: 'shop', body: vsManifest('cn-create', [100, 0]) })) as VirtualService;
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.generation).toBe(1);
    const dup = await apiError(custom.createNamespacedCustomObject({ ...VS, namespace: 'shop', body: vsManifest('cn-create', [100, 0]) }));
    expect(dup.code).toBe(409);
    expect(dup.body.reason).toBe('AlreadyExists');
    expect(dup.body.message).toBe('virtualservices.networking.istio.io "cn-create" already exists');
    const got = (await custom.getNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-create' })) as VirtualService;
    expect(got.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const del = (await custom.deleteNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-create' })) as { kind: string; status: string };
    expect(del).toMatchObject({ kind: 'Status', status: 'Success' });
    const gone = await apiError(custom.getNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-create' }));
    expect(gone.code).toBe(404);
    expect(gone.body.reason).toBe('NotFound');
  });

  it('PUT with a stale resourceVersion is 409 Conflict; a fresh one bumps generation', async () => {
    const v1 = (await custom.createNamespacedCustomObject({ ...VS, namespace: 'shop', body: vsManifest('cn-put', [90, 10]) })) as VirtualService;
    const fresh = structuredClone(v1);
    fresh.spec.http![0]!.route![0]!.weight = 80;
    fresh.spec.http![0]!.route![1]!.weight = 20;
    const v2 = (await custom.replaceNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-put', body: fresh })) as VirtualService;
    expect(Number(v2.metadata.resourceVersion)).toBeGreaterThan(Number(v1.metadata.resourceVersion));
    expect(v2.metadata.generation).toBe(2);
    const stale = structuredClone(v1); // still carries v1's resourceVersion
    stale.spec.http![0]!.route![0]!.weight = 0;
    const err = await apiError(custom.replaceNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-put', body: stale }));
    expect(err.code).toBe(409);
    expect(err.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      message: 'Operation cannot be fulfilled on virtualservices.networking.istio.io "cn-put": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'cn-put', group: 'networking.istio.io', kind: 'virtualservices' },
    });
  });

  it('merge patch keeps unmanaged fields; metadata-only changes keep generation', async () => {
    await custom.createNamespacedCustomObject({ ...VS, namespace: 'shop', body: vsManifest('cn-merge', [90, 10]) });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const labelled = (await custom.patchNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-merge', body: { metadata: { labels: { touched: 'yes' } } } }, merge)) as VirtualService;
    expect(labelled.metadata.labels).toEqual({ suite: 'conformance', touched: 'yes' });
    expect(labelled.metadata.generation).toBe(1);
    const route = labelled.spec.http![0]!;
    const patched = (await custom.patchNamespacedCustomObject(
      { ...VS, namespace: 'shop', name: 'cn-merge', body: { spec: { http: [{ ...route, route: [{ ...route.route![0], weight: 50 }, { ...route.route![1], weight: 50 }] }] } } },
      merge,
    )) as VirtualService;
    expect(patched.metadata.generation).toBe(2);
    expect(patched.spec.http![0]!.retries).toEqual({ attempts: 3, perTryTimeout: '2s' });
    expect(patched.spec.http![0]!.route!.map((r) => r.weight)).toEqual([50, 50]);
    // A resourceVersion inside a merge patch is a precondition.
    const stale = await apiError(custom.patchNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-merge', body: { metadata: { resourceVersion: labelled.metadata.resourceVersion }, spec: { hosts: ['x'] } } }, merge));
    expect(stale.code).toBe(409);
  });

  it('JSON patch (the default patch type) applies test+replace atomically and fails a wrong test with 422', async () => {
    await custom.createNamespacedCustomObject({ ...VS, namespace: 'shop', body: vsManifest('cn-json', [90, 10]) });
    const ops = [
      { op: 'test', path: '/spec/http/0/route/0/weight', value: 90 },
      { op: 'replace', path: '/spec/http/0/route/0/weight', value: 70 },
      { op: 'replace', path: '/spec/http/0/route/1/weight', value: 30 },
    ];
    const ok = (await custom.patchNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-json', body: ops })) as VirtualService;
    expect(ok.spec.http![0]!.route!.map((r) => r.weight)).toEqual([70, 30]);
    const bad = await apiError(custom.patchNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-json', body: ops }));
    expect(bad.code).toBe(422);
    const after = (await custom.getNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-json' })) as VirtualService;
    expect(after.spec.http![0]!.route!.map((r) => r.weight)).toEqual([70, 30]);
  });

  it('dryRun=All validates without persisting', async () => {
    const body = vsManifest('cn-dry', [100, 0]);
    const dry = (await custom.createNamespacedCustomObject({ ...VS, namespace: 'shop', body, dryRun: 'All' })) as VirtualService;
    expect(dry.metadata.name).toBe('cn-dry');
    expect((await apiError(custom.getNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-dry' }))).code).toBe(404);
    const invalid = vsManifest('cn-dry', [100, 0]);
    invalid.spec.http![0]!.route![0]!.weight = -5;
    const rejected = await apiError(custom.createNamespacedCustomObject({ ...VS, namespace: 'shop', body: invalid, dryRun: 'All' }));
    expect(rejected.code).toBe(400);
    expect(rejected.body.message).toContain('admission webhook "validation.istio.io" denied the request');
  });

  it('Deployments: strategic merge patch by container/env name, PUT conflict, rollout to new pods', async () => {
    const body: V1Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cn-deploy', namespace: 'shop' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'cn-deploy' } },
        template: {
          metadata: { labels: { app: 'cn-deploy' } },
          spec: { containers: [{ name: 'main', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] },
        },
      },
    };
    const created = await apps.createNamespacedDeployment({ namespace: 'shop', body });
    await kube.store.whenIdle();
    const patched = await apps.patchNamespacedDeployment(
      { namespace: 'shop', name: 'cn-deploy', body: { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.template.spec?.containers[0]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
    expect(patched.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.27');
    expect(patched.metadata?.generation).toBe(2);
    const err = await apiError(apps.replaceNamespacedDeployment({ namespace: 'shop', name: 'cn-deploy', body: created }));
    expect(err.code).toBe(409);
    expect(err.body.reason).toBe('Conflict');
    await kube.store.whenIdle();
    const pods = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=cn-deploy' });
    expect(pods.items).toHaveLength(2);
    expect(pods.items.every((p) => p.spec?.containers[0]?.env?.some((e) => e.name === 'C'))).toBe(true);
    const dep = await apps.readNamespacedDeployment({ namespace: 'shop', name: 'cn-deploy' });
    expect(dep.status).toMatchObject({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2 });
    await apps.deleteNamespacedDeployment({ namespace: 'shop', name: 'cn-deploy' });
    await kube.store.whenIdle();
    expect((await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=cn-deploy' })).items).toHaveLength(0);
  });

  it('Watch streams ADDED/MODIFIED/DELETED from a list resourceVersion', async () => {
    const list = (await custom.listNamespacedCustomObject({ ...VS, namespace: 'shop' })) as { metadata: { resourceVersion: string } };
    const events: { type: string; name: string; weight?: number }[] = [];
    const watch = new Watch(kc);
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((r) => (resolveDone = r));
    const ctrl = await watch.watch(
      '/apis/networking.istio.io/v1/namespaces/shop/virtualservices',
      { resourceVersion: list.metadata.resourceVersion, labelSelector: 'suite=conformance' },
      (type: string, obj: VirtualService) => {
        events.push({ type, name: obj.metadata.name ?? '', weight: obj.spec?.http?.[0]?.route?.[0]?.weight });
        if (type === 'DELETED') resolveDone();
      },
      () => resolveDone(),
    );
    await custom.createNamespacedCustomObject({ ...VS, namespace: 'shop', body: vsManifest('cn-watch', [100, 0]) });
    await custom.patchNamespacedCustomObject(
      { ...VS, namespace: 'shop', name: 'cn-watch', body: [{ op: 'replace', path: '/spec/http/0/route/0/weight', value: 60 }] },
    );
    await custom.deleteNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'cn-watch' });
    await done;
    ctrl.abort();
    expect(events).toEqual([
      { type: 'ADDED', name: 'cn-watch', weight: 100 },
      { type: 'MODIFIED', name: 'cn-watch', weight: 60 },
      { type: 'DELETED', name: 'cn-watch', weight: 60 },
    ]);
  });

  it('a watch from a too-old resourceVersion gets an ERROR event with 410 Expired', async () => {
    const got = await new Promise<{ type: string; obj: { code?: number; reason?: string } }>((resolve, reject) => {
      void new Watch(kc).watch('/apis/networking.istio.io/v1/namespaces/shop/virtualservices', { resourceVersion: '1' }, (type: string, obj: { code?: number; reason?: string }) => resolve({ type, obj }), (err) => (err ? reject(err as Error) : undefined));
    });
    expect(got.type).toBe('ERROR');
    expect(got.obj).toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('an informer (ListWatch) sees the initial list, updates, and sends bookmarks-safe resourceVersions', async () => {
    const informer = makeInformer(kc, '/apis/networking.istio.io/v1/namespaces/shop/virtualservices', () => custom.listNamespacedCustomObject({ ...VS, namespace: 'shop' }) as Promise<{ items: KubernetesObject[]; metadata: { resourceVersion: string } }>);
    const updates: string[] = [];
    let added = 0;
    informer.on('add', () => added++);
    informer.on('update', (o: KubernetesObject) => updates.push(o.metadata?.name ?? ''));
    await informer.start();
    expect(added).toBeGreaterThanOrEqual(6);
    expect(informer.list('shop').map((o) => o.metadata?.name)).toContain('checkout');
    await custom.patchNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'sessions', body: { metadata: { annotations: { 'test/informer': '1' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    for (let i = 0; i < 50 && !updates.includes('sessions'); i++) await new Promise((r) => setTimeout(r, 20));
    await informer.stop();
    expect(updates).toContain('sessions');
    expect(informer.get('sessions', 'shop')?.metadata?.annotations?.['test/informer']).toBe('1');
  });

  it('viewer: reads work, writes are 403 with the RBAC message', async () => {
    const viewerCustom = viewerKc.makeApiClient(CustomObjectsApi);
    const list = (await viewerCustom.listNamespacedCustomObject({ ...VS, namespace: 'shop' })) as { items: unknown[] };
    expect(list.items.length).toBeGreaterThanOrEqual(6);
    const err = await apiError(viewerCustom.patchNamespacedCustomObject({ ...VS, namespace: 'shop', name: 'checkout', body: { spec: {} } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)));
    expect(err.code).toBe(403);
    expect(err.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'virtualservices.networking.istio.io "checkout" is forbidden: User "viewer" cannot patch resource "virtualservices" in API group "networking.istio.io" in the namespace "shop"',
      reason: 'Forbidden',
      details: { name: 'checkout', group: 'networking.istio.io', kind: 'virtualservices' },
      code: 403,
    });
    const del = await apiError(viewerKc.makeApiClient(CoreV1Api).deleteNamespacedPod({ namespace: 'shop', name: 'whatever' }));
    expect(del.code).toBe(403);
  });

  it('label selectors (=, !=, in, notin, exists, !key) and limit/continue paging', async () => {
    const count = async (labelSelector: string) => (await core.listNamespacedPod({ namespace: 'shop', labelSelector })).items.length;
    expect(await count('app=payments')).toBe(3);
    expect(await count('app==payments,version!=v1')).toBe(1);
    expect(await count('app in (payments,checkout),version notin (v2)')).toBe(4);
    expect(await count('app=payments,!nonexistent,version')).toBe(3);
    const bad = await apiError(core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app in (' }));
    expect(bad.code).toBe(400);

    const all = await core.listPodForAllNamespaces({});
    const seen: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await core.listPodForAllNamespaces({ limit: 7, ...(cont ? { _continue: cont } : {}) });
      if (page.metadata?._continue) expect(page.metadata.remainingItemCount).toBeGreaterThan(0);
      seen.push(...page.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
      cont = page.metadata?._continue;
      pages++;
    } while (cont);
    expect(pages).toBe(Math.ceil(all.items.length / 7));
    expect(new Set(seen).size).toBe(all.items.length);
    expect(seen.sort()).toEqual(all.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort());
    const byName = await core.listNamespacedService({ namespace: 'istio-system', fieldSelector: 'metadata.name=prometheus' });
    expect(byName.items.map((s) => s.metadata?.name)).toEqual(['prometheus']);
  });

  it('service proxy forwards method, path, query and body, without the bearer token', async () => {
    const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];
    const upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: Buffer.concat(chunks).toString() });
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'prom' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    try {
      kube.registerServiceProxy('istio-system', 'prometheus', 9090, `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
      const a = await raw('GET', '/api/v1/namespaces/istio-system/services/prometheus:9090/proxy/api/v1/query?query=up%7Bjob%3D%22x%22%7D');
      expect(a.status).toBe(200);
      expect(a.headers['x-upstream']).toBe('prom');
      expect(JSON.parse(a.body)).toMatchObject({ status: 'success' });
      expect(seen[0]).toEqual({ method: 'GET', url: '/api/v1/query?query=up%7Bjob%3D%22x%22%7D', auth: undefined, body: '' });
      const b = await raw('POST', '/api/v1/namespaces/istio-system/services/http:prometheus:http/proxy/api/v1/query', {
        body: 'query=sum(rate(istio_requests_total[1m]))',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(b.status).toBe(200);
      expect(seen[1]).toMatchObject({ method: 'POST', url: '/api/v1/query', body: 'query=sum(rate(istio_requests_total[1m]))' });
      const c = await raw('GET', '/api/v1/namespaces/istio-system/services/prometheus/proxy/-/ready', { token: kube.tokens.viewer });
      expect(c.status).toBe(200);
      expect(seen[2]?.url).toBe('/-/ready');
      const d = await raw('POST', '/api/v1/namespaces/istio-system/services/prometheus:9090/proxy/api/v1/query', { token: kube.tokens.viewer, body: 'query=up' });
      expect(d.status).toBe(403);
      expect(JSON.parse(d.body).message).toContain('cannot create resource "services/proxy"');
      // client-node's own proxy call goes the same way.
      const viaClient = await core.connectGetNamespacedServiceProxyWithPath({ namespace: 'istio-system', name: 'prometheus:9090', path: 'api/v1/status/buildinfo' });
      expect(viaClient).toMatchObject({ status: 'success' });
      expect(seen[3]?.url).toBe('/api/v1/status/buildinfo');
    } finally {
      kube.unregisterServiceProxy('istio-system', 'prometheus', 9090);
      await new Promise((r) => upstream.close(r));
    }
    const gone = await raw('GET', '/api/v1/namespaces/istio-system/services/prometheus:9090/proxy/api/v1/query');
    expect(gone.status).toBe(503);
    expect(JSON.parse(gone.body)).toMatchObject({ reason: 'ServiceUnavailable', message: 'no endpoints available for service "prometheus"' });
  });

  it('in-process store reads the same objects and sees HTTP writes', async () => {
    const seenTypes: string[] = [];
    const stop = kube.store.watch('networking.istio.io/v1', 'VirtualService', { namespace: 'shop', resourceVersion: kube.store.resourceVersion() }, (ev) => seenTypes.push(`${ev.type}:${ev.object.metadata.name}`));
    await custom.createNamespacedCustomObject({ ...VS, namespace: 'shop', body: vsManifest('cn-store', [100, 0]) });
    stop();
    expect(seenTypes).toEqual(['ADDED:cn-store']);
    const vs = kube.store.get('networking.istio.io/v1beta1', 'VirtualService', 'shop', 'cn-store');
    expect(vs?.apiVersion).toBe('networking.istio.io/v1beta1');
    expect(vs?.spec.http?.[0]?.route?.[0]?.weight).toBe(100);
    expect(Object.isFrozen(vs?.spec)).toBe(true);
  });
});

/** Open a raw watch stream; lines are parsed as they arrive. */
function openWatch(path: string, agent: https.Agent): { events: { type: string; object: { metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } } }[]; ended: Promise<void>; abort: () => void } {
  const events: { type: string; object: { metadata?: { name?: string; resourceVersion?: string } } }[] = [];
  let buf = '';
  let req: http.ClientRequest | undefined;
  const ended = new Promise<void>((resolve, reject) => {
    req = https.get(new URL(path, kube.url), { agent, ca: kube.caPem, headers: { authorization: `Bearer ${kube.tokens.viewer}` } }, (res) => {
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)) as (typeof events)[number]);
          buf = buf.slice(i + 1);
        }
      });
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(e)));
  });
  return { events, ended, abort: () => req?.destroy() };
}

describe('sandbox kube: watch mechanics', () => {
  it('bookmarks, timeoutSeconds and sendInitialEvents', async () => {
    const agent = new https.Agent({ keepAlive: false });
    const rv = kube.store.resourceVersion();
    const w = openWatch(`/apis/networking.istio.io/v1/namespaces/shop/virtualservices?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=1`, agent);
    const t0 = Date.now();
    await w.ended;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(w.events.length).toBeGreaterThanOrEqual(2); // bookmarkIntervalMs is 300 in this suite
    expect(w.events.every((e) => e.type === 'BOOKMARK' && e.object.metadata?.resourceVersion === rv)).toBe(true);

    const initial = openWatch('/apis/networking.istio.io/v1/namespaces/shop/virtualservices?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1', agent);
    await initial.ended;
    const endIdx = initial.events.findIndex((e) => e.type === 'BOOKMARK');
    expect(initial.events.slice(0, endIdx).every((e) => e.type === 'ADDED')).toBe(true);
    expect(endIdx).toBeGreaterThanOrEqual(6);
    expect(initial.events[endIdx]!.object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    agent.destroy();
  });

  it('fans one change out to 150 concurrent HTTP watches and 500 in-process ones', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: Infinity });
    const rv = kube.store.resourceVersion();
    const watches = Array.from({ length: 150 }, () => openWatch(`/api/v1/namespaces/shop/configmaps?watch=1&resourceVersion=${rv}`, agent));
    let inProcess = 0;
    const stops = Array.from({ length: 500 }, () => kube.store.watch('v1', 'ConfigMap', { namespace: 'shop', resourceVersion: rv }, () => inProcess++));
    // Even a watch that connects after the write replays it from history.
    await new Promise((r) => setTimeout(r, 100));
    kube.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fanout', namespace: 'shop' }, data: { k: 'v' } });
    // Not a timed test: wait up to 10 s (a loaded CI machine), then check every watcher got it.
    for (let i = 0; i < 1000 && watches.some((w) => w.events.length === 0); i++) await new Promise((r) => setTimeout(r, 10));
    for (const w of watches) w.abort();
    for (const s of stops) s();
    agent.destroy();
    expect(watches.filter((w) => w.events[0]?.type === 'ADDED' && w.events[0].object.metadata?.name === 'fanout')).toHaveLength(150);
    expect(inProcess).toBe(500);
  });
});

describe('sandbox kube: kubectl', () => {
  it('api-resources lists the mesh kinds with their short names', async () => {
    const r = await kubectl(['api-resources', '--no-headers']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').map((l) => l.trim().split(/\s+/));
    const find = (name: string, group: string) => rows.find((c) => c[0] === name && c.some((x) => x.startsWith(group)));
    expect(find('virtualservices', 'networking.istio.io/v1')?.[1]).toBe('vs');
    expect(find('destinationrules', 'networking.istio.io/v1')?.[1]).toBe('dr');
    expect(find('gateways', 'networking.istio.io/v1')?.[1]).toBe('gw');
    expect(find('peerauthentications', 'security.istio.io/v1')?.[1]).toBe('pa');
    expect(find('authorizationpolicies', 'security.istio.io/v1')?.[1]).toBe('ap');
    expect(find('trafficsplits', 'split.smi-spec.io/v1alpha2')?.[1]).toBe('ts');
    expect(find('httproutes', 'gateway.networking.k8s.io/v1')).toBeDefined();
  });

  it('get vs -n shop prints the server-side table (CRD printer columns)', async () => {
    const r = await kubectl(['get', 'vs', '-n', 'shop']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+GATEWAYS\s+HOSTS\s+AGE$/);
    expect(lines.find((l) => l.startsWith('frontend '))).toMatch(/\["shop-gateway"\]\s+\["shop\.example\.com"\]/);
    const pods = await kubectl(['get', 'pods', '-n', 'shop', '-l', 'app=payments', '--no-headers']);
    expect(pods.stdout.trim().split('\n')).toHaveLength(3);
    expect(pods.stdout).toMatch(/payments-v2-\S+\s+2\/2\s+Running\s+0/);
  });

  it('apply -f twice: created, then unchanged; an edit is configured and keeps server fields', async () => {
    const manifest = (weight: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: kc-apply
  namespace: shop
spec:
  hosts: [kc-apply]
  http:
    - route:
        - destination: { host: kc-apply, subset: v1 }
          weight: ${weight}
        - destination: { host: kc-apply, subset: v2 }
          weight: ${100 - weight}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kc-apply
  namespace: shop
spec:
  replicas: 1
  selector: { matchLabels: { app: kc-apply } }
  template:
    metadata: { labels: { app: kc-apply } }
    spec:
      containers:
        - name: main
          image: nginx:1.27
`;
    const file = join(dir, 'apply.yaml');
    await writeFile(file, manifest(90));
    const first = await kubectl(['apply', '-f', file]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('virtualservice.networking.istio.io/kc-apply created');
    expect(first.stdout).toContain('deployment.apps/kc-apply created');
    const second = await kubectl(['apply', '-f', file]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('virtualservice.networking.istio.io/kc-apply unchanged');
    expect(second.stdout).toContain('deployment.apps/kc-apply unchanged');
    await writeFile(file, manifest(70));
    const third = await kubectl(['apply', '-f', file]);
    expect(third.stdout).toContain('virtualservice.networking.istio.io/kc-apply configured');
    const vs = kube.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'kc-apply');
    expect(vs?.spec.http?.[0]?.route?.map((r) => r.weight)).toEqual([70, 30]);
    expect(vs?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain('"weight":70');
    const rollout = await kubectl(['rollout', 'status', 'deployment/kc-apply', '-n', 'shop', '--timeout=10s']);
    expect(rollout.stdout).toContain('successfully rolled out');
  });

  it('patch (merge and json), replace conflict, watch, delete', async () => {
    await kubectl(['create', '-f', '-'], { input: JSON.stringify(vsManifest('kc-verbs', [90, 10])) });
    const watcher = spawn(KUBECTL, ['--kubeconfig', kubeconfigPath, 'get', 'vs', 'kc-verbs', '-n', 'shop', '-w', '--output-watch-events', '-o', 'json'], { env: { PATH: process.env.PATH ?? '', HOME: dir } });
    let watched = '';
    watcher.stdout.on('data', (c: Buffer) => (watched += c.toString()));
    for (let i = 0; i < 100 && !watched.includes('"ADDED"'); i++) await new Promise((r) => setTimeout(r, 30));

    const merge = await kubectl(['patch', 'vs', 'kc-verbs', '-n', 'shop', '--type=merge', '-p', '{"metadata":{"labels":{"patched":"merge"}}}']);
    expect(merge.stdout).toContain('virtualservice.networking.istio.io/kc-verbs patched');
    const json = await kubectl(['patch', 'vs', 'kc-verbs', '-n', 'shop', '--type=json', '-p', '[{"op":"test","path":"/spec/http/0/route/0/weight","value":90},{"op":"replace","path":"/spec/http/0/route/0/weight","value":75},{"op":"replace","path":"/spec/http/0/route/1/weight","value":25}]']);
    expect(json.code, json.stderr).toBe(0);
    const failed = await kubectl(['patch', 'vs', 'kc-verbs', '-n', 'shop', '--type=json', '-p', '[{"op":"test","path":"/spec/http/0/route/0/weight","value":90}]']);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('test failed');

    const stale = vsManifest('kc-verbs', [10, 90]);
    stale.metadata.resourceVersion = '2';
    const conflict = await kubectl(['replace', '-f', '-'], { input: JSON.stringify(stale) });
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('Operation cannot be fulfilled on virtualservices.networking.istio.io "kc-verbs": the object has been modified');

    for (let i = 0; i < 100 && !watched.includes('75'); i++) await new Promise((r) => setTimeout(r, 30));
    const del = await kubectl(['delete', 'vs', 'kc-verbs', '-n', 'shop']);
    expect(del.stdout).toContain('virtualservice.networking.istio.io "kc-verbs" deleted');
    for (let i = 0; i < 100 && !watched.includes('"DELETED"'); i++) await new Promise((r) => setTimeout(r, 30));
    watcher.kill();
    const types = watched
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
    const missing = await kubectl(['get', 'vs', 'kc-verbs', '-n', 'shop']);
    expect(missing.stderr).toContain('Error from server (NotFound): virtualservices.networking.istio.io "kc-verbs" not found');
  });

  it('viewer context: get works, patch/delete are Forbidden, can-i answers', async () => {
    const get = await kubectl(['--context', 'sandbox-viewer', 'get', 'dr', 'payments', '-o', 'jsonpath={.spec.trafficPolicy.outlierDetection.consecutive5xxErrors}']);
    expect(get.stdout).toBe('5');
    const patch = await kubectl(['--context', 'sandbox-viewer', 'patch', 'vs', 'payments', '--type=merge', '-p', '{"spec":{"hosts":["x"]}}']);
    expect(patch.code).not.toBe(0);
    expect(patch.stderr).toContain('Error from server (Forbidden): virtualservices.networking.istio.io "payments" is forbidden: User "viewer" cannot patch resource "virtualservices" in API group "networking.istio.io" in the namespace "shop"');
    const canI = await kubectl(['--context', 'sandbox-viewer', 'auth', 'can-i', 'patch', 'virtualservices']);
    expect(canI.stdout.trim()).toBe('no');
    const adminCanI = await kubectl(['auth', 'can-i', 'patch', 'virtualservices']);
    expect(adminCanI.stdout.trim()).toBe('yes');
  });

  it('a raw watch from a stale resourceVersion gets the 410 ERROR event; label selectors and paging work', async () => {
    const stale = await kubectl(['get', '--raw', '/apis/networking.istio.io/v1/namespaces/shop/virtualservices?watch=1&resourceVersion=1']);
    const ev = JSON.parse(stale.stdout.trim().split('\n')[0]!) as { type: string; object: { code: number; reason: string } };
    expect(ev).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    const sel = await kubectl(['get', 'pods', '-n', 'shop', '-l', 'app in (checkout),version!=v1', '-o', 'name']);
    expect(sel.stdout.trim().split('\n')).toHaveLength(1);
    const chunked = await kubectl(['get', 'pods', '-A', '--chunk-size=4', '--no-headers']);
    const all = await kubectl(['get', 'pods', '-A', '--no-headers']);
    expect(chunked.stdout.trim().split('\n').length).toBe(all.stdout.trim().split('\n').length);
    expect(all.stdout.trim().split('\n').length).toBeGreaterThan(20);
  });
});
