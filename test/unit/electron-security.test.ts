/**
 * Electron: app-wide guards (permissions, navigation, window.open, webview), with `electron`
 * stubbed since the binary cannot run here.
 */
import { describe, expect, it, vi } from 'vitest';

type Fn = (...a: unknown[]) => unknown;
const appHandlers = new Map<string, Fn>();
const session = { permissionRequest: null as Fn | null, permissionCheck: null as Fn | null };
const openExternal = vi.fn();
vi.mock('electron', () => ({
  app: { on: (ev: string, fn: Fn) => appHandlers.set(ev, fn) },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (fn: Fn) => { session.permissionRequest = fn; },
      setPermissionCheckHandler: (fn: Fn) => { session.permissionCheck = fn; },
    },
  },
  shell: { openExternal },
}));

const { applySecurityGuards } = await import('../../main/electron/security');
const APP = 'file:///opt/meshdeck/out/renderer/index.html';
applySecurityGuards(() => APP);

function contents() {
  const on = new Map<string, Fn>();
  let openHandler: Fn | null = null;
  const wc = { on: (ev: string, fn: Fn) => on.set(ev, fn), setWindowOpenHandler: (fn: Fn) => { openHandler = fn; } };
  appHandlers.get('web-contents-created')?.({}, wc);
  return { on, open: (url: string) => openHandler?.({ url }) };
}
const ev = () => ({ preventDefault: vi.fn() });

describe('security guards', () => {
  it('denies every permission request and check', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const cb = vi.fn();
      session.permissionRequest?.({}, p, cb);
      expect(cb).toHaveBeenCalledWith(false);
      expect(session.permissionCheck?.({}, p)).toBe(false);
    }
  });
  it('blocks navigation and redirects away from the app page', () => {
    const c = contents();
    for (const name of ['will-navigate', 'will-redirect']) {
      const bad = ev();
      c.on.get(name)?.(bad, 'https://evil.example/');
      expect(bad.preventDefault).toHaveBeenCalled();
      const good = ev();
      c.on.get(name)?.(good, `${APP}#/graph`);
      expect(good.preventDefault).not.toHaveBeenCalled();
    }
  });
  it('forbids <webview>', () => {
    const e = ev();
    contents().on.get('will-attach-webview')?.(e);
    expect(e.preventDefault).toHaveBeenCalled();
  });
  it('window.open never opens a window; http(s) goes to the system browser, anything else nowhere', () => {
    const c = contents();
    expect(c.open('https://kiali.io')).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://kiali.io');
    openExternal.mockClear();
    for (const u of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://x/y', 'meshdeck://graph']) {
      expect(c.open(u)).toEqual({ action: 'deny' });
    }
    expect(openExternal).not.toHaveBeenCalled();
  });
});
