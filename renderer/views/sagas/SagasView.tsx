import { useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useClient } from '../../app/ClientContext';
import { useRoute } from '../../app/router';
import { SAGA_FILTERS } from '../../../shared/contract/projections';
import type { SagaFilter, SagaSummary, TimelineEntry } from '../../../shared/contract/projections';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { StorePicker, useStoreChoice } from '../projections/StorePicker';
import { fmtAgo, fmtCount, fmtDuration } from '../projections/format';
import '../projections/projections.css';
import './sagas.css';

const ROW = 34;
const STUCK_CHOICES = [60, 300, 900, 3600];
const FILTER_LABEL: Record<SagaFilter, string> = { all: 'All', running: 'Running', compensating: 'Compensating', failed: 'Failed', completed: 'Completed', stuck: 'Stuck' };
const COUNT_KEY: Record<SagaFilter, string | null> = { all: null, running: 'RUNNING', compensating: 'COMPENSATING', failed: 'FAILED', completed: 'COMPLETED', stuck: 'stuck' };

export function sagaStatusClass(s: SagaSummary): string {
  if (s.stuck) return 'bad';
  switch (s.status) {
    case 'COMPLETED': return 'ok';
    case 'FAILED': return 'bad';
    case 'COMPENSATING': return 'warn';
    case 'RUNNING': return 'accent';
    default: return '';
  }
}

/** Saga instances with filters and a timeline of one saga joined with its correlated events. */
export default function SagasView() {
  const store = useStoreChoice();
  if (store.pending) return <div className="page"><Loading label="Loading event stores…" /></div>;
  if (store.error) return <div className="page"><ErrorBox error={store.error} title="Event stores" onRetry={store.refetch} /></div>;
  if (!store.list?.length || !store.current) {
    return <div className="page"><h1>Sagas</h1><Empty title="No event store yet">Add a Postgres event store on the <a href="#/events">Events</a> page, or start the demo with <code>npm run demo</code>.</Empty></div>;
  }
  return <StoreSagas key={store.current.id} connectionId={store.current.id} picker={<StorePicker list={store.list} current={store.current} onChoose={store.choose} />} />;
}

function StoreSagas({ connectionId, picker }: { connectionId: string; picker: ReactNode }) {
  const client = useClient();
  const route = useRoute();
  const initial = route.params.get('filter') as SagaFilter | null;
  const [filter, setFilter] = useState<SagaFilter>(initial && (SAGA_FILTERS as readonly string[]).includes(initial) ? initial : 'all');
  const [stuckAfterSec, setStuck] = useState(300);
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const [open, setOpen] = useState<{ source: 'classic' | 'axon'; sagaId: string } | null>(null);

  const list = useInfiniteQuery({
    queryKey: ['projections.sagas', connectionId, filter, stuckAfterSec, applied],
    queryFn: ({ signal, pageParam }) => client.invoke('projections.sagas', { connectionId, filter, stuckAfterSec, search: applied, limit: 300, ...(pageParam ? { cursor: pageParam } : {}) }, { signal }),
    initialPageParam: '' as string,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 10_000,
  });
  const sagas = useMemo(() => list.data?.pages.flatMap((p) => p.sagas) ?? [], [list.data]);
  const head = list.data?.pages[0];

  return (
    <div className="sg-page">
      <header className="sg-top">
        <h1>Sagas</h1>
        {picker}
        {head?.sources.map((s) => <span key={s.kind} className="chip accent" title={s.note}>{s.kind === 'axon' ? 'Axon' : 'saga_state'} · {s.table}</span>)}
        <div className="spacer" />
        <label className="row pj-small muted">stuck after
          <select className="input" aria-label="Stuck after" value={stuckAfterSec} onChange={(e) => setStuck(Number(e.target.value))}>
            {STUCK_CHOICES.map((s) => <option key={s} value={s}>{fmtDuration(s)}</option>)}
          </select>
        </label>
      </header>
      <div className="sg-filters">
        <div className="sg-seg" role="tablist" aria-label="Filter">
          {SAGA_FILTERS.map((f) => {
            const key = COUNT_KEY[f];
            const n = key ? head?.counts[key] : head ? Object.entries(head.counts).filter(([k]) => k !== 'stuck').reduce((s, [, v]) => s + v, 0) : undefined;
            return (
              <button key={f} role="tab" aria-selected={filter === f} className={`${filter === f ? 'on' : ''} ${f === 'stuck' && n ? 'sg-stuck' : ''}`} onClick={() => setFilter(f)}>
                {FILTER_LABEL[f]}{n !== undefined ? <span className="sg-n">{head?.countsExact ? '' : '≈'}{fmtCount(n)}</span> : null}
              </button>
            );
          })}
        </div>
        <form className="row" onSubmit={(e) => { e.preventDefault(); setApplied(search.trim()); }}>
          <input className="input sg-search" aria-label="Search sagas" placeholder="saga type, id or correlation prefix" value={search} onChange={(e) => setSearch(e.target.value)} />
          <button className="btn small" type="submit">Search</button>
          {applied ? <button className="btn small" type="button" onClick={() => { setSearch(''); setApplied(''); }}>× clear</button> : null}
        </form>
      </div>
      <div className="sg-body">
        <section className="sg-list-pane" aria-label="Sagas">
          {list.isPending ? <Loading label="Reading sagas…" /> : list.error ? <div className="ev-pad"><ErrorBox error={list.error} onRetry={() => void list.refetch()} /></div>
            : sagas.length === 0 ? <Empty title={head?.sources.length ? `No ${filter === 'all' ? '' : `${FILTER_LABEL[filter].toLowerCase()} `}sagas` : 'No saga tables'}>{head?.notes[0] ?? (filter === 'stuck' ? `Nothing has been idle for more than ${fmtDuration(stuckAfterSec)}.` : 'Try another filter.')}</Empty>
            : <SagaList sagas={sagas} open={open?.sagaId ?? null} onOpen={(s) => setOpen({ source: s.source, sagaId: s.sagaId })} hasMore={list.hasNextPage} loadMore={() => void list.fetchNextPage()} loadingMore={list.isFetchingNextPage} />}
          {head ? <div className="sg-foot muted pj-small">{fmtCount(sagas.length)} shown · {head.tookMs} ms{head.notes.length ? ` · ${head.notes.join(' ')}` : ''}</div> : null}
        </section>
        {open ? <Timeline connectionId={connectionId} source={open.source} sagaId={open.sagaId} stuckAfterSec={stuckAfterSec} onClose={() => setOpen(null)} /> : (
          <section className="sg-detail sg-detail-empty"><Empty title="Pick a saga">Its timeline joins the saga's steps with every event that carries its correlation id; failures and compensations are marked.</Empty></section>
        )}
      </div>
    </div>
  );
}

function SagaList({ sagas, open, onOpen, hasMore, loadMore, loadingMore }: { sagas: SagaSummary[]; open: string | null; onOpen: (s: SagaSummary) => void; hasMore: boolean; loadMore: () => void; loadingMore: boolean }) {
  const parent = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is the chosen virtualiser; this list needs no compiler memoisation
  const v = useVirtualizer({ count: sagas.length, getScrollElement: () => parent.current, estimateSize: () => ROW, overscan: 10 });
  const items = v.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;
  // Near the end of what is loaded: fetch the next keyset page.
  useEffect(() => { if (hasMore && !loadingMore && lastIndex >= sagas.length - 20) loadMore(); }, [lastIndex, hasMore, loadingMore, sagas.length, loadMore]);
  return (
    <div className="sg-list" ref={parent} data-testid="saga-list">
      <div className="sg-list-head"><span>Saga</span><span>Type</span><span>Status</span><span>Step</span><span>Idle</span></div>
      <div style={{ height: v.getTotalSize(), position: 'relative' }}>
        {items.map((it) => {
          const s = sagas[it.index]!;
          return (
            <div key={`${s.source}:${s.sagaId}`} className={`sg-row ${open === s.sagaId ? 'selected' : ''}`} style={{ transform: `translateY(${it.start}px)`, height: ROW }}
              onClick={() => onOpen(s)} role="button" tabIndex={0} onKeyDown={(e) => { if (e.key === 'Enter') onOpen(s); }} data-saga={s.sagaId} data-stuck={s.stuck ? 'true' : 'false'}>
              <span className="mono ev-ellipsis" title={s.sagaId}>{s.sagaId}</span>
              <span className="ev-ellipsis" title={s.sagaType}>{s.sagaType.replace(/^.*\./, '')}</span>
              <span><span className={`chip ${sagaStatusClass(s)}`}>{s.stuck ? `${s.status} · stuck` : s.status}</span></span>
              <span className="mono ev-ellipsis">{s.currentStep ?? (s.associations?.map((a) => `${a.key}=${a.value}`).join(', ') || '—')}</span>
              <span className={s.stuck ? 'pj-bad' : 'muted'}>{s.idleSeconds === null ? '—' : fmtDuration(s.idleSeconds)}</span>
            </div>
          );
        })}
      </div>
      {loadingMore ? <div className="muted pj-small sg-more">Loading more…</div> : null}
    </div>
  );
}

const KIND_ICON: Record<TimelineEntry['kind'], string> = { start: '▶', step: '●', failure: '✕', compensation: '↺', completion: '✓', pending: '…', event: '•' };

function Timeline({ connectionId, source, sagaId, stuckAfterSec, onClose }: { connectionId: string; source: 'classic' | 'axon'; sagaId: string; stuckAfterSec: number; onClose: () => void }) {
  const client = useClient();
  const q = useQuery({
    queryKey: ['projections.saga', connectionId, source, sagaId, stuckAfterSec],
    queryFn: ({ signal }) => client.invoke('projections.saga', { connectionId, source, sagaId, stuckAfterSec }, { signal }),
    refetchInterval: 10_000,
  });
  const [showState, setShowState] = useState(false);
  return (
    <aside className="sg-detail" aria-label="Saga timeline" data-testid="saga-timeline">
      <div className="sg-detail-head">
        <strong className="mono ev-ellipsis" title={sagaId}>{sagaId}</strong>
        <div className="spacer" />
        <button className="btn small" onClick={onClose} aria-label="Close timeline">×</button>
      </div>
      {q.isPending ? <Loading label="Reading the saga…" /> : q.error ? <div className="ev-pad"><ErrorBox error={q.error} onRetry={() => void q.refetch()} /></div> : (
        <div className="sg-detail-body">
          <dl className="ev-facts">
            <dt>Type</dt><dd>{q.data.saga.sagaType}</dd>
            <dt>Status</dt><dd><span className={`chip ${sagaStatusClass(q.data.saga)}`}>{q.data.saga.status}{q.data.saga.stuck ? ' · stuck' : ''}</span></dd>
            <dt>Step</dt><dd className="mono">{q.data.saga.currentStep ?? '—'}</dd>
            <dt>Correlation</dt><dd className="mono pj-break">{q.data.saga.correlationId ?? '—'}</dd>
            <dt>Started</dt><dd>{q.data.saga.startedAt ? `${new Date(q.data.saga.startedAt).toLocaleString()} (${fmtAgo(q.data.saga.startedAt)})` : '—'}</dd>
            <dt>Updated</dt><dd>{q.data.saga.updatedAt ? `${new Date(q.data.saga.updatedAt).toLocaleString()} (${fmtAgo(q.data.saga.updatedAt)})` : '—'}</dd>
            {q.data.saga.associations?.length ? <><dt>Associations</dt><dd className="mono">{q.data.saga.associations.map((a) => `${a.key}=${a.value}`).join(', ')}</dd></> : null}
          </dl>
          <div className="muted pj-small">Joined on <code>{q.data.joinedOn}</code>{q.data.truncated ? ' · first 500 events' : ''} · {q.data.tookMs} ms</div>
          {q.data.timeline.length === 0 ? <Empty title="No correlated events">No event carries this saga's correlation id.</Empty> : (
            <ol className="sg-timeline" data-testid="timeline">
              {q.data.timeline.map((e, i) => (
                <li key={`${i}:${e.position ?? e.title}`} className={`sg-t sg-${e.kind}`} data-kind={e.kind}>
                  <span className="sg-dot" aria-hidden>{KIND_ICON[e.kind]}</span>
                  <div className="sg-t-body">
                    <div className="row sg-t-title">
                      <strong>{e.title}</strong>
                      {e.kind === 'compensation' ? <span className="chip warn">compensation</span> : null}
                      {e.kind === 'failure' ? <span className="chip bad">failure</span> : null}
                      {e.kind === 'pending' ? <span className="chip">{q.data.saga.stuck ? 'no progress' : 'pending'}</span> : null}
                      <div className="spacer" />
                      {e.gapSeconds !== null && i > 0 ? <span className="muted pj-small">+{fmtDuration(e.gapSeconds)}</span> : null}
                    </div>
                    {e.kind !== 'pending' ? (
                      <div className="muted pj-small sg-t-meta">
                        <span className="mono">{e.streamId}</span>{e.position ? <span className="mono"> #{e.position}</span> : null}{e.at ? <span> · {new Date(e.at).toLocaleString()}</span> : null}
                      </div>
                    ) : <div className="muted pj-small">idle for {fmtDuration(e.gapSeconds)}</div>}
                    {e.preview ? <div className="mono pj-small sg-preview">{e.preview}</div> : null}
                  </div>
                </li>
              ))}
            </ol>
          )}
          {q.data.state ? (
            <div>
              <button className="btn small" onClick={() => setShowState((x) => !x)}>{showState ? 'Hide' : 'Show'} saga state</button>
              {showState ? <pre className="ev-pre">{pretty(q.data.state)}</pre> : null}
            </div>
          ) : null}
        </div>
      )}
    </aside>
  );
}

function pretty(s: string): string {
  try { return JSON.stringify(JSON.parse(s), null, 2); } catch { return s; }
}
