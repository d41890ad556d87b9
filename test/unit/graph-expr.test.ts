import { describe, expect, it } from 'vitest';
import { evaluate, parseExpr, tryParseExpr } from '../../shared/graph/expr';
import type { ExprTarget } from '../../shared/graph/expr';
import type { GraphEdge, GraphNode } from '../../shared/graph/types';

const split = (total: number, err4xx = 0, err5xx = 0) => ({ total, err4xx, err5xx });
function node(p: Partial<GraphNode>): GraphNode {
  return {
    id: 'n', type: 'workload', parent: null, cluster: 'c', namespace: 'shop', name: 'reviews-v1', mesh: 'istio',
    traffic: { httpIn: split(0), httpOut: split(0), tcpIn: 0, tcpOut: 0 }, health: 'healthy', badges: [],
    isOutside: false, isRoot: false, isIdle: false, services: [], ...p,
  };
}
function edge(p: Partial<GraphEdge>): GraphEdge {
  return {
    id: 'e', source: 'a', target: 'b', protocol: 'http', mesh: 'istio', rate: 12, rates: split(12, 0, 1), errorPct: 8.33,
    sharePct: 50, responseTime: { p50: 10, p95: 600, p99: 1200 }, throughput: null, mtlsPct: 100, health: 'degraded',
    isIdle: false, codes: {}, ...p,
  };
}
const N = (p: Partial<GraphNode>): ExprTarget => ({ kind: 'node', node: node(p) });
const E = (p: Partial<GraphEdge>): ExprTarget => ({ kind: 'edge', edge: edge(p) });
const t = (src: string, x: ExprTarget) => evaluate(parseExpr(src), x);

describe('find/hide expressions', () => {
  it('compares rates, error percentages and latency with units', () => {
    expect(t('rps > 10', E({}))).toBe(true);
    expect(t('rps > 12', E({}))).toBe(false);
    expect(t('error > 5%', E({}))).toBe(true);
    expect(t('error > 5', E({ errorPct: 4.9 }))).toBe(false);
    expect(t('rt > 500ms', E({}))).toBe(true);
    expect(t('p99 >= 1.2s', E({}))).toBe(true);
    expect(t('p50 < 5', E({}))).toBe(false);
    expect(t('share = 50%', E({}))).toBe(true);
    expect(t('tcp > 1k', E({ protocol: 'tcp', rate: 2000, throughput: 2000 }))).toBe(true);
    // a node's rps is what it serves
    expect(t('rps >= 3', N({ traffic: { httpIn: split(3), httpOut: split(9), tcpIn: 0, tcpOut: 0 } }))).toBe(true);
    expect(t('error >= 50', N({ traffic: { httpIn: split(4, 1, 1), httpOut: split(0), tcpIn: 0, tcpOut: 0 } }))).toBe(true);
  });

  it('matches names with globs, case-insensitively, and text operators', () => {
    expect(t('name = reviews*', N({}))).toBe(true);
    expect(t('name = REVIEWS-v?', N({}))).toBe(true);
    expect(t('name = ratings*', N({}))).toBe(false);
    expect(t('name != ratings*', N({}))).toBe(true);
    expect(t('ns = shop', N({}))).toBe(true);
    expect(t('name ^= rev and name $= v1 and name *= ews', N({}))).toBe(true);
    expect(t('type = service', N({ type: 'service' }))).toBe(true);
    expect(t('name="reviews-v1"', N({}))).toBe(true);
    // text operands say nothing about edges
    expect(t('name = *', E({}))).toBe(false);
  });

  it('has health flags, negation, and/or with standard precedence, parentheses', () => {
    expect(t('!healthy', N({ health: 'failure' }))).toBe(true);
    expect(t('not healthy', N({}))).toBe(false);
    expect(t('degraded', E({}))).toBe(true);
    expect(t('idle', N({ health: 'idle' }))).toBe(true);
    // and binds tighter: failure or (healthy and ns = x)
    expect(t('failure or healthy and ns = other', N({}))).toBe(false);
    expect(t('(failure or healthy) and ns = shop', N({}))).toBe(true);
    expect(t('healthy && ns = shop || failure', N({}))).toBe(true);
    expect(t('cb', N({ badges: ['circuitBreaker'] }))).toBe(true);
    expect(t('ts or fi', N({ badges: ['faultInjection'] }))).toBe(true);
    expect(t('mtls', E({}))).toBe(true);
    expect(t('mtls < 100', E({ mtlsPct: 50 }))).toBe(true);
    expect(t('root and !outside', N({ isRoot: true }))).toBe(true);
  });

  it('reports errors with their position instead of throwing', () => {
    expect(tryParseExpr('')).toEqual({ ok: true, expr: null });
    expect(tryParseExpr('rps >')).toMatchObject({ ok: false, error: 'a value must follow ">"' });
    expect(tryParseExpr('speed > 3')).toMatchObject({ ok: false, at: 0 });
    expect(tryParseExpr('rps > fast')).toMatchObject({ ok: false, error: '"fast" is not a number' });
    expect(tryParseExpr('name > 3')).toMatchObject({ ok: false });
    expect(tryParseExpr('(healthy')).toMatchObject({ ok: false, error: 'missing ")"' });
    expect(tryParseExpr('healthy degraded')).toMatchObject({ ok: false, at: 8 });
    expect(tryParseExpr('bogusflag')).toMatchObject({ ok: false });
  });
});
