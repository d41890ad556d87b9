import type { CustomMapping, SchemaKind } from '../../../shared/contract/events';

/** What detection reads once from the catalog: every table with its columns. */
export interface CatalogTable {
  schema: string;
  name: string;
  kind: 'table' | 'partitioned' | 'view' | 'matview' | 'foreign';
  estimatedRows: number;
  columns: Map<string, string>; // name -> formatted type
}

export interface Catalog {
  tables: CatalogTable[];
  functions: Set<string>; // 'schema.name'
  /** Channels found in pg_notify('<channel>', ...) calls of trigger functions, per table 'schema.name'. */
  triggerChannels: Map<string, string[]>;
  serverVersion: string;
}

export function findTable(cat: Catalog, name: string, schema?: string): CatalogTable | undefined {
  const hits = cat.tables.filter((t) => t.name === name && (schema === undefined || t.schema === schema));
  return hits.find((t) => t.schema === 'public') ?? hits[0];
}

export function missingColumns(t: CatalogTable, cols: string[]): string[] {
  return cols.filter((c) => !t.columns.has(c));
}

export type ValueKind = 'jsonb' | 'json' | 'text' | 'bytea';

/**
 * How one store lays its events out, as SQL expressions over the event table aliased `e`
 * (plus optional joins). One generic engine (mapped.ts) turns this into every query the browser
 * needs, so a family is mostly this description plus its detection rule.
 */
export interface EventMapping {
  /** The event table, quoted, with alias: `"public"."events" e`. */
  eventTable: { schema: string; name: string };
  /** Extra joins after the event table (e.g. Eventuous streams for the stream name). */
  joins: string;
  /** Always-on predicate (Emmett: live rows only). */
  where: string | null;
  /** Bigint global order column on the event table (a plain column: keyset paging uses its index). */
  positionColumn: string;
  /** Sequence feeding the position, if we know it (else looked up with pg_get_serial_sequence). */
  sequence: string | null;
  streamId: string;
  /** Indexed expression used for `stream = $1` (with a cast if the column is not text). */
  streamFilter: (param: string) => string;
  /** A plain column holding the stream id, for prefix search with an index range (null: none). */
  streamIdColumn: string | null;
  category: string | null;
  version: string;
  type: string;
  payload: string;
  payloadKind: ValueKind;
  metadata: string | null;
  metadataKind: ValueKind;
  /** A timestamptz expression. */
  time: string;
  eventId: string | null;
  correlation: string | null;
  causation: string | null;
  /** Optional table of streams for prefix search and stream heads. */
  streamsTable: null | {
    from: string; // with alias s
    streamId: string;
    category: string | null;
    version: string;
    where: string | null;
  };
}

export interface AdapterDescription {
  kind: SchemaKind;
  label: string;
  mapping: EventMapping;
  notifyChannels: string[];
  gapNote: string;
}

export interface DetectHit {
  score: number;
  eventTable: string;
  missing: string[];
  /** Builds the adapter description from the catalog (throws ApiError if unusable). */
  describe(): AdapterDescription;
}

/** One schema family: how to recognise it and how to describe it. Adding a family is adding a folder. */
export interface AdapterFamily {
  kind: SchemaKind;
  label: string;
  detect(cat: Catalog): DetectHit | null;
}

export type CustomFamily = (cat: Catalog, mapping: CustomMapping) => AdapterDescription;

export const q = (ident: string): string => `"${ident.replace(/"/g, '""')}"`;
export const qt = (schema: string, name: string): string => `${q(schema)}.${q(name)}`;
export const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** JSON key path -> `m->'a'->>'b'` over a JSON(B) expression. */
export function jsonText(expr: string, path: string): string {
  const parts = path.split('.');
  const last = parts.pop() as string;
  return `(${expr})${parts.map((p) => `->${lit(p)}`).join('')}->>${lit(last)}`;
}

/** A jsonb view of a column of any kind (for @> containment); null for non-JSON kinds. */
export function asJsonb(expr: string, kind: ValueKind): string | null {
  if (kind === 'jsonb') return expr;
  if (kind === 'json') return `(${expr})::jsonb`;
  return null;
}

export function asText(expr: string, kind: ValueKind): string {
  if (kind === 'bytea') return `encode(${expr}, 'escape')`;
  return `(${expr})::text`;
}
