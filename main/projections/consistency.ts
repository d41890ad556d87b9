import type { ConsistencyCheckInfo, ConsistencyResult, Mismatch, ReadModelCheck } from '../../shared/contract/projections';
import { ApiError } from '../../shared/errors';
import type { Db } from '../eventstore/connection';
import { findTable, q, qt } from '../eventstore/adapters/types';
import type { AdapterDescription, Catalog, CatalogTable } from '../eventstore/adapters/types';
import { resolveTable } from '../eventstore/adapters/custom';

/**
 * The consistency checker (BRIEF): a read model compared with the events it is built from.
 *
 * read-model-status: for each (sampled) read-model row, the last event of its stream at or below
 * the writing projection's checkpoint decides the status the row must show (and its version).
 * Rows whose stream has events past the checkpoint are skipped and counted as lag, not errors.
 * The other direction is sampled too: streams with such events but no row ("missing-row").
 *
 * saga-last-event: a saga's state names the last event it handled (state.lastEventId); the last
 * event carrying its correlation id must be that one.
 *
 * Big tables are sampled with TABLESAMPLE SYSTEM (block sample, no full scan); the result says how
 * many rows were compared and out of how many.
 */

/** The order domain's statuses (the demo store's orders_read_model; also a sensible default for order read models). */
export const ORDER_STATUS_BY_EVENT: Record<string, string> = {
  OrderCreated: 'CREATED', OrderPaid: 'PAID', OrderShipped: 'SHIPPED', OrderDelivered: 'DELIVERED', OrderCancelled: 'CANCELLED', OrderRefunded: 'REFUNDED',
};

const MAX_LISTED = 200;

export function builtinChecks(cat: Catalog, desc: AdapterDescription | null, projectionNames: string[]): ConsistencyCheckInfo[] {
  const out: ConsistencyCheckInfo[] = [];
  if (!desc) return out;
  for (const t of cat.tables) {
    if (!/read_?model|_view$|_summary$/i.test(t.name) || !t.columns.has('stream_id')) continue;
    const statusCol = ['status', 'state'].find((c) => t.columns.has(c));
    const versionCol = ['version', 'stream_version'].find((c) => t.columns.has(c));
    if (!statusCol && !versionCol) continue;
    const orders = /order/i.test(t.name);
    const projection = projectionNames.find((p) => p.replace(/-/g, '_') === t.name || `${p.replace(/-/g, '_')}` === t.name.replace(/_read_model$/, '') || p === t.name.replace(/_/g, '-'));
    const check: ReadModelCheck = {
      kind: 'read-model-status', table: `${t.schema}.${t.name}`, streamIdColumn: 'stream_id',
      statusColumn: statusCol ?? versionCol!, ...(versionCol ? { versionColumn: versionCol } : {}),
      statusByEventType: orders && statusCol ? ORDER_STATUS_BY_EVENT : {},
      ...(projection ? { projection } : {}),
    };
    out.push({
      id: `read-model:${t.schema}.${t.name}`,
      label: `${t.name} vs its streams`,
      description: `Each row's ${orders && statusCol ? `${statusCol} and ` : ''}${versionCol ?? ''} against the last event of its stream${projection ? ` up to the checkpoint of ${projection}` : ''}.`,
      check,
    });
  }
  const saga = findTable(cat, 'saga_state');
  if (saga?.columns.has('state') && saga.columns.has('correlation_id') && desc.mapping.correlation && desc.mapping.eventId) {
    out.push({
      id: 'saga-last-event',
      label: 'saga_state vs correlated events',
      description: 'A saga\'s state.lastEventId must be the last event carrying its correlation id.',
      check: null,
    });
  }
  return out;
}

async function population(db: Db, t: CatalogTable, signal: AbortSignal): Promise<{ n: number; exact: boolean }> {
  const r = await db.query<{ n: number | null }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = to_regclass($1)`, [qt(t.schema, t.name)], signal, 'estimate rows');
  const est = Number(r[0]?.n ?? -1);
  if (est < 100_000) {
    const c = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qt(t.schema, t.name)}`, [], signal, 'count rows');
    return { n: Number(c[0]?.n ?? 0), exact: true };
  }
  return { n: Math.round(est), exact: false };
}

/** Below this many rows a random sample is a cheap scan; above it, a block sample avoids reading the table. */
const RANDOM_BELOW = 200_000;

function sampleClause(pop: number, size: number): { clause: string; order: string; method: ConsistencyResult['method'] } {
  if (pop <= size) return { clause: '', order: '', method: 'full' };
  // Few pages: a block sample can come back empty, so pick random rows instead.
  if (pop <= RANDOM_BELOW) return { clause: '', order: ' ORDER BY random()', method: 'random-keys' };
  const pct = Math.min(100, (size / pop) * 100 * 1.5);
  return { clause: ` TABLESAMPLE SYSTEM (${pct.toFixed(5)})`, order: '', method: 'tablesample' };
}

export interface CheckContext {
  db: Db;
  cat: Catalog;
  desc: AdapterDescription;
  sampleSize: number;
  /** The checkpoint of a projection by name (null: unknown projection). */
  checkpointOf(name: string): Promise<bigint | null>;
  signal: AbortSignal;
}

export async function runReadModelCheck(id: string, label: string, check: ReadModelCheck, ctx: CheckContext): Promise<ConsistencyResult> {
  const t0 = performance.now();
  const { db, desc, signal } = ctx;
  const m = desc.mapping;
  const t = resolveTable(ctx.cat, check.table);
  if (!t) throw new ApiError('INVALID_CONFIG', `Consistency check: table ${check.table} was not found (or is not readable).`, { field: 'check.table' });
  for (const [f, c] of [['streamIdColumn', check.streamIdColumn], ['statusColumn', check.statusColumn], ['versionColumn', check.versionColumn]] as const) {
    if (c !== undefined && !t.columns.has(c)) throw new ApiError('INVALID_CONFIG', `Consistency check: ${t.schema}.${t.name} has no column "${c}" (${f}).`, { field: `check.${f}` });
  }
  const notes: string[] = [];
  let checkpoint: bigint | null = null;
  if (check.projection) {
    checkpoint = await ctx.checkpointOf(check.projection);
    if (checkpoint === null) notes.push(`Projection ${check.projection} not found: compared with the newest events (rows of busy streams may show as lag mismatches).`);
  }
  const pop = await population(db, t, signal);
  const { clause, order, method } = sampleClause(pop.n, ctx.sampleSize);
  const types = Object.keys(check.statusByEventType);
  const events = `${qt(m.eventTable.schema, m.eventTable.name)} e ${m.joins}`;
  const pos = `e.${q(m.positionColumn)}`;
  const live = m.where ? `AND ${m.where}` : '';
  const params: unknown[] = [];
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  const cp = checkpoint !== null ? p(checkpoint.toString()) : null;
  const upTo = cp ? `AND ${pos} <= ${cp}::bigint` : '';
  const typesParam = types.length ? p(types) : null;
  const sql = `
    WITH rm AS (
      SELECT (r.${q(check.streamIdColumn)})::text AS stream_id, (r.${q(check.statusColumn)})::text AS status,
             ${check.versionColumn ? `(r.${q(check.versionColumn)})::text` : 'NULL::text'} AS version
      FROM ${qt(t.schema, t.name)} r${clause}${order} LIMIT ${ctx.sampleSize}
    )
    SELECT rm.stream_id, rm.status, rm.version, le.type AS exp_type, le.pos AS exp_pos, lv.version AS exp_version, lv.pos AS last_pos,
           ${cp ? `EXISTS (SELECT 1 FROM ${events} WHERE ${m.streamFilter('rm.stream_id')} AND ${pos} > ${cp}::bigint ${live})` : 'false'} AS in_lag
    FROM rm
    ${typesParam ? `LEFT JOIN LATERAL (SELECT (${m.type})::text AS type, (${pos})::text AS pos FROM ${events}
       WHERE ${m.streamFilter('rm.stream_id')} AND (${m.type}) = ANY(${typesParam}::text[]) ${upTo} ${live} ORDER BY (${m.version}) DESC LIMIT 1) le ON true`
    : 'LEFT JOIN LATERAL (SELECT NULL::text AS type, NULL::text AS pos) le ON true'}
    LEFT JOIN LATERAL (SELECT (${m.version})::text AS version, (${pos})::text AS pos FROM ${events}
       WHERE ${m.streamFilter('rm.stream_id')} ${upTo} ${live} ORDER BY (${m.version}) DESC LIMIT 1) lv ON true`;
  const rows = await db.query<{ stream_id: string; status: string; version: string | null; exp_type: string | null; exp_pos: string | null; exp_version: string | null; last_pos: string | null; in_lag: boolean }>(
    sql, params, signal, 'consistency check');

  const mismatches: Mismatch[] = [];
  let skippedInLag = 0;
  let count = 0;
  const push = (x: Mismatch) => { count++; if (mismatches.length < MAX_LISTED) mismatches.push(x); };
  for (const r of rows) {
    if (r.in_lag) { skippedInLag++; continue; }
    if (r.exp_version === null) {
      push({ kind: 'missing-stream', key: r.stream_id, streamId: r.stream_id, expected: 'a stream with events', actual: r.status, position: null, eventType: null });
      continue;
    }
    if (r.exp_type !== null) {
      const want = check.statusByEventType[r.exp_type];
      if (want !== undefined && want !== r.status) push({ kind: 'status', key: r.stream_id, streamId: r.stream_id, expected: want, actual: r.status, position: r.exp_pos, eventType: r.exp_type });
    }
    if (check.versionColumn && r.version !== r.exp_version) {
      push({ kind: 'version', key: r.stream_id, streamId: r.stream_id, expected: r.exp_version, actual: r.version, position: r.last_pos, eventType: null });
    }
  }

  // The other direction: streams with mapped events (up to the checkpoint) but no row at all.
  if (typesParam) {
    const est = await db.query<{ n: number | null }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = to_regclass($1)`, [qt(m.eventTable.schema, m.eventTable.name)], signal, 'estimate rows');
    const evPop = Math.max(0, Number(est[0]?.n ?? 0));
    const want = Math.max(50, Math.floor(ctx.sampleSize / 4));
    const ev = evPop > want * 20 ? ` TABLESAMPLE SYSTEM (${Math.min(100, ((want * 20) / evPop) * 100).toFixed(5)})` : '';
    const miss = await db.query<{ stream_id: string; type: string; pos: string }>(
      `SELECT x.stream_id, x.type, x.pos FROM (
         SELECT DISTINCT ON ((${m.streamId})::text) (${m.streamId})::text AS stream_id, (${m.type})::text AS type, (${pos})::text AS pos
         FROM ${qt(m.eventTable.schema, m.eventTable.name)} e${ev} ${m.joins}
         WHERE (${m.type}) = ANY(${typesParam}::text[]) ${upTo} ${live} ORDER BY (${m.streamId})::text LIMIT ${want}) x
       WHERE NOT EXISTS (SELECT 1 FROM ${qt(t.schema, t.name)} r WHERE (r.${q(check.streamIdColumn)})::text = x.stream_id)`,
      params, signal, 'consistency check (missing rows)');
    for (const r of miss) push({ kind: 'missing-row', key: r.stream_id, streamId: r.stream_id, expected: check.statusByEventType[r.type] ?? 'a row', actual: null, position: r.pos, eventType: r.type });
    notes.push(`Missing rows: ${want} streams sampled from the events${ev ? ' (block sample)' : ''}.`);
  }
  if (method === 'tablesample' && rows.length < ctx.sampleSize / 2) notes.push(`The block sample returned ${rows.length} rows (asked ${ctx.sampleSize}).`);

  return {
    checkId: id, label, population: pop.n, populationExact: pop.exact, sampled: rows.length, method,
    mismatches, mismatchCount: count, skippedInLag, checkpoint: checkpoint?.toString() ?? null,
    at: new Date().toISOString(), tookMs: Math.round(performance.now() - t0), notes,
  };
}

export async function runSagaLastEventCheck(ctx: CheckContext): Promise<ConsistencyResult> {
  const t0 = performance.now();
  const { db, desc, signal } = ctx;
  const m = desc.mapping;
  const saga = findTable(ctx.cat, 'saga_state');
  if (!saga || !m.correlation || !m.eventId) throw new ApiError('INVALID_CONFIG', 'This store has no saga_state with state and correlation_id, or no mapped event id / correlation.', { field: 'checkId' });
  const pop = await population(db, saga, signal);
  const { clause, order, method } = sampleClause(pop.n, ctx.sampleSize);
  const pos = `e.${q(m.positionColumn)}`;
  const rows = await db.query<{ saga_id: string; want: string; got: string | null; type: string | null; pos: string | null }>(
    `WITH s AS (SELECT s.saga_id::text AS saga_id, s.correlation_id::text AS corr, s.state->>'lastEventId' AS want
                FROM ${qt(saga.schema, saga.name)} s${clause}${order} LIMIT ${ctx.sampleSize})
     SELECT s.saga_id, s.want, le.got, le.type, le.pos FROM s
     LEFT JOIN LATERAL (SELECT (${m.eventId})::text AS got, (${m.type})::text AS type, (${pos})::text AS pos
                        FROM ${qt(m.eventTable.schema, m.eventTable.name)} e ${m.joins}
                        WHERE (${m.correlation}) = s.corr ${m.where ? `AND ${m.where}` : ''} ORDER BY ${pos} DESC LIMIT 1) le ON true
     WHERE s.want IS NOT NULL`,
    [], signal, 'consistency check (sagas)');
  const mismatches: Mismatch[] = [];
  let count = 0;
  for (const r of rows) {
    if (r.got === r.want) continue;
    count++;
    if (mismatches.length < MAX_LISTED) mismatches.push({ kind: 'saga-last-event', key: r.saga_id, streamId: null, expected: r.want, actual: r.got, position: r.pos, eventType: r.type });
  }
  return {
    checkId: 'saga-last-event', label: 'saga_state vs correlated events', population: pop.n, populationExact: pop.exact, sampled: rows.length, method,
    mismatches, mismatchCount: count, skippedInLag: 0, checkpoint: null, at: new Date().toISOString(), tookMs: Math.round(performance.now() - t0),
    notes: ['Sagas without state.lastEventId are not compared.'],
  };
}
