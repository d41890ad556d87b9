import { useCallback, useRef } from 'react';
import { useMutation, useMutationState, useQuery, useQueryClient } from '@tanstack/react-query';
import type { KubeConnection, KubeSources } from '../../../shared/contract/kube';
import { useClient, useSubscription } from '../../app/ClientContext';

export const SOURCES_KEY = ['kube.sources'] as const;
export const CONNECTIONS_KEY = ['kube.connections'] as const;
const CONNECT_KEY = ['kube.connect'] as const;

/** Kubeconfig files and contexts; main pushes a new value whenever a file changes. */
export function useKubeSources() {
  const client = useClient();
  const qc = useQueryClient();
  const query = useQuery({ queryKey: SOURCES_KEY, queryFn: ({ signal }) => client.invoke('kube.sources', {}, { signal }) });
  const live = useSubscription('kube.sourcesChanged', {}, (s: KubeSources) => qc.setQueryData(SOURCES_KEY, s));
  return { ...query, liveError: live.error };
}

export function useKubeConnections() {
  const client = useClient();
  return useQuery({ queryKey: CONNECTIONS_KEY, queryFn: ({ signal }) => client.invoke('kube.connections', {}, { signal }) });
}

function upsert(list: KubeConnection[] | undefined, c: KubeConnection): KubeConnection[] {
  const rest = (list ?? []).filter((x) => x.contextId !== c.contextId);
  return [...rest, c];
}

/**
 * Connect and disconnect. Several contexts may connect at once: each call has its own abort
 * controller (Cancel), and `connecting` lists every context whose connect is in flight.
 */
export function useKubeConnect() {
  const client = useClient();
  const qc = useQueryClient();
  const controllers = useRef(new Map<string, AbortController>());

  const connect = useMutation({
    mutationKey: CONNECT_KEY,
    mutationFn: async (contextId: string) => {
      controllers.current.get(contextId)?.abort();
      const ac = new AbortController();
      controllers.current.set(contextId, ac);
      try {
        return await client.invoke('kube.connect', { contextId }, { signal: ac.signal });
      } finally {
        if (controllers.current.get(contextId) === ac) controllers.current.delete(contextId);
      }
    },
    onSuccess: (c) => qc.setQueryData<KubeConnection[]>(CONNECTIONS_KEY, (list) => upsert(list, c)),
    onSettled: () => qc.invalidateQueries({ queryKey: CONNECTIONS_KEY }),
  });

  const disconnect = useMutation({
    mutationFn: (contextId: string) => {
      controllers.current.get(contextId)?.abort();
      return client.invoke('kube.disconnect', { contextId });
    },
    onSuccess: ({ contextId }) => qc.setQueryData<KubeConnection[]>(CONNECTIONS_KEY, (list) => (list ?? []).filter((c) => c.contextId !== contextId)),
    onSettled: () => qc.invalidateQueries({ queryKey: CONNECTIONS_KEY }),
  });

  const connecting = useMutationState({
    filters: { mutationKey: CONNECT_KEY, status: 'pending' },
    select: (m) => m.state.variables as string,
  });

  const cancel = useCallback((contextId: string) => controllers.current.get(contextId)?.abort(), []);
  const connectMany = useCallback((ids: string[]) => {
    for (const id of ids) connect.mutate(id);
  }, [connect]);

  return {
    connect: (id: string) => connect.mutate(id),
    connectMany,
    disconnect: (id: string) => disconnect.mutate(id),
    cancel,
    connecting: new Set(connecting),
    /** The last connect call that failed outright (unknown context, lost transport); cluster failures come back as connections in status 'error'. */
    connectError: connect.error,
    disconnectError: disconnect.error,
  };
}

export function useKubeFiles() {
  const client = useClient();
  const qc = useQueryClient();
  const add = useMutation({
    mutationFn: (path: string) => client.invoke('kube.addFile', { path }),
    onSuccess: (s) => qc.setQueryData(SOURCES_KEY, s),
  });
  const remove = useMutation({
    mutationFn: (path: string) => client.invoke('kube.removeFile', { path }),
    onSuccess: (s) => {
      qc.setQueryData(SOURCES_KEY, s);
      void qc.invalidateQueries({ queryKey: CONNECTIONS_KEY });
    },
  });
  return { add, remove };
}
