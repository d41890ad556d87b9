/**
 * OIDC users end to end: a kubeconfig `auth-provider: oidc` user whose id-token the sandbox API
 * server verifies the way kube-apiserver's --oidc-* flags do (RS256 signature, iss, aud, exp).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createKubeService } from '../../main/kube/service';
import type { KubeService } from '../../main/kube/service';
import { startSandboxKube } from '../../sandbox/kube/index';
import type { SandboxKube } from '../../sandbox/kube/index';

const ISSUER = 'https://login.example.test/realms/meshdeck';
const AUDIENCE = 'meshdeck';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

function jwt(claims: Record<string, unknown>, key = privateKey): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${head}.${sign('RSA-SHA256', Buffer.from(head), key).toString('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);

let sb: SandboxKube;
let kube: KubeService;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshdeck-oidc-'));
  sb = await startSandboxKube({ onError: () => undefined, oidc: { issuer: ISSUER, audience: AUDIENCE, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
  const user = (idToken: string) => ({ 'auth-provider': { name: 'oidc', config: { 'client-id': AUDIENCE, 'idp-issuer-url': ISSUER, 'id-token': idToken } } });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const base = { iss: ISSUER, aud: AUDIENCE, sub: 'ada', email: 'ada@example.test' };
  const users = {
    'oidc-admin': user(jwt({ ...base, groups: ['meshdeck:admins'], exp: now() + 3600 })),
    'oidc-reader': user(jwt({ ...base, groups: ['devs'], exp: now() + 3600 })),
    'oidc-forged': user(jwt({ ...base, groups: ['meshdeck:admins'], exp: now() + 3600 }, other)),
    'oidc-wrong-aud': user(jwt({ ...base, aud: 'someone-else', groups: ['meshdeck:admins'], exp: now() + 3600 })),
  };
  const kc = {
    apiVersion: 'v1', kind: 'Config', 'current-context': 'oidc-admin',
    clusters: [{ name: 'sandbox', cluster: { server: sb.url, 'certificate-authority-data': Buffer.from(sb.caPem).toString('base64') } }],
    users: Object.entries(users).map(([name, u]) => ({ name, user: u })),
    contexts: Object.keys(users).map((name) => ({ name, context: { cluster: 'sandbox', user: name, namespace: 'shop' } })),
  };
  const file = join(dir, 'kubeconfig');
  await writeFile(file, stringify(kc));
  kube = await createKubeService({ version: 'test', dataDir: join(dir, 'data'), env: { HOME: dir, KUBECONFIG: file } });
});

afterAll(async () => {
  await kube?.close();
  await sb?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const idOf = async (name: string) => {
  const ctx = (await kube.sources()).contexts.find((c) => c.name === name);
  if (!ctx) throw new Error(`no context ${name}`);
  expect(ctx.authKind).toBe('oidc');
  return ctx.id;
};

describe('OIDC users', () => {
  it('connects with a valid id-token and sees the mesh', async () => {
    const c = await kube.connect(await idOf('oidc-admin'));
    expect(c.error).toBeNull();
    expect(c.status).toBe('connected');
    expect(c.namespaces).toContain('shop');
    expect(c.detected?.istio).toBe(true);
  });

  it('maps groups to RBAC: a reader may list but not patch', async () => {
    const id = await idOf('oidc-reader');
    const c = await kube.connect(id);
    expect(c.status).toBe('connected');
    const client = kube.clientFor(id);
    const res = await client.request('/apis/networking.istio.io/v1/namespaces/shop/virtualservices/checkout', {
      method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ metadata: { labels: { x: 'y' } } }),
    });
    expect(res.status).toBe(403);
  });

  it('tells a forged or wrong-audience token apart as UNAUTHORIZED', async () => {
    for (const name of ['oidc-forged', 'oidc-wrong-aud']) {
      const c = await kube.connect(await idOf(name));
      expect(c.status).toBe('error');
      expect(c.error?.code).toBe('UNAUTHORIZED');
    }
  });
});
