/**
 * Electron: the preload surface, with `electron` stubbed (no binary here). The page gets exactly
 * invoke, cancel and subscribe for declared channels — never ipcRenderer, never an IPC event.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const exposed = new Map<string, unknown>();
const ipc = {
  invoke: vi.fn(async (..._a: unknown[]) => ({ ok: true, value: 'from-main' })),
  send: vi.fn(),
  on: vi.fn(),
};
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: ipc,
}));

await import('../../preload/index');
const { IPC } = await import('../../main/electron/ipc-channels');
const { requestChannels, subscriptionChannels } = await import('../../shared/contract');
type Bridge = {
  invoke(channel: string, input: unknown, id: string): Promise<unknown>;
  cancel(id: string): void;
  subscribe(channel: string, input: unknown, onEvent: (e: unknown) => void, onError: (e: unknown) => void): () => void;
};
const bridge = () => exposed.get('meshdeck') as Bridge;
const pushListener = () => ipc.on.mock.calls.find((c) => c[0] === IPC.push)?.[1] as (e: unknown, m: unknown) => void;

beforeEach(() => { ipc.invoke.mockClear(); ipc.send.mockClear(); });

describe('preload', () => {
  it('exposes one object, meshdeck, with exactly invoke, cancel and subscribe', () => {
    expect([...exposed.keys()]).toEqual(['meshdeck']);
    expect(Object.keys(bridge()).sort()).toEqual(['cancel', 'invoke', 'subscribe']);
    for (const v of Object.values(bridge())) expect(typeof v).toBe('function');
    expect(Object.values(bridge())).not.toContain(ipc);
  });

  it('forwards declared request channels, with the call id', async () => {
    expect(requestChannels).toContain('settings.get');
    await expect(bridge().invoke('settings.get', {}, 'id-1')).resolves.toEqual({ ok: true, value: 'from-main' });
    expect(ipc.invoke).toHaveBeenCalledWith(IPC.invoke, { channel: 'settings.get', input: {}, id: 'id-1' });
  });

  it.each(['nope.nothing', 'constructor', '__proto__', 'toString', 'settings.changed', '', 'meshdeck:invoke'])('rejects %j as a request channel without touching IPC', async (ch) => {
    await expect(bridge().invoke(ch, {}, 'x')).resolves.toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    expect(ipc.invoke).not.toHaveBeenCalled();
  });

  it('rejects undeclared subscription channels (a request channel is not one)', () => {
    const onError = vi.fn();
    const off = bridge().subscribe('settings.get', {}, () => undefined, onError);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'UNKNOWN_CHANNEL' }));
    expect(ipc.send).not.toHaveBeenCalled();
    off();
  });

  it('subscribes to declared channels, routes pushed events by id without the IPC event, and unsubscribes', () => {
    expect(subscriptionChannels).toContain('desktop.commands');
    const got: unknown[] = [];
    const off = bridge().subscribe('desktop.commands', {}, (...args) => got.push(args), () => undefined);
    const [, msg] = ipc.send.mock.calls[0] as [string, { id: string; channel: string }];
    expect(ipc.send.mock.calls[0]?.[0]).toBe(IPC.subscribe);
    expect(msg.channel).toBe('desktop.commands');
    const fakeIpcEvent = { sender: { secret: 'ipcRenderer' } };
    pushListener()(fakeIpcEvent, { type: 'event', id: msg.id, event: { command: 'refresh' } });
    pushListener()(fakeIpcEvent, { type: 'event', id: 'someone-else', event: { command: 'find' } });
    expect(got).toEqual([[{ command: 'refresh' }]]);
    off();
    expect(ipc.send).toHaveBeenLastCalledWith(IPC.unsubscribe, msg.id);
  });

  it('cancel sends only a string id', () => {
    bridge().cancel({ toString: () => 'c-7' } as unknown as string);
    expect(ipc.send).toHaveBeenCalledWith(IPC.cancel, 'c-7');
  });
});
