import pg from 'pg';
import { ApiError } from '../../shared/errors';
import type { TlsOptions } from '../../shared/contract/events';
import { abortError } from '../util/abort';

/**
 * One pg Pool per event store connection. Every session is read only and bounded:
 * `default_transaction_read_only=on` and `statement_timeout` are sent as startup options, so they
 * hold for every statement on every pooled connection (also after a reconnect); connect and query
 * timeouts guard the client side; an aborted call sends a Postgres cancel request. Hot reads can
 * ask for a named prepared statement (see QueryOptions), falling back to unnamed ones by themselves.
 */
export interface ParsedUrl {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | null;
  sslmode: string | null;
}

export function parsePostgresUrl(raw: string): ParsedUrl {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new ApiError('BAD_INPUT', 'Connection URL: not a URL. Expected postgres://user@host:5432/database.', { field: 'url' });
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new ApiError('BAD_INPUT', `Connection URL: scheme ${u.protocol} is not postgres:// or postgresql://.`, { field: 'url' });
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!u.hostname) throw new ApiError('BAD_INPUT', 'Connection URL: no host.', { field: 'url' });
  if (!database) throw new ApiError('BAD_INPUT', 'Connection URL: no database name (postgres://host/<database>).', { field: 'url' });
  const port = u.port ? Number(u.port) : 5432;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    database,
    user: decodeURIComponent(u.username) || 'postgres',
    password: u.password ? decodeURIComponent(u.password) : null,
    sslmode: u.searchParams.get('sslmode'),
  };
}

/** The URL without its password (and with a mask when there is one): safe to show and store. */
export function maskUrl(raw: string, hasPassword: boolean): string {
  const p = parsePostgresUrl(raw);
  const user = encodeURIComponent(p.user);
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  const sslmode = p.sslmode ? `?sslmode=${encodeURIComponent(p.sslmode)}` : '';
  return `postgres://${user}${hasPassword ? ':****' : ''}@${host}:${p.port}/${encodeURIComponent(p.database)}${sslmode}`;
}

export interface ConnectionConfig {
  url: string;
  password: string | null;
  tls: TlsOptions;
  statementTimeoutMs: number;
  applicationName?: string;
}

function sslConfig(tls: TlsOptions, host: string): pg.ClientConfig['ssl'] {
  switch (tls.mode) {
    case 'disable':
      return false;
    case 'prefer':
    case 'require':
      return { rejectUnauthorized: false, ...(tls.ca ? { ca: tls.ca } : {}) };
    case 'verify-ca':
      return { rejectUnauthorized: true, ca: tls.ca, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ca: tls.ca, servername: host };
  }
}

export function clientConfig(cfg: ConnectionConfig): pg.ClientConfig {
  const p = parsePostgresUrl(cfg.url);
  const mode = p.sslmode && cfg.tls.mode === 'prefer' ? (p.sslmode as TlsOptions['mode']) : cfg.tls.mode;
  return {
    host: p.host,
    port: p.port,
    database: p.database,
    user: p.user,
    password: cfg.password ?? p.password ?? undefined,
    // 'prefer' is tried as TLS first and plain second, see openClient.
    ssl: sslConfig({ ...cfg.tls, mode }, p.host),
    application_name: cfg.applicationName ?? 'meshdeck',
    connectionTimeoutMillis: 5000,
    query_timeout: cfg.statementTimeoutMs + 2000,
    keepAlive: true,
    options: `-c default_transaction_read_only=on -c statement_timeout=${cfg.statementTimeoutMs} -c idle_in_transaction_session_timeout=60000`,
  };
}

/** Turn a pg / socket error into a message a user can act on. */
export function pgError(err: unknown, where: string): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { code?: string; message?: string; name?: string; errno?: string };
  const msg = e.message ?? String(err);
  if (e.name === 'AbortError') return new ApiError('CANCELLED', `${where}: cancelled.`);
  switch (e.code) {
    case '28P01':
    case '28000':
      return new ApiError('UNAUTHORIZED', `${where}: the server rejected the user or password (${msg}).`, { details: { sqlstate: e.code } });
    case '3D000':
      return new ApiError('NOT_FOUND', `${where}: ${msg}. Check the database name at the end of the URL.`, { details: { sqlstate: e.code } });
    case '42P01':
    case '42703':
    case '42883':
      return new ApiError('INVALID_CONFIG', `${where}: ${msg}. The tables do not match the selected schema or mapping.`, { details: { sqlstate: e.code } });
    case '42501':
      return new ApiError('FORBIDDEN', `${where}: ${msg}.`, { details: { sqlstate: e.code } });
    case '57014':
      return /statement timeout/i.test(msg)
        ? new ApiError('TIMEOUT', `${where}: the query ran past the statement timeout. Narrow the filter (a time range or a category helps).`, { details: { sqlstate: e.code } })
        : new ApiError('CANCELLED', `${where}: cancelled.`, { details: { sqlstate: e.code } });
    case '25006':
      return new ApiError('FORBIDDEN', `${where}: the session is read only (meshdeck never writes to an event store).`, { details: { sqlstate: e.code } });
    case '22P02':
    case '22023':
      return new ApiError('BAD_INPUT', `${where}: ${msg}.`, { details: { sqlstate: e.code } });
    case '57P01':
    case '57P02':
    case '57P03':
      return new ApiError('UNREACHABLE', `${where}: the server is shutting down or restarting (${msg}).`, { details: { sqlstate: e.code } });
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
    case 'EPIPE':
      return new ApiError('UNREACHABLE', `${where}: cannot reach the server (${e.code}: ${msg}).`);
  }
  if (/self[- ]signed|certificate|SSL|TLS/i.test(msg) && !/does not support SSL/i.test(msg)) return new ApiError('TLS', `${where}: TLS failed: ${msg}.`);
  if (/does not support SSL/i.test(msg)) return new ApiError('TLS', `${where}: the server does not support TLS; choose TLS mode "disable" or "prefer".`);
  if (/timeout|timed out/i.test(msg)) return new ApiError('TIMEOUT', `${where}: ${msg}.`);
  if (/Connection terminated|connection ended|Client has encountered a connection error|not queryable/i.test(msg)) {
    return new ApiError('UNREACHABLE', `${where}: the connection to the server was lost (${msg}).`);
  }
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return new ApiError('UPSTREAM', `${where}: ${msg} (SQLSTATE ${e.code}).`, { details: { sqlstate: e.code } });
  return new ApiError('UPSTREAM', `${where}: ${msg}.`);
}

export interface QueryOptions {
  /**
   * Run as a named prepared statement: each pooled connection parses and plans the text once and
   * then only binds and executes it (Postgres may settle on a generic plan after five runs). Only
   * for statements whose best plan does not depend on the parameter values, e.g. keyset reads on
   * an indexed key; filtered scans stay unnamed so they are planned for the values they get.
   */
  prepare?: boolean;
}

export interface Db {
  query<R extends object>(sql: string, params: unknown[], signal: AbortSignal, where: string, opts?: QueryOptions): Promise<R[]>;
  /** A dedicated (unpooled) client, e.g. for LISTEN. The caller ends it. */
  openClient(): Promise<pg.Client>;
  config: pg.ClientConfig;
  close(): Promise<void>;
}

/** Distinct statement texts one Db prepares at most (per pooled connection); beyond it, texts run unnamed. */
const MAX_PREPARED = 256;

/**
 * Errors that mean the server's prepared statements are not what the client thinks: "does not
 * exist" / "already exists" (a transaction-mode pooler such as PgBouncer in front: statements do
 * not survive across transactions) and "cached plan must not change result type" (the table
 * changed under a prepared statement).
 */
function preparedStatementTrouble(err: unknown): 'pooler' | 'stale' | null {
  const e = err as { code?: string; message?: string };
  if (e.code === '26000' || e.code === '42P05') return 'pooler';
  if (e.code === '0A000' && /cached plan must not change result type/i.test(e.message ?? '')) return 'stale';
  return null;
}

interface Cancellable {
  cancel(target: pg.Client, query: unknown): void;
}

/** Connects; with TLS mode 'prefer' tries TLS, then plain when the server has no TLS. */
async function connectPreferring(cfg: pg.ClientConfig, mode: TlsOptions['mode']): Promise<pg.Client> {
  const c = new pg.Client(cfg);
  try {
    await c.connect();
    return c;
  } catch (err) {
    await c.end().catch(() => undefined);
    if (mode === 'prefer' && /does not support SSL/i.test((err as Error).message ?? '')) {
      const plain = new pg.Client({ ...cfg, ssl: false });
      await plain.connect();
      return plain;
    }
    throw err;
  }
}

export function createDb(cfg: ConnectionConfig): Db {
  const base = clientConfig(cfg);
  let effective = base;
  const mode = cfg.tls.mode;
  // pg's Pool has no "prefer": probe once, then stick to what worked.
  let probed: Promise<void> | null = null;
  let pool: pg.Pool | null = null;
  const probe = () => {
    probed ??= (async () => {
      const c = await connectPreferring(base, mode);
      effective = { ...base, ssl: (c as unknown as { ssl: unknown }).ssl ? base.ssl : false };
      await c.end().catch(() => undefined);
    })().catch((err: unknown) => {
      probed = null;
      throw err;
    });
    return probed;
  };
  const getPool = async () => {
    await probe();
    if (!pool) {
      pool = new pg.Pool({ ...effective, max: 4, idleTimeoutMillis: 30_000 });
      // An idle client dying (server restart) must not crash the process; the pool replaces it.
      pool.on('error', () => undefined);
    }
    return pool;
  };

  // Statement text -> prepared statement name, shared by the pool's connections (pg remembers per
  // connection which names it has already parsed there).
  const names = new Map<string, string>();
  let generation = 0;
  let preparing = true;
  const nameFor = (sql: string): string | undefined => {
    if (!preparing) return undefined;
    let n = names.get(sql);
    if (n === undefined) {
      if (names.size >= MAX_PREPARED) return undefined;
      n = `meshdeck_${generation}_${names.size}`;
      names.set(sql, n);
    }
    return n;
  };

  const runOnce = async <R extends object>(sql: string, params: unknown[], signal: AbortSignal, where: string, name: string | undefined): Promise<R[]> => {
    if (signal.aborted) throw pgError(abortError(), where);
    let client: pg.PoolClient;
    try {
      const p = await getPool();
      client = await p.connect();
    } catch (err) {
      throw pgError(err, where);
    }
    // Cancelled while connecting (a cold pool on a busy machine takes a while): an abort listener
    // added now would never fire, so the statement would run to its end. Stop here instead.
    if (signal.aborted) {
      client.release();
      throw pgError(abortError(), where);
    }
    let broken = false;
    // While checked out, a dying connection must not become an uncaught 'error' event.
    const onError = () => { broken = true; };
    client.on('error', onError);
    const onAbort = () => {
      // Ask the server to stop the statement; the query then fails with 57014 and we map it.
      const canceller = new pg.Client(effective) as unknown as Cancellable & pg.Client;
      canceller.on('error', () => undefined);
      try {
        canceller.cancel(client as unknown as pg.Client, (client as unknown as { activeQuery: unknown }).activeQuery);
      } catch {
        broken = true;
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await client.query<R>(name === undefined ? { text: sql, values: params } : { name, text: sql, values: params });
      return res.rows;
    } catch (err) {
      const e = err as { code?: string };
      if (!e.code || !/^[0-9A-Z]{5}$/.test(e.code)) broken = true;
      if (signal.aborted) throw pgError(abortError(), where);
      // Left as is for query() to retry; everything else becomes an ApiError here.
      if (name !== undefined && preparedStatementTrouble(err)) throw err;
      throw pgError(err, where);
    } finally {
      signal.removeEventListener('abort', onAbort);
      client.removeListener('error', onError);
      client.release(broken);
    }
  };

  return {
    config: base,
    async query<R extends object>(sql: string, params: unknown[], signal: AbortSignal, where: string, opts?: QueryOptions): Promise<R[]> {
      const name = opts?.prepare ? nameFor(sql) : undefined;
      try {
        return await runOnce<R>(sql, params, signal, where, name);
      } catch (err) {
        const trouble = name !== undefined ? preparedStatementTrouble(err) : null;
        if (!trouble) throw err;
        // New names from now on (the old ones may be stale on other pooled connections too); behind a
        // transaction-mode pooler, stop preparing altogether. The statement is a read: run it again.
        generation++;
        names.clear();
        if (trouble === 'pooler') preparing = false;
        return runOnce<R>(sql, params, signal, where, opts?.prepare ? nameFor(sql) : undefined);
      }
    },
    async openClient() {
      await probe();
      const c = new pg.Client(effective);
      await c.connect();
      return c;
    },
    async close() {
      const p = pool;
      pool = null;
      await p?.end().catch(() => undefined);
    },
  };
}
