import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The window's security posture in one place, so a unit test can pin it: isolated, sandboxed
 * renderer with no Node, no webview, no remote content.
 */
export function secureWindowOptions(preloadPath: string, bounds?: { width: number; height: number; x?: number; y?: number }): BrowserWindowConstructorOptions {
  return {
    width: bounds?.width ?? 1400,
    height: bounds?.height ?? 900,
    ...(bounds?.x !== undefined ? { x: bounds.x } : {}),
    ...(bounds?.y !== undefined ? { y: bounds.y } : {}),
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: '#0f1318',
    title: 'meshdeck',
    webPreferences: {
      preload: preloadPath,
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
      spellcheck: false,
    },
  };
}

/** Only our own bundled page may talk to main. */
export function isTrustedSenderUrl(url: string, appUrl: string): boolean {
  try {
    const u = new URL(url);
    const a = new URL(appUrl);
    if (a.protocol === 'file:') return u.protocol === 'file:' && u.pathname === a.pathname;
    return u.origin === a.origin;
  } catch {
    return false;
  }
}

/** Links the user clicks open in the system browser, and only http(s). */
export function isExternalLinkAllowed(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
