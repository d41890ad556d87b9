import type { StorePositions } from '../../shared/contract/events';
import type {
  ConsistencyCheckInfo, ConsistencyResult, IdempotencyReport, LagBadge, LagSample, ProjectionRow, ProjectionsOverview,
  ReadModelCheck, SagaDetail, SagaFailureRate, SagaFilter, SagaList, ServiceOwner,
} from '../../shared/contract/projections';
import { ApiError } from '../../shared/errors';
import { sleep, withTimeout } from '../util/abort';
import type { Db } from '../eventstore/connection';
import { readCatalog } from '../eventstore/detect';
import type { AdapterDescription, Catalog } from '../eventstore/adapters/types';
import { PROGRESS } from './capabilities';
import { builtinChecks, runReadModelCheck, runSagaLastEventCheck } from './consistency';
import { HistoryStore } from './history';
import { idempotencyReport, findIdempotencyTable } from './idempotency';
import { buildRow, pickLaggard } from './overview';
import { ownerStore } from './owners';
import type { OwnerStore } from './owners';
import { findSagaSources, listSagas, sagaDetail, sagaFailureRate } from './sagas';
import type { SagaSources } from './sagas';
import type { ProgressRead, ProgressSource } from './types';

/** What the projections service needs from the event store capability (EventStoreService has it). */
export interface StoreAccess {
  open(connectionId: string, signal: AbortSignal): Promise<{ db: Db; description: AdapterDescription | null }>;
  positions(connectionId: string, signal: AbortSignal): Promise<StorePositions>;
}

export interface ProjectionsServiceOptions {
  events: StoreAccess;
  dataDir?: string;
  owners?: OwnerStore;
  /** Catalog (tables, columns) is re-read after this long. */
  catalogTtlMs?: number;
  now?: () => number;
}

export interface OverviewArgs { stallAfterSec: number; rateWindowSec: number }

export interface ProjectionsService {
  overview(connectionId: string, a: OverviewArgs, signal: AbortSignal): Promise<ProjectionsOverview>;
  watch(connectionId: string, a: OverviewArgs & { intervalSec: number }, emit: (e: { kind: 'overview'; overview: ProjectionsOverview } | { kind: 'error'; message: string; code: string; at: string }) => void, signal: AbortSignal): Promise<void>;
  history(connectionId: string, name: string): LagSample[];
  sagas(connectionId: string, a: { filter: SagaFilter; stuckAfterSec: number; search: string; limit: number; cursor?: string }, signal: AbortSignal): Promise<SagaList>;
  saga(connectionId: string, a: { source: 'classic' | 'axon'; sagaId: string; stuckAfterSec: number }, signal: AbortSignal): Promise<SagaDetail>;
  sagaStats(connectionId: string, windowSec: number, stuckAfterSec: number, signal: AbortSignal): Promise<SagaFailureRate>;
  idempotency(connectionId: string, a: { processingOlderThanSec: number; limit: number }, signal: AbortSignal): Promise<IdempotencyReport>;
  consistencyChecks(connectionId: string, signal: AbortSignal): Promise<ConsistencyCheckInfo[]>;
  consistency(connectionId: string, a: { checkId?: string; check?: ReadModelCheck; sampleSize: number }, signal: AbortSignal): Promise<ConsistencyResult>;
  owners(): Promise<ServiceOwner[]>;
  setOwner(o: { namespace: string; service: string; connectionId: string | null; projections: string[] }): Promise<ServiceOwner[]>;
  badges(signal: AbortSignal): Promise<LagBadge[]>;
  /** For canary gates: events the projection is behind (null: the store cannot tell). */
  projectionLagFor(connectionId: string, projection: string, signal: AbortSignal): Promise<number | null>;
  sagaFailureRate(connectionId: string, windowSec: number, signal: AbortSignal): Promise<SagaFailureRate>;
}

const REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_ARGS: OverviewArgs = { stallAfterSec: 60, rateWindowSec: 60 };

interface Known {
  at: number;
  catalog: Catalog;
  description: AdapterDescription | null;
  progress: ProgressSource | null;
  sagas: SagaSources;
}

export function createProjectionsService(opts: ProjectionsServiceOptions): ProjectionsService {
  const events = opts.events;
  const now = opts.now ?? Date.now;
  const ttl = opts.catalogTtlMs ?? 60_000;
  const history = new HistoryStore();
  const owners = opts.owners ?? ownerStore(opts.dataDir);
  // Keyed by the pool object: a removed-and-re-added connection gets a fresh entry.
  const known = new WeakMap<Db, Known>();
  const inflight = new WeakMap<Db, Promise<Known>>();

  async function open(connectionId: string, signal: AbortSignal): Promise<{ db: Db; k: Known }> {
    const { db, description } = await events.open(connectionId, signal);
    const have = known.get(db);
    if (have && have.description === description && now() - have.at < ttl) return { db, k: have };
    let p = inflight.get(db);
    if (!p) {
      p = (async () => {
        const catalog = await readCatalog(db, signal);
        const k: Known = {
          at: now(), catalog, description,
          progress: description ? PROGRESS[description.kind](catalog, description) : null,
          sagas: findSagaSources(catalog),
        };
        // Keep the progress source across catalog refreshes when it is the same table (its caches, e.g. Message DB consumers).
        if (have?.progress && k.progress && have.progress.info.table === k.progress.info.table && have.description === description) k.progress = have.progress;
        known.set(db, k);
        return k;
      })().finally(() => inflight.delete(db));
      inflight.set(db, p);
    }
    return { db, k: await p };
  }

  const bounded = <T>(signal: AbortSignal, fn: (s: AbortSignal) => Promise<T>): Promise<T> => fn(withTimeout(REQUEST_TIMEOUT_MS, signal));

  async function overview(connectionId: string, a: OverviewArgs, signal: AbortSignal): Promise<ProjectionsOverview> {
    const t0 = performance.now();
    const { db, k } = await open(connectionId, signal);
    const notes: string[] = [];
    const desc = k.description;
    if (!desc) {
      return {
        connectionId, kind: null, label: 'Unknown schema', sources: [], head: null, safe: null, assigned: null, projections: [], laggard: null,
        stallAfterSec: a.stallAfterSec, rateWindowSec: a.rateWindowSec, at: new Date(now()).toISOString(), tookMs: Math.round(performance.now() - t0),
        notes: ['No known event store schema in this database: map it on the Events page first.'],
      };
    }
    if (!k.progress) {
      notes.push(`No checkpoint store found for this ${desc.label} store (looked for ${desc.kind === 'classic' || desc.kind === 'custom' ? 'projection_checkpoints' : desc.kind === 'marten' ? 'mt_event_progression' : desc.kind === 'emmett' ? 'emt_processors / emt_subscriptions' : desc.kind === 'eventuous' ? 'checkpoints' : 'position streams'}).`);
    }
    // The progress statement and the store's positions run side by side on the pool.
    const [read, pos] = await Promise.all([
      k.progress ? k.progress.read(db, signal) : Promise.resolve<ProgressRead>({ rows: [] }),
      events.positions(connectionId, signal).catch((): StorePositions | null => null),
    ]);
    notes.push(...(read.notes ?? []));
    const safe = read.safe ?? (pos?.safe ? BigInt(pos.safe) : null);
    const t = now();
    const caughtUpWithin = desc.kind === 'messagedb' ? 99 : 0;
    const rows: ProjectionRow[] = read.rows.map((raw) => buildRow({
      raw, ring: history.ring(connectionId, raw.name), now: t, stallAfterSec: a.stallAfterSec, rateWindowSec: a.rateWindowSec, safe, caughtUpWithin,
    }));
    if (desc.kind === 'messagedb' && rows.length) notes.push('Eventide records a consumer\'s position every 100 messages: up to 99 behind counts as caught up.');
    const head = read.head ?? (pos?.committed ? BigInt(pos.committed) : rows.reduce<bigint | null>((m, r) => (r.head && (m === null || BigInt(r.head) > m) ? BigInt(r.head) : m), null));
    return {
      connectionId, kind: desc.kind, label: desc.label, sources: k.progress ? [k.progress.info] : [],
      head: head?.toString() ?? null, safe: safe?.toString() ?? null, assigned: pos?.assigned ?? null,
      projections: rows, laggard: pickLaggard(rows), stallAfterSec: a.stallAfterSec, rateWindowSec: a.rateWindowSec,
      at: new Date(t).toISOString(), tookMs: Math.round((performance.now() - t0) * 10) / 10, notes,
    };
  }

  async function checkpointOf(db: Db, k: Known, name: string, signal: AbortSignal): Promise<bigint | null> {
    if (!k.progress) return null;
    const r = (await k.progress.read(db, signal)).rows.find((x) => x.name === name);
    return r ? r.checkpoint ?? 0n : null;
  }

  const svc: ProjectionsService = {
    overview: (id, a, signal) => bounded(signal, (s) => overview(id, a, s)),

    async watch(id, a, emit, signal) {
      while (!signal.aborted) {
        try {
          emit({ kind: 'overview', overview: await bounded(signal, (s) => overview(id, a, s)) });
        } catch (err) {
          if (signal.aborted) return;
          const e = err as { code?: string; message?: string };
          emit({ kind: 'error', code: e.code ?? 'INTERNAL', message: e.message ?? String(err), at: new Date(now()).toISOString() });
        }
        await sleep(a.intervalSec * 1000, signal).catch(() => undefined);
      }
    },

    history: (id, name) => history.peek(id, name)?.all() ?? [],

    sagas: (id, a, signal) => bounded(signal, async (s) => {
      const { db, k } = await open(id, s);
      return listSagas(db, k.sagas, a, s);
    }),

    saga: (id, a, signal) => bounded(signal, async (s) => {
      const { db, k } = await open(id, s);
      return sagaDetail(db, k.sagas, k.description, a, s);
    }),

    sagaStats: (id, windowSec, stuckAfterSec, signal) => bounded(signal, async (s) => {
      const { db, k } = await open(id, s);
      return sagaFailureRate(db, k.sagas, id, windowSec, stuckAfterSec, s);
    }),

    idempotency: (id, a, signal) => bounded(signal, async (s) => {
      const { db, k } = await open(id, s);
      return idempotencyReport(db, findIdempotencyTable(k.catalog), a, s);
    }),

    consistencyChecks: (id, signal) => bounded(signal, async (s) => {
      const { db, k } = await open(id, s);
      const names = k.progress ? (await k.progress.read(db, s)).rows.map((r) => r.name) : [];
      return builtinChecks(k.catalog, k.description, names);
    }),

    consistency: (id, a, signal) => bounded(signal, async (s) => {
      const { db, k } = await open(id, s);
      if (!k.description) throw new ApiError('INVALID_CONFIG', 'No known event store schema in this database: consistency checks need the events.', { field: 'connectionId' });
      const ctx = { db, cat: k.catalog, desc: k.description, sampleSize: a.sampleSize, checkpointOf: (n: string) => checkpointOf(db, k, n, s), signal: s };
      if (a.check) return runReadModelCheck('custom', `${a.check.table} vs its streams`, a.check, ctx);
      if (!a.checkId) throw new ApiError('BAD_INPUT', 'Name a check (checkId) or give one (check).', { field: 'checkId' });
      if (a.checkId === 'saga-last-event') return runSagaLastEventCheck(ctx);
      const names = k.progress ? (await k.progress.read(db, s)).rows.map((r) => r.name) : [];
      const found = builtinChecks(k.catalog, k.description, names).find((c) => c.id === a.checkId);
      if (!found?.check) throw new ApiError('NOT_FOUND', `No consistency check ${JSON.stringify(a.checkId)} for this store.`, { field: 'checkId' });
      return runReadModelCheck(found.id, found.label, found.check, ctx);
    }),

    owners: () => owners.list(),
    setOwner: (o) => owners.set(o),

    async badges(signal) {
      const list = await owners.list();
      const byConn = new Map<string, Promise<ProjectionsOverview>>();
      return Promise.all(list.map(async (o): Promise<LagBadge> => {
        const at = new Date(now()).toISOString();
        try {
          let p = byConn.get(o.connectionId);
          if (!p) {
            p = bounded(withTimeout(10_000, signal), (s) => overview(o.connectionId, DEFAULT_ARGS, s));
            byConn.set(o.connectionId, p);
          }
          const ov = await p;
          const rows = ov.projections.filter((r) => o.projections.length === 0 || o.projections.includes(r.name));
          let worst: ProjectionRow | null = null;
          for (const r of rows) if (!worst || (r.lagSeconds ?? 0) > (worst.lagSeconds ?? 0) || ((r.lagSeconds ?? 0) === (worst.lagSeconds ?? 0) && (r.lagEvents ?? 0) > (worst.lagEvents ?? 0))) worst = r;
          const stalled = rows.filter((r) => r.status === 'stalled').length;
          const failed = rows.filter((r) => r.status === 'failed').length;
          const secs = worst?.lagSeconds ?? 0;
          const level: LagBadge['level'] = failed || stalled || secs > 300 ? 'bad' : secs > 10 || (worst?.lagEvents ?? 0) > 1000 ? 'warn' : 'ok';
          const text = rows.length === 0 ? 'no projections'
            : `${worst && (worst.lagEvents ?? 0) > 0 ? `${worst.name} ${worst.lagEvents} behind (${Math.round(secs)} s)` : 'all caught up'}${stalled ? `, ${stalled} stalled` : ''}${failed ? `, ${failed} failed` : ''}`;
          return {
            namespace: o.namespace, service: o.service, connectionId: o.connectionId,
            maxLagEvents: worst?.lagEvents ?? null, maxLagSeconds: worst?.lagSeconds ?? null, laggard: worst && (worst.lagEvents ?? 0) > 0 ? worst.name : null,
            stalled, failed, level, text, error: null, at,
          };
        } catch (err) {
          return {
            namespace: o.namespace, service: o.service, connectionId: o.connectionId, maxLagEvents: null, maxLagSeconds: null, laggard: null,
            stalled: 0, failed: 0, level: 'unknown', text: 'event store unreachable', error: (err as Error).message ?? String(err), at,
          };
        }
      }));
    },

    async projectionLagFor(connectionId, projection, signal) {
      const ov = await overview(connectionId, DEFAULT_ARGS, signal);
      const r = ov.projections.find((x) => x.name === projection);
      if (!r) throw new ApiError('NOT_FOUND', `No projection ${JSON.stringify(projection)} in this event store (found: ${ov.projections.map((x) => x.name).join(', ') || 'none'}).`, { field: 'projection' });
      return r.lagEvents;
    },

    sagaFailureRate: (id, windowSec, signal) => svc.sagaStats(id, windowSec, 300, signal),
  };
  return svc;
}
