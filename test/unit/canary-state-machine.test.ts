import { describe, expect, it } from 'vitest';
import { ACCEPTS, boundHistory, initialProgress, MAX_HISTORY, transition, verdictOf } from '../../main/canary/state-machine';
import type { CanaryEvent, CanaryEventType } from '../../main/canary/state-machine';
import { CANARY_STATES } from '../../shared/canary/types';
import type { CanaryProgress, CanaryState, CheckResult, HistoryEntry } from '../../shared/canary/types';
import { stepWeights } from '../../shared/canary/spec';
import { spec } from '../fixtures/canary/fakes';

const T0 = new Date('2025-01-01T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const ctx = (s = 0) => ({ now: at(s), actor: 'ana@laptop' });

const pass: CheckResult[] = [
  { check: 'success-rate', kind: 'success-rate', value: 99.9, threshold: { min: 99 }, unit: '%', outcome: 'pass' },
  { check: 'latency-p99', kind: 'latency-p99', value: 40, threshold: { max: 500 }, unit: 'ms', outcome: 'pass' },
];
const failing: CheckResult[] = [
  { check: 'success-rate', kind: 'success-rate', value: 70.12, threshold: { min: 99 }, unit: '%', outcome: 'fail' },
  { check: 'latency-p99', kind: 'latency-p99', value: 40, threshold: { max: 500 }, unit: 'ms', outcome: 'pass' },
];
const noData: CheckResult[] = [{ check: 'success-rate', kind: 'success-rate', value: null, threshold: { min: 99 }, unit: '%', outcome: 'noData', message: 'the query returned no series' }];

function step(s: ReturnType<typeof spec>, p: CanaryProgress, ev: CanaryEvent, sec = 0) {
  const t = transition(s, p, ev, ctx(sec));
  if (!t.ok) throw new Error(t.reason);
  return t;
}

describe('canary state machine', () => {
  const s = spec();

  it('begins at step 1 with one weight change and a due check one interval later', () => {
    const t = step(s, initialProgress(T0, 'ana'), { type: 'begin' });
    expect(t.progress.state).toBe('progressing');
    expect(t.progress.stepIndex).toBe(0);
    expect(t.weights).toEqual({ stable: 90, canary: 10 });
    expect(t.progress.stepStartedAt).toBe(T0.toISOString());
    expect(t.progress.nextCheckAt).toBe(at(10).toISOString());
  });

  it('walks every step on passing checks, then promotes and succeeds', () => {
    let p = step(s, initialProgress(T0, 'ana'), { type: 'begin' }).progress;
    let t = step(s, p, { type: 'analysis', results: pass }, 10);
    expect(t.weights).toEqual({ stable: 50, canary: 50 });
    expect(t.progress.stepIndex).toBe(1);
    p = t.progress;
    t = step(s, p, { type: 'analysis', results: pass }, 20);
    expect(t.progress.state).toBe('promoting');
    expect(t.weights).toEqual({ stable: 0, canary: 100 });
    t = step(s, t.progress, { type: 'promoted' }, 20);
    expect(t.progress.state).toBe('succeeded');
    expect(t.weights).toBeNull();
    expect(t.progress.finishedAt).toBe(at(20).toISOString());
  });

  it('counts failed checks cumulatively and rolls back at the threshold, naming the failing check and its value', () => {
    let p = step(s, initialProgress(T0, 'ana'), { type: 'begin' }).progress;
    let t = step(s, p, { type: 'analysis', results: failing }, 10);
    expect(t.progress.state).toBe('progressing');
    expect(t.progress.failedChecks).toBe(1);
    expect(t.weights).toBeNull();
    // A passing interval in between advances but does not reset the count (Flagger's semantics).
    t = step(s, t.progress, { type: 'analysis', results: pass }, 20);
    expect(t.progress.stepIndex).toBe(1);
    p = t.progress;
    t = step(s, p, { type: 'analysis', results: failing }, 30);
    expect(t.progress.state).toBe('rolledBack');
    expect(t.weights).toEqual({ stable: 100, canary: 0 });
    expect(t.progress.failure?.results.map((r) => [r.check, r.value])).toEqual([['success-rate', 70.12]]);
    expect(t.progress.message).toContain('success-rate 70.1 %');
    expect(t.progress.message).toContain('(needs ≥ 99 %)');
  });

  it('no data: policy "fail" counts it, policy "hold" holds the step without counting', () => {
    const failSpec = spec({ noData: 'fail' });
    let p = step(failSpec, initialProgress(T0, 'ana'), { type: 'begin' }).progress;
    let t = step(failSpec, p, { type: 'analysis', results: noData }, 10);
    expect(t.progress.failedChecks).toBe(1);

    const holdSpec = spec({ noData: 'hold' });
    p = step(holdSpec, initialProgress(T0, 'ana'), { type: 'begin' }).progress;
    for (let i = 1; i <= 5; i++) {
      t = step(holdSpec, p, { type: 'analysis', results: noData }, 10 * i);
      p = t.progress;
      expect(p.state).toBe('progressing');
      expect(p.stepIndex).toBe(0);
      expect(p.failedChecks).toBe(0);
      expect(t.weights).toBeNull();
    }
    expect(p.heldChecks).toBe(5);
    expect(p.message).toContain('no data');
    // A real failure still fails under "hold".
    t = step(holdSpec, p, { type: 'analysis', results: failing }, 60);
    expect(t.progress.failedChecks).toBe(1);
  });

  it('treats a failed query like no data (error outcome follows the policy)', () => {
    const err: CheckResult[] = [{ ...noData[0]!, outcome: 'error', message: 'UNREACHABLE' }];
    expect(verdictOf(err, 'hold')).toBe('hold');
    expect(verdictOf(err, 'fail')).toBe('fail');
    expect(verdictOf([], 'fail')).toBe('pass');
    expect(verdictOf([...pass, ...noData], 'hold')).toBe('hold');
    expect(verdictOf([...failing, ...noData], 'hold')).toBe('fail');
  });

  it('waits for approval before a step and before the promotion', () => {
    const a = spec({ approvals: { beforeSteps: [1], beforePromotion: true } });
    let t = step(a, initialProgress(T0, 'ana'), { type: 'begin' });
    t = step(a, t.progress, { type: 'analysis', results: pass }, 10);
    expect(t.progress.state).toBe('awaitingApproval');
    expect(t.progress.pendingStep).toBe(1);
    expect(t.weights).toBeNull();
    // Checks keep running while waiting; passing ones don't advance.
    t = step(a, t.progress, { type: 'analysis', results: pass }, 20);
    expect(t.progress.state).toBe('awaitingApproval');
    t = step(a, t.progress, { type: 'approve' }, 25);
    expect(t.progress.state).toBe('progressing');
    expect(t.weights).toEqual({ stable: 50, canary: 50 });
    t = step(a, t.progress, { type: 'analysis', results: pass }, 35);
    expect(t.progress.state).toBe('awaitingApproval');
    expect(t.progress.pendingStep).toBe(2);
    t = step(a, t.progress, { type: 'approve' }, 40);
    expect(t.progress.state).toBe('promoting');
  });

  it('approval before the first step: begin waits, no weight moves, no analysis', () => {
    const a = spec({ approvals: { beforeSteps: [0], beforePromotion: false } });
    const t = step(a, initialProgress(T0, 'ana'), { type: 'begin' });
    expect(t.progress.state).toBe('awaitingApproval');
    expect(t.weights).toBeNull();
    expect(t.progress.nextCheckAt).toBeNull();
    expect(transition(a, t.progress, { type: 'analysis', results: pass }, ctx(5)).ok).toBe(false);
    expect(step(a, t.progress, { type: 'approve' }).weights).toEqual({ stable: 90, canary: 10 });
  });

  it('pause keeps the rest of the interval; resume neither shortens nor restarts it', () => {
    let t = step(s, initialProgress(T0, 'ana'), { type: 'begin' });
    t = step(s, t.progress, { type: 'pause' }, 4);
    expect(t.progress.state).toBe('paused');
    expect(t.progress.remainingMs).toBe(6000);
    expect(t.weights).toBeNull();
    t = step(s, t.progress, { type: 'resume' }, 100);
    expect(t.progress.state).toBe('progressing');
    expect(t.progress.nextCheckAt).toBe(at(106).toISOString());
    expect(t.progress.stepStartedAt).toBe(T0.toISOString());
  });

  it('drift pauses with what was expected and found; resume writes the run weights back', () => {
    let t = step(s, initialProgress(T0, 'ana'), { type: 'begin' });
    t = step(s, t.progress, { type: 'drift', observed: { stable: 70, canary: 30 }, by: 'kubectl-edit' }, 3);
    expect(t.progress.state).toBe('paused');
    expect(t.progress.pauseReason).toBe('drift');
    expect(t.progress.drift).toMatchObject({ expected: { stable: 90, canary: 10 }, observed: { stable: 70, canary: 30 }, by: 'kubectl-edit' });
    expect(t.weights).toBeNull();
    expect(t.progress.history.at(-1)?.kind).toBe('drift');
    t = step(s, t.progress, { type: 'resume' }, 50);
    expect(t.progress.state).toBe('progressing');
    expect(t.weights).toEqual({ stable: 90, canary: 10 });
    expect(t.progress.drift).toBeNull();
    expect(t.progress.nextCheckAt).toBe(at(60).toISOString());
  });

  it('promote now, abort and retry', () => {
    let t = step(s, initialProgress(T0, 'ana'), { type: 'begin' });
    const promoted = step(s, t.progress, { type: 'promote' }, 1);
    expect(promoted.weights).toEqual({ stable: 0, canary: 100 });
    expect(promoted.progress.state).toBe('promoting');
    t = step(s, t.progress, { type: 'abort' }, 2);
    expect(t.progress.state).toBe('aborted');
    expect(t.weights).toEqual({ stable: 100, canary: 0 });
    t = step(s, t.progress, { type: 'retry' }, 3);
    expect(t.progress).toMatchObject({ state: 'waiting', attempt: 2, stepIndex: -1, failedChecks: 0, weight: 0, failure: null });
    expect(t.progress.history.some((h) => h.message.startsWith('Aborted'))).toBe(true);
  });

  it('accepts exactly the events ACCEPTS lists, in every state', () => {
    const events: Record<CanaryEventType, CanaryEvent> = {
      begin: { type: 'begin' }, analysis: { type: 'analysis', results: pass }, pause: { type: 'pause' }, resume: { type: 'resume' },
      promote: { type: 'promote' }, abort: { type: 'abort' }, retry: { type: 'retry' }, approve: { type: 'approve' },
      drift: { type: 'drift', observed: null, by: null }, promoted: { type: 'promoted' },
    };
    const base = initialProgress(T0, 'ana');
    for (const state of CANARY_STATES) {
      const p: CanaryProgress = { ...base, state, stepIndex: 0, weight: 10, nextCheckAt: at(10).toISOString(), pendingStep: state === 'awaitingApproval' ? 1 : null, pausedFrom: state === 'paused' ? 'progressing' : null, pauseReason: state === 'paused' ? 'user' : null };
      for (const [type, ev] of Object.entries(events) as [CanaryEventType, CanaryEvent][]) {
        const t = transition(s, p, ev, ctx(1));
        expect(t.ok, `${state} + ${type}`).toBe(ACCEPTS[state as CanaryState].includes(type));
        if (!t.ok) expect(t.reason).toContain(state);
        else {
          // Every accepted transition records itself in the history and keeps weights in 0..100.
          expect(t.progress.history.length).toBeGreaterThanOrEqual(p.history.length);
          if (t.weights) expect(t.weights.stable + t.weights.canary).toBe(100);
        }
      }
    }
  });

  it('keeps the history bounded, dropping old checks of busy steps first', () => {
    const mk = (i: number, kind: HistoryEntry['kind'], stepIx: number): HistoryEntry => ({ at: at(i).toISOString(), kind, step: stepIx, weight: 10, state: 'progressing', message: `${kind} ${i}` });
    const h: HistoryEntry[] = [mk(0, 'weights', 0)];
    for (let i = 1; i < 200; i++) h.push(mk(i, 'check', 0));
    h.push(mk(200, 'weights', 1));
    const b = boundHistory(h);
    expect(b).toHaveLength(MAX_HISTORY);
    expect(b[0]?.kind).toBe('weights');
    expect(b.at(-1)?.message).toBe('weights 200');
  });

  it('linear steps stop at the max weight', () => {
    expect(stepWeights({ kind: 'linear', stepWeight: 20, maxWeight: 50 })).toEqual([20, 40, 50]);
    expect(stepWeights({ kind: 'linear', stepWeight: 10, maxWeight: 50 })).toEqual([10, 20, 30, 40, 50]);
  });
});

describe('UI commands', () => {
  it('every button the UI enables is accepted by the state machine', async () => {
    const { COMMANDS_BY_STATE } = await import('../../shared/canary/format');
    for (const state of CANARY_STATES) for (const c of COMMANDS_BY_STATE[state]) expect(ACCEPTS[state], `${state}: ${c}`).toContain(c);
  });
});
