import pg from 'pg';

/**
 * A real projection for the demo store: `orders_read_model` (one row per order stream with its
 * status and version), written by the projection `orders-read-model` whose checkpoint lives in
 * projection_checkpoints like the others. It processes at a bounded rate, so after a bulk seed it is
 * a genuine laggard with a steady rate and an ETA; and it has a deliberate bug (it drops every
 * `bugEvery`-th order's OrderCancelled), so the consistency checker has real mismatches to find.
 *
 * Read safety: it only reads events older than one second, so a writer still in flight below a
 * committed position cannot be skipped (the demo's transactions last milliseconds).
 *
 * Hook-in (demo): after startSandboxEventStore, `await startOrdersReadModel(store.url)` and stop it
 * before store.stop().
 */
export const READ_MODEL_TABLE = 'orders_read_model';
export const READ_MODEL_PROJECTION = 'orders-read-model';

/** The status an order shows after each of its events (bulk history and the live domain). */
export const ORDER_STATUS_BY_EVENT: Record<string, string> = {
  OrderCreated: 'CREATED',
  OrderPaid: 'PAID',
  OrderShipped: 'SHIPPED',
  OrderDelivered: 'DELIVERED',
  OrderCancelled: 'CANCELLED',
  OrderRefunded: 'REFUNDED',
};

export const READ_MODEL_SQL = `
CREATE TABLE IF NOT EXISTS ${READ_MODEL_TABLE} (
  stream_id     text COLLATE "C" PRIMARY KEY,
  status        text NOT NULL,
  version       bigint NOT NULL,
  last_position bigint NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO projection_checkpoints (name, position) VALUES ('${READ_MODEL_PROJECTION}', 0) ON CONFLICT (name) DO NOTHING;
`;

export interface OrdersReadModelOptions {
  /** Events per second the projection processes (default 400). */
  eventsPerSec?: number;
  batch?: number;
  /** Drop the OrderCancelled of every Nth order (by hash); 0 = no bug (default 40). */
  bugEvery?: number;
  onError?: (err: unknown) => void;
}

export interface OrdersReadModel {
  setRate(eventsPerSec: number): void;
  /** Process everything available now, ignoring the rate. */
  catchUp(): Promise<void>;
  stats(): { processed: number; batches: number };
  stop(): Promise<void>;
}

const STEP_SQL = `
WITH cp AS (SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE),
batch AS (
  SELECT e.global_position, e.stream_id, e.stream_type, e.version, e.event_type
  FROM events e, cp
  WHERE e.global_position > cp.position AND e.created_at < now() - interval '1 second'
  ORDER BY e.global_position LIMIT $2
),
applied AS (
  SELECT * FROM batch
  WHERE stream_type = 'Order' AND event_type = ANY($3::text[])
    AND NOT ($4::int > 0 AND event_type = 'OrderCancelled' AND abs(hashtext(stream_id)) % $4::int = 0)
),
last AS (SELECT DISTINCT ON (stream_id) * FROM applied ORDER BY stream_id, version DESC),
up AS (
  INSERT INTO ${READ_MODEL_TABLE} AS r (stream_id, status, version, last_position, updated_at)
  SELECT stream_id, ($5::jsonb)->>event_type, version, global_position, now() FROM last
  ON CONFLICT (stream_id) DO UPDATE SET status = excluded.status, version = excluded.version,
    last_position = excluded.last_position, updated_at = now()
  WHERE r.version < excluded.version
  RETURNING 1
)
UPDATE projection_checkpoints SET position = (SELECT max(global_position) FROM batch), updated_at = now()
WHERE name = $1 AND EXISTS (SELECT 1 FROM batch)
RETURNING (SELECT count(*) FROM batch)::int AS n, (SELECT count(*) FROM up)::int AS rows`;

export async function startOrdersReadModel(url: string, opts: OrdersReadModelOptions = {}): Promise<OrdersReadModel> {
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: 'meshdeck-sandbox-read-model' });
  pool.on('error', (err) => opts.onError?.(err));
  await pool.query(READ_MODEL_SQL);
  let rate = opts.eventsPerSec ?? 400;
  const batch = opts.batch ?? 100;
  const bugEvery = opts.bugEvery ?? 40;
  let stopped = false;
  const counters = { processed: 0, batches: 0 };
  const types = Object.keys(ORDER_STATUS_BY_EVENT);
  const statuses = JSON.stringify(ORDER_STATUS_BY_EVENT);

  async function step(limit: number): Promise<number> {
    const c = await pool.connect();
    const ignore = () => undefined;
    c.on('error', ignore);
    try {
      await c.query('BEGIN');
      const r = await c.query<{ n: number }>(STEP_SQL, [READ_MODEL_PROJECTION, limit, types, bugEvery, statuses]);
      await c.query('COMMIT');
      const n = r.rows[0]?.n ?? 0;
      counters.processed += n;
      counters.batches++;
      return n;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.removeListener('error', ignore);
      c.release();
    }
  }

  const loop = (async () => {
    while (!stopped) {
      if (rate <= 0) { await delay(200); continue; }
      const started = Date.now();
      const n = await step(batch).catch((err: unknown) => { if (!stopped) opts.onError?.(err); return 0; });
      const interval = n > 0 ? (1000 * n) / rate : 500;
      await delay(Math.max(20, interval - (Date.now() - started)));
    }
  })();

  return {
    setRate(r) { rate = r; },
    async catchUp() {
      while ((await step(5000)) > 0) { /* until nothing older than a second is left */ }
    },
    stats: () => ({ ...counters }),
    async stop() {
      stopped = true;
      await loop;
      await pool.end().catch(() => undefined);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
