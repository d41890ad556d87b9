import { useCallback, useSyncExternalStore } from 'react';

/** Hash routes: `#/<view>?key=value`. Deep links (meshdeck://graph?...) are turned into these. */
export interface Route {
  view: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const view = (q >= 0 ? h.slice(0, q) : h) || 'connect';
  return { view, params: new URLSearchParams(q >= 0 ? h.slice(q + 1) : '') };
}

export function routeHref(view: string, params?: Record<string, string | undefined>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== '') sp.set(k, v);
  const qs = sp.toString();
  return `#/${view}${qs ? `?${qs}` : ''}`;
}

const subscribe = (cb: () => void) => {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
};
const snapshot = () => window.location.hash;

export function useRoute(): Route & { navigate: (view: string, params?: Record<string, string | undefined>) => void } {
  const hash = useSyncExternalStore(subscribe, snapshot);
  const navigate = useCallback((view: string, params?: Record<string, string | undefined>) => {
    window.location.hash = routeHref(view, params);
  }, []);
  return { ...parseHash(hash), navigate };
}
