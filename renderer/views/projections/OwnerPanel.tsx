import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import { ErrorBox } from '../../components/States';

/**
 * Which mesh services own this event store: the graph badges those services with the projections'
 * lag (projections.badges) and canary gates can name the store.
 */
export function OwnerPanel({ connectionId }: { connectionId: string }) {
  const client = useClient();
  const qc = useQueryClient();
  const owners = useQuery({ queryKey: ['projections.owners'], queryFn: ({ signal }) => client.invoke('projections.owners', {}, { signal }) });
  const [ns, setNs] = useState('');
  const [svc, setSvc] = useState('');
  const set = useMutation({
    mutationFn: (v: { namespace: string; service: string; connectionId: string | null }) => client.invoke('projections.setOwner', { ...v, projections: [] }),
    onSuccess: (list) => { qc.setQueryData(['projections.owners'], list); setNs(''); setSvc(''); },
  });
  const mine = owners.data?.filter((o) => o.connectionId === connectionId) ?? [];
  return (
    <div className="pj-owners" data-testid="owners">
      <span className="muted pj-small">Owned by</span>
      {mine.length === 0 ? <span className="muted pj-small">no mesh service</span> : mine.map((o) => (
        <span key={`${o.namespace}/${o.service}`} className="chip accent">
          {o.namespace}/{o.service}
          <button className="pj-x" aria-label={`Remove ${o.namespace}/${o.service}`} onClick={() => set.mutate({ namespace: o.namespace, service: o.service, connectionId: null })}>×</button>
        </span>
      ))}
      <form className="row" onSubmit={(e) => { e.preventDefault(); if (ns && svc) set.mutate({ namespace: ns.trim(), service: svc.trim(), connectionId }); }}>
        <input className="input pj-w110" aria-label="Namespace" placeholder="namespace" value={ns} onChange={(e) => setNs(e.target.value)} />
        <span className="muted">/</span>
        <input className="input pj-w110" aria-label="Service" placeholder="service" value={svc} onChange={(e) => setSvc(e.target.value)} />
        <button className="btn small" type="submit" disabled={!ns || !svc || set.isPending}>Link</button>
      </form>
      {set.error ? <ErrorBox error={set.error} title="Could not link the service" /> : null}
    </div>
  );
}
