/**
 * A stand-in for the 'electron' module: the one place a stub is allowed, because no Electron
 * binary can run on this machine. It wires ipcRenderer to ipcMain in-process, with a sender
 * frame whose URL the test controls, so the real preload and the real main-side IPC wiring talk
 * to each other exactly as they would across processes (values are JSON-cloned, like IPC).
 */
type Listener = (event: unknown, ...args: unknown[]) => void;

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export function createFakeElectron(frameUrl: { current: string }) {
  const mainListeners = new Map<string, Listener[]>();
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  const rendererListeners = new Map<string, Listener[]>();
  const exposed: Record<string, unknown> = {};
  const destroyedCbs: (() => void)[] = [];
  let destroyed = false;

  const webContents = {
    id: 1,
    isDestroyed: () => destroyed,
    send(channel: string, ...args: unknown[]) {
      queueMicrotask(() => { for (const l of rendererListeners.get(channel) ?? []) l({}, ...args.map(clone)); });
    },
    once(ev: string, cb: () => void) { if (ev === 'destroyed') destroyedCbs.push(cb); },
  };
  const mainEvent = () => ({ sender: webContents, senderFrame: { url: frameUrl.current } });

  const ipcMain = {
    on(channel: string, l: Listener) { mainListeners.set(channel, [...(mainListeners.get(channel) ?? []), l]); },
    handle(channel: string, h: (event: unknown, ...args: unknown[]) => unknown) { handlers.set(channel, h); },
    removeHandler(channel: string) { handlers.delete(channel); },
    removeAllListeners(channel: string) { mainListeners.delete(channel); },
  };
  const ipcRenderer = {
    invoke(channel: string, ...args: unknown[]) {
      const h = handlers.get(channel);
      if (!h) return Promise.reject(new Error(`No handler registered for '${channel}'`));
      return Promise.resolve(h(mainEvent(), ...args.map(clone))).then(clone);
    },
    send(channel: string, ...args: unknown[]) {
      queueMicrotask(() => { for (const l of mainListeners.get(channel) ?? []) l(mainEvent(), ...args.map(clone)); });
    },
    on(channel: string, l: Listener) { rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), l]); },
  };
  const contextBridge = {
    exposeInMainWorld(key: string, api: unknown) { exposed[key] = api; },
  };
  return {
    module: { ipcMain, ipcRenderer, contextBridge },
    exposed,
    destroyWebContents() { destroyed = true; for (const cb of destroyedCbs) cb(); },
  };
}
