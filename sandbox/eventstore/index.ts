import pg from 'pg';
import { startEmbeddedPostgres } from './postgres';
import type { EmbeddedPg } from './postgres';
import { CLASSIC_INDEXES_SQL, CLASSIC_TABLES_SQL } from './schema';
import { bulkLoad } from './bulk';
import type { BulkLoadResult } from './bulk';
import { startDomainWriter } from './domain';
import type { DomainWriter } from './domain';

export { bulkLoad } from './bulk';
export { startEmbeddedPostgres } from './postgres';
export { NOTIFY_CHANNEL } from './schema';

export interface SandboxEventStoreOptions {
  /** Use this Postgres instead of starting one (the schema is created if missing). */
  url?: string;
  /** Events per second written continuously (default 20; 0 = quiet). */
  ratePerSec?: number;
  /** Bulk history loaded into an empty store before the live writer starts (default 100,000). */
  seedEvents?: number;
  /** Saga operations run at start so saga/idempotency/checkpoint tables are populated (default 300). */
  seedOperations?: number;
  /** Extra server settings for the embedded Postgres. */
  settings?: Record<string, string | number>;
  onLog?: (line: string) => void;
}

export interface SandboxEventStore {
  /** Full URL with the password: print it for psql, hand it to the app. */
  url: string;
  /** The embedded server, when we started one (tests use it to simulate a restart). */
  server: EmbeddedPg | null;
  writer: DomainWriter;
  seed: BulkLoadResult | null;
  /** Append N more events of bulk history (benchmarks). */
  bulkLoad(events: number, onProgress?: (done: number, total: number) => void): Promise<BulkLoadResult>;
  stop(): Promise<void>;
}

export async function createClassicSchema(client: pg.ClientBase): Promise<void> {
  await client.query(CLASSIC_TABLES_SQL);
  for (const sql of CLASSIC_INDEXES_SQL) await client.query(sql);
}

export async function startSandboxEventStore(opts: SandboxEventStoreOptions = {}): Promise<SandboxEventStore> {
  const server = opts.url ? null : await startEmbeddedPostgres({ database: 'eventstore', settings: opts.settings, onLog: opts.onLog });
  const url = opts.url ?? server!.url;
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: 'meshdeck-sandbox-writer' });
  pool.on('error', (err) => opts.onLog?.(`sandbox writer pool: ${err.message}`));
  let writer: DomainWriter | null = null;
  try {
    const c = await pool.connect();
    let seed: BulkLoadResult | null = null;
    try {
      await createClassicSchema(c);
      const { rows } = await c.query<{ n: string }>('SELECT count(*)::text AS n FROM (SELECT 1 FROM events LIMIT 1) x');
      const seedEvents = opts.seedEvents ?? 100_000;
      if (rows[0]?.n === '0' && seedEvents > 0) seed = await bulkLoad(c, { events: seedEvents, tag: 'seed', window: 200 });
    } finally {
      c.release();
    }
    writer = startDomainWriter(pool, { ratePerSec: 0, onError: (e) => opts.onLog?.(`sandbox writer: ${e instanceof Error ? e.message : String(e)}`) });
    await writer.burst(opts.seedOperations ?? 300);
    writer.setRate(opts.ratePerSec ?? 20);
    const w = writer;
    return {
      url,
      server,
      writer: w,
      seed,
      async bulkLoad(events, onProgress) {
        const c2 = await pool.connect();
        try {
          return await bulkLoad(c2, { events, onProgress });
        } finally {
          c2.release();
        }
      },
      async stop() {
        await w.stop();
        await pool.end().catch(() => undefined);
        await server?.stop();
      },
    };
  } catch (err) {
    await writer?.stop().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await server?.stop();
    throw err;
  }
}
