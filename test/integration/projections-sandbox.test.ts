import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStoreService } from '../../main/eventstore/service';
import type { EventStoreService } from '../../main/eventstore/service';
import { createProjectionsService } from '../../main/projections';
import type { ProjectionsService } from '../../main/projections';
import { startSandboxEventStore } from '../../sandbox/eventstore';
import type { SandboxEventStore } from '../../sandbox/eventstore';
import { LAGGING_PROJECTION } from '../../sandbox/eventstore/schema';
import { READ_MODEL_PROJECTION, startOrdersReadModel } from '../../sandbox/eventstore/read-model';
import type { OrdersReadModel } from '../../sandbox/eventstore/read-model';
import { runSql } from '../helpers/postgres';

/**
 * The living demo store: the laggards (the domain's customer-analytics and the rate-limited
 * orders-read-model projection), the stuck sagas and PROCESSING keys the domain leaves behind, the
 * consistency checker against the read model's deliberate bug, and the mesh link (owners, badges).
 */
let store: SandboxEventStore;
let readModel: OrdersReadModel;
let events: EventStoreService;
let svc: ProjectionsService;
let dataDir: string;
const never = new AbortController().signal;
const ARGS = { stallAfterSec: 60, rateWindowSec: 30 };
const ID = 'sandbox';

beforeAll(async () => {
  store = await startSandboxEventStore({ ratePerSec: 0, seedEvents: 20_000, seedOperations: 800 });
  readModel = await startOrdersReadModel(store.url, { eventsPerSec: 2000, batch: 200, bugEvery: 3 });
  dataDir = await mkdtemp(join(tmpdir(), 'meshdeck-pj-'));
  events = createEventStoreService({ sandboxUrl: store.url, env: {} });
  svc = createProjectionsService({ events, dataDir });
});

afterAll(async () => {
  await readModel?.stop();
  await events?.close();
  await store?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the demo store', () => {
  it('finds the lagging projections, with a rate and an ETA for the one catching up', async () => {
    const first = await svc.overview(ID, ARGS, never);
    expect(first.kind).toBe('classic');
    expect(first.projections.map((p) => p.name).sort()).toEqual(['customer-analytics', 'inventory-levels', 'order-summary', READ_MODEL_PROJECTION].sort());
    await new Promise((r) => setTimeout(r, 1500));
    const o = await svc.overview(ID, ARGS, never);
    const rm = o.projections.find((p) => p.name === READ_MODEL_PROJECTION)!;
    expect(o.laggard).toBe(READ_MODEL_PROJECTION);
    expect(rm.lagEvents!).toBeGreaterThan(1000);
    expect(rm.lagSeconds!).toBeGreaterThan(3600); // the bulk history spans a week
    expect(rm.status).toBe('lagging');
    expect(rm.rate!).toBeGreaterThan(500);
    expect(rm.etaSeconds!).toBeGreaterThan(0);
    expect(rm.etaSeconds!).toBeLessThan(120);
    expect(rm.trend.length).toBe(2);
    expect(o.projections.find((p) => p.name === 'order-summary')!.status).toBe('caught-up');
    expect(o.projections.find((p) => p.name === LAGGING_PROJECTION)!.lagEvents!).toBeLessThan(rm.lagEvents!);
    expect(o.safe).not.toBeNull();
  });

  it('finds the stuck sagas the domain left behind and opens a timeline', async () => {
    const marked = await runSql(store.url, `SELECT saga_id FROM saga_state WHERE status IN ('RUNNING', 'COMPENSATING') AND (state->>'stuck')::boolean`);
    expect(marked.rows.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1100));
    const l = await svc.sagas(ID, { filter: 'stuck', stuckAfterSec: 1, search: '', limit: 1000 }, never);
    const found = new Set(l.sagas.map((s) => s.sagaId));
    for (const r of marked.rows as { saga_id: string }[]) expect(found.has(r.saga_id)).toBe(true);
    expect(l.counts.stuck).toBeGreaterThanOrEqual(marked.rows.length);
    const id = (marked.rows[0] as { saga_id: string }).saga_id;
    const d = await svc.saga(ID, { source: 'classic', sagaId: id, stuckAfterSec: 1 }, never);
    expect(d.timeline[0]).toMatchObject({ kind: 'start' });
    expect(d.timeline.at(-1)).toMatchObject({ kind: 'pending' });
    expect(d.timeline.at(-1)!.title).toMatch(/stuck/);
    // Compensated sagas show their compensation.
    const failed = await svc.sagas(ID, { filter: 'failed', stuckAfterSec: 1, search: '', limit: 5 }, never);
    expect(failed.sagas.length).toBeGreaterThan(0);
    const f = await svc.saga(ID, { source: 'classic', sagaId: failed.sagas[0]!.sagaId, stuckAfterSec: 1 }, never);
    expect(f.timeline.map((e) => `${e.kind}:${e.title}`)).toEqual(expect.arrayContaining(['failure:PaymentFailed', 'compensation:StockReleased', 'compensation:OrderCancelled']));
  });

  it('counts idempotency keys and lists the PROCESSING ones left by "crashed" requests', async () => {
    const r = await svc.idempotency(ID, { processingOlderThanSec: 1, limit: 500 }, never);
    const db = await runSql(store.url, `SELECT status, count(*)::int AS n FROM idempotency_keys GROUP BY 1`);
    for (const x of db.rows as { status: string; n: number }[]) expect(r.counts[x.status]).toBe(x.n);
    expect(r.stuckProcessingTotal).toBe(r.counts.PROCESSING ?? 0);
    expect(r.failed.every((k) => k.status === 'FAILED' && /credit check/.test(k.result ?? ''))).toBe(true);
  });

  it('the consistency checker finds the read model\'s bug (and only that), then on a sample says how big it was', async () => {
    await readModel.catchUp();
    const checks = await svc.consistencyChecks(ID, never);
    const c = checks.find((x) => x.id === 'read-model:public.orders_read_model');
    expect(c?.check?.projection).toBe(READ_MODEL_PROJECTION);
    // Inject one more fault by hand (the test's own superuser session; meshdeck never writes).
    await runSql(store.url, `UPDATE orders_read_model SET status = 'PAID' WHERE stream_id = (SELECT stream_id FROM orders_read_model WHERE status = 'SHIPPED' ORDER BY stream_id LIMIT 1)`);
    const expected = await runSql(store.url, `
      SELECT r.stream_id FROM orders_read_model r
      CROSS JOIN (SELECT position FROM projection_checkpoints WHERE name = $1) cp
      JOIN LATERAL (SELECT event_type FROM events e WHERE e.stream_id = r.stream_id AND e.global_position <= cp.position ORDER BY version DESC LIMIT 1) le ON true
      WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = r.stream_id AND e.global_position > cp.position)
        AND r.status <> CASE le.event_type WHEN 'OrderCreated' THEN 'CREATED' WHEN 'OrderPaid' THEN 'PAID' WHEN 'OrderShipped' THEN 'SHIPPED'
                             WHEN 'OrderDelivered' THEN 'DELIVERED' WHEN 'OrderCancelled' THEN 'CANCELLED' WHEN 'OrderRefunded' THEN 'REFUNDED' END`,
      [READ_MODEL_PROJECTION]);
    expect(expected.rows.length).toBeGreaterThanOrEqual(2); // the injected one and at least one dropped OrderCancelled
    const full = await svc.consistency(ID, { checkId: c!.id, sampleSize: 100_000 }, never);
    expect(full.method).toBe('full');
    expect(full.sampled).toBe(full.population);
    const got = full.mismatches.filter((m) => m.kind === 'status').map((m) => m.key).sort();
    expect(got).toEqual((expected.rows as { stream_id: string }[]).map((r) => r.stream_id).sort());
    expect(full.mismatches.filter((m) => m.kind === 'status' && m.expected === 'CANCELLED').length).toBe(got.length - 1);
    expect(full.mismatches.filter((m) => m.kind !== 'status' && m.kind !== 'version')).toEqual([]);

    const sampled = await svc.consistency(ID, { checkId: c!.id, sampleSize: 200 }, never);
    expect(sampled.method).toBe('random-keys');
    expect(sampled.sampled).toBe(200);
    expect(sampled.population).toBe(full.population);
  });

  it('saga state agrees with its correlated events in the demo', async () => {
    const r = await svc.consistency(ID, { checkId: 'saga-last-event', sampleSize: 100_000 }, never);
    expect(r.sampled).toBeGreaterThan(100);
    expect(r.mismatchCount).toBe(0);
  });

  it('links a mesh service to the store: owners persisted, a lag badge, a saga failure rate for gates', async () => {
    await svc.setOwner({ namespace: 'shop', service: 'orders', connectionId: ID, projections: [] });
    await svc.setOwner({ namespace: 'shop', service: 'gone', connectionId: 'no-such-connection', projections: [] });
    const saved = JSON.parse(await readFile(join(dataDir, 'projections-owners.json'), 'utf8')) as { owners: unknown[] };
    expect(saved.owners).toHaveLength(2);
    readModel.setRate(0);
    await runSql(store.url, `UPDATE projection_checkpoints SET position = position - 5000 WHERE name = $1`, [READ_MODEL_PROJECTION]);
    const badges = await svc.badges(never);
    const b = badges.find((x) => x.service === 'orders')!;
    expect(b).toMatchObject({ namespace: 'shop', connectionId: ID, laggard: READ_MODEL_PROJECTION, level: 'bad' });
    expect(b.maxLagEvents!).toBeGreaterThanOrEqual(5000);
    expect(b.text).toMatch(/orders-read-model \d+ behind/);
    expect(badges.find((x) => x.service === 'gone')).toMatchObject({ level: 'unknown' });
    await svc.setOwner({ namespace: 'shop', service: 'gone', connectionId: null, projections: [] });
    expect((await svc.owners()).map((o) => o.service)).toEqual(['orders']);
    const rate = await svc.sagaFailureRate(ID, 3600, never);
    expect(rate.finished).toBeGreaterThan(0);
    expect(rate.rate).toBeCloseTo(rate.failed / rate.finished, 6);
  });
});
