import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStoreService } from '../../main/eventstore/service';
import type { EventStoreService } from '../../main/eventstore/service';
import { createProjectionsService, projectionGates } from '../../main/projections';
import type { ProjectionsService } from '../../main/projections';
import type { ProjectionRow, ProjectionsOverview } from '../../shared/contract/projections';
import { databaseFromFixture, runSql, startTestPostgres } from '../helpers/postgres';
import type { EmbeddedPg } from '../helpers/postgres';

/**
 * Every adapter's checkpoint layout against a real Postgres: the store's DDL and events
 * (test/fixtures/eventstore/<kind>.sql) plus checkpoints (test/fixtures/projections/<kind>.sql).
 * Lag in events and seconds, status from the store (failed / paused), stalls, rates from samples,
 * sagas (classic and Axon), idempotency keys and the consistency checker on the classic layout.
 */
let server: EmbeddedPg;
let events: EventStoreService;
let svc: ProjectionsService;
const ids = new Map<string, string>();
const urls = new Map<string, string>();
const never = new AbortController().signal;
const ARGS = { stallAfterSec: 60, rateWindowSec: 60 };
/** Fixture events are one a minute from 2024-01-01 00:00 UTC + i minutes. */
const minute = (i: number) => Date.parse('2024-01-01T00:00:00Z') + i * 60_000;

async function fixture(name: string): Promise<string> {
  return readFile(fileURLToPath(new URL(`../fixtures/projections/${name}.sql`, import.meta.url)), 'utf8');
}

beforeAll(async () => {
  server = await startTestPostgres();
  events = createEventStoreService({ sandboxUrl: null, env: {} });
  svc = createProjectionsService({ events });
  for (const [name, base] of [['classic', 'classic'], ['marten', 'marten'], ['emmett', 'emmett'], ['emmett-old', 'emmett-old'], ['eventuous', 'eventuous'], ['messagedb', 'messagedb'], ['custom', 'custom'], ['axon', '']] as const) {
    const url = await databaseFromFixture(server, `pj_${name.replace('-', '_')}`, base);
    await runSql(url, await fixture(name));
    await runSql(url, 'ANALYZE');
    urls.set(name, url);
    const info = await events.add({
      name, url, tls: { mode: 'disable' }, statementTimeoutMs: 5000,
      ...(name === 'custom'
        ? { schema: 'custom' as const, mapping: { table: 'audit_log', position: 'seq', streamId: 'entity', version: 'entity_version', type: 'kind', payload: 'body', metadata: 'headers', time: 'logged_at' } }
        : { schema: 'auto' as const }),
    });
    ids.set(name, info.id);
  }
});

afterAll(async () => {
  await events?.close();
  await server?.stop();
});

const row = (o: ProjectionsOverview, name: string): ProjectionRow => {
  const r = o.projections.find((p) => p.name === name);
  if (!r) throw new Error(`no projection ${name} in ${o.projections.map((p) => p.name).join(', ')}`);
  return r;
};
const secondsSince = (ms: number) => (Date.now() - ms) / 1000;

describe('checkpoint layouts', () => {
  it('classic: projection_checkpoints, lag in events and seconds, stalled by the row time, laggard', async () => {
    const o = await svc.overview(ids.get('classic')!, ARGS, never);
    expect(o.kind).toBe('classic');
    expect(o.sources[0]?.table).toBe('public.projection_checkpoints');
    expect(o.head).toBe('252');
    const ca = row(o, 'customer-analytics');
    expect(ca.checkpoint).toBe('120');
    expect(ca.lagEvents).toBe(132);
    expect(ca.lagSeconds!).toBeGreaterThan(secondsSince(minute(121)) - 5);
    expect(ca.lagSeconds!).toBeLessThan(secondsSince(minute(121)) + 5);
    expect(ca.status).toBe('lagging');
    expect(ca.etaNote).toBe('no-history');
    const st = row(o, 'stalled-report');
    expect(st.status).toBe('stalled');
    expect(st.unchangedSince).not.toBeNull();
    expect(row(o, 'order-summary').status).toBe('lagging'); // 250 of 252: the two corr-3 events came later
    expect(row(o, 'orders-read-model')).toMatchObject({ status: 'caught-up', lagEvents: 0, lagSeconds: 0, etaSeconds: 0 });
    expect(row(o, 'never-ran')).toMatchObject({ lagEvents: 252, checkpoint: '0' });
    expect(o.laggard).toBe('never-ran');
    expect(o.tookMs).toBeLessThan(1000);
  });

  it('rate and ETA come from samples taken on each refresh', async () => {
    const id = ids.get('classic')!;
    const url = urls.get('classic')!;
    await svc.overview(id, ARGS, never);
    await new Promise((r) => setTimeout(r, 1100));
    await runSql(url, `UPDATE projection_checkpoints SET position = position + 60, updated_at = now() WHERE name = 'customer-analytics'`);
    const o = await svc.overview(id, ARGS, never);
    const ca = row(o, 'customer-analytics');
    expect(ca.checkpoint).toBe('180');
    expect(ca.rate!).toBeGreaterThan(10);
    expect(ca.headRate).toBe(0);
    expect(ca.etaSeconds!).toBeGreaterThan(0);
    expect(ca.etaSeconds!).toBeLessThan(ca.lagEvents! / 10 + 1);
    expect(ca.trend.length).toBeGreaterThanOrEqual(2);
    expect(svc.history(id, 'customer-analytics').at(-1)?.checkpoint).toBe('180');
    // The canary gate reads the same lag.
    expect(await projectionGates(svc).projectionLag(id, 'customer-analytics', never)).toBe(ca.lagEvents);
    await expect(projectionGates(svc).projectionLag(id, 'nope', never)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('marten: mt_event_progression shards, HighWaterMark as safe, failed and paused from extended tracking', async () => {
    const o = await svc.overview(ids.get('marten')!, ARGS, never);
    expect(o.kind).toBe('marten');
    expect(o.safe).toBe('240');
    expect(o.projections.map((p) => p.name).sort()).toEqual(['Audit:All', 'Invoice:All', 'Summary:All', 'Trip:All']);
    expect(row(o, 'Trip:All')).toMatchObject({ checkpoint: '200', lagEvents: 40 });
    expect(row(o, 'Trip:All').lagSeconds!).toBeGreaterThan(secondsSince(minute(201)) - 5);
    expect(row(o, 'Invoice:All')).toMatchObject({ status: 'failed', storeStatus: 'Stopped' });
    expect(row(o, 'Invoice:All').error).toMatch(/ApplyEvent at 151 \(invoice_issued\)/);
    expect(row(o, 'Audit:All')).toMatchObject({ status: 'stopped', error: 'paused: paused by operator' });
    expect(row(o, 'Summary:All').status).toBe('caught-up');
  });

  it('emmett: compound checkpoints, legacy positions and the processor status', async () => {
    const o = await svc.overview(ids.get('emmett')!, ARGS, never);
    expect(o.kind).toBe('emmett');
    expect(o.sources[0]?.table).toBe('public.emt_processors');
    expect(row(o, 'carts-summary')).toMatchObject({ checkpoint: '200', head: '240', lagEvents: 40, storeStatus: 'running' });
    expect(row(o, 'carts-summary').lagSeconds!).toBeGreaterThan(secondsSince(minute(201)) - 5);
    expect(row(o, 'legacy-reader')).toMatchObject({ checkpoint: '240', status: 'caught-up' });
    expect(row(o, 'broken-reactor')).toMatchObject({ status: 'failed', lagEvents: 230 });
  });

  it('emmett before 0.42: emt_subscriptions', async () => {
    const o = await svc.overview(ids.get('emmett-old')!, ARGS, never);
    expect(o.sources[0]?.table).toBe('public.emt_subscriptions');
    expect(row(o, 'guests')).toMatchObject({ checkpoint: '100', head: '120', lagEvents: 20 });
    expect(row(o, 'guests').lagSeconds!).toBeGreaterThan(secondsSince(minute(101)) - 5);
  });

  it('eventuous: checkpoints with a NULL position (never ran) and a timestamp without time zone', async () => {
    const o = await svc.overview(ids.get('eventuous')!, ARGS, never);
    expect(o.sources[0]?.table).toBe('eventuous.checkpoints');
    expect(row(o, 'BookingsProjection')).toMatchObject({ checkpoint: '200', lagEvents: 40 });
    // created is UTC without zone: the lag must not be off by the server's zone.
    expect(Math.abs(row(o, 'BookingsProjection').lagSeconds! - secondsSince(minute(201)))).toBeLessThan(5);
    expect(row(o, 'PaymentsProjection')).toMatchObject({ checkpoint: null, lagEvents: 240 });
    expect(row(o, 'AllDone').status).toBe('caught-up');
  });

  it('message db: position streams, head of the consumer\'s category', async () => {
    const o = await svc.overview(ids.get('messagedb')!, ARGS, never);
    expect(o.kind).toBe('messagedb');
    const r = row(o, 'transfer:position-reporter');
    // transfer-* messages are i % 3 = 1, i = 1..240: the last is 238.
    expect(r).toMatchObject({ checkpoint: '151', head: '238', lagEvents: 87, status: 'caught-up' });
    expect(r.lastUpdated).toBe('2024-01-01T05:01:00.000Z');
    expect(o.notes.join(' ')).toMatch(/every 100 messages/);
    expect(o.projections.some((p) => p.name === 'account:position-worker1')).toBe(true);
  });

  it('custom mapping: a checkpoint table next to the mapped event table', async () => {
    const o = await svc.overview(ids.get('custom')!, ARGS, never);
    expect(o.kind).toBe('custom');
    expect(row(o, 'audit-export')).toMatchObject({ checkpoint: '45', head: '60', lagEvents: 15 });
    expect(row(o, 'audit-export').lagSeconds!).toBeGreaterThan(secondsSince(minute(46)) - 5);
  });

  it('a store without known checkpoints says so', async () => {
    const o = await svc.overview(ids.get('axon')!, ARGS, never);
    expect(o.kind).toBeNull();
    expect(o.notes[0]).toMatch(/No known event store schema/);
  });
});

describe('sagas, idempotency, consistency (classic layout)', () => {
  it('lists sagas with counts and filters; stuck = active without progress for N', async () => {
    const id = ids.get('classic')!;
    const all = await svc.sagas(id, { filter: 'all', stuckAfterSec: 600, search: '', limit: 200 }, never);
    expect(all.counts).toMatchObject({ RUNNING: 2, COMPENSATING: 1, COMPLETED: 1, FAILED: 1, stuck: 2 });
    expect(all.sagas.map((s) => s.sagaId)[0]).toBe('saga-run');
    const stuck = await svc.sagas(id, { filter: 'stuck', stuckAfterSec: 600, search: '', limit: 200 }, never);
    expect(stuck.sagas.map((s) => s.sagaId).sort()).toEqual(['saga-comp', 'saga-stuck']);
    expect(stuck.sagas.every((s) => s.stuck)).toBe(true);
    const failed = await svc.sagas(id, { filter: 'failed', stuckAfterSec: 600, search: '', limit: 200 }, never);
    expect(failed.sagas.map((s) => s.sagaId)).toEqual(['saga-fail']);
    // Keyset paging: two pages of 3 and 2, no overlap.
    const p1 = await svc.sagas(id, { filter: 'all', stuckAfterSec: 600, search: '', limit: 3 }, never);
    const p2 = await svc.sagas(id, { filter: 'all', stuckAfterSec: 600, search: '', limit: 3, cursor: p1.nextCursor! }, never);
    expect(p2.nextCursor).toBeNull();
    expect(new Set([...p1.sagas, ...p2.sagas].map((s) => s.sagaId)).size).toBe(5);
    const search = await svc.sagas(id, { filter: 'all', stuckAfterSec: 600, search: 'corr-3', limit: 10 }, never);
    expect(search.sagas.map((s) => s.sagaId)).toEqual(['saga-comp']);
  });

  it('a saga timeline joins its correlated events and marks failure, compensation and the pending step', async () => {
    const d = await svc.saga(ids.get('classic')!, { source: 'classic', sagaId: 'saga-comp', stuckAfterSec: 600 }, never);
    const kinds = d.timeline.map((e) => `${e.kind}:${e.title}`);
    expect(kinds).toContain('failure:PaymentFailed');
    expect(kinds).toContain('compensation:StockReleased');
    expect(d.timeline.at(-1)).toMatchObject({ kind: 'pending' });
    expect(d.timeline.at(-1)!.title).toMatch(/compensating charge_payment — stuck/);
    expect(d.joinedOn).toMatch(/correlation_id/);
    const ok = await svc.saga(ids.get('classic')!, { source: 'classic', sagaId: 'saga-ok', stuckAfterSec: 600 }, never);
    expect(ok.timeline.at(-1)?.kind).toBe('completion');
    expect(ok.timeline[0]?.kind).toBe('start');
    await expect(svc.saga(ids.get('classic')!, { source: 'classic', sagaId: 'nope', stuckAfterSec: 600 }, never)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('saga failure rate over a window', async () => {
    const r = await svc.sagaFailureRate(ids.get('classic')!, 3 * 3600, never);
    expect(r).toMatchObject({ finished: 2, failed: 1, rate: 0.5, compensating: 1 });
  });

  it('idempotency keys: counts, PROCESSING older than N, FAILED with results', async () => {
    const r = await svc.idempotency(ids.get('classic')!, { processingOlderThanSec: 60, limit: 100 }, never);
    expect(r.counts).toEqual({ COMPLETED: 2, FAILED: 1, PROCESSING: 2 });
    expect(r.stuckProcessing.map((k) => k.key)).toEqual(['k-proc-old']);
    expect(r.stuckProcessingTotal).toBe(1);
    expect(r.failed[0]).toMatchObject({ key: 'k-failed', result: '{"error": "card declined"}' });
  });

  it('consistency: the read model against its streams finds every kind of mismatch', async () => {
    const id = ids.get('classic')!;
    const checks = await svc.consistencyChecks(id, never);
    expect(checks.map((c) => c.id)).toEqual(['read-model:public.orders_read_model', 'saga-last-event']);
    expect(checks[0]!.check?.projection).toBe('orders-read-model');
    const r = await svc.consistency(id, { checkId: 'read-model:public.orders_read_model', sampleSize: 2000 }, never);
    expect(r.method).toBe('full');
    expect(r.population).toBe(10);
    expect(r.sampled).toBe(10);
    const got = r.mismatches.map((m) => `${m.kind}:${m.key}`).sort();
    expect(got).toEqual(['missing-row:order-7', 'missing-stream:order-ghost', 'status:order-3', 'version:order-5']);
    expect(r.mismatches.find((m) => m.kind === 'status')).toMatchObject({ expected: 'CREATED', actual: 'SHIPPED', eventType: 'OrderCreated' });
  });

  it('consistency: saga state against the last correlated event', async () => {
    const r = await svc.consistency(ids.get('classic')!, { checkId: 'saga-last-event', sampleSize: 2000 }, never);
    // saga-ok names evt-240 but the last corr-0 event is evt-250; saga-run names evt-241 = last of corr-1; saga-stuck names evt-1 (corr-2's last is evt-242).
    expect(r.mismatches.map((m) => m.key).sort()).toEqual(['saga-ok', 'saga-stuck']);
    expect(r.sampled).toBe(3);
  });

  it('axon: saga_entry + associations, timeline from the associated aggregate', async () => {
    const id = ids.get('axon')!;
    const l = await svc.sagas(id, { filter: 'all', stuckAfterSec: 600, search: '', limit: 50 }, never);
    expect(l.sources.map((s) => s.kind)).toEqual(['axon']);
    expect(l.sagas.map((s) => s.sagaId)).toEqual(['s-1', 's-2']);
    expect(l.sagas[0]!.associations).toEqual([{ key: 'orderId', value: 'o-1' }]);
    const d = await svc.saga(id, { source: 'axon', sagaId: 's-1', stuckAfterSec: 600 }, never);
    expect(d.state).toMatch(/<orderId>o-1<\/orderId>/);
    expect(d.timeline.map((e) => `${e.kind}:${e.title}`)).toEqual(['start:com.shop.OrderPlaced', 'failure:com.shop.PaymentRejected', 'compensation:com.shop.StockReleased', 'pending:waiting for the next step']);
  });
});
