/**
 * The canary capability: finds runs across the connected contexts (routing objects carrying the
 * run label), drives the ones whose lease is this meshdeck's, applies the user's commands as
 * guarded writes, and pushes run updates to subscribers.
 *
 * Nothing about a run lives only here: quitting loses nothing. On start (and whenever a context
 * connects) the scan finds runs whose lease names this installation and resumes them where the
 * annotation says, with the step's original start time and due check.
 */
import { stepWeights, runIdOf, parseRunId, CANARY_LABEL } from '../../shared/canary/spec';
import type { CanarySpec } from '../../shared/canary/spec';
import { isDriven, isTerminal } from '../../shared/canary/types';
import type { CanaryCandidate, CanaryEventMessage, CanaryRun, CanarySeries, SeriesPoint } from '../../shared/canary/types';
import { ApiError } from '../../shared/errors';
import type { KubeConnection } from '../../shared/contract/kube';
import { builtinQueries } from './analysis';
import { commitEvent, RunDriver } from './controller';
import type { Identity } from './controller';
import { decodeRun, encodeRun, leaseLive, runAnnotationOf, withLease } from './persistence';
import type { CanaryPrometheus, CanaryRoutingStore, Clock, GateProvider, RoutingRead, RoutingRef } from './ports';
import { systemClock } from './ports';
import { boundHistory, initialProgress } from './state-machine';
import type { CanaryEvent } from './state-machine';
import { pickRoute, routesOf, weightsOf } from './weights';
import type { RawObject } from './weights';
import { withTimeout } from '../util/abort';
import { setMaxListeners } from 'node:events';

export type CanaryCommand = 'pause' | 'resume' | 'promote' | 'abort' | 'retry' | 'approve';

export interface CanaryService {
  list(signal?: AbortSignal): Promise<CanaryRun[]>;
  get(id: string, signal?: AbortSignal): Promise<CanaryRun>;
  start(contextId: string, spec: CanarySpec, signal?: AbortSignal): Promise<CanaryRun>;
  command(id: string, cmd: CanaryCommand, signal?: AbortSignal): Promise<CanaryRun>;
  takeOver(id: string, signal?: AbortSignal): Promise<CanaryRun>;
  candidates(contextId: string, namespaces: string[] | null, signal?: AbortSignal): Promise<CanaryCandidate[]>;
  series(id: string, minutes: number, signal?: AbortSignal): Promise<CanarySeries>;
  /** Pushes a snapshot, then every change. */
  watch(listener: (m: CanaryEventMessage) => void): () => void;
  /** Scan the connected contexts now (the background scan does this by itself). */
  refresh(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface CanaryServiceDeps {
  connections(): KubeConnection[];
  store: CanaryRoutingStore;
  prometheus(contextId: string): CanaryPrometheus;
  /** Event-store gates (projections capability). Without them, runs that ask for a gate are refused at start. */
  gates?: GateProvider | null;
  identity: Identity;
  clock?: Clock;
  /** Re-read cadence of driven runs, and of the background scan (default 5 s). */
  pollMs?: number;
  fieldManager?: string;
  /** Deployments of a namespace (name → pod labels), for the form's workload pickers. */
  workloads?(contextId: string, namespace: string, signal: AbortSignal): Promise<{ name: string; labels: Record<string, string> }[]>;
}

const OWNER_KINDS = new Set(['Canary', 'Rollout']);

export function createCanaryService(deps: CanaryServiceDeps): CanaryService {
  const clock = deps.clock ?? systemClock;
  const pollMs = deps.pollMs ?? 5_000;
  const fieldManager = deps.fieldManager ?? 'meshdeck-canary';
  const runs = new Map<string, CanaryRun>();
  const drivers = new Map<string, RunDriver>();
  const lastErrors = new Map<string, CanaryRun['lastError']>();
  const listeners = new Set<(m: CanaryEventMessage) => void>();
  const life = new AbortController();
  // Every call's signal is tied to the service's life: many listeners on it are expected.
  setMaxListeners(0, life.signal);
  let closed = false;

  const emit = (m: CanaryEventMessage) => {
    for (const l of listeners) {
      try {
        l(m);
      } catch {
        // one bad listener must not stop the others
      }
    }
  };

  const contextName = (contextId: string) => deps.connections().find((c) => c.contextId === contextId)?.contextName ?? contextId;

  const toRun = (read: RoutingRead): CanaryRun | null => {
    const text = runAnnotationOf(read.object.metadata);
    const decoded = decodeRun(text);
    if (!decoded) return null;
    const id = runIdOf(read.ref.contextId, read.ref);
    const now = clock.now();
    // A hand-edited, unreadable annotation is never driven; it is left out of the list (the
    // object itself still shows it in the Traffic view's YAML).
    if (!decoded.ok) return null;
    const { spec, progress } = decoded.run;
    const w = weightsOf(spec.target.kind, read.object, spec.target.stable, spec.target.canary);
    const live = leaseLive(progress.lease, now);
    return {
      id,
      contextId: read.ref.contextId,
      contextName: contextName(read.ref.contextId),
      spec,
      progress,
      stepWeights: stepWeights(spec.steps),
      observed: w.weights,
      resourceVersion: read.resourceVersion,
      drivenHere: drivers.get(id)?.running ?? false,
      readOnly: live && progress.lease?.holder !== deps.identity.id,
      leaseExpired: !live,
      error: null,
      lastError: lastErrors.get(id) ?? null,
      routingProblem: w.problem,
    };
  };

  const remember = (read: RoutingRead): CanaryRun | null => {
    const run = toRun(read);
    const id = runIdOf(read.ref.contextId, read.ref);
    if (!run) {
      if (runs.delete(id)) emit({ type: 'removed', id });
      return null;
    }
    const before = runs.get(id);
    runs.set(id, run);
    if (!before || JSON.stringify(before) !== JSON.stringify(run)) emit({ type: 'run', run });
    return run;
  };

  const refOf = (id: string): RoutingRef => {
    const r = parseRunId(id);
    if (!r) throw new ApiError('BAD_INPUT', `"${id.slice(0, 200)}" is not a canary run id.`, { field: 'id' });
    return r;
  };

  const ensureDriver = (read: RoutingRead) => {
    if (closed) return;
    const id = runIdOf(read.ref.contextId, read.ref);
    const existing = drivers.get(id);
    if (existing?.running) {
      existing.wake();
      return;
    }
    const driver = new RunDriver(read.ref, {
      store: deps.store,
      prometheus: deps.prometheus,
      gates: deps.gates ?? null,
      clock,
      identity: deps.identity,
      fieldManager,
      pollMs,
      onObserved: (r) => {
        if (lastErrors.get(id)) lastErrors.delete(id);
        remember(r);
      },
      onStopped: () => {
        if (drivers.get(id) === driver) drivers.delete(id);
        const cur = runs.get(id);
        if (cur) {
          const next = { ...cur, drivenHere: false };
          runs.set(id, next);
          emit({ type: 'run', run: next });
        }
      },
      onError: (_ref, err) => {
        lastErrors.set(id, { code: err.code, message: err.message, at: clock.now().toISOString() });
        const cur = runs.get(id);
        if (cur) {
          const next = { ...cur, lastError: lastErrors.get(id) ?? null };
          runs.set(id, next);
          emit({ type: 'run', run: next });
        }
      },
    });
    drivers.set(id, driver);
    void driver.start();
  };

  /** Should this meshdeck drive the run? Its own lease (live or not: a restart resumes at once), in a state that needs driving. */
  const shouldDrive = (run: CanaryRun | null): boolean =>
    !!run && !run.error && isDriven(run.progress.state) && run.progress.lease?.holder === deps.identity.id;

  const scanContext = async (contextId: string, signal: AbortSignal) => {
    const found = await deps.store.listRuns(contextId, signal);
    const seen = new Set<string>();
    for (const read of found) {
      const run = remember(read);
      if (!run) continue;
      seen.add(run.id);
      if (shouldDrive(run) && !drivers.get(run.id)?.running) ensureDriver(read);
    }
    for (const id of [...runs.keys()]) {
      if (runs.get(id)?.contextId === contextId && !seen.has(id) && !drivers.get(id)?.running) {
        runs.delete(id);
        emit({ type: 'removed', id });
      }
    }
  };

  const refresh = async (signal?: AbortSignal) => {
    const connected = deps.connections().filter((c) => c.status === 'connected').map((c) => c.contextId);
    const s = signal ? AbortSignal.any([signal, life.signal]) : life.signal;
    await Promise.all(connected.map((id) => scanContext(id, withTimeout(20_000, s)).catch(() => undefined)));
    // Runs of contexts that were disconnected disappear from the list (their drivers stop on their own errors).
    const live = new Set(connected);
    for (const [id, run] of runs) {
      if (!live.has(run.contextId)) {
        runs.delete(id);
        emit({ type: 'removed', id });
        const d = drivers.get(id);
        if (d) {
          drivers.delete(id);
          void d.stop();
        }
      }
    }
  };

  // The background scan: resumes runs after a restart, sees colleagues' runs, notices deletions.
  const scanLoop = (async () => {
    while (!life.signal.aborted) {
      await refresh().catch(() => undefined);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        life.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
  })();

  const readRun = async (id: string, signal: AbortSignal): Promise<{ read: RoutingRead; run: NonNullable<ReturnType<typeof decodeRun>> & { ok: true } }> => {
    const ref = refOf(id);
    const read = await deps.store.read(ref, signal);
    const decoded = decodeRun(runAnnotationOf(read.object.metadata));
    if (!decoded) throw new ApiError('NOT_FOUND', `There is no canary run on ${ref.kind} ${ref.namespace}/${ref.name}.`, { details: { id } });
    if (!decoded.ok) throw new ApiError('CONFLICT', decoded.error, { details: { id } });
    return { read, run: decoded };
  };

  const leaseGuard = (run: { progress: CanaryRun['progress'] }, cmd: string) => {
    const l = run.progress.lease;
    if (l && l.holder !== deps.identity.id && leaseLive(l, clock.now())) {
      const until = new Date(Date.parse(l.renewedAt) + l.ttlSec * 1000).toISOString();
      throw new ApiError('CONFLICT', `This run is driven by ${l.holderName}. You can ${cmd} it after their lease expires (${until}) and you take it over.`, {
        details: { holder: l.holderName, expiresAt: until },
      });
    }
  };

  const signalOf = (signal?: AbortSignal) => withTimeout(30_000, signal ? AbortSignal.any([signal, life.signal]) : life.signal);

  const service: CanaryService = {
    async list(signal) {
      await refresh(signal);
      return [...runs.values()].sort((a, b) => a.id.localeCompare(b.id));
    },

    async get(id, signal) {
      const read = await deps.store.read(refOf(id), signalOf(signal));
      const run = remember(read);
      if (!run) throw new ApiError('NOT_FOUND', `There is no canary run with id "${id.slice(0, 300)}".`, { field: 'id' });
      return run;
    },

    async start(contextId, spec, signal) {
      if (closed) throw new ApiError('NOT_CONNECTED', 'The canary service is closed.');
      const sig = signalOf(signal);
      if (spec.analysis.gates.length > 0 && !deps.gates) {
        throw new ApiError('BAD_INPUT', 'Event-store gates need the projections capability, which is not wired in this meshdeck. Remove the gates to start.', { field: 'spec.analysis.gates' });
      }
      const t = spec.target;
      const ref: RoutingRef = { contextId, kind: t.kind, namespace: t.namespace, name: t.name };
      const read = await deps.store.read(ref, sig);
      const existing = decodeRun(runAnnotationOf(read.object.metadata));
      if (existing?.ok && !isTerminal(existing.run.progress.state)) {
        throw new ApiError('CONFLICT', `A canary run is already ${existing.run.progress.state} on ${t.kind} ${t.namespace}/${t.name}. Abort it first.`, { field: 'spec.target' });
      }
      const owners = (read.object.metadata?.ownerReferences ?? []).filter((o) => o.kind && OWNER_KINDS.has(o.kind));
      if (owners.length) {
        const o = owners[0];
        throw new ApiError('CONFLICT', `${t.kind} ${t.namespace}/${t.name} is owned by ${o?.kind === 'Canary' ? 'Flagger' : 'Argo Rollouts'} (${o?.kind} ${o?.name ?? ''}); it would undo every step.`, { field: 'spec.target' });
      }
      const pick = pickRoute(t.kind, read.object, t.stable, t.canary);
      if (!pick.ok) throw new ApiError('BAD_INPUT', pick.problem, { field: 'spec.target.stable' });
      const w = weightsOf(t.kind, read.object, t.stable, t.canary);
      if (w.problem) throw new ApiError('BAD_INPUT', w.problem, { field: 'spec.target' });
      const now = clock.now();
      let progress = initialProgress(now, deps.identity.name, w.weights?.canary ?? 0);
      if (existing?.ok) progress = { ...progress, attempt: existing.run.progress.attempt + 1 };
      progress = withLease(progress, deps.identity.id, deps.identity.name, spec.intervalSec, now);
      const written = await deps.store.write(ref, {
        resourceVersion: read.resourceVersion,
        object: read.object,
        weights: null,
        annotation: encodeRun({ v: 1, spec, progress }),
        labels: { [CANARY_LABEL]: 'run' },
      }, sig);
      const run = remember(written);
      ensureDriver(written);
      if (!run) throw new ApiError('INTERNAL', 'The run was written but could not be read back.');
      return run;
    },

    async command(id, cmd, signal) {
      const sig = signalOf(signal);
      const ev: CanaryEvent = { type: cmd };
      // Stopping is always allowed (it is the safe direction): a colleague's abort or pause lands as a
      // guarded write, and the driving meshdeck sees it on its next read.
      const anyoneMay = cmd === 'abort' || cmd === 'pause';
      for (let attempt = 0; ; attempt++) {
        const { read, run } = await readRun(id, sig);
        if (!anyoneMay) leaseGuard(run.run, cmd);
        try {
          const res = await commitEvent({ store: deps.store, clock, identity: deps.identity }, read, run.run, ev, deps.identity.name, sig);
          if ('rejected' in res) throw new ApiError('CONFLICT', res.rejected, { details: { state: run.run.progress.state, command: cmd } });
          const out = remember(res.read);
          if (isDriven(res.progress.state)) ensureDriver(res.read);
          else drivers.get(id)?.wake();
          if (!out) throw new ApiError('INTERNAL', 'The run could not be read back.');
          return out;
        } catch (err) {
          // Someone (our own driver, most likely) wrote in between: decide again on the fresh object.
          if (err instanceof ApiError && err.code === 'CONFLICT' && !('state' in (err.details ?? {})) && attempt < 4) continue;
          throw err;
        }
      }
    },

    async takeOver(id, signal) {
      const sig = signalOf(signal);
      for (let attempt = 0; ; attempt++) {
        const { read, run } = await readRun(id, sig);
        leaseGuard(run.run, 'take over');
        const now = clock.now();
        const p = run.run.progress;
        const entry = { at: now.toISOString(), kind: 'command' as const, step: p.stepIndex, weight: p.weight, state: p.state, message: `Taken over by ${deps.identity.name}${p.lease ? ` from ${p.lease.holderName}` : ''}.`, by: deps.identity.name };
        const progress = withLease({ ...p, history: boundHistory([...p.history, entry]), updatedAt: now.toISOString() }, deps.identity.id, deps.identity.name, run.run.spec.intervalSec, now);
        try {
          const written = await deps.store.write(read.ref, { resourceVersion: read.resourceVersion, object: read.object, weights: null, annotation: encodeRun({ ...run.run, progress }) }, sig);
          const out = remember(written);
          if (isDriven(progress.state)) ensureDriver(written);
          if (!out) throw new ApiError('INTERNAL', 'The run could not be read back.');
          return out;
        } catch (err) {
          if (err instanceof ApiError && err.code === 'CONFLICT' && attempt < 4) continue;
          throw err;
        }
      }
    },

    async candidates(contextId, namespaces, signal) {
      const sig = signalOf(signal);
      const all = await deps.store.listAll(contextId, namespaces, sig);
      const byNs = new Map<string, { name: string; labels: Record<string, string> }[]>();
      if (deps.workloads) {
        const nss = [...new Set(all.map((r) => r.ref.namespace))];
        await Promise.all(nss.map(async (ns) => {
          byNs.set(ns, await deps.workloads!(contextId, ns, sig).catch(() => []));
        }));
      }
      return all.map((read) => candidateOf(read, byNs.get(read.ref.namespace) ?? [])).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
    },

    async series(id, minutes, signal) {
      const sig = signalOf(signal);
      const { run } = await readRun(id, sig);
      const spec = run.run.spec;
      const to = Math.floor(clock.now().getTime() / 1000);
      const from = to - Math.round(minutes * 60);
      const stepSec = Math.max(1, Math.round((to - from) / 120));
      const prom = deps.prometheus(refOf(id).contextId);
      // The charts use a short window so a step change shows within seconds.
      const windowSec = Math.max(stepSec * 2, Math.min(spec.analysis.windowSec, 60));
      const one = async (workload: string) => {
        const q = builtinQueries(spec.analysis.provider, spec.target.namespace, workload, windowSec);
        const get = async (query: string): Promise<SeriesPoint[]> => {
          const res = await prom.range(query, from, to, stepSec, withTimeout(10_000, sig));
          const pts = res[0]?.points ?? [];
          return pts.map(([t, v]) => ({ t, v: Number.isFinite(v) ? v : null }));
        };
        const [successRate, p99, rps] = await Promise.all([get(q.successRate), get(q.latencyP99), get(q.rps)]);
        return { successRate, p99, rps };
      };
      try {
        const [stable, canary] = await Promise.all([one(spec.analysis.stableWorkload), one(spec.analysis.canaryWorkload)]);
        return { from, to, stepSec, stable, canary, error: null };
      } catch (err) {
        if (sig.aborted && signal?.aborted) throw err;
        const empty = { successRate: [], p99: [], rps: [] };
        return { from, to, stepSec, stable: empty, canary: empty, error: err instanceof Error ? err.message : String(err) };
      }
    },

    watch(listener) {
      listeners.add(listener);
      listener({ type: 'snapshot', runs: [...runs.values()] });
      return () => listeners.delete(listener);
    },

    refresh,

    async close() {
      closed = true;
      life.abort();
      listeners.clear();
      await Promise.all([...drivers.values()].map((d) => d.stop()));
      drivers.clear();
      await scanLoop;
    },
  };
  return service;
}

/** A routing object as a place a canary can run, with its default route's destinations. */
export function candidateOf(read: RoutingRead, workloads: { name: string; labels: Record<string, string> }[]): CanaryCandidate {
  const obj: RawObject = read.object;
  const kind = read.ref.kind;
  const routes = routesOf(kind, obj);
  const catchAll = routes.filter((r) => !r.hasMatches);
  const route = catchAll[catchAll.length - 1] ?? routes[0];
  const total = route ? route.destinations.reduce((s, d) => s + Math.max(0, d.weight), 0) : 0;
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const service =
    kind === 'TrafficSplit' ? String(spec.service ?? read.ref.name)
      : kind === 'HTTPRoute' ? String(((spec.parentRefs as { name?: string }[] | undefined)?.find((p) => p.name)?.name) ?? read.ref.name)
        : String(((spec.hosts as string[] | undefined)?.[0] ?? read.ref.name).split('.')[0]);
  const app = service;
  const workloadFor = (dest: string): string | null => {
    const exact = workloads.find((w) => w.name === dest) ?? workloads.find((w) => w.name === `${app}-${dest}`);
    if (exact) return exact.name;
    const byVersion = workloads.find((w) => (w.labels.app === app || w.labels['app.kubernetes.io/name'] === app) && (w.labels.version === dest || w.labels['app.kubernetes.io/version'] === dest));
    return byVersion?.name ?? null;
  };
  const decoded = decodeRun(runAnnotationOf(obj.metadata));
  const owners = (obj.metadata?.ownerReferences ?? []).filter((o) => o.kind && OWNER_KINDS.has(o.kind));
  const destinations = (route?.destinations ?? []).map((d) => ({ name: d.name, weight: total > 0 ? Math.round((d.weight / total) * 1000) / 10 : 0, workload: workloadFor(d.name) }));
  let blocked: string | null = null;
  if (owners.length) blocked = `Owned by ${owners[0]?.kind === 'Canary' ? 'Flagger' : 'Argo Rollouts'}.`;
  else if (!route) blocked = 'No routes.';
  return {
    contextId: read.ref.contextId,
    kind,
    namespace: read.ref.namespace,
    name: read.ref.name,
    service,
    destinations,
    workloads: workloads.map((w) => w.name).sort(),
    runState: decoded?.ok ? decoded.run.progress.state : null,
    blocked,
  };
}
