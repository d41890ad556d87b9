import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { LAGGING_PROJECTION, NOTIFY_CHANNEL, PROJECTIONS } from './schema';

/**
 * The order domain that keeps the demo store alive: orders created, paid, shipped, cancelled, and
 * an OrderSaga (reserve_stock -> charge_payment -> ship; on a failed payment it compensates by
 * releasing the stock and cancelling the order).
 *
 * Written the way a real service writes an event store:
 * - optimistic concurrency on (stream_id, version): read the stream's version, insert version + 1,
 *   and retry when another writer got there first (unique violation 23505). Two workers share the
 *   inventory streams, so conflicts (and the sequence gaps their rollbacks leave) really happen;
 * - every append transaction sends `pg_notify('events_appended', <stream_type>)` (no trigger): a
 *   wake-up signal for listeners, never the data;
 * - snapshots every 100 events of a stream; projection checkpoints (one of the three lags on
 *   purpose); saga_state rows whose correlation_id matches the events' metadata; idempotency keys,
 *   a few of them left in PROCESSING, a few sagas left stuck.
 */
export interface DomainWriterOptions {
  /** Events per second, roughly (0 = paused). */
  ratePerSec: number;
  workers?: number;
  /** Fraction of new sagas that get stuck (never advance). */
  stuckRate?: number;
  onError?: (err: unknown) => void;
}

export interface DomainWriter {
  setRate(perSec: number): void;
  /** Run `n` domain operations now, ignoring the rate (seeding a fresh store). */
  burst(n: number): Promise<void>;
  stats(): { appended: number; conflicts: number; operations: number };
  stop(): Promise<void>;
}

interface NewEvent {
  type: string;
  payload: Record<string, unknown>;
  causationId?: string | null;
}

const SKUS = Array.from({ length: 6 }, (_, i) => `sku-${String(i + 1).padStart(3, '0')}`);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

class ConcurrencyError extends Error {}

export function startDomainWriter(pool: pg.Pool, opts: DomainWriterOptions): DomainWriter {
  let rate = opts.ratePerSec;
  let stopped = false;
  const counters = { appended: 0, conflicts: 0, operations: 0 };
  const stuckRate = opts.stuckRate ?? 0.04;

  /** Append to one stream with an expected version; throws ConcurrencyError on a lost race. */
  async function append(
    c: pg.PoolClient,
    streamId: string,
    streamType: string,
    expected: number,
    events: NewEvent[],
    correlationId: string,
  ): Promise<{ version: number; eventIds: string[] }> {
    const ids = events.map(() => randomUUID());
    const rows = events.map((e, i) => ({
      v: expected + i + 1,
      t: e.type,
      p: e.payload,
      m: { event_id: ids[i], correlation_id: correlationId, causation_id: i === 0 ? (e.causationId ?? null) : ids[i - 1], source: 'order-service', user: 'demo' },
    }));
    try {
      await c.query('SAVEPOINT append');
      await c.query(
        `INSERT INTO events (stream_id, stream_type, version, event_type, payload, metadata)
         SELECT $1, $2, r.v, r.t, r.p, r.m FROM jsonb_to_recordset($3::jsonb) AS r(v bigint, t text, p jsonb, m jsonb)`,
        [streamId, streamType, JSON.stringify(rows)],
      );
      await c.query('RELEASE SAVEPOINT append');
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        await c.query('ROLLBACK TO SAVEPOINT append');
        throw new ConcurrencyError(`${streamId} moved past version ${expected}`);
      }
      throw err;
    }
    const version = expected + events.length;
    if (Math.floor(version / 100) > Math.floor(expected / 100)) {
      const snapV = Math.floor(version / 100) * 100;
      await c.query(
        `INSERT INTO snapshots (stream_id, version, state)
         SELECT $1, $2, jsonb_build_object('version', $2::bigint, 'reserved', count(*) FILTER (WHERE event_type = 'StockReserved'),
                                           'released', count(*) FILTER (WHERE event_type = 'StockReleased'))
         FROM events WHERE stream_id = $1 AND version <= $2 ON CONFLICT DO NOTHING`,
        [streamId, snapV],
      );
    }
    counters.appended += events.length;
    await c.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, streamType]);
    return { version, eventIds: ids };
  }

  async function streamVersion(c: pg.PoolClient, streamId: string): Promise<number> {
    const r = await c.query<{ v: string | null }>('SELECT max(version)::text AS v FROM events WHERE stream_id = $1', [streamId]);
    return Number(r.rows[0]?.v ?? 0);
  }

  /** Append with optimistic concurrency, re-reading the version after a lost race. */
  async function appendRetrying(c: pg.PoolClient, streamId: string, streamType: string, events: NewEvent[], correlationId: string) {
    for (let attempt = 0; ; attempt++) {
      const expected = await streamVersion(c, streamId);
      try {
        return await append(c, streamId, streamType, expected, events, correlationId);
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || attempt >= 5) throw err;
        counters.conflicts++;
      }
    }
  }

  async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await pool.connect();
    // A checked-out client whose server goes away emits 'error' with nobody listening (the pool
    // only listens to idle ones); the failing query reports it to us anyway.
    const ignore = () => undefined;
    c.on('error', ignore);
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.removeListener('error', ignore);
      c.release();
    }
  }

  async function newOrder(): Promise<void> {
    const orderId = randomUUID();
    const correlationId = `corr-${orderId}`;
    const key = `order-create-${orderId}`;
    const amount = Math.round((10 + Math.random() * 490) * 100) / 100;
    const sku = pick(SKUS);
    const roll = Math.random();
    await tx(async (c) => {
      await c.query(`INSERT INTO idempotency_keys (key, status) VALUES ($1, 'PROCESSING')`, [key]);
      const created = await append(c, `order-${orderId}`, 'Order', 0, [{
        type: 'OrderCreated',
        payload: { orderId, customerId: `cust-${Math.floor(Math.random() * 500)}`, sku, quantity: 1 + Math.floor(Math.random() * 3), amount, currency: 'EUR' },
      }], correlationId);
      const stuck = Math.random() < stuckRate;
      await c.query(
        `INSERT INTO saga_state (saga_id, saga_type, status, current_step, state, correlation_id)
         VALUES ($1, 'OrderSaga', 'RUNNING', 'reserve_stock', $2, $3)`,
        [`saga-${orderId}`, JSON.stringify({ orderId, sku, amount, lastEventId: created.eventIds[0], stuck, attempts: 0 }), correlationId],
      );
      // A few keys stay PROCESSING (the service "crashed" mid-request) and a few FAILED.
      if (roll < 0.03) return;
      if (roll < 0.06) {
        await c.query(`UPDATE idempotency_keys SET status = 'FAILED', result = $2, updated_at = now() WHERE key = $1`, [key, JSON.stringify({ error: 'customer credit check timed out' })]);
        return;
      }
      await c.query(`UPDATE idempotency_keys SET status = 'COMPLETED', result = $2, updated_at = now() WHERE key = $1`, [key, JSON.stringify({ orderId, version: created.version })]);
    });
  }

  interface SagaRow { saga_id: string; status: string; current_step: string; state: { orderId: string; sku: string; amount: number; lastEventId: string | null; stuck?: boolean; attempts?: number }; correlation_id: string }

  async function advanceSaga(): Promise<boolean> {
    return tx(async (c) => {
      const r = await c.query<SagaRow>(
        `SELECT saga_id, status, current_step, state, correlation_id FROM saga_state
         WHERE status IN ('RUNNING', 'COMPENSATING') AND NOT coalesce((state->>'stuck')::boolean, false)
         ORDER BY updated_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      );
      const saga = r.rows[0];
      if (!saga) return false;
      const s = saga.state;
      const corr = saga.correlation_id;
      const save = async (status: string, step: string, lastEventId: string | undefined, extra: Record<string, unknown> = {}) => {
        await c.query(
          `UPDATE saga_state SET status = $2, current_step = $3, state = state || $4::jsonb, updated_at = now() WHERE saga_id = $1`,
          [saga.saga_id, status, step, JSON.stringify({ lastEventId: lastEventId ?? s.lastEventId, ...extra })],
        );
      };
      if (saga.status === 'COMPENSATING') {
        const rel = await appendRetrying(c, `inventory-${s.sku}`, 'Inventory', [{ type: 'StockReleased', payload: { sku: s.sku, orderId: s.orderId, reason: 'payment failed' }, causationId: s.lastEventId }], corr);
        const orderV = await streamVersion(c, `order-${s.orderId}`);
        const can = await append(c, `order-${s.orderId}`, 'Order', orderV, [{ type: 'OrderCancelled', payload: { orderId: s.orderId, reason: 'payment failed' }, causationId: rel.eventIds[0] }], corr);
        await save('FAILED', 'reserve_stock', can.eventIds[0], { compensated: ['reserve_stock'] });
        return true;
      }
      if (saga.current_step === 'reserve_stock') {
        const res = await appendRetrying(c, `inventory-${s.sku}`, 'Inventory', [{ type: 'StockReserved', payload: { sku: s.sku, orderId: s.orderId, quantity: 1 }, causationId: s.lastEventId }], corr);
        await save('RUNNING', 'charge_payment', res.eventIds[0]);
        return true;
      }
      if (saga.current_step === 'charge_payment') {
        if (Math.random() < 0.12) {
          const failed = await append(c, `payment-${s.orderId}`, 'Payment', 0, [{ type: 'PaymentFailed', payload: { orderId: s.orderId, amount: s.amount, reason: pick(['card declined', 'insufficient funds', 'fraud check']) }, causationId: s.lastEventId }], corr);
          // A few compensations get stuck too (the inventory service never answers).
          await save('COMPENSATING', 'charge_payment', failed.eventIds[0], Math.random() < 0.1 ? { stuck: true } : {});
          return true;
        }
        const charged = await append(c, `payment-${s.orderId}`, 'Payment', 0, [{ type: 'PaymentCharged', payload: { orderId: s.orderId, amount: s.amount, currency: 'EUR', provider: 'demo-pay' }, causationId: s.lastEventId }], corr);
        const orderV = await streamVersion(c, `order-${s.orderId}`);
        const paid = await append(c, `order-${s.orderId}`, 'Order', orderV, [{ type: 'OrderPaid', payload: { orderId: s.orderId, amount: s.amount }, causationId: charged.eventIds[0] }], corr);
        await save('RUNNING', 'ship', paid.eventIds[0]);
        return true;
      }
      const shipped = await append(c, `shipment-${s.orderId}`, 'Shipment', 0, [{ type: 'ShipmentDispatched', payload: { orderId: s.orderId, carrier: pick(['DHL', 'UPS', 'PostNL']), trackingNo: randomUUID().slice(0, 8) }, causationId: s.lastEventId }], corr);
      const orderV = await streamVersion(c, `order-${s.orderId}`);
      const os = await append(c, `order-${s.orderId}`, 'Order', orderV, [{ type: 'OrderShipped', payload: { orderId: s.orderId }, causationId: shipped.eventIds[0] }], corr);
      await save('COMPLETED', 'ship', os.eventIds[0]);
      return true;
    });
  }

  async function operation(): Promise<void> {
    counters.operations++;
    if (Math.random() < 0.35 || !(await advanceSaga())) await newOrder();
  }

  async function moveCheckpoints(): Promise<void> {
    const c = await pool.connect();
    const ignore = () => undefined;
    c.on('error', ignore);
    try {
      // Two projections keep up; the analytics one advances only a third of the way each tick.
      await c.query(
        `INSERT INTO projection_checkpoints (name, position)
         SELECT unnest($1::text[]), 0 ON CONFLICT (name) DO NOTHING`,
        [PROJECTIONS as unknown as string[]],
      );
      await c.query(
        `WITH head AS (SELECT coalesce(max(global_position), 0) AS h FROM events)
         UPDATE projection_checkpoints p SET
           position = CASE WHEN p.name = $1 THEN greatest(p.position, p.position + (head.h - p.position) / 3) ELSE head.h END,
           updated_at = now()
         FROM head WHERE p.position < head.h AND p.name = ANY($2::text[])`,
        [LAGGING_PROJECTION, PROJECTIONS as unknown as string[]],
      );
    } finally {
      c.removeListener('error', ignore);
      c.release();
    }
  }

  const report = (err: unknown) => {
    if (!stopped) opts.onError?.(err);
  };
  const workers = Math.max(1, opts.workers ?? 2);
  const loops: Promise<void>[] = [];
  // Each operation appends ~1.6 events on average.
  const EVENTS_PER_OP = 1.6;
  for (let w = 0; w < workers; w++) {
    loops.push((async () => {
      while (!stopped) {
        if (rate <= 0) { await delay(200); continue; }
        const started = Date.now();
        await operation().catch(report);
        const interval = (1000 * workers * EVENTS_PER_OP) / rate;
        await delay(Math.max(0, interval - (Date.now() - started)));
      }
    })());
  }
  loops.push((async () => {
    while (!stopped) {
      await moveCheckpoints().catch(report);
      await delay(1000);
    }
  })());

  return {
    setRate(perSec) { rate = perSec; },
    async burst(n) {
      for (let i = 0; i < n; i++) await operation();
      await moveCheckpoints();
    },
    stats: () => ({ ...counters }),
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
