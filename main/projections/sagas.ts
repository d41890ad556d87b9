import type {
  SagaDetail, SagaFailureRate, SagaFilter, SagaList, SagaSourceInfo, SagaSummary, TimelineEntry, TimelineEntryKind,
} from '../../shared/contract/projections';
import { ApiError } from '../../shared/errors';
import type { Db } from '../eventstore/connection';
import { findTable, q, qt } from '../eventstore/adapters/types';
import type { AdapterDescription, Catalog, CatalogTable } from '../eventstore/adapters/types';
import { isoSql } from './types';

/**
 * Saga instances. Classic first: saga_state(saga_id, saga_type, status, current_step, state,
 * correlation_id, started_at, updated_at) — the status filters are index-backed on
 * (status, updated_at) when it exists; the list is keyset-paged on (updated_at, saga_id).
 * Axon second, where its tables exist: saga_entry (or the JDBC camelCase sagaentry) with
 * association_value_entry. Axon deletes a saga's row when it ends, so every row is an active saga
 * and there are no times: status RUNNING, never "stuck".
 */

const RUNNING = ['RUNNING', 'running', 'Running', 'STARTED', 'started', 'ACTIVE', 'active'];
const COMPENSATING = ['COMPENSATING', 'compensating', 'Compensating'];
const FAILED = ['FAILED', 'failed', 'Failed', 'ABORTED', 'aborted'];
const COMPLETED = ['COMPLETED', 'completed', 'Completed', 'DONE', 'done', 'SUCCEEDED', 'succeeded'];
const ACTIVE = [...RUNNING, ...COMPENSATING];

const FAILURE_RE = /(fail|reject|declin|error|timeout|timedout|abort|denied)/i;
const COMPENSATION_RE = /(releas|cancel|refund|compensat|revert|undo|rollback|rolledback|void|restor)/i;
const EXACT_COUNT_BELOW = 500_000;
const TIMELINE_LIMIT = 500;

interface ClassicTable {
  table: CatalogTable;
  hasState: boolean;
}

interface AxonTables {
  saga: CatalogTable;
  assoc: CatalogTable | null;
  /** Column names differ between JPA (snake_case) and JDBC (camelCase folded to lower case). */
  c: { sagaId: string; sagaType: string; serialized: string; aKey: string; aValue: string; aSagaId: string };
  events: CatalogTable | null;
}

export interface SagaSources {
  classic: ClassicTable | null;
  axon: AxonTables | null;
}

export function findSagaSources(cat: Catalog): SagaSources {
  const s = findTable(cat, 'saga_state');
  const classic = s && ['saga_id', 'saga_type', 'status', 'updated_at'].every((c) => s.columns.has(c))
    ? { table: s, hasState: s.columns.has('state') }
    : null;
  const jpa = findTable(cat, 'saga_entry');
  const jdbc = findTable(cat, 'sagaentry');
  let axon: AxonTables | null = null;
  if (jpa && jpa.columns.has('saga_id')) {
    axon = {
      saga: jpa, assoc: findTable(cat, 'association_value_entry', jpa.schema) ?? null,
      c: { sagaId: 'saga_id', sagaType: 'saga_type', serialized: 'serialized_saga', aKey: 'association_key', aValue: 'association_value', aSagaId: 'saga_id' },
      events: findTable(cat, 'domain_event_entry', jpa.schema) ?? null,
    };
  } else if (jdbc && jdbc.columns.has('sagaid')) {
    axon = {
      saga: jdbc, assoc: findTable(cat, 'associationvalueentry', jdbc.schema) ?? null,
      c: { sagaId: 'sagaid', sagaType: 'sagatype', serialized: 'serializedsaga', aKey: 'associationkey', aValue: 'associationvalue', aSagaId: 'sagaid' },
      events: findTable(cat, 'domainevententry', jdbc.schema) ?? findTable(cat, 'domain_event_entry', jdbc.schema) ?? null,
    };
  }
  return { classic, axon };
}

export function sagaSourceInfo(src: SagaSources): SagaSourceInfo[] {
  const out: SagaSourceInfo[] = [];
  if (src.classic) out.push({ kind: 'classic', table: `${src.classic.table.schema}.${src.classic.table.name}`, note: 'Status, step and times from saga_state; timeline = events sharing the saga\'s correlation id.' });
  if (src.axon) out.push({ kind: 'axon', table: `${src.axon.saga.schema}.${src.axon.saga.name}`, note: 'Axon keeps only active sagas (no times, no status); associations from association_value_entry; timeline = events of the associated aggregates.' });
  return out;
}

function statusesFor(filter: SagaFilter): string[] | null {
  switch (filter) {
    case 'running': return RUNNING;
    case 'compensating': return COMPENSATING;
    case 'failed': return FAILED;
    case 'completed': return COMPLETED;
    case 'stuck': return ACTIVE;
    case 'all': return null;
  }
}

interface ClassicRow {
  saga_id: string; saga_type: string; status: string; current_step: string | null; correlation_id: string | null;
  started_at: string | null; updated_at: string | null; updated_key: string; idle: number | null;
}

function classicColumns(t: CatalogTable): string {
  const col = (c: string, fallback = 'NULL') => (t.columns.has(c) ? `s.${q(c)}` : fallback);
  return `s.saga_id::text AS saga_id, s.saga_type::text AS saga_type, s.status::text AS status,
          (${col('current_step')})::text AS current_step, (${col('correlation_id')})::text AS correlation_id,
          ${t.columns.has('started_at') ? isoSql('s.started_at') : 'NULL::text'} AS started_at, ${isoSql('s.updated_at')} AS updated_at,
          to_char(s.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS updated_key,
          extract(epoch FROM now() - s.updated_at)::float8 AS idle`;
}

function toSummary(r: ClassicRow, stuckAfterSec: number): SagaSummary {
  const idle = r.idle === null ? null : Math.max(0, Math.round(Number(r.idle)));
  return {
    source: 'classic', sagaId: r.saga_id, sagaType: r.saga_type, status: r.status, currentStep: r.current_step, correlationId: r.correlation_id,
    startedAt: r.started_at, updatedAt: r.updated_at, idleSeconds: idle,
    stuck: ACTIVE.includes(r.status) && idle !== null && idle >= stuckAfterSec,
  };
}

export interface ListArgs { filter: SagaFilter; stuckAfterSec: number; search: string; limit: number; cursor?: string }

export async function listSagas(db: Db, src: SagaSources, a: ListArgs, signal: AbortSignal): Promise<SagaList> {
  const t0 = performance.now();
  const notes: string[] = [];
  if (!src.classic && !src.axon) {
    return { sources: [], counts: {}, countsExact: true, sagas: [], nextCursor: null, stuckAfterSec: a.stuckAfterSec, tookMs: 0, notes: ['No saga tables found (saga_state, or Axon saga_entry / association_value_entry).'] };
  }
  const counts: Record<string, number> = {};
  let countsExact = true;
  let sagas: SagaSummary[] = [];
  let nextCursor: string | null = null;

  if (src.classic) {
    const t = src.classic.table;
    const table = qt(t.schema, t.name);
    // Counts per status and stuck: exact below half a million rows, else a block sample scaled up.
    const est = t.estimatedRows;
    const sample = est >= EXACT_COUNT_BELOW ? ` TABLESAMPLE SYSTEM (${Math.min(100, (100_000 / est) * 100).toFixed(4)})` : '';
    const cs = await db.query<{ status: string; n: string; stuck: string }>(
      `SELECT s.status::text AS status, count(*)::text AS n,
              count(*) FILTER (WHERE s.status = ANY($1::text[]) AND s.updated_at < now() - make_interval(secs => $2))::text AS stuck
       FROM ${table} s${sample} GROUP BY 1`,
      [ACTIVE, a.stuckAfterSec], signal, 'count sagas');
    const sampled = cs.reduce((s, r) => s + Number(r.n), 0);
    const scale = sample && sampled > 0 ? est / sampled : 1;
    countsExact = !sample;
    let stuck = 0;
    for (const r of cs) {
      counts[r.status] = Math.round(Number(r.n) * scale);
      stuck += Math.round(Number(r.stuck) * scale);
    }
    counts.stuck = stuck;
    if (sample) notes.push(`Counts estimated from a ${sampled.toLocaleString('en-US')}-row sample of ~${est.toLocaleString('en-US')} sagas.`);

    const params: unknown[] = [];
    const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
    const conds: string[] = [];
    const st = statusesFor(a.filter);
    if (st) conds.push(`s.status = ANY(${p(st)}::text[])`);
    if (a.filter === 'stuck') conds.push(`s.updated_at < now() - make_interval(secs => ${p(a.stuckAfterSec)})`);
    if (a.search) {
      const like = `${a.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      conds.push(`(s.saga_type = ${p(a.search)} OR s.saga_id::text LIKE ${p(like)}${t.columns.has('correlation_id') ? ` OR s.correlation_id::text LIKE $${params.length}` : ''})`);
    }
    if (a.cursor) {
      const i = a.cursor.indexOf('|');
      if (i < 0) throw new ApiError('BAD_INPUT', 'Saga list cursor: not one this service gave out.', { field: 'cursor' });
      conds.push(`(s.updated_at, s.saga_id::text) < (${p(a.cursor.slice(0, i))}::timestamp AT TIME ZONE 'UTC', ${p(a.cursor.slice(i + 1))})`);
    }
    const rows = await db.query<ClassicRow>(
      `SELECT ${classicColumns(t)} FROM ${table} s ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
       ORDER BY s.updated_at DESC, s.saga_id DESC LIMIT ${a.limit + 1}`,
      params, signal, 'list sagas');
    const more = rows.length > a.limit;
    const page = rows.slice(0, a.limit);
    sagas = page.map((r) => toSummary(r, a.stuckAfterSec));
    const last = page.at(-1);
    nextCursor = more && last ? `${last.updated_key}|${last.saga_id}` : null;
  }

  if (src.axon && !a.cursor && (a.filter === 'all' || a.filter === 'running')) {
    const ax = await listAxon(db, src.axon, a.search, Math.max(0, a.limit - sagas.length), signal);
    counts.RUNNING = (counts.RUNNING ?? 0) + ax.total;
    sagas = [...sagas, ...ax.sagas];
    if (ax.total > ax.sagas.length) notes.push(`Axon: ${ax.total.toLocaleString('en-US')} active sagas, ${ax.sagas.length} shown.`);
  }

  return { sources: sagaSourceInfo(src), counts, countsExact, sagas, nextCursor, stuckAfterSec: a.stuckAfterSec, tookMs: Math.round(performance.now() - t0), notes };
}

async function listAxon(db: Db, ax: AxonTables, search: string, limit: number, signal: AbortSignal): Promise<{ sagas: SagaSummary[]; total: number }> {
  const c = ax.c;
  const saga = qt(ax.saga.schema, ax.saga.name);
  const assoc = ax.assoc ? qt(ax.assoc.schema, ax.assoc.name) : null;
  const where = search ? `WHERE s.${q(c.sagaType)} = $1 OR s.${q(c.sagaId)} LIKE $2` : '';
  const params = search ? [search, `${search.replace(/[\\%_]/g, (x) => `\\${x}`)}%`] : [];
  const rows = await db.query<{ saga_id: string; saga_type: string; assoc: { key: string; value: string }[] | null; total: string }>(
    `SELECT s.${q(c.sagaId)}::text AS saga_id, s.${q(c.sagaType)}::text AS saga_type,
            ${assoc ? `(SELECT json_agg(json_build_object('key', a.${q(c.aKey)}, 'value', a.${q(c.aValue)}) ORDER BY a.${q(c.aKey)})
                        FROM ${assoc} a WHERE a.${q(c.aSagaId)} = s.${q(c.sagaId)})` : 'NULL'} AS assoc,
            count(*) OVER ()::text AS total
     FROM ${saga} s ${where} ORDER BY s.${q(c.sagaId)} LIMIT ${Math.max(1, limit)}`,
    params, signal, 'list Axon sagas');
  const total = Number(rows[0]?.total ?? 0);
  return {
    total,
    sagas: limit === 0 ? [] : rows.map((r) => ({
      source: 'axon' as const, sagaId: r.saga_id, sagaType: r.saga_type, status: 'RUNNING', currentStep: null,
      correlationId: r.assoc?.[0]?.value ?? null, startedAt: null, updatedAt: null, idleSeconds: null, stuck: false,
      associations: r.assoc ?? [],
    })),
  };
}

interface EventRow { position: string; stream_id: string | null; type: string; at: string | null; event_id: string | null; preview: string | null }

function classify(rows: EventRow[], saga: SagaSummary, compensated: Set<string>): TimelineEntry[] {
  let failed = false;
  let prev: number | null = null;
  return rows.map((r, i) => {
    let kind: TimelineEntryKind = 'step';
    if (i === 0) kind = 'start';
    if (FAILURE_RE.test(r.type)) { kind = 'failure'; failed = true; }
    else if ((failed || saga.status === 'COMPENSATING' || compensated.size > 0) && COMPENSATION_RE.test(r.type)) kind = 'compensation';
    else if (i === rows.length - 1 && COMPLETED.includes(saga.status)) kind = 'completion';
    const at = r.at ? Date.parse(r.at) : NaN;
    const gap = prev !== null && Number.isFinite(at) ? Math.max(0, (at - prev) / 1000) : null;
    if (Number.isFinite(at)) prev = at;
    return { kind, title: r.type, at: r.at, position: r.position, streamId: r.stream_id, eventId: r.event_id, preview: r.preview, gapSeconds: gap === null ? null : Math.round(gap * 10) / 10 };
  });
}

function pending(saga: SagaSummary, last: TimelineEntry | undefined): TimelineEntry | null {
  if (!ACTIVE.includes(saga.status)) return null;
  const compensating = COMPENSATING.includes(saga.status);
  const lastAt = last?.at ? Date.parse(last.at) : NaN;
  return {
    kind: 'pending',
    title: `${compensating ? 'compensating' : 'waiting for'} ${saga.currentStep ?? 'the next step'}${saga.stuck ? ' — stuck' : ''}`,
    at: null, position: null, streamId: null, eventId: null, preview: null,
    // Idle since the saga row last changed (what "stuck" is measured on); else since its last event.
    gapSeconds: saga.idleSeconds ?? (Number.isFinite(lastAt) ? Math.round((Date.now() - lastAt) / 100) / 10 : null),
  };
}

export async function sagaDetail(
  db: Db, src: SagaSources, desc: AdapterDescription | null,
  a: { source: 'classic' | 'axon'; sagaId: string; stuckAfterSec: number }, signal: AbortSignal,
): Promise<SagaDetail> {
  const t0 = performance.now();
  if (a.source === 'axon') return axonDetail(db, src, desc, a.sagaId, t0, signal);
  if (!src.classic) throw new ApiError('NOT_FOUND', 'This store has no saga_state table.', { field: 'source' });
  const t = src.classic.table;
  const rows = await db.query<ClassicRow & { state: string | null }>(
    `SELECT ${classicColumns(t)}, ${src.classic.hasState ? `left(s.state::text, 16384)` : 'NULL'} AS state
     FROM ${qt(t.schema, t.name)} s WHERE s.saga_id::text = $1`,
    [a.sagaId], signal, 'read saga');
  const r = rows[0];
  if (!r) throw new ApiError('NOT_FOUND', `No saga ${JSON.stringify(a.sagaId)} in ${t.schema}.${t.name}.`, { field: 'sagaId' });
  const saga = toSummary(r, a.stuckAfterSec);
  let compensated = new Set<string>();
  try {
    const st = r.state ? (JSON.parse(r.state) as { compensated?: unknown }) : null;
    if (Array.isArray(st?.compensated)) compensated = new Set(st.compensated.map(String));
  } catch { /* state cut at 16 KiB: not parseable, fine */ }

  let events: EventRow[] = [];
  let truncated = false;
  let joinedOn = 'no correlation column is mapped for this store';
  const m = desc?.mapping;
  if (m?.correlation && saga.correlationId) {
    const pos = `e.${q(m.positionColumn)}`;
    events = await db.query<EventRow>(
      `SELECT (${pos})::text AS position, (${m.streamId})::text AS stream_id, (${m.type})::text AS type, ${isoSql(m.time)} AS at,
              ${m.eventId ? `(${m.eventId})::text` : 'NULL::text'} AS event_id, left((${m.payload})::text, 200) AS preview
       FROM ${qt(m.eventTable.schema, m.eventTable.name)} e ${m.joins}
       WHERE (${m.correlation}) = $1 ${m.where ? `AND ${m.where}` : ''} ORDER BY ${pos} LIMIT ${TIMELINE_LIMIT + 1}`,
      [saga.correlationId], signal, 'read the saga\'s events');
    truncated = events.length > TIMELINE_LIMIT;
    events = events.slice(0, TIMELINE_LIMIT);
    joinedOn = `${m.correlation} = ${saga.correlationId}`;
  }
  const timeline = classify(events, saga, compensated);
  const p = pending(saga, timeline.at(-1));
  if (p) timeline.push(p);
  return { saga, state: r.state, timeline, truncated, joinedOn, tookMs: Math.round(performance.now() - t0) };
}

async function axonDetail(db: Db, src: SagaSources, desc: AdapterDescription | null, sagaId: string, t0: number, signal: AbortSignal): Promise<SagaDetail> {
  const ax = src.axon;
  if (!ax) throw new ApiError('NOT_FOUND', 'This store has no Axon saga tables.', { field: 'source' });
  const c = ax.c;
  const serializedType = ax.saga.columns.get(c.serialized) ?? '';
  const body = serializedType === 'oid'
    ? `convert_from(lo_get(s.${q(c.serialized)}), 'UTF8')`
    : serializedType === 'bytea' ? `convert_from(s.${q(c.serialized)}, 'UTF8')` : `s.${q(c.serialized)}::text`;
  const rows = await db.query<{ saga_id: string; saga_type: string; state: string | null; assoc: { key: string; value: string }[] | null }>(
    `SELECT s.${q(c.sagaId)}::text AS saga_id, s.${q(c.sagaType)}::text AS saga_type, left(${body}, 16384) AS state,
            ${ax.assoc ? `(SELECT json_agg(json_build_object('key', a.${q(c.aKey)}, 'value', a.${q(c.aValue)}) ORDER BY a.${q(c.aKey)})
                           FROM ${qt(ax.assoc.schema, ax.assoc.name)} a WHERE a.${q(c.aSagaId)} = s.${q(c.sagaId)})` : 'NULL'} AS assoc
     FROM ${qt(ax.saga.schema, ax.saga.name)} s WHERE s.${q(c.sagaId)} = $1`,
    [sagaId], signal, 'read Axon saga');
  const r = rows[0];
  if (!r) throw new ApiError('NOT_FOUND', `No Axon saga ${JSON.stringify(sagaId)}.`, { field: 'sagaId' });
  const assoc = r.assoc ?? [];
  const saga: SagaSummary = {
    source: 'axon', sagaId: r.saga_id, sagaType: r.saga_type, status: 'RUNNING', currentStep: null, correlationId: assoc[0]?.value ?? null,
    startedAt: null, updatedAt: null, idleSeconds: null, stuck: false, associations: assoc,
  };
  const values = assoc.map((x) => x.value);
  let events: EventRow[] = [];
  let joinedOn = 'no event table to join';
  if (values.length && ax.events && ax.events.columns.has('aggregate_identifier')) {
    const ev = ax.events;
    const payload = ev.columns.get('payload') === 'bytea' ? `convert_from(e.payload, 'UTF8')` : ev.columns.get('payload') === 'oid' ? `convert_from(lo_get(e.payload), 'UTF8')` : 'e.payload::text';
    events = await db.query<EventRow>(
      `SELECT e.global_index::text AS position, e.aggregate_identifier::text AS stream_id, e.payload_type::text AS type,
              ${isoSql('e.time_stamp::timestamptz')} AS at, e.event_identifier::text AS event_id, left(${payload}, 200) AS preview
       FROM ${qt(ev.schema, ev.name)} e WHERE e.aggregate_identifier = ANY($1::text[]) ORDER BY e.global_index LIMIT ${TIMELINE_LIMIT + 1}`,
      [values], signal, 'read the Axon saga\'s events');
    joinedOn = `aggregate_identifier ∈ associations (${values.join(', ')})`;
  } else if (values.length && desc?.mapping.correlation) {
    const m = desc.mapping;
    const pos = `e.${q(m.positionColumn)}`;
    events = await db.query<EventRow>(
      `SELECT (${pos})::text AS position, (${m.streamId})::text AS stream_id, (${m.type})::text AS type, ${isoSql(m.time)} AS at,
              ${m.eventId ? `(${m.eventId})::text` : 'NULL::text'} AS event_id, left((${m.payload})::text, 200) AS preview
       FROM ${qt(m.eventTable.schema, m.eventTable.name)} e ${m.joins} WHERE (${m.correlation}) = ANY($1::text[]) ORDER BY ${pos} LIMIT ${TIMELINE_LIMIT + 1}`,
      [values], signal, 'read the Axon saga\'s events');
    joinedOn = `${m.correlation} ∈ associations`;
  }
  const truncated = events.length > TIMELINE_LIMIT;
  const timeline = classify(events.slice(0, TIMELINE_LIMIT), saga, new Set());
  const p = pending(saga, timeline.at(-1));
  if (p) timeline.push(p);
  return { saga, state: r.state, timeline, truncated, joinedOn, tookMs: Math.round(performance.now() - t0) };
}

/** Failed / finished over a window, for canary gates and badges (classic saga_state only). */
export async function sagaFailureRate(db: Db, src: SagaSources, connectionId: string, windowSec: number, stuckAfterSec: number, signal: AbortSignal): Promise<SagaFailureRate> {
  if (!src.classic) return { connectionId, windowSec, finished: 0, failed: 0, rate: null, compensating: 0, stuck: 0 };
  const t = src.classic.table;
  const rows = await db.query<{ finished: string; failed: string; compensating: string; stuck: string }>(
    `SELECT count(*) FILTER (WHERE s.status = ANY($1::text[]) OR s.status = ANY($2::text[]))::text AS finished,
            count(*) FILTER (WHERE s.status = ANY($2::text[]))::text AS failed,
            count(*) FILTER (WHERE s.status = ANY($3::text[]))::text AS compensating,
            count(*) FILTER (WHERE s.status = ANY($4::text[]) AND s.updated_at < now() - make_interval(secs => $6))::text AS stuck
     FROM ${qt(t.schema, t.name)} s WHERE s.updated_at >= now() - make_interval(secs => $5) OR s.status = ANY($4::text[])`,
    [COMPLETED, FAILED, COMPENSATING, ACTIVE, windowSec, stuckAfterSec], signal, 'saga failure rate');
  const r = rows[0];
  const finished = Number(r?.finished ?? 0);
  const failed = Number(r?.failed ?? 0);
  return { connectionId, windowSec, finished, failed, rate: finished ? failed / finished : null, compensating: Number(r?.compensating ?? 0), stuck: Number(r?.stuck ?? 0) };
}
