/**
 * Electron: the window's security posture. The Electron binary cannot run on this machine, so
 * `electron` is stubbed (window-options.ts only uses its types; the stub proves it needs nothing more).
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({}));

const { secureWindowOptions, isTrustedSenderUrl, isExternalLinkAllowed } = await import('../../main/electron/window-options');

describe('secureWindowOptions', () => {
  const o = secureWindowOptions('/app/out/preload/index.cjs');
  it('isolates and sandboxes the renderer, with no Node anywhere', () => {
    expect(o.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
    });
  });
  it('never enables anything that loosens it', () => {
    const wp = o.webPreferences as Record<string, unknown>;
    for (const k of ['enableBlinkFeatures', 'additionalArguments', 'partition', 'plugins', 'enableRemoteModule']) expect(wp[k], k).toBeUndefined();
  });
  it('shows only when ready, and takes restored bounds', () => {
    expect(o.show).toBe(false);
    expect(secureWindowOptions('/p', { width: 1000, height: 700, x: 5, y: 6 })).toMatchObject({ width: 1000, height: 700, x: 5, y: 6 });
    const noPos = secureWindowOptions('/p', { width: 1000, height: 700 });
    expect(noPos).not.toHaveProperty('x');
    expect(noPos).not.toHaveProperty('y');
  });
});

describe('isTrustedSenderUrl', () => {
  const app = 'file:///opt/meshdeck/resources/app.asar/out/renderer/index.html';
  it.each([
    [app, true],
    [`${app}#/graph?context=x`, true],
    [`${app}?theme=light`, true],
    ['file:///opt/meshdeck/resources/app.asar/out/renderer/other.html', false],
    ['file:///etc/passwd', false],
    ['https://evil.example/index.html', false],
    ['about:blank', false],
    ['data:text/html,<script>', false],
    ['not a url', false],
    ['', false],
  ])('%s -> %s', (url, ok) => expect(isTrustedSenderUrl(url, app)).toBe(ok));
  it('in a dev-server setup, only the same origin', () => {
    expect(isTrustedSenderUrl('http://localhost:5173/#/x', 'http://localhost:5173/')).toBe(true);
    expect(isTrustedSenderUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isTrustedSenderUrl('http://localhost.evil.example:5173/', 'http://localhost:5173/')).toBe(false);
  });
});

describe('isExternalLinkAllowed', () => {
  it.each([
    ['https://kiali.io/docs', true],
    ['http://example.com', true],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['smb://share/x', false],
    ['meshdeck://graph', false],
    ['ms-msdt:/id', false],
  ])('%s -> %s', (url, ok) => expect(isExternalLinkAllowed(url)).toBe(ok));
});
