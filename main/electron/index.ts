/**
 * The Electron door: app lifecycle, the one BrowserWindow, IPC wiring. The only module tree
 * that imports 'electron'. Everything else is the same core the web mode runs.
 */
import { app, BrowserWindow } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMainApp } from '../app';
import type { MainApp } from '../app';
import { wireIpc } from './ipc';
import { applySecurityGuards } from './security';
import { secureWindowOptions } from './window-options';

const rendererIndex = join(import.meta.dirname, '../renderer/index.html');
const appUrl = () => pathToFileURL(rendererIndex).href;

let win: BrowserWindow | null = null;
let core: MainApp | null = null;

function createWindow(): BrowserWindow {
  const w = new BrowserWindow(secureWindowOptions(join(import.meta.dirname, '../preload/index.cjs')));
  w.once('ready-to-show', () => w.show());
  w.on('closed', () => { win = null; });
  void w.loadFile(rendererIndex);
  return w;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.enableSandbox();
  void app.whenReady().then(async () => {
    applySecurityGuards(appUrl);
    core = await createMainApp({ version: app.getVersion(), dataDir: app.getPath('userData') });
    wireIpc(core.router, appUrl);
    win = createWindow();
    app.on('activate', () => { if (!win) win = createWindow(); });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => { void core?.close(); });
}
