/**
 * One contract suite, run over both transports: web mode (real HTTP + WebSocket server) and
 * Electron IPC (the real preload and the real main-side wiring, with only the electron module
 * stubbed because its binary cannot run here).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { contract, requestChannels, subscriptionChannels } from '../../shared/contract';
import type { Channel } from '../../shared/contract';
import type { MeshdeckClient } from '../../shared/client';
import type { ApiErrorShape } from '../../shared/errors';
import { ipcClient, webClient } from '../../renderer/app/client';
import type { MeshdeckBridge } from '../../renderer/app/bridge';
import { startWebApp } from '../helpers/webapp';
import type { WebAppHandle } from '../helpers/webapp';

const fake = vi.hoisted(() => ({ frameUrl: { current: 'file:///app/out/renderer/index.html' } }));
vi.mock('electron', async () => {
  const { createFakeElectron } = await import('../helpers/fake-electron');
  const f = createFakeElectron(fake.frameUrl);
  (globalThis as Record<string, unknown>).__fakeElectron = f;
  return f.module;
});

let web: WebAppHandle;
const clients: Record<'web' | 'ipc', MeshdeckClient> = {} as Record<'web' | 'ipc', MeshdeckClient>;
let stopIpc: () => void = () => undefined;

beforeAll(async () => {
  web = await startWebApp();
  clients.web = webClient({
    base: web.url.replace(/\/$/, ''),
    headers: { authorization: `Bearer ${web.token}` },
    createSocket: (url) => new WebSocket(url, { headers: { authorization: `Bearer ${web.token}` } }) as unknown as globalThis.WebSocket,
  });
  const { wireIpc } = await import('../../main/electron/ipc');
  stopIpc = wireIpc(web.app.router, () => 'file:///app/out/renderer/index.html');
  await import('../../preload/index');
  const f = (globalThis as Record<string, unknown>).__fakeElectron as { exposed: Record<string, unknown> };
  clients.ipc = ipcClient(f.exposed.meshdeck as MeshdeckBridge);
});

afterAll(async () => {
  stopIpc();
  await web?.close();
});

async function errorOf(p: Promise<unknown>): Promise<ApiErrorShape> {
  try {
    await p;
  } catch (e) {
    return e as ApiErrorShape;
  }
  throw new Error('expected the call to fail');
}

function firstError(client: MeshdeckClient, channel: string, input: unknown): Promise<ApiErrorShape> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${channel}: no error within 5 s`)), 5000);
    const unsub = client.subscribe(channel as never, input as never, () => undefined, (e) => {
      clearTimeout(timer);
      unsub();
      resolve(e);
    });
  });
}

describe.each(['web', 'ipc'] as const)('contract over %s', (transport) => {
  const client = () => clients[transport];

  it('answers app.info and says which transport carried it', async () => {
    const info = await client().invoke('app.info', {});
    expect(info.name).toBe('meshdeck');
    expect(info.transport).toBe(transport);
    expect(info.versions.node).toBe(process.versions.node);
  });

  it.each(requestChannels)('request %s: non-object input gets BAD_INPUT', async (channel) => {
    const err = await errorOf(client().invoke(channel as never, 42 as never));
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toContain(channel);
  });

  it.each(subscriptionChannels)('subscription %s: non-object input gets BAD_INPUT', async (channel) => {
    const err = await firstError(client(), channel, 'nope');
    expect(err.code).toBe('BAD_INPUT');
  });

  it('names the offending field', async () => {
    const err = await errorOf(client().invoke('app.echo', { text: 5 } as never));
    expect(err).toMatchObject({ code: 'BAD_INPUT', field: 'text' });
    const err2 = await errorOf(client().invoke('app.echo', { text: 'x', delayMs: -1 }));
    expect(err2).toMatchObject({ code: 'BAD_INPUT', field: 'delayMs' });
  });

  it('refuses an unknown channel with a typed error', async () => {
    const err = await errorOf(client().invoke('nope.nothing' as never, {} as never));
    expect(['UNKNOWN_CHANNEL']).toContain(err.code);
  });

  it('cancels a slow call promptly', async () => {
    const ctl = new AbortController();
    const started = Date.now();
    const p = client().invoke('app.echo', { text: 'slow', delayMs: 20_000 }, { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 100);
    // A cancel, not any failure: a broken transport must not pass this test.
    expect(await errorOf(p)).toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(3000);
    // The transport still serves the next call.
    expect(await client().invoke('app.echo', { text: 'after' })).toEqual({ text: 'after' });
  });

  it('pushes subscription events until unsubscribed', async () => {
    const got: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const unsub = client().subscribe('app.ticks', { everyMs: 20, count: 50 }, (e) => {
        got.push(e.n);
        if (got.length === 3) {
          unsub();
          resolve();
        }
      }, (e) => reject(new Error(e.message)));
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(got).toEqual([1, 2, 3]);
  });
});

describe('contract shape', () => {
  it('every channel is prefixed by its capability and documented', () => {
    for (const [name, def] of Object.entries(contract) as [Channel, (typeof contract)[Channel]][]) {
      expect(name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
      expect(def.doc.length).toBeGreaterThan(5);
    }
  });
});

describe('ipc sender check', () => {
  it('refuses calls from a frame that is not the app', async () => {
    fake.frameUrl.current = 'https://evil.example/';
    try {
      const err = await errorOf(clients.ipc.invoke('app.info', {}));
      expect(err.code).toBe('FORBIDDEN');
    } finally {
      fake.frameUrl.current = 'file:///app/out/renderer/index.html';
    }
  });
});
