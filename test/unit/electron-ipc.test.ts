/**
 * Electron: wireIpc, with `electron` stubbed (no binary here). Main must answer only its own page:
 * every message's sender frame is checked.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

type Handler = (e: unknown, ...args: unknown[]) => unknown;
const handles = new Map<string, Handler>();
const ons = new Map<string, Handler>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (ch: string, fn: Handler) => handles.set(ch, fn),
    on: (ch: string, fn: Handler) => ons.set(ch, fn),
    removeHandler: (ch: string) => handles.delete(ch),
    removeAllListeners: (ch: string) => ons.delete(ch),
  },
}));

const { wireIpc } = await import('../../main/electron/ipc');
const { IPC } = await import('../../main/electron/ipc-channels');
import type { Router } from '../../main/api/router';

const APP = 'file:///opt/meshdeck/out/renderer/index.html';

function fakeSender(id = 1) {
  const sent: unknown[][] = [];
  const listeners = new Map<string, () => void>();
  return {
    id,
    sent,
    destroyed: false,
    send: (...args: unknown[]) => sent.push(args),
    isDestroyed() { return this.destroyed; },
    once: (ev: string, fn: () => void) => listeners.set(ev, fn),
    destroy() { this.destroyed = true; listeners.get('destroyed')?.(); },
  };
}
const event = (url: string | undefined, sender = fakeSender()) => ({ senderFrame: url === undefined ? null : { url }, sender });

function fakeRouter() {
  const calls: { channel: unknown; input: unknown; signal: AbortSignal }[] = [];
  const subs: { channel: unknown; signal: AbortSignal; onEvent: (e: unknown) => void }[] = [];
  const router: Router = {
    invoke: vi.fn(async (channel, input, ctx) => {
      calls.push({ channel, input, signal: ctx.signal });
      await new Promise((r) => setTimeout(r, 5));
      return { ok: true as const, value: { channel } };
    }),
    subscribe: vi.fn((channel, _input, ctx, onEvent) => { subs.push({ channel, signal: ctx.signal, onEvent }); }),
  };
  return { router, calls, subs };
}

beforeEach(() => { handles.clear(); ons.clear(); });

describe('wireIpc', () => {
  it('answers the app page and nobody else', async () => {
    const { router, calls } = fakeRouter();
    wireIpc(router, () => APP);
    const invoke = handles.get(IPC.invoke) as Handler;
    await expect(invoke(event(APP), { channel: 'app.info', input: {}, id: '1' })).resolves.toEqual({ ok: true, value: { channel: 'app.info' } });
    for (const url of ['https://evil.example/', 'file:///tmp/evil.html', 'about:blank', undefined]) {
      await expect(invoke(event(url), { channel: 'app.info', input: {}, id: '2' })).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(calls).toHaveLength(1);
  });

  it('ignores subscribe, cancel and unsubscribe from untrusted frames', () => {
    const { router, subs } = fakeRouter();
    wireIpc(router, () => APP);
    (ons.get(IPC.subscribe) as Handler)(event('https://evil.example/'), { channel: 'app.ticks', input: {}, id: 's1' });
    expect(subs).toHaveLength(0);
    const s = fakeSender();
    (ons.get(IPC.subscribe) as Handler)(event(APP, s), { channel: 'app.ticks', input: {}, id: 's1' });
    expect(subs).toHaveLength(1);
    (ons.get(IPC.unsubscribe) as Handler)(event('https://evil.example/', s), 's1');
    expect(subs[0]?.signal.aborted).toBe(false);
    (ons.get(IPC.unsubscribe) as Handler)(event(APP, s), 's1');
    expect(subs[0]?.signal.aborted).toBe(true);
  });

  it('pushes subscription events to the subscribing page only', () => {
    const { router, subs } = fakeRouter();
    wireIpc(router, () => APP);
    const s = fakeSender(7);
    (ons.get(IPC.subscribe) as Handler)(event(APP, s), { channel: 'app.ticks', input: {}, id: 's9' });
    subs[0]?.onEvent({ n: 1 });
    expect(s.sent).toEqual([[IPC.push, { type: 'event', id: 's9', event: { n: 1 } }]]);
  });

  it('cancel aborts the call (trusted only), and a closed page aborts everything it started', async () => {
    const { router, calls, subs } = fakeRouter();
    wireIpc(router, () => APP);
    const s = fakeSender(3);
    const p = (handles.get(IPC.invoke) as Handler)(event(APP, s), { channel: 'app.echo', input: {}, id: 'c1' });
    (ons.get(IPC.cancel) as Handler)(event('https://evil.example/', s), 'c1');
    expect(calls[0]?.signal.aborted).toBe(false);
    (ons.get(IPC.cancel) as Handler)(event(APP, s), 'c1');
    expect(calls[0]?.signal.aborted).toBe(true);
    await p;
    (ons.get(IPC.subscribe) as Handler)(event(APP, s), { channel: 'app.ticks', input: {}, id: 's1' });
    s.destroy();
    expect(subs[0]?.signal.aborted).toBe(true);
  });

  it('the returned function removes every handler', () => {
    const off = wireIpc(fakeRouter().router, () => APP);
    expect(handles.size).toBe(1);
    expect(ons.size).toBe(3);
    off();
    expect(handles.size).toBe(0);
    expect(ons.size).toBe(0);
  });
});
