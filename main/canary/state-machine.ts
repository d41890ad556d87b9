/**
 * The canary run's state machine: pure transitions from (spec, progress, event, now) to the next
 * progress and, when traffic must move, the weights to apply. The controller writes both in ONE
 * guarded patch, so the stored state and the live weights never disagree.
 *
 *   waiting ──begin──▶ progressing(step 0) ──pass──▶ progressing(step i+1) … ──pass──▶ promoting ──promoted──▶ succeeded
 *      │                    │  ▲   │fail×threshold                  ▲                    
 *      │                    │  │   └──────────────▶ rolledBack      │ (approval before a step / the promotion)
 *      │                    ▼  │resume                              │
 *      └──────────────────▶ paused ◀──drift── progressing | awaitingApproval | promoting
 *   any non-terminal ──abort──▶ aborted;  rolledBack | aborted ──retry──▶ waiting
 */
import { stepWeights } from '../../shared/canary/spec';
import type { CanarySpec } from '../../shared/canary/spec';
import { describeResult } from '../../shared/canary/format';
import { isTerminal } from '../../shared/canary/types';
import type { CanaryProgress, CanaryState, CheckResult, HistoryEntry, Weights } from '../../shared/canary/types';

export type CanaryEvent =
  | { type: 'begin' }
  | { type: 'analysis'; results: CheckResult[] }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'promote' }
  | { type: 'abort' }
  | { type: 'retry' }
  | { type: 'approve' }
  | { type: 'drift'; observed: Weights | null; by: string | null }
  | { type: 'promoted' };

export type CanaryEventType = CanaryEvent['type'];

export interface TransitionContext {
  now: Date;
  /** user@host of whoever caused the event (the user for commands, the driving instance for ticks). */
  actor: string;
}

export type Transition =
  | { ok: true; progress: CanaryProgress; weights: Weights | null }
  | { ok: false; reason: string };

export type Verdict = 'pass' | 'fail' | 'hold';

/** Bound on stored history entries: the annotation must stay well under the 256 KiB limit. */
export const MAX_HISTORY = 80;
/** Check entries kept per step once the history is full (the newest ones). */
const MIN_CHECKS_PER_STEP = 3;

const STABLE_ONLY: Weights = { stable: 100, canary: 0 };
const weightsFor = (canary: number): Weights => ({ stable: 100 - canary, canary });

/** Which events each state accepts: the UI enables its buttons from this too. */
export const ACCEPTS: Record<CanaryState, readonly CanaryEventType[]> = {
  waiting: ['begin', 'pause', 'promote', 'abort'],
  progressing: ['analysis', 'pause', 'promote', 'abort', 'drift'],
  paused: ['resume', 'promote', 'abort'],
  awaitingApproval: ['analysis', 'approve', 'pause', 'promote', 'abort', 'drift'],
  promoting: ['promoted', 'abort', 'drift'],
  succeeded: [],
  rolledBack: ['retry'],
  aborted: ['retry'],
};

/**
 * What an interval's results amount to. Any failed threshold fails the interval. Missing data
 * (empty answer, NaN, too few requests) or a failed query follow the run's policy: count as a
 * failed check (Flagger's behaviour) or hold the step and look again next interval.
 */
export function verdictOf(results: readonly CheckResult[], noData: CanarySpec['noData']): Verdict {
  if (results.some((r) => r.outcome === 'fail')) return 'fail';
  if (results.some((r) => r.outcome === 'noData' || r.outcome === 'error')) return noData === 'fail' ? 'fail' : 'hold';
  return 'pass';
}

/** The progress of a run that was just defined: nothing applied yet. */
export function initialProgress(now: Date, actor: string, observedCanaryWeight = 0): CanaryProgress {
  const at = now.toISOString();
  return {
    state: 'waiting',
    stepIndex: -1,
    stepStartedAt: null,
    nextCheckAt: null,
    weight: observedCanaryWeight,
    failedChecks: 0,
    heldChecks: 0,
    lastResults: null,
    lastCheckAt: null,
    pausedFrom: null,
    pauseReason: null,
    remainingMs: null,
    pendingStep: null,
    drift: null,
    failure: null,
    message: 'Waiting for the first step.',
    attempt: 1,
    startedAt: at,
    startedBy: actor,
    finishedAt: null,
    updatedAt: at,
    lease: null,
    history: [{ at, kind: 'state', step: -1, weight: observedCanaryWeight, state: 'waiting', message: `Run defined by ${actor}.`, by: actor }],
  };
}

/** Keeps the history bounded: drops old check entries of steps that have many, then the oldest entries. */
export function boundHistory(history: HistoryEntry[], max = MAX_HISTORY): HistoryEntry[] {
  const out = [...history];
  while (out.length > max) {
    const perStep = new Map<number, number>();
    for (const e of out) if (e.kind === 'check') perStep.set(e.step, (perStep.get(e.step) ?? 0) + 1);
    const i = out.findIndex((e) => e.kind === 'check' && (perStep.get(e.step) ?? 0) > MIN_CHECKS_PER_STEP);
    out.splice(i >= 0 ? i : 0, 1);
  }
  return out;
}

/** Stored results drop the PromQL (kept only in lastResults) to keep the annotation small. */
const compact = (results: CheckResult[]): CheckResult[] => results.map(({ query: _q, ...r }) => r);

function failureMessage(results: CheckResult[], noData: CanarySpec['noData']): string {
  const bad = results.filter((r) => r.outcome === 'fail' || (noData === 'fail' && (r.outcome === 'noData' || r.outcome === 'error')));
  return bad.map(describeResult).join('; ') || 'checks failed';
}

function holdMessage(results: CheckResult[]): string {
  return results.filter((r) => r.outcome === 'noData' || r.outcome === 'error').map(describeResult).join('; ');
}

export function transition(spec: CanarySpec, p: CanaryProgress, ev: CanaryEvent, ctx: TransitionContext): Transition {
  if (!ACCEPTS[p.state].includes(ev.type)) {
    return { ok: false, reason: `A run that is ${p.state} cannot ${ev.type}${isTerminal(p.state) ? ' (it has finished)' : ''}.` };
  }
  const steps = stepWeights(spec.steps);
  const last = steps.length; // index `steps.length` means the promotion
  const now = ctx.now;
  const at = now.toISOString();
  const intervalMs = spec.intervalSec * 1000;
  const nextAt = (ms = intervalMs) => new Date(now.getTime() + ms).toISOString();

  const entry = (e: Omit<HistoryEntry, 'at'>): HistoryEntry => ({ at, ...e });
  const done = (next: CanaryProgress, weights: Weights | null, e: Omit<HistoryEntry, 'at' | 'state' | 'step' | 'weight'> | null): Transition => {
    const history = e ? boundHistory([...next.history, entry({ ...e, state: next.state, step: next.stepIndex, weight: next.weight })]) : next.history;
    return { ok: true, progress: { ...next, updatedAt: at, history }, weights };
  };

  /** Apply step `i` (or the promotion when i === last), unless it needs approval first. */
  const goToStep = (base: CanaryProgress, i: number, why: string, approved: boolean): Transition => {
    const needsApproval = !approved && (i === last ? spec.approvals.beforePromotion : spec.approvals.beforeSteps.includes(i));
    if (needsApproval) {
      const label = i === last ? 'promotion to 100 %' : `step ${i + 1} (${steps[i]} %)`;
      return done(
        { ...base, state: 'awaitingApproval', pendingStep: i, nextCheckAt: base.stepIndex >= 0 ? nextAt() : null, message: `${why} Waiting for approval of ${label}.` },
        null,
        { kind: 'state', message: `Waiting for approval of ${label}.` },
      );
    }
    if (i === last) {
      return done(
        { ...base, state: 'promoting', stepIndex: last, weight: 100, pendingStep: null, stepStartedAt: at, nextCheckAt: at, message: `${why} Promoting: 100 % to ${spec.target.canary}.` },
        weightsFor(100),
        { kind: 'weights', message: `Promoting: 100 % to ${spec.target.canary}.` },
      );
    }
    const w = steps[i] ?? 0;
    return done(
      { ...base, state: 'progressing', stepIndex: i, weight: w, pendingStep: null, stepStartedAt: at, nextCheckAt: nextAt(), message: `Step ${i + 1} of ${steps.length}: ${w} % to ${spec.target.canary}.` },
      weightsFor(w),
      { kind: 'weights', message: `Step ${i + 1} of ${steps.length}: ${spec.target.stable} ${100 - w} % · ${spec.target.canary} ${w} %.` },
    );
  };

  switch (ev.type) {
    case 'begin':
      return goToStep(p, 0, 'Started.', false);

    case 'analysis': {
      if (p.state === 'awaitingApproval' && p.stepIndex < 0) {
        return { ok: false, reason: 'Nothing to analyse before the first step.' };
      }
      const verdict = verdictOf(ev.results, spec.noData);
      const checked = { ...p, lastResults: ev.results, lastCheckAt: at };
      const results = compact(ev.results);
      if (verdict === 'fail') {
        const failedChecks = p.failedChecks + 1;
        const why = failureMessage(ev.results, spec.noData);
        if (failedChecks >= spec.threshold) {
          const message = `Rolled back after ${failedChecks} failed check${failedChecks === 1 ? '' : 's'} (threshold ${spec.threshold}): ${why}.`;
          const withCheck = boundHistory([...p.history, entry({ kind: 'check', step: p.stepIndex, weight: p.weight, state: p.state, message: `Failed check ${failedChecks}/${spec.threshold}: ${why}.`, results, verdict })]);
          return done(
            {
              ...checked, history: withCheck, failedChecks, state: 'rolledBack', weight: 0, pendingStep: null, nextCheckAt: null, finishedAt: at,
              failure: { at, results: ev.results.filter((r) => r.outcome !== 'pass'), message }, message,
            },
            STABLE_ONLY,
            { kind: 'state', message },
          );
        }
        return done(
          { ...checked, failedChecks, nextCheckAt: nextAt(), message: `Failed check ${failedChecks} of ${spec.threshold}: ${why}.` },
          null,
          { kind: 'check', message: `Failed check ${failedChecks}/${spec.threshold}: ${why}.`, results, verdict },
        );
      }
      if (verdict === 'hold') {
        const why = holdMessage(ev.results);
        return done(
          { ...checked, heldChecks: p.heldChecks + 1, nextCheckAt: nextAt(), message: `Holding step ${p.stepIndex + 1} (no data, policy "hold"): ${why}.` },
          null,
          { kind: 'check', message: `Held: ${why}.`, results, verdict },
        );
      }
      // pass
      if (p.state === 'awaitingApproval') {
        return done({ ...checked, nextCheckAt: nextAt() }, null, { kind: 'check', message: 'Checks passed; still waiting for approval.', results, verdict });
      }
      const passed = { ...checked, history: boundHistory([...p.history, entry({ kind: 'check', step: p.stepIndex, weight: p.weight, state: p.state, message: 'Checks passed.', results, verdict })]) };
      return goToStep(passed, p.stepIndex + 1, `Step ${p.stepIndex + 1} passed.`, false);
    }

    case 'approve': {
      const i = p.pendingStep ?? p.stepIndex + 1;
      const approved = { ...p, history: boundHistory([...p.history, entry({ kind: 'command', step: p.stepIndex, weight: p.weight, state: p.state, message: `Approved by ${ctx.actor}.`, by: ctx.actor })]) };
      return goToStep(approved, i, `Approved by ${ctx.actor}.`, true);
    }

    case 'promoted':
      return done(
        { ...p, state: 'succeeded', finishedAt: at, nextCheckAt: null, message: `Succeeded: ${spec.target.canary} gets 100 %.` },
        null,
        { kind: 'state', message: `Succeeded: ${spec.target.canary} gets 100 %.` },
      );

    case 'pause': {
      const remainingMs = p.nextCheckAt ? Math.max(0, Date.parse(p.nextCheckAt) - now.getTime()) : null;
      return done(
        { ...p, state: 'paused', pausedFrom: p.state, pauseReason: 'user', remainingMs, nextCheckAt: null, message: `Paused by ${ctx.actor}.` },
        null,
        { kind: 'command', message: `Paused by ${ctx.actor}.`, by: ctx.actor },
      );
    }

    case 'resume': {
      const back: CanaryState = p.pausedFrom && !isTerminal(p.pausedFrom) && p.pausedFrom !== 'paused' ? p.pausedFrom : 'progressing';
      if (p.pauseReason === 'drift') {
        // The weights were changed by someone else: put the run's weights back (one guarded patch)
        // and observe a full interval at them, since the last one saw other traffic.
        const next: CanaryProgress = {
          ...p, state: back, pausedFrom: null, pauseReason: null, remainingMs: null, drift: null,
          nextCheckAt: back === 'promoting' ? at : back === 'awaitingApproval' && p.stepIndex < 0 ? null : nextAt(),
          message: `Resumed by ${ctx.actor}: ${spec.target.canary} back to ${p.weight} %.`,
        };
        return done(next, weightsFor(p.weight), { kind: 'command', message: `Resumed by ${ctx.actor}; weights restored to ${100 - p.weight}/${p.weight}.`, by: ctx.actor });
      }
      const nextCheckAt = back === 'waiting' || (back === 'awaitingApproval' && p.stepIndex < 0) ? null : nextAt(p.remainingMs ?? intervalMs);
      return done(
        { ...p, state: back, pausedFrom: null, pauseReason: null, remainingMs: null, nextCheckAt, message: `Resumed by ${ctx.actor}.` },
        null,
        { kind: 'command', message: `Resumed by ${ctx.actor}.`, by: ctx.actor },
      );
    }

    case 'promote':
      return done(
        { ...p, state: 'promoting', stepIndex: last, weight: 100, pendingStep: null, pausedFrom: null, pauseReason: null, remainingMs: null, drift: null, stepStartedAt: at, nextCheckAt: at, message: `Promoted by ${ctx.actor}: 100 % to ${spec.target.canary}.` },
        weightsFor(100),
        { kind: 'command', message: `Promote now by ${ctx.actor}.`, by: ctx.actor },
      );

    case 'abort': {
      const message = `Aborted by ${ctx.actor}: 100 % back to ${spec.target.stable}.`;
      return done(
        { ...p, state: 'aborted', weight: 0, pendingStep: null, pausedFrom: null, pauseReason: null, remainingMs: null, nextCheckAt: null, finishedAt: at, message },
        STABLE_ONLY,
        { kind: 'command', message, by: ctx.actor },
      );
    }

    case 'retry': {
      const message = `Retry ${p.attempt + 1} by ${ctx.actor}.`;
      return done(
        {
          ...p, state: 'waiting', attempt: p.attempt + 1, stepIndex: -1, weight: 0, failedChecks: 0, heldChecks: 0, lastResults: null, lastCheckAt: null,
          pendingStep: null, pausedFrom: null, pauseReason: null, remainingMs: null, drift: null, failure: null, stepStartedAt: null, nextCheckAt: null,
          finishedAt: null, startedAt: at, startedBy: ctx.actor, message,
        },
        null,
        { kind: 'command', message, by: ctx.actor },
      );
    }

    case 'drift': {
      const observed = ev.observed;
      const seen = observed ? `${observed.stable}/${observed.canary}` : 'the destinations are gone';
      const message = `Paused: the weights were changed outside this run${ev.by ? ` by ${ev.by}` : ''} (expected ${100 - p.weight}/${p.weight}, found ${seen}).`;
      return done(
        {
          ...p, state: 'paused', pausedFrom: p.state, pauseReason: 'drift', remainingMs: null, nextCheckAt: null,
          drift: { expected: weightsFor(p.weight), observed, at, by: ev.by, message }, message,
        },
        null,
        { kind: 'drift', message },
      );
    }
  }
}
