import type { MeshdeckClient } from '../../shared/client';
import type { ClientMessage, ServerMessage } from '../../shared/client';
import type { RequestChannel, SubscriptionChannel, InputOf, OutputOf, EventOf } from '../../shared/contract';
import { ApiError } from '../../shared/errors';
import type { ApiErrorShape, Result } from '../../shared/errors';
import './bridge';

let seq = 0;
const nextId = () => `${Date.now().toString(36)}-${(++seq).toString(36)}`;

function unwrap<T>(r: Result<unknown>): T {
  if (r.ok) return r.value as T;
  throw ApiError.from(r.error);
}

/** Electron: everything goes through the preload bridge. */
export function ipcClient(bridge: NonNullable<Window['meshdeck']>): MeshdeckClient {
  return {
    transport: 'ipc',
    async invoke<K extends RequestChannel>(channel: K, input: InputOf<K>, opts?: { signal?: AbortSignal }) {
      const id = nextId();
      const onAbort = () => bridge.cancel(id);
      opts?.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return unwrap<OutputOf<K>>(await bridge.invoke(channel, input, id));
      } finally {
        opts?.signal?.removeEventListener('abort', onAbort);
      }
    },
    subscribe<K extends SubscriptionChannel>(channel: K, input: InputOf<K>, onEvent: (e: EventOf<K>) => void, onError?: (e: ApiErrorShape) => void) {
      return bridge.subscribe(channel, input, (e) => onEvent(e as EventOf<K>), (e) => onError?.(e));
    },
  };
}

type SubEntry = { channel: string; input: unknown; onEvent: (e: unknown) => void; onError: (e: ApiErrorShape) => void };

/**
 * Web mode: requests are HTTP POSTs (cancel = abort the fetch; the server aborts the service call);
 * subscriptions share one WebSocket that reconnects with back-off and re-subscribes.
 * The session cookie set from the printed URL authenticates both.
 */
export interface WebClientOptions {
  /** Origin of the meshdeck server; '' = the page's own. */
  base?: string;
  /** Extra headers (a non-browser client passes `Authorization: Bearer <token>`). */
  headers?: Record<string, string>;
  /** Socket factory (Node tests pass the `ws` package); defaults to the browser's WebSocket. */
  createSocket?: (url: string) => WebSocket;
}

export function webClient(options: WebClientOptions = {}): MeshdeckClient {
  const base = options.base ?? '';
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url));
  const subs = new Map<string, SubEntry>();
  let ws: WebSocket | null = null;
  let retry = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const send = (msg: ClientMessage) => {
    if (ws?.readyState === 1 /* OPEN */) ws.send(JSON.stringify(msg));
  };
  const connect = () => {
    if (ws || subs.size === 0) return;
    const url = new URL(`${base}/api/ws`, base === '' ? window.location.href : undefined);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const sock = createSocket(url.href);
    ws = sock;
    sock.onopen = () => {
      retry = 0;
      for (const [id, s] of subs) send({ type: 'sub', id, channel: s.channel, input: s.input });
    };
    sock.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as ServerMessage;
      const sub = subs.get(msg.id);
      if (!sub) return;
      if (msg.type === 'event') sub.onEvent(msg.event);
      else if (msg.type === 'error') {
        subs.delete(msg.id);
        sub.onError(msg.error);
      }
    };
    sock.onclose = () => {
      ws = null;
      if (subs.size === 0) return;
      for (const s of subs.values()) s.onError({ code: 'UNREACHABLE', message: 'Lost the connection to meshdeck; reconnecting…' });
      const delay = Math.min(10_000, 250 * 2 ** retry++);
      timer = setTimeout(() => { timer = null; connect(); }, delay);
    };
  };

  return {
    transport: 'web',
    async invoke<K extends RequestChannel>(channel: K, input: InputOf<K>, opts?: { signal?: AbortSignal }) {
      let res: Response;
      try {
        res = await fetch(`${base}/api/invoke/${encodeURIComponent(channel)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers },
          body: JSON.stringify(input ?? {}),
          credentials: 'same-origin',
          signal: opts?.signal,
        });
      } catch (err) {
        if (opts?.signal?.aborted) throw new ApiError('CANCELLED', 'The call was cancelled.');
        throw new ApiError('UNREACHABLE', `meshdeck's server did not answer (${(err as Error).message}).`);
      }
      let body: Result<unknown>;
      try {
        body = (await res.json()) as Result<unknown>;
      } catch {
        throw new ApiError('UPSTREAM', `meshdeck's server answered ${res.status} without JSON.`);
      }
      return unwrap<OutputOf<K>>(body);
    },
    subscribe<K extends SubscriptionChannel>(channel: K, input: InputOf<K>, onEvent: (e: EventOf<K>) => void, onError?: (e: ApiErrorShape) => void) {
      const id = nextId();
      subs.set(id, { channel, input, onEvent: (e) => onEvent(e as EventOf<K>), onError: (e) => onError?.(e) });
      if (ws?.readyState === 1 /* OPEN */) send({ type: 'sub', id, channel, input });
      else connect();
      return () => {
        if (!subs.delete(id)) return;
        send({ type: 'unsub', id });
        if (subs.size === 0 && timer) { clearTimeout(timer); timer = null; }
      };
    },
  };
}

export function createClient(): MeshdeckClient {
  return window.meshdeck ? ipcClient(window.meshdeck) : webClient();
}
