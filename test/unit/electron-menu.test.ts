/**
 * Electron: the application menu template and About text, with `electron` stubbed (the template is
 * plain data; Menu.buildFromTemplate itself needs the binary).
 */
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';

vi.mock('electron', () => ({}));
const { buildMenuTemplate, flattenMenu } = await import('../../main/electron/menu');
const { aboutDetail, currentVersions } = await import('../../main/electron/about');

function actions() {
  return {
    openKubeconfig: vi.fn(), exportSettings: vi.fn(), importSettings: vi.fn(), command: vi.fn(),
    openSettings: vi.fn(), about: vi.fn(), openLogs: vi.fn(),
  };
}
const click = (it: MenuItemConstructorOptions | undefined) => (it?.click as unknown as () => void)();
const byId = (t: MenuItemConstructorOptions[], id: string) => flattenMenu(t).find((i) => i.id === id);
const roles = (t: MenuItemConstructorOptions[]) => flattenMenu(t).map((i) => i.role).filter(Boolean);

describe('application menu', () => {
  for (const platform of ['linux', 'win32', 'darwin'] as const) {
    it(`${platform}: shortcuts for refresh, find, switch context, theme and zoom`, () => {
      const a = actions();
      const t = buildMenuTemplate(a, { platform, dev: false });
      expect(byId(t, 'refresh')?.accelerator).toBe('CmdOrCtrl+R');
      expect(byId(t, 'refresh-f5')).toMatchObject({ accelerator: 'F5', visible: false });
      expect(byId(t, 'find')?.accelerator).toBe('CmdOrCtrl+F');
      expect(byId(t, 'switch-context')?.accelerator).toBe('CmdOrCtrl+K');
      expect(byId(t, 'toggle-theme')?.accelerator).toBe('CmdOrCtrl+Shift+L');
      expect(byId(t, 'open-kubeconfig')?.accelerator).toBe('CmdOrCtrl+O');
      expect(roles(t)).toEqual(expect.arrayContaining(['zoomIn', 'zoomOut', 'resetZoom']));
      click(byId(t, 'refresh'));
      click(byId(t, 'refresh-f5'));
      click(byId(t, 'find'));
      click(byId(t, 'switch-context'));
      click(byId(t, 'toggle-theme'));
      expect(a.command.mock.calls.map((c) => c[0])).toEqual(['refresh', 'refresh', 'find', 'switchContext', 'toggleTheme']);
      click(byId(t, 'open-kubeconfig'));
      click(byId(t, 'export-settings'));
      click(byId(t, 'import-settings'));
      click(byId(t, 'about'));
      click(byId(t, 'settings'));
      for (const f of [a.openKubeconfig, a.exportSettings, a.importSettings, a.about, a.openSettings]) expect(f).toHaveBeenCalledTimes(1);
      // No accelerator is bound twice.
      const accels = flattenMenu(t).map((i) => i.accelerator).filter(Boolean);
      expect(new Set(accels).size).toBe(accels.length);
    });
  }

  it('no reload or DevTools in a packaged app; both in development', () => {
    const prod = roles(buildMenuTemplate(actions(), { platform: 'linux', dev: false }));
    for (const r of ['toggleDevTools', 'reload', 'forceReload']) expect(prod).not.toContain(r);
    const dev = roles(buildMenuTemplate(actions(), { platform: 'linux', dev: true }));
    expect(dev).toEqual(expect.arrayContaining(['toggleDevTools', 'forceReload']));
  });

  it('macOS gets the app menu first with About; others have About under Help', () => {
    const mac = buildMenuTemplate(actions(), { platform: 'darwin', dev: false });
    expect(mac[0]?.label).toBe('meshdeck');
    expect((mac[0]?.submenu as MenuItemConstructorOptions[])[0]?.id).toBe('about');
    const win = buildMenuTemplate(actions(), { platform: 'win32', dev: false });
    expect(win.map((m) => m.label)).toEqual(['File', 'Edit', 'View', 'Window', 'Help']);
    expect((win.at(-1)?.submenu as MenuItemConstructorOptions[]).some((i) => i.id === 'about')).toBe(true);
  });
});

describe('About', () => {
  it('lists meshdeck, Electron, Chromium and Node versions', () => {
    const text = aboutDetail({ app: '1.2.3', electron: '38.8.6', chrome: '140.0.1', node: '22.20.0', v8: '14.0', platform: 'linux', arch: 'x64' });
    expect(text.split('\n')).toEqual(['meshdeck 1.2.3', 'Electron 38.8.6', 'Chromium 140.0.1', 'Node.js 22.20.0', 'V8 14.0', 'OS linux x64']);
  });
  it('outside Electron (tests, web mode) says n/a instead of inventing versions', () => {
    const text = aboutDetail(currentVersions('0.1.0'));
    expect(text).toContain('Electron n/a');
    expect(text).toContain(`Node.js ${process.versions.node}`);
  });
});
