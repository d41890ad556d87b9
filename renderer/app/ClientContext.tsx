import { createContext, useContext, useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { MeshdeckClient } from '../../shared/client';
import type { EventOf, InputOf, SubscriptionChannel } from '../../shared/contract';
import type { ApiErrorShape } from '../../shared/errors';

const ClientContext = createContext<MeshdeckClient | null>(null);

export function ClientProvider({ client, children }: { client: MeshdeckClient; children: ReactNode }) {
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

export function useClient(): MeshdeckClient {
  const c = useContext(ClientContext);
  if (!c) throw new Error('useClient outside ClientProvider');
  return c;
}

/**
 * Subscribe while mounted (and while `enabled`). The input is compared by value, so an inline
 * object literal does not resubscribe on every render.
 */
export function useSubscription<K extends SubscriptionChannel>(
  channel: K,
  input: InputOf<K>,
  onEvent: (e: EventOf<K>) => void,
  opts: { enabled?: boolean } = {},
): { error: ApiErrorShape | null } {
  const client = useClient();
  // The error is remembered with the input it belongs to, so a new input starts clean.
  const [failure, setFailure] = useState<{ key: string; error: ApiErrorShape } | null>(null);
  const handler = useRef(onEvent);
  useEffect(() => { handler.current = onEvent; });
  const key = JSON.stringify(input);
  const enabled = opts.enabled ?? true;
  useEffect(() => {
    if (!enabled) return;
    return client.subscribe(
      channel,
      JSON.parse(key) as InputOf<K>,
      (e) => { setFailure(null); handler.current(e); },
      (error) => setFailure({ key, error }),
    );
  }, [client, channel, key, enabled]);
  return { error: failure?.key === key ? failure.error : null };
}
