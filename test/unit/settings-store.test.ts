import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSettingsService, MemorySecrets, parseSettingsDocument, SCHEMA_VERSION, SettingsStore, writeFileAtomic } from '../../main/settings';
import { DEFAULT_PREFERENCES } from '../../shared/contract/settings';

/** chmod 000 does not stop root: those cases are skipped (and reported as skipped) when run as root. */
const asRoot = process.platform === 'win32' || process.getuid?.() === 0;

let dir: string;
beforeEach(async () => { dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'meshdeck-settings-')); });
afterEach(async () => { await fsp.rm(dir, { recursive: true, force: true }); });

const file = () => path.join(dir, 'settings.json');
const readJson = async (p: string) => JSON.parse(await fsp.readFile(p, 'utf8')) as Record<string, unknown>;

describe('settings round trip', () => {
  it('starts from defaults with no file, and writes nothing until something changes', async () => {
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    expect(s.current().preferences).toEqual(DEFAULT_PREFERENCES);
    expect(fs.existsSync(file())).toBe(false);
    expect(s.notices()).toEqual([]);
  });

  it('persists preferences, connections and window state across a restart', async () => {
    const a = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    await a.updatePreferences({ theme: 'light', refresh: { graphSeconds: 30 }, graph: { layout: 'fcose', showIdleNodes: true } });
    await a.kubeconfigs.add(path.join(dir, 'kc.yaml'));
    await a.setPrometheus('/home/u/.kube/config#prod', { source: 'url', url: 'https://prom.example:9090', auth: 'bearer', tenant: 'team-a' });
    await a.putEventStore({ id: 'orders', name: 'Orders', url: 'postgres://reader@db.local/orders' });
    await a.setWindowState({ bounds: { x: 10, y: 20, width: 1200, height: 800 }, maximized: true });

    const b = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    const d = b.current();
    expect(d.preferences.theme).toBe('light');
    expect(d.preferences.refresh).toEqual({ ...DEFAULT_PREFERENCES.refresh, graphSeconds: 30 });
    expect(d.preferences.graph.layout).toBe('fcose');
    expect(d.preferences.graph.showIdleNodes).toBe(true);
    expect(d.preferences.graph.type).toBe(DEFAULT_PREFERENCES.graph.type);
    expect(await b.kubeconfigs.list()).toEqual([path.join(dir, 'kc.yaml')]);
    expect(b.prometheus('/home/u/.kube/config#prod')).toMatchObject({ source: 'url', url: 'https://prom.example:9090', auth: 'bearer', tenant: 'team-a', pathPrefix: '' });
    expect(b.eventStore('orders')).toMatchObject({ url: 'postgres://reader@db.local/orders', tls: { mode: 'prefer' }, schema: 'auto', mapping: null, statementTimeoutMs: 10_000 });
    expect(b.windowState()).toMatchObject({ bounds: { x: 10, y: 20, width: 1200, height: 800 }, maximized: true, zoomLevel: 0 });
    const onDisk = await readJson(file());
    expect(onDisk.schemaVersion).toBe(SCHEMA_VERSION);
  });

  it('rejects invalid values with the field named, and keeps the old value', async () => {
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    await expect(s.setPrometheus('ctx', { source: 'url', url: 'https://user:pw@prom.example' })).rejects.toMatchObject({ code: 'BAD_INPUT', field: 'prometheus.url' });
    await expect(s.setPrometheus('ctx', { source: 'url', url: 'javascript:alert(1)' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(s.putEventStore({ id: '../x', name: 'n', url: 'postgres://u@h/d' })).rejects.toMatchObject({ code: 'BAD_INPUT', field: 'eventStore.id' });
    await expect(s.putEventStore({ id: 'x', name: 'n', url: 'postgres://u:hunter2@h/d' })).rejects.toMatchObject({ code: 'BAD_INPUT', field: 'eventStore.url' });
    await expect(s.putEventStore({ id: 'x', name: 'n', url: 'postgres://u@h/d?password=hunter2' })).rejects.toMatchObject({ code: 'BAD_INPUT', field: 'eventStore.url' });
    await expect(s.setPrometheus('ctx', { source: 'url', url: 'https://prom.example', headers: { Authorization: 'Bearer x' } })).rejects.toMatchObject({ code: 'BAD_INPUT', field: 'prometheus.headers.Authorization' });
    // An event store entry may not carry a password field: secrets have their own store.
    await expect(s.putEventStore({ id: 'x', name: 'n', url: 'postgres://u@h/d', password: 'p' } as never)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(s.prometheus('ctx')).toBeNull();
  });

  it('serialises concurrent updates: none is lost', async () => {
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.kubeconfigs.add(path.join(dir, `k${i}`))));
    const again = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    expect((await again.kubeconfigs.list()).length).toBe(20);
  });

  it('writes atomically: no temp files left, file mode 0600', async () => {
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    for (let i = 0; i < 5; i++) await s.updatePreferences({ refresh: { clusterSeconds: 10 + i } });
    const names = await fsp.readdir(dir);
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    if (process.platform !== 'win32') expect((await fsp.stat(file())).mode & 0o777).toBe(0o600);
  });

  it('an interrupted write leaves the previous file intact and no temp file behind', async () => {
    await writeFileAtomic(file(), '{"schemaVersion":2}\n');
    // The crash point that matters: data written, rename not done.
    const spy = vi.spyOn(fsp, 'rename').mockRejectedValueOnce(Object.assign(new Error('EIO: simulated crash'), { code: 'EIO' }));
    try {
      await expect(writeFileAtomic(file(), '{"schemaVersion":2,"half":')).rejects.toThrow(/simulated crash/);
    } finally {
      spy.mockRestore();
    }
    expect(await fsp.readFile(file(), 'utf8')).toBe('{"schemaVersion":2}\n');
    expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('migration', () => {
  const v1 = {
    schemaVersion: 1,
    theme: 'dark',
    refreshSeconds: 20,
    kubeconfigs: ['/home/u/.kube/extra.yaml', 7],
    prometheus: { '/home/u/.kube/config#prod': { url: 'https://prom.prod:9090' }, broken: 'x' },
    window: { x: 5, y: 6, width: 1000, height: 700, maximized: true },
  };

  it('migrates a v1 file to the current version, keeps the old file, and says so', async () => {
    await fsp.writeFile(file(), JSON.stringify(v1));
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    const d = s.current();
    expect(d.schemaVersion).toBe(SCHEMA_VERSION);
    expect(d.preferences.theme).toBe('dark');
    expect(d.preferences.refresh).toEqual({ graphSeconds: 20, clusterSeconds: 20, eventStoreSeconds: DEFAULT_PREFERENCES.refresh.eventStoreSeconds });
    expect(d.connections.kubeconfigs.map((k) => k.path)).toEqual(['/home/u/.kube/extra.yaml']);
    expect(d.connections.prometheus['/home/u/.kube/config#prod']).toMatchObject({ source: 'url', url: 'https://prom.prod:9090' });
    expect(Object.keys(d.connections.prometheus)).toHaveLength(1);
    expect(d.window).toMatchObject({ bounds: { x: 5, y: 6, width: 1000, height: 700 }, maximized: true });
    expect((await readJson(file())).schemaVersion).toBe(SCHEMA_VERSION);
    expect(await readJson(`${file()}.v1`)).toEqual(v1);
    expect(s.notices()).toHaveLength(1);
    expect(s.notices()[0]?.message).toMatch(/upgraded from schema version 1/);
  });

  it('parseSettingsDocument reports a missing migration step', () => {
    const res = parseSettingsDocument(JSON.stringify({ schemaVersion: 1 }), [undefined as never, (d) => d]);
    expect(res).toMatchObject({ ok: false, kind: 'corrupt', reason: expect.stringMatching(/no migration from schema version 1/) });
  });
});

describe('corrupt and future settings files', () => {
  const cases: [string, string, RegExp][] = [
    ['truncated JSON', '{"schemaVersion": 2, "preferences": {"theme": "li', /not valid JSON/],
    ['not an object', '[1,2,3]', /not a JSON object/],
    ['no schema version', '{"preferences": {}}', /schemaVersion is missing/],
    ['wrong types', JSON.stringify({ schemaVersion: 2, preferences: { theme: 'purple' } }), /'preferences.theme'/],
    ['binary garbage', '\u0000\u0001\u00ff\u00fe', /not valid JSON/],
  ];
  for (const [name, text, reason] of cases) {
    it(`${name}: kept aside as a backup, defaults loaded, the user told`, async () => {
      await fsp.writeFile(file(), text);
      const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
      expect(s.current().preferences).toEqual(DEFAULT_PREFERENCES);
      const backups = (await fsp.readdir(dir)).filter((n) => n.startsWith('settings.json.bad-'));
      expect(backups).toHaveLength(1);
      expect(await fsp.readFile(path.join(dir, backups[0] as string), 'utf8')).toBe(text);
      const [notice] = s.notices();
      expect(notice?.level).toBe('error');
      expect(notice?.message).toMatch(reason);
      expect(notice?.message).toContain(backups[0]);
      expect(notice?.file).toBe(path.join(dir, backups[0] as string));
      // The next save writes a fresh, valid file; the backup stays.
      await s.updatePreferences({ theme: 'dark' });
      expect(parseSettingsDocument(await fsp.readFile(file(), 'utf8')).ok).toBe(true);
      expect((await fsp.readdir(dir)).filter((n) => n.startsWith('settings.json.bad-'))).toHaveLength(1);
    });
  }

  it('a file from a newer meshdeck is not overwritten in place: set aside with the reason', async () => {
    const future = JSON.stringify({ schemaVersion: SCHEMA_VERSION + 5, preferences: { theme: 'light' } });
    await fsp.writeFile(file(), future);
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    expect(s.current().preferences.theme).toBe('system');
    expect(s.notices()[0]?.message).toMatch(/newer version of meshdeck/);
    const backups = (await fsp.readdir(dir)).filter((n) => n.startsWith('settings.json.bad-'));
    expect(await fsp.readFile(path.join(dir, backups[0] as string), 'utf8')).toBe(future);
  });

  it('notices are shown once: acknowledged ones are gone', async () => {
    await fsp.writeFile(file(), 'nope');
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    const [n] = s.notices();
    expect(s.ackNotice(n?.id ?? '')).toEqual([]);
    expect(s.notices()).toEqual([]);
  });

  it.skipIf(asRoot)('an unreadable file is left alone: defaults in memory, never overwritten', async () => {
    await fsp.writeFile(file(), JSON.stringify({ schemaVersion: SCHEMA_VERSION, preferences: { theme: 'light' } }));
    await fsp.chmod(file(), 0o000);
    try {
      const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
      expect(s.notices()[0]?.message).toMatch(/cannot be read/);
      await s.updatePreferences({ theme: 'dark' });
      expect(s.current().preferences.theme).toBe('dark');
    } finally {
      await fsp.chmod(file(), 0o600);
    }
    expect((await readJson(file())).preferences).toEqual({ theme: 'light' });
  });

  it('SettingsStore.load never throws on a directory in place of the file', async () => {
    await fsp.mkdir(file());
    const res = await new SettingsStore(file()).load();
    expect(res.readOnly).toBe(true);
    expect(res.notices[0]?.message).toMatch(/cannot be read/);
  });
});

describe('kubeconfig connections', () => {
  it('a missing or unreadable path is marked broken; the rest work', async () => {
    const good = path.join(dir, 'good.yaml');
    await fsp.writeFile(good, 'apiVersion: v1\nkind: Config\n');
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    await s.kubeconfigs.add(good);
    await s.kubeconfigs.add(path.join(dir, 'missing.yaml'));
    await s.kubeconfigs.add(dir);
    const snap = await s.snapshot();
    const health = Object.fromEntries(snap.connections.kubeconfigs.map((k) => [path.basename(k.path), k.health]));
    expect(health['good.yaml']).toEqual({ status: 'ok' });
    expect(health['missing.yaml']).toMatchObject({ status: 'broken', reason: expect.stringMatching(/does not exist/) });
    expect(health[path.basename(dir)]).toMatchObject({ status: 'broken', reason: expect.stringMatching(/not a file/) });
  });

  it.skipIf(asRoot)('a kubeconfig this user cannot read is marked broken with "permission denied"', async () => {
    const unreadable = path.join(dir, 'secret.yaml');
    await fsp.writeFile(unreadable, 'x', { mode: 0o000 });
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    await s.kubeconfigs.add(unreadable);
    const [k] = (await s.snapshot()).connections.kubeconfigs;
    expect(k?.health).toMatchObject({ status: 'broken', reason: expect.stringMatching(/permission denied/) });
  });

  it('takes over the interim kube and metrics files, once per change of those files', async () => {
    const kubeFile = path.join(dir, 'kubeconfigs.json');
    await fsp.writeFile(kubeFile, JSON.stringify({ version: 1, files: ['/a/b.yaml', '/c/d.yaml', '/a/b.yaml'] }));
    await fsp.mkdir(path.join(dir, 'metrics'));
    await fsp.writeFile(path.join(dir, 'metrics', 'settings.json'), JSON.stringify({ version: 1, clusters: {
      'ctx-ok': { source: 'url', url: 'https://prom.example', auth: 'bearer' },
      'ctx-bad': { source: 'url', url: 'https://u:p@prom.example' },
    } }));
    const s = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    expect(await s.kubeconfigs.list()).toEqual(['/a/b.yaml', '/c/d.yaml']);
    expect(Object.keys(s.current().connections.prometheus)).toEqual(['ctx-ok']);
    expect(s.notices().map((n) => n.message)).toEqual([
      `Took over 2 entries from ${kubeFile} into your settings.`,
      `Took over 1 entry from ${path.join(dir, 'metrics', 'settings.json')} into your settings.`,
    ]);
    // Unchanged legacy file: a removal made in settings sticks across restarts.
    await s.kubeconfigs.remove('/c/d.yaml');
    const again = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    expect(await again.kubeconfigs.list()).toEqual(['/a/b.yaml']);
    expect(again.notices()).toEqual([]);
    // The interim store wrote again (a service not moved over yet): its new entry is merged in.
    await fsp.writeFile(kubeFile, JSON.stringify({ version: 1, files: ['/a/b.yaml', '/e/f.yaml'] }));
    await fsp.utimes(kubeFile, new Date(), new Date(Date.now() + 5000));
    const third = await createSettingsService({ dataDir: dir, secrets: new MemorySecrets() });
    expect(await third.kubeconfigs.list()).toEqual(['/a/b.yaml', '/e/f.yaml']);
  });
});
