/**
 * Electron: the door's lifecycle (single-instance lock, deep links through second-instance and
 * open-url, protocol registration, menu, window state) with `electron` stubbed — the binary
 * cannot run here — and the core replaced by a fake router. Settings are real, in a temp dir.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Mock } from 'vitest';
import type { DesktopCommand } from '../../shared/contract/settings';
import type { SettingsService } from '../../main/settings';

type Fn = (...a: unknown[]) => unknown;

interface World {
  lock: boolean;
  packaged: boolean;
  userData: string;
  appOn: Map<string, Fn>;
  quit: Mock<(...a: unknown[]) => unknown>;
  setAsDefaultProtocolClient: Mock<(...a: unknown[]) => unknown>;
  windows: FakeWindow[];
  menuTemplate: unknown[] | null;
  ready: () => void;
  invoke: Mock<(...a: unknown[]) => unknown>;
  /** The settings service the door built and handed to the core. */
  settings: SettingsService | null;
}
class FakeWindow {
  static world: World;
  handlers = new Map<string, Fn>();
  wcOn = new Map<string, Fn>();
  loaded: string | null = null;
  focused = 0;
  constructor(public opts: Record<string, unknown>) { FakeWindow.world.windows.push(this); }
  on(ev: string, fn: Fn) { this.handlers.set(ev, fn); }
  once(ev: string, fn: Fn) { this.handlers.set(ev, fn); }
  isMinimized() { return false; }
  isMaximized() { return false; }
  isFullScreen() { return false; }
  isDestroyed() { return false; }
  restore() {}
  show() {}
  focus() { this.focused++; }
  maximize() {}
  setFullScreen() {}
  getNormalBounds() { return { x: 1, y: 2, width: 1000, height: 700 }; }
  loadFile(f: string) { this.loaded = f; return Promise.resolve(); }
  webContents = {
    on: (ev: string, fn: Fn) => this.wcOn.set(ev, fn),
    getZoomLevel: () => 1,
    setZoomLevel: () => undefined,
    closeDevTools: () => undefined,
  };
}

let world: World;
vi.mock('electron', () => {
  const w = () => world;
  return {
    app: {
      requestSingleInstanceLock: () => w().lock,
      quit: (...a: unknown[]) => w().quit(...a),
      exit: vi.fn(),
      on: (ev: string, fn: Fn) => { w().appOn.set(ev, fn); },
      enableSandbox: () => undefined,
      whenReady: () => new Promise<void>((r) => { w().ready = r; }),
      getPath: (name: string) => path.join(w().userData, name === 'userData' ? '' : name),
      setAppLogsPath: () => undefined,
      getVersion: () => '9.9.9',
      get isPackaged() { return w().packaged; },
      setAsDefaultProtocolClient: (...a: unknown[]) => w().setAsDefaultProtocolClient(...a),
    },
    BrowserWindow: FakeWindow,
    Menu: { buildFromTemplate: (t: unknown[]) => { w().menuTemplate = t; return t; }, setApplicationMenu: () => undefined },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    dialog: { showMessageBox: vi.fn(async () => ({ response: 0 })), showOpenDialog: vi.fn(), showSaveDialog: vi.fn(), showErrorBox: vi.fn() },
    clipboard: { writeText: vi.fn() },
    shell: { openPath: vi.fn(), openExternal: vi.fn() },
    session: { defaultSession: { setPermissionRequestHandler: () => undefined, setPermissionCheckHandler: () => undefined } },
    ipcMain: { handle: () => undefined, on: () => undefined, removeHandler: () => undefined, removeAllListeners: () => undefined },
    safeStorage: {
      isEncryptionAvailable: () => true,
      getSelectedStorageBackend: () => 'gnome_libsecret',
      encryptString: (s: string) => Buffer.from(s).reverse(),
      decryptString: (b: Buffer) => Buffer.from(b).reverse().toString(),
    },
  };
});

// The core is not under test here: a fake that keeps the settings service the door hands it.
vi.mock('../../main/app', () => ({
  createMainApp: async (opts: { settings: SettingsService }) => {
    world.settings = opts.settings;
    return { router: { invoke: (...a: unknown[]) => world.invoke(...a), subscribe: () => undefined }, close: async () => undefined };
  },
}));

const argv = process.argv;
beforeEach(async () => {
  FakeWindow.world = world = {
    lock: true,
    packaged: true,
    userData: await fsp.mkdtemp(path.join(os.tmpdir(), 'meshdeck-door-')),
    appOn: new Map(),
    quit: vi.fn(),
    setAsDefaultProtocolClient: vi.fn(),
    windows: [],
    menuTemplate: null,
    ready: () => undefined,
    invoke: vi.fn(async () => ({ ok: true, value: {} })),
    settings: null,
  };
  vi.resetModules();
});
afterEach(async () => {
  process.argv = argv;
  await fsp.rm(world.userData, { recursive: true, force: true });
});

async function start(args: string[] = []) {
  process.argv = [process.execPath, '/opt/meshdeck/app', ...args];
  await import('../../main/electron/index');
  world.ready();
  await vi.waitFor(() => expect(world.windows).toHaveLength(1));
}

/** What the renderer would receive on `desktop.commands`. */
function listen(): DesktopCommand[] {
  const got: DesktopCommand[] = [];
  world.settings?.commands.listen((c) => got.push(c));
  return got;
}

describe('Electron door', () => {
  it('a second instance quits at once (the first gets its argv)', async () => {
    world.lock = false;
    process.argv = [process.execPath, '/opt/meshdeck/app', 'meshdeck://graph?namespace=shop'];
    await import('../../main/electron/index');
    expect(world.quit).toHaveBeenCalled();
    expect(world.appOn.has('second-instance')).toBe(false);
  });

  it('registers meshdeck:// when packaged, not in a dev run', async () => {
    await start();
    expect(world.setAsDefaultProtocolClient).toHaveBeenCalledWith('meshdeck');
    vi.resetModules();
    world.packaged = false;
    world.setAsDefaultProtocolClient.mockClear();
    process.argv = [process.execPath, '/opt/meshdeck/app'];
    await import('../../main/electron/index');
    expect(world.setAsDefaultProtocolClient).not.toHaveBeenCalled();
  });

  it('opens the window sandboxed, with the menu, and restores saved bounds', async () => {
    await start();
    const [w] = world.windows;
    expect((w?.opts.webPreferences as Record<string, unknown>).sandbox).toBe(true);
    expect(w?.loaded).toMatch(/renderer[/\\]index\.html$/);
    expect(world.menuTemplate).not.toBeNull();
    // Closing saves the window state into settings.json.
    w?.handlers.get('close')?.();
    await vi.waitFor(async () => {
      const doc = JSON.parse(await fsp.readFile(path.join(world.userData, 'settings.json'), 'utf8')) as { window: unknown };
      expect(doc.window).toMatchObject({ bounds: { x: 1, y: 2, width: 1000, height: 700 }, zoomLevel: 1 });
    });
  });

  it('deep links reach the running window: argv at start, second-instance, open-url', async () => {
    await start(['--some-chromium-flag', 'meshdeck://graph?context=kind-demo&namespace=shop']);
    const got = listen(); // the renderer subscribes after the window loads: the early link waits for it
    expect(got).toEqual([{ command: 'navigate', route: '#/graph?context=kind-demo&namespace=shop' }]);
    const w = world.windows[0] as FakeWindow;
    const focusedBefore = w.focused;
    world.appOn.get('second-instance')?.({}, ['/opt/meshdeck/meshdeck', '--flag', 'meshdeck://canary?context=prod&namespace=pay&name=checkout'], '/');
    const openUrl = { preventDefault: vi.fn() };
    world.appOn.get('open-url')?.(openUrl, 'meshdeck://events?store=orders');
    expect(openUrl.preventDefault).toHaveBeenCalled();
    expect(got.slice(1)).toEqual([
      { command: 'navigate', route: '#/canary?context=prod&namespace=pay&name=checkout' },
      { command: 'navigate', route: '#/events?store=orders' },
    ]);
    expect(w.focused).toBe(focusedBefore + 2);
    // A second launch without a link just brings the window forward.
    world.appOn.get('second-instance')?.({}, ['/opt/meshdeck/meshdeck'], '/');
    expect(w.focused).toBe(focusedBefore + 3);
  });

  it('hostile links are refused: nothing navigates, the user is told, the log says why (on one line)', async () => {
    await start();
    const got = listen();
    const hostile = [
      'meshdeck://graph/../../../etc/passwd',
      'meshdeck://admin:pw@graph?context=x',
      'javascript:alert(1)//meshdeck://graph',
      'meshdeck://graph?context=x%0a2026-01-01T00:00:00Z%20INFO%20forged',
      `meshdeck://graph?context=${'a'.repeat(5000)}`,
    ];
    for (const url of hostile) world.appOn.get('open-url')?.({ preventDefault: () => undefined }, url);
    world.appOn.get('second-instance')?.({}, ['/x', 'meshdeck://nope?x=1'], '/');
    expect(got).toEqual([]);
    const notices = world.settings?.notices() ?? [];
    expect(notices.filter((n) => /ignored a link/.test(n.message))).toHaveLength(hostile.length + 1);
    const log = await fsp.readFile(path.join(world.userData, 'logs', 'main.log'), 'utf8');
    expect(log.match(/deep link refused/g)).toHaveLength(hostile.length + 1);
    expect(log).not.toMatch(/^\S+ INFO  forged/m);
  });

  it('menu commands go to the renderer; Open Kubeconfig goes through the kube.addFile channel', async () => {
    await start();
    const got = listen();
    const { flattenMenu } = await import('../../main/electron/menu');
    const items = flattenMenu(world.menuTemplate as never);
    const click = (id: string) => (items.find((i) => i.id === id)?.click as unknown as () => Promise<void> | void)();
    click('refresh');
    click('toggle-theme');
    expect(got).toEqual([{ command: 'refresh' }, { command: 'toggleTheme' }]);
    const { dialog } = await import('electron');
    vi.mocked(dialog.showOpenDialog).mockResolvedValueOnce({ canceled: false, filePaths: ['/home/u/kc.yaml'] });
    await click('open-kubeconfig');
    expect(world.invoke).toHaveBeenCalledWith('kube.addFile', { path: '/home/u/kc.yaml' }, expect.objectContaining({ transport: 'ipc' }));
    expect(got.at(-1)).toEqual({ command: 'navigate', route: '#/connect' });
  });

  it('secrets set through the door are encrypted with safeStorage (stubbed), never plain on disk', async () => {
    await start();
    expect(world.settings?.secrets.backend).toBe('safeStorage');
    await world.settings?.setSecret('kube:x:token', 'PLAINTEXT-TOKEN-123');
    const enc = await fsp.readFile(path.join(world.userData, 'secrets', 'secrets.enc.json'), 'utf8');
    expect(enc).not.toContain('PLAINTEXT-TOKEN-123');
    expect(await world.settings?.secrets.get('kube:x:token')).toBe('PLAINTEXT-TOKEN-123');
  });
});
