/**
 * What the canary controller needs from the rest of meshdeck, as small interfaces: a routing
 * object store (read + one guarded write), a Prometheus per context, and optional event-store
 * gates. The service wires the real capabilities in; unit tests use fakes.
 */
import type { CanaryRoutingKind } from '../../shared/canary/spec';
import type { Weights } from '../../shared/canary/types';
import type { RawObject } from './weights';

export interface RoutingRef {
  contextId: string;
  kind: CanaryRoutingKind;
  namespace: string;
  name: string;
}

export interface RoutingRead {
  ref: RoutingRef;
  object: RawObject;
  resourceVersion: string;
}

export interface GuardedWrite {
  /** The write is refused (CONFLICT) unless the object still has this resourceVersion. */
  resourceVersion: string;
  /** The object as read at that resourceVersion: the patch is computed against it. */
  object: RawObject;
  /** New weights of the run's stable and canary destinations, or null to leave traffic alone. */
  weights: { stable: string; canary: string; value: Weights } | null;
  /** The run annotation (null removes it). */
  annotation: string | null;
  /** Labels to set in the same write (the run marker label). */
  labels?: Record<string, string>;
}

export interface CanaryRoutingStore {
  /** GET the object. NOT_FOUND when it is gone. */
  read(ref: RoutingRef, signal: AbortSignal): Promise<RoutingRead>;
  /**
   * ONE guarded patch with the weights and the annotation together. Rejects with an ApiError
   * CONFLICT when the resourceVersion is stale (nothing written); resolves with the object as written.
   */
  write(ref: RoutingRef, w: GuardedWrite, signal: AbortSignal): Promise<RoutingRead>;
  /** Objects of a context that carry the run label (all namespaces the user can list). */
  listRuns(contextId: string, signal: AbortSignal): Promise<RoutingRead[]>;
  /** Every routing object of the given namespaces (for the form's pickers). */
  listAll(contextId: string, namespaces: string[] | null, signal: AbortSignal): Promise<RoutingRead[]>;
}

export interface PromSample {
  labels: Record<string, string>;
  value: number | null;
}

export interface PromRangeSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

export interface CanaryPrometheus {
  /** Instant query now. Rejects with an ApiError (TIMEOUT, UNREACHABLE, UPSTREAM, BAD_INPUT...). */
  instant(promql: string, signal: AbortSignal): Promise<PromSample[]>;
  /** Range query, times in epoch seconds. */
  range(promql: string, start: number, end: number, stepSec: number, signal: AbortSignal): Promise<PromRangeSeries[]>;
}

/** Sagas finished in a window and how many of them failed. */
export interface SagaFailureCounts {
  finished: number;
  failed: number;
  /** failed / finished (0–1); null when nothing finished. */
  rate: number | null;
}

/**
 * Event-store gates (projection lag ≤ N events, saga failure rate ≤ X %). Wired by the composition
 * root from the projections capability; without it, runs that ask for a gate are refused at start,
 * never faked. Both reject with an ApiError when the store can't be asked (NOT_FOUND: no such
 * projection or connection; UNREACHABLE, TIMEOUT...).
 */
export interface GateProvider {
  /** Events the projection is behind the store's head; null when the store can't tell. */
  projectionLag(connectionId: string, projection: string, signal: AbortSignal): Promise<number | null>;
  /** Sagas finished in the last windowSec, and how many failed. */
  sagaFailureRate(connectionId: string, windowSec: number, signal: AbortSignal): Promise<SagaFailureCounts>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
