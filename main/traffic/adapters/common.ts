/** Pieces shared by the adapters: cookie regexes, default routes, name helpers, identity tests. */
import type { Route, RouteMatch } from '../../../shared/traffic/model';
import { arr, clone, isObj } from '../json';
import type { KubeObject } from '../json';
import { pointer } from '../jsonpatch';
import type { JsonPatchOp } from '../jsonpatch';

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

/** Where a kind keeps its route list, and what identifies a route and its destinations. */
export interface RouteListShape {
  /** spec.<list>: `http` (VirtualService), `rules` (HTTPRoute). */
  list: string;
  /** Route fields that say which route it is: name and matches. */
  identity: string[];
  /** The destinations list inside a route, and the field naming each destination. */
  dests: string;
  destKey: string;
}

/**
 * JSON-patch `test` ops pinning every route a change touches (its name, matches and
 * destinations), so a patch computed against one route list never lands on another route
 * after someone inserted or reordered routes.
 */
export function routeIdentityTests(before: KubeObject, changedPaths: string[], shape: RouteListShape): JsonPatchOp[] {
  const spec = isObj(before.spec) ? before.spec : {};
  const routes = arr(spec[shape.list]);
  const out: JsonPatchOp[] = [];
  const seen = new Set<number>();
  const re = new RegExp(`^/spec/${shape.list}/(\\d+)`);
  for (const p of changedPaths) {
    const m = re.exec(p);
    if (!m) continue;
    const i = Number(m[1]);
    if (seen.has(i)) continue;
    seen.add(i);
    const r = routes[i];
    if (!isObj(r)) continue;
    for (const key of shape.identity) {
      if (r[key] !== undefined) out.push({ op: 'test', path: pointer(['spec', shape.list, i, key]), value: clone(r[key]) });
    }
    arr(r[shape.dests]).forEach((d, j) => {
      if (isObj(d) && d[shape.destKey] !== undefined) {
        out.push({ op: 'test', path: pointer(['spec', shape.list, i, shape.dests, j, shape.destKey]), value: clone(d[shape.destKey]) });
      }
    });
  }
  return out;
}
