/**
 * What the graph takes from its route. Two spellings: the view's own bookmarkable URL
 * (`contexts=a,b&namespaces=x,y&type=…`) and deep links (`meshdeck://graph?context=…&namespace=…`,
 * turned into `#/graph?context=…&namespace=…` by main), which name one context — by id or by name —
 * and one namespace. Pure: tested directly.
 */
import { GRAPH_TYPES, GRAPH_WINDOWS } from '../../../shared/graph/types';
import type { GraphType, GraphWindow } from '../../../shared/graph/types';

export interface RouteChoice {
  contexts?: string[];
  namespaces?: string[];
  graphType?: GraphType;
  window?: GraphWindow;
  /** A node id to select once the graph has it. */
  focus?: string;
}

const list = (v: string | null) => v?.split(',').map((s) => s.trim()).filter(Boolean);

/** Choices a route makes; deep-link parameters win over the view's own list parameters. */
export function routeChoice(params: URLSearchParams): RouteChoice {
  const out: RouteChoice = {};
  const contexts = params.get('context') ? [params.get('context')!] : list(params.get('contexts'));
  const namespaces = params.get('namespace') ? [params.get('namespace')!] : list(params.get('namespaces'));
  if (contexts?.length) out.contexts = contexts;
  if (namespaces?.length) out.namespaces = namespaces;
  const type = params.get('type');
  if (type && (GRAPH_TYPES as readonly string[]).includes(type)) out.graphType = type as GraphType;
  const win = params.get('window');
  if (win && (GRAPH_WINDOWS as readonly string[]).includes(win)) out.window = win as GraphWindow;
  const focus = params.get('focus');
  if (focus) out.focus = focus;
  return out;
}

/**
 * Wanted contexts (ids, or names as a link may give them) -> ids of connected contexts.
 * Unknown or unconnected ones are returned separately so the view can say so.
 */
export function resolveContexts(wanted: readonly string[], connected: readonly { contextId: string; contextName: string }[]): { ids: string[]; missing: string[] } {
  const ids: string[] = [];
  const missing: string[] = [];
  for (const w of wanted) {
    const c = connected.find((x) => x.contextId === w) ?? connected.find((x) => x.contextName === w);
    if (!c) missing.push(w);
    else if (!ids.includes(c.contextId)) ids.push(c.contextId);
  }
  return { ids, missing };
}
