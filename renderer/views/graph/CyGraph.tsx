import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';
import fcose from 'cytoscape-fcose';
import type { Graph, GraphEdge, GraphNode } from '../../../shared/graph/types';
import { evaluate } from '../../../shared/graph/expr';
import type { Expr } from '../../../shared/graph/expr';
import { startTrafficAnimation } from './animation';
import { graphStyle, readTheme } from './cy-style';
import type { CyData } from './elements';
import { download, exportJson, exportPng, exportSvg, stamp } from './export';
import { layoutGraph } from './layout';
import type { LayoutName } from './layout';

let registered = false;
function register() {
  if (registered) return;
  cytoscape.use(dagre);
  cytoscape.use(fcose);
  registered = true;
}

export { LAYOUTS } from './layout';
export type { LayoutName } from './layout';

export interface CyGraphHandle {
  exportPng(): Promise<void>;
  exportSvg(): void;
  exportJson(): void;
  fit(): void;
  relayout(): void;
}

export interface RenderStats {
  /** First full layout, ms (data in hand -> layout done). */
  layoutMs: number | null;
  /** Last in-place refresh, ms. */
  refreshMs: number | null;
  refreshes: number;
  /** Of the first layout: adding the elements (ms); the rest is the layout algorithm. */
  addMs: number | null;
  nodes: number;
  edges: number;
}

declare global {
  interface Window {
    /** Render timings, read by the Chromium benchmark and the e2e test. */
    __meshdeckGraph?: RenderStats;
    /** The live cytoscape instance, for the e2e test and the render benchmark to read positions and classes. */
    __meshdeckCy?: cytoscape.Core;
  }
}

interface Props {
  graph: Graph;
  elements: CyData[];
  layout: LayoutName;
  /**
   * What the elements are a graph of (contexts, namespaces, graph type), as the data in hand says.
   * A new view restores its remembered positions or is laid out afresh; the same view refreshes in place.
   */
  viewKey: string;
  /** Remember positions per view across reloads (Settings: "Keep node positions"). */
  rememberPositions: boolean;
  find: Expr | null;
  hide: Expr | null;
  animate: boolean;
  theme: string;
  selected: string | null;
  onSelect(id: string | null): void;
  /** Right-click (long press) on a node, at a position relative to the canvas; null closes the menu. */
  onContextMenu?(m: { id: string; x: number; y: number } | null): void;
}

type Positions = Record<string, [number, number]>;

const positionsStore = (view: string) => `meshdeck.graph.pos:${view}`;

function loadPositions(key: string | null): Positions {
  if (key === null) return {};
  try {
    return (JSON.parse(localStorage.getItem(key) ?? '{}') as Positions) ?? {};
  } catch {
    return {};
  }
}

export const CyGraph = forwardRef<CyGraphHandle, Props>(function CyGraph(props, ref) {
  const containerRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const cyRef = useRef<cytoscape.Core | null>(null);
  const sigs = useRef(new Map<string, string>());
  const largeRef = useRef(false);
  const lastView = useRef<string | null>(null);
  const propsRef = useRef(props);
  const saveTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    propsRef.current = props;
  });

  const savePositions = () => {
    if (saveTimer.current) clearTimeout(saveTimer.current);
    saveTimer.current = setTimeout(() => {
      const cy = cyRef.current;
      const { rememberPositions, viewKey } = propsRef.current;
      if (!cy || !rememberPositions) return;
      const key = positionsStore(viewKey);
      const pos: Positions = {};
      cy.nodes().forEach((n) => {
        if (!n.isParent()) {
          const p = n.position();
          pos[n.id()] = [Math.round(p.x), Math.round(p.y)];
        }
      });
      try {
        localStorage.setItem(key, JSON.stringify(pos));
      } catch {
        /* storage full: positions just are not remembered */
      }
    }, 400);
  };

  // One cytoscape instance for the life of the view.
  useEffect(() => {
    register();
    const sigMap = sigs.current;
    const cy = cytoscape({
      container: containerRef.current,
      elements: [],
      style: graphStyle(readTheme(), { large: false }),
      minZoom: 0.05,
      maxZoom: 4,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false,
    });
    cyRef.current = cy;
    cy.on('tap', (e) => {
      propsRef.current.onContextMenu?.(null);
      if (e.target === cy) propsRef.current.onSelect(null);
    });
    cy.on('cxttap', 'node', (e) => {
      const t = e.target as cytoscape.NodeSingular;
      if (t.data('box')) return;
      const p = e.renderedPosition ?? t.renderedPosition();
      propsRef.current.onContextMenu?.({ id: t.id(), x: p.x, y: p.y });
    });
    cy.on('cxttap', (e) => {
      if (e.target === cy) propsRef.current.onContextMenu?.(null);
    });
    cy.on('viewport', () => propsRef.current.onContextMenu?.(null));
    cy.on('tap', 'node, edge', (e) => {
      const t = e.target as cytoscape.SingularElementReturnValue;
      if (t.isNode() && t.data('box')) return;
      propsRef.current.onSelect(t.id());
    });
    cy.on('dragfree', 'node', savePositions);
    // cytoscape only follows window resizes: the side panel opening or closing narrows the container too.
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => cy.resize());
    if (containerRef.current) ro?.observe(containerRef.current);
    window.__meshdeckGraph = { layoutMs: null, refreshMs: null, refreshes: 0, addMs: null, nodes: 0, edges: 0 };
    window.__meshdeckCy = cy;
    return () => {
      if (saveTimer.current) clearTimeout(saveTimer.current);
      ro?.disconnect();
      cy.destroy();
      if (window.__meshdeckCy === cy) delete window.__meshdeckCy;
      cyRef.current = null;
      sigMap.clear();
    };
  }, []);

  // Theme and size class -> stylesheet.
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const large = props.graph.nodes.length > 300 || props.graph.edges.length > 1000;
    largeRef.current = large;
    cy.style(graphStyle(readTheme(), { large }));
  }, [props.theme, props.graph.nodes.length > 300 || props.graph.edges.length > 1000]); // eslint-disable-line react-hooks/exhaustive-deps

  // Data: add, update in place, remove. Lay out only when nothing was placed before.
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const t0 = performance.now();
    const want = new Map(props.elements.map((e) => [String(e.data.id), e]));
    const seen = sigs.current;
    const added: cytoscape.NodeSingular[] = [];
    // Another view (namespaces, contexts, type) is a new picture, even where it shares nodes with the last one.
    const fresh = lastView.current !== props.viewKey;
    lastView.current = props.viewKey;
    const hadNodes = !fresh && cy.nodes().filter((n) => !n.isParent()).length > 0;
    const saved = fresh ? loadPositions(props.rememberPositions ? positionsStore(props.viewKey) : null) : {};
    cy.batch(() => {
      for (const el of props.elements) {
        if (el.group !== 'nodes') continue;
        const id = String(el.data.id);
        const cur = cy.getElementById(id);
        if (cur.length === 0) {
          const p = saved[id];
          const n = cy.add({ group: 'nodes', data: el.data, ...(p ? { position: { x: p[0], y: p[1] } } : {}) }) as unknown as cytoscape.NodeSingular;
          if (!el.data.box && !p) added.push(n);
          seen.set(id, el.sig);
        } else {
          if (seen.get(id) !== el.sig) {
            const parent = (el.data.parent as string | null) ?? null;
            if ((cur.data('parent') ?? null) !== parent) (cur as cytoscape.NodeSingular).move({ parent });
            cur.data(el.data);
            seen.set(id, el.sig);
          }
          if (fresh && !el.data.box) {
            const p = saved[id];
            if (p) (cur as cytoscape.NodeSingular).position({ x: p[0], y: p[1] });
            else added.push(cur as cytoscape.NodeSingular);
          }
        }
      }
      for (const el of props.elements) {
        if (el.group !== 'edges') continue;
        const id = String(el.data.id);
        const cur = cy.getElementById(id);
        if (cur.length === 0) {
          cy.add({ group: 'edges', data: el.data });
          seen.set(id, el.sig);
        } else if (seen.get(id) !== el.sig) {
          cur.data(el.data);
          seen.set(id, el.sig);
        }
      }
      const gone = cy.elements().filter((e) => !want.has(e.id()));
      gone.edges().remove();
      // Children first, so removing a box never takes a live node with it.
      gone.nodes().filter((n) => !n.isParent()).remove();
      gone.nodes().remove();
      for (const id of [...seen.keys()]) if (!want.has(id)) seen.delete(id);
    });

    const stats = window.__meshdeckGraph!;
    const placed = cy.nodes().filter((n) => !n.isParent()).length - added.length;
    if (added.length > 0 && placed === 0) {
      // A new graph: full layout.
      stats.addMs = Math.round(performance.now() - t0);
      layoutGraph(cy, props.layout);
      stats.layoutMs = Math.round(performance.now() - t0);
      savePositions();
    } else if (added.length > 0) {
      // New nodes in a placed graph: next to their placed neighbours, nothing else moves.
      const bb = cy.nodes().filter((n) => !n.isParent() && !added.includes(n)).boundingBox({});
      let k = 0;
      cy.batch(() => {
        for (const n of added) {
          const nb = n.neighborhood('node').filter((m) => !added.includes(m as cytoscape.NodeSingular));
          if (nb.length > 0) {
            const c = nb.toArray().reduce((s, m) => ({ x: s.x + (m as cytoscape.NodeSingular).position().x, y: s.y + (m as cytoscape.NodeSingular).position().y }), { x: 0, y: 0 });
            n.position({ x: c.x / nb.length + 40 + ((k * 17) % 50), y: c.y / nb.length + 30 + ((k * 29) % 60) });
          } else n.position({ x: bb.x2 + 60, y: bb.y1 + (k % 20) * 40 });
          k++;
        }
      });
      savePositions();
      stats.refreshMs = Math.round(performance.now() - t0);
    } else {
      stats.refreshMs = Math.round(performance.now() - t0);
    }
    if (stats.layoutMs === null && placed > 0 && added.length === 0 && !hadNodes) stats.layoutMs = Math.round(performance.now() - t0);
    if (!hadNodes && placed > 0 && cy.nodes().length > 0) cy.fit(undefined, 30);
    stats.refreshes++;
    stats.nodes = cy.nodes().length;
    stats.edges = cy.edges().length;
  }, [props.elements, props.viewKey, props.rememberPositions, props.layout]);

  // Find and hide.
  const exprKey = `${JSON.stringify(props.find)}|${JSON.stringify(props.hide)}`;
  const hadExpr = useRef(false);
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    const { find, hide, graph } = props;
    if (!find && !hide && !hadExpr.current) return;
    hadExpr.current = Boolean(find || hide);
    const nodes = new Map<string, GraphNode>(graph.nodes.map((n) => [n.id, n]));
    const edges = new Map<string, GraphEdge>(graph.edges.map((e) => [e.id, e]));
    cy.batch(() => {
      cy.elements().removeClass('find hidden');
      if (hide) {
        cy.nodes().forEach((n) => {
          const gn = nodes.get(n.id());
          if (gn && evaluate(hide, { kind: 'node', node: gn })) n.addClass('hidden');
        });
        cy.edges().forEach((e) => {
          const ge = edges.get(e.id());
          if (e.source().hasClass('hidden') || e.target().hasClass('hidden')) e.addClass('hidden');
          else if (ge && evaluate(hide, { kind: 'edge', edge: ge, source: nodes.get(ge.source), target: nodes.get(ge.target) })) e.addClass('hidden');
        });
        // A node left with no visible edge after hiding edges stays: it may be hidden by its own test only.
        const depth = (n: cytoscape.NodeSingular) => n.ancestors().length;
        const boxes = (cy.nodes().filter((n) => n.isParent()).toArray() as cytoscape.NodeSingular[]).sort((a, b) => depth(b) - depth(a));
        for (const b of boxes) if (b.children().toArray().every((c) => c.hasClass('hidden'))) b.addClass('hidden');
      }
      if (find) {
        cy.nodes().forEach((n) => {
          const gn = nodes.get(n.id());
          if (gn && !n.hasClass('hidden') && evaluate(find, { kind: 'node', node: gn })) n.addClass('find');
        });
        cy.edges().forEach((e) => {
          const ge = edges.get(e.id());
          if (ge && !e.hasClass('hidden') && evaluate(find, { kind: 'edge', edge: ge, source: nodes.get(ge.source), target: nodes.get(ge.target) })) e.addClass('find');
        });
      }
    });
  }, [exprKey, props.elements]); // eslint-disable-line react-hooks/exhaustive-deps

  // Selection follows the panel.
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    cy.batch(() => {
      cy.$(':selected').unselect();
      if (props.selected) cy.getElementById(props.selected).select();
    });
  }, [props.selected, props.elements]);

  // Traffic animation.
  useEffect(() => {
    const cy = cyRef.current;
    const canvas = canvasRef.current;
    if (!cy || !canvas || !props.animate) return;
    return startTrafficAnimation(cy, canvas, () => {
      const t = readTheme();
      return { ok: t.ok, bad: t.bad, tcp: t.accent };
    });
  }, [props.animate, props.theme]);

  useImperativeHandle(ref, () => ({
    async exportPng() {
      const cy = cyRef.current;
      if (!cy) return;
      download(await exportPng(cy, readTheme().bg), `meshdeck-graph-${stamp()}.png`);
    },
    exportSvg() {
      const cy = cyRef.current;
      if (!cy) return;
      const t = readTheme();
      download(exportSvg(cy, { bg: t.bg, text: t.text, muted: t.muted, font: t.font }), `meshdeck-graph-${stamp()}.svg`);
    },
    exportJson() {
      const cy = cyRef.current;
      if (!cy) return;
      download(exportJson(cy, propsRef.current.graph), `meshdeck-graph-${stamp()}.json`);
    },
    fit() {
      cyRef.current?.fit(undefined, 30);
    },
    relayout() {
      const cy = cyRef.current;
      if (!cy) return;
      layoutGraph(cy, propsRef.current.layout);
      savePositions();
    },
  }));

  return (
    <div className="graph-canvas-wrap">
      {/* The canvas has node menus of its own (right-click on a node); the browser's would cover them. */}
      <div ref={containerRef} className="graph-canvas" data-testid="graph-canvas" onContextMenu={(e) => e.preventDefault()} />
      <canvas ref={canvasRef} className="graph-anim" aria-hidden />
    </div>
  );
});
