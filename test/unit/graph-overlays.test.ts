/**
 * The graph's overlays: canary runs and projection lag badges joined onto graph nodes in the
 * renderer, and turned into element data without touching the graph data or other elements.
 */
import { describe, expect, it } from 'vitest';
import { canarySpecSchema } from '../../shared/canary/spec';
import type { CanaryRun, CanaryState } from '../../shared/canary/types';
import type { LagBadge } from '../../shared/contract/projections';
import { DEFAULT_LABELS, toElements } from '../../renderer/views/graph/elements';
import {
  applyOverlays, buildOverlays, canaryHref, canaryText, contextIdOf, lagText, overlayData, projectionsHref, servicesOf, trafficHref,
} from '../../renderer/views/graph/overlays';
import { graphFromFixture, nodeOf } from '../helpers/graph-fixtures';

const g = graphFromFixture('istio-bookinfo.json');

function run(over: { id?: string; state?: CanaryState; weight?: number; contextId?: string; service?: string; updatedAt?: string; error?: string | null } = {}): CanaryRun {
  const service = over.service ?? 'reviews';
  const spec = canarySpecSchema.parse({
    target: { kind: 'VirtualService', namespace: 'bookinfo', name: service, service, stable: 'v1', canary: 'v2' },
    analysis: { stableWorkload: `${service}-v1`, canaryWorkload: `${service}-v2` },
  });
  const state = over.state ?? 'progressing';
  const weight = over.weight ?? 30;
  // Only what the overlay reads is meaningful; the rest is a well-formed run.
  return {
    id: over.id ?? `ctx-kind/VirtualService/bookinfo/${service}`, contextId: over.contextId ?? 'ctx-kind', contextName: 'kind', spec,
    progress: {
      state, stepIndex: 2, stepStartedAt: null, nextCheckAt: null, weight, failedChecks: 0, heldChecks: 0, lastResults: null, lastCheckAt: null,
      pausedFrom: null, pauseReason: null, remainingMs: null, pendingStep: null, drift: null, failure: null, message: '', attempt: 1,
      startedAt: '2026-01-01T00:00:00Z', startedBy: 'me@here', finishedAt: null, updatedAt: over.updatedAt ?? '2026-01-01T00:01:00Z', lease: null, history: [],
    },
    stepWeights: [10, 20, 30, 40], observed: { stable: 100 - weight, canary: weight }, resourceVersion: '1', drivenHere: true, readOnly: false,
    leaseExpired: false, error: over.error ?? null, lastError: null, routingProblem: null,
  };
}

function badge(over: Partial<LagBadge> = {}): LagBadge {
  return {
    namespace: 'bookinfo', service: 'ratings', connectionId: 'sandbox', maxLagEvents: 1234, maxLagSeconds: 42, laggard: 'customer-analytics',
    stalled: 0, failed: 0, level: 'warn', text: 'customer-analytics 1234 behind (42 s)', error: null, at: '2026-01-01T00:00:00Z', ...over,
  };
}

describe('services of a node', () => {
  it('maps a node to its context and services', () => {
    expect(contextIdOf(g, nodeOf(g, 'svc:kind:bookinfo:reviews'))).toBe('ctx-kind');
    expect(servicesOf(g, nodeOf(g, 'svc:kind:bookinfo:reviews'))).toEqual([{ contextId: 'ctx-kind', namespace: 'bookinfo', service: 'reviews' }]);
    expect(servicesOf(g, nodeOf(g, 'wl:kind:bookinfo:mysqldb-v1'))).toEqual([{ contextId: 'ctx-kind', namespace: 'bookinfo', service: 'mysql' }]);
    expect(servicesOf(g, nodeOf(g, 'unknown:kind'))).toEqual([]);
    expect(servicesOf(g, nodeOf(g, 'wl:kind:istio-system:istio-ingressgateway'))).toEqual([]);
  });

  it('links to the Traffic, Canary and Projections views with escaped parameters', () => {
    const ctx = '/home/me/.kube/config#kind admin';
    expect(trafficHref({ contextId: ctx, namespace: 'shop', service: 'catalog' })).toBe('#/traffic?context=%2Fhome%2Fme%2F.kube%2Fconfig%23kind+admin&namespace=shop&service=catalog');
    expect(trafficHref({ contextId: null, namespace: 'shop', service: 'catalog' }, { kind: 'VirtualService', name: 'catalog' })).toBe('#/traffic?namespace=shop&service=catalog&kind=VirtualService&name=catalog');
    const href = canaryHref('a#b/VirtualService/shop/catalog');
    expect(new URLSearchParams(href.slice(href.indexOf('?') + 1)).get('run')).toBe('a#b/VirtualService/shop/catalog');
    expect(projectionsHref('sandbox')).toBe('#/projections?c=sandbox');
  });
});

describe('canary marks', () => {
  it('marks the service node, the canary and stable workloads of an active run', () => {
    const o = buildOverlays(g, [run()], []);
    expect(o.get('svc:kind:bookinfo:reviews')?.canary).toMatchObject({ role: 'service', state: 'progressing', weight: 30, text: 'canary 30 % · progressing' });
    expect(o.get('wl:kind:bookinfo:reviews-v2')?.canary).toMatchObject({ role: 'canary', text: 'canary 30 %' });
    expect(o.get('wl:kind:bookinfo:reviews-v1')?.canary).toMatchObject({ role: 'stable', text: 'stable 70 %' });
    // Nothing else: not the caller, not other services.
    expect([...o.keys()].sort()).toEqual(['svc:kind:bookinfo:reviews', 'wl:kind:bookinfo:reviews-v1', 'wl:kind:bookinfo:reviews-v2']);
  });

  it('marks nothing for finished or broken runs, or runs of a context the graph does not show', () => {
    for (const state of ['succeeded', 'rolledBack', 'aborted'] as const) expect(buildOverlays(g, [run({ state })], []).size).toBe(0);
    expect(buildOverlays(g, [run({ error: 'annotation unreadable' })], []).size).toBe(0);
    expect(buildOverlays(g, [run({ contextId: 'other' })], []).size).toBe(0);
  });

  it('says every state in words, and the newest of two active runs wins', () => {
    expect(canaryText('awaitingApproval', 40)).toBe('canary 40 % · awaiting approval');
    expect(canaryText('paused', 0)).toBe('canary 0 % · paused');
    const o = buildOverlays(g, [run({ id: 'old', weight: 10, updatedAt: '2026-01-01T00:00:00Z' }), run({ id: 'new', weight: 40, state: 'promoting', updatedAt: '2026-01-01T00:05:00Z' })], []);
    expect(o.get('svc:kind:bookinfo:reviews')?.canary).toMatchObject({ runId: 'new', text: 'canary 40 % · promoting' });
  });

  it('falls back to the workloads behind the service when service nodes are off', () => {
    const noSvc = graphFromFixture('istio-bookinfo.json', { injectServiceNodes: false });
    const o = buildOverlays(noSvc, [run({ service: 'ratings' })], []);
    expect(o.get('wl:kind:bookinfo:ratings-v1')?.canary?.role).toBe('stable');
    expect([...o.keys()]).toEqual(['wl:kind:bookinfo:ratings-v1']);
  });
});

describe('projection lag marks', () => {
  it('badges the owning service node with its level and a short line', () => {
    const o = buildOverlays(g, [], [badge()]);
    expect(o.get('svc:kind:bookinfo:ratings')?.lag).toMatchObject({ level: 'warn', text: 'lag 1,234 ev · 42 s', laggard: 'customer-analytics', connectionId: 'sandbox' });
    expect(o.has('wl:kind:bookinfo:ratings-v1')).toBe(false);
  });

  it('badges the workloads behind the service when there is no service node', () => {
    const noSvc = graphFromFixture('istio-bookinfo.json', { injectServiceNodes: false });
    expect(buildOverlays(noSvc, [], [badge()]).get('wl:kind:bookinfo:ratings-v1')?.lag?.level).toBe('warn');
  });

  it('ignores services the graph does not show, and keeps the worst of two stores', () => {
    expect(buildOverlays(g, [], [badge({ service: 'nope' })]).size).toBe(0);
    const o = buildOverlays(g, [], [badge({ level: 'ok', maxLagEvents: 0 }), badge({ connectionId: 'b', level: 'bad', stalled: 1 }), badge({ connectionId: 'c', level: 'warn' })]);
    expect(o.get('svc:kind:bookinfo:ratings')?.lag).toMatchObject({ level: 'bad', connectionId: 'b', text: 'lag 1,234 ev · 42 s · 1 stalled' });
  });

  it('words caught-up, unreachable and long lags', () => {
    expect(lagText({ level: 'ok', maxLagEvents: 0, maxLagSeconds: 0, stalled: 0, failed: 0 })).toBe('projections caught up');
    expect(lagText({ level: 'unknown', maxLagEvents: null, maxLagSeconds: null, stalled: 0, failed: 0 })).toBe('lag ? · store unreachable');
    expect(lagText({ level: 'bad', maxLagEvents: 90_000, maxLagSeconds: 7200, stalled: 0, failed: 2 })).toBe('lag 90,000 ev · 2 h · 2 failed');
    expect(lagText({ level: 'warn', maxLagEvents: 5, maxLagSeconds: 600, stalled: 0, failed: 0 })).toBe('lag 5 ev · 10 min');
  });
});

describe('overlays -> element data', () => {
  const base = toElements(g, DEFAULT_LABELS);

  it('adds the label line and the style attributes to marked nodes only, leaving edges and boxes as they were', () => {
    const o = buildOverlays(g, [run()], [badge()]);
    const els = applyOverlays(base, o);
    expect(els).toHaveLength(base.length);
    const byId = new Map(els.map((e) => [String(e.data.id), e]));
    const svc = byId.get('svc:kind:bookinfo:reviews')!;
    expect(svc.data).toMatchObject({ canary: 'progressing', canaryRole: 'service', lag: null });
    expect(String(svc.data.label).split('\n')).toEqual(['reviews', '⤴ canary 30 % · progressing']);
    expect(byId.get('svc:kind:bookinfo:ratings')!.data).toMatchObject({ canary: null, lag: 'warn', label: 'ratings\n◷ lag 1,234 ev · 42 s' });
    const plain = byId.get('wl:kind:bookinfo:productpage-v1')!;
    expect(plain.data).toMatchObject({ canary: null, canaryRole: null, lag: null, label: 'productpage-v1' });
    // Edges and boxes are the very same objects: the in-place diff sees no change there.
    for (let i = 0; i < base.length; i++) if (base[i]!.group === 'edges' || base[i]!.data.box) expect(els[i]).toBe(base[i]);
  });

  it('changes the signature of exactly the nodes whose overlay changed, and clears a removed overlay', () => {
    const before = applyOverlays(base, buildOverlays(g, [run({ weight: 30 })], []));
    const after = applyOverlays(base, buildOverlays(g, [run({ weight: 40 })], []));
    const changed = before.filter((e, i) => e.sig !== after[i]!.sig).map((e) => String(e.data.id)).sort();
    expect(changed).toEqual(['svc:kind:bookinfo:reviews', 'wl:kind:bookinfo:reviews-v1', 'wl:kind:bookinfo:reviews-v2']);
    const none = applyOverlays(base, buildOverlays(g, [run({ state: 'succeeded' })], []));
    const svc = none.find((e) => e.data.id === 'svc:kind:bookinfo:reviews')!;
    // Explicit nulls: cytoscape merges data, so a missing key would leave the old mark on screen.
    expect(Object.keys(svc.data)).toEqual(expect.arrayContaining(['canary', 'canaryRole', 'lag']));
    expect(svc.data).toMatchObject({ canary: null, lag: null, label: 'reviews' });
    expect(overlayData(undefined)).toEqual({ canary: null, canaryRole: null, lag: null });
  });

  it('leaves the graph data itself alone', () => {
    const copy = structuredClone(g);
    applyOverlays(toElements(g, DEFAULT_LABELS), buildOverlays(g, [run()], [badge()]));
    expect(g).toEqual(copy);
  });
});
