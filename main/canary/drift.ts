/**
 * Drift: someone else changed the weights a run had applied (kubectl, GitOps, a colleague in the
 * Traffic view). The run does not fight it (Argo's "momentary flapping"): it pauses and shows what
 * it expected and what it found, and who wrote last when the object's managedFields say.
 */
import type { CanaryProgress, Weights } from '../../shared/canary/types';
import type { RawObject } from './weights';

/** Weights are compared in whole percent: proportional weights (Gateway API, SMI) round. */
const TOLERANCE = 0.5;

export type DriftCheck = { drifted: false } | { drifted: true; observed: Weights | null; by: string | null };

/** States in which the run has applied weights it expects to find. */
const WATCHED = new Set<CanaryProgress['state']>(['progressing', 'awaitingApproval', 'promoting']);

export function detectDrift(progress: CanaryProgress, observed: Weights | null, obj: RawObject | null, ownManager: string): DriftCheck {
  if (!WATCHED.has(progress.state)) return { drifted: false };
  const expectedCanary = progress.weight;
  if (observed && Math.abs(observed.canary - expectedCanary) <= TOLERANCE && Math.abs(observed.stable - (100 - expectedCanary)) <= TOLERANCE) {
    return { drifted: false };
  }
  return { drifted: true, observed, by: lastWriter(obj, ownManager) };
}

/** The field manager of the newest write that isn't ours (managedFields carry no user, only the tool). */
export function lastWriter(obj: RawObject | null, ownManager: string): string | null {
  const fields = obj?.metadata?.managedFields ?? [];
  let best: { manager: string; time: number } | null = null;
  for (const f of fields) {
    if (!f.manager || f.manager === ownManager) continue;
    const t = f.time ? Date.parse(f.time) : 0;
    if (!best || t >= best.time) best = { manager: f.manager, time: Number.isFinite(t) ? t : 0 };
  }
  return best?.manager ?? null;
}
