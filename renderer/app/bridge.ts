import type { ApiErrorShape, Result } from '../../shared/errors';

/** What preload/index.ts exposes on window.meshdeck (Electron only). Nothing else crosses. */
export interface MeshdeckBridge {
  invoke(channel: string, input: unknown, callId: string): Promise<Result<unknown>>;
  cancel(callId: string): void;
  subscribe(channel: string, input: unknown, onEvent: (e: unknown) => void, onError: (e: ApiErrorShape) => void): () => void;
}

declare global {
  interface Window {
    meshdeck?: MeshdeckBridge;
  }
}
