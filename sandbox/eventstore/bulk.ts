import type pg from 'pg';
import { CLASSIC_INDEXES_SQL } from './schema';

/**
 * Bulk history for the classic store, generated inside Postgres with generate_series (no row-by-row
 * round trips): 10 million events take about a minute on a laptop-class machine.
 *
 * Shape of the generated history (deterministic, so tests and the bench can rely on it):
 * - every 1000th event belongs to ONE long stream `inventory-<tag>-sku-1` (10,000 events per
 *   10 million), interleaved through the whole log, with a snapshot every 100 versions;
 * - the other events are orders `order-<tag>-<n>`, 4 events each (Created, Paid, Shipped,
 *   Delivered; every 10th order Created, Paid, Cancelled, Refunded), `window` orders in flight at
 *   once so streams interleave like real traffic;
 * - metadata carries event_id, correlation_id (per order) and causation_id (the previous event
 *   of the same order);
 * - created_at grows with the position, spread over `spanMs` ending now.
 */
export interface BulkLoadOptions {
  events: number;
  /** Distinguishes stream ids of separate loads into one store. */
  tag?: string;
  /** Orders in flight at once (interleaving). */
  window?: number;
  spanMs?: number;
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface BulkLoadResult {
  events: number;
  firstPosition: number;
  lastPosition: number;
  longStreamId: string;
  longStreamEvents: number;
  ms: number;
}

const LOAD_SQL = `
WITH s AS (
  SELECT i, (i % 1000 = 0) AS inv, i - i / 1000 AS j
  FROM generate_series($1::bigint, $2::bigint) AS i
), o AS (
  SELECT i, inv, i / 1000 AS inv_v,
         ((j - 1) / ($4::bigint * 4)) * $4::bigint + ((j - 1) % $4::bigint) AS ord,
         ((j - 1) / $4::bigint) % 4 AS step
  FROM s
)
INSERT INTO events (global_position, stream_id, stream_type, version, event_type, payload, metadata, created_at)
SELECT $3::bigint + i,
  CASE WHEN inv THEN 'inventory-' || $5 || '-sku-1' ELSE 'order-' || $5 || '-' || ord END,
  CASE WHEN inv THEN 'Inventory' ELSE 'Order' END,
  CASE WHEN inv THEN inv_v ELSE step + 1 END,
  CASE WHEN inv THEN (CASE WHEN i % 3000 = 0 THEN 'StockRestocked' ELSE 'StockReserved' END)
       ELSE (CASE step WHEN 0 THEN 'OrderCreated' WHEN 1 THEN 'OrderPaid'
                       WHEN 2 THEN (CASE WHEN ord % 10 = 7 THEN 'OrderCancelled' ELSE 'OrderShipped' END)
                       ELSE (CASE WHEN ord % 10 = 7 THEN 'OrderRefunded' ELSE 'OrderDelivered' END) END) END,
  CASE WHEN inv THEN jsonb_build_object('sku', 'sku-1', 'quantity', (i % 7) + 1, 'warehouse', 'wh-' || (i % 3))
       ELSE jsonb_build_object('orderId', 'order-' || $5 || '-' || ord, 'customerId', 'cust-' || (ord % 5000),
                               'amount', round((((ord * 7919) % 50000) + 100) / 100.0, 2), 'currency', 'EUR',
                               'items', (ord % 5) + 1) END,
  CASE WHEN inv THEN jsonb_build_object('event_id', 'evt-' || $5 || '-i' || i, 'correlation_id', 'corr-' || $5 || '-inv-' || i, 'source', 'bulk')
       ELSE jsonb_build_object('event_id', 'evt-' || $5 || '-' || ord || '-' || step, 'correlation_id', 'corr-' || $5 || '-' || ord,
                               'causation_id', CASE WHEN step > 0 THEN 'evt-' || $5 || '-' || ord || '-' || (step - 1) END,
                               'source', 'bulk') END,
  $6::timestamptz + ((i * $7::float8 / $8::float8) * interval '1 millisecond')
FROM o`;

export async function bulkLoad(client: pg.ClientBase, opts: BulkLoadOptions): Promise<BulkLoadResult> {
  const t0 = Date.now();
  const total = Math.max(0, Math.floor(opts.events));
  const tag = opts.tag ?? `b${Date.now().toString(36)}`;
  const window = opts.window ?? 1000;
  const spanMs = opts.spanMs ?? 7 * 24 * 3600 * 1000;
  const chunk = opts.chunk ?? 500_000;
  const longStreamId = `inventory-${tag}-sku-1`;

  await client.query('SET synchronous_commit = off');
  const { rows } = await client.query<{ base: string }>('SELECT coalesce(max(global_position), 0)::text AS base FROM events');
  const base = Number(rows[0]?.base ?? 0);
  const big = total >= 500_000;
  // Maintaining five secondary indexes row by row costs more than building them once afterwards.
  if (big) {
    for (const name of ['events_stream_type_position', 'events_event_type_position', 'events_correlation_id', 'events_event_id']) {
      await client.query(`DROP INDEX IF EXISTS ${name}`);
    }
  }
  const startAt = new Date(Date.now() - spanMs);
  for (let from = 1; from <= total; from += chunk) {
    const to = Math.min(total, from + chunk - 1);
    await client.query(LOAD_SQL, [from, to, base, window, tag, startAt.toISOString(), spanMs, total]);
    opts.onProgress?.(to, total);
  }
  await client.query(`SELECT setval(pg_get_serial_sequence('events', 'global_position'), greatest($1::bigint, 1))`, [base + total]);
  await client.query(
    `INSERT INTO snapshots (stream_id, version, state, created_at)
     SELECT $1, v, jsonb_build_object('sku', 'sku-1', 'version', v, 'onHand', 100000 - v * 3), now()
     FROM generate_series(100, $2::bigint, 100) AS v ON CONFLICT DO NOTHING`,
    [longStreamId, Math.floor(total / 1000)],
  );
  if (big) for (const sql of CLASSIC_INDEXES_SQL) await client.query(sql);
  await client.query('ANALYZE events');
  await client.query('RESET synchronous_commit');
  return {
    events: total,
    firstPosition: base + 1,
    lastPosition: base + total,
    longStreamId,
    longStreamEvents: Math.floor(total / 1000),
    ms: Date.now() - t0,
  };
}
