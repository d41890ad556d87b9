import { GOLDEN_SIGNALS } from '../../shared/contract/metrics';
/**
 * Prometheus connections as the app makes them: "test connection" names the stage that failed
 * (refused port, a server that never answers, TLS, 401, HTML), headers reach the server
 * (X-Scope-OrgID, auth), and the in-cluster route — auto-discovery and the API server's service
 * proxy of the sandbox cluster, with main/kube's client — answers golden-signal queries.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeService, type KubeService } from '../../main/kube/service';
import { createMetricsService, type MetricsService } from '../../main/metrics';
import { metricsConfigSchema, type MetricsConfigInput } from '../../shared/contract/metrics';
import { ApiError } from '../../shared/errors';
import { freePort } from '../../sandbox/prometheus/index';
import { startSimWithPrometheus, type SimWithPrometheus } from '../helpers/prometheus';

let env: SimWithPrometheus;
let dataDir: string;
let kube: KubeService;
let metrics: MetricsService;
let contextId: string;
const servers: (http.Server | NetServer)[] = [];
const sockets = new Set<Socket>();

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A tiny HTTP server answering with `handler`, recording every request. */
async function fakeServer(handler: (req: Recorded, res: http.ServerResponse) => void): Promise<{ url: string; seen: Recorded[] }> {
  const seen: Recorded[] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(r);
      handler(r, res);
    });
  });
  s.on('connection', (c) => sockets.add(c));
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const addr = s.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, seen };
}

const promJson = (data: unknown) => JSON.stringify({ status: 'success', data });
const cfg = (c: MetricsConfigInput) => metricsConfigSchema.parse(c);

beforeAll(async () => {
  env = await startSimWithPrometheus();
  dataDir = await mkdtemp(join(tmpdir(), 'meshdeck-metrics-'));
  kube = await createKubeService({ version: '0.0.0-test', dataDir, kubeconfigPaths: [env.kubeconfig!], env: { HOME: dataDir } });
  contextId = (await kube.sources()).contexts.find((c) => c.name === 'sandbox-viewer')!.id;
  expect((await kube.connect(contextId)).status).toBe('connected');
  metrics = await createMetricsService({ dataDir, kube });
}, 60_000);

afterAll(async () => {
  await metrics?.close();
  await kube?.close();
  for (const c of sockets) c.destroy();
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  await env?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('test connection, stage by stage', () => {
  it('a refused port fails at tcp', async () => {
    const port = await freePort();
    const r = await metrics.test('x', { config: cfg({ source: 'url', url: `http://127.0.0.1:${port}`, timeoutMs: 3000 }) });
    expect(r).toMatchObject({ ok: false, failedStage: 'tcp', error: { code: 'UNREACHABLE' } });
    expect(r.error?.message).toMatch(/refused/);
    expect(r.steps.map((s) => [s.stage, s.ok])).toEqual([['dns', true], ['tcp', false]]);
  });

  it('a name that does not resolve fails at dns', async () => {
    const r = await metrics.test('x', { config: cfg({ source: 'url', url: 'http://prometheus.does-not-exist.invalid:9090', timeoutMs: 3000 }) });
    expect(r.failedStage).toBe('dns');
    expect(r.error?.code).toBe('UNREACHABLE');
  });

  it('a server that never answers fails as timeout within the set timeout', async () => {
    const silent = createNetServer((c) => sockets.add(c)); // accepts, never speaks
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const t0 = Date.now();
    const r = await metrics.test('x', { config: cfg({ source: 'url', url: `http://127.0.0.1:${port}`, timeoutMs: 1500 }) });
    const took = Date.now() - t0;
    expect(r).toMatchObject({ ok: false, failedStage: 'timeout', error: { code: 'TIMEOUT' } });
    expect(r.error?.details?.during).toBe('http');
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(2500);
  });

  it('a TLS server with an unknown CA fails at tls; skipping verification gets to auth (401)', async () => {
    const url = env.kube!.url; // the sandbox API server: HTTPS with its own CA, wants a bearer token
    const r = await metrics.test('x', { config: cfg({ source: 'url', url, timeoutMs: 3000 }) });
    expect(r).toMatchObject({ ok: false, failedStage: 'tls', error: { code: 'TLS' } });
    const r2 = await metrics.test('x', { config: cfg({ source: 'url', url, insecureSkipTlsVerify: true, timeoutMs: 3000 }) });
    expect(r2).toMatchObject({ ok: false, failedStage: 'auth', error: { code: 'UNAUTHORIZED' } });
    expect(r2.steps.map((s) => s.stage)).toEqual(['dns', 'tcp', 'tls', 'http']);
  });

  it('401 from Prometheus fails at auth; HTML garbage fails at http with UPSTREAM', async () => {
    const locked = await fakeServer((_r, res) => res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized'));
    const r = await metrics.test('x', { config: cfg({ source: 'url', url: locked.url, timeoutMs: 3000 }) });
    expect(r).toMatchObject({ ok: false, failedStage: 'auth', error: { code: 'UNAUTHORIZED' } });
    const html = await fakeServer((_r, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><head><title>Sign in</title></head></html>'));
    const h = await metrics.test('x', { config: cfg({ source: 'url', url: html.url, timeoutMs: 3000 }) });
    expect(h).toMatchObject({ ok: false, failedStage: 'http', error: { code: 'UPSTREAM' } });
    expect(h.error?.message).toContain('HTML');
    expect(h.error?.message).toContain(html.url);
  });

  it('a real Prometheus passes every stage and reports Istio and Linkerd metrics', async () => {
    const r = await metrics.test('x', { config: cfg({ source: 'url', url: env.prom.url, timeoutMs: 5000 }) });
    expect(r.error).toBeNull();
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => s.stage)).toEqual(['dns', 'tcp', 'http', 'promql']);
    expect(r.prometheus).toMatchObject({ istio: true, linkerd: true, targetsUp: 1 });
    expect(r.prometheus?.version).toMatch(/^2\./);
  });
});

describe('requests', () => {
  it('sends X-Scope-OrgID, extra headers and the bearer token; queries are form POSTs', async () => {
    const rec = await fakeServer((_r, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(promJson({ resultType: 'vector', result: [{ metric: { job: 'x' }, value: [1, '1'] }] })));
    await metrics.setConfig('tenant-ctx', cfg({ source: 'url', url: `${rec.url}/prometheus`, auth: 'bearer', tenant: 'team-a', headers: { 'X-Extra': 'yes' } }), { token: 'tok-123' });
    const out = await metrics.query({ kind: 'custom', contextId: 'tenant-ctx', promql: 'up{job="a\\"b"}' });
    expect(out.series).toEqual([{ labels: { job: 'x' }, value: 1 }]);
    const q = rec.seen.at(-1)!;
    expect(q.method).toBe('POST');
    expect(q.url).toBe('/prometheus/api/v1/query');
    expect(q.headers['x-scope-orgid']).toBe('team-a');
    expect(q.headers['x-extra']).toBe('yes');
    expect(q.headers.authorization).toBe('Bearer tok-123');
    expect(q.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(q.body).get('query')).toBe('up{job="a\\"b"}');
    // Basic auth too.
    await metrics.setConfig('tenant-ctx', cfg({ source: 'url', url: rec.url, auth: 'basic', username: 'ann' }), { password: 'p:w' });
    await metrics.query({ kind: 'custom', contextId: 'tenant-ctx', promql: 'up' });
    expect(rec.seen.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('ann:p:w').toString('base64')}`);
  });

  it('a garbage answer to a query is UPSTREAM; a cancel is CANCELLED, fast', async () => {
    const junk = await fakeServer((_r, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,'));
    await metrics.setConfig('junk', cfg({ source: 'url', url: junk.url }));
    await expect(metrics.query({ kind: 'custom', contextId: 'junk', promql: 'up' })).rejects.toMatchObject({ code: 'UPSTREAM' });
    const silent = await fakeServer(() => undefined);
    await metrics.setConfig('silent', cfg({ source: 'url', url: silent.url, timeoutMs: 30_000 }));
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 200);
    const err = await metrics.query({ kind: 'custom', contextId: 'silent', promql: 'up' }, ac.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('CANCELLED');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('hostile label values reach a real Prometheus as valid PromQL that matches nothing', async () => {
    await metrics.setConfig('real', cfg({ source: 'url', url: env.prom.url }));
    for (const name of ['a"} or vector(1) or up{x="', 'back\\slash\\', 'new\nline', '.*']) {
      const r = await metrics.query({ kind: 'golden', contextId: 'real', signal: 'requestRate', target: { mesh: 'istio', kind: 'workload', namespace: 'shop', name, direction: 'inbound' }, window: '1m' });
      expect(r.series).toEqual([]);
    }
  });
});

// The viewer role has "get" on services/proxy but not "create": queries must go as GET through the proxy.
describe('in the cluster: discovery and the service proxy (viewer credentials)', () => {
  it('discovers istio-system/prometheus and says what it found where', async () => {
    const d = await metrics.discover(contextId);
    expect(d.chosen).toMatchObject({ namespace: 'istio-system', name: 'prometheus', port: 9090, scheme: 'http' });
    // Listing a namespace that does not exist answers an empty list, as real API servers do.
    expect(d.checked.map((c) => [c.namespace, c.outcome])).toEqual([['istio-system', 'found'], ['monitoring', 'none'], ['linkerd-viz', 'none']]);
  });

  it('auto: test connection goes through the service proxy, and golden signals answer', async () => {
    const t = await metrics.test(contextId);
    expect(t.error).toBeNull();
    expect(t).toMatchObject({ ok: true, via: 'kube-proxy', prometheus: { istio: true, linkerd: true } });
    expect(t.target).toContain('service istio-system/prometheus:9090 via https://127.0.0.1:');
    const now = Date.now();
    const rate = await metrics.query({ kind: 'golden', contextId, signal: 'requestRate', target: { mesh: 'istio', kind: 'service', namespace: 'shop', name: 'catalog', direction: 'inbound' }, window: '30s', time: now });
    expect(rate.series[0]!.value).toBeGreaterThan(1);
    const lk = await metrics.queryRange({
      kind: 'golden', contextId, signals: ['requestRate', 'successRate', 'latencyP95'], target: { mesh: 'linkerd', kind: 'workload', namespace: 'billing', name: 'ledger-v1', direction: 'inbound' },
      window: '30s', start: now - 10_000, end: now, stepSec: 2,
    });
    expect(lk.results.map((r) => [r.name, r.error])).toEqual([['requestRate', null], ['successRate', null], ['latencyP95', null]]);
    const points = lk.results[0]!.series[0]!.points;
    expect(points.length).toBeGreaterThan(0);
    expect(points.every(([t, v]) => t >= (now - 10_000) / 1000 - 1 && t <= now / 1000 + 1 && (v ?? 0) > 0)).toBe(true);
    // Every golden signal is valid PromQL for both meshes (a real Prometheus parses each one).
    for (const target of [
      { mesh: 'istio', kind: 'workload', namespace: 'shop', name: 'payments-v2', direction: 'inbound' },
      { mesh: 'linkerd', kind: 'workload', namespace: 'billing', name: 'ledger-v1', direction: 'inbound' },
    ] as const) {
      const all = await metrics.queryRange({ kind: 'golden', contextId, signals: [...GOLDEN_SIGNALS], target, window: '30s', start: now - 10_000, end: now, stepSec: 2 });
      expect(all.results.map((r) => [r.name, r.error?.code ?? null])).toEqual(GOLDEN_SIGNALS.map((g) => [g, null]));
    }
    // On a service with traffic, both ratios answer and success = 1 - error.
    const catalog = { mesh: 'istio', kind: 'service', namespace: 'shop', name: 'catalog', direction: 'inbound' } as const;
    const err = await metrics.query({ kind: 'golden', contextId, signal: 'errorRate', target: catalog, window: '30s', time: now });
    const ok = await metrics.query({ kind: 'golden', contextId, signal: 'successRate', target: catalog, window: '30s', time: now });
    expect(err.series[0]!.value).toBeGreaterThanOrEqual(0);
    expect(err.series[0]!.value! + ok.series[0]!.value!).toBeCloseTo(1, 6);
    // The graph builder's entry point.
    const prom = await metrics.clientFor(contextId);
    const samples = await prom.instant('sum by (destination_service_name) (rate(istio_requests_total{reporter="destination"}[30s]))', Date.now(), new AbortController().signal);
    expect(samples.map((s) => s.metric.destination_service_name)).toContain('checkout');
  });

  it('a named service that does not exist fails at the proxy stage (404 from the API server)', async () => {
    const r = await metrics.test(contextId, { config: cfg({ source: 'service', service: { namespace: 'monitoring', name: 'prometheus', port: 9090 } }) });
    expect(r).toMatchObject({ ok: false, failedStage: 'proxy', error: { code: 'NOT_FOUND' } });
    const notConnected = await metrics.test('nowhere#ctx');
    expect(notConnected).toMatchObject({ ok: false, failedStage: 'kube' });
  });
});
