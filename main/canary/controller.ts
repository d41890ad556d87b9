/**
 * Drives one run: one loop per run, timers with an AbortSignal, everything it knows re-read from
 * the routing object on every turn (the annotation is the source of truth, as Flagger's status is).
 *
 * Per turn: read the object → stop if the run is not ours to drive (finished, paused, someone
 * else's live lease) → pause on drift → begin / analyse when the check is due / confirm the
 * promotion → write the transition in ONE guarded patch (weights + annotation + lease renewal).
 * A 409 means the object changed under us: the turn starts over from a fresh read, so a stale
 * decision is never written.
 */
import { setMaxListeners } from 'node:events';
import { isDriven } from '../../shared/canary/types';
import type { CanaryProgress, StoredRun } from '../../shared/canary/types';
import { CANARY_LABEL } from '../../shared/canary/spec';
import { ApiError } from '../../shared/errors';
import { sleep as defaultSleep } from '../util/abort';
import { runAnalysis } from './analysis';
import { detectDrift } from './drift';
import { decodeRun, encodeRun, leaseLive, leaseTtlSec, runAnnotationOf, withLease } from './persistence';
import type { CanaryPrometheus, CanaryRoutingStore, Clock, GateProvider, RoutingRead, RoutingRef } from './ports';
import { transition } from './state-machine';
import type { CanaryEvent } from './state-machine';
import { weightsOf } from './weights';

export interface Identity {
  /** Random id of this meshdeck installation (kept in its data dir): the lease holder. */
  id: string;
  /** user@host, shown to colleagues as "driven by …". */
  name: string;
}

export interface ControllerDeps {
  store: CanaryRoutingStore;
  prometheus(contextId: string): CanaryPrometheus;
  gates: GateProvider | null;
  clock: Clock;
  identity: Identity;
  /** Our field manager name: writes by it are not drift. */
  fieldManager: string;
  /** How often a driven run re-reads its object between checks (drift, commands from elsewhere). */
  pollMs: number;
  /** Called after every read and write, for the UI. */
  onObserved(read: RoutingRead): void;
  /** Called when the loop ends (nothing more to drive here). */
  onStopped(ref: RoutingRef, why: string): void;
  /** Errors the loop survives (network down, Prometheus down), for the UI. */
  onError(ref: RoutingRef, err: ApiError): void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const asApiError = (err: unknown): ApiError =>
  err instanceof ApiError ? err : new ApiError('INTERNAL', err instanceof Error ? err.message : String(err));

/** Commits one event on top of a read: transition + lease in ONE guarded write. CONFLICT propagates. */
export async function commitEvent(
  deps: Pick<ControllerDeps, 'store' | 'clock' | 'identity'>,
  read: RoutingRead,
  run: StoredRun,
  ev: CanaryEvent,
  actor: string,
  signal: AbortSignal,
): Promise<{ read: RoutingRead; progress: CanaryProgress } | { rejected: string }> {
  const now = deps.clock.now();
  const t = transition(run.spec, run.progress, ev, { now, actor });
  if (!t.ok) return { rejected: t.reason };
  const progress = withLease(t.progress, deps.identity.id, deps.identity.name, run.spec.intervalSec, now);
  const written = await deps.store.write(
    read.ref,
    {
      resourceVersion: read.resourceVersion,
      object: read.object,
      weights: t.weights ? { stable: run.spec.target.stable, canary: run.spec.target.canary, value: t.weights } : null,
      annotation: encodeRun({ v: 1, spec: run.spec, progress }),
      labels: { [CANARY_LABEL]: 'run' },
    },
    signal,
  );
  return { read: written, progress };
}

export class RunDriver {
  private readonly abort = new AbortController();
  private wakeCtl: AbortController | null = null;
  private done: Promise<void> | null = null;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(readonly ref: RoutingRef, private readonly deps: ControllerDeps) {
    this.sleep = deps.sleep ?? defaultSleep;
    setMaxListeners(0, this.abort.signal);
  }

  get running(): boolean {
    return this.done !== null && !this.abort.signal.aborted;
  }

  start(): Promise<void> {
    this.done ??= this.loop().catch(() => undefined);
    return this.done;
  }

  /** Cuts the current wait short (a command changed the run). */
  wake(): void {
    this.wakeCtl?.abort();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeCtl?.abort();
    await this.done;
  }

  private async nap(ms: number): Promise<void> {
    const ctl = new AbortController();
    this.wakeCtl = ctl;
    try {
      await this.sleep(Math.max(0, ms), AbortSignal.any([this.abort.signal, ctl.signal]));
    } catch {
      // woken or stopped
    } finally {
      if (this.wakeCtl === ctl) this.wakeCtl = null;
    }
  }

  private async loop(): Promise<void> {
    const { deps, ref } = this;
    const signal = this.abort.signal;
    let backoff = deps.pollMs;
    while (!signal.aborted) {
      let waitMs = deps.pollMs;
      try {
        const r = await this.turn(signal);
        if (r.stop !== undefined) {
          deps.onStopped(ref, r.stop);
          return;
        }
        waitMs = r.waitMs;
        backoff = deps.pollMs;
      } catch (err) {
        if (signal.aborted) return;
        const e = asApiError(err);
        if (e.code === 'NOT_FOUND') {
          deps.onStopped(ref, 'The routing object is gone.');
          return;
        }
        if (e.code !== 'CONFLICT') {
          deps.onError(ref, e);
          // Network down, API server away: keep trying, a little slower each time (max 30 s).
          waitMs = backoff;
          backoff = Math.min(30_000, backoff * 2);
        } else waitMs = 0;
      }
      if (waitMs > 0) await this.nap(waitMs);
    }
  }

  /** One turn. Returns how long to wait, or why to stop. Throws ApiErrors (CONFLICT: start over). */
  async turn(signal: AbortSignal): Promise<{ stop: string; waitMs?: never } | { stop?: never; waitMs: number }> {
    const { deps, ref } = this;
    const read = await deps.store.read(ref, signal);
    deps.onObserved(read);
    const decoded = decodeRun(runAnnotationOf(read.object.metadata));
    if (!decoded) return { stop: 'There is no run on this object.' };
    if (!decoded.ok) return { stop: decoded.error };
    const run = decoded.run;
    const p = run.progress;
    if (!isDriven(p.state)) return { stop: `The run is ${p.state}.` };
    const now = deps.clock.now();
    if (p.lease && p.lease.holder !== deps.identity.id && leaseLive(p.lease, now)) return { stop: `Driven by ${p.lease.holderName}.` };

    const me = deps.identity.name;
    const commit = async (ev: CanaryEvent, actor = me) => {
      const res = await commitEvent(deps, read, run, ev, actor, signal);
      if ('rejected' in res) return { stop: res.rejected };
      deps.onObserved(res.read);
      return { waitMs: 0 };
    };

    const { weights: observed } = weightsOf(run.spec.target.kind, read.object, run.spec.target.stable, run.spec.target.canary);
    const drift = detectDrift(p, observed, read.object, deps.fieldManager);
    if (drift.drifted) return commit({ type: 'drift', observed: drift.observed, by: drift.by });

    switch (p.state) {
      case 'waiting':
        return commit({ type: 'begin' });
      case 'promoting':
        // The promotion patch landed (drift would have caught anything else): done.
        return commit({ type: 'promoted' });
      case 'progressing':
      case 'awaitingApproval': {
        const due = p.nextCheckAt ? Date.parse(p.nextCheckAt) : null;
        if (due !== null && now.getTime() >= due) {
          const results = await runAnalysis(run.spec, { prometheus: deps.prometheus(ref.contextId), gates: deps.gates }, signal);
          return commit({ type: 'analysis', results });
        }
        // Renew the lease halfway through its life when nothing else writes (waiting for an approval before step 1).
        const ttlMs = leaseTtlSec(run.spec.intervalSec) * 1000;
        const renewedAt = p.lease ? Date.parse(p.lease.renewedAt) : 0;
        if (p.lease?.holder !== deps.identity.id || now.getTime() - renewedAt > ttlMs / 2) {
          const progress = withLease(p, deps.identity.id, deps.identity.name, run.spec.intervalSec, now);
          const written = await deps.store.write(ref, { resourceVersion: read.resourceVersion, object: read.object, weights: null, annotation: encodeRun({ ...run, progress }) }, signal);
          deps.onObserved(written);
        }
        const untilDue = due === null ? deps.pollMs : due - now.getTime();
        return { waitMs: Math.max(0, Math.min(deps.pollMs, untilDue)) };
      }
      default:
        return { stop: `The run is ${p.state}.` };
    }
  }
}
