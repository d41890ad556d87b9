/**
 * The preload bridge: exposes `invoke`, `cancel` and `subscribe` for channels declared in the
 * contract, and nothing else — never ipcRenderer itself, never the IPC event (it carries `sender`).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { isRequestChannel, isSubscriptionChannel } from '../shared/contract';
import type { ApiErrorShape, Result } from '../shared/errors';
import { IPC } from '../main/electron/ipc-channels';

type Push = { type: 'event'; id: string; event: unknown } | { type: 'error'; id: string; error: ApiErrorShape };

const listeners = new Map<string, { onEvent: (e: unknown) => void; onError: (e: ApiErrorShape) => void }>();
ipcRenderer.on(IPC.push, (_event, msg: Push) => {
  const l = listeners.get(msg.id);
  if (!l) return;
  if (msg.type === 'event') l.onEvent(msg.event);
  else {
    listeners.delete(msg.id);
    l.onError(msg.error);
  }
});

let seq = 0;

export const bridge = {
  invoke(channel: string, input: unknown, callId: string): Promise<Result<unknown>> {
    if (!isRequestChannel(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `No request channel named ${channel}.` } });
    }
    return ipcRenderer.invoke(IPC.invoke, { channel, input, id: String(callId) }) as Promise<Result<unknown>>;
  },
  cancel(callId: string): void {
    ipcRenderer.send(IPC.cancel, String(callId));
  },
  subscribe(channel: string, input: unknown, onEvent: (e: unknown) => void, onError: (e: ApiErrorShape) => void): () => void {
    if (!isSubscriptionChannel(channel)) {
      onError({ code: 'UNKNOWN_CHANNEL', message: `No subscription channel named ${channel}.` });
      return () => undefined;
    }
    const id = `s${++seq}`;
    listeners.set(id, { onEvent, onError });
    ipcRenderer.send(IPC.subscribe, { channel, input, id });
    return () => {
      if (listeners.delete(id)) ipcRenderer.send(IPC.unsubscribe, id);
    };
  },
};

contextBridge.exposeInMainWorld('meshdeck', bridge);
