import { describe, expect, it } from 'vitest';
import { SampleRing, RING_SIZE } from '../../main/projections/history';
import { buildRow, pickLaggard } from '../../main/projections/overview';
import type { RawProgress } from '../../main/projections/types';

/** Rates, ETA and status from the sample ring: the parts of the overview that need no database. */
const raw = (cp: number, head: number, extra: Partial<RawProgress> = {}): RawProgress => ({
  name: 'p', checkpoint: BigInt(cp), head: BigInt(head), lagSeconds: head > cp ? 30 : null, lastUpdated: null, storeStatus: null, error: null, ...extra,
});
const base = { stallAfterSec: 60, rateWindowSec: 60, safe: null, caughtUpWithin: 0 };

describe('sample ring', () => {
  it('measures checkpoint and head rates over the window and remembers since when the checkpoint is unchanged', () => {
    const r = new SampleRing();
    r.add({ t: 0, checkpoint: '100', head: '1000', lag: 900 });
    r.add({ t: 10_000, checkpoint: '600', head: '1200', lag: 600 });
    r.add({ t: 20_000, checkpoint: '1100', head: '1400', lag: 300 });
    const x = r.rates(60_000, 20_000);
    expect(x.rate).toBe(50);
    expect(x.headRate).toBe(20);
    expect(x.unchangedSince).toBe(20_000);
    r.add({ t: 30_000, checkpoint: '1100', head: '1600', lag: 500 });
    expect(r.rates(60_000, 30_000).unchangedSince).toBe(20_000);
  });

  it('ignores samples closer than ~1 s unless something changed, and stays bounded', () => {
    const r = new SampleRing();
    r.add({ t: 0, checkpoint: '1', head: '2', lag: 1 });
    r.add({ t: 100, checkpoint: '1', head: '2', lag: 1 });
    expect(r.all()).toHaveLength(1);
    r.add({ t: 200, checkpoint: '2', head: '2', lag: 0 });
    expect(r.all()).toEqual([{ t: 200, checkpoint: '2', head: '2', lag: 0 }]);
    for (let i = 1; i <= RING_SIZE + 50; i++) r.add({ t: 200 + i * 1000, checkpoint: String(i), head: '9999', lag: 1 });
    expect(r.all()).toHaveLength(RING_SIZE);
  });
});

describe('a projection row', () => {
  it('gives an ETA when the checkpoint outruns the head, and says why not otherwise', () => {
    const ring = new SampleRing();
    let row = buildRow({ ...base, raw: raw(0, 1000), ring, now: 0 });
    expect(row).toMatchObject({ lagEvents: 1000, etaSeconds: null, etaNote: 'no-history', status: 'lagging' });
    row = buildRow({ ...base, raw: raw(500, 1100), ring, now: 10_000 });
    // checkpoint +50/s, head +10/s: 600 behind closes at 40/s -> 15 s.
    expect(row).toMatchObject({ rate: 50, headRate: 10, etaSeconds: 15, etaNote: null });
    row = buildRow({ ...base, raw: raw(600, 2100), ring, now: 20_000 });
    expect(row.etaNote).toBe('falling-behind');
    expect(row.trend).toHaveLength(3);
  });

  it('is stalled when behind and the checkpoint has not moved for N — even if the store bumps its update time', () => {
    const ring = new SampleRing();
    const heartbeat = (t: number) => new Date(t).toISOString();
    buildRow({ ...base, raw: raw(10, 12, { lastUpdated: heartbeat(0) }), ring, now: 0 });
    const mid = buildRow({ ...base, raw: raw(10, 12, { lastUpdated: heartbeat(30_000) }), ring, now: 30_000 });
    expect(mid.status).not.toBe('stalled');
    const row = buildRow({ ...base, raw: raw(10, 12, { lastUpdated: heartbeat(61_000) }), ring, now: 61_000 });
    expect(row.status).toBe('stalled');
    expect(row.unchangedSince).toBe(new Date(0).toISOString());
    expect(row.etaNote).toBe('not-moving');
  });

  it('takes failed / stopped from the store, and "caught up" within the store\'s granularity', () => {
    expect(buildRow({ ...base, raw: raw(1, 9, { failed: true, error: 'boom' }), ring: new SampleRing(), now: 0 }).status).toBe('failed');
    expect(buildRow({ ...base, raw: raw(1, 9, { stopped: true }), ring: new SampleRing(), now: 0 }).status).toBe('stopped');
    const coarse = buildRow({ ...base, caughtUpWithin: 99, raw: raw(100, 150), ring: new SampleRing(), now: 0 });
    expect(coarse).toMatchObject({ status: 'caught-up', lagSeconds: 0, etaSeconds: 0, etaNote: 'caught-up' });
  });

  it('the laggard is the one furthest behind in time, then in events', () => {
    const rows = [
      { ...buildRow({ ...base, raw: { ...raw(0, 100), name: 'a', lagSeconds: 5 }, ring: new SampleRing(), now: 0 }) },
      { ...buildRow({ ...base, raw: { ...raw(0, 10), name: 'b', lagSeconds: 50 }, ring: new SampleRing(), now: 0 }) },
      { ...buildRow({ ...base, raw: { ...raw(10, 10), name: 'c' }, ring: new SampleRing(), now: 0 }) },
    ];
    expect(pickLaggard(rows)).toBe('b');
    expect(pickLaggard([rows[2]!])).toBeNull();
  });
});
