/**
 * The Electron door: app lifecycle, the one BrowserWindow, IPC wiring, menu, deep links, window
 * state, logs. The only module tree that imports 'electron'. Everything else is the same core
 * the web mode runs.
 */
import { app, BrowserWindow, clipboard, dialog, Menu, screen, shell } from 'electron';
import fsp from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMainApp } from '../app';
import { sandboxFromEnv } from '../app/options';
import { withLoginShellEnv } from './shell-env';
import type { MainApp } from '../app';
import { createSettingsService, EncryptedFileSecrets, secretsPaths } from '../settings';
import type { SettingsService, WindowState } from '../settings';
import { MAX_SETTINGS_IMPORT_BYTES } from '../../shared/contract/settings';
import { aboutDetail, currentVersions } from './about';
import { DEEP_LINK_SCHEME, deliverDeepLink, findDeepLinkArg } from './deeplink';
import { wireIpc } from './ipc';
import { createRotatingLog, describeError } from './log';
import type { Logger } from './log';
import { buildMenuTemplate } from './menu';
import { safeStorageCipher } from './safe-storage';
import { applySecurityGuards } from './security';
import { secureWindowOptions } from './window-options';
import { restoreBounds } from './window-state';

const rendererIndex = join(import.meta.dirname, '../renderer/index.html');
const appUrl = () => pathToFileURL(rendererIndex).href;
const dev = !app.isPackaged;

let win: BrowserWindow | null = null;
let core: MainApp | null = null;
let settings: SettingsService | null = null;
let log: Logger | null = null;
/** A link that arrived before the settings service (and its command bus) existed. */
let earlyLink: string | null = findDeepLinkArg(process.argv);

function startLog(): Logger {
  app.setAppLogsPath();
  const l = createRotatingLog({ dir: app.getPath('logs'), name: 'main', maxBytes: 2 * 1024 * 1024, keep: 4, echo: dev });
  // A monitor only observes: Electron's own handling (its error dialog) stays as it is.
  process.on('uncaughtExceptionMonitor', (err, origin) => l.error(origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception', { error: describeError(err) }));
  return l;
}

function focusWindow(): void {
  if (!win) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

function handleLink(url: string): void {
  if (!settings) {
    earlyLink = url;
    return;
  }
  const s = settings;
  deliverDeepLink(url, {
    navigate: (route) => {
      log?.info('deep link', { route });
      s.commands.emit({ command: 'navigate', route });
    },
    focus: focusWindow,
    rejected: (u, reason) => {
      log?.warn('deep link refused', { url: u, reason });
      s.addNotice('warn', `meshdeck ignored a link it was asked to open (${reason}).`);
    },
  });
}

/** Saves bounds, maximised and zoom as the user changes them (debounced) and on close. */
function trackWindowState(w: BrowserWindow, s: SettingsService): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const capture = (): Partial<WindowState> => {
    const b = w.getNormalBounds();
    return { bounds: { x: b.x, y: b.y, width: b.width, height: b.height }, maximized: w.isMaximized(), fullScreen: w.isFullScreen(), zoomLevel: w.webContents.getZoomLevel() };
  };
  const save = () => {
    timer = null;
    if (w.isDestroyed()) return;
    void s.setWindowState(capture()).catch((err: unknown) => log?.warn('window state not saved', { error: describeError(err) }));
  };
  const later = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 800);
  };
  for (const ev of ['resize', 'move', 'maximize', 'unmaximize', 'enter-full-screen', 'leave-full-screen'] as const) w.on(ev as 'resize', later);
  w.webContents.on('zoom-changed', later);
  w.on('close', () => {
    if (timer) clearTimeout(timer);
    save();
  });
}

function createWindow(s: SettingsService): BrowserWindow {
  const state = s.windowState();
  const bounds = restoreBounds(state, screen.getAllDisplays().map((d) => d.workArea));
  const w = new BrowserWindow(secureWindowOptions(join(import.meta.dirname, '../preload/index.cjs'), bounds));
  w.once('ready-to-show', () => {
    if (state.maximized) w.maximize();
    if (state.fullScreen) w.setFullScreen(true);
    w.show();
  });
  w.webContents.on('did-finish-load', () => w.webContents.setZoomLevel(state.zoomLevel));
  w.on('closed', () => { win = null; });
  w.webContents.on('render-process-gone', (_e, details) => log?.error('renderer gone', { reason: details.reason, exitCode: details.exitCode }));
  if (!dev) {
    // No DevTools in a packaged app, whatever opens them.
    w.webContents.on('devtools-opened', () => w.webContents.closeDevTools());
  }
  trackWindowState(w, s);
  void w.loadFile(rendererIndex);
  return w;
}

async function showError(title: string, err: unknown): Promise<void> {
  const message = err instanceof Error ? err.message : typeof err === 'object' && err !== null && 'message' in err ? String((err as { message: unknown }).message) : String(err);
  log?.warn(title, { error: message });
  const opts = { type: 'error' as const, title, message: title, detail: message };
  if (win) await dialog.showMessageBox(win, opts);
  else await dialog.showMessageBox(opts);
}

function installMenu(s: SettingsService, c: MainApp): void {
  const ctx = () => ({ signal: new AbortController().signal, transport: 'ipc' as const });
  const template = buildMenuTemplate({
    openKubeconfig: async () => {
      const opts = { title: 'Open kubeconfig', defaultPath: join(homedir(), '.kube'), properties: ['openFile', 'showHiddenFiles'] as ('openFile' | 'showHiddenFiles')[] };
      const res = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      const file = res.filePaths[0];
      if (res.canceled || !file) return;
      // Through the contract, like the renderer would: the kube service owns the list.
      const r = await c.router.invoke('kube.addFile', { path: file }, ctx());
      if (!r.ok) return showError('Cannot add this kubeconfig', r.error);
      s.commands.emit({ command: 'navigate', route: '#/connect' });
    },
    exportSettings: async () => {
      const { json, fileName } = s.exportJson();
      const opts = { title: 'Export settings', defaultPath: join(app.getPath('documents'), fileName), filters: [{ name: 'JSON', extensions: ['json'] }] };
      const res = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts);
      if (res.canceled || !res.filePath) return;
      await fsp.writeFile(res.filePath, json, { mode: 0o600 }).catch((err: unknown) => showError('Settings not exported', err));
    },
    importSettings: async () => {
      const opts = { title: 'Import settings', filters: [{ name: 'JSON', extensions: ['json'] }], properties: ['openFile'] as 'openFile'[] };
      const res = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      const file = res.filePaths[0];
      if (res.canceled || !file) return;
      try {
        const st = await fsp.stat(file);
        if (st.size > MAX_SETTINGS_IMPORT_BYTES) throw new Error(`${file} is larger than ${MAX_SETTINGS_IMPORT_BYTES} bytes; it is not a settings export.`);
        const result = await s.importJson(await fsp.readFile(file, 'utf8'));
        const detail = result.warnings.length > 0 ? result.warnings.join('\n') : 'Everything was imported. Secrets are not part of an export: set them again in Settings.';
        const box = { type: 'info' as const, title: 'Settings imported', message: 'Settings imported', detail };
        if (win) await dialog.showMessageBox(win, box);
        else await dialog.showMessageBox(box);
      } catch (err) {
        await showError('Settings not imported', err);
      }
    },
    command: (command) => s.commands.emit({ command }),
    openSettings: () => s.commands.emit({ command: 'navigate', route: '#/settings' }),
    about: async () => {
      const detail = aboutDetail(currentVersions(app.getVersion()));
      const box = { type: 'info' as const, title: 'About meshdeck', message: 'meshdeck', detail, buttons: ['OK', 'Copy'], defaultId: 0, cancelId: 0, noLink: true };
      const res = win ? await dialog.showMessageBox(win, box) : await dialog.showMessageBox(box);
      if (res.response === 1) clipboard.writeText(detail);
    },
    openLogs: () => { void shell.openPath(app.getPath('logs')); },
  }, { platform: process.platform, dev });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function registerProtocol(): void {
  if (app.isPackaged) {
    app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  } else if (process.env.MESHDECK_REGISTER_PROTOCOL === '1' && process.argv[1]) {
    // Development (`electron .`): register only when asked, so a dev run does not take over the
    // links of an installed meshdeck.
    app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, process.execPath, [process.argv[1]]);
  }
}

if (!app.requestSingleInstanceLock()) {
  // The running instance gets our argv (and the link in it) through 'second-instance'.
  app.quit();
} else {
  log = startLog();
  log.info('starting', { version: app.getVersion(), electron: process.versions.electron, platform: process.platform, packaged: app.isPackaged });
  app.on('second-instance', (_e, argv) => {
    const link = findDeepLinkArg(argv);
    if (link) handleLink(link);
    else focusWindow();
  });
  // macOS delivers links here, possibly before 'ready'.
  app.on('open-url', (e, url) => {
    e.preventDefault();
    handleLink(url);
  });
  registerProtocol();
  app.enableSandbox();
  void app.whenReady().then(async () => {
    applySecurityGuards(appUrl);
    const dataDir = app.getPath('userData');
    settings = await createSettingsService({
      dataDir,
      secrets: new EncryptedFileSecrets(secretsPaths(dataDir).encrypted, safeStorageCipher()),
    });
    // Exec credential plugins need the user's shell PATH, which a GUI launch does not inherit.
    const env = await withLoginShellEnv(process.env);
    core = await createMainApp({ version: app.getVersion(), dataDir, settings, env, sandbox: sandboxFromEnv(process.env) });
    wireIpc(core.router, appUrl);
    installMenu(settings, core);
    win = createWindow(settings);
    if (earlyLink) {
      const l = earlyLink;
      earlyLink = null;
      handleLink(l);
    }
    app.on('activate', () => { if (!win && settings) win = createWindow(settings); });
  }).catch((err: unknown) => {
    log?.error('start-up failed', { error: describeError(err) });
    dialog.showErrorBox('meshdeck could not start', describeError(err));
    app.exit(1);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    log?.info('quitting');
    void core?.close();
    log?.close();
  });
}
