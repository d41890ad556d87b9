import { z } from 'zod';
import { request, subscription } from './define';
import type { ApiErrorShape } from '../errors';

/**
 * Event store browsing (issue 6). Every session meshdeck opens on a user's store is READ ONLY with a
 * statement timeout. Positions travel as decimal strings: Postgres bigints do not fit a JS number.
 */

export const SCHEMA_KINDS = ['classic', 'messagedb', 'marten', 'emmett', 'eventuous', 'custom'] as const;
export type SchemaKind = (typeof SCHEMA_KINDS)[number];

const positionString = z.string().regex(/^\d{1,19}$/, 'a position is a non-negative integer');
const connectionId = z.string().min(1).max(100);
const identifier = z.string().min(1).max(200).regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'a plain SQL identifier (letters, digits, _)');
const qualifiedName = z.string().min(1).max(400).regex(/^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/, 'table or schema.table');
/** A dotted path inside a JSON column, e.g. `correlation_id` or `$correlationId` or `trace.causation`. */
const jsonPath = z.string().min(1).max(200).regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a dotted JSON key path');

export const tlsSchema = z.object({
  /** disable: plain TCP; require: TLS without verification; verify-ca / verify-full: check the chain (and the host name). */
  mode: z.enum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full']).default('prefer'),
  /** PEM of the CA that signed the server certificate (verify-ca / verify-full). */
  ca: z.string().max(100_000).optional(),
});
export type TlsOptions = z.output<typeof tlsSchema>;

export const customMappingSchema = z.object({
  table: qualifiedName,
  position: identifier,
  streamId: identifier,
  version: identifier,
  type: identifier,
  payload: identifier,
  metadata: identifier.optional(),
  time: identifier,
  eventId: identifier.optional(),
  /** A column holding the category / aggregate type; else the part of the stream id before the first '-'. */
  category: identifier.optional(),
  /** Where correlation and causation ids live inside the metadata JSON. */
  correlationPath: jsonPath.optional(),
  causationPath: jsonPath.optional(),
  /** A channel the store already NOTIFYs on appends (meshdeck only LISTENs). */
  notifyChannel: identifier.optional(),
}).strict();
export type CustomMapping = z.output<typeof customMappingSchema>;

const connectionInput = z.object({
  name: z.string().min(1).max(100),
  /** postgres://user[:password]@host[:port]/database[?sslmode=...] */
  url: z.string().min(1).max(2000),
  /** Kept apart from the URL so it never has to be written in a settings file. */
  password: z.string().max(1000).optional(),
  tls: tlsSchema.default({ mode: 'prefer' }),
  schema: z.enum(['auto', ...SCHEMA_KINDS]).default('auto'),
  mapping: customMappingSchema.optional(),
  statementTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
}).strict();
export type EventStoreConnectionInput = z.input<typeof connectionInput>;

export interface EventStoreConnectionInfo {
  id: string;
  name: string;
  /** The URL with the password masked: the renderer never sees a password. */
  url: string;
  hasPassword: boolean;
  tls: { mode: TlsOptions['mode']; hasCa: boolean };
  schema: 'auto' | SchemaKind;
  mapping: CustomMapping | null;
  statementTimeoutMs: number;
  /** Set by the demo: this connection is the sandbox store. */
  sandbox: boolean;
}

export interface TableFound {
  schema: string;
  name: string;
  estimatedRows: number;
  columns: string[];
}

export interface DetectResult {
  kind: SchemaKind | null;
  label: string;
  /** Human summary: what was found, what is missing. */
  message: string;
  eventTable: string | null;
  /** Every family that matched something, best first. */
  candidates: { kind: SchemaKind; label: string; score: number; eventTable: string; missing: string[] }[];
  /** Tables in the database (largest first, up to 50) for the "map it yourself" form. */
  tables: TableFound[];
  /** A mapping guessed from column names, offered when no family matched. */
  suggestedMapping: CustomMapping | null;
  /** LISTEN channels the store is known (or seen, via its triggers) to NOTIFY on. */
  notifyChannels: string[];
  /** How the global order column is made gap-safe by this store (for the positions panel). */
  gapNote: string;
  serverVersion: string;
}

export interface ConnectionTestResult {
  ok: true;
  serverVersion: string;
  database: string;
  user: string;
  /** The session really is read only (default_transaction_read_only = on). */
  readOnly: boolean;
  statementTimeoutMs: number;
  tls: boolean;
  latencyMs: number;
  detected: DetectResult;
}

export interface CategoryInfo {
  name: string;
  events: number;
  /** true: counted; false: estimated from a sample (no full COUNT on big tables). */
  exact: boolean;
}

export interface CategoriesResult {
  categories: CategoryInfo[];
  totalEvents: number;
  method: 'count' | 'sample';
  sampledRows: number;
}

export interface StreamInfo {
  streamId: string;
  category: string | null;
  version: string;
  lastPosition: string | null;
  lastTime: string | null;
}

export interface StreamsResult {
  mode: 'exact' | 'prefix' | 'recent';
  streams: StreamInfo[];
}

export interface EventSummary {
  position: string;
  streamId: string;
  category: string | null;
  version: string;
  type: string;
  time: string | null;
  eventId: string | null;
  correlationId: string | null;
  causationId: string | null;
  /** The first few hundred characters of the payload. */
  preview: string;
  /** Stored size of the payload (compressed size for big jsonb values). */
  payloadBytes: number;
}

export interface JsonBody {
  /** JSON text (or the raw text/bytes as text when the column is not JSON), possibly cut. */
  text: string;
  json: boolean;
  truncated: boolean;
  /** Full size in bytes of the text form. */
  bytes: number;
}

export interface EventDetail extends EventSummary {
  payload: JsonBody;
  metadata: JsonBody | null;
  causedBy: { position: string; streamId: string; type: string } | null;
  /** The causation id names an event we could not find (or could not look up in time). */
  causedByUnresolved: boolean;
}

export const scopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('category'), category: z.string().min(1).max(500) }).strict(),
  z.object({ kind: z.literal('stream'), streamId: z.string().min(1).max(1000) }).strict(),
]);
export type PageScope = z.output<typeof scopeSchema>;

export const anchorSchema = z.discriminatedUnion('kind', [
  /** The newest page. */
  z.object({ kind: z.literal('head') }).strict(),
  /** The oldest page. */
  z.object({ kind: z.literal('start') }).strict(),
  /** Older than / newer than a cursor (exclusive). In a stream scope cursors are versions. */
  z.object({ kind: z.literal('before'), value: positionString }).strict(),
  z.object({ kind: z.literal('after'), value: positionString }).strict(),
  /** Jump: the page starting at this position (or version) inclusive. */
  z.object({ kind: z.literal('at'), value: positionString }).strict(),
  /** Jump: the page starting at the first event at or after this time. */
  z.object({ kind: z.literal('time'), at: z.iso.datetime({ offset: true }) }).strict(),
]);
export type PageAnchor = z.output<typeof anchorSchema>;

const jsonObjectText = z.string().max(10_000).refine((s) => {
  try {
    const v: unknown = JSON.parse(s);
    return typeof v === 'object' && v !== null;
  } catch {
    return false;
  }
}, 'a JSON object or array, e.g. {"customerId":"cust-7"}');

export const filterSchema = z.object({
  types: z.array(z.string().min(1).max(500)).max(50).optional(),
  timeFrom: z.iso.datetime({ offset: true }).optional(),
  timeTo: z.iso.datetime({ offset: true }).optional(),
  correlationId: z.string().min(1).max(500).optional(),
  causationId: z.string().min(1).max(500).optional(),
  /** JSON containment (@>) on the payload / metadata. */
  payloadContains: jsonObjectText.optional(),
  metadataContains: jsonObjectText.optional(),
}).strict();
export type EventFilter = z.output<typeof filterSchema>;

export interface EventPage {
  events: EventSummary[];
  /** Pass to anchor {kind:'before'} / {kind:'after'} for the neighbouring pages; null at the ends. */
  before: string | null;
  after: string | null;
  hasBefore: boolean;
  hasAfter: boolean;
  /** A filtered scan stopped on its time budget before filling the page; `after`/`before` say where to go on. */
  partial: boolean;
  /** Positions (or versions) covered by this answer, for "searched up to N". */
  scannedFrom: string | null;
  scannedTo: string | null;
  tookMs: number;
}

export interface StorePositions {
  /** Highest position handed out by the sequence (null if the store has no sequence we can read). */
  assigned: string | null;
  /** Highest position visible (committed). */
  committed: string | null;
  /** Every event at or below this position is committed or will never exist: safe to read past. */
  safe: string | null;
  /** Transactions writing the event table right now. */
  writersInFlight: number;
  oldestWriterSince: string | null;
  method: 'writer-locks';
  at: string;
}

export type TailEvent =
  | { kind: 'events'; events: EventSummary[]; positions: StorePositions; after: string }
  | { kind: 'status'; state: 'listening' | 'polling' | 'reconnecting'; message: string; after: string | null; positions: StorePositions | null; error: ApiErrorShape | null };

export const eventsContract = {
  'events.connections': request(z.object({}).strict(), 'Event store connections (URLs with the password masked).').returns<EventStoreConnectionInfo[]>(),
  'events.addConnection': request(connectionInput, 'Add an event store connection; the password is kept apart from the URL.').returns<EventStoreConnectionInfo>(),
  'events.removeConnection': request(z.object({ id: connectionId }).strict(), 'Forget a connection and close its pool.').returns<{ id: string }>(),
  'events.testConnection': request(
    z.union([z.object({ id: connectionId }).strict(), connectionInput]),
    'Connect read-only, report server, user, TLS, latency and the detected schema. Takes a saved id or a draft.',
  ).returns<ConnectionTestResult>(),
  'events.detect': request(z.object({ connectionId, refresh: z.boolean().default(false) }).strict(), 'Which event store schema this database holds.').returns<DetectResult>(),
  'events.categories': request(z.object({ connectionId }).strict(), 'Categories / aggregate types with (estimated) event counts.').returns<CategoriesResult>(),
  'events.streams': request(
    z.object({ connectionId, query: z.string().max(1000).default(''), exact: z.boolean().default(false), limit: z.number().int().min(1).max(200).default(50) }).strict(),
    'Find streams by exact id or prefix; an empty query lists recently written streams.',
  ).returns<StreamsResult>(),
  'events.page': request(
    z.object({
      connectionId,
      scope: scopeSchema.default({ kind: 'all' }),
      anchor: anchorSchema.default({ kind: 'head' }),
      limit: z.number().int().min(1).max(500).default(100),
      filter: filterSchema.default({}),
    }).strict(),
    'One keyset page of the global log, a category or a stream, either direction, with filters.',
  ).returns<EventPage>(),
  'events.event': request(
    z.object({ connectionId, position: positionString, full: z.boolean().default(false) }).strict(),
    'One event with payload and metadata (cut at 64 KiB unless full), and the event that caused it.',
  ).returns<EventDetail>(),
  'events.positions': request(z.object({ connectionId }).strict(), 'Highest assigned, highest committed and safe position.').returns<StorePositions>(),
  'events.tail': subscription(
    z.object({
      connectionId,
      /** Resume after this position (exclusive); omitted: start at the current safe position. */
      after: positionString.optional(),
      scope: scopeSchema.default({ kind: 'all' }),
      types: z.array(z.string().min(1).max(500)).max(50).optional(),
    }).strict(),
    'Live tail: new events up to the safe position, LISTEN where the store notifies, else polling; survives reconnects without loss or duplicates.',
  ).emits<TailEvent>(),
} as const;
