import { chmodSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type https from 'node:https';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors';
import type { KubeSources } from '../../shared/contract/kube';
import { discoverKubeconfigs, jsonUserKubeconfigStore } from '../../main/kube/kubeconfig-files';
import { combine, loadKubeconfig, toKubeConfig } from '../../main/kube/kubeconfig-parse';
import type { ResolvedContext } from '../../main/kube/kubeconfig-parse';
import { ExecAuthenticator, ExecCredentialProvider, TokenFileAuthenticator } from '../../main/kube/exec-auth';
import { createKubeService } from '../../main/kube/service';
import type { KubeService } from '../../main/kube/service';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/kubeconfig');
const f = (name: string) => path.join(FIX, name);
const PLUGIN = f('bin/exec-credential.mjs');

async function loadAll(files: string[], origin: 'env' | 'user' = 'env') {
  return combine(await Promise.all(files.map((p) => loadKubeconfig({ path: p, origin }))));
}

function ctxOf(all: Map<string, ResolvedContext>, file: string, name: string): ResolvedContext {
  const c = all.get(`${file}#${name}`);
  if (!c) throw new Error(`no context ${name} in ${file}; have ${[...all.keys()].join(', ')}`);
  return c;
}

type Opts = https.RequestOptions & { headers?: Record<string, unknown> };

let tmp: string;
beforeAll(async () => {
  // git may not keep the executable bit on every checkout.
  chmodSync(PLUGIN, 0o755);
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'meshdeck-kube-unit-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('finding kubeconfig files as kubectl does', () => {
  it('splits KUBECONFIG on path.delimiter, drops empty entries and duplicates, keeps order', () => {
    const env = { HOME: '/home/someone', KUBECONFIG: [f('env-a.yaml'), '', f('env-b.yaml'), f('env-a.yaml'), '/nope/missing'].join(path.delimiter) };
    const out = discoverKubeconfigs({ env });
    expect(out).toEqual([
      { path: f('env-a.yaml'), origin: 'env' },
      { path: f('env-b.yaml'), origin: 'env' },
      { path: '/nope/missing', origin: 'env' },
    ]);
  });

  it('falls back to $HOME/.kube/config, and appends user files (a path already listed keeps its first origin)', () => {
    const out = discoverKubeconfigs({ env: { HOME: '/home/someone' }, userPaths: ['/data/extra.yaml', '/home/someone/.kube/config'] });
    expect(out).toEqual([
      { path: '/home/someone/.kube/config', origin: 'default' },
      { path: '/data/extra.yaml', origin: 'user' },
    ]);
  });

  it('command-line paths replace KUBECONFIG; the sandbox file comes first', () => {
    const out = discoverKubeconfigs({ env: { HOME: '/h', KUBECONFIG: '/k1' }, flagPaths: ['/flag.yaml'], sandboxPath: '/sandbox.yaml' });
    expect(out.map((s) => `${s.origin}:${s.path}`)).toEqual(['sandbox:/sandbox.yaml', 'flag:/flag.yaml']);
  });
});

describe('parsing each file alone', () => {
  it('name clash across KUBECONFIG files: both listed, the later one shadowed by the first (kubectl: first wins)', async () => {
    const { sources } = await loadAll([f('env-a.yaml'), f('env-b.yaml')]);
    const shared = sources.contexts.filter((c) => c.name === 'shared');
    expect(shared.map((c) => c.file)).toEqual([f('env-a.yaml'), f('env-b.yaml')]);
    expect(shared[0]?.shadowedBy).toBeNull();
    expect(shared[1]?.shadowedBy).toBe(`${f('env-a.yaml')}#shared`);
    expect(shared[1]?.id).toBe(`${f('env-b.yaml')}#shared`);
    // current-context comes from the first file that sets one, and names that file's context.
    expect(sources.currentContext).toBe(`${f('env-a.yaml')}#shared`);
    expect(sources.contexts.map((c) => c.name).sort()).toEqual(['oidc', 'only-a', 'only-b', 'shared', 'shared']);
    expect(sources.contexts.every((c) => c.error === null)).toBe(true);

    const reversed = await loadAll([f('env-b.yaml'), f('env-a.yaml')]);
    expect(reversed.sources.contexts.find((c) => c.id === `${f('env-a.yaml')}#shared`)?.shadowedBy).toBe(`${f('env-b.yaml')}#shared`);
    expect(reversed.sources.currentContext).toBe(`${f('env-b.yaml')}#only-b`);
  });

  it('files added by the user are never shadowed (they are not part of kubectl\'s merge)', async () => {
    const parsed = await Promise.all([
      loadKubeconfig({ path: f('env-a.yaml'), origin: 'env' }),
      loadKubeconfig({ path: f('env-b.yaml'), origin: 'user' }),
    ]);
    const { sources } = combine(parsed);
    expect(sources.contexts.every((c) => c.shadowedBy === null)).toBe(true);
  });

  it('a malformed file fails alone, with file, line and reason, and without echoing its content', async () => {
    const { sources } = await loadAll([f('env-a.yaml'), f('malformed.yaml'), f('env-b.yaml')]);
    const bad = sources.files.find((x) => x.path === f('malformed.yaml'));
    expect(bad?.exists).toBe(true);
    expect(bad?.error?.code).toBe('INVALID_CONFIG');
    expect(bad?.error?.line).toBe(7);
    expect(bad?.error?.message).toContain(f('malformed.yaml'));
    expect(bad?.error?.message).toMatch(/line 7, column \d+: All mapping items must start at the same column/);
    expect(bad?.error?.message).not.toContain('certificate-authority');
    // The other files are untouched.
    expect(sources.contexts.filter((c) => c.file !== f('malformed.yaml'))).toHaveLength(5);
  });

  it('a missing file is listed as missing, not as an error (kubectl ignores it)', async () => {
    const { sources } = await loadAll([path.join(tmp, 'nope.yaml')]);
    expect(sources.files).toEqual([{ path: path.join(tmp, 'nope.yaml'), origin: 'env', exists: false, error: null }]);
  });

  it('a missing certificate file breaks only that context, naming the file and the field', async () => {
    const { sources } = await loadAll([f('missing-cert.yaml')]);
    const broken = sources.contexts.find((c) => c.name === 'broken');
    const fine = sources.contexts.find((c) => c.name === 'fine');
    expect(fine?.error).toBeNull();
    expect(broken?.error?.code).toBe('INVALID_CONFIG');
    expect(broken?.error?.message).toContain(f('certs/does-not-exist.crt'));
    expect(broken?.error?.message).toContain('client-certificate');
    expect(broken?.error?.field).toBe('users[1].user.client-certificate');
    expect(broken?.error?.details?.line).toBe(11);
    expect(broken?.authKind).toBe('client-cert');
  });

  it('resolves relative certificate, key, tokenFile and exec command paths against the file\'s directory', async () => {
    const file = f('nested/relative.yaml');
    const { sources, contexts } = await loadAll([file]);
    expect(sources.contexts.every((c) => c.error === null)).toBe(true);
    const cert = ctxOf(contexts, file, 'cert');
    expect(cert.cluster?.caFile).toBe(f('certs/ca.crt'));
    expect(cert.user?.certFile).toBe(f('certs/client.crt'));
    expect(cert.user?.keyFile).toBe(f('certs/client.key'));
    expect(ctxOf(contexts, file, 'token-file').user?.tokenFile).toBe(f('tokens/b.token'));
    expect(ctxOf(contexts, file, 'exec').user?.exec?.command).toBe(PLUGIN);
    expect(ctxOf(contexts, file, 'exec').user?.exec?.args).toEqual(['--flag']);
    // A bare command name is looked up on PATH, as kubectl does.
    expect(ctxOf(contexts, file, 'exec-on-path').user?.exec?.command).toBe('node');
  });

  it('detects the auth kind of every context and exposes no secret in the context info', async () => {
    const { sources } = await loadAll([f('env-a.yaml'), f('env-b.yaml'), f('nested/relative.yaml')]);
    const kinds = Object.fromEntries(sources.contexts.map((c) => [`${path.basename(c.file)}:${c.name}`, c.authKind]));
    expect(kinds).toEqual({
      'env-a.yaml:shared': 'client-cert',
      'env-a.yaml:only-a': 'token',
      'env-b.yaml:shared': 'token-file',
      'env-b.yaml:only-b': 'basic',
      'env-b.yaml:oidc': 'oidc',
      'relative.yaml:cert': 'client-cert',
      'relative.yaml:token-file': 'token-file',
      'relative.yaml:exec': 'exec',
      'relative.yaml:exec-on-path': 'exec',
    });
    const json = JSON.stringify(sources);
    for (const secret of ['token-dev-a', 's3cret', 'not-a-real-token', 'token-from-file-b']) expect(json).not.toContain(secret);
    const onlyA = sources.contexts.find((c) => c.name === 'only-a');
    expect(onlyA).toMatchObject({ server: 'https://dev.a.example:6443', namespace: 'team-a', insecureSkipTlsVerify: true, cluster: 'dev', user: 'dev-user' });
  });

  it('a context pointing at an undefined cluster or user is broken alone', async () => {
    const file = path.join(tmp, 'dangling.yaml');
    await fs.writeFile(
      file,
      ['apiVersion: v1', 'clusters:', '  - name: c', '    cluster: {server: "https://c:6443"}', 'contexts:', '  - name: no-cluster', '    context: {cluster: ghost}',
        '  - name: no-user', '    context: {cluster: c, user: ghost}', '  - name: ok', '    context: {cluster: c}', '  - context: {cluster: c}', ''].join('\n'),
    );
    const { sources } = await loadAll([file]);
    const by = Object.fromEntries(sources.contexts.map((c) => [c.name, c.error?.message ?? null]));
    expect(by['no-cluster']).toMatch(/cluster "ghost" is not defined/);
    expect(by['no-user']).toMatch(/user "ghost" is not defined/);
    expect(by.ok).toBeNull();
    expect(by['contexts[3]']).toMatch(/line 12: contexts\[3\] has no name/);
    expect(sources.contexts.find((c) => c.name === 'ok')?.authKind).toBe('none');
  });
});

describe('one KubeConfig per context, with credentials applied by client-node', () => {
  it('token, client certificate (read from the resolved path), basic and token-file auth', async () => {
    const { contexts } = await loadAll([f('env-a.yaml'), f('env-b.yaml')]);

    const tokenOpts: Opts = {};
    await toKubeConfig(ctxOf(contexts, f('env-a.yaml'), 'only-a')).applyToHTTPSOptions(tokenOpts);
    expect(tokenOpts.headers?.Authorization).toBe('Bearer token-dev-a');
    expect(tokenOpts.rejectUnauthorized).toBe(false);

    const certOpts: Opts = {};
    await toKubeConfig(ctxOf(contexts, f('env-a.yaml'), 'shared')).applyToHTTPSOptions(certOpts);
    expect(String(certOpts.cert)).toContain('BEGIN CERTIFICATE');
    expect(String(certOpts.key)).toContain('BEGIN PRIVATE KEY');
    expect(String(certOpts.ca)).toContain('BEGIN CERTIFICATE');

    const basicOpts: Opts = {};
    await toKubeConfig(ctxOf(contexts, f('env-b.yaml'), 'only-b')).applyToHTTPSOptions(basicOpts);
    expect(basicOpts.auth).toBe('alice:s3cret');

    const tf = ctxOf(contexts, f('env-b.yaml'), 'shared');
    const tfOpts: Opts = {};
    await toKubeConfig(tf, [new TokenFileAuthenticator(tf.user?.tokenFile ?? '')]).applyToHTTPSOptions(tfOpts);
    expect(tfOpts.headers?.Authorization).toBe('Bearer token-from-file-b');
  });
});

describe('exec credential plugins', () => {
  const env = { ...process.env };

  it('runs the plugin (relative command resolved), passes KUBERNETES_EXEC_INFO, and applies the token', async () => {
    const file = f('exec-a.yaml');
    const { contexts, sources } = await loadAll([file]);
    expect(sources.contexts[0]?.authKind).toBe('exec');
    const ctx = ctxOf(contexts, file, 'exec');
    const provider = new ExecCredentialProvider({ env });
    const key = ExecCredentialProvider.keyFor(ctx.file, ctx.name, 'exec-user');
    const kc = toKubeConfig(ctx, [new ExecAuthenticator(provider, key, ctx.user!.exec!, ctx.cluster)]);
    const o: Opts = {};
    await kc.applyToHTTPSOptions(o);
    expect(o.headers?.Authorization).toBe('Bearer exec-token-a');

    // provideClusterInfo: the plugin sees the cluster's server.
    const echo = new ExecCredentialProvider({ env: { ...env, MESHDECK_EXEC_ECHO_SERVER: '1' } });
    const cred = await echo.get('k', ctx.user!.exec!, ctx.cluster);
    expect(cred.token).toBe('server:https://exec-a.example:6443');
  });

  it('concurrent first requests run the plugin once (single flight), then use the cache', async () => {
    const count = path.join(tmp, 'exec-count');
    await fs.rm(count, { force: true });
    const { contexts } = await loadAll([f('exec-a.yaml')]);
    const ctx = ctxOf(contexts, f('exec-a.yaml'), 'exec');
    const provider = new ExecCredentialProvider({ env: { ...env, MESHDECK_EXEC_COUNT_FILE: count, MESHDECK_EXEC_DELAY_MS: '300' } });
    const key = ExecCredentialProvider.keyFor(ctx.file, ctx.name, 'exec-user');
    const creds = await Promise.all(Array.from({ length: 8 }, () => provider.get(key, ctx.user!.exec!, ctx.cluster)));
    expect(new Set(creds.map((c) => c.token))).toEqual(new Set(['exec-token-a']));
    expect(provider.spawnCount).toBe(1);
    expect(await fs.readFile(count, 'utf8')).toBe('x');
    await provider.get(key, ctx.user!.exec!, ctx.cluster);
    expect(provider.spawnCount).toBe(1);
    // After a 401 the credential is dropped and the plugin runs again.
    provider.invalidate(key);
    await provider.get(key, ctx.user!.exec!, ctx.cluster);
    expect(provider.spawnCount).toBe(2);
  });

  it('the cache is keyed by (file, context, user): same names in two files get their own tokens', async () => {
    const { contexts } = await loadAll([f('exec-a.yaml'), f('exec-b.yaml')]);
    const provider = new ExecCredentialProvider({ env });
    const tokens: string[] = [];
    for (const file of [f('exec-a.yaml'), f('exec-b.yaml')]) {
      const ctx = ctxOf(contexts, file, 'exec');
      const key = ExecCredentialProvider.keyFor(ctx.file, ctx.name, ctx.user!.name);
      const o: Opts = {};
      await toKubeConfig(ctx, [new ExecAuthenticator(provider, key, ctx.user!.exec!, ctx.cluster)]).applyToHTTPSOptions(o);
      tokens.push(String(o.headers?.Authorization));
    }
    expect(tokens).toEqual(['Bearer exec-token-a', 'Bearer exec-token-b']);
  });

  it('an expired credential is fetched again', async () => {
    const { contexts } = await loadAll([f('exec-a.yaml')]);
    const ctx = ctxOf(contexts, f('exec-a.yaml'), 'exec');
    // TTL shorter than the refresh skew: every get runs the plugin.
    const provider = new ExecCredentialProvider({ env: { ...env, MESHDECK_EXEC_TTL_S: '5' } });
    await provider.get('k', ctx.user!.exec!, ctx.cluster);
    await provider.get('k', ctx.user!.exec!, ctx.cluster);
    expect(provider.spawnCount).toBe(2);
  });

  it('a failing plugin gives UNAUTHORIZED with its stderr; a missing one INVALID_CONFIG with the install hint', async () => {
    const { contexts } = await loadAll([f('exec-a.yaml')]);
    const ctx = ctxOf(contexts, f('exec-a.yaml'), 'exec');
    const failing = new ExecCredentialProvider({ env: { ...env, MESHDECK_EXEC_FAIL: '1' } });
    const err = await failing.get('k', ctx.user!.exec!, ctx.cluster).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('UNAUTHORIZED');
    expect((err as ApiError).message).toMatch(/exit 3.*session expired/);

    const missing = await new ExecCredentialProvider({ env })
      .get('k2', { command: 'meshdeck-no-such-plugin', args: [], env: [], apiVersion: 'client.authentication.k8s.io/v1', provideClusterInfo: false, installHint: 'Install it with: brew install no-such-plugin' }, null)
      .catch((e: unknown) => e);
    expect((missing as ApiError).code).toBe('INVALID_CONFIG');
    expect((missing as ApiError).message).toContain('brew install no-such-plugin');
  });
});

describe('user-added files and watching', () => {
  let service: KubeService | null = null;
  afterEach(async () => {
    await service?.close();
    service = null;
  });

  it('remembers user files in <dataDir>/kubeconfigs.json, written atomically', async () => {
    const dir = path.join(tmp, 'store');
    const store = jsonUserKubeconfigStore(dir);
    await Promise.all([store.add('/a.yaml'), store.add('/b.yaml'), store.add('/a.yaml')]);
    expect(await store.list()).toEqual(['/a.yaml', '/b.yaml']);
    await store.remove('/a.yaml');
    expect(JSON.parse(await fs.readFile(path.join(dir, 'kubeconfigs.json'), 'utf8'))).toEqual({ version: 1, files: ['/b.yaml'] });
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('addFile / removeFile through the service; bad paths are BAD_INPUT naming the path', async () => {
    const dataDir = path.join(tmp, 'svc-data');
    service = await createKubeService({ version: 'test', dataDir, env: { HOME: path.join(tmp, 'empty-home') } });
    expect((await service.sources()).files.map((x) => x.origin)).toEqual(['default']);
    const after = await service.addFile(f('env-b.yaml'));
    expect(after.files.map((x) => `${x.origin}:${path.basename(x.path)}`)).toEqual(['default:config', 'user:env-b.yaml']);
    expect(after.contexts.map((c) => c.name)).toEqual(['shared', 'only-b', 'oidc']);
    await expect(service.addFile('relative/config')).rejects.toMatchObject({ code: 'BAD_INPUT', field: 'path' });
    await expect(service.addFile(path.join(tmp, 'absent.yaml'))).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('absent.yaml') });
    await expect(service.removeFile(path.join(tmp, 'empty-home/.kube/config'))).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect((await service.removeFile(f('env-b.yaml'))).contexts).toEqual([]);

    // A restart reads the list back.
    await service.addFile(f('env-a.yaml'));
    await service.close();
    service = await createKubeService({ version: 'test', dataDir, env: { HOME: path.join(tmp, 'empty-home') } });
    expect((await service.sources()).contexts.map((c) => c.name)).toEqual(['shared', 'only-a']);
  });

  it('connecting a broken context resolves with its INVALID_CONFIG error and no network call', async () => {
    service = await createKubeService({ version: 'test', dataDir: path.join(tmp, 'broken-data'), env: { HOME: tmp, KUBECONFIG: f('missing-cert.yaml') } });
    const c = await service.connect(`${f('missing-cert.yaml')}#broken`);
    expect(c).toMatchObject({ status: 'error', error: { code: 'INVALID_CONFIG', field: 'users[1].user.client-certificate' } });
    expect(() => service?.clientFor(c.contextId)).toThrowError(/failed to connect \(INVALID_CONFIG\)/);
  });

  it('pushes sourcesChanged when a watched file is rewritten, created or broken', async () => {
    const dir = path.join(tmp, 'watch');
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, 'config');
    const later = path.join(dir, 'later');
    await fs.copyFile(f('env-a.yaml'), file);
    service = await createKubeService({ version: 'test', dataDir: path.join(tmp, 'watch-data'), env: { HOME: tmp, KUBECONFIG: [file, later].join(path.delimiter) } }, { pollMs: 500 });
    const seen: KubeSources[] = [];
    service.onSourcesChanged((s) => seen.push(s));
    const waitFor = async (pred: (s: KubeSources) => boolean) => {
      const t0 = Date.now();
      while (Date.now() - t0 < 5000) {
        if (seen.some(pred)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no matching sourcesChanged within 5 s (got ${seen.length})`);
    };
    // Rewritten the way kubectl and editors do it: write a temp file, rename over.
    await fs.writeFile(`${file}.tmp`, (await fs.readFile(f('env-b.yaml'), 'utf8')));
    await fs.rename(`${file}.tmp`, file);
    await waitFor((s) => s.contexts.some((c) => c.name === 'only-b'));
    // A KUBECONFIG entry that appears later.
    await fs.copyFile(f('exec-a.yaml'), later);
    await waitFor((s) => s.contexts.some((c) => c.file === later));
    // Broken: the file reports its YAML error.
    await fs.writeFile(file, await fs.readFile(f('malformed.yaml')));
    await waitFor((s) => s.files.some((x) => x.path === file && x.error?.line === 7));
  });
});
