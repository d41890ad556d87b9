import { chmodSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors';
import { createKubeService } from '../../main/kube/service';
import { kubeHandlers } from '../../main/kube/handlers';
import { createRouter } from '../../main/api/router';
import { appHandlers } from '../../main/app/handlers';
import type { KubeService } from '../../main/kube/service';
import { startSandboxKube } from '../../sandbox/kube/index';
import type { SandboxKube } from '../../sandbox/kube/index';
import { closedPortUrl, FAKE_NAMESPACES, FAKE_TOKENS, makeTlsMaterial, startFakeApiServer, startHungServer } from '../helpers/kube-fake-apiserver';
import type { FakeApiServer, TlsMaterial } from '../helpers/kube-fake-apiserver';

const PLUGIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/kubeconfig/bin/exec-credential.mjs');

let tmp: string;
let tls: TlsMaterial;
let api: FakeApiServer;
let hung: { url: string; close(): Promise<void> };
let kubeconfig: string;
let kube: KubeService;
const id = (name: string) => `${kubeconfig}#${name}`;

beforeAll(async () => {
  chmodSync(PLUGIN, 0o755);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'meshdeck-kube-int-'));
  tls = makeTlsMaterial(path.join(tmp, 'pki'));
  api = await startFakeApiServer(tls);
  hung = await startHungServer();
  const closed = await closedPortUrl();
  kubeconfig = path.join(tmp, 'kubeconfig.yaml');
  const cluster = (name: string, server: string, ca: string | null) => ({ name, cluster: { server, ...(ca ? { 'certificate-authority': ca } : {}) } });
  const ctx = (name: string, clusterName: string, user: string, namespace?: string) => ({ name, context: { cluster: clusterName, user, ...(namespace ? { namespace } : {}) } });
  await fs.writeFile(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'admin',
      clusters: [
        // Relative CA path: resolved against the kubeconfig's directory.
        cluster('fake', api.url, 'pki/ca.crt'),
        cluster('fake-wrong-ca', api.url, tls.wrongCaFile),
        cluster('closed', closed, tls.caFile),
        cluster('hung', hung.url, tls.caFile),
      ],
      users: [
        { name: 'admin', user: { token: FAKE_TOKENS.admin } },
        { name: 'viewer', user: { token: FAKE_TOKENS.viewer } },
        { name: 'restricted', user: { token: FAKE_TOKENS.restricted } },
        { name: 'bad', user: { token: 'not-a-token' } },
        { name: 'cert', user: { 'client-certificate': tls.clientCert, 'client-key': tls.clientKey } },
        {
          name: 'exec',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: PLUGIN,
              env: [
                { name: 'MESHDECK_EXEC_TOKEN', value: FAKE_TOKENS.admin },
                { name: 'MESHDECK_EXEC_COUNT_FILE', value: path.join(tmp, 'exec-runs') },
              ],
            },
          },
        },
      ],
      contexts: [
        ctx('admin', 'fake', 'admin'),
        ctx('viewer', 'fake', 'viewer'),
        ctx('restricted', 'fake', 'restricted', 'team-a'),
        ctx('bad-token', 'fake', 'bad'),
        ctx('cert', 'fake', 'cert'),
        ctx('exec', 'fake', 'exec'),
        ctx('wrong-ca', 'fake-wrong-ca', 'admin'),
        ctx('unreachable', 'closed', 'admin'),
        ctx('hung', 'hung', 'admin'),
      ],
    }),
  );
  kube = await createKubeService({ version: 'test', dataDir: path.join(tmp, 'data'), env: { ...process.env, HOME: tmp, KUBECONFIG: kubeconfig } });
});

afterAll(async () => {
  await kube?.close();
  await api?.close();
  await hung?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('connecting to a real HTTPS API server', () => {
  it('lists the contexts of the kubeconfig, current one first-class', async () => {
    const s = await kube.sources();
    expect(s.currentContext).toBe(id('admin'));
    expect(s.contexts.map((c) => c.name)).toEqual(['admin', 'viewer', 'restricted', 'bad-token', 'cert', 'exec', 'wrong-ca', 'unreachable', 'hung']);
    expect(s.contexts.every((c) => c.error === null)).toBe(true);
  });

  it('as admin: version, every namespace across pages, Istio and Gateway API from the CRD list', async () => {
    const t0 = performance.now();
    const c = await kube.connect(id('admin'));
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(c).toMatchObject({ status: 'connected', contextName: 'admin', server: api.url, serverVersion: 'v1.31.2-fake', error: null, warnings: [], namespacesTruncated: false });
    expect(c.namespaces).toEqual([...FAKE_NAMESPACES].sort());
    expect(c.detected).toMatchObject({ istio: true, gatewayApi: true, smi: false, linkerd: false, source: 'crds' });
    expect(c.detected?.groups).toEqual(['gateway.networking.k8s.io', 'networking.istio.io', 'security.istio.io']);
    // Pages followed: 7 namespaces at 3 per page, 5 CRDs at 2 per page.
    expect(api.log.filter((l) => l === 'admin GET /api/v1/namespaces')).toHaveLength(3);
    expect(api.log.filter((l) => l === 'admin GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions')).toHaveLength(3);
    expect(JSON.stringify(c)).not.toContain(FAKE_TOKENS.admin);
  });

  it('as a viewer that may not list CRDs: mesh detection falls back to API discovery', async () => {
    const c = await kube.connect(id('viewer'));
    expect(c.status).toBe('connected');
    expect(c.detected).toMatchObject({ istio: false, gatewayApi: false, smi: true, linkerd: true, source: 'discovery' });
    expect(c.warnings).toEqual([]);
  });

  it('a user that may not list namespaces is connected with a FORBIDDEN warning and its context namespace', async () => {
    const c = await kube.connect(id('restricted'));
    expect(c.status).toBe('connected');
    expect(c.namespaces).toEqual(['team-a']);
    expect(c.warnings[0]).toMatchObject({ code: 'FORBIDDEN', details: { verb: 'list', resource: 'namespaces', user: 'restricted', status: 403 } });
    expect(c.warnings[0]?.message).toContain('context "restricted"');
  });

  it('client certificates and an exec plugin (printing the admin token) authenticate; several contexts connect at once', async () => {
    await fs.rm(path.join(tmp, 'exec-runs'), { force: true });
    await kube.disconnect(id('admin'));
    const [cert, exec, admin] = await Promise.all([kube.connect(id('cert')), kube.connect(id('exec')), kube.connect(id('admin'))]);
    expect(cert).toMatchObject({ status: 'connected', serverVersion: 'v1.31.2-fake' });
    expect(exec).toMatchObject({ status: 'connected', serverVersion: 'v1.31.2-fake' });
    expect(admin.status).toBe('connected');
    expect(exec.detected?.istio).toBe(true);
    expect(api.log).toContain('cert-admin GET /version');
    // Version, three namespace pages and three CRD pages: seven calls, one plugin run.
    expect(await fs.readFile(path.join(tmp, 'exec-runs'), 'utf8')).toBe('x');
    const live = kube.connections().filter((x) => x.status === 'connected').map((x) => x.contextName).sort();
    expect(live).toEqual(['admin', 'cert', 'exec', 'restricted', 'viewer']);
  });

  it('clientFor: typed APIs and raw requests (service proxy GET and POST) with the connection\'s credentials', async () => {
    const client = kube.clientFor(id('viewer'));
    const list = await client.core.listNamespace({ limit: 2 }, client.call({ timeoutMs: 5000 }));
    expect(list.items.map((n) => n.metadata?.name)).toEqual(['default', 'kube-system']);
    expect(list.metadata?._continue).toBe('2');

    const proxy = '/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/api/v1/query';
    const got = await client.requestJson<{ echo: Record<string, unknown> }>(proxy, { query: { query: 'up{job="x"}' } });
    expect(got.echo).toMatchObject({ user: 'viewer', method: 'GET', path: '/api/v1/query', query: 'up{job="x"}' });
    const posted = await client.request(proxy, {
      method: 'POST',
      body: new URLSearchParams({ query: 'sum(rate(x[5m]))' }).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(posted.status).toBe(200);
    expect(posted.json<{ echo: Record<string, unknown> }>().echo).toMatchObject({ method: 'POST', body: 'query=sum%28rate%28x%5B5m%5D%29%29', contentType: 'application/x-www-form-urlencoded' });

    // A raw request resolves for any status; requestJson classifies it.
    expect((await client.request('/api/v1/namespaces/default/secrets')).status).toBe(403);
    const forbidden = await client.requestJson('/api/v1/namespaces/default/secrets').catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(ApiError);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN', details: { verb: 'list', resource: 'secrets', namespace: 'default', user: 'viewer' } });
    expect((forbidden as ApiError).message).toMatch(/user "viewer" may not list secrets in namespace "default"/);

    // Generated APIs reject with classified errors too.
    const missing = await client.customObjects
      .getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace: 'bookinfo', plural: 'virtualservices', name: 'reviews' }, client.call())
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    expect((missing as ApiError).message).toContain('virtualservices.networking.istio.io "reviews"');
  });

  it('clientFor on a context that is not connected: NOT_CONNECTED; disconnect drops the client', async () => {
    expect(() => kube.clientFor(id('bad-token'))).toThrowError(expect.objectContaining({ code: 'NOT_CONNECTED' }) as Error);
    const client = kube.clientFor(id('cert'));
    await kube.disconnect(id('cert'));
    expect(() => kube.clientFor(id('cert'))).toThrowError(/not connected/);
    await expect(client.request('/version')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await expect(kube.connect(`${kubeconfig}#no-such-context`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('failures are told apart, each naming the context and the server', () => {
  it('closed port → UNREACHABLE', async () => {
    const c = await kube.connect(id('unreachable'));
    expect(c.status).toBe('error');
    expect(c.error?.code).toBe('UNREACHABLE');
    expect(c.error?.message).toContain('context "unreachable"');
    expect(c.error?.message).toContain(c.server ?? '?');
    expect(c.error?.message).toContain('connection refused');
  });

  it('a CA that did not sign the server certificate → TLS', async () => {
    const c = await kube.connect(id('wrong-ca'));
    expect(c.status).toBe('error');
    expect(c.error?.code).toBe('TLS');
    expect(c.error?.message).toContain(`context "wrong-ca" (${api.url})`);
    expect(c.error?.details?.errno).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  });

  it('a token the server rejects → UNAUTHORIZED', async () => {
    const c = await kube.connect(id('bad-token'));
    expect(c.status).toBe('error');
    expect(c.error).toMatchObject({ code: 'UNAUTHORIZED', details: { status: 401 } });
    expect(c.error?.message).toContain(`context "bad-token" (${api.url}) rejected the credentials`);
  });

  it('a hung server → TIMEOUT within the set timeout', async () => {
    const quick = await createKubeService({ version: 'test', dataDir: path.join(tmp, 'data-quick'), env: { HOME: tmp, KUBECONFIG: kubeconfig } }, { timeoutMs: 800 });
    try {
      const t0 = performance.now();
      const c = await quick.connect(id('hung'));
      const ms = performance.now() - t0;
      expect(c.status).toBe('error');
      expect(c.error?.code).toBe('TIMEOUT');
      expect(c.error?.message).toContain('context "hung"');
      expect(c.error?.message).toContain('0.8 s');
      expect(ms).toBeGreaterThanOrEqual(750);
      expect(ms).toBeLessThan(2500);
    } finally {
      await quick.close();
    }
  });

  it('cancelling a connect (the caller went away) rejects CANCELLED at once and leaves no connection', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    const p = kube.connect(id('hung'), ac.signal);
    setTimeout(() => ac.abort(), 150);
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(kube.connections().some((c) => c.contextName === 'hung')).toBe(false);
  });
});

describe('live changes and the API router', () => {
  it('a kubeconfig edit under a live connection swaps its client (rotated token) without reconnecting', async () => {
    const before = await fs.readFile(kubeconfig, 'utf8');
    try {
      expect((await kube.connect(id('viewer'))).status).toBe('connected');
      await expect(kube.clientFor(id('viewer')).requestJson('/api/v1/namespaces/default/secrets')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await fs.writeFile(kubeconfig, before.replace(FAKE_TOKENS.viewer, FAKE_TOKENS.admin));
      await kube.reload();
      expect(kube.connections().find((c) => c.contextId === id('viewer'))?.status).toBe('connected');
      await expect(kube.clientFor(id('viewer')).requestJson('/api/v1/namespaces/default/secrets')).resolves.toMatchObject({ kind: 'SecretList' });
    } finally {
      await fs.writeFile(kubeconfig, before);
      await kube.reload();
    }
  });

  it('kube.* channels through the router: connect honours ctx.signal, sourcesChanged pushes the current sources first', async () => {
    const router = createRouter({ ...appHandlers({ version: 'test', dataDir: tmp }), ...kubeHandlers(kube) } as Parameters<typeof createRouter>[0]);
    const ctx = { signal: new AbortController().signal, transport: 'web' as const };
    const res = await router.invoke('kube.connect', { contextId: id('admin') }, ctx);
    expect(res).toMatchObject({ ok: true, value: { status: 'connected', contextName: 'admin' } });
    const bad = await router.invoke('kube.connect', { contextId: '' }, ctx);
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', field: 'contextId' } });

    const ac = new AbortController();
    const p = router.invoke('kube.connect', { contextId: id('hung') }, { signal: ac.signal, transport: 'ipc' });
    setTimeout(() => ac.abort(), 100);
    expect(await p).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });

    const sub = new AbortController();
    const events: unknown[] = [];
    router.subscribe('kube.sourcesChanged', {}, { signal: sub.signal, transport: 'web' }, (e) => events.push(e), () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    sub.abort();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ currentContext: id('admin') });
  });
});

describe('against the sandbox cluster (sandbox/kube)', () => {
  let sb: SandboxKube;
  let sbKube: KubeService;
  let sbConfig: string;
  let sbExtra: string;
  const sid = (name: string) => `${sbConfig}#${name}`;

  beforeAll(async () => {
    sb = await startSandboxKube({ onError: () => undefined });
    sbConfig = path.join(tmp, 'sandbox', 'kubeconfig');
    await sb.writeKubeconfig(sbConfig);
    // A second file next to it: an exec-plugin user whose plugin prints the sandbox admin token,
    // and a token the sandbox does not know.
    const ca = Buffer.from(sb.caPem).toString('base64');
    sbExtra = path.join(tmp, 'sandbox', 'exec.yaml');
    await fs.writeFile(
      sbExtra,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'sb', cluster: { server: sb.url, 'certificate-authority-data': ca } }],
        users: [
          { name: 'exec', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: PLUGIN, env: [{ name: 'MESHDECK_EXEC_TOKEN', value: sb.tokens.admin }] } } },
          { name: 'stale', user: { token: 'stale-token' } },
        ],
        contexts: [
          { name: 'sandbox-exec', context: { cluster: 'sb', user: 'exec' } },
          { name: 'sandbox-stale', context: { cluster: 'sb', user: 'stale' } },
        ],
      }),
    );
    sbKube = await createKubeService({ version: 'test', dataDir: path.join(tmp, 'sandbox-data'), env: { ...process.env, HOME: tmp, KUBECONFIG: [sbConfig, sbExtra].join(path.delimiter) } });
  });
  afterAll(async () => {
    await sbKube?.close();
    await sb?.close();
  });

  it('admin: version, namespaces and every mesh the demo installs', async () => {
    const c = await sbKube.connect(sid('sandbox-admin'));
    expect(c.status).toBe('connected');
    expect(c.serverVersion).toMatch(/meshdeck-sandbox/);
    expect(c.namespaces).toEqual(expect.arrayContaining(['shop', 'billing', 'istio-system', 'default']));
    expect(c.detected).toMatchObject({ istio: true, source: 'crds' });
    expect(c.detected?.groups).toEqual(expect.arrayContaining(['networking.istio.io', 'security.istio.io']));
  });

  it('viewer: connected, and a write is FORBIDDEN with verb and resource', async () => {
    const c = await sbKube.connect(sid('sandbox-viewer'));
    expect(c.status).toBe('connected');
    const client = sbKube.clientFor(sid('sandbox-viewer'));
    const err = await client
      .requestJson('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'not-allowed' } } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'FORBIDDEN', details: { status: 403, verb: 'create', resource: 'namespaces' } });
  });

  it('an exec-plugin user whose plugin prints the admin token, and a stale token → UNAUTHORIZED', async () => {
    const [exec, stale] = await Promise.all([sbKube.connect(`${sbExtra}#sandbox-exec`), sbKube.connect(`${sbExtra}#sandbox-stale`)]);
    expect(exec).toMatchObject({ status: 'connected', serverVersion: expect.stringMatching(/meshdeck-sandbox/) });
    expect(exec.detected?.istio).toBe(true);
    expect(stale.status).toBe('error');
    expect(stale.error?.code).toBe('UNAUTHORIZED');
  });
});
