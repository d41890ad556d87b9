import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRouter } from '../../main/api/router';
import type { AllHandlers } from '../../main/api/router';
import {
  createSettingsService,
  EncryptedFileSecrets,
  FileSecrets,
  secretsPaths,
  settingsHandlers,
} from '../../main/settings';
import type { SecretStore, SettingsService, StringCipher } from '../../main/settings';

/**
 * A real cipher (AES-256-GCM with a key held in memory) standing in for the OS keyring: the
 * Electron adapter around safeStorage is tested separately with electron stubbed
 * (electron-safe-storage.test.ts). What is tested here is that nothing reaches the disk unencrypted.
 */
function aesCipher(): StringCipher & { available: boolean } {
  const key = randomBytes(32);
  return {
    available: true,
    unavailableReason() { return this.available ? null : 'No OS keyring (test).'; },
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt(buf) {
      const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
      d.setAuthTag(buf.subarray(12, 28));
      return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

let dir: string;
beforeEach(async () => { dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'meshdeck-secrets-')); });
afterEach(async () => { await fsp.rm(dir, { recursive: true, force: true }); });

/** Every file under `root`, recursively, with its bytes. */
async function allFiles(root: string): Promise<{ file: string; bytes: Buffer }[]> {
  const out: { file: string; bytes: Buffer }[] = [];
  for (const e of await fsp.readdir(root, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    out.push({ file, bytes: await fsp.readFile(file) });
  }
  return out;
}

/** The secret in the encodings a careless write would use. */
function encodings(secret: string): string[] {
  const b = Buffer.from(secret, 'utf8');
  return [secret, b.toString('base64'), b.toString('base64url'), b.toString('hex'), encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
}

function filesContaining(files: { file: string; bytes: Buffer }[], secret: string): string[] {
  return files.filter(({ bytes }) => encodings(secret).some((enc) => bytes.includes(Buffer.from(enc, 'utf8')))).map((f) => f.file);
}

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.prom-token-7f3c9a1e2d';
const PASSWORD = 'pg-p@ss w0rd/with:odd%chars';

async function populate(s: SettingsService, router: ReturnType<typeof createRouter>) {
  const ctx = { signal: new AbortController().signal, transport: 'ipc' as const };
  await s.setPrometheus('/home/u/.kube/config#prod', { source: 'url', url: 'https://prom.example', auth: 'bearer' });
  await s.putEventStore({ id: 'orders', name: 'Orders', url: 'postgres://app@db/orders' });
  const responses: unknown[] = [];
  responses.push(await router.invoke('settings.setSecret', { key: 'prometheus:/home/u/.kube/config#prod:token', value: TOKEN }, ctx));
  responses.push(await router.invoke('settings.setSecret', { key: 'eventstore:orders:password', value: PASSWORD }, ctx));
  await s.updatePreferences({ theme: 'dark' });
  for (const ch of ['settings.get', 'settings.secrets', 'settings.export', 'settings.notices']) responses.push(await router.invoke(ch, {}, ctx));
  return responses;
}

const routerFor = (s: SettingsService) => createRouter(settingsHandlers(s) as unknown as AllHandlers);

describe('secrets are never written in plain text (desktop, safeStorage-style backend)', () => {
  it('scans every file the app wrote, every API answer and the export: the secret is nowhere', async () => {
    const secrets = new EncryptedFileSecrets(secretsPaths(dir).encrypted, aesCipher());
    const s = await createSettingsService({ dataDir: dir, secrets });
    const router = routerFor(s);
    const responses = await populate(s, router);

    const files = await allFiles(dir);
    expect(files.map((f) => path.relative(dir, f.file)).sort()).toEqual(['secrets/secrets.enc.json', 'settings.json']);
    expect(filesContaining(files, TOKEN)).toEqual([]);
    expect(filesContaining(files, PASSWORD)).toEqual([]);
    const answers = JSON.stringify(responses);
    for (const enc of [...encodings(TOKEN), ...encodings(PASSWORD)]) expect(answers).not.toContain(enc);

    // ...and yet they are there, for main.
    expect(await s.secrets.get('prometheus:/home/u/.kube/config#prod:token')).toBe(TOKEN);
    expect(await s.secrets.get('eventstore:orders:password')).toBe(PASSWORD);
    // The renderer learns only "set".
    const snap = await s.snapshot();
    expect(snap.connections.prometheus['/home/u/.kube/config#prod']?.secretSet).toBe(true);
    expect(snap.connections.eventStores[0]?.secretSet).toBe(true);
    expect(snap.secrets.keys).toEqual([
      { key: 'eventstore:orders:password', set: true },
      { key: 'prometheus:/home/u/.kube/config#prod:token', set: true },
    ]);
  });

  it('without a usable keyring nothing is stored, and the reason is given', async () => {
    const cipher = aesCipher();
    cipher.available = false;
    const s = await createSettingsService({ dataDir: dir, secrets: new EncryptedFileSecrets(secretsPaths(dir).encrypted, cipher) });
    const r = await routerFor(s).invoke('settings.setSecret', { key: 'eventstore:x:password', value: PASSWORD }, { signal: new AbortController().signal, transport: 'ipc' });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_CONFIG', message: 'No OS keyring (test).' } });
    expect(filesContaining(await allFiles(dir), PASSWORD)).toEqual([]);
    expect(await s.secretsInfo()).toMatchObject({ backend: 'safeStorage', usable: false, problem: 'No OS keyring (test).' });
  });

  it('a value encrypted under another key (keyring reset) is reported, not returned garbled', async () => {
    const file = secretsPaths(dir).encrypted;
    await new EncryptedFileSecrets(file, aesCipher()).set('kube:a:token', 'v');
    await expect(new EncryptedFileSecrets(file, aesCipher()).get('kube:a:token')).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/cannot be decrypted/) });
  });
});

describe('web mode: a 0600 file', () => {
  it('only the secrets file holds the value; it is 0600 in a 0700 directory', async () => {
    const s = await createSettingsService({ dataDir: dir });
    expect(s.secrets.backend).toBe('file');
    await populate(s, routerFor(s));
    const files = await allFiles(dir);
    const p = secretsPaths(dir);
    expect(filesContaining(files, TOKEN)).toEqual([p.file]);
    expect(filesContaining(files, PASSWORD)).toEqual([p.file]);
    if (process.platform !== 'win32') {
      expect((await fsp.stat(p.file)).mode & 0o777).toBe(0o600);
      expect((await fsp.stat(p.dir)).mode & 0o777).toBe(0o700);
    }
  });

  it.skipIf(process.platform === 'win32')('refuses a secrets file others can read, and says how to fix it', async () => {
    const p = secretsPaths(dir);
    const store: SecretStore = new FileSecrets(p.file);
    await store.set('kube:a:token', 'x');
    await fsp.chmod(p.file, 0o644);
    await expect(store.get('kube:a:token')).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/can be read by other users \(mode 644\).*chmod 600/) });
    expect(await store.status()).toMatchObject({ usable: false, problem: expect.stringMatching(/mode 644/) });
    await fsp.chmod(p.file, 0o600);
    await fsp.chmod(p.dir, 0o755);
    await expect(store.get('kube:a:token')).rejects.toMatchObject({ message: expect.stringMatching(/directory .* \(mode 755\).*chmod 700/) });
    await fsp.chmod(p.dir, 0o700);
    expect(await store.get('kube:a:token')).toBe('x');
  });

  it('a damaged secrets file is reported, not silently emptied', async () => {
    const p = secretsPaths(dir);
    await fsp.mkdir(p.dir, { mode: 0o700 });
    await fsp.writeFile(p.file, '{not json', { mode: 0o600 });
    await expect(new FileSecrets(p.file).set('kube:a:token', 'x')).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/damaged/) });
    expect(await fsp.readFile(p.file, 'utf8')).toBe('{not json');
  });
});

describe('secret keys and lifecycle', () => {
  const ctx = { signal: new AbortController().signal, transport: 'web' as const };

  it('rejects keys that are not <kind>:<id>:<name>, naming the field', async () => {
    const s = await createSettingsService({ dataDir: dir });
    const router = routerFor(s);
    for (const key of ['token', 'aws:x:token', 'prometheus:x:cookie', 'prometheus:a\nb:token', 'prometheus::token']) {
      const r = await router.invoke('settings.setSecret', { key, value: 'v' }, ctx);
      expect(r, key).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', field: 'key' } });
    }
    // Windows paths in a context id (spaces, colons) are fine.
    expect(await router.invoke('settings.setSecret', { key: 'prometheus:C:\\Users\\A B\\.kube\\config#dev:token', value: 'v' }, ctx)).toMatchObject({ ok: true });
  });

  it('removing a connection forgets its secret', async () => {
    const s = await createSettingsService({ dataDir: dir });
    await s.putEventStore({ id: 'orders', name: 'O', url: 'postgres://u@h/d' });
    await s.setPrometheus('ctx', { auth: 'basic', username: 'me' });
    await s.setSecret('eventstore:orders:password', 'p');
    await s.setSecret('prometheus:ctx:password', 'q');
    await s.removeEventStore('orders');
    await s.setPrometheus('ctx', null);
    expect(await s.secrets.keys()).toEqual([]);
  });

  it('no channel returns a secret: the contract has no reader', async () => {
    const { contract } = await import('../../shared/contract');
    const settingsChannels = Object.keys(contract).filter((k) => k.startsWith('settings.'));
    expect(settingsChannels.filter((c) => /secret/i.test(c)).sort()).toEqual(['settings.deleteSecret', 'settings.secrets', 'settings.setSecret']);
    const s = await createSettingsService({ dataDir: dir });
    await s.setSecret('kube:a:token', TOKEN);
    const router = routerFor(s);
    const all = await Promise.all([router.invoke('settings.secrets', {}, ctx), router.invoke('settings.deleteSecret', { key: 'kube:none:token' }, ctx), router.invoke('settings.get', {}, ctx)]);
    expect(JSON.stringify(all)).not.toContain(TOKEN);
  });
});
