/**
 * The settings service as the store behind main/kube, main/metrics and main/eventstore: the same
 * interfaces those services take today (checked by the compiler here), persisted and restartable.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSettingsService, MemorySecrets } from '../../main/settings';
import type { UserKubeconfigStore } from '../../main/kube/kubeconfig-files';
import type { MetricsSettingsStore, SecretStore as MetricsSecretStore } from '../../main/metrics/store';
import type { ConnectionStore, SecretStore as EventStoreSecretStore } from '../../main/eventstore/store';

let dir: string;
beforeEach(async () => { dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'meshdeck-adopt-')); });
afterEach(async () => { await fsp.rm(dir, { recursive: true, force: true }); });

describe('drop-in stores for the other services', () => {
  it('kube: UserKubeconfigStore', async () => {
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    const store: UserKubeconfigStore = s.kubeconfigs;
    expect(await store.add('/a/kc.yaml')).toEqual(['/a/kc.yaml']);
    expect(await store.add('/a/kc.yaml')).toEqual(['/a/kc.yaml']);
    expect(await store.add('/b/kc.yaml')).toEqual(['/a/kc.yaml', '/b/kc.yaml']);
    expect(await store.remove('/a/kc.yaml')).toEqual(['/b/kc.yaml']);
    const again = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    expect(await again.kubeconfigs.list()).toEqual(['/b/kc.yaml']);
  });

  it('metrics: MetricsSettingsStore and SecretStore, with the same secret key names', async () => {
    const secrets = new MemorySecrets();
    const s = await createSettingsService({ dataDir: dir, secrets });
    const store: MetricsSettingsStore = s.prometheusStore;
    const sec: MetricsSecretStore = s.secrets;
    await store.set('/k/config#prod', { source: 'url', url: 'https://thanos.example/', auth: 'bearer', tenant: 'team-a', headers: { 'X-Team': 'a' } } as never);
    await sec.set('prometheus:/k/config#prod:token', 't');
    expect(await store.get('/k/config#prod')).toMatchObject({ url: 'https://thanos.example/', tenant: 'team-a', headers: { 'X-Team': 'a' }, timeoutMs: 15_000 });
    expect(Object.keys(await store.all())).toEqual(['/k/config#prod']);
    expect((await s.snapshot()).connections.prometheus['/k/config#prod']?.secretSet).toBe(true);
    await store.set('/k/config#prod', null);
    expect(await store.get('/k/config#prod')).toBeNull();
    expect(await secrets.keys()).toEqual([]);
  });

  it('eventstore: ConnectionStore and SecretStore', async () => {
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    const store: ConnectionStore = s.eventStoreConnections;
    const sec: EventStoreSecretStore = s.secrets;
    await store.put({ id: 'orders', name: 'Orders', url: 'postgres://app@db:5432/orders', tls: { mode: 'verify-full' }, schema: 'marten', mapping: null, statementTimeoutMs: 5000, sandbox: false });
    await sec.set('eventstore:orders:password', 'pw');
    const again = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    expect(await again.eventStoreConnections.list()).toEqual([{ id: 'orders', name: 'Orders', url: 'postgres://app@db:5432/orders', tls: { mode: 'verify-full' }, schema: 'marten', mapping: null, statementTimeoutMs: 5000, sandbox: false }]);
    await store.remove('orders');
    expect(await store.list()).toEqual([]);
    expect(await s.secrets.has('eventstore:orders:password')).toBe(false);
  });
});
