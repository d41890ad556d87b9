import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStoreService } from '../../main/eventstore/service';
import type { EventStoreService } from '../../main/eventstore/service';
import type { EventSummary, SchemaKind, TailEvent } from '../../shared/contract/events';
import { databaseFromFixture, runSql, startTestPostgres } from '../helpers/postgres';
import type { EmbeddedPg } from '../helpers/postgres';

/**
 * Every schema adapter against a real Postgres holding that store's DDL and sample rows
 * (test/fixtures/eventstore/*.sql): detection, categories, keyset paging both ways at every page
 * edge, streams, time jump, detail with the causing event, positions and the live tail.
 */
interface Case {
  fixture: string;
  kind: SchemaKind;
  label: RegExp;
  positionsSql: string;
  stream: string;
  prefix: string;
  category: string;
  causation: boolean;
  mapping?: Parameters<EventStoreService['add']>[0]['mapping'];
}

const CASES: Case[] = [
  { fixture: 'classic', kind: 'classic', label: /Classic/, positionsSql: 'SELECT global_position::text AS p FROM events ORDER BY global_position', stream: 'order-3', prefix: 'payment-', category: 'Payment', causation: true },
  { fixture: 'messagedb', kind: 'messagedb', label: /Message DB/, positionsSql: 'SELECT global_position::text AS p FROM message_store.messages ORDER BY global_position', stream: 'account-3', prefix: 'transfer-', category: 'account', causation: false },
  { fixture: 'marten', kind: 'marten', label: /Marten/, positionsSql: 'SELECT seq_id::text AS p FROM mt_events ORDER BY seq_id', stream: "__marten__", prefix: '', category: 'Trip', causation: true },
  { fixture: 'emmett', kind: 'emmett', label: /^Emmett$/, positionsSql: 'SELECT global_position::text AS p FROM emt_messages ORDER BY global_position', stream: 'shopping_cart-4', prefix: 'shopping_cart-1', category: 'shopping_cart', causation: true },
  { fixture: 'emmett-old', kind: 'emmett', label: /emt_events/, positionsSql: 'SELECT global_position::text AS p FROM emt_events ORDER BY global_position', stream: 'guest_stay-2', prefix: 'guest_stay-', category: 'guest_stay', causation: false },
  { fixture: 'eventuous', kind: 'eventuous', label: /Eventuous/, positionsSql: 'SELECT global_position::text AS p FROM eventuous.messages ORDER BY global_position', stream: 'Booking-2', prefix: 'Payment-', category: 'Booking', causation: true },
  {
    fixture: 'custom', kind: 'custom', label: /Custom/, positionsSql: 'SELECT seq::text AS p FROM audit_log ORDER BY seq', stream: 'user-1', prefix: 'user-', category: 'user', causation: false,
    mapping: { table: 'audit_log', position: 'seq', streamId: 'entity', version: 'entity_version', type: 'kind', payload: 'body', metadata: 'headers', time: 'logged_at', correlationPath: 'trace.corr' },
  },
];

let server: EmbeddedPg;
let svc: EventStoreService;
const ids = new Map<string, string>();
const urls = new Map<string, string>();
const never = new AbortController().signal;

beforeAll(async () => {
  server = await startTestPostgres();
  svc = createEventStoreService({ sandboxUrl: null, env: {} });
  for (const c of CASES) {
    const db = `fx_${c.fixture.replace('-', '_')}`;
    const url = await databaseFromFixture(server, db, c.fixture);
    await runSql(url, 'ANALYZE');
    urls.set(c.fixture, url);
    const info = await svc.add({ name: c.fixture, url, tls: { mode: 'disable' }, schema: c.mapping ? 'custom' : 'auto', mapping: c.mapping, statementTimeoutMs: 5000 });
    ids.set(c.fixture, info.id);
  }
});

afterAll(async () => {
  await svc?.close();
  await server?.stop();
});

async function allForward(id: string, scope: Parameters<EventStoreService['page']>[1], limit: number): Promise<EventSummary[]> {
  const out: EventSummary[] = [];
  let page = await svc.page(id, scope, { kind: 'start' }, limit, {}, never);
  expect(page.hasBefore).toBe(false);
  out.push(...page.events);
  while (page.hasAfter) {
    page = await svc.page(id, scope, { kind: 'after', value: page.after! }, limit, {}, never);
    expect(page.events.length).toBeGreaterThan(0);
    expect(page.hasBefore).toBe(true);
    out.push(...page.events);
  }
  return out;
}

async function allBackward(id: string, limit: number): Promise<EventSummary[]> {
  const out: EventSummary[] = [];
  let page = await svc.page(id, { kind: 'all' }, { kind: 'head' }, limit, {}, never);
  expect(page.hasAfter).toBe(false);
  out.unshift(...page.events);
  while (page.hasBefore) {
    page = await svc.page(id, { kind: 'all' }, { kind: 'before', value: page.before! }, limit, {}, never);
    expect(page.hasAfter).toBe(true);
    out.unshift(...page.events);
  }
  return out;
}

describe.each(CASES)('$fixture adapter', (c) => {
  it('is detected, with the event table and a message', async () => {
    const d = await svc.detect(ids.get(c.fixture)!, false, never);
    expect(d.kind).toBe(c.kind);
    expect(d.label).toMatch(c.label);
    expect(d.message).toMatch(/store|mapping/i);
    expect(d.eventTable).toBeTruthy();
  });

  it('pages the whole log forward and backward at page edges, matching SQL order', async () => {
    const id = ids.get(c.fixture)!;
    const expected = (await runSql(urls.get(c.fixture)!, c.positionsSql)).rows.map((r: { p: string }) => r.p);
    for (const limit of [7, 1, expected.length, expected.length - 1]) {
      const fwd = await allForward(id, { kind: 'all' }, limit);
      expect(fwd.map((e) => e.position)).toEqual(expected);
    }
    const bwd = await allBackward(id, 9);
    expect(bwd.map((e) => e.position)).toEqual(expected);
    // Exact boundaries: jump to a position, after the last, before the first.
    const mid = expected[Math.floor(expected.length / 2)]!;
    const at = await svc.page(id, { kind: 'all' }, { kind: 'at', value: mid }, 5, {}, never);
    expect(at.events[0]!.position).toBe(mid);
    expect(at.hasBefore).toBe(true);
    const end = await svc.page(id, { kind: 'all' }, { kind: 'after', value: expected.at(-1)! }, 5, {}, never);
    expect(end.events).toEqual([]);
    expect(end.hasAfter).toBe(false);
    expect(end.hasBefore).toBe(true);
    const begin = await svc.page(id, { kind: 'all' }, { kind: 'before', value: expected[0]! }, 5, {}, never);
    expect(begin.events).toEqual([]);
    expect(begin.hasBefore).toBe(false);
  });

  it('lists categories, finds streams and pages one stream by version', async () => {
    const id = ids.get(c.fixture)!;
    const cats = await svc.categories(id, never);
    expect(cats.method).toBe('count');
    expect(cats.categories.map((x) => x.name)).toContain(c.category);
    const catPage = await svc.page(id, { kind: 'category', category: c.category }, { kind: 'start' }, 500, {}, never);
    expect(catPage.events.length).toBe(cats.categories.find((x) => x.name === c.category)!.events);
    expect(catPage.events.every((e) => e.category === c.category)).toBe(true);

    const recent = await svc.streams(id, '', false, 5, never);
    expect(recent.mode).toBe('recent');
    expect(recent.streams.length).toBeGreaterThan(0);
    const streamId = c.stream === '__marten__' ? recent.streams[0]!.streamId : c.stream;
    const exact = await svc.streams(id, streamId, true, 5, never);
    expect(exact.streams.map((s) => s.streamId)).toEqual([streamId]);
    if (c.prefix) {
      const pre = await svc.streams(id, c.prefix, false, 50, never);
      expect(pre.streams.length).toBeGreaterThan(0);
      expect(pre.streams.every((s) => s.streamId.startsWith(c.prefix))).toBe(true);
    }
    const events = await allForward(id, { kind: 'stream', streamId }, 4);
    expect(events.length).toBe(Number(exact.streams[0]!.version) - Number(events[0]!.version) + 1);
    const versions = events.map((e) => Number(e.version));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(events.every((e) => e.streamId === streamId)).toBe(true);
  });

  it('jumps to a time, filters by type, shows detail with the causing event', async () => {
    const id = ids.get(c.fixture)!;
    const page = await svc.page(id, { kind: 'all' }, { kind: 'time', at: '2024-01-01T01:00:00Z' }, 3, {}, never);
    expect(new Date(page.events[0]!.time!).getTime()).toBeGreaterThanOrEqual(Date.parse('2024-01-01T01:00:00Z'));
    const before = await svc.page(id, { kind: 'all' }, { kind: 'before', value: page.events[0]!.position }, 1, {}, never);
    expect(new Date(before.events[0]!.time!).getTime()).toBeLessThan(Date.parse('2024-01-01T01:00:00Z'));

    const type = page.events[0]!.type;
    const typed = await svc.page(id, { kind: 'all' }, { kind: 'start' }, 20, { types: [type] }, never);
    expect(typed.events.length).toBeGreaterThan(0);
    expect(typed.events.every((e) => e.type === type)).toBe(true);

    const late = (await svc.page(id, { kind: 'all' }, { kind: 'head' }, 1, {}, never)).events[0]!;
    const detail = await svc.event(id, late.position, false, never);
    expect(detail.payload.bytes).toBeGreaterThan(0);
    if (detail.payload.json) expect(() => JSON.parse(detail.payload.text)).not.toThrow();
    if (c.causation) {
      expect(detail.causationId).toBeTruthy();
      expect(detail.causedBy?.position).toBeTruthy();
      expect(detail.causedByUnresolved).toBe(false);
    }
  });

  it('reports positions and tails everything from the start', async () => {
    const id = ids.get(c.fixture)!;
    const expected = (await runSql(urls.get(c.fixture)!, c.positionsSql)).rows.map((r: { p: string }) => r.p);
    const pos = await svc.positions(id, never);
    expect(pos.committed).toBe(expected.at(-1));
    expect(pos.safe).toBe(expected.at(-1));
    const got: string[] = [];
    const ac = new AbortController();
    const states: string[] = [];
    const done = svc.tail(id, { after: '0', scope: { kind: 'all' } }, (e: TailEvent) => {
      if (e.kind === 'events') got.push(...e.events.map((x) => x.position));
      else states.push(e.state);
      if (got.length >= expected.length) ac.abort();
    }, ac.signal);
    const timer = setTimeout(() => ac.abort(), 10_000);
    await done;
    clearTimeout(timer);
    expect(got).toEqual(expected);
    expect(states[0]).toMatch(/listening|polling/);
  });
});

describe('custom mapping and unknown schemas', () => {
  it('an unknown schema says what it found and suggests a mapping', async () => {
    const url = urls.get('custom')!;
    const info = await svc.add({ name: 'unknown', url, tls: { mode: 'disable' }, schema: 'auto', statementTimeoutMs: 5000 });
    const d = await svc.detect(info.id, false, never);
    expect(d.kind).toBeNull();
    expect(d.message).toMatch(/No known event store schema/);
    expect(d.message).toMatch(/audit_log/);
    expect(d.suggestedMapping).toMatchObject({ table: 'public.audit_log', position: 'seq', streamId: 'entity', payload: 'body', time: 'logged_at' });
    await expect(svc.page(info.id, { kind: 'all' }, { kind: 'head' }, 10, {}, never)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('a text payload that is not JSON is shown as text; JSON text is recognised', async () => {
    const id = ids.get('custom')!;
    const plain = await svc.event(id, '3', false, never);
    expect(plain.payload).toMatchObject({ json: false, truncated: false });
    expect(plain.payload.text).toMatch(/plain text line 3/);
    const json = await svc.event(id, '4', false, never);
    expect(json.payload.json).toBe(true);
    expect(json.correlationId).toBe('c0');
    await expect(svc.page(id, { kind: 'all' }, { kind: 'head' }, 10, { payloadContains: '{"ip":"10.0.0.4"}' }, never)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const meta = await svc.page(id, { kind: 'all' }, { kind: 'head' }, 100, { metadataContains: '{"trace":{"corr":"c1"}}' }, never);
    expect(meta.events.length).toBe(30);
  });

  it('a mapping naming a missing column is refused with the column list', async () => {
    const info = await svc.add({
      name: 'bad', url: urls.get('custom')!, tls: { mode: 'disable' }, schema: 'custom', statementTimeoutMs: 5000,
      mapping: { table: 'audit_log', position: 'seq', streamId: 'nope', version: 'entity_version', type: 'kind', payload: 'body', time: 'logged_at' },
    });
    await expect(svc.page(info.id, { kind: 'all' }, { kind: 'head' }, 10, {}, never)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/no column "nope".*Columns: seq, entity/) });
  });
});
