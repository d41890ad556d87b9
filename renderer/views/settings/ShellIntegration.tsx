import { useCallback, useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { DesktopCommand, Notice } from '../../../shared/contract/settings';
import { useClient, useSubscription } from '../../app/ClientContext';
import { getThemeChoice, setThemeChoice, setThemePersister, themeFromUrl, toggleTheme } from '../../app/theme';
import { commandForKey, dispatchShellCommand } from './shell-commands';
import type { ShellCommand } from './shell-commands';

/**
 * The shell's link to settings and the desktop: keeps the theme in the settings service, runs
 * menu commands and deep links from main, handles the shortcuts in web mode, and shows notices
 * (a corrupt settings file set aside, a refused link) once. Rendered once by App.
 */
export function ShellIntegration() {
  const client = useClient();
  const queryClient = useQueryClient();
  const [notices, setNotices] = useState<Notice[]>([]);

  const run = useCallback((command: ShellCommand) => {
    const handled = dispatchShellCommand(command);
    if (command === 'refresh') void queryClient.invalidateQueries();
    else if (command === 'toggleTheme' && !handled) toggleTheme();
    else if (command === 'switchContext' && !handled) window.location.hash = '#/connect';
    return handled;
  }, [queryClient]);

  // Theme: saved through the settings service; a change from elsewhere (another window, an import) applies here.
  useEffect(() => {
    setThemePersister((c) => {
      client.invoke('settings.update', { preferences: { theme: c } }).catch(() => undefined);
    });
    return () => setThemePersister(null);
  }, [client]);
  useSubscription('settings.changed', {}, (s) => {
    if (!themeFromUrl && s.preferences.theme !== getThemeChoice()) setThemeChoice(s.preferences.theme, { persist: false });
  });

  // Menu commands and deep links (desktop only: web mode has no menu and never emits).
  const onDesktop = useCallback((c: DesktopCommand) => {
    if (c.command === 'navigate') {
      // Main already checked the route; still only ever set a hash route.
      if (c.route.startsWith('#/') && c.route.length < 4096) window.location.hash = c.route;
      return;
    }
    run(c.command);
  }, [run]);
  useSubscription('desktop.commands', {}, onDesktop, { enabled: client.transport === 'ipc' });

  // Web mode shortcuts. On the desktop the application menu owns these keys.
  useEffect(() => {
    if (client.transport !== 'web') return;
    const onKey = (e: KeyboardEvent) => {
      const cmd = commandForKey(e);
      if (!cmd) return;
      const handled = run(cmd);
      // Ctrl+F stays the browser's find unless a view has its own.
      if (cmd !== 'find' || handled) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [client, run]);

  // Notices: fetched once at start; the Settings view lists them too.
  useEffect(() => {
    let live = true;
    client.invoke('settings.notices', {}).then((n) => { if (live) setNotices(n); }).catch(() => undefined);
    return () => { live = false; };
  }, [client]);
  const dismiss = (id: string) => {
    setNotices((ns) => ns.filter((n) => n.id !== id));
    client.invoke('settings.ackNotice', { id }).catch(() => undefined);
  };

  if (notices.length === 0) return null;
  return (
    <div className="notice-stack" role="region" aria-label="Notices" style={{ position: 'fixed', right: 16, bottom: 16, display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 460, zIndex: 50 }}>
      {notices.map((n) => (
        <div key={n.id} className={n.level === 'error' ? 'error-box' : 'card'} role={n.level === 'error' ? 'alert' : 'status'} data-testid="notice" style={{ boxShadow: 'var(--shadow)' }}>
          <div>{n.message}</div>
          <div className="row" style={{ justifyContent: 'flex-end', marginTop: 8 }}>
            <a className="btn small" href="#/settings">Settings</a>
            <button className="btn small" onClick={() => dismiss(n.id)}>Dismiss</button>
          </div>
        </div>
      ))}
    </div>
  );
}
