/**
 * Traffic edits against the sandbox API server over HTTPS: admin applies (guarded JSON patch,
 * unmanaged fields kept), a viewer gets "not allowed" with verb and resource, a concurrent writer
 * between plan and apply (clean → re-applied, overlapping → conflict), undo, ownership
 * confirmation, and a connection that breaks mid-apply (re-read tells whether it landed).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors';
import { createKubeService } from '../../main/kube/service';
import type { KubeService } from '../../main/kube/service';
import { createTrafficService } from '../../main/traffic/service';
import type { TrafficService } from '../../main/traffic/service';
import { applyPlanned } from '../../main/traffic/apply';
import type { KubeRequester } from '../../main/traffic/apply';
import { planChange } from '../../main/traffic/plan';
import { readSnapshot } from '../../main/traffic/read';
import { deepEqual } from '../../main/traffic/json';
import type { KubeObject } from '../../main/traffic/json';
import { startSandboxKube } from '../../sandbox/kube/index';
import type { SandboxKube } from '../../sandbox/kube/index';

let tmp: string;
let sandbox: SandboxKube;
let kube: KubeService;
let traffic: TrafficService;
let admin: string;
let viewer: string;

const VS = (name: string) => `/apis/networking.istio.io/v1/namespaces/shop/virtualservices/${name}`;
const ref = (name: string) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'shop', name });

async function get(p: string): Promise<KubeObject> {
  return kube.clientFor(admin).requestJson<KubeObject>(p);
}
/** Another writer (kubectl, a controller) changing the object out of band. */
async function jsonPatch(p: string, ops: unknown[]): Promise<KubeObject> {
  return kube.clientFor(admin).requestJson<KubeObject>(p, { method: 'PATCH', headers: { 'Content-Type': 'application/json-patch+json' }, body: JSON.stringify(ops) });
}
const spec = (o: KubeObject) => o.spec as { http: Record<string, unknown>[] };

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'meshdeck-traffic-int-'));
  sandbox = await startSandboxKube({ onError: () => undefined });
  const file = path.join(tmp, 'kubeconfig.yaml');
  await sandbox.writeKubeconfig(file);
  kube = await createKubeService({ version: 'test', dataDir: tmp, kubeconfigPaths: [file], env: { HOME: tmp } }, { pollMs: 60_000 });
  admin = `${file}#sandbox-admin`;
  viewer = `${file}#sandbox-viewer`;
  expect((await kube.connect(admin)).status).toBe('connected');
  expect((await kube.connect(viewer)).status).toBe('connected');
  traffic = createTrafficService(kube, { dataDir: tmp, applyOptions: { verifyDelayMs: 50 } });
});

afterAll(async () => {
  await kube?.close();
  await sandbox?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('traffic against the sandbox cluster', () => {
  it('lists the routing of a namespace with owners', async () => {
    const { targets, warnings } = await traffic.list(admin, 'shop');
    expect(warnings).toEqual([]);
    const by = Object.fromEntries(targets.map((t) => [`${t.object.kind}/${t.service}`, t]));
    expect(Object.keys(by)).toEqual(expect.arrayContaining(['VirtualService/catalog', 'VirtualService/checkout', 'VirtualService/payments', 'VirtualService/frontend', 'HTTPRoute/search']));
    expect(by['VirtualService/checkout']!.summary).toBe('v1 90 · v2 10');
    expect(by['VirtualService/payments']!.owners.map((o) => o.controller)).toEqual(['Helm']);
    expect(by['VirtualService/frontend']!.owners.map((o) => o.controller)).toEqual(['Argo CD']);
    const billing = await traffic.list(admin, 'billing');
    expect(billing.targets.map((t) => [t.object.kind, t.service, t.owners.map((o) => o.controller).join()])).toEqual([['TrafficSplit', 'invoices', 'Flux']]);
  });

  it('admin: plan shows the exact patch and diff, apply lands it, unmanaged fields are kept, audit records it', async () => {
    const before = await get(VS('checkout'));
    const plan = await traffic.plan({ contextId: admin, namespace: 'shop', service: 'checkout', op: { op: 'setWeights', weights: { v1: 50, v2: 50 } } });
    expect(plan.issues).toEqual([]);
    expect(plan.applicable).toBe(true);
    expect(plan.writes).toHaveLength(1);
    const w = plan.writes[0]!;
    expect(w.patch[0]).toEqual({ op: 'test', path: '/metadata/resourceVersion', value: before.metadata.resourceVersion });
    expect(w.patch.filter((o) => o.op !== 'test')).toEqual([
      { op: 'replace', path: '/spec/http/0/route/0/weight', value: 50 },
      { op: 'replace', path: '/spec/http/0/route/1/weight', value: 50 },
    ]);
    expect(w.diff).toMatch(/-\s+weight: 90\n\+\s+weight: 50/);
    const res = await traffic.apply(plan.planId, { confirmOwnership: false });
    expect(res.outcome).toBe('landed');
    expect(res.writes[0]!.reapplied).toBe(false);
    const after = await get(VS('checkout'));
    const r0 = spec(after).http[0]!;
    expect((r0.route as { weight: number }[]).map((d) => d.weight)).toEqual([50, 50]);
    // Every field the edit doesn't manage is as it was.
    const strip = (o: KubeObject) => {
      const c = structuredClone(o.spec) as { http: { route: { weight?: number }[] }[] };
      for (const d of c.http[0]!.route) delete d.weight;
      return JSON.stringify(c);
    };
    expect(strip(after)).toBe(strip(before));
    expect(after.metadata.annotations).toEqual(before.metadata.annotations);
    const audit = await traffic.audit({});
    expect(audit[0]).toMatchObject({ id: res.auditId, user: 'sandbox-admin', contextName: 'sandbox-admin', outcome: 'landed', objects: ['VirtualService/shop/checkout'] });
    expect(audit[0]!.diff).toContain('weight: 50');
    const lines = (await fs.readFile(path.join(tmp, 'audit.log'), 'utf8')).trim().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ id: res.auditId, summary: 'set weights v1=50, v2=50' });

    // Undo restores the previous spec, guarded the same way.
    const undo = await traffic.planUndo(res.auditId);
    expect(undo.issues).toEqual([]);
    expect(undo.undoOf).toBe(res.auditId);
    const undone = await traffic.apply(undo.planId, { confirmOwnership: false });
    expect(undone.outcome).toBe('landed');
    expect((await get(VS('checkout'))).spec).toEqual(before.spec);
  });

  it('viewer: "not allowed" with the verb and the resource, nothing written', async () => {
    const before = await get(VS('catalog'));
    const plan = await traffic.plan({ contextId: viewer, namespace: 'shop', service: 'catalog', op: { op: 'setTimeout', timeout: '4s' } });
    expect(plan.applicable).toBe(true);
    const res = await traffic.apply(plan.planId, { confirmOwnership: false });
    expect(res.outcome).toBe('forbidden');
    expect(res.error?.code).toBe('FORBIDDEN');
    expect(res.error?.details).toMatchObject({ verb: 'patch' });
    expect(String(res.error?.details?.resource)).toMatch(/virtualservices/);
    expect(res.message).toMatch(/viewer/);
    expect(res.message).toMatch(/patch/);
    expect((await get(VS('catalog'))).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect((await traffic.audit({ limit: 1 }))[0]).toMatchObject({ outcome: 'forbidden', user: 'sandbox-viewer' });
  });

  it('409, clean: a concurrent edit elsewhere → re-read and re-applied on the new version', async () => {
    const plan = await traffic.plan({ contextId: admin, namespace: 'shop', service: 'catalog', op: { op: 'setWeights', weights: { v1: 70, v2: 30 } } });
    // Someone else changes another field between plan and apply.
    await jsonPatch(VS('catalog'), [{ op: 'replace', path: '/spec/http/1/timeout', value: '4s' }]);
    const res = await traffic.apply(plan.planId, { confirmOwnership: false });
    expect(res.outcome).toBe('landed');
    expect(res.writes[0]!.reapplied).toBe(true);
    const now = spec(await get(VS('catalog'))).http[1]!;
    expect(now.timeout).toBe('4s');
    expect((now.route as { weight: number }[]).map((d) => d.weight)).toEqual([70, 30]);
  });

  it('409, overlapping: the concurrent writer changed the same weights → conflict, their change stays', async () => {
    const plan = await traffic.plan({ contextId: admin, namespace: 'shop', service: 'catalog', op: { op: 'setWeights', weights: { v1: 20, v2: 80 } } });
    await jsonPatch(VS('catalog'), [
      { op: 'replace', path: '/spec/http/1/route/0/weight', value: 60 },
      { op: 'replace', path: '/spec/http/1/route/1/weight', value: 40 },
    ]);
    const res = await traffic.apply(plan.planId, { confirmOwnership: false });
    expect(res.outcome).toBe('conflict');
    expect(res.message).toMatch(/changed since it was read, at \/spec\/http\/1\/route\/0\/weight/);
    expect(res.conflictDiff).toMatch(/weight: 60/);
    expect((spec(await get(VS('catalog'))).http[1]!.route as { weight: number }[]).map((d) => d.weight)).toEqual([60, 40]);
    // The plan is used up: applying it again is refused.
    await expect(traffic.apply(plan.planId, { confirmOwnership: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a route inserted above the one being edited → conflict (identity tests), not an edit of the wrong route', async () => {
    const plan = await traffic.plan({ contextId: admin, namespace: 'shop', service: 'catalog', op: { op: 'setTimeout', timeout: '9s' } });
    await jsonPatch(VS('catalog'), [{ op: 'add', path: '/spec/http/1', value: { name: 'inserted', match: [{ uri: { prefix: '/x' } }], route: [{ destination: { host: 'catalog', subset: 'v1' } }] } }]);
    const res = await traffic.apply(plan.planId, { confirmOwnership: false });
    expect(res.outcome).toBe('conflict');
    await jsonPatch(VS('catalog'), [{ op: 'remove', path: '/spec/http/1' }]);
  });

  it('owned objects need confirmation (Flux TrafficSplit), then apply', async () => {
    const plan = await traffic.plan({ contextId: admin, namespace: 'billing', service: 'invoices', op: { op: 'setWeights', weights: { 'invoices-v1': 70, 'invoices-v2': 30 } } });
    expect(plan.owners.map((o) => o.controller)).toEqual(['Flux']);
    const err = await traffic.apply(plan.planId, { confirmOwnership: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'BAD_INPUT', field: 'confirmOwnership' });
    const res = await traffic.apply(plan.planId, { confirmOwnership: true });
    expect(res.outcome).toBe('landed');
    const ts = await get('/apis/split.smi-spec.io/v1alpha2/namespaces/billing/trafficsplits/invoices');
    expect(ts.spec).toMatchObject({ backends: [{ service: 'invoices-v1', weight: 70 }, { service: 'invoices-v2', weight: 30 }] });
  });

  it('HTTPRoute: A/B header rule, then mirror', async () => {
    const plan = await traffic.plan({ contextId: admin, namespace: 'shop', service: 'search', op: { op: 'addHeaderMatchRoute', kind: 'header', name: 'x-beta', value: 'yes', destination: 'search-v2' } });
    expect(plan.issues).toEqual([]);
    expect((await traffic.apply(plan.planId, { confirmOwnership: false })).outcome).toBe('landed');
    const st = await traffic.get({ contextId: admin, namespace: 'shop', service: 'search' });
    expect(st.model.routes).toHaveLength(2);
    expect(st.model.routes[0]!.matches[0]!.headers).toEqual([{ name: 'x-beta', match: { type: 'exact', value: 'yes' } }]);
    expect(st.model.routes[0]!.matches[0]!.uri).toEqual({ type: 'prefix', value: '/search' });
  });

  it('invalid input is refused by field before anything is sent', async () => {
    const plan = await traffic.plan({ contextId: admin, namespace: 'shop', service: 'payments', op: { op: 'setFault', fault: { delay: null, abort: { httpStatus: 700, percent: 50 } } } });
    expect(plan.applicable).toBe(false);
    expect(plan.issues).toEqual([{ field: 'fault.abort.httpStatus', message: 'The abort status must be an HTTP status code from 100 to 599 (got 700).' }]);
    expect(plan.writes).toEqual([]);
  });

  describe('the connection breaks mid-apply: a re-read tells whether it landed', () => {
    const planned = async (timeout: string) => {
      const client = kube.clientFor(admin);
      const snap = await readSnapshot(client, ref('recommendations'), undefined);
      return { client, change: planChange(snap, { op: 'setTimeout', timeout }) };
    };
    const lost = new ApiError('UNREACHABLE', 'Cannot reach the API server: connection reset (ECONNRESET).');

    it('sent, answer lost → landed', async () => {
      const { client, change } = await planned('1500ms');
      const flaky: KubeRequester = {
        contextName: client.contextName,
        errorFrom: (e, x) => client.errorFrom(e, x),
        request: async (p, init) => {
          const res = await client.request(p, init);
          if (init?.method === 'PATCH') throw lost;
          return res;
        },
      };
      const out = await applyPlanned(flaky, change, { verifyDelayMs: 10 });
      expect(out.outcome).toBe('landed');
      expect(out.message).toMatch(/checked by re-reading/);
      expect(spec(await get(VS('recommendations'))).http[0]!.timeout).toBe('1500ms');
    });

    it('never sent → did not land', async () => {
      const { client, change } = await planned('2500ms');
      const down: KubeRequester = {
        contextName: client.contextName,
        errorFrom: (e, x) => client.errorFrom(e, x),
        request: async (p, init) => {
          if (init?.method === 'PATCH') throw lost;
          return client.request(p, init);
        },
      };
      const out = await applyPlanned(down, change, { verifyDelayMs: 10 });
      expect(out.outcome).toBe('failed');
      expect(out.message).toMatch(/did not land/);
      expect(spec(await get(VS('recommendations'))).http[0]!.timeout).toBe('1500ms');
    });

    it('cluster gone entirely → unknown, says so', async () => {
      const { client, change } = await planned('3500ms');
      const gone: KubeRequester = { contextName: client.contextName, errorFrom: (e, x) => client.errorFrom(e, x), request: async () => { throw lost; } };
      const out = await applyPlanned(gone, change, { verifyDelayMs: 10 });
      expect(out.outcome).toBe('unknown');
      expect(out.message).toMatch(/may or may not have landed/);
    });
  });

  it('the audit log exports as JSON lines and CSV', async () => {
    const jsonl = await traffic.exportAudit('jsonl');
    const rows = jsonl.content.trim().split('\n').map((l) => JSON.parse(l) as { outcome: string });
    expect(rows.length).toBeGreaterThanOrEqual(6);
    expect(new Set(rows.map((r) => r.outcome))).toEqual(new Set(['landed', 'forbidden', 'conflict']));
    const csv = await traffic.exportAudit('csv');
    expect(csv.content.split('\n')[0]).toBe('time,contextName,user,summary,objects,outcome,message,undoOf,diff');
    expect(deepEqual(csv.filename.endsWith('.csv'), true)).toBe(true);
  });
});
