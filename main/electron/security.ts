import { app, session, shell } from 'electron';
import { isExternalLinkAllowed, isTrustedSenderUrl } from './window-options';

/**
 * App-wide guards, applied before any window exists: deny every permission, block navigation
 * away from the app, send allowed external links to the system browser, forbid new windows
 * and <webview>.
 */
export function applySecurityGuards(appUrl: () => string): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isTrustedSenderUrl(url, appUrl())) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isTrustedSenderUrl(url, appUrl())) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isExternalLinkAllowed(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
}
