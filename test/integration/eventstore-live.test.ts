import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../main/eventstore/connection';
import { createEventStoreService } from '../../main/eventstore/service';
import type { EventStoreService } from '../../main/eventstore/service';
import type { TailEvent } from '../../shared/contract/events';
import { startSandboxEventStore } from '../../sandbox/eventstore';
import type { SandboxEventStore } from '../../sandbox/eventstore';
import { databaseFromFixture, runSql } from '../helpers/postgres';

/**
 * The living demo store under load: read-only sessions, timeouts and cancel, paging while writers
 * append, the live tail across a Postgres restart (no loss, no duplicates), huge payloads and the
 * faults a user meets first (wrong password, no database, no tables).
 */
let sandbox: SandboxEventStore;
let svc: EventStoreService;
const never = new AbortController().signal;
const ID = 'sandbox';

beforeAll(async () => {
  sandbox = await startSandboxEventStore({ ratePerSec: 0, seedEvents: 5000, seedOperations: 100 });
  svc = createEventStoreService({ sandboxUrl: sandbox.url, env: {} });
});

afterAll(async () => {
  await svc?.close();
  await sandbox?.stop();
});

const positionsUpTo = async (max: string, min = '0') =>
  (await runSql(sandbox.url, 'SELECT global_position::text AS p FROM events WHERE global_position > $1 AND global_position <= $2 ORDER BY global_position', [min, max])).rows.map((r: { p: string }) => r.p);

describe('sessions', () => {
  it('never shows the password and detects the demo store with its NOTIFY channel', async () => {
    const list = await svc.connections();
    expect(list).toHaveLength(1);
    expect(list[0]!.url).toContain(':****@');
    expect(JSON.stringify(list)).not.toContain(sandbox.server!.password);
    const d = await svc.detect(ID, false, never);
    expect(d.kind).toBe('classic');
    expect(d.notifyChannels).toContain('events_appended');
    const t = await svc.test({ id: ID }, never);
    expect(t).toMatchObject({ ok: true, readOnly: true, database: 'eventstore' });
  });

  it('is read only, bounded by the statement timeout and cancellable', async () => {
    const db = createDb({ url: sandbox.url, password: null, tls: { mode: 'disable' }, statementTimeoutMs: 400 });
    try {
      await expect(db.query('INSERT INTO projection_checkpoints (name) VALUES ($1)', ['x'], never, 'write')).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/read only/) });
      const t0 = Date.now();
      await expect(db.query('SELECT pg_sleep(5)', [], never, 'sleep')).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(Date.now() - t0).toBeLessThan(2000);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const db2 = createDb({ url: sandbox.url, password: null, tls: { mode: 'disable' }, statementTimeoutMs: 20_000, applicationName: 'cancel-me' });
      const t1 = Date.now();
      await expect(db2.query('SELECT pg_sleep(10)', [], ac.signal, 'sleep')).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(Date.now() - t1).toBeLessThan(2000);
      // The server really stopped the statement (a cancel request, not just a client-side give-up).
      await new Promise((r) => setTimeout(r, 200));
      const running = await runSql(sandbox.url, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'cancel-me' AND state = 'active'`);
      expect(running.rows[0].n).toBe(0);
      await db2.close();
    } finally {
      await db.close();
    }
  });

  it('prepares hot reads once per connection and falls back to plain statements when the server forgets them', async () => {
    const db = createDb({ url: sandbox.url, password: null, tls: { mode: 'disable' }, statementTimeoutMs: 5000 });
    // Sequential calls: the pool has one connection, so these all run in the same session.
    const prepared = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'meshdeck%'`, [], never, 'count'))[0]!.n;
    const read = async (after: string) => (await db.query<{ p: string }>(
      'SELECT global_position::text AS p FROM events WHERE global_position > $1 ORDER BY global_position LIMIT 1', [after], never, 'read', { prepare: true }))[0]?.p;
    try {
      const first = (await runSql(sandbox.url, 'SELECT min(global_position)::text AS p FROM events')).rows[0].p as string;
      expect(await read('0')).toBe(first);
      expect(await read('0')).toBe(first);
      expect(await prepared()).toBe(1);
      // What a transaction-mode pooler does to a client's prepared statements: they are gone.
      await db.query('DEALLOCATE ALL', [], never, 'deallocate');
      expect(await read('0')).toBe(first);
      expect(await read('0')).toBe(first);
      expect(await prepared()).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe('under concurrent writers', () => {
  it('pages the whole log with no duplicate and no hole below the safe position', async () => {
    sandbox.writer.setRate(300);
    await new Promise((r) => setTimeout(r, 300));
    const start = await svc.positions(ID, never);
    const seen: string[] = [];
    let page = await svc.page(ID, { kind: 'all' }, { kind: 'start' }, 250, {}, never);
    seen.push(...page.events.map((e) => e.position));
    while (page.hasAfter && BigInt(page.after!) < BigInt(start.safe!)) {
      page = await svc.page(ID, { kind: 'all' }, { kind: 'after', value: page.after! }, 250, {}, never);
      seen.push(...page.events.map((e) => e.position));
    }
    sandbox.writer.setRate(0);
    const asBig = seen.map(BigInt);
    for (let i = 1; i < asBig.length; i++) expect(asBig[i]! > asBig[i - 1]!).toBe(true);
    const below = seen.filter((p) => BigInt(p) <= BigInt(start.safe!));
    expect(below).toEqual(await positionsUpTo(start.safe!));
  });

  it('tails across a Postgres restart without losing or repeating an event', async () => {
    const start = await svc.positions(ID, never);
    const got: string[] = [];
    const states: TailEvent[] = [];
    let lastAfter = start.safe!;
    const ac = new AbortController();
    const done = svc.tail(ID, { after: start.safe!, scope: { kind: 'all' } }, (e) => {
      if (e.kind === 'events') got.push(...e.events.map((x) => x.position));
      else states.push(e);
      if (e.after) lastAfter = e.after;
    }, ac.signal);
    sandbox.writer.setRate(150);
    await new Promise((r) => setTimeout(r, 1500));
    await sandbox.server!.pause();
    await new Promise((r) => setTimeout(r, 800));
    await sandbox.server!.resume();
    await new Promise((r) => setTimeout(r, 2500));
    sandbox.writer.setRate(0);
    await new Promise((r) => setTimeout(r, 600));
    const head = (await runSql(sandbox.url, 'SELECT max(global_position)::text AS m FROM events')).rows[0].m as string;
    const t0 = Date.now();
    while (BigInt(lastAfter) < BigInt(head) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await done;
    expect(states.some((s) => s.kind === 'status' && s.state === 'reconnecting')).toBe(true);
    expect(states.at(0)).toMatchObject({ state: 'listening' });
    expect(new Set(got).size).toBe(got.length);
    const expected = await positionsUpTo(head, start.safe!);
    expect(expected.length).toBeGreaterThan(200);
    expect(got).toEqual(expected);
  });
});

describe('payloads and faults', () => {
  it('cuts a huge payload at 64 KiB and sends it whole on request', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    const r = await runSql(sandbox.url, `INSERT INTO events (stream_id, stream_type, version, event_type, payload) VALUES ('huge-1', 'Huge', 1, 'HugeHappened', jsonb_build_object('blob', $1::text)) RETURNING global_position::text AS p`, [big]);
    const p = r.rows[0].p as string;
    const list = await svc.page(ID, { kind: 'stream', streamId: 'huge-1' }, { kind: 'start' }, 10, {}, never);
    expect(list.events[0]!.preview.length).toBeLessThanOrEqual(240);
    expect(list.events[0]!.payloadBytes).toBeGreaterThan(0);
    const cut = await svc.event(ID, p, false, never);
    expect(cut.payload.truncated).toBe(true);
    expect(cut.payload.text.length).toBe(64 * 1024);
    expect(cut.payload.bytes).toBeGreaterThan(3 * 1024 * 1024);
    const whole = await svc.event(ID, p, true, never);
    expect(whole.payload.truncated).toBe(false);
    expect((JSON.parse(whole.payload.text) as { blob: string }).blob.length).toBe(big.length);
  });

  it('says clearly what is wrong: password, database, host, tables', async () => {
    const s = sandbox.server!;
    const base = { name: 'x', tls: { mode: 'disable' as const }, schema: 'auto' as const, statementTimeoutMs: 3000 };
    await expect(svc.test({ ...base, url: `postgres://${s.user}@127.0.0.1:${s.port}/eventstore`, password: 'wrong' }, never))
      .rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/password/) });
    await expect(svc.test({ ...base, url: `postgres://${s.user}:${s.password}@127.0.0.1:${s.port}/nosuchdb` }, never))
      .rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/nosuchdb.*database name/) });
    await expect(svc.test({ ...base, url: `postgres://${s.user}:${s.password}@127.0.0.1:1/eventstore` }, never))
      .rejects.toMatchObject({ code: 'UNREACHABLE' });
    await expect(svc.test({ ...base, url: 'http://example.com/db' }, never)).rejects.toMatchObject({ code: 'BAD_INPUT', field: 'url' });
    const empty = await databaseFromFixture(s, 'empty', '');
    const t = await svc.test({ ...base, url: empty }, never);
    expect(t.detected.kind).toBeNull();
    expect(t.detected.message).toMatch(/no tables/);
    const info = await svc.add({ ...base, url: empty });
    expect(info.url).not.toContain(s.password);
    await expect(svc.categories(info.id, never)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(svc.page('nope', { kind: 'all' }, { kind: 'head' }, 10, {}, never)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

// Keep the import used when the file is type-checked alone.
void pg;
