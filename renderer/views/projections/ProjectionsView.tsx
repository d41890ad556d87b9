import { useState } from 'react';
import type { ReactNode } from 'react';
import { useSubscription } from '../../app/ClientContext';
import type { ProjectionRow, ProjectionsOverview } from '../../../shared/contract/projections';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { ConsistencyPanel } from './ConsistencyPanel';
import { IdempotencyPanel } from './IdempotencyPanel';
import { OwnerPanel } from './OwnerPanel';
import { StorePicker, useStoreChoice } from './StorePicker';
import { Sparkline, TrendChart } from './TrendChart';
import { fmtAgo, fmtCount, fmtDuration, fmtEta, fmtRate, statusClass } from './format';
import './projections.css';

const STALL_CHOICES = [30, 60, 300, 900];

/** Projection lag for every checkpoint of the store, live; idempotency keys; consistency checks. */
export default function ProjectionsView() {
  const store = useStoreChoice();
  if (store.pending) return <div className="page"><Loading label="Loading event stores…" /></div>;
  if (store.error) return <div className="page"><ErrorBox error={store.error} title="Event stores" onRetry={store.refetch} /></div>;
  if (!store.list?.length || !store.current) {
    return (
      <div className="page">
        <h1>Projections</h1>
        <Empty title="No event store yet">Add a Postgres event store on the <a href="#/events">Events</a> page, or start the demo with <code>npm run demo</code>.</Empty>
      </div>
    );
  }
  return <StoreProjections key={store.current.id} connectionId={store.current.id} picker={<StorePicker list={store.list} current={store.current} onChoose={store.choose} />} />;
}

function StoreProjections({ connectionId, picker }: { connectionId: string; picker: ReactNode }) {
  const [stallAfterSec, setStall] = useState(60);
  const [ov, setOv] = useState<ProjectionsOverview | null>(null);
  const [pushError, setPushError] = useState<{ message: string; code: string } | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const sub = useSubscription('projections.watch', { connectionId, intervalSec: 2, stallAfterSec, rateWindowSec: 60 }, (e) => {
    if (e.kind === 'overview') { setOv(e.overview); setPushError(null); } else setPushError({ message: e.message, code: e.code });
  });
  const error = sub.error ?? pushError;
  const chosen = ov?.projections.find((p) => p.name === (selected ?? ov.laggard)) ?? ov?.projections[0] ?? null;

  return (
    <div className="page pj-page">
      <header className="pj-head">
        <h1>Projections</h1>
        {picker}
        {ov?.label ? <span className="chip accent" title={ov.sources.map((s) => `${s.table}: ${s.note}`).join('\n')} data-testid="pj-source">{ov.label}{ov.sources[0] ? ` · ${ov.sources[0].table}` : ''}</span> : null}
        <div className="spacer" />
        {ov ? (
          <div className="pj-positions" data-testid="pj-positions">
            <span><span className="muted">head</span> <b className="mono">{ov.head ?? '—'}</b></span>
            <span title="Every event at or below it is committed or will never exist"><span className="muted">safe</span> <b className="mono">{ov.safe ?? '—'}</b></span>
          </div>
        ) : null}
        <label className="row pj-small muted">stalled after
          <select className="input" aria-label="Stalled after" value={stallAfterSec} onChange={(e) => setStall(Number(e.target.value))}>
            {STALL_CHOICES.map((s) => <option key={s} value={s}>{fmtDuration(s)}</option>)}
          </select>
        </label>
      </header>
      <p className="sub">Checkpoint against head for every projection, processor or consumer; rate and ETA from meshdeck's own samples (every 2 s), so they need a few refreshes. {ov ? <span className="muted">Updated {new Date(ov.at).toLocaleTimeString()} · {ov.tookMs} ms</span> : null}</p>
      <OwnerPanel connectionId={connectionId} />
      {error ? <ErrorBox error={error} title={ov ? 'The last refresh failed (showing the one before)' : 'Could not read the projections'} /> : null}
      {!ov && !error ? <Loading label="Reading checkpoints…" /> : null}
      {ov ? (
        <>
          {ov.notes.length ? <div className="pj-notes">{ov.notes.map((n) => <div key={n} className="muted">Note: {n}</div>)}</div> : null}
          {ov.projections.length === 0 ? (
            <Empty title="No projections found">{ov.notes[0] ?? 'This store has no checkpoints yet.'}</Empty>
          ) : (
            <>
              <ProjectionTable rows={ov.projections} laggard={ov.laggard} selected={chosen?.name ?? null} onSelect={setSelected} />
              {chosen ? (
                <section className="card pj-detail" aria-label="Lag trend" data-testid="pj-detail">
                  <div className="row">
                    <h2>{chosen.name}</h2>
                    <span className={`chip ${statusClass(chosen.status)}`}>{chosen.status}</span>
                    <div className="spacer" />
                    <span className="muted pj-small">{fmtCount(chosen.lagEvents)} behind · {fmtDuration(chosen.lagSeconds)} · rate {fmtRate(chosen.rate)} (head {fmtRate(chosen.headRate)}) · ETA {fmtEta(chosen)}</span>
                  </div>
                  <TrendChart samples={chosen.trend} />
                  <div className="pj-facts pj-small">
                    <span><span className="muted">store status</span> {chosen.storeStatus ?? '—'}</span>
                    <span><span className="muted">row updated</span> {fmtAgo(chosen.lastUpdated)}</span>
                    <span><span className="muted">checkpoint</span> {chosen.unchangedSince && Date.parse(ov.at) - Date.parse(chosen.unchangedSince) >= 5000 ? `unchanged since ${fmtAgo(chosen.unchangedSince)}` : chosen.lagEvents ? 'moving' : 'at the head'}</span>
                    {chosen.error ? <span className="pj-bad">{chosen.error}</span> : null}
                  </div>
                </section>
              ) : null}
            </>
          )}
        </>
      ) : null}
      <div className="grid2 pj-panels">
        <IdempotencyPanel connectionId={connectionId} />
        <ConsistencyPanel connectionId={connectionId} />
      </div>
    </div>
  );
}

function ProjectionTable({ rows, laggard, selected, onSelect }: { rows: ProjectionRow[]; laggard: string | null; selected: string | null; onSelect: (n: string) => void }) {
  return (
    <div className="pj-table-wrap">
      <table className="table pj-table" data-testid="pj-table">
        <thead>
          <tr>
            <th>Projection</th><th>Status</th><th className="num">Checkpoint</th><th className="num">Head</th><th className="num">Safe</th>
            <th className="num">Lag (events)</th><th className="num">Lag (time)</th><th className="num">Rate</th><th>ETA</th><th>Trend</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name} data-name={r.name} className={`${r.name === laggard ? 'pj-laggard' : ''} ${r.name === selected ? 'pj-selected' : ''}`}
              onClick={() => onSelect(r.name)} tabIndex={0} onKeyDown={(e) => { if (e.key === 'Enter') onSelect(r.name); }} aria-selected={r.name === selected}>
              <td>
                <div className="pj-name">
                  <span className="mono">{r.name}</span>
                  {r.name === laggard ? <span className="chip warn" data-testid="laggard">laggard</span> : null}
                </div>
              </td>
              <td><span className={`chip ${statusClass(r.status)}`} title={r.error ?? r.storeStatus ?? ''}>{r.status}</span></td>
              <td className="num mono">{r.checkpoint ?? '—'}</td>
              <td className="num mono">{r.head ?? '—'}</td>
              <td className="num mono muted">{r.safe ?? '—'}</td>
              <td className="num mono">{fmtCount(r.lagEvents)}</td>
              <td className="num">{fmtDuration(r.lagSeconds)}</td>
              <td className="num">{fmtRate(r.rate)}</td>
              <td data-testid="eta" className={r.etaNote === 'falling-behind' || r.etaNote === 'not-moving' ? 'pj-warn' : ''}>{fmtEta(r)}</td>
              <td><Sparkline samples={r.trend.slice(-40)} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
