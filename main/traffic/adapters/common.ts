/** Pieces shared by the adapters: cookie regexes, default routes, name helpers. */
import type { Route, RouteMatch } from '../../../shared/traffic/model';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const unescapeRe = (s: string): string => s.replace(/\\(.)/g, '$1');

/**
 * A cookie match is a regex on the `cookie` header (Istio and Gateway API have no cookie
 * matcher). This is the shape Flagger documents; `cookieFromRegex` recognises only this shape.
 */
export function cookieRegex(name: string, value: string): string {
  return `^(.*?;\\s*)?(${escapeRe(name)}=${escapeRe(value)})(;.*)?$`;
}

export function cookieFromRegex(re: string): { name: string; value: string } | null {
  const m = /^\^\(\.\*\?;(?:\\s\*|\s?)\)\?\((.+?)=(.+)\)\(;\.\*\)\?\$$/.exec(re);
  if (!m) return null;
  const name = unescapeRe(m[1]!);
  const value = unescapeRe(m[2]!);
  if (/[()|*+?[\]{}^$]/.test(name) || /[^\\][()|*+?[\]{}^$]/.test(m[2]!)) return null;
  return { name, value };
}

export const emptyMatch = (): RouteMatch => ({ headers: [], cookies: [], uri: null, other: [] });

/**
 * The default weighted route: the last catch-all route that routes; without one, the last route
 * that splits (several destinations), else a lone route. None when nothing qualifies.
 */
export function pickDefault(routes: Route[], isCatchAll: (r: Route) => boolean): number | null {
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!;
    if (isCatchAll(r) && r.destinations.length > 0) return i;
  }
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i]!.destinations.length > 1) return i;
  if (routes.length === 1 && routes[0]!.destinations.length > 0) return 0;
  return null;
}

/** Short service name of a host written as `svc`, `svc.ns`, `svc.ns.svc.cluster.local`. */
export function hostService(host: string, ns: string): { name: string; namespace: string } | null {
  if (!host || host.startsWith('*')) return null;
  const parts = host.split('.');
  if (parts.length > 2 && parts[2] !== 'svc') return null; // an external host name
  return { name: parts[0]!, namespace: parts[1] ?? ns };
}
