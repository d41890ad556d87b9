/**
 * The graph's defaults from Settings (`preferences.graph` and `preferences.refresh.graphSeconds`),
 * and how they meet what the view remembers. Settings has no animation default: the view keeps its own.
 * Pure: tested directly.
 */
import type { Preferences } from '../../../shared/contract/settings';
import type { GraphType, GraphWindow } from '../../../shared/graph/types';
import type { EdgeLabelModes } from './elements';
import { DEFAULT_LABELS } from './elements';
import type { LayoutName } from './layout';
import { LAYOUTS } from './layout';

export interface GraphDefaults {
  graphType: GraphType;
  window: GraphWindow;
  layout: LayoutName;
  refreshMs: number;
  idleEdges: boolean;
  labels: EdgeLabelModes;
  /** Remember node positions across reloads (Settings: "Keep node positions"). */
  stablePositions: boolean;
}

/** The settings' single edge-label choice -> the view's label toggles. */
export function labelsFromPreference(edgeLabel: Preferences['graph']['edgeLabel'], showSecurity: boolean): EdgeLabelModes {
  const base: EdgeLabelModes = { ...DEFAULT_LABELS, security: showSecurity };
  switch (edgeLabel) {
    case 'none':
      return { ...base, rate: false, responseTime: 'none' };
    case 'rate':
    case 'errorRate':
      // The rate label carries the error share whenever there are errors.
      return { ...base, rate: true, responseTime: 'none' };
    case 'p50':
    case 'p95':
    case 'p99':
      return { ...base, rate: false, responseTime: edgeLabel };
  }
}

export function graphDefaults(p: Preferences): GraphDefaults {
  return {
    graphType: p.graph.type,
    window: p.graph.window,
    layout: (LAYOUTS as readonly string[]).includes(p.graph.layout) ? p.graph.layout : 'dagre',
    refreshMs: p.refresh.graphSeconds * 1000,
    idleEdges: p.graph.showIdleNodes,
    labels: labelsFromPreference(p.graph.edgeLabel, p.graph.showSecurity),
    stablePositions: p.graph.stablePositions,
  };
}

/**
 * A fingerprint of the preferences the graph uses. The view stores it with its own choices: when
 * Settings changed since, Settings' defaults win over what the view remembered; otherwise the view
 * keeps the user's last choice.
 */
export function preferencesKey(p: Preferences): string {
  return JSON.stringify({ g: p.graph, r: p.refresh.graphSeconds });
}
