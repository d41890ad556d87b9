import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import type { Route, RouteMatch, RoutingModel, RoutingTarget, TrafficOp } from '../../../shared/traffic/model';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { BlueGreenEditor, FaultEditor, MatchEditor, MirrorEditor, TimeoutRetriesEditor, WeightsEditor } from './editors';
import { PlanReview } from './PlanReview';
import { API_LABEL } from './labels';
import { colourIndex } from './colours';

type Tab = 'weights' | 'bluegreen' | 'ab' | 'fault' | 'mirror' | 'timeouts' | 'yaml';

const TABS: { id: Tab; label: string; needs?: keyof RoutingModel['capabilities'] }[] = [
  { id: 'weights', label: 'Weights' },
  { id: 'bluegreen', label: 'Blue-green' },
  { id: 'ab', label: 'A/B routing', needs: 'matchRoutes' },
  { id: 'fault', label: 'Fault injection', needs: 'fault' },
  { id: 'mirror', label: 'Mirror', needs: 'mirror' },
  { id: 'timeouts', label: 'Timeout & retries', needs: 'timeout' },
  { id: 'yaml', label: 'YAML' },
];

export function matchText(m: RouteMatch): string {
  const parts = [
    ...m.headers.map((h) => `${h.name} ${h.match.type === 'exact' ? '=' : h.match.type === 'prefix' ? '^=' : '~'} ${h.match.value}`),
    ...m.cookies.map((c) => `cookie ${c.name}=${c.value}`),
    ...(m.uri ? [`uri ${m.uri.type} ${m.uri.value}`] : []),
    ...m.other.map((o) => `+${o}`),
  ];
  return parts.join(' & ') || 'everything';
}

function RouteRow({ r, model, selected, onSelect }: { r: Route; model: RoutingModel; selected: boolean; onSelect(): void }) {
  const colour = colourIndex(model);
  const total = r.destinations.reduce((a, d) => a + d.effectiveWeight, 0) || 1;
  return (
    <tr className={selected ? 'selected' : ''} onClick={onSelect} data-testid={`route-row-${r.index}`}>
      <td>
        <input type="radio" name="route" checked={selected} onChange={onSelect} aria-label={`Edit route ${r.index}`} />
      </td>
      <td>
        <div className="row" style={{ gap: 6 }}>
          <strong>{r.name ?? `#${r.index}`}</strong>
          {r.isDefault ? <span className="chip accent">default</span> : null}
        </div>
      </td>
      <td className="small">{r.matches.length === 0 ? <span className="muted">everything</span> : r.matches.map((m, i) => <div key={i} className="mono">{matchText(m)}</div>)}</td>
      <td>
        <div className="split-bar" aria-hidden>
          {r.destinations.map((d) => (
            <span key={d.name} style={{ flexGrow: d.effectiveWeight, background: `var(--split-${colour(d.name)})` }} title={`${d.name}: ${d.effectiveWeight}`} />
          ))}
        </div>
        <div className="small mono">
          {r.destinations.map((d) => `${d.name} ${model.capabilities.weightsSumTo100 ? d.effectiveWeight : `${Math.round((d.effectiveWeight / total) * 100)}%`}`).join(' · ')}
        </div>
      </td>
      <td className="small">
        {[
          r.fault?.delay ? `delay ${r.fault.delay.fixedDelay} @${r.fault.delay.percent}%` : '',
          r.fault?.abort ? `abort ${r.fault.abort.httpStatus} @${r.fault.abort.percent}%` : '',
          r.mirror ? `mirror → ${r.mirror.destination} @${r.mirror.percent}%` : '',
          r.timeout ? `timeout ${r.timeout}` : '',
          r.retries ? `retries ${r.retries.attempts}${r.retries.perTryTimeout ? `×${r.retries.perTryTimeout}` : ''}` : '',
        ]
          .filter(Boolean)
          .map((t) => <div key={t}>{t}</div>)}
        {r.unmanaged.length ? <div className="muted" title="Kept exactly as they are">kept: {r.unmanaged.join(', ')}</div> : null}
      </td>
    </tr>
  );
}

export function ServicePanel({ contextId, namespace, target }: { contextId: string; namespace: string; target: RoutingTarget }) {
  const client = useClient();
  const [tab, setTab] = useState<Tab>('weights');
  const [routeSel, setRouteSel] = useState<number | null>(null);
  const [op, setOp] = useState<TrafficOp | null>(null);
  const object = { kind: target.object.kind as 'VirtualService' | 'HTTPRoute' | 'TrafficSplit', name: target.object.name };
  const state = useQuery({
    queryKey: ['traffic.get', contextId, namespace, target.service, object.kind, object.name],
    queryFn: ({ signal }) => client.invoke('traffic.get', { contextId, namespace, service: target.service, object }, { signal }),
    retry: false,
  });

  if (state.isLoading) return <div className="card"><Loading label={`Reading ${target.object.kind} ${target.object.name}…`} /></div>;
  if (state.error || !state.data) return <ErrorBox error={state.error} title={`Could not read the routing of ${target.service}`} onRetry={() => void state.refetch()} />;
  const { model, owners, objects } = state.data;
  const routeIndex = routeSel ?? model.defaultRoute;
  const route = routeIndex !== null ? (model.routes[routeIndex] ?? null) : null;
  const sel = routeSel !== null && routeSel !== model.defaultRoute ? routeSel : undefined;
  const plan = (o: TrafficOp) => setOp(o);

  return (
    <div className="traffic-service">
      <div className="card">
        <div className="row" style={{ justifyContent: 'space-between' }}>
          <div>
            <h2 style={{ margin: 0 }} data-testid="traffic-service-title">{model.service}</h2>
            <div className="muted small">
              {API_LABEL[model.api]} · {model.object.kind} {model.object.namespace}/{model.object.name} · resourceVersion <span className="mono">{model.resourceVersion}</span>
            </div>
          </div>
          <button className="btn small" onClick={() => void state.refetch()} disabled={state.isFetching}>{state.isFetching ? 'Reading…' : '↻ Re-read'}</button>
        </div>
        {owners.length ? (
          <div className="owner-banner" role="alert" data-testid="owner-banner">
            <strong>Managed by {owners.map((o) => o.controller).join(' and ')}</strong>
            {owners.map((o) => (
              <div key={o.controller}>
                {o.message} <span className="muted small">({o.evidence})</span>
              </div>
            ))}
          </div>
        ) : null}
        {model.notes.length ? (
          <ul className="notes">
            {model.notes.map((n) => <li key={n}>{n}</li>)}
          </ul>
        ) : null}
        <table className="table routes-table">
          <thead>
            <tr>
              <th />
              <th>Route</th>
              <th>Matches</th>
              <th>Split</th>
              <th>Policies</th>
            </tr>
          </thead>
          <tbody>
            {model.routes.map((r) => (
              <RouteRow key={r.index} r={r} model={model} selected={r.index === routeIndex} onSelect={() => { setRouteSel(r.index); setOp(null); }} />
            ))}
          </tbody>
        </table>
        {model.routes.length === 0 ? <Empty title="No HTTP routes in this object" /> : null}
      </div>

      <div className="card">
        <div className="tabs" role="tablist">
          {TABS.map((t) => {
            const off = t.needs ? !model.capabilities[t.needs] : false;
            return (
              <button
                key={t.id}
                role="tab"
                aria-selected={tab === t.id}
                className={tab === t.id ? 'active' : ''}
                data-testid={`tab-${t.id}`}
                disabled={off}
                title={off ? `${model.object.kind} does not support this` : undefined}
                onClick={() => { setTab(t.id); setOp(null); }}
              >
                {t.label}
              </button>
            );
          })}
        </div>
        <div className="tab-body">
          {tab === 'yaml' ? (
            objects.map((o) => (
              <details key={`${o.ref.kind}/${o.ref.name}`} open={o.ref.kind === model.object.kind}>
                <summary className="mono">{o.ref.kind} {o.ref.namespace}/{o.ref.name}</summary>
                <pre className="yaml-view">{o.yaml}</pre>
              </details>
            ))
          ) : !route && tab !== 'ab' ? (
            <Empty title="Pick a route to edit" />
          ) : tab === 'weights' && route ? (
            <WeightsEditor key={route.index} model={model} route={route} sel={sel} onPlan={plan} />
          ) : tab === 'bluegreen' && route ? (
            <BlueGreenEditor key={route.index} model={model} route={route} sel={sel} onPlan={plan} />
          ) : tab === 'ab' ? (
            <MatchEditor model={model} onPlan={plan} />
          ) : tab === 'fault' && route ? (
            <FaultEditor key={route.index} model={model} route={route} sel={sel} onPlan={plan} />
          ) : tab === 'mirror' && route ? (
            <MirrorEditor key={route.index} model={model} route={route} sel={sel} onPlan={plan} />
          ) : tab === 'timeouts' && route ? (
            <TimeoutRetriesEditor key={route.index} model={model} route={route} sel={sel} onPlan={plan} />
          ) : null}
        </div>
      </div>

      {op ? (
        <PlanReview
          key={JSON.stringify(op)}
          request={{ contextId, namespace, service: target.service, object, op }}
          onDone={() => void state.refetch()}
          onClose={() => setOp(null)}
        />
      ) : null}
    </div>
  );
}
