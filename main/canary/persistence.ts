/**
 * The run lives in the cluster, on the routing object it drives: `meshdeck.io/canary` holds compact
 * JSON of {spec, progress} (progress = state, step, when the step started, when the next check is
 * due, failed checks, bounded history, lease). It is written in the same guarded patch as the
 * weights, so a restart (or a colleague's meshdeck) reads back exactly where the run is.
 */
import { z } from 'zod';
import { canarySpecSchema, CANARY_ANNOTATION } from '../../shared/canary/spec';
import { CANARY_STATES } from '../../shared/canary/types';
import type { CanaryProgress, Lease, StoredRun } from '../../shared/canary/types';
import { boundHistory } from './state-machine';

/** Kubernetes caps all annotations of an object together at 256 KiB; a run stays far below. */
export const MAX_ANNOTATION_BYTES = 128 * 1024;

const state = z.enum(CANARY_STATES);
const weights = z.object({ stable: z.number(), canary: z.number() });
const range = z.object({ min: z.number().optional(), max: z.number().optional() });
const result = z.object({
  check: z.string(),
  kind: z.enum(['success-rate', 'latency-p99', 'request-count', 'custom', 'gate']),
  value: z.number().nullable(),
  threshold: range,
  unit: z.enum(['%', 'ms', 'requests', 'events', '']),
  outcome: z.enum(['pass', 'fail', 'noData', 'error']),
  message: z.string().optional(),
  query: z.string().optional(),
});
const iso = z.string().min(1).max(64);

const progressSchema = z.object({
  state,
  stepIndex: z.number().int().min(-1),
  stepStartedAt: iso.nullable(),
  nextCheckAt: iso.nullable(),
  weight: z.number().min(0).max(100),
  failedChecks: z.number().int().min(0),
  heldChecks: z.number().int().min(0).default(0),
  lastResults: z.array(result).nullable().default(null),
  lastCheckAt: iso.nullable().default(null),
  pausedFrom: state.nullable().default(null),
  pauseReason: z.enum(['user', 'drift']).nullable().default(null),
  remainingMs: z.number().nullable().default(null),
  pendingStep: z.number().int().nullable().default(null),
  drift: z.object({ expected: weights, observed: weights.nullable(), at: iso, by: z.string().nullable(), message: z.string() }).nullable().default(null),
  failure: z.object({ at: iso, results: z.array(result), message: z.string() }).nullable().default(null),
  message: z.string().default(''),
  attempt: z.number().int().min(1).default(1),
  startedAt: iso,
  startedBy: z.string().default(''),
  finishedAt: iso.nullable().default(null),
  updatedAt: iso,
  lease: z.object({ holder: z.string().min(1), holderName: z.string(), renewedAt: iso, ttlSec: z.number().positive() }).nullable().default(null),
  history: z
    .array(
      z.object({
        at: iso,
        kind: z.enum(['state', 'weights', 'check', 'drift', 'command']),
        step: z.number().int(),
        weight: z.number(),
        state,
        message: z.string(),
        results: z.array(result).optional(),
        verdict: z.enum(['pass', 'fail', 'hold']).optional(),
        by: z.string().optional(),
      }),
    )
    .default([]),
});

const storedSchema = z.object({ v: z.literal(1), spec: canarySpecSchema, progress: progressSchema });

export type DecodeResult = { ok: true; run: StoredRun } | { ok: false; error: string };

/** Serialises a run for the annotation; trims the history until it fits. */
export function encodeRun(run: StoredRun): string {
  let progress: CanaryProgress = run.progress;
  let text = JSON.stringify({ v: 1, spec: run.spec, progress });
  let max = progress.history.length;
  while (Buffer.byteLength(text, 'utf8') > MAX_ANNOTATION_BYTES && max > 4) {
    max = Math.floor(max * 0.7);
    progress = { ...progress, history: boundHistory(progress.history, max) };
    text = JSON.stringify({ v: 1, spec: run.spec, progress });
  }
  return text;
}

/** Reads the annotation back. A missing annotation is `null`; a broken one says what is wrong. */
export function decodeRun(text: string | undefined | null): DecodeResult | null {
  if (text === undefined || text === null || text === '') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: `The ${CANARY_ANNOTATION} annotation is not JSON.` };
  }
  const r = storedSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    return { ok: false, error: `The ${CANARY_ANNOTATION} annotation is not a meshdeck run${first ? ` (${first.path.join('.') || 'root'}: ${first.message})` : ''}.` };
  }
  return { ok: true, run: r.data as StoredRun };
}

/** Reads the annotation off an object's metadata. */
export function runAnnotationOf(meta: { annotations?: Record<string, string> | null } | undefined): string | null {
  return meta?.annotations?.[CANARY_ANNOTATION] ?? null;
}

/** The lease is live (someone drives the run) until renewedAt + ttl. */
export function leaseLive(lease: Lease | null, now: Date): boolean {
  if (!lease) return false;
  const t = Date.parse(lease.renewedAt);
  return Number.isFinite(t) && now.getTime() < t + lease.ttlSec * 1000;
}

/**
 * How long a lease lasts: three intervals (every tick renews it) and at least 30 s, so a slow
 * Prometheus answer or a short network blip doesn't hand the run to someone else.
 */
export function leaseTtlSec(intervalSec: number): number {
  return Math.max(30, intervalSec * 3 + 10);
}

export function withLease(p: CanaryProgress, holder: string, holderName: string, intervalSec: number, now: Date): CanaryProgress {
  return { ...p, lease: { holder, holderName, renewedAt: now.toISOString(), ttlSec: leaseTtlSec(intervalSec) } };
}
