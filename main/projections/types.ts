import type { CheckpointSourceInfo } from '../../shared/contract/projections';
import type { Db } from '../eventstore/connection';
import type { AdapterDescription, Catalog } from '../eventstore/adapters/types';

/**
 * The optional "progress" capability of a schema adapter: where its checkpoints live and how to read
 * all of them against the head in ONE statement. Each family implements it in
 * main/eventstore/adapters/<kind>/progress.ts; a family without one simply has no projections.
 */
export interface RawProgress {
  name: string;
  checkpoint: bigint | null;
  /** The head this checkpoint reads towards (the store's, or its category's). */
  head: bigint | null;
  /** now − time of the first event after the checkpoint (seconds, server clock); null when none. */
  lagSeconds: number | null;
  lastUpdated: string | null;
  storeStatus: string | null;
  error: string | null;
  /** The store says it is stopped / paused (not an error). */
  stopped?: boolean;
  failed?: boolean;
}

export interface ProgressRead {
  rows: RawProgress[];
  /** Store-level positions this family knows better than the generic tracker (Marten HighWaterMark). */
  safe?: bigint | null;
  head?: bigint | null;
  notes?: string[];
}

export interface ProgressSource {
  info: CheckpointSourceInfo;
  read(db: Db, signal: AbortSignal): Promise<ProgressRead>;
}

export type ProgressCapability = (cat: Catalog, desc: AdapterDescription) => ProgressSource | null;

/** Shared row shape of the progress statements (bigints as text, times formatted by the server). */
export interface ProgressSqlRow {
  name: string;
  checkpoint: string | null;
  head: string | null;
  lag_seconds: number | string | null;
  last_updated: string | null;
  store_status?: string | null;
  error?: string | null;
}

export const isoSql = (expr: string) => `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export function toRaw(r: ProgressSqlRow): RawProgress {
  const big = (s: string | null) => (s === null || s === undefined || s === '' ? null : BigInt(s));
  const lag = r.lag_seconds === null || r.lag_seconds === undefined ? null : Math.max(0, Number(r.lag_seconds));
  return {
    name: r.name,
    checkpoint: big(r.checkpoint),
    head: big(r.head),
    lagSeconds: lag,
    lastUpdated: r.last_updated ?? null,
    storeStatus: r.store_status ?? null,
    error: r.error ?? null,
  };
}
