import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import type { PageScope } from '../../../shared/contract/events';
import { ErrorBox } from '../../components/States';
import { fmtCount } from './format';

/** Categories with (estimated) counts, stream search by id or prefix, recent streams. */
export function Sidebar({ connectionId, scope, onScope }: { connectionId: string; scope: PageScope; onScope: (s: PageScope) => void }) {
  const client = useClient();
  const [q, setQ] = useState('');
  const [submitted, setSubmitted] = useState('');
  const cats = useQuery({ queryKey: ['events.categories', connectionId], queryFn: ({ signal }) => client.invoke('events.categories', { connectionId }, { signal }), staleTime: 30_000 });
  const streams = useQuery({
    queryKey: ['events.streams', connectionId, submitted],
    queryFn: ({ signal }) => client.invoke('events.streams', { connectionId, query: submitted, limit: 30 }, { signal }),
    staleTime: submitted ? 10_000 : 5_000,
  });

  return (
    <aside className="ev-side" aria-label="Streams and categories">
      <button className={`ev-side-item ${scope.kind === 'all' ? 'active' : ''}`} onClick={() => onScope({ kind: 'all' })}>
        <span>All events</span>
        <span className="muted">{cats.data ? `~${fmtCount(cats.data.totalEvents)}` : ''}</span>
      </button>
      <div className="ev-side-head">Categories {cats.data ? <span className="muted ev-small">{cats.data.method === 'count' ? 'counted' : 'estimated'}</span> : null}</div>
      {cats.isPending ? <div className="muted ev-pad">Loading…</div> : null}
      {cats.error ? <ErrorBox error={cats.error} title="Categories" /> : null}
      {cats.data?.categories.length === 0 ? <div className="muted ev-pad">No categories in this store.</div> : null}
      <div className="ev-side-list" data-testid="categories">
        {cats.data?.categories.map((c) => (
          <button key={c.name} className={`ev-side-item ${scope.kind === 'category' && scope.category === c.name ? 'active' : ''}`} onClick={() => onScope({ kind: 'category', category: c.name })} title={c.exact ? 'exact count' : 'estimated from a sample'}>
            <span className="ev-ellipsis">{c.name}</span>
            <span className="muted">{c.exact ? '' : '~'}{fmtCount(c.events)}</span>
          </button>
        ))}
      </div>
      <form className="ev-side-search" onSubmit={(e) => { e.preventDefault(); setSubmitted(q.trim()); }}>
        <input className="input mono" placeholder="Stream id or prefix" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Find stream" />
        <button className="btn small" type="submit">Find</button>
      </form>
      <div className="ev-side-head">{submitted ? `Streams matching “${submitted}”` : 'Recent streams'}</div>
      {streams.error ? <ErrorBox error={streams.error} title="Streams" /> : null}
      {streams.data?.streams.length === 0 ? <div className="muted ev-pad">No stream {submitted ? 'starts with that' : 'yet'}.</div> : null}
      <div className="ev-side-list" data-testid="streams">
        {streams.data?.streams.map((s) => (
          <button key={s.streamId} className={`ev-side-item ${scope.kind === 'stream' && scope.streamId === s.streamId ? 'active' : ''}`} onClick={() => onScope({ kind: 'stream', streamId: s.streamId })}>
            <span className="ev-ellipsis mono" title={s.streamId}>{s.streamId}</span>
            <span className="muted">v{s.version}</span>
          </button>
        ))}
      </div>
    </aside>
  );
}
