/**
 * Event-store gates in the canary analysis: projection lag ≤ N events and saga failure rate ≤ X %,
 * evaluated like the other checks (value vs threshold), with unknown projections, silent stores and
 * unreachable ones following the run's no-data policy; the spec refuses bad gates by field.
 */
import { describe, expect, it } from 'vitest';
import { evaluateGate, runAnalysis } from '../../main/canary/analysis';
import type { GateProvider, SagaFailureCounts } from '../../main/canary/ports';
import { initialProgress, transition } from '../../main/canary/state-machine';
import { canarySpecSchema } from '../../shared/canary/spec';
import type { CanarySpec, EventStoreGate } from '../../shared/canary/spec';
import { describeResult } from '../../shared/canary/format';
import type { CanaryProgress, CheckResult } from '../../shared/canary/types';
import { ApiError } from '../../shared/errors';
import { FakeProm, spec } from '../fixtures/canary/fakes';

const signal = new AbortController().signal;
const T0 = new Date('2025-01-01T00:00:00Z');

/** A scripted store: lag per projection (missing: NOT_FOUND), saga counts, or a failure. */
class FakeGates implements GateProvider {
  lags: Record<string, number | null> = { 'orders-read-model': 40 };
  sagas: SagaFailureCounts = { finished: 200, failed: 4, rate: 0.02 };
  fail: Error | null = null;
  calls: string[] = [];
  async projectionLag(connectionId: string, projection: string): Promise<number | null> {
    this.calls.push(`lag ${connectionId} ${projection}`);
    if (this.fail) throw this.fail;
    if (!(projection in this.lags)) throw new ApiError('NOT_FOUND', `No projection ${JSON.stringify(projection)} in this event store (found: orders-read-model).`, { field: 'projection' });
    return this.lags[projection] ?? null;
  }
  async sagaFailureRate(connectionId: string, windowSec: number): Promise<SagaFailureCounts> {
    this.calls.push(`sagas ${connectionId} ${windowSec}`);
    if (this.fail) throw this.fail;
    return this.sagas;
  }
}

const lagGate = (maxLag: number, projection = 'orders-read-model'): EventStoreGate => ({ kind: 'projectionLag', connectionId: 'sandbox', projection, maxLag });
const sagaGate = (maxPercent: number, minFinished = 1): EventStoreGate => ({ kind: 'sagaFailureRate', connectionId: 'sandbox', windowSec: 900, maxPercent, minFinished });
const gated = (gates: unknown[], over: Record<string, unknown> = {}): CanarySpec =>
  spec({ ...over, analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', gates: gates as EventStoreGate[] } });

describe('event-store gates: evaluation', () => {
  it('projection lag within the threshold passes, with the lag as its value', async () => {
    const r = await evaluateGate(lagGate(100), new FakeGates(), signal);
    expect(r).toMatchObject({ check: 'projection-lag:orders-read-model', kind: 'gate', value: 40, threshold: { max: 100 }, unit: 'events', outcome: 'pass' });
    // Inclusive, as the other thresholds.
    expect((await evaluateGate(lagGate(40), new FakeGates(), signal)).outcome).toBe('pass');
  });

  it('a projection far behind fails and says by how much', async () => {
    const g = new FakeGates();
    g.lags['orders-read-model'] = 18_250;
    const r = await evaluateGate(lagGate(100), g, signal);
    expect(r).toMatchObject({ value: 18_250, outcome: 'fail' });
    expect(describeResult(r)).toBe('projection-lag:orders-read-model 18250 events (needs ≤ 100 events)');
  });

  it('an unknown projection and a store that cannot tell are no data; an unreachable store is an error', async () => {
    const g = new FakeGates();
    const unknown = await evaluateGate(lagGate(100, 'nope'), g, signal);
    expect(unknown).toMatchObject({ outcome: 'noData', value: null, message: expect.stringContaining('No projection "nope"') });
    g.lags.silent = null;
    expect(await evaluateGate(lagGate(100, 'silent'), g, signal)).toMatchObject({ outcome: 'noData', value: null, message: expect.stringContaining('could not tell') });
    g.fail = new ApiError('UNREACHABLE', 'connect ECONNREFUSED 127.0.0.1:5432');
    expect(await evaluateGate(lagGate(100), g, signal)).toMatchObject({ outcome: 'error', value: null, message: 'UNREACHABLE: connect ECONNREFUSED 127.0.0.1:5432' });
    expect(await evaluateGate(sagaGate(5), g, signal)).toMatchObject({ outcome: 'error', unit: '%' });
    expect(await evaluateGate(lagGate(100), null, signal)).toMatchObject({ outcome: 'error', message: expect.stringContaining('not wired') });
  });

  it('saga failure rate: failed / finished in %, against the max, with the counts in the message', async () => {
    const g = new FakeGates();
    const ok = await evaluateGate(sagaGate(5), g, signal);
    expect(ok).toMatchObject({ check: 'saga-failure-rate:sandbox', kind: 'gate', value: 2, threshold: { max: 5 }, unit: '%', outcome: 'pass', message: '4 of 200 sagas failed in the last 15m' });
    expect(g.calls).toEqual(['sagas sandbox 900']);
    g.sagas = { finished: 10, failed: 1, rate: 0.1 };
    const bad = await evaluateGate(sagaGate(5), g, signal);
    expect(bad).toMatchObject({ value: 10, outcome: 'fail' });
    expect(describeResult(bad)).toBe('saga-failure-rate:sandbox 10.0 % (needs ≤ 5 %)');
  });

  it('saga failure rate with nothing (or too little) finished is no data, never a pass', async () => {
    const g = new FakeGates();
    g.sagas = { finished: 0, failed: 0, rate: null };
    expect(await evaluateGate(sagaGate(5), g, signal)).toMatchObject({ outcome: 'noData', value: null, message: 'no saga finished in the last 15m' });
    g.sagas = { finished: 3, failed: 0, rate: 0 };
    expect(await evaluateGate(sagaGate(5, 20), g, signal)).toMatchObject({ outcome: 'noData', value: 0, message: expect.stringContaining('only 3 sagas finished') });
  });

  it('an abort is rethrown, not turned into a result', async () => {
    const ctl = new AbortController();
    const g = new FakeGates();
    g.projectionLag = async () => {
      ctl.abort();
      throw new ApiError('CANCELLED', 'cancelled');
    };
    await expect(evaluateGate(lagGate(100), g, ctl.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('event-store gates: in the interval', () => {
  it('runAnalysis reports the gates after the Prometheus checks, each with its value', async () => {
    const g = new FakeGates();
    g.lags['orders-read-model'] = 5000;
    const rs = await runAnalysis(gated([lagGate(100), sagaGate(5)]), { prometheus: new FakeProm(), gates: g }, signal);
    expect(rs.map((r) => `${r.check}:${r.outcome}`)).toEqual(['success-rate:pass', 'latency-p99:pass', 'projection-lag:orders-read-model:fail', 'saga-failure-rate:sandbox:pass']);
    expect(rs[2]?.value).toBe(5000);
  });

  const run = (s: CanarySpec, results: CheckResult[][]): CanaryProgress => {
    let t = transition(s, initialProgress(T0, 'ana'), { type: 'begin' }, { now: T0, actor: 'ana' });
    if (!t.ok) throw new Error(t.reason);
    let p = t.progress;
    results.forEach((r, i) => {
      t = transition(s, p, { type: 'analysis', results: r }, { now: new Date(T0.getTime() + (i + 1) * 10_000), actor: 'ana' });
      if (!t.ok) throw new Error(t.reason);
      p = t.progress;
    });
    return p;
  };

  it('a failing gate counts as a failed check and rolls back with the gate and its lag', async () => {
    const g = new FakeGates();
    g.lags['orders-read-model'] = 18_250;
    const s = gated([lagGate(100)]);
    const r1 = await runAnalysis(s, { prometheus: new FakeProm(), gates: g }, signal);
    const p = run(s, [r1, r1]);
    expect(p.state).toBe('rolledBack');
    expect(p.failure?.results).toEqual([expect.objectContaining({ check: 'projection-lag:orders-read-model', value: 18_250, outcome: 'fail' })]);
    expect(p.message).toContain('projection-lag:orders-read-model 18250 events (needs ≤ 100 events)');
  });

  it('an unknown projection holds the step under "hold" and fails it under "fail"', async () => {
    const g = new FakeGates();
    const rs = await runAnalysis(gated([lagGate(100, 'gone')]), { prometheus: new FakeProm(), gates: g }, signal);
    const held = run(gated([lagGate(100, 'gone')], { noData: 'hold' }), [rs, rs, rs]);
    expect(held).toMatchObject({ state: 'progressing', stepIndex: 0, heldChecks: 3, failedChecks: 0 });
    expect(held.message).toMatch(/Holding step 1 .*projection-lag:gone: no data \(No projection "gone"/);
    const failed = run(gated([lagGate(100, 'gone')], { noData: 'fail' }), [rs, rs]);
    expect(failed.state).toBe('rolledBack');
    expect(failed.failure?.results[0]).toMatchObject({ check: 'projection-lag:gone', outcome: 'noData' });
  });
});

describe('event-store gates: the spec', () => {
  const issues = (gates: unknown[]) => {
    const r = canarySpecSchema.safeParse({
      target: { kind: 'VirtualService', namespace: 'shop', name: 'catalog', service: 'catalog', stable: 'v1', canary: 'v2' },
      analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', gates },
    });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts both kinds, with defaults for the saga window and minimum', () => {
    const s = canarySpecSchema.parse({
      target: { kind: 'VirtualService', namespace: 'shop', name: 'catalog', service: 'catalog', stable: 'v1', canary: 'v2' },
      analysis: { stableWorkload: 'catalog-v1', canaryWorkload: 'catalog-v2', gates: [lagGate(100), { kind: 'sagaFailureRate', connectionId: 'sandbox', maxPercent: 5 }] },
    });
    expect(s.analysis.gates[1]).toEqual({ kind: 'sagaFailureRate', connectionId: 'sandbox', windowSec: 900, maxPercent: 5, minFinished: 1 });
  });

  it('names the field and what is wrong', () => {
    expect(issues([{ kind: 'projectionLag', connectionId: '', projection: 'x', maxLag: 1 }])).toEqual(['analysis.gates.0.connectionId: pick an event store connection']);
    expect(issues([{ kind: 'projectionLag', connectionId: 'c', projection: '', maxLag: 1 }])).toEqual(['analysis.gates.0.projection: pick a projection']);
    expect(issues([{ kind: 'projectionLag', connectionId: 'c', projection: 'x', maxLag: -1 }])).toEqual(['analysis.gates.0.maxLag: the max lag cannot be negative']);
    expect(issues([{ kind: 'projectionLag', connectionId: 'c', projection: 'x', maxLag: 1.5 }])).toEqual(['analysis.gates.0.maxLag: the max lag is a whole number of events']);
    expect(issues([{ kind: 'projectionLag', connectionId: 'c', projection: 'x', maxLag: Number.NaN }])).toEqual(['analysis.gates.0.maxLag: give the max lag as a number of events']);
    expect(issues([{ kind: 'sagaFailureRate', connectionId: 'c', maxPercent: 120 }])).toEqual(['analysis.gates.0.maxPercent: the max failure rate is between 0 and 100 %']);
    expect(issues([{ kind: 'sagaFailureRate', connectionId: 'c', maxPercent: 5, windowSec: 0 }])).toEqual(['analysis.gates.0.windowSec: the window must be at least 1 s']);
    expect(issues([{ kind: 'sagaFailureRate', connectionId: 'c', maxPercent: 5, extra: 1 }])[0]).toMatch(/^analysis\.gates\.0: .*extra/);
    expect(issues([{ kind: 'errorBudget', connectionId: 'c' }])).toEqual(['analysis.gates.0.kind: the gate kind must be one of projectionLag, sagaFailureRate']);
  });

  it('refuses two gates that would report under the same name', () => {
    expect(issues([lagGate(100), lagGate(5)])).toEqual(['analysis.gates.1.projection: there is already a lag gate on projection orders-read-model']);
    expect(issues([sagaGate(5), sagaGate(1)])).toEqual(['analysis.gates.1.connectionId: there is already a saga failure-rate gate on this connection']);
    expect(issues([lagGate(100), sagaGate(5), { ...lagGate(100), connectionId: 'other', projection: 'other' }])).toEqual([]);
  });
});
