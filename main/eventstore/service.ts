import { randomUUID } from 'node:crypto';
import type {
  CategoriesResult, ConnectionTestResult, DetectResult, EventDetail, EventFilter, EventPage, EventStoreConnectionInfo,
  EventStoreConnectionInput, PageAnchor, PageScope, StorePositions, StreamsResult, TailEvent,
} from '../../shared/contract/events';
import { tlsSchema } from '../../shared/contract/events';
import { ApiError } from '../../shared/errors';
import { withTimeout } from '../util/abort';
import { MappedStore } from './adapters/engine';
import { createDb, maskUrl, parsePostgresUrl, pgError } from './connection';
import type { Db } from './connection';
import { detectFrom, readCatalog } from './detect';
import type { Detection } from './detect';
import type { AdapterDescription } from './adapters/types';
import { SafePositionTracker } from './positions';
import { memoryConnectionStore, memorySecretStore, passwordKey } from './store';
import type { ConnectionRecord, ConnectionStore, SecretStore } from './store';
import { runTail } from './tail';
import { withDeadline } from './deadline';

export interface EventStoreServiceOptions {
  connections?: ConnectionStore;
  secrets?: SecretStore;
  /** Pre-registered connection (the demo's sandbox store), full URL with password. */
  sandboxUrl?: string | null;
  env?: NodeJS.ProcessEnv;
}

type ParsedInput = {
  name: string; url: string; password?: string; tls: { mode: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full'; ca?: string };
  schema: ConnectionRecord['schema']; mapping?: ConnectionRecord['mapping'] | undefined; statementTimeoutMs: number;
};

interface Live {
  record: ConnectionRecord;
  db: Db;
  detection: Promise<Detection> | null;
  tracker: SafePositionTracker | null;
  trackerStore: MappedStore | null;
  /** The store for the current detection, built once (its SQL fragments are computed in the constructor). */
  store: MappedStore | null;
}

export interface EventStoreService {
  connections(): Promise<EventStoreConnectionInfo[]>;
  add(input: ParsedInput): Promise<EventStoreConnectionInfo>;
  remove(id: string): Promise<void>;
  test(input: { id: string } | ParsedInput, signal: AbortSignal): Promise<ConnectionTestResult>;
  detect(id: string, refresh: boolean, signal: AbortSignal): Promise<DetectResult>;
  categories(id: string, signal: AbortSignal): Promise<CategoriesResult>;
  streams(id: string, query: string, exact: boolean, limit: number, signal: AbortSignal): Promise<StreamsResult>;
  page(id: string, scope: PageScope, anchor: PageAnchor, limit: number, filter: EventFilter, signal: AbortSignal): Promise<EventPage>;
  event(id: string, position: string, full: boolean, signal: AbortSignal): Promise<EventDetail>;
  positions(id: string, signal: AbortSignal): Promise<StorePositions>;
  /** For sibling capabilities (projections): the connection's read-only pool and detected adapter (null: unknown schema). */
  open(id: string, signal: AbortSignal): Promise<{ db: Db; description: AdapterDescription | null }>;
  tail(id: string, input: { after?: string; scope: PageScope; types?: string[] }, emit: (e: TailEvent) => void, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

const REQUEST_TIMEOUT_MS = 30_000;

function info(r: ConnectionRecord, hasPassword: boolean): EventStoreConnectionInfo {
  return {
    id: r.id,
    name: r.name,
    url: maskUrl(r.url, hasPassword),
    hasPassword,
    tls: { mode: r.tls.mode, hasCa: Boolean(r.tls.ca) },
    schema: r.schema,
    mapping: r.mapping,
    statementTimeoutMs: r.statementTimeoutMs,
    sandbox: r.sandbox,
  };
}

/** Split the password out of the URL: the record keeps the URL without it. */
function splitSecret(url: string, password: string | undefined): { url: string; password: string | null } {
  const p = parsePostgresUrl(url);
  const u = new URL(url.trim());
  u.password = '';
  return { url: u.toString(), password: password ?? p.password };
}

export function createEventStoreService(opts: EventStoreServiceOptions = {}): EventStoreService {
  const store = opts.connections ?? memoryConnectionStore();
  const secrets = opts.secrets ?? memorySecretStore();
  const live = new Map<string, Live>();
  const env = opts.env ?? process.env;
  let closed = false;

  const sandboxUrl = opts.sandboxUrl ?? env.MESHDECK_EVENTSTORE_URL ?? null;
  const ready = (async () => {
    if (!sandboxUrl) return;
    const { url, password } = splitSecret(sandboxUrl, undefined);
    const record: ConnectionRecord = {
      id: 'sandbox', name: 'Sandbox event store', url, tls: { mode: 'prefer' }, schema: 'auto', mapping: null, statementTimeoutMs: 10_000, sandbox: true,
    };
    await store.put(record);
    if (password) await secrets.set(passwordKey(record.id), password);
  })();

  async function record(id: string): Promise<ConnectionRecord> {
    await ready;
    const r = (await store.list()).find((x) => x.id === id);
    if (!r) throw new ApiError('NOT_FOUND', `No event store connection ${JSON.stringify(id)}.`, { field: 'connectionId' });
    return r;
  }

  async function getLive(id: string): Promise<Live> {
    if (closed) throw new ApiError('NOT_CONNECTED', 'The event store service is shutting down.');
    const have = live.get(id);
    if (have) return have;
    const r = await record(id);
    const password = await secrets.get(passwordKey(id));
    const l: Live = {
      record: r,
      db: createDb({ url: r.url, password, tls: r.tls, statementTimeoutMs: r.statementTimeoutMs }),
      detection: null, tracker: null, trackerStore: null, store: null,
    };
    live.set(id, l);
    return l;
  }

  function detection(l: Live, signal: AbortSignal, refresh = false): Promise<Detection> {
    if (refresh || !l.detection) {
      const p = readCatalog(l.db, signal).then((cat) => detectFrom(cat, l.record.schema, l.record.mapping));
      l.detection = p;
      // A failed detection (server down, bad password) is not cached.
      p.catch(() => { if (l.detection === p) l.detection = null; });
    }
    return l.detection;
  }

  async function mapped(id: string, signal: AbortSignal): Promise<{ l: Live; store: MappedStore; det: Detection }> {
    const l = await getLive(id);
    const det = await detection(l, signal);
    if (!det.description) throw new ApiError('INVALID_CONFIG', det.result.message, { field: 'schema', details: { connectionId: id } });
    if (l.store?.desc !== det.description) l.store = new MappedStore(det.description, l.db);
    return { l, store: l.store, det };
  }

  const bounded = <T>(signal: AbortSignal, fn: (s: AbortSignal) => Promise<T>): Promise<T> => withDeadline(REQUEST_TIMEOUT_MS, signal, fn);

  return {
    async connections() {
      await ready;
      const rs = await store.list();
      return Promise.all(rs.map(async (r) => info(r, (await secrets.get(passwordKey(r.id))) !== null)));
    },
    async add(input) {
      await ready;
      const { url, password } = splitSecret(input.url, input.password);
      if (input.schema === 'custom' && !input.mapping) throw new ApiError('BAD_INPUT', 'Schema "custom" needs a mapping.', { field: 'mapping' });
      const r: ConnectionRecord = {
        id: randomUUID(), name: input.name, url, tls: tlsSchema.parse(input.tls), schema: input.schema, mapping: input.mapping ?? null,
        statementTimeoutMs: input.statementTimeoutMs, sandbox: false,
      };
      await store.put(r);
      if (password) await secrets.set(passwordKey(r.id), password);
      return info(r, Boolean(password));
    },
    async remove(id) {
      await record(id);
      const l = live.get(id);
      live.delete(id);
      await l?.db.close();
      await store.remove(id);
      await secrets.delete(passwordKey(id));
    },
    async test(input, signal) {
      let url: string;
      let password: string | null;
      let rec: Pick<ConnectionRecord, 'tls' | 'schema' | 'mapping' | 'statementTimeoutMs'>;
      if ('id' in input) {
        const r = await record(input.id);
        url = r.url;
        password = await secrets.get(passwordKey(r.id));
        rec = r;
      } else {
        const s = splitSecret(input.url, input.password);
        url = s.url;
        password = s.password;
        rec = { tls: tlsSchema.parse(input.tls), schema: input.schema, mapping: input.mapping ?? null, statementTimeoutMs: input.statementTimeoutMs };
      }
      const db = createDb({ url, password, tls: rec.tls, statementTimeoutMs: rec.statementTimeoutMs, applicationName: 'meshdeck (test)' });
      const s = withTimeout(15_000, signal);
      try {
        const t0 = performance.now();
        const rows = await db.query<{ version: string; db: string; usr: string; ro: string; st: string; ssl: boolean | null }>(
          `SELECT current_setting('server_version') AS version, current_database() AS db, current_user AS usr,
                  current_setting('transaction_read_only') AS ro, current_setting('statement_timeout') AS st,
                  (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl`,
          [], s, 'test connection');
        const latencyMs = Math.round(performance.now() - t0);
        const r = rows[0]!;
        const cat = await readCatalog(db, s);
        const det = detectFrom(cat, rec.schema, rec.mapping);
        return {
          ok: true, serverVersion: r.version, database: r.db, user: r.usr, readOnly: r.ro === 'on',
          statementTimeoutMs: rec.statementTimeoutMs, tls: r.ssl === true, latencyMs, detected: det.result,
        };
      } finally {
        await db.close();
      }
    },
    async detect(id, refresh, signal) {
      const l = await getLive(id);
      return bounded(signal, async (s) => (await detection(l, s, refresh)).result);
    },
    categories: (id, signal) => bounded(signal, async (s) => (await mapped(id, s)).store.categories(s)),
    streams: (id, query, exact, limit, signal) => bounded(signal, async (s) => (await mapped(id, s)).store.streams(query.trim(), exact, limit, s)),
    page: (id, scope, anchor, limit, filter, signal) => bounded(signal, async (s) => (await mapped(id, s)).store.page(scope, anchor, limit, filter, s)),
    event: (id, position, full, signal) => bounded(signal, async (s) => (await mapped(id, s)).store.event(position, full, s)),
    open: (id, signal) => bounded(signal, async (s) => {
      const l = await getLive(id);
      return { db: l.db, description: (await detection(l, s)).description };
    }),
    positions: (id, signal) => bounded(signal, async (s) => {
      const { l, store: st } = await mapped(id, s);
      // One tracker per connection: its memory of earlier samples is what lets a busy store's safe position advance.
      if (!l.tracker || l.trackerStore?.desc !== st.desc) {
        l.tracker = new SafePositionTracker(st);
        l.trackerStore = st;
        return l.tracker.settle(s, 300);
      }
      return l.tracker.sample(s);
    }),
    async tail(id, input, emit, signal) {
      const l = await getLive(id);
      await runTail({
        store: async () => {
          const m = await mapped(id, withTimeout(REQUEST_TIMEOUT_MS, signal));
          return m.store;
        },
        listenClient: () => l.db.openClient(),
        notifyChannels: (await detection(l, withTimeout(REQUEST_TIMEOUT_MS, signal)).catch(() => null))?.description?.notifyChannels ?? [],
        after: input.after !== undefined ? BigInt(input.after) : null,
        scope: input.scope,
        types: input.types,
        emit,
        signal,
      });
    },
    async close() {
      closed = true;
      const all = [...live.values()];
      live.clear();
      await Promise.all(all.map((l) => l.db.close()));
    },
  };
}

export { pgError };
export type { EventStoreConnectionInput };
