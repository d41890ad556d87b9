import type { MenuItemConstructorOptions } from 'electron';

/** What the menu can do; main/electron/index.ts supplies these. */
export interface MenuActions {
  openKubeconfig(): void;
  exportSettings(): void;
  importSettings(): void;
  /** Sent to the renderer over `desktop.commands`. */
  command(c: 'refresh' | 'find' | 'switchContext' | 'toggleTheme'): void;
  openSettings(): void;
  about(): void;
  openLogs(): void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  /** Development build: Reload and DevTools appear. Never in a packaged app. */
  dev: boolean;
}

/**
 * The application menu. Accelerators here are the desktop's keyboard shortcuts (the renderer
 * handles the same keys only in web mode). Built as a plain template so a unit test can check it
 * without Electron.
 */
export function buildMenuTemplate(actions: MenuActions, opts: MenuOptions): MenuItemConstructorOptions[] {
  const mac = opts.platform === 'darwin';
  const sep: MenuItemConstructorOptions = { type: 'separator' };

  const about: MenuItemConstructorOptions = { id: 'about', label: 'About meshdeck', click: () => actions.about() };
  const settings: MenuItemConstructorOptions = { id: 'settings', label: mac ? 'Settings…' : 'Settings', accelerator: 'CmdOrCtrl+,', click: () => actions.openSettings() };

  const appMenu: MenuItemConstructorOptions[] = mac
    ? [{
        label: 'meshdeck',
        submenu: [about, sep, settings, sep, { role: 'services' }, sep, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, sep, { role: 'quit' }],
      }]
    : [];

  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { id: 'open-kubeconfig', label: 'Open Kubeconfig…', accelerator: 'CmdOrCtrl+O', click: () => actions.openKubeconfig() },
      sep,
      { id: 'import-settings', label: 'Import Settings…', click: () => actions.importSettings() },
      { id: 'export-settings', label: 'Export Settings…', click: () => actions.exportSettings() },
      ...(mac ? [] : [sep, settings, sep, { role: 'quit' } as MenuItemConstructorOptions]),
      ...(mac ? [sep, { role: 'close' } as MenuItemConstructorOptions] : []),
    ],
  };

  const edit: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [
      { role: 'undo' }, { role: 'redo' }, sep, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }, sep,
      { id: 'find', label: 'Find…', accelerator: 'CmdOrCtrl+F', click: () => actions.command('find') },
    ],
  };

  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      { id: 'refresh', label: 'Refresh', accelerator: 'CmdOrCtrl+R', click: () => actions.command('refresh') },
      // A second key for the same command; hidden items keep their accelerator.
      { id: 'refresh-f5', label: 'Refresh', accelerator: 'F5', visible: false, acceleratorWorksWhenHidden: true, click: () => actions.command('refresh') },
      { id: 'switch-context', label: 'Switch Context…', accelerator: 'CmdOrCtrl+K', click: () => actions.command('switchContext') },
      sep,
      { id: 'toggle-theme', label: 'Toggle Light/Dark Theme', accelerator: 'CmdOrCtrl+Shift+L', click: () => actions.command('toggleTheme') },
      sep,
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      sep,
      { role: 'togglefullscreen' },
      ...(opts.dev ? [sep, { role: 'forceReload', accelerator: 'CmdOrCtrl+Shift+R' } as MenuItemConstructorOptions, { role: 'toggleDevTools' } as MenuItemConstructorOptions] : []),
    ],
  };

  const windowMenu: MenuItemConstructorOptions = {
    label: 'Window',
    submenu: mac ? [{ role: 'minimize' }, { role: 'zoom' }, sep, { role: 'front' }] : [{ role: 'minimize' }, { role: 'close' }],
  };

  const help: MenuItemConstructorOptions = {
    role: 'help',
    label: 'Help',
    submenu: [
      { id: 'open-logs', label: 'Show Logs Folder', click: () => actions.openLogs() },
      ...(mac ? [] : [sep, about]),
    ],
  };

  return [...appMenu, file, edit, view, windowMenu, help];
}

/** Every item in a template, depth first (for tests and for lookups by id). */
export function flattenMenu(template: readonly MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  const out: MenuItemConstructorOptions[] = [];
  const walk = (items: readonly MenuItemConstructorOptions[]) => {
    for (const it of items) {
      out.push(it);
      if (Array.isArray(it.submenu)) walk(it.submenu);
    }
  };
  walk(template);
  return out;
}
