/** What the graph view takes from its route (bookmarks and deep links) and from Settings' graph defaults. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES } from '../../shared/contract/settings';
import type { Preferences } from '../../shared/contract/settings';
import { parseDeepLink } from '../../main/electron/deeplink';
import { DEFAULT_LABELS } from '../../renderer/views/graph/elements';
import { graphDefaults, labelsFromPreference, preferencesKey } from '../../renderer/views/graph/preferences';
import { resolveContexts, routeChoice } from '../../renderer/views/graph/route-state';

const params = (route: string) => new URLSearchParams(route.slice(route.indexOf('?') + 1));

describe('graph route', () => {
  it('reads a deep link as main delivers it: one context, one namespace, type, window, focus', () => {
    const link = parseDeepLink('meshdeck://graph?context=%2Fk%2Fconfig%23sandbox-admin&namespace=billing&type=app&window=5m&focus=svc:sandbox-admin:billing:invoices');
    expect(link.ok).toBe(true);
    if (!link.ok) return;
    const p = params(link.route);
    expect(routeChoice(p)).toEqual({ contexts: ['/k/config#sandbox-admin'], namespaces: ['billing'], graphType: 'app', window: '5m', focus: 'svc:sandbox-admin:billing:invoices' });
  });

  it('reads the view\'s own bookmark lists, and drops unknown values', () => {
    const p = params('#/graph?contexts=a,b&namespaces=shop,billing&type=nonsense&window=1m');
    expect(routeChoice(p)).toEqual({ contexts: ['a', 'b'], namespaces: ['shop', 'billing'], window: '1m' });
    expect(routeChoice(new URLSearchParams(''))).toEqual({});
  });

  it('a deep link parameter wins over a list parameter', () => {
    expect(routeChoice(params('#/graph?contexts=a,b&context=c&namespace=x&namespaces=y'))).toMatchObject({ contexts: ['c'], namespaces: ['x'] });
  });

  it('resolves contexts by id or by name among the connected ones, and says which are missing', () => {
    const connected = [{ contextId: '/k#sandbox-admin', contextName: 'sandbox-admin' }, { contextId: '/k#west', contextName: 'west' }];
    expect(resolveContexts(['sandbox-admin'], connected)).toEqual({ ids: ['/k#sandbox-admin'], missing: [] });
    expect(resolveContexts(['/k#west', 'west', 'gone'], connected)).toEqual({ ids: ['/k#west'], missing: ['gone'] });
  });
});

describe('graph defaults from Settings', () => {
  it('maps preferences.graph and the graph refresh interval', () => {
    const p: Preferences = {
      ...DEFAULT_PREFERENCES,
      refresh: { ...DEFAULT_PREFERENCES.refresh, graphSeconds: 20 },
      graph: { type: 'app', layout: 'fcose', window: '10m', edgeLabel: 'p95', showIdleNodes: true, showSecurity: false, stablePositions: false },
    };
    expect(graphDefaults(p)).toEqual({
      graphType: 'app', layout: 'fcose', window: '10m', refreshMs: 20_000, idleEdges: true, stablePositions: false,
      labels: { ...DEFAULT_LABELS, rate: false, responseTime: 'p95', security: false },
    });
  });

  it('turns every edge-label choice into label toggles', () => {
    expect(labelsFromPreference('none', true)).toMatchObject({ rate: false, responseTime: 'none', security: true });
    expect(labelsFromPreference('rate', false)).toMatchObject({ rate: true, responseTime: 'none', security: false });
    expect(labelsFromPreference('errorRate', false)).toMatchObject({ rate: true, responseTime: 'none' });
    expect(labelsFromPreference('p50', false)).toMatchObject({ rate: false, responseTime: 'p50' });
    expect(labelsFromPreference('p99', false)).toMatchObject({ rate: false, responseTime: 'p99' });
  });

  it('the fingerprint moves with the graph preferences only', () => {
    const k = preferencesKey(DEFAULT_PREFERENCES);
    expect(preferencesKey({ ...DEFAULT_PREFERENCES, theme: 'light' })).toBe(k);
    expect(preferencesKey({ ...DEFAULT_PREFERENCES, refresh: { ...DEFAULT_PREFERENCES.refresh, eventStoreSeconds: 9 } })).toBe(k);
    expect(preferencesKey({ ...DEFAULT_PREFERENCES, graph: { ...DEFAULT_PREFERENCES.graph, layout: 'grid' } })).not.toBe(k);
    expect(preferencesKey({ ...DEFAULT_PREFERENCES, refresh: { ...DEFAULT_PREFERENCES.refresh, graphSeconds: 30 } })).not.toBe(k);
  });
});
