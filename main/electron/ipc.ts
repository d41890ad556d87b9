import { ipcMain } from 'electron';
import type { IpcMainEvent, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Router } from '../api/router';
import { IPC } from './ipc-channels';
import { isTrustedSenderUrl } from './window-options';

type Sender = IpcMainEvent | IpcMainInvokeEvent;

/**
 * Wires the contract onto IPC. Every message's sender frame is checked against the app's own
 * URL: an injected iframe or navigated page gets nothing.
 */
export function wireIpc(router: Router, appUrl: () => string): () => void {
  const calls = new Map<string, AbortController>();
  const subs = new Map<string, AbortController>();
  const trusted = (e: Sender) => {
    const url = e.senderFrame?.url;
    return url !== undefined && isTrustedSenderUrl(url, appUrl());
  };
  const key = (wc: WebContents, id: string) => `${wc.id}:${id}`;
  const watched = new WeakSet<WebContents>();
  const cleanupOn = (wc: WebContents) => {
    if (watched.has(wc)) return;
    watched.add(wc);
    wc.once('destroyed', () => {
      for (const [k, c] of [...calls, ...subs]) if (k.startsWith(`${wc.id}:`)) c.abort();
    });
  };

  ipcMain.handle(IPC.invoke, async (e, msg: { channel?: unknown; input?: unknown; id?: unknown }) => {
    if (!trusted(e)) return { ok: false, error: { code: 'FORBIDDEN', message: 'Untrusted sender.' } };
    const id = typeof msg?.id === 'string' ? msg.id : '';
    const ctl = new AbortController();
    const k = key(e.sender, id);
    calls.set(k, ctl);
    cleanupOn(e.sender);
    try {
      return await router.invoke(msg?.channel, msg?.input, { signal: ctl.signal, transport: 'ipc' });
    } finally {
      calls.delete(k);
    }
  });
  ipcMain.on(IPC.cancel, (e, id: unknown) => {
    if (!trusted(e) || typeof id !== 'string') return;
    calls.get(key(e.sender, id))?.abort();
  });
  ipcMain.on(IPC.subscribe, (e, msg: { channel?: unknown; input?: unknown; id?: unknown }) => {
    if (!trusted(e) || typeof msg?.id !== 'string') return;
    const id = msg.id;
    const k = key(e.sender, id);
    if (subs.has(k)) return;
    const ctl = new AbortController();
    subs.set(k, ctl);
    cleanupOn(e.sender);
    const wc = e.sender;
    const push = (m: unknown) => { if (!wc.isDestroyed()) wc.send(IPC.push, m); };
    router.subscribe(msg.channel, msg.input, { signal: ctl.signal, transport: 'ipc' },
      (event) => push({ type: 'event', id, event }),
      (error) => { subs.delete(k); ctl.abort(); push({ type: 'error', id, error }); });
  });
  ipcMain.on(IPC.unsubscribe, (e, id: unknown) => {
    if (!trusted(e) || typeof id !== 'string') return;
    const k = key(e.sender, id);
    subs.get(k)?.abort();
    subs.delete(k);
  });
  return () => {
    for (const c of [...calls.values(), ...subs.values()]) c.abort();
    for (const ch of [IPC.cancel, IPC.subscribe, IPC.unsubscribe]) ipcMain.removeAllListeners(ch);
    ipcMain.removeHandler(IPC.invoke);
  };
}
