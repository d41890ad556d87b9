import { useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import { useRoute } from '../../app/router';
import type { EventStoreConnectionInfo } from '../../../shared/contract/events';

/** The event store connections (managed on the Events page) and the one chosen in the route (?c=). */
export function useStoreChoice(): { list: EventStoreConnectionInfo[] | undefined; current: EventStoreConnectionInfo | null; pending: boolean; error: unknown; refetch: () => void; choose: (id: string) => void } {
  const client = useClient();
  const route = useRoute();
  const conns = useQuery({ queryKey: ['events.connections'], queryFn: ({ signal }) => client.invoke('events.connections', {}, { signal }) });
  const wanted = route.params.get('c');
  const current = conns.data?.find((c) => c.id === wanted) ?? conns.data?.[0] ?? null;
  return {
    list: conns.data, current, pending: conns.isPending, error: conns.error,
    refetch: () => void conns.refetch(),
    choose: (id) => { const p = Object.fromEntries(route.params.entries()); route.navigate(route.view, { ...p, c: id }); },
  };
}

export function StorePicker({ list, current, onChoose }: { list: EventStoreConnectionInfo[]; current: EventStoreConnectionInfo | null; onChoose: (id: string) => void }) {
  if (list.length <= 1) return current ? <span className="chip" title={current.url}>{current.name}</span> : null;
  return (
    <select className="input" aria-label="Event store" value={current?.id ?? ''} onChange={(e) => onChoose(e.target.value)}>
      {list.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
    </select>
  );
}
