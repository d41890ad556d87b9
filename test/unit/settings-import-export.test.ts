import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRouter } from '../../main/api/router';
import type { AllHandlers } from '../../main/api/router';
import { createSettingsService, EXPORT_KIND, MemorySecrets, SCHEMA_VERSION, settingsHandlers } from '../../main/settings';
import type { DesktopCommand, SettingsSnapshot } from '../../shared/contract/settings';

let dirs: string[] = [];
const tmp = async () => {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), 'meshdeck-impexp-'));
  dirs.push(d);
  return d;
};
beforeEach(() => { dirs = []; });
afterEach(async () => { for (const d of dirs) await fsp.rm(d, { recursive: true, force: true }); });

describe('export and import', () => {
  it('round trip: preferences and connections travel, secrets and window state do not', async () => {
    const a = await createSettingsService({ dataDir: await tmp(), secrets: new MemorySecrets() });
    await a.updatePreferences({ theme: 'light', graph: { type: 'service', edgeLabel: 'p99' } });
    await a.setPrometheus('ctx-1', { source: 'service', service: { namespace: 'monitoring', name: 'prometheus-operated', port: 9090 }, pathPrefix: '/prom', auth: 'bearer' });
    await a.putEventStore({ id: 'orders', name: 'Orders', url: 'postgres://app@db/orders', schema: 'custom', mapping: { table: 'es.events', position: 'seq', streamId: 'aggregate_id', version: 'version', type: 'type', payload: 'data', time: 'at' } });
    await a.setSecret('prometheus:ctx-1:token', 'TOPSECRET-TOKEN');
    await a.setWindowState({ bounds: { x: 1, y: 2, width: 900, height: 700 } });
    const { json, fileName } = a.exportJson();
    expect(fileName).toMatch(/^meshdeck-settings-\d{4}-\d{2}-\d{2}\.json$/);
    expect(json).not.toContain('TOPSECRET');
    const doc = JSON.parse(json) as Record<string, unknown>;
    expect(doc.kind).toBe(EXPORT_KIND);
    expect(doc.schemaVersion).toBe(SCHEMA_VERSION);
    expect(doc).not.toHaveProperty('window');

    const b = await createSettingsService({ dataDir: await tmp(), secrets: new MemorySecrets() });
    await b.setWindowState({ maximized: true });
    const res = await b.importJson(json);
    expect(b.current().preferences).toEqual(a.current().preferences);
    expect(b.current().connections).toEqual(a.current().connections);
    expect(b.windowState().maximized).toBe(true);
    expect(res.warnings.sort()).toEqual(['Secret not set on this machine: eventstore:orders:password', 'Secret not set on this machine: prometheus:ctx-1:token']);
    expect(res.settings.connections.prometheus['ctx-1']?.secretSet).toBe(false);
  });

  it('imports an export from an older schema version through the migrations', async () => {
    const s = await createSettingsService({ dataDir: await tmp(), secrets: new MemorySecrets() });
    const res = await s.importJson(JSON.stringify({ kind: EXPORT_KIND, schemaVersion: 1, theme: 'dark', refreshSeconds: 9, kubeconfigs: [] }));
    expect(res.settings.preferences.theme).toBe('dark');
    expect(res.settings.preferences.refresh.graphSeconds).toBe(9);
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '{', /not JSON/],
    ['not an export', JSON.stringify({ schemaVersion: 2 }), /not a meshdeck settings export/],
    ['from the future', JSON.stringify({ kind: EXPORT_KIND, schemaVersion: 99 }), /newer meshdeck/],
    ['a secret smuggled into an event store', JSON.stringify({ kind: EXPORT_KIND, schemaVersion: 2, connections: { eventStores: [{ id: 'x', name: 'x', url: 'postgres://u@h/d', password: 'hunter2' }] } }), /eventStores\.0/],
    ['credentials in a Prometheus URL', JSON.stringify({ kind: EXPORT_KIND, schemaVersion: 2, connections: { prometheus: { c: { source: 'url', url: 'https://u:p@prom' } } } }), /without credentials/],
  ];
  for (const [name, json, re] of bad) {
    it(`refuses ${name} and changes nothing`, async () => {
      const s = await createSettingsService({ dataDir: await tmp(), secrets: new MemorySecrets() });
      await s.updatePreferences({ theme: 'light' });
      await expect(s.importJson(json)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(re) });
      expect(s.current().preferences.theme).toBe('light');
    });
  }

  it('import warns about kubeconfig paths that do not exist here', async () => {
    const s = await createSettingsService({ dataDir: await tmp(), secrets: new MemorySecrets() });
    const res = await s.importJson(JSON.stringify({ kind: EXPORT_KIND, schemaVersion: SCHEMA_VERSION, connections: { kubeconfigs: [{ path: '/nowhere/kc.yaml', addedAt: '2020-01-01T00:00:00.000Z' }] } }));
    expect(res.warnings).toEqual(['Kubeconfig: /nowhere/kc.yaml does not exist']);
  });
});

describe('channels', () => {
  const ctl = () => new AbortController();

  it('settings.update merges a partial patch and validates it against the contract', async () => {
    const s = await createSettingsService({ dataDir: await tmp(), secrets: new MemorySecrets() });
    const router = createRouter(settingsHandlers(s) as unknown as AllHandlers);
    const ctx = { signal: ctl().signal, transport: 'web' as const };
    const ok = await router.invoke('settings.update', { preferences: { refresh: { eventStoreSeconds: 2 } } }, ctx);
    expect(ok).toMatchObject({ ok: true, value: { preferences: { refresh: { eventStoreSeconds: 2, graphSeconds: 15 } } } });
    for (const [input, field] of [
      [{ preferences: { refresh: { graphSeconds: 0 } } }, 'preferences.refresh.graphSeconds'],
      [{ preferences: { theme: 'neon' } }, 'preferences.theme'],
      [{ preferences: { graph: { layout: 'cose', extra: 1 } } }, 'preferences.graph.layout'],
      [{ preferences: { window: {} } }, 'preferences'],
    ] as const) {
      expect(await router.invoke('settings.update', input, ctx)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', field } });
    }
  });

  it('settings.changed pushes the current settings, then every change, until aborted', async () => {
    const s = await createSettingsService({ dataDir: await tmp(), secrets: new MemorySecrets() });
    const router = createRouter(settingsHandlers(s) as unknown as AllHandlers);
    const c = ctl();
    const got: SettingsSnapshot[] = [];
    router.subscribe('settings.changed', {}, { signal: c.signal, transport: 'ipc' }, (e) => got.push(e as SettingsSnapshot), (e) => { throw new Error(e.message); });
    await vi.waitFor(() => expect(got).toHaveLength(1));
    await s.updatePreferences({ theme: 'dark' });
    await vi.waitFor(() => expect(got.at(-1)?.preferences.theme).toBe('dark'));
    c.abort();
    const n = got.length;
    await s.updatePreferences({ theme: 'light' });
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toHaveLength(n);
  });

  it('desktop.commands delivers menu commands, and a deep link that came before anyone listened', async () => {
    const s = await createSettingsService({ dataDir: await tmp(), secrets: new MemorySecrets() });
    const router = createRouter(settingsHandlers(s) as unknown as AllHandlers);
    s.commands.emit({ command: 'refresh' }); // nobody listens: dropped
    s.commands.emit({ command: 'navigate', route: '#/graph?context=a' });
    s.commands.emit({ command: 'navigate', route: '#/graph?context=b' }); // the latest wins
    const got: DesktopCommand[] = [];
    const c = ctl();
    router.subscribe('desktop.commands', {}, { signal: c.signal, transport: 'ipc' }, (e) => got.push(e as DesktopCommand), () => undefined);
    s.commands.emit({ command: 'toggleTheme' });
    expect(got).toEqual([{ command: 'navigate', route: '#/graph?context=b' }, { command: 'toggleTheme' }]);
    c.abort();
    expect(s.commands.listenerCount).toBe(0);
  });
});
