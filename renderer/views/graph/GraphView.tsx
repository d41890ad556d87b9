import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import { routeHref, useRoute } from '../../app/router';
import type { GraphOptionsInput } from '../../../shared/contract/graph';
import { tryParseExpr } from '../../../shared/graph/expr';
import { GRAPH_TYPES, GRAPH_WINDOWS } from '../../../shared/graph/types';
import { DEFAULT_THRESHOLDS } from '../../../shared/graph/types';
import type { GraphType, GraphWindow, Thresholds } from '../../../shared/graph/types';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { CyGraph, LAYOUTS } from './CyGraph';
import type { CyGraphHandle, LayoutName } from './CyGraph';
import { DEFAULT_LABELS, toElements } from './elements';
import type { EdgeLabelModes } from './elements';
import { fmtTime } from './format';
import { SidePanel } from './SidePanel';
import './graph.css';

const REFRESH = [
  { label: 'Pause', ms: 0 },
  { label: '10s', ms: 10_000 },
  { label: '15s', ms: 15_000 },
  { label: '30s', ms: 30_000 },
  { label: '1m', ms: 60_000 },
  { label: '5m', ms: 300_000 },
] as const;

const TYPE_LABEL: Record<GraphType, string> = { workload: 'Workload graph', app: 'App graph', versionedApp: 'Versioned app graph', service: 'Service graph' };
const SYSTEM_NS = /^(kube-|istio-system$|linkerd|cert-manager$|local-path|gatekeeper)/;
const STORE = 'meshdeck.graph.options';

interface ViewState {
  contexts: string[];
  namespaces: string[];
  graphType: GraphType;
  window: GraphWindow;
  refreshMs: number;
  layout: LayoutName;
  mesh: 'auto' | 'istio' | 'linkerd';
  idleEdges: boolean;
  serviceNodes: boolean;
  thresholds: Thresholds;
  animate: boolean;
  labels: EdgeLabelModes;
}

function initialState(params: URLSearchParams): ViewState {
  let saved: Partial<ViewState> = {};
  try {
    saved = JSON.parse(localStorage.getItem(STORE) ?? '{}') as Partial<ViewState>;
  } catch {
    /* ignore a broken entry */
  }
  const list = (k: string) => params.get(k)?.split(',').filter(Boolean);
  const type = params.get('type') as GraphType | null;
  const win = params.get('window') as GraphWindow | null;
  const layout = params.get('layout') as LayoutName | null;
  return {
    contexts: list('contexts') ?? saved.contexts ?? [],
    namespaces: list('namespaces') ?? saved.namespaces ?? [],
    graphType: type && GRAPH_TYPES.includes(type) ? type : (saved.graphType ?? 'workload'),
    window: win && GRAPH_WINDOWS.includes(win) ? win : (saved.window ?? '1m'),
    refreshMs: params.has('refresh') ? Number(params.get('refresh')) : (saved.refreshMs ?? 15_000),
    layout: layout && LAYOUTS.includes(layout) ? layout : (saved.layout ?? 'dagre'),
    mesh: saved.mesh ?? 'auto',
    idleEdges: saved.idleEdges ?? false,
    serviceNodes: params.has('svcnodes') ? params.get('svcnodes') !== '0' : (saved.serviceNodes ?? true),
    thresholds: saved.thresholds ?? DEFAULT_THRESHOLDS,
    animate: params.has('animate') ? params.get('animate') !== '0' : (saved.animate ?? true),
    labels: { ...DEFAULT_LABELS, ...saved.labels },
  };
}

function MultiSelect({ label, options, value, onChange, testId }: { label: string; options: { value: string; label: string }[]; value: string[]; onChange(v: string[]): void; testId: string }) {
  const shown = value.length === 0 ? 'none' : value.length <= 2 ? value.map((v) => options.find((o) => o.value === v)?.label ?? v).join(', ') : `${value.length} selected`;
  return (
    <details className="dropdown" data-testid={testId}>
      <summary className="btn small">{label}: {shown}</summary>
      <div className="dropdown-menu">
        {options.length > 1 ? (
          <div className="row small">
            <button className="btn small" onClick={() => onChange(options.map((o) => o.value))}>All</button>
            <button className="btn small" onClick={() => onChange([])}>None</button>
          </div>
        ) : null}
        {options.map((o) => (
          <label key={o.value} className="check">
            <input type="checkbox" checked={value.includes(o.value)} onChange={(e) => onChange(e.target.checked ? [...value, o.value] : value.filter((v) => v !== o.value))} />
            {o.label}
          </label>
        ))}
        {options.length === 0 ? <div className="muted small">Nothing to choose</div> : null}
      </div>
    </details>
  );
}

export default function GraphView() {
  const client = useClient();
  const route = useRoute();
  const [s, setS] = useState<ViewState>(() => initialState(route.params));
  const set = useCallback(<K extends keyof ViewState>(k: K, v: ViewState[K]) => setS((p) => ({ ...p, [k]: v })), []);
  const [find, setFind] = useState(route.params.get('find') ?? '');
  const [hide, setHide] = useState(route.params.get('hide') ?? '');
  const [selected, setSelected] = useState<string | null>(null);
  const [theme, setTheme] = useState(() => document.documentElement.dataset.theme ?? 'dark');
  const cyRef = useRef<CyGraphHandle>(null);

  // Menus close on a click elsewhere, as menus do.
  useEffect(() => {
    const close = (e: PointerEvent) => {
      for (const d of document.querySelectorAll<HTMLDetailsElement>('.graph-toolbar details.dropdown[open]')) if (!d.contains(e.target as Node)) d.open = false;
    };
    document.addEventListener('pointerdown', close);
    return () => document.removeEventListener('pointerdown', close);
  }, []);

  useEffect(() => {
    const mo = new MutationObserver(() => setTheme(document.documentElement.dataset.theme ?? 'dark'));
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => mo.disconnect();
  }, []);

  const conns = useQuery({ queryKey: ['kube.connections'], queryFn: () => client.invoke('kube.connections', {}), refetchInterval: 30_000 });
  const connected = useMemo(() => (conns.data ?? []).filter((c) => c.status === 'connected'), [conns.data]);

  // Until the user picks, every connected context and its application namespaces.
  const contexts = useMemo(() => {
    const valid = s.contexts.filter((c) => connected.some((x) => x.contextId === c));
    return valid.length ? valid : connected.length ? connected.map((c) => c.contextId) : s.contexts;
  }, [s.contexts, connected]);
  const namespaces = useMemo(() => {
    if (s.namespaces.length) return s.namespaces;
    const all = [...new Set(connected.filter((c) => contexts.includes(c.contextId)).flatMap((c) => c.namespaces))].sort();
    return all.filter((n) => !SYSTEM_NS.test(n) && n !== 'default').slice(0, 20);
  }, [s.namespaces, connected, contexts]);

  // Remember the choices; keep the URL bookmarkable.
  useEffect(() => {
    localStorage.setItem(STORE, JSON.stringify(s));
    const href = routeHref('graph', {
      contexts: contexts.join(','), namespaces: namespaces.join(','), type: s.graphType, window: s.window, layout: s.layout,
      find: find || undefined, hide: hide || undefined,
    });
    if (window.location.hash !== href) window.history.replaceState(null, '', `${window.location.href.split('#')[0]}${href}`);
  }, [s, find, hide, contexts, namespaces]);

  const options: GraphOptionsInput = useMemo(
    () => ({ contexts, namespaces, graphType: s.graphType, window: s.window, mesh: s.mesh, idleEdges: s.idleEdges, injectServiceNodes: s.serviceNodes, thresholds: s.thresholds }),
    [contexts, namespaces, s.graphType, s.window, s.mesh, s.idleEdges, s.serviceNodes, s.thresholds],
  );
  const ready = contexts.length > 0 && namespaces.length > 0;
  const graph = useQuery({
    queryKey: ['graph.get', options],
    queryFn: ({ signal }) => client.invoke('graph.get', options, { signal }),
    enabled: ready,
    refetchInterval: s.refreshMs > 0 ? s.refreshMs : false,
    placeholderData: keepPreviousData,
    retry: 0,
    staleTime: 0,
  });

  const g = graph.data;
  const elements = useMemo(() => (g ? toElements(g, s.labels) : []), [g, s.labels]);
  const findP = useMemo(() => tryParseExpr(find), [find]);
  const hideP = useMemo(() => tryParseExpr(hide), [hide]);
  const positionsKey = `meshdeck.graph.pos:${[...contexts].sort().join(',')}|${[...namespaces].sort().join(',')}|${s.graphType}|${s.serviceNodes ? 'svc' : ''}`;
  // A selection whose element left the graph is no selection.
  const sel = selected && g && (g.nodes.some((n) => n.id === selected) || g.edges.some((e) => e.id === selected)) ? selected : null;

  const nsOptions = useMemo(() => {
    const all = [...new Set(connected.filter((c) => contexts.includes(c.contextId)).flatMap((c) => c.namespaces)), ...namespaces];
    return [...new Set(all)].sort().map((n) => ({ value: n, label: n }));
  }, [connected, contexts, namespaces]);

  if (conns.isPending) return <Loading label="Looking for connected clusters…" />;
  if (connected.length === 0 && contexts.length === 0) {
    return (
      <Empty title="No cluster connected">
        <div className="muted">Connect a kube context (and its Prometheus) to draw its service graph.</div>
        <a href="#/connect">Go to clusters</a>
      </Empty>
    );
  }

  const labelToggle = (k: 'rate' | 'share' | 'throughput' | 'security', text: string) => (
    <label className="check">
      <input type="checkbox" checked={s.labels[k]} onChange={(e) => set('labels', { ...s.labels, [k]: e.target.checked })} /> {text}
    </label>
  );

  return (
    <div className="graph-view" data-testid="graph-view">
      <div className="graph-toolbar" role="toolbar" aria-label="Graph options">
        <MultiSelect
          label="Clusters" testId="ctx-select" value={contexts} onChange={(v) => set('contexts', v)}
          options={connected.map((c) => ({ value: c.contextId, label: c.contextName }))}
        />
        <MultiSelect label="Namespaces" testId="ns-select" value={namespaces} onChange={(v) => set('namespaces', v)} options={nsOptions} />
        <select className="input small" aria-label="Graph type" value={s.graphType} onChange={(e) => set('graphType', e.target.value as GraphType)}>
          {GRAPH_TYPES.map((t) => <option key={t} value={t}>{TYPE_LABEL[t]}</option>)}
        </select>
        <select className="input small" aria-label="Window" value={s.window} onChange={(e) => set('window', e.target.value as GraphWindow)}>
          {GRAPH_WINDOWS.map((w) => <option key={w} value={w}>Last {w}</option>)}
        </select>
        <select className="input small" aria-label="Refresh interval" value={s.refreshMs} onChange={(e) => set('refreshMs', Number(e.target.value))}>
          {REFRESH.map((r) => <option key={r.ms} value={r.ms}>{r.ms ? `Every ${r.label}` : 'Paused'}</option>)}
        </select>
        <button className="btn small" onClick={() => void graph.refetch()} disabled={!ready} aria-label="Refresh now" data-testid="refresh">
          {graph.isFetching ? <span className="spinner small-spin" /> : '⟳'} Refresh
        </button>
        <select className="input small" aria-label="Layout" value={s.layout} onChange={(e) => { set('layout', e.target.value as LayoutName); setTimeout(() => cyRef.current?.relayout(), 0); }}>
          {LAYOUTS.map((l) => <option key={l} value={l}>{l}</option>)}
        </select>
        <details className="dropdown">
          <summary className="btn small">Display</summary>
          <div className="dropdown-menu">
            <div className="muted small">Edge labels</div>
            {labelToggle('rate', 'Rate and errors')}
            {labelToggle('share', 'Share of source traffic')}
            {labelToggle('throughput', 'Throughput')}
            {labelToggle('security', 'mTLS')}
            <label className="check">
              Response time
              <select className="input small" value={s.labels.responseTime} onChange={(e) => set('labels', { ...s.labels, responseTime: e.target.value as EdgeLabelModes['responseTime'] })}>
                <option value="none">off</option><option value="p50">p50</option><option value="p95">p95</option><option value="p99">p99</option>
              </select>
            </label>
            <hr />
            <label className="check"><input type="checkbox" checked={s.animate} onChange={(e) => set('animate', e.target.checked)} data-testid="animate" /> Traffic animation</label>
            <label className="check"><input type="checkbox" checked={s.idleEdges} onChange={(e) => set('idleEdges', e.target.checked)} /> Idle edges</label>
            <label className="check"><input type="checkbox" checked={s.serviceNodes} onChange={(e) => set('serviceNodes', e.target.checked)} /> Service nodes</label>
            <ThresholdsEditor value={s.thresholds} onChange={(t) => set('thresholds', t)} />
            <label className="check">
              Mesh
              <select className="input small" value={s.mesh} onChange={(e) => set('mesh', e.target.value as ViewState['mesh'])}>
                <option value="auto">Istio + Linkerd</option><option value="istio">Istio</option><option value="linkerd">Linkerd</option>
              </select>
            </label>
          </div>
        </details>
        <div className="expr">
          <input className={`input small${findP.ok ? '' : ' invalid'}`} placeholder="Find: error > 5% or rt > 500ms" value={find} onChange={(e) => setFind(e.target.value)} aria-label="Find" data-testid="find" />
          {!findP.ok ? <div className="field-error small">{findP.error}</div> : null}
        </div>
        <div className="expr">
          <input className={`input small${hideP.ok ? '' : ' invalid'}`} placeholder="Hide: healthy and rps < 1" value={hide} onChange={(e) => setHide(e.target.value)} aria-label="Hide" data-testid="hide" />
          {!hideP.ok ? <div className="field-error small">{hideP.error}</div> : null}
        </div>
        <details className="dropdown right">
          <summary className="btn small" data-testid="export">Export</summary>
          <div className="dropdown-menu">
            <button className="btn small" onClick={(e) => { closeMenu(e); void cyRef.current?.exportPng(); }} data-testid="export-png">PNG image</button>
            <button className="btn small" onClick={(e) => { closeMenu(e); cyRef.current?.exportSvg(); }} data-testid="export-svg">SVG drawing</button>
            <button className="btn small" onClick={(e) => { closeMenu(e); cyRef.current?.exportJson(); }} data-testid="export-json">JSON data</button>
          </div>
        </details>
        <button className="btn small" onClick={() => cyRef.current?.fit()} title="Fit to screen">⤢</button>
      </div>

      <StatusBar graph={g} fetching={graph.isFetching} error={graph.error} />

      <div className="graph-body">
        <div className="graph-main">
          {!ready ? <Empty title="Choose clusters and namespaces">The graph shows traffic between the workloads of the namespaces you pick.</Empty> : null}
          {ready && graph.isPending ? <Loading label="Querying Prometheus…" /> : null}
          {ready && graph.isError && !g ? <div className="pad"><ErrorBox error={graph.error} title="Could not build the graph" onRetry={() => void graph.refetch()} /></div> : null}
          {g ? (
            <>
              <CyGraph
                ref={cyRef} graph={g} elements={elements} layout={s.layout} positionsKey={positionsKey}
                find={findP.ok ? findP.expr : null} hide={hideP.ok ? hideP.expr : null} animate={s.animate} theme={theme}
                selected={sel} onSelect={setSelected}
              />
              {g.empty ? (
                <div className="graph-overlay" data-testid="graph-empty">
                  <Empty title="No traffic in this window">
                    <div className="muted">Prometheus has no requests for {namespaces.join(', ')} in the last {s.window}. Try a longer window{s.idleEdges ? '' : ' or turn on idle edges'}.</div>
                  </Empty>
                </div>
              ) : null}
              <Legend />
            </>
          ) : null}
        </div>
        {g && sel ? <SidePanel graph={g} id={sel} options={options} onClose={() => setSelected(null)} onSelect={setSelected} /> : null}
      </div>
    </div>
  );
}

function closeMenu(e: { currentTarget: Element }) {
  const d = e.currentTarget.closest('details');
  if (d) d.open = false;
}

/** Kiali's tolerances, editable: error percentages at which an edge or node turns degraded or failed. */
function ThresholdsEditor({ value, onChange }: { value: Thresholds; onChange(t: Thresholds): void }) {
  const [draft, setDraft] = useState(value);
  const valid = (['http5xx', 'http4xx'] as const).every((k) => draft[k].degraded >= 0 && draft[k].failure <= 100 && draft[k].degraded <= draft[k].failure);
  const num = (k: 'http5xx' | 'http4xx', f: 'degraded' | 'failure') => (
    <input
      className="input small num" type="number" min={0} max={100} step={0.5} aria-label={`${k} ${f} %`} value={draft[k][f]}
      onChange={(e) => setDraft({ ...draft, [k]: { ...draft[k], [f]: Number(e.target.value) } })}
    />
  );
  return (
    <div className="thresholds">
      <div className="muted small">Health thresholds (error %): degraded / failure</div>
      <div className="row small">5xx {num('http5xx', 'degraded')} {num('http5xx', 'failure')}</div>
      <div className="row small">4xx {num('http4xx', 'degraded')} {num('http4xx', 'failure')}</div>
      <div className="row small">
        <button className="btn small" disabled={!valid} onClick={() => onChange(draft)}>Apply</button>
        <button className="btn small" onClick={() => { setDraft(DEFAULT_THRESHOLDS); onChange(DEFAULT_THRESHOLDS); }}>Kiali defaults</button>
      </div>
      <div className="muted small">Linkerd failures use the 5xx band (4xx are successes there).</div>
    </div>
  );
}

function StatusBar({ graph, fetching, error }: { graph: import('../../../shared/graph/types').Graph | undefined; fetching: boolean; error: unknown }) {
  if (!graph) return null;
  const failing = error !== null && error !== undefined;
  return (
    <div className="graph-status" data-testid="graph-status">
      {graph.stale ? (
        <span className="chip warn" data-testid="stale" title={graph.stale.reason}>
          Stale since {fmtTime(graph.stale.since)}: {graph.stale.reason}
        </span>
      ) : null}
      {failing ? <span className="chip bad" title={(error as Error).message}>Refresh failed: {(error as Error).message} — showing the last graph</span> : null}
      <span className="muted small">
        {graph.nodes.length} nodes · {graph.edges.length} edges · data at {fmtTime(graph.at)} · {graph.stats.queries} queries in {graph.stats.queryMs} ms
        {fetching ? ' · refreshing…' : ''}
      </span>
      {graph.contexts.filter((c) => c.error).map((c) => <span key={c.contextId} className="chip bad" title={c.error!.message}>{c.cluster}: {c.error!.code}</span>)}
      {graph.warnings.length ? <span className="chip warn" title={graph.warnings.join('\n')}>{graph.warnings.length} warning{graph.warnings.length > 1 ? 's' : ''}</span> : null}
    </div>
  );
}

function Legend() {
  return (
    <div className="graph-legend" aria-label="Legend">
      <span><i className="lg circle" /> workload</span>
      <span><i className="lg rect" /> app</span>
      <span><i className="lg tri" /> service</span>
      <span><i className="lg diamond" /> unknown</span>
      <span><i className="lg line ok" /> healthy</span>
      <span><i className="lg line warn" /> degraded</span>
      <span><i className="lg line bad" /> failure</span>
      <span><i className="lg line tcp" /> TCP</span>
    </div>
  );
}
