import type { ProjectionRow, ProjectionStatus } from '../../shared/contract/projections';
import type { SampleRing } from './history';
import type { RawProgress } from './types';

/** Lag in seconds under which a projection that is behind still counts as "running" (not lagging). */
export const LAGGING_AFTER_SEC = 5;
export const TREND_POINTS = 90;

export interface RowInput {
  raw: RawProgress;
  ring: SampleRing;
  now: number;
  stallAfterSec: number;
  rateWindowSec: number;
  safe: bigint | null;
  /** A checkpoint this close to the head counts as caught up (Message DB records every 100 messages). */
  caughtUpWithin: number;
}

const toNum = (b: bigint) => Number(b);

/**
 * One row of the overview from the store's raw progress and meshdeck's samples: lag, rate, ETA and
 * a status. Stalled = behind and the checkpoint has not moved for stallAfterSec — from our own
 * samples, or from the store's update time when that is older (a row cannot move without it).
 */
export function buildRow(i: RowInput): ProjectionRow {
  const { raw, ring, now } = i;
  const head = raw.head;
  const cp = raw.checkpoint;
  if (head !== null) ring.add({ t: now, checkpoint: (cp ?? 0n).toString(), head: head.toString(), lag: head > (cp ?? 0n) ? toNum(head - (cp ?? 0n)) : 0 });
  const lag = head === null ? null : head > (cp ?? 0n) ? toNum(head - (cp ?? 0n)) : 0;
  const caughtUp = lag !== null && lag <= i.caughtUpWithin;
  const r = ring.rates(i.rateWindowSec * 1000, now);

  let lagSeconds = raw.lagSeconds;
  if (caughtUp || lag === 0) lagSeconds = 0;

  const updatedMs = raw.lastUpdated ? Date.parse(raw.lastUpdated) : NaN;
  const sinceSamples = r.unchangedSince !== null && r.unchangedSince < now ? r.unchangedSince : null;
  const sinceStore = Number.isFinite(updatedMs) ? updatedMs : null;
  // The earlier of the two: a row cannot move without its update time, and a heartbeat only makes the store's later.
  const cands = [sinceSamples, sinceStore].filter((x): x is number => x !== null);
  const unchangedSince = cands.length ? Math.min(...cands) : null;
  const stalledFor = unchangedSince === null ? 0 : now - unchangedSince;

  let status: ProjectionStatus;
  if (raw.failed) status = 'failed';
  else if (raw.stopped) status = 'stopped';
  else if (lag === null) status = 'unknown';
  else if (caughtUp) status = 'caught-up';
  else if (stalledFor >= i.stallAfterSec * 1000 && (r.rate === null || r.rate === 0)) status = 'stalled';
  else if ((lagSeconds ?? 0) >= LAGGING_AFTER_SEC) status = 'lagging';
  else status = 'running';

  let etaSeconds: number | null = null;
  let etaNote: ProjectionRow['etaNote'] = null;
  if (lag !== null && (caughtUp || lag === 0)) {
    etaSeconds = 0;
    etaNote = 'caught-up';
  } else if (r.rate === null || r.headRate === null) {
    etaNote = 'no-history';
  } else if (r.rate === 0) {
    etaNote = 'not-moving';
  } else if (r.rate - r.headRate <= 0) {
    etaNote = 'falling-behind';
  } else if (lag !== null) {
    etaSeconds = lag / (r.rate - r.headRate);
  }

  return {
    name: raw.name,
    checkpoint: cp?.toString() ?? null,
    head: head?.toString() ?? null,
    safe: i.safe?.toString() ?? null,
    lagEvents: lag,
    lagSeconds: lagSeconds === null ? null : Math.round(lagSeconds * 10) / 10,
    rate: r.rate === null ? null : Math.round(r.rate * 10) / 10,
    headRate: r.headRate === null ? null : Math.round(r.headRate * 10) / 10,
    etaSeconds: etaSeconds === null ? null : Math.round(etaSeconds),
    etaNote,
    status,
    storeStatus: raw.storeStatus,
    error: raw.error,
    lastUpdated: raw.lastUpdated,
    unchangedSince: lag !== null && lag > 0 && unchangedSince !== null ? new Date(unchangedSince).toISOString() : null,
    trend: ring.tail(TREND_POINTS),
  };
}

/** The projection furthest behind: by seconds, then by events; none when all are caught up. */
export function pickLaggard(rows: ProjectionRow[]): string | null {
  let best: ProjectionRow | null = null;
  for (const r of rows) {
    if (!r.lagEvents || r.status === 'caught-up') continue;
    if (!best || (r.lagSeconds ?? 0) > (best.lagSeconds ?? 0) || ((r.lagSeconds ?? 0) === (best.lagSeconds ?? 0) && r.lagEvents > (best.lagEvents ?? 0))) best = r;
  }
  return best?.name ?? null;
}
