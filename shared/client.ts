import type { EventOf, InputOf, OutputOf, RequestChannel, SubscriptionChannel } from './contract';
import type { ApiErrorShape } from './errors';

export type Unsubscribe = () => void;

/**
 * The one client interface the renderer uses. Implemented over Electron IPC (preload bridge) and
 * over web mode (HTTP + WebSocket); views never know which one they hold.
 */
export interface MeshdeckClient {
  readonly transport: 'ipc' | 'web';
  /** Rejects with an ApiError (code, message, field). `signal` cancels the call in main too. */
  invoke<K extends RequestChannel>(channel: K, input: InputOf<K>, opts?: { signal?: AbortSignal }): Promise<OutputOf<K>>;
  subscribe<K extends SubscriptionChannel>(
    channel: K,
    input: InputOf<K>,
    onEvent: (event: EventOf<K>) => void,
    onError?: (error: ApiErrorShape) => void,
  ): Unsubscribe;
}

/** Wire messages of the subscription socket (web mode) and of the IPC push channel. */
export type ClientMessage =
  | { type: 'sub'; id: string; channel: string; input: unknown }
  | { type: 'unsub'; id: string }
  | { type: 'invoke'; id: string; channel: string; input: unknown }
  | { type: 'cancel'; id: string };

export type ServerMessage =
  | { type: 'event'; id: string; event: unknown }
  | { type: 'error'; id: string; error: ApiErrorShape }
  | { type: 'result'; id: string; ok: true; value: unknown }
  | { type: 'result'; id: string; ok: false; error: ApiErrorShape }
  | { type: 'end'; id: string };
