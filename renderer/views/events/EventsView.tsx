import { useCallback, useEffect, useMemo, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import { useRoute } from '../../app/router';
import type { EventFilter, PageAnchor, PageScope, StorePositions } from '../../../shared/contract/events';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { ConnectionForm } from './ConnectionForm';
import { EventDetailPanel } from './EventDetailPanel';
import { EventList } from './EventList';
import { FilterBar } from './FilterBar';
import { Sidebar } from './Sidebar';
import { useEventLog, useTail } from './useEventLog';
import './events.css';

/** Event store browser: connections, detected schema, categories and streams, the log, detail, live tail. */
export default function EventsView() {
  const client = useClient();
  const route = useRoute();
  const qc = useQueryClient();
  const conns = useQuery({ queryKey: ['events.connections'], queryFn: ({ signal }) => client.invoke('events.connections', {}, { signal }) });
  const [adding, setAdding] = useState(false);
  const wanted = route.params.get('c');
  const current = conns.data?.find((c) => c.id === wanted) ?? conns.data?.[0] ?? null;

  if (conns.isPending) return <div className="page"><Loading label="Loading event stores…" /></div>;
  if (conns.error) return <div className="page"><ErrorBox error={conns.error} title="Event stores" onRetry={() => void conns.refetch()} /></div>;

  return (
    <div className="ev-page">
      <header className="ev-top">
        <h1>Events</h1>
        {conns.data.length ? (
          <select className="input" aria-label="Event store" value={current?.id ?? ''} onChange={(e) => route.navigate('events', { c: e.target.value })}>
            {conns.data.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        ) : null}
        {current ? <span className="muted mono ev-small" title="The password is never shown">{current.url}</span> : null}
        <div className="spacer" />
        {current && !adding ? (
          <button className="btn small danger" onClick={() => { void client.invoke('events.removeConnection', { id: current.id }).then(() => qc.invalidateQueries({ queryKey: ['events.connections'] })); }} disabled={current.sandbox}>Remove</button>
        ) : null}
        <button className="btn small" onClick={() => setAdding((a) => !a)}>{adding ? 'Close' : '+ Add event store'}</button>
      </header>
      {adding || conns.data.length === 0 ? (
        <div className="ev-pad">
          {conns.data.length === 0 ? <Empty title="No event store yet">Add a Postgres event store below, or start the demo with <code>npm run demo</code>.</Empty> : null}
          <ConnectionForm onAdded={(c) => { setAdding(false); route.navigate('events', { c: c.id }); }} onCancel={conns.data.length ? () => setAdding(false) : undefined} />
        </div>
      ) : current ? <StoreBrowser key={current.id} connectionId={current.id} /> : null}
    </div>
  );
}

function StoreBrowser({ connectionId }: { connectionId: string }) {
  const client = useClient();
  const detect = useQuery({ queryKey: ['events.detect', connectionId], queryFn: ({ signal }) => client.invoke('events.detect', { connectionId }, { signal }), retry: false });
  const [scope, setScope] = useState<PageScope>({ kind: 'all' });
  const [filter, setFilter] = useState<EventFilter>({});
  const [anchor, setAnchor] = useState<PageAnchor>({ kind: 'head' });
  const [selected, setSelected] = useState<string | null>(null);
  const [positions, setPositions] = useState<StorePositions | null>(null);
  const [adding, setAdding] = useState(false);

  const log = useEventLog(connectionId, scope, filter, anchor);
  const onlyTypes = Object.keys(filter).every((k) => k === 'types');
  const tailable = onlyTypes && !log.state.hasAfter && log.state.loading === null;
  const tailCtl = useTail({
    connectionId, scope, types: filter.types, enabled: tailable && detect.data?.kind != null,
    startAfter: () => log.state.events.at(-1)?.position ?? undefined,
    onEvents: log.append,
    onPositions: setPositions,
  });
  const live = tailCtl.tail.mode === 'live';

  const pos = useQuery({
    queryKey: ['events.positions', connectionId],
    queryFn: ({ signal }) => client.invoke('events.positions', { connectionId }, { signal }),
    refetchInterval: live ? false : 5000,
    enabled: detect.data?.kind != null,
  });
  const shown = live && positions ? positions : pos.data ?? positions;

  const changeScope = useCallback((s: PageScope) => { setScope(s); setAnchor({ kind: 'head' }); setSelected(null); }, []);
  const jumpTo = useCallback((a: PageAnchor) => { tailCtl.stop(); setAnchor(a); }, [tailCtl]);
  const openEvent = useCallback((p: string) => { setSelected(p); }, []);
  useEffect(() => { if (!onlyTypes && tailCtl.tail.mode !== 'off') tailCtl.stop(); }, [onlyTypes, tailCtl]);

  const scopeLabel = useMemo(() => scope.kind === 'all' ? 'Global log' : scope.kind === 'category' ? `Category ${scope.category}` : `Stream ${scope.streamId}`, [scope]);

  if (detect.isPending) return <Loading label="Detecting the schema…" />;
  if (detect.error) return <div className="ev-pad"><ErrorBox error={detect.error} title="Could not open this event store" onRetry={() => void detect.refetch()} /></div>;
  const d = detect.data;
  if (!d.kind) {
    return (
      <div className="ev-pad">
        <div className="card">
          <h2>Unknown schema</h2>
          <p>{d.message}</p>
          {d.tables.length ? (
            <table className="table ev-small"><thead><tr><th>Table</th><th>Rows (est.)</th><th>Columns</th></tr></thead>
              <tbody>{d.tables.slice(0, 12).map((t) => <tr key={`${t.schema}.${t.name}`}><td className="mono">{t.schema}.{t.name}</td><td>{t.estimatedRows.toLocaleString('en-US')}</td><td className="mono muted">{t.columns.join(', ')}</td></tr>)}</tbody>
            </table>
          ) : null}
          <button className="btn primary ev-gap" onClick={() => setAdding(true)}>Map a table…</button>
        </div>
        {adding ? <div className="ev-gap"><ConnectionForm initialMapping={d.suggestedMapping ?? { table: '', position: '', streamId: '', version: '', type: '', payload: '', time: '' }} onAdded={() => setAdding(false)} onCancel={() => setAdding(false)} /></div> : null}
      </div>
    );
  }

  return (
    <div className="ev-body-grid">
      <Sidebar connectionId={connectionId} scope={scope} onScope={changeScope} />
      <section className="ev-center" aria-label="Events">
        <div className="ev-toolbar">
          <span className="chip accent" title={d.gapNote} data-testid="schema-chip">{d.label}</span>
          <strong className="ev-ellipsis">{scopeLabel}</strong>
          {scope.kind !== 'all' ? <button className="btn small" onClick={() => changeScope({ kind: 'all' })}>× all events</button> : null}
          <div className="spacer" />
          <Positions p={shown ?? null} note={d.gapNote} />
          <TailButton ctl={tailCtl} tailable={onlyTypes} onStart={() => { setAnchor({ kind: 'head' }); tailCtl.start(); }} />
        </div>
        <FilterBar filter={filter} onFilter={(f) => { setFilter(f); setAnchor({ kind: 'head' }); }} onJump={jumpTo} inStream={scope.kind === 'stream'} />
        <div className="ev-status muted ev-small">
          <span>{log.state.events.length.toLocaleString('en-US')} loaded{log.state.tookMs !== null ? ` · last page ${log.state.tookMs} ms` : ''}</span>
          {log.state.partial ? <span className="chip warn">filter searched up to #{log.state.scannedTo}; scroll for more</span> : null}
          {tailCtl.tail.mode !== 'off' ? <span data-testid="tail-status" className={`chip ${tailCtl.tail.state === 'reconnecting' ? 'bad' : tailCtl.tail.mode === 'paused' ? 'warn' : 'ok'}`}>{tailCtl.tail.mode === 'paused' ? 'paused' : tailCtl.tail.state}: {tailCtl.tail.status}</span> : null}
        </div>
        <EventList state={log.state} scope={scope} selected={selected} onSelect={openEvent} loadOlder={() => void log.loadOlder()} loadNewer={() => void log.loadNewer()} follow={live} />
      </section>
      {selected ? (
        <EventDetailPanel
          connectionId={connectionId}
          position={selected}
          onOpen={(p) => { setSelected(p); if (scope.kind === 'all') jumpTo({ kind: 'at', value: p }); }}
          onStream={(s) => changeScope({ kind: 'stream', streamId: s })}
          onCorrelation={(c) => { setFilter({ correlationId: c }); setAnchor({ kind: 'start' }); setScope({ kind: 'all' }); }}
          onClose={() => setSelected(null)}
        />
      ) : null}
    </div>
  );
}

function Positions({ p, note }: { p: StorePositions | null; note: string }) {
  if (!p) return null;
  const lag = p.committed && p.safe ? BigInt(p.committed) - BigInt(p.safe) : 0n;
  return (
    <div className="ev-positions" title={`${note}\nWriters in flight: ${p.writersInFlight}${p.oldestWriterSince ? `, oldest since ${p.oldestWriterSince}` : ''}`} data-testid="positions">
      <span><span className="muted">assigned</span> <b className="mono">{p.assigned ?? '—'}</b></span>
      <span><span className="muted">committed</span> <b className="mono">{p.committed ?? '—'}</b></span>
      <span><span className="muted">safe</span> <b className={`mono ${lag > 0n ? 'ev-warn' : ''}`}>{p.safe ?? '—'}</b></span>
    </div>
  );
}

function TailButton({ ctl, tailable, onStart }: { ctl: ReturnType<typeof useTail>; tailable: boolean; onStart: () => void }) {
  if (!tailable) return <button className="btn small" disabled title="The live tail follows a scope and event types; clear the other filters">● Live</button>;
  if (ctl.tail.mode === 'off') return <button className="btn small" onClick={onStart} data-testid="live">● Live</button>;
  return (
    <div className="row ev-tail">
      {ctl.tail.mode === 'live'
        ? <button className="btn small" onClick={ctl.pause} data-testid="pause">❚❚ Pause</button>
        : <button className="btn small primary" onClick={ctl.resume} data-testid="resume">▶ Resume</button>}
      <button className="btn small" onClick={ctl.stop}>Stop</button>
    </div>
  );
}
