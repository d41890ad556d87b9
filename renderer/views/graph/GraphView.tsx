import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import { parseHash, routeHref, useRoute } from '../../app/router';
import type { GraphOptionsInput } from '../../../shared/contract/graph';
import type { Preferences } from '../../../shared/contract/settings';
import { tryParseExpr } from '../../../shared/graph/expr';
import { GRAPH_TYPES, GRAPH_WINDOWS } from '../../../shared/graph/types';
import { DEFAULT_THRESHOLDS } from '../../../shared/graph/types';
import type { Graph, GraphType, GraphWindow, Thresholds } from '../../../shared/graph/types';
import { Empty, ErrorBox, Loading } from '../../components/States';
import { useShellCommand } from '../settings/shell-commands';
import { CyGraph, LAYOUTS } from './CyGraph';
import type { CyGraphHandle, LayoutName } from './CyGraph';
import { DEFAULT_LABELS, toElements } from './elements';
import type { EdgeLabelModes } from './elements';
import { fmtTime } from './format';
import { NodeMenu } from './NodeMenu';
import { applyOverlays } from './overlays';
import type { Overlays } from './overlays';
import { graphDefaults, preferencesKey } from './preferences';
import { resolveContexts, routeChoice } from './route-state';
import { SidePanel } from './SidePanel';
import { useGraphOverlays } from './useOverlays';
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

/** What a graph is of: positions are kept per view. */
function viewKeyOf(o: GraphOptionsInput): string {
  return `${[...o.contexts].sort().join(',')}|${[...o.namespaces].sort().join(',')}|${o.graphType ?? 'workload'}|${o.injectServiceNodes === false ? '' : 'svc'}`;
}

/** Fields Settings gives defaults for: a Settings change since the view saved them makes Settings win. */
type PrefFields = 'graphType' | 'window' | 'layout' | 'refreshMs' | 'idleEdges' | 'labels';

/** Route (deep link or bookmark) > the view's remembered choice > Settings > built-in defaults. */
function initialState(params: URLSearchParams, prefs: Preferences | null): ViewState {
  let saved: Partial<ViewState> & { prefsKey?: string } = {};
  try {
    saved = JSON.parse(localStorage.getItem(STORE) ?? '{}') as Partial<ViewState> & { prefsKey?: string };
  } catch {
    /* ignore a broken entry */
  }
  const d = prefs ? graphDefaults(prefs) : null;
  if (prefs && saved.prefsKey !== preferencesKey(prefs)) {
    const stale: PrefFields[] = ['graphType', 'window', 'layout', 'refreshMs', 'idleEdges', 'labels'];
    for (const k of stale) delete saved[k];
  }
  const base: ViewState = {
    contexts: saved.contexts ?? [],
    namespaces: saved.namespaces ?? [],
    graphType: saved.graphType && GRAPH_TYPES.includes(saved.graphType) ? saved.graphType : (d?.graphType ?? 'workload'),
    window: saved.window && GRAPH_WINDOWS.includes(saved.window) ? saved.window : (d?.window ?? '1m'),
    refreshMs: saved.refreshMs ?? d?.refreshMs ?? 15_000,
    layout: saved.layout && LAYOUTS.includes(saved.layout) ? saved.layout : (d?.layout ?? 'dagre'),
    mesh: saved.mesh ?? 'auto',
    idleEdges: saved.idleEdges ?? d?.idleEdges ?? false,
    serviceNodes: saved.serviceNodes ?? true,
    thresholds: saved.thresholds ?? DEFAULT_THRESHOLDS,
    animate: saved.animate ?? true,
    labels: { ...DEFAULT_LABELS, ...(d?.labels ?? {}), ...saved.labels },
  };
  return { ...base, ...urlChoices(params) };
}

/** What a URL (bookmark or deep link) decides; the rest stays as it is. */
function urlChoices(params: URLSearchParams): Partial<ViewState> {
  const r = routeChoice(params);
  const out: Partial<ViewState> = {};
  if (r.contexts) out.contexts = r.contexts;
  if (r.namespaces) out.namespaces = r.namespaces;
  if (r.graphType) out.graphType = r.graphType;
  if (r.window) out.window = r.window;
  const layout = params.get('layout') as LayoutName | null;
  if (layout && LAYOUTS.includes(layout)) out.layout = layout;
  const refresh = Number(params.get('refresh'));
  if (params.has('refresh') && Number.isFinite(refresh) && refresh >= 0) out.refreshMs = refresh;
  if (params.has('svcnodes')) out.serviceNodes = params.get('svcnodes') !== '0';
  if (params.has('animate')) out.animate = params.get('animate') !== '0';
  return out;
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

/** Settings' graph defaults are read first, so the first query already uses them. */
export default function GraphView() {
  const client = useClient();
  // Same key as the Settings view, which keeps it fresh from `settings.changed`.
  const settings = useQuery({ queryKey: ['settings'], queryFn: ({ signal }) => client.invoke('settings.get', {}, { signal }), staleTime: 30_000, retry: 0 });
  if (settings.isPending) return <Loading label="Reading graph defaults…" />;
  return <GraphScreen prefs={settings.data?.preferences ?? null} />;
}

function GraphScreen({ prefs }: { prefs: Preferences | null }) {
  const client = useClient();
  const route = useRoute();
  const [s, setS] = useState<ViewState>(() => initialState(route.params, prefs));
  const set = useCallback(<K extends keyof ViewState>(k: K, v: ViewState[K]) => setS((p) => ({ ...p, [k]: v })), []);
  const [find, setFind] = useState(route.params.get('find') ?? '');
  const [hide, setHide] = useState(route.params.get('hide') ?? '');
  const [selected, setSelected] = useState<string | null>(() => routeChoice(route.params).focus ?? null);
  const [menu, setMenu] = useState<{ id: string; x: number; y: number } | null>(null);
  const [theme, setTheme] = useState(() => document.documentElement.dataset.theme ?? 'dark');
  const cyRef = useRef<CyGraphHandle>(null);
  const findRef = useRef<HTMLInputElement>(null);
  const stablePositions = prefs?.graph.stablePositions ?? true;

  // A link followed while the graph is open (a deep link from main, a pasted bookmark, back/forward):
  // the view stays mounted, so take the URL's choices. The view's own URL updates use replaceState,
  // which fires no hashchange.
  useEffect(() => {
    const onHash = () => {
      const r = parseHash(window.location.hash);
      if (r.view !== 'graph') return;
      setS((p) => ({ ...p, ...urlChoices(r.params) }));
      const focus = routeChoice(r.params).focus;
      if (focus) setSelected(focus);
      if (r.params.has('find')) setFind(r.params.get('find') ?? '');
      if (r.params.has('hide')) setHide(r.params.get('hide') ?? '');
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

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

  // Until the user picks, every connected context and its application namespaces. A link may name a context by its name.
  const wanted = useMemo(() => resolveContexts(s.contexts, connected), [s.contexts, connected]);
  const contexts = useMemo(() => {
    const valid = wanted.ids;
    return valid.length ? valid : connected.length ? connected.map((c) => c.contextId) : s.contexts;
  }, [wanted, s.contexts, connected]);
  const missingContexts = conns.isSuccess ? wanted.missing : [];
  const namespaces = useMemo(() => {
    if (s.namespaces.length) return s.namespaces;
    const all = [...new Set(connected.filter((c) => contexts.includes(c.contextId)).flatMap((c) => c.namespaces))].sort();
    return all.filter((n) => !SYSTEM_NS.test(n) && n !== 'default').slice(0, 20);
  }, [s.namespaces, connected, contexts]);

  // Remember the choices; keep the URL bookmarkable.
  useEffect(() => {
    localStorage.setItem(STORE, JSON.stringify({ ...s, prefsKey: prefs ? preferencesKey(prefs) : undefined }));
    const href = routeHref('graph', {
      contexts: contexts.join(','), namespaces: namespaces.join(','), type: s.graphType, window: s.window, layout: s.layout,
      find: find || undefined, hide: hide || undefined,
    });
    if (window.location.hash !== href) window.history.replaceState(null, '', `${window.location.href.split('#')[0]}${href}`);
  }, [s, find, hide, contexts, namespaces, prefs]);

  const options: GraphOptionsInput = useMemo(
    () => ({ contexts, namespaces, graphType: s.graphType, window: s.window, mesh: s.mesh, idleEdges: s.idleEdges, injectServiceNodes: s.serviceNodes, thresholds: s.thresholds }),
    [contexts, namespaces, s.graphType, s.window, s.mesh, s.idleEdges, s.serviceNodes, s.thresholds],
  );
  const ready = contexts.length > 0 && namespaces.length > 0;
  const graph = useQuery({
    queryKey: ['graph.get', options],
    // The answer carries the view it is for: while the next view loads, the last one stays on screen as itself.
    queryFn: async ({ signal }) => ({ view: viewKeyOf(options), graph: await client.invoke('graph.get', options, { signal }) }),
    enabled: ready,
    refetchInterval: s.refreshMs > 0 ? s.refreshMs : false,
    placeholderData: keepPreviousData,
    retry: 0,
    staleTime: 0,
  });

  const g = graph.data?.graph;
  const ov = useGraphOverlays(g, s.refreshMs);
  const base = useMemo(() => (g ? toElements(g, s.labels) : []), [g, s.labels]);
  const elements = useMemo(() => applyOverlays(base, ov.overlays), [base, ov.overlays]);
  const findP = useMemo(() => tryParseExpr(find), [find]);
  const hideP = useMemo(() => tryParseExpr(hide), [hide]);
  // A selection whose element left the graph is no selection.
  const sel = selected && g && (g.nodes.some((n) => n.id === selected) || g.edges.some((e) => e.id === selected)) ? selected : null;
  const menuNode = menu && g ? g.nodes.find((n) => n.id === menu.id) : undefined;

  useShellCommand('find', () => {
    const el = findRef.current;
    if (!el) return false;
    el.focus();
    el.select();
    return true;
  });
  useShellCommand('refresh', () => {
    if (!ready) return false;
    void graph.refetch();
    ov.refetch();
    return true;
  });

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
  // Settings may give an interval the menu does not list.
  const refreshChoices = REFRESH.some((r) => r.ms === s.refreshMs) ? REFRESH : [...REFRESH, { label: `${s.refreshMs / 1000}s`, ms: s.refreshMs }].sort((a, b) => a.ms - b.ms);

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
          {refreshChoices.map((r) => <option key={r.ms} value={r.ms}>{r.ms ? `Every ${r.label}` : 'Paused'}</option>)}
        </select>
        <button className="btn small" onClick={() => { void graph.refetch(); ov.refetch(); }} disabled={!ready} aria-label="Refresh now" data-testid="refresh">
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
          <input ref={findRef} className={`input small${findP.ok ? '' : ' invalid'}`} placeholder="Find: error > 5% or rt > 500ms" value={find} onChange={(e) => setFind(e.target.value)} aria-label="Find" data-testid="find" />
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

      <StatusBar graph={g} fetching={graph.isFetching} error={graph.error} problems={ov.problems} missingContexts={missingContexts} />

      <div className="graph-body">
        <div className="graph-main">
          {!ready ? <Empty title="Choose clusters and namespaces">The graph shows traffic between the workloads of the namespaces you pick.</Empty> : null}
          {ready && graph.isPending ? <Loading label="Querying Prometheus…" /> : null}
          {ready && graph.isError && !g ? <div className="pad"><ErrorBox error={graph.error} title="Could not build the graph" onRetry={() => void graph.refetch()} /></div> : null}
          {g ? (
            <>
              <CyGraph
                ref={cyRef} graph={g} elements={elements} layout={s.layout} viewKey={graph.data?.view ?? ''} rememberPositions={stablePositions}
                find={findP.ok ? findP.expr : null} hide={hideP.ok ? hideP.expr : null} animate={s.animate} theme={theme}
                selected={sel} onSelect={setSelected} onContextMenu={setMenu}
              />
              {g.empty ? (
                <div className="graph-overlay" data-testid="graph-empty">
                  <Empty title="No traffic in this window">
                    <div className="muted">Prometheus has no requests for {namespaces.join(', ')} in the last {s.window}. Try a longer window{s.idleEdges ? '' : ' or turn on idle edges'}.</div>
                  </Empty>
                </div>
              ) : null}
              {menu && menuNode ? (
                <NodeMenu
                  graph={g} node={menuNode} overlay={ov.overlays.get(menuNode.id)} x={menu.x} y={menu.y}
                  onDetails={() => setSelected(menuNode.id)} onClose={() => setMenu(null)}
                />
              ) : null}
              <Legend overlays={ov.overlays} />
            </>
          ) : null}
        </div>
        {g && sel ? (
          <SidePanel
            graph={g} id={sel} options={options} overlay={ov.overlays.get(sel)} runs={ov.runs} badges={ov.badges}
            onClose={() => setSelected(null)} onSelect={setSelected}
          />
        ) : null}
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

function StatusBar({ graph, fetching, error, problems, missingContexts }: { graph: Graph | undefined; fetching: boolean; error: unknown; problems: string[]; missingContexts: string[] }) {
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
      {missingContexts.length ? (
        <span className="chip warn" data-testid="missing-context" title="Connect it on the Clusters page">
          Not connected: {missingContexts.join(', ')} — showing the connected clusters
        </span>
      ) : null}
      <span className="muted small">
        {graph.nodes.length} nodes · {graph.edges.length} edges · data at {fmtTime(graph.at)} · {graph.stats.queries} queries in {graph.stats.queryMs} ms
        {fetching ? ' · refreshing…' : ''}
      </span>
      {graph.contexts.filter((c) => c.error).map((c) => <span key={c.contextId} className="chip bad" title={c.error!.message}>{c.cluster}: {c.error!.code}</span>)}
      {graph.warnings.length ? <span className="chip warn" title={graph.warnings.join('\n')}>{graph.warnings.length} warning{graph.warnings.length > 1 ? 's' : ''}</span> : null}
      {problems.length ? <span className="chip warn" data-testid="overlay-problems" title={problems.join('\n')}>{problems.length === 1 ? problems[0] : `${problems.length} overlays unavailable`}</span> : null}
    </div>
  );
}

function Legend({ overlays }: { overlays: Overlays }) {
  const marks = [...overlays.values()];
  const canary = marks.some((o) => o.canary);
  const lag = marks.some((o) => o.lag);
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
      {canary ? <span><i className="lg canary" /> canary running</span> : null}
      {lag ? <span><i className="lg lag" /> projection lag</span> : null}
    </div>
  );
}
