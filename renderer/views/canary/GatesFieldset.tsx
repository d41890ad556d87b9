import { useQuery } from '@tanstack/react-query';
import type { UseQueryResult } from '@tanstack/react-query';
import type { CanarySpecInput } from '../../../shared/canary/spec';
import type { EventStoreConnectionInfo } from '../../../shared/contract/events';
import type { ProjectionRow } from '../../../shared/contract/projections';
import { useClient } from '../../app/ClientContext';
import { ErrorBox } from '../../components/States';

/**
 * The form's "Event-store gates": projection lag ≤ N events (one row per projection) and a saga
 * failure rate ≤ X % over a window, all on one event store connection. The drafts are strings, as
 * typed; the spec's zod schema judges them, and its issues come back here by field.
 */
export interface GatesDraft {
  /** '' = the first connection. */
  connectionId: string;
  lag: { projection: string; maxLag: string }[];
  saga: { on: boolean; maxPercent: string; windowSec: string; minFinished: string };
}

export const EMPTY_GATES: GatesDraft = { connectionId: '', lag: [], saga: { on: false, maxPercent: '5', windowSec: '900', minFinished: '1' } };

type GateInput = NonNullable<CanarySpecInput['analysis']['gates']>[number];

const num = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));

/** The spec's gates for a draft: lag gates first, then the saga gate (its index is lag.length). */
export function gatesInput(d: GatesDraft, connectionId: string): GateInput[] {
  const out: GateInput[] = d.lag.map((g) => ({ kind: 'projectionLag', connectionId, projection: g.projection, maxLag: num(g.maxLag) }));
  if (d.saga.on) out.push({ kind: 'sagaFailureRate', connectionId, maxPercent: num(d.saga.maxPercent), windowSec: num(d.saga.windowSec), minFinished: num(d.saga.minFinished) });
  return out;
}

export function useGateStores(): UseQueryResult<EventStoreConnectionInfo[]> {
  const client = useClient();
  return useQuery({ queryKey: ['events.connections'], queryFn: ({ signal }) => client.invoke('events.connections', {}, { signal }) });
}

const lagText = (p: ProjectionRow) => (p.lagEvents === null ? 'lag unknown' : p.lagEvents === 0 ? 'caught up' : `${p.lagEvents.toLocaleString()} behind`);

export function GatesFieldset({ draft, onChange, connectionId, stores, issues }: {
  draft: GatesDraft;
  onChange: (d: GatesDraft) => void;
  /** The connection the gates use (the draft's, or the first). */
  connectionId: string;
  stores: UseQueryResult<EventStoreConnectionInfo[]>;
  /** Zod issues of analysis.gates, keyed `<index>.<field>` (`<index>` alone for the gate itself). */
  issues: Record<string, string>;
}) {
  const client = useClient();
  const overview = useQuery({
    queryKey: ['projections.overview', 'canary-gates', connectionId],
    queryFn: ({ signal }) => client.invoke('projections.overview', { connectionId }, { signal }),
    // Asked as soon as a store is known, so "+ Projection lag" can preselect the laggard.
    enabled: !!connectionId,
    staleTime: 15_000,
  });
  const list = stores.data ?? [];
  const projections = overview.data?.projections ?? [];
  const setLag = (i: number, patch: Partial<GatesDraft['lag'][number]>) => onChange({ ...draft, lag: draft.lag.map((g, j) => (j === i ? { ...g, ...patch } : g)) });
  const addLag = () => {
    const used = new Set(draft.lag.map((g) => g.projection));
    // The laggard is the likeliest reason to gate; then any projection not gated yet.
    const laggard = overview.data?.laggard;
    const next = (laggard && !used.has(laggard) ? laggard : projections.find((p) => !used.has(p.name))?.name) ?? '';
    onChange({ ...draft, lag: [...draft.lag, { projection: next, maxLag: '1000' }] });
  };
  const err = (key: string) => (issues[key] ? <span className="field-error">{issues[key]}</span> : null);
  const sagaIndex = draft.lag.length;

  return (
    <fieldset data-testid="gates">
      <legend>Event-store gates (checked every interval with the others)</legend>
      {stores.error ? <ErrorBox error={stores.error} title="Could not list the event stores" /> : null}
      {stores.data && list.length === 0 ? (
        <div className="hint">No event store connection: add one on the <a href="#/events">Events</a> page to gate on projection lag or saga failures.</div>
      ) : null}
      {list.length > 0 ? (
        <>
          <div className="form-grid">
            <label className="field">Event store
              <select className="input" value={connectionId} onChange={(e) => onChange({ ...draft, connectionId: e.target.value })} data-testid="gate-store">
                {list.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
              </select>
            </label>
          </div>
          {draft.lag.map((g, i) => {
            const known = projections.some((p) => p.name === g.projection);
            // Without the overview (or for a projection it does not list) the name is typed.
            const typed = !overview.data || projections.length === 0;
            return (
              <div className="gate-row" key={i} data-testid={`lag-gate-${i}`}>
                <label className="field">Projection
                  {typed ? (
                    <input className="input mono" value={g.projection} onChange={(e) => setLag(i, { projection: e.target.value })} placeholder={overview.isLoading ? 'Loading projections…' : 'projection name'} data-testid={`lag-gate-projection-${i}`} />
                  ) : (
                    <select className="input" value={g.projection} onChange={(e) => setLag(i, { projection: e.target.value })} data-testid={`lag-gate-projection-${i}`}>
                      {!known ? <option value={g.projection}>{g.projection || 'Pick a projection…'}</option> : null}
                      {projections.map((p) => <option key={p.name} value={p.name}>{p.name} — {lagText(p)}</option>)}
                    </select>
                  )}
                  {err(`${i}.projection`)}
                </label>
                <label className="field">Max lag (events)
                  <input className="input" inputMode="numeric" value={g.maxLag} onChange={(e) => setLag(i, { maxLag: e.target.value })} data-testid={`lag-gate-max-${i}`} />
                  {err(`${i}.maxLag`)}
                </label>
                <button type="button" className="btn small" onClick={() => onChange({ ...draft, lag: draft.lag.filter((_, j) => j !== i) })} aria-label={`Remove the lag gate on ${g.projection || 'this projection'}`}>Remove</button>
              </div>
            );
          })}
          {overview.error && draft.lag.length > 0 ? <div className="hint" style={{ marginTop: 6 }}>Could not list the projections ({(overview.error as Error).message}); type the name.</div> : null}
          <div className="row" style={{ marginTop: 10 }}>
            <button type="button" className="btn small" onClick={addLag} disabled={draft.lag.length >= 9} data-testid="add-lag-gate">+ Projection lag ≤ N events</button>
          </div>
          <div style={{ marginTop: 10 }}>
            <label className="radio"><input type="checkbox" checked={draft.saga.on} onChange={(e) => onChange({ ...draft, saga: { ...draft.saga, on: e.target.checked } })} data-testid="saga-gate" /> Saga failure rate ≤ X % (failed / finished sagas in the window)</label>
            {draft.saga.on ? (
              <div className="form-grid" style={{ marginTop: 8 }}>
                <label className="field">Max failure rate (%)
                  <input className="input" inputMode="decimal" value={draft.saga.maxPercent} onChange={(e) => onChange({ ...draft, saga: { ...draft.saga, maxPercent: e.target.value } })} data-testid="saga-max" />
                  {err(`${sagaIndex}.maxPercent`)}
                </label>
                <label className="field">Window (seconds)
                  <input className="input" inputMode="numeric" value={draft.saga.windowSec} onChange={(e) => onChange({ ...draft, saga: { ...draft.saga, windowSec: e.target.value } })} data-testid="saga-window" />
                  {err(`${sagaIndex}.windowSec`)}
                </label>
                <label className="field">Minimum finished sagas
                  <input className="input" inputMode="numeric" value={draft.saga.minFinished} onChange={(e) => onChange({ ...draft, saga: { ...draft.saga, minFinished: e.target.value } })} data-testid="saga-min-finished" />
                  {err(`${sagaIndex}.minFinished`)}
                </label>
              </div>
            ) : null}
            {err(`${sagaIndex}.connectionId`)}
          </div>
          {draft.lag.length || draft.saga.on ? (
            <div className="hint" style={{ marginTop: 8 }}>An unknown projection or too few finished sagas is "no data"; an unreachable store is an error: both follow the no-data policy below.</div>
          ) : null}
        </>
      ) : null}
    </fieldset>
  );
}
