import type { IdempotencyKeyRow, IdempotencyReport } from '../../shared/contract/projections';
import type { Db } from '../eventstore/connection';
import { findTable, q, qt } from '../eventstore/adapters/types';
import type { Catalog, CatalogTable } from '../eventstore/adapters/types';
import { isoSql } from './types';

/**
 * Idempotency keys (classic idempotency_keys(key, status, result, created_at, updated_at)): counts
 * by status (exact below half a million rows, else a block sample), PROCESSING keys older than N —
 * a request that crashed mid-way and now blocks its retries — and the latest FAILED with results.
 */
const PROCESSING = ['PROCESSING', 'processing', 'IN_PROGRESS', 'in_progress', 'PENDING', 'pending'];
const FAILED = ['FAILED', 'failed', 'ERROR', 'error'];
const EXACT_BELOW = 500_000;

export function findIdempotencyTable(cat: Catalog): CatalogTable | null {
  const t = findTable(cat, 'idempotency_keys') ?? findTable(cat, 'idempotency_key') ?? findTable(cat, 'idempotency');
  return t && t.columns.has('status') && (t.columns.has('key') || t.columns.has('id')) ? t : null;
}

export async function idempotencyReport(
  db: Db, t: CatalogTable | null, a: { processingOlderThanSec: number; limit: number }, signal: AbortSignal,
): Promise<IdempotencyReport> {
  const t0 = performance.now();
  if (!t) {
    return { table: null, counts: {}, countsExact: true, processingOlderThanSec: a.processingOlderThanSec, stuckProcessing: [], stuckProcessingTotal: 0, failed: [], tookMs: 0, notes: ['No idempotency_keys table in this store.'] };
  }
  const table = qt(t.schema, t.name);
  const key = t.columns.has('key') ? 'k.key' : 'k.id';
  const created = t.columns.has('created_at') ? 'k.created_at' : null;
  const updated = t.columns.has('updated_at') ? 'k.updated_at' : created;
  const result = t.columns.has('result') ? `left(k.${q('result')}::text, 2048)` : 'NULL::text';
  const notes: string[] = [];
  const est = t.estimatedRows;
  const sample = est >= EXACT_BELOW ? ` TABLESAMPLE SYSTEM (${Math.min(100, (100_000 / est) * 100).toFixed(4)})` : '';
  const cs = await db.query<{ status: string; n: string }>(`SELECT k.status::text AS status, count(*)::text AS n FROM ${table} k${sample} GROUP BY 1 ORDER BY 1`, [], signal, 'count idempotency keys');
  const sampled = cs.reduce((s, r) => s + Number(r.n), 0);
  const scale = sample && sampled > 0 ? est / sampled : 1;
  const counts: Record<string, number> = {};
  for (const r of cs) counts[r.status] = Math.round(Number(r.n) * scale);
  if (sample) notes.push(`Counts estimated from a ${sampled.toLocaleString('en-US')}-row sample of ~${est.toLocaleString('en-US')} keys.`);

  const cols = `(${key})::text AS key, k.status::text AS status, ${created ? isoSql(created) : 'NULL::text'} AS created_at,
                ${updated ? isoSql(updated) : 'NULL::text'} AS updated_at,
                ${created ? `extract(epoch FROM now() - ${created})::float8` : 'NULL::float8'} AS age, ${result} AS result`;
  type Row = { key: string; status: string; created_at: string | null; updated_at: string | null; age: number | null; result: string | null; total?: string };
  const toRow = (r: Row): IdempotencyKeyRow => ({ key: r.key, status: r.status, createdAt: r.created_at, updatedAt: r.updated_at, ageSeconds: r.age === null ? null : Math.round(Number(r.age)), result: r.result });
  const olderThan = updated ? `AND coalesce(${updated}, ${created ?? updated}) < now() - make_interval(secs => $2)` : '';
  const stuck = await db.query<Row>(
    `SELECT ${cols}, count(*) OVER ()::text AS total FROM ${table} k WHERE k.status = ANY($1::text[]) ${olderThan}
     ORDER BY ${created ?? key} ASC LIMIT ${a.limit}`,
    updated ? [PROCESSING, a.processingOlderThanSec] : [PROCESSING], signal, 'stuck idempotency keys');
  const failed = await db.query<Row>(
    `SELECT ${cols} FROM ${table} k WHERE k.status = ANY($1::text[]) ORDER BY ${updated ?? key} DESC LIMIT ${a.limit}`,
    [FAILED], signal, 'failed idempotency keys');
  return {
    table: `${t.schema}.${t.name}`, counts, countsExact: !sample, processingOlderThanSec: a.processingOlderThanSec,
    stuckProcessing: stuck.map(toRow), stuckProcessingTotal: Number(stuck[0]?.total ?? 0), failed: failed.map(toRow),
    tookMs: Math.round(performance.now() - t0), notes,
  };
}
