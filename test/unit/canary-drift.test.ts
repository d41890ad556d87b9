import { describe, expect, it } from 'vitest';
import { detectDrift, lastWriter } from '../../main/canary/drift';
import { initialProgress } from '../../main/canary/state-machine';
import { metadataOps, pickRoute, weightOps, weightsOf } from '../../main/canary/weights';
import type { RawObject } from '../../main/canary/weights';
import { applyPatch } from '../../main/traffic/jsonpatch';
import { catalogVirtualService } from '../fixtures/canary/fakes';

const T0 = new Date('2025-01-01T00:00:00Z');
const progressing = (weight: number) => ({ ...initialProgress(T0, 'ana'), state: 'progressing' as const, stepIndex: 0, weight });

describe('canary weights and drift', () => {
  it('reads the catch-all route of a VirtualService, not the header route', () => {
    const vs = catalogVirtualService(90, 10);
    expect(weightsOf('VirtualService', vs, 'v1', 'v2')).toEqual({ weights: { stable: 90, canary: 10 }, problem: null, route: 1 });
    const p = pickRoute('VirtualService', vs, 'v1', 'v2');
    expect(p.ok && p.route.index).toBe(1);
  });

  it('reads HTTPRoute (relative weights, default 1) and TrafficSplit (quantities)', () => {
    const hr: RawObject = { spec: { rules: [{ backendRefs: [{ name: 'search-v1', port: 8080, weight: 3 }, { name: 'search-v2', port: 8080, weight: 1 }] }] } };
    expect(weightsOf('HTTPRoute', hr, 'search-v1', 'search-v2').weights).toEqual({ stable: 75, canary: 25 });
    const implicit: RawObject = { spec: { rules: [{ backendRefs: [{ name: 'a' }, { name: 'b' }] }] } };
    expect(weightsOf('HTTPRoute', implicit, 'a', 'b').weights).toEqual({ stable: 50, canary: 50 });
    const ts: RawObject = { spec: { service: 'invoices', backends: [{ service: 'invoices-v1', weight: '900m' }, { service: 'invoices-v2', weight: '100m' }] } };
    expect(weightsOf('TrafficSplit', ts, 'invoices-v1', 'invoices-v2').weights).toEqual({ stable: 90, canary: 10 });
  });

  it('a canary destination that is not in the route yet reads as 0 %, and the patch adds it', () => {
    const vs: RawObject = { metadata: { name: 'x' }, spec: { http: [{ route: [{ destination: { host: 'catalog', subset: 'v1' } }] }] } };
    expect(weightsOf('VirtualService', vs, 'v1', 'v2').weights).toEqual({ stable: 100, canary: 0 });
    const after = applyPatch(vs, weightOps('VirtualService', vs, 'v1', 'v2', { stable: 80, canary: 20 }));
    expect(weightsOf('VirtualService', after, 'v1', 'v2').weights).toEqual({ stable: 80, canary: 20 });
    expect((after.spec as { http: { route: unknown[] }[] }).http[0]?.route[1]).toEqual({ destination: { host: 'catalog', subset: 'v2' }, weight: 20 });
  });

  it('other destinations carrying traffic are a problem for a canary', () => {
    const vs: RawObject = { spec: { http: [{ route: [{ destination: { host: 'c', subset: 'v1' }, weight: 50 }, { destination: { host: 'c', subset: 'v2' }, weight: 25 }, { destination: { host: 'c', subset: 'v3' }, weight: 25 }] }] } };
    expect(weightsOf('VirtualService', vs, 'v1', 'v2').problem).toMatch(/v3/);
  });

  it('weight ops change only the two weights; metadata ops keep other annotations', () => {
    const vs = catalogVirtualService(100, 0);
    vs.metadata = { ...vs.metadata, annotations: { keep: 'me' } };
    const ops = [...weightOps('VirtualService', vs, 'v1', 'v2', { stable: 70, canary: 30 }), ...metadataOps(vs, { 'meshdeck.io/canary': '{}' }, { 'meshdeck.io/canary': 'run' })];
    const after = applyPatch(vs, ops);
    expect(after.metadata?.annotations).toEqual({ keep: 'me', 'meshdeck.io/canary': '{}' });
    expect(after.metadata?.labels).toEqual({ app: 'catalog', 'meshdeck.io/canary': 'run' });
    const http = (after.spec as { http: unknown[] }).http;
    expect(http[0]).toEqual((vs.spec as { http: unknown[] }).http[0]);
    expect(weightsOf('VirtualService', after, 'v1', 'v2').weights).toEqual({ stable: 70, canary: 30 });
  });

  it('detects drift only in driven states, with the last writer', () => {
    const vs = catalogVirtualService(70, 30);
    vs.metadata = { ...vs.metadata, managedFields: [{ manager: 'meshdeck-canary', time: '2025-01-01T00:00:05Z' }, { manager: 'kubectl-edit', time: '2025-01-01T00:00:03Z' }] };
    expect(detectDrift(progressing(30), { stable: 70, canary: 30 }, vs, 'meshdeck-canary')).toEqual({ drifted: false });
    expect(detectDrift(progressing(10), { stable: 70, canary: 30 }, vs, 'meshdeck-canary')).toEqual({ drifted: true, observed: { stable: 70, canary: 30 }, by: 'kubectl-edit' });
    expect(detectDrift({ ...progressing(10), state: 'paused' }, { stable: 70, canary: 30 }, vs, 'x').drifted).toBe(false);
    expect(detectDrift(progressing(10), null, vs, 'x').drifted).toBe(true);
    // Rounding of proportional weights is not drift.
    expect(detectDrift(progressing(33), { stable: 66.7, canary: 33.3 }, vs, 'x').drifted).toBe(false);
    expect(lastWriter(null, 'x')).toBeNull();
  });
});
