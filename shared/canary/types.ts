/**
 * A canary run's state and progress: what the controller stores in the routing object's annotation
 * and what the UI shows. Shared with the renderer: no Node or DOM imports.
 */
import type { CanarySpec, ThresholdRange } from './spec';

export const CANARY_STATES = [
  /** Defined and stored; the first weight has not been applied yet. */
  'waiting',
  /** A step's weight is applied; checks run every interval. */
  'progressing',
  /** Stopped by the user, or by a weight change someone else made (drift). Weights are left as they are. */
  'paused',
  /** A step (or the promotion) waits for the user's approval; checks keep running. */
  'awaitingApproval',
  /** 100 % is being sent to the canary. */
  'promoting',
  'succeeded',
  /** Checks failed `threshold` times: 100 % back to stable. */
  'rolledBack',
  /** The user stopped the run: 100 % back to stable. */
  'aborted',
] as const;

export type CanaryState = (typeof CANARY_STATES)[number];

export const TERMINAL_STATES: readonly CanaryState[] = ['succeeded', 'rolledBack', 'aborted'];
export const isTerminal = (s: CanaryState): boolean => TERMINAL_STATES.includes(s);
/** States in which a meshdeck instance has to drive the run (timers, checks, weights). */
export const isDriven = (s: CanaryState): boolean => s === 'waiting' || s === 'progressing' || s === 'awaitingApproval' || s === 'promoting';

export type CheckKind = 'success-rate' | 'latency-p99' | 'request-count' | 'custom' | 'gate';

/**
 * One check's result for one interval. `noData`: Prometheus answered with nothing (empty vector,
 * NaN, too few requests). `error`: the question could not be asked (Prometheus down, bad query):
 * both follow the run's no-data policy, and the UI says which one happened.
 */
export type CheckOutcome = 'pass' | 'fail' | 'noData' | 'error';

export interface CheckResult {
  /** `success-rate`, `latency-p99`, `request-count`, or the custom metric / gate name. */
  check: string;
  kind: CheckKind;
  value: number | null;
  threshold: ThresholdRange;
  unit: '%' | 'ms' | 'requests' | 'events' | '';
  outcome: CheckOutcome;
  /** Why it has no value, or what failed. */
  message?: string;
  /** The PromQL that produced the value (shown in the UI, as Argo's analysis modal does). */
  query?: string;
}

export interface Weights {
  stable: number;
  canary: number;
}

export interface DriftRecord {
  /** The weights the run had applied. */
  expected: Weights;
  /** The weights found on the object. */
  observed: Weights | null;
  at: string;
  /** Who changed them, when the object says (managedFields). */
  by: string | null;
  message: string;
}

export interface Lease {
  /** The meshdeck instance that drives the run (a random id kept in its data dir). */
  holder: string;
  /** Human name of the holder: user@host. */
  holderName: string;
  renewedAt: string;
  /** The lease is free after renewedAt + ttlSec. */
  ttlSec: number;
}

export type HistoryKind = 'state' | 'weights' | 'check' | 'drift' | 'command';

export interface HistoryEntry {
  at: string;
  kind: HistoryKind;
  /** Step index (0-based) the entry belongs to; -1 before the first step. */
  step: number;
  /** Canary weight after the entry. */
  weight: number;
  state: CanaryState;
  message: string;
  /** For 'check' entries. */
  results?: CheckResult[];
  /** For 'check' entries: what the interval amounted to. */
  verdict?: 'pass' | 'fail' | 'hold';
  /** Who did it, for commands (user@host). */
  by?: string;
}

export interface CanaryProgress {
  state: CanaryState;
  /** Index into the step weights; -1 before the first step; steps.length = promotion. */
  stepIndex: number;
  /** When the current step's weight was applied (ISO). Kept across restarts: a restart neither restarts nor shortens a step. */
  stepStartedAt: string | null;
  /** When the next check is due (ISO). */
  nextCheckAt: string | null;
  /** The canary weight the run has applied (stable = 100 - weight). */
  weight: number;
  /** Cumulative failed checks in this attempt (Flagger's semantics). */
  failedChecks: number;
  /** Checks that had no data and held the step (policy 'hold'), in this attempt. */
  heldChecks: number;
  /** The latest results. */
  lastResults: CheckResult[] | null;
  lastCheckAt: string | null;
  /** For 'paused': the state to return to, and how long was left of the interval. */
  pausedFrom: CanaryState | null;
  pauseReason: 'user' | 'drift' | null;
  remainingMs: number | null;
  /** For 'awaitingApproval': the step index to apply on approval (steps.length = promotion). */
  pendingStep: number | null;
  drift: DriftRecord | null;
  /** For 'rolledBack': the checks that failed in the last interval, with their values. */
  failure: { at: string; results: CheckResult[]; message: string } | null;
  /** One line: why the run is in its state. */
  message: string;
  attempt: number;
  startedAt: string;
  startedBy: string;
  finishedAt: string | null;
  updatedAt: string;
  lease: Lease | null;
  /** Bounded (oldest dropped): the annotation must stay small. */
  history: HistoryEntry[];
}

/** What the annotation holds: the spec (without the context, which is the reader's) and the progress. */
export interface StoredRun {
  v: 1;
  spec: CanarySpec;
  progress: CanaryProgress;
}

/** A run as the UI sees it. */
export interface CanaryRun {
  id: string;
  contextId: string;
  contextName: string;
  spec: CanarySpec;
  progress: CanaryProgress;
  stepWeights: number[];
  /** The weights on the object right now (null: the destinations are missing). */
  observed: Weights | null;
  resourceVersion: string;
  /** This meshdeck drives the run. */
  drivenHere: boolean;
  /** Someone else holds a live lease: the run is read-only here until it expires or is taken over. */
  readOnly: boolean;
  /** The lease has expired (or there is none): anyone may take over. */
  leaseExpired: boolean;
  /** The stored annotation could not be read: shown as a broken run, never driven. */
  error: string | null;
  /** The last problem the driving loop ran into and survived (network, API server), cleared by the next good turn. */
  lastError: { code: string; message: string; at: string } | null;
  /** The weights on the object are not a clean stable/canary split (another destination carries traffic...). */
  routingProblem: string | null;
}

/** A routing object a canary can run on, with its destinations, for the form's pickers. */
export interface CanaryCandidate {
  contextId: string;
  kind: 'VirtualService' | 'HTTPRoute' | 'TrafficSplit';
  namespace: string;
  name: string;
  /** The service the object steers. */
  service: string;
  destinations: { name: string; weight: number; workload: string | null }[];
  /** Workloads (Deployments) in the namespace, for the metric labels. */
  workloads: string[];
  /** A run already on the object (any state). */
  runState: CanaryState | null;
  /** Why a canary can't run here (owned by Flagger, one destination only...). */
  blocked: string | null;
}

/** Time series for the live charts: stable vs canary. `t` epoch seconds. */
export interface CanarySeries {
  from: number;
  to: number;
  stepSec: number;
  stable: { successRate: SeriesPoint[]; p99: SeriesPoint[]; rps: SeriesPoint[] };
  canary: { successRate: SeriesPoint[]; p99: SeriesPoint[]; rps: SeriesPoint[] };
  error: string | null;
}

export interface SeriesPoint {
  t: number;
  v: number | null;
}

export type CanaryEventMessage =
  | { type: 'snapshot'; runs: CanaryRun[] }
  | { type: 'run'; run: CanaryRun }
  | { type: 'removed'; id: string };
