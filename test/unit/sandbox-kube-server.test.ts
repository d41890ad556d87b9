// Lifecycle of the sandbox API server: persistence across restarts, clean shutdown with open
// watches, seed-less start, protobuf request decoding.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxKube } from '../../sandbox/kube/index.js';
import { decodeK8sProtobuf } from '../../sandbox/kube/protobuf.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-kube-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sandbox kube server lifecycle', () => {
  it('persists state to a JSON file and restores it on restart', async () => {
    const stateFile = join(dir, 'state', 'kube.json');
    const first = await startSandboxKube({ stateFile, persistDebounceMs: 20 });
    first.store.patch('networking.istio.io/v1', 'VirtualService', 'shop', 'checkout', [{ op: 'replace', path: '/spec/http/0/route/0/weight', value: 55 }]);
    const pods = first.store.list('v1', 'Pod', { namespace: 'shop', labelSelector: 'app=orders' }).map((p) => p.metadata.name);
    const rv = Number(first.store.resourceVersion());
    await first.close();
    expect(existsSync(stateFile)).toBe(true);
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ format: 'meshdeck.sandbox.kube/v1', resourceVersion: rv });

    const second = await startSandboxKube({ stateFile });
    try {
      expect(second.store.get('networking.istio.io/v1', 'VirtualService', 'shop', 'checkout')?.spec.http?.[0]?.route?.[0]?.weight).toBe(55);
      expect(second.store.list('v1', 'Pod', { namespace: 'shop', labelSelector: 'app=orders' }).map((p) => p.metadata.name)).toEqual(pods);
      expect(Number(second.store.resourceVersion())).toBeGreaterThanOrEqual(rv);
      // New objects keep getting fresh cluster IPs.
      const svc = second.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'fresh', namespace: 'shop' }, spec: { selector: { app: 'fresh' }, ports: [{ port: 80 }] } });
      const ips = second.store.list('v1', 'Service').map((s) => (s.spec as { clusterIP?: string }).clusterIP);
      expect(new Set(ips).size).toBe(ips.length);
      expect(svc.metadata.uid).toBeDefined();
    } finally {
      await second.close();
    }
  });

  it('starts empty with seed: false, and close() ends open watches', async () => {
    const kube = await startSandboxKube({ seed: false });
    expect(kube.store.list('v1', 'Namespace')).toEqual([]);
    expect(kube.store.resources().some((r) => r.kind === 'VirtualService')).toBe(false);
    const ended = new Promise<string>((resolve, reject) => {
      const req = https.get(new URL('/api/v1/namespaces?watch=1', kube.url), { ca: kube.caPem, headers: { authorization: `Bearer ${kube.tokens.viewer}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
          if (body.includes('"ADDED"')) void kube.close();
        });
        res.on('end', () => resolve(body));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    // Give the watch a moment to register, then create something it will see.
    await new Promise((r) => setTimeout(r, 50));
    kube.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'late' } });
    const body = await ended;
    expect(JSON.parse(body.trim().split('\n')[0]!)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'late' } } });
  });
});

describe('sandbox kube protobuf bodies', () => {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  const field = (num: number, payload: number[] | string): number[] => {
    const bytes = typeof payload === 'string' ? [...Buffer.from(payload)] : payload;
    return [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
  };

  it('decodes the envelope kubectl sends for a SelfSubjectAccessReview', () => {
    const attrs = [...field(1, 'shop'), ...field(2, 'patch'), ...field(3, 'networking.istio.io'), ...field(5, 'virtualservices')];
    const ssar = [...field(1, [...field(1, '')]), ...field(2, [...field(1, attrs)])];
    const envelope = [...field(1, [...field(1, 'authorization.k8s.io/v1'), ...field(2, 'SelfSubjectAccessReview')]), ...field(2, ssar)];
    const body = Buffer.from([0x6b, 0x38, 0x73, 0x00, ...envelope]);
    expect(decodeK8sProtobuf(body)).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'shop', verb: 'patch', group: 'networking.istio.io', resource: 'virtualservices' } },
    });
  });

  it('refuses kinds it has no schema for with 415', () => {
    const envelope = [...field(1, [...field(1, 'apps/v1'), ...field(2, 'Deployment')]), ...field(2, [])];
    expect(() => decodeK8sProtobuf(Buffer.from([0x6b, 0x38, 0x73, 0x00, ...envelope]))).toThrow('cannot read protobuf bodies of kind Deployment');
  });
});
