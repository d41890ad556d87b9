import type cytoscape from 'cytoscape';

export interface ThemeColors {
  bg: string; raised: string; sunken: string; border: string; text: string; muted: string;
  accent: string; ok: string; warn: string; bad: string; idle: string; font: string;
  /** Marks a service whose canary is running (graph.css: --graph-canary). */
  canary: string;
}

/** Theme variables read at run time, so the canvas follows dark and light like the rest of the UI. */
export function readTheme(): ThemeColors {
  const s = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => s.getPropertyValue(name).trim() || fallback;
  return {
    bg: v('--bg', '#0f1318'), raised: v('--bg-raised', '#161b22'), sunken: v('--bg-sunken', '#0b0e12'), border: v('--border', '#2a323d'),
    text: v('--text', '#e6edf3'), muted: v('--text-muted', '#8b96a5'), accent: v('--accent', '#4c9aff'), ok: v('--ok', '#3fb950'),
    warn: v('--warn', '#d29922'), bad: v('--bad', '#f85149'), idle: v('--idle', '#6e7681'),
    canary: v('--graph-canary', '#bc8cff'),
    // cytoscape's style parser refuses quoted family names: keep the unquoted ones.
    font: v('--sans', 'sans-serif').split(',').map((f) => f.trim()).filter((f) => /^[\w-]+$/.test(f)).join(', ') || 'sans-serif',
  };
}

/** Kiali's shapes: workload circle, app rectangle, service triangle; unknown callers a diamond. */
export function graphStyle(c: ThemeColors, opts: { large: boolean }): cytoscape.StylesheetJson {
  return [
    {
      selector: 'node',
      style: {
        'background-color': c.raised, 'border-width': 2, 'border-color': c.ok, label: 'data(label)', color: c.text,
        'font-family': c.font, 'font-size': 10, 'text-valign': 'bottom', 'text-margin-y': 4, 'text-wrap': 'wrap',
        'text-background-color': c.bg, 'text-background-opacity': 0.7, 'text-background-padding': '1px',
        width: 26, height: 26, 'min-zoomed-font-size': opts.large ? 9 : 5,
      },
    },
    { selector: 'node[type = "workload"]', style: { shape: 'ellipse' } },
    { selector: 'node[type = "app"]', style: { shape: 'round-rectangle', width: 30, height: 24 } },
    { selector: 'node[type = "service"]', style: { shape: 'round-triangle', width: 28, height: 26 } },
    { selector: 'node[type = "unknown"]', style: { shape: 'diamond', 'border-style': 'dashed', 'background-color': c.sunken } },
    { selector: 'node[?outside]', style: { 'background-opacity': 0.45, 'border-style': 'dotted' } },
    { selector: 'node[health = "degraded"]', style: { 'border-color': c.warn, 'border-width': 3 } },
    { selector: 'node[health = "failure"]', style: { 'border-color': c.bad, 'border-width': 4 } },
    { selector: 'node[health = "idle"], node[health = "na"]', style: { 'border-color': c.idle } },
    {
      selector: 'node[box]',
      style: {
        shape: 'round-rectangle', 'background-color': c.sunken, 'background-opacity': 0.55, 'border-color': c.border, 'border-width': 1,
        'border-style': 'solid', label: 'data(label)', 'text-valign': 'top', 'text-halign': 'center', 'text-margin-y': -2,
        color: c.muted, 'font-size': 11, 'font-weight': 600, padding: '14px', 'text-background-opacity': 0,
      },
    },
    { selector: 'node[box = "cluster"]', style: { 'border-style': 'dashed', 'border-color': c.accent, 'background-opacity': 0.25, padding: '20px' } },
    { selector: 'node[box = "app"]', style: { 'border-style': 'dotted', 'background-opacity': 0.2, padding: '8px', 'font-size': 10 } },
    {
      selector: 'edge',
      style: {
        width: 'data(width)', 'line-color': c.ok, 'target-arrow-color': c.ok, 'target-arrow-shape': opts.large ? 'none' : 'vee',
        'arrow-scale': 0.9, 'curve-style': opts.large ? 'haystack' : 'bezier', label: 'data(label)', color: c.muted,
        'font-family': c.font, 'font-size': 9, 'text-rotation': 'autorotate', 'text-background-color': c.bg,
        'text-background-opacity': 0.8, 'text-background-padding': '1px', 'min-zoomed-font-size': opts.large ? 10 : 6, opacity: 0.9,
      },
    },
    { selector: 'edge[health = "degraded"]', style: { 'line-color': c.warn, 'target-arrow-color': c.warn } },
    { selector: 'edge[health = "failure"]', style: { 'line-color': c.bad, 'target-arrow-color': c.bad } },
    { selector: 'edge[protocol = "tcp"]', style: { 'line-color': c.accent, 'target-arrow-color': c.accent } },
    { selector: 'edge[?idle]', style: { 'line-color': c.idle, 'target-arrow-color': c.idle, 'line-style': 'dashed', opacity: 0.6 } },
    // Overlays (overlays.ts): a running canary is a dashed ring in its own colour; projection lag a halo by level.
    { selector: 'node[lag = "ok"]', style: { 'underlay-color': c.ok, 'underlay-opacity': 0.22, 'underlay-padding': 7, 'underlay-shape': 'ellipse' } },
    { selector: 'node[lag = "warn"]', style: { 'underlay-color': c.warn, 'underlay-opacity': 0.4, 'underlay-padding': 8, 'underlay-shape': 'ellipse' } },
    { selector: 'node[lag = "bad"]', style: { 'underlay-color': c.bad, 'underlay-opacity': 0.45, 'underlay-padding': 9, 'underlay-shape': 'ellipse' } },
    { selector: 'node[lag = "unknown"]', style: { 'underlay-color': c.idle, 'underlay-opacity': 0.35, 'underlay-padding': 7, 'underlay-shape': 'ellipse' } },
    { selector: 'node[?canary]', style: { 'outline-color': c.canary, 'outline-width': 3, 'outline-offset': 3, 'outline-style': 'dashed', 'outline-opacity': 1 } },
    { selector: 'node[canaryRole = "stable"]', style: { 'outline-style': 'dotted', 'outline-width': 2, 'outline-opacity': 0.8 } },
    { selector: '.find', style: { 'overlay-color': c.accent, 'overlay-opacity': 0.25, 'overlay-padding': 6 } },
    { selector: '.hidden', style: { display: 'none' } },
    { selector: '.dim', style: { opacity: 0.25 } },
    { selector: 'node:selected', style: { 'border-color': c.accent, 'border-width': 4, 'overlay-color': c.accent, 'overlay-opacity': 0.12 } },
    { selector: 'node[box]:selected', style: { 'border-width': 1, 'overlay-opacity': 0 } },
    { selector: 'edge:selected', style: { 'line-color': c.accent, 'target-arrow-color': c.accent, width: 4, color: c.text } },
  ];
}
