import type { CustomMapping, DetectResult, SchemaKind } from '../../shared/contract/events';
import { ApiError } from '../../shared/errors';
import type { Db } from './connection';
import { FAMILIES, describeCustom, suggestMapping } from './adapters';
import type { AdapterDescription, Catalog, CatalogTable } from './adapters/types';

/** Reads the catalog once: tables we may SELECT with their columns, functions, NOTIFY-ing triggers. */
export async function readCatalog(db: Db, signal: AbortSignal): Promise<Catalog> {
  const rows = await db.query<{ schema: string; name: string; kind: string; rows: number; cols: [string, string][] }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
            CASE WHEN c.relkind = 'p'
                 THEN (SELECT coalesce(sum(greatest(k.reltuples, 0)), 0) FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid WHERE i.inhparent = c.oid)
                 ELSE greatest(c.reltuples, 0) END::float8 AS rows,
            coalesce((SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
                      FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS cols
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
       AND has_table_privilege(c.oid, 'SELECT')
     ORDER BY 4 DESC LIMIT 2000`,
    [], signal, 'read the catalog');
  const kinds: Record<string, CatalogTable['kind']> = { r: 'table', p: 'partitioned', v: 'view', m: 'matview', f: 'foreign' };
  const tables: CatalogTable[] = rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    kind: kinds[r.kind] ?? 'table',
    estimatedRows: Math.round(Number(r.rows)),
    columns: new Map(r.cols),
  }));
  const fns = await db.query<{ f: string }>(
    `SELECT DISTINCT n.nspname || '.' || p.proname AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') LIMIT 5000`, [], signal, 'read the catalog');
  const trig = await db.query<{ tbl: string; src: string }>(
    `SELECT n.nspname || '.' || c.relname AS tbl, p.prosrc AS src
     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE NOT t.tgisinternal AND (p.prosrc ILIKE '%pg_notify%' OR p.prosrc ILIKE '%notify %')`, [], signal, 'read the catalog');
  const triggerChannels = new Map<string, string[]>();
  for (const t of trig) {
    const found = new Set<string>();
    for (const m of t.src.matchAll(/pg_notify\s*\(\s*'([^']+)'/gi)) found.add(m[1]!);
    for (const m of t.src.matchAll(/\bNOTIFY\s+"?([A-Za-z_][\w$]*)"?/gi)) found.add(m[1]!);
    if (found.size) triggerChannels.set(t.tbl, [...(triggerChannels.get(t.tbl) ?? []), ...found]);
  }
  const ver = await db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`, [], signal, 'read the catalog');
  return { tables, functions: new Set(fns.map((f) => f.f)), triggerChannels, serverVersion: ver[0]?.v ?? '' };
}

export interface Detection {
  result: DetectResult;
  description: AdapterDescription | null;
}

/** Picks the family (or the user's choice / mapping) and says what it found. */
export function detectFrom(cat: Catalog, choice: 'auto' | SchemaKind, mapping: CustomMapping | null): Detection {
  const tables = cat.tables.slice(0, 50).map((t) => ({ schema: t.schema, name: t.name, estimatedRows: t.estimatedRows, columns: [...t.columns.keys()] }));
  const hits = FAMILIES.map((f) => ({ f, hit: f.detect(cat) }))
    .filter((x): x is { f: (typeof FAMILIES)[number]; hit: NonNullable<ReturnType<(typeof FAMILIES)[number]['detect']>> } => x.hit !== null)
    .sort((a, b) => b.hit.score - a.hit.score);
  const candidates = hits.map(({ f, hit }) => ({ kind: f.kind, label: f.label, score: hit.score, eventTable: hit.eventTable, missing: hit.missing }));
  const base = { candidates, tables, serverVersion: cat.serverVersion };

  let description: AdapterDescription | null = null;
  if (choice === 'custom' || (choice === 'auto' && mapping)) {
    if (!mapping) throw new ApiError('INVALID_CONFIG', 'Schema "custom" needs a mapping: the table and its columns.', { field: 'mapping' });
    description = describeCustom(cat, mapping);
  } else if (choice !== 'auto') {
    const h = hits.find((x) => x.f.kind === choice);
    if (!h) {
      const fam = FAMILIES.find((f) => f.kind === choice);
      return {
        description: null,
        result: {
          ...base, kind: null, label: fam?.label ?? choice, eventTable: null, notifyChannels: [], gapNote: '',
          message: `This database does not hold a ${fam?.label ?? choice} event store. ${summary(cat)}`,
          suggestedMapping: suggestMapping(cat),
        },
      };
    }
    description = h.hit.describe();
  } else if (hits[0]) {
    description = hits[0].hit.describe();
  }

  if (!description) {
    return {
      description: null,
      result: {
        ...base, kind: null, label: 'Unknown', eventTable: null, notifyChannels: [], gapNote: '',
        message: `No known event store schema (classic, Message DB, Marten, Emmett, Eventuous) was found. ${summary(cat)} Map a table yourself.`,
        suggestedMapping: suggestMapping(cat),
      },
    };
  }
  const top = hits.find((h) => h.f.kind === description.kind);
  const missing = top?.hit.missing ?? [];
  const table = `${description.mapping.eventTable.schema}.${description.mapping.eventTable.name}`;
  const rows = cat.tables.find((t) => `${t.schema}.${t.name}` === table)?.estimatedRows ?? 0;
  return {
    description,
    result: {
      ...base,
      kind: description.kind,
      label: description.label,
      eventTable: table,
      message: `${description.label} store: ${table}, about ${rows.toLocaleString('en-US')} events.${missing.length ? ` Missing: ${missing.join(', ')}.` : ''}`,
      suggestedMapping: null,
      notifyChannels: description.notifyChannels,
      gapNote: description.gapNote,
    },
  };
}

function summary(cat: Catalog): string {
  if (cat.tables.length === 0) return 'The database has no tables this user can read.';
  const names = cat.tables.slice(0, 8).map((t) => `${t.schema}.${t.name} (~${t.estimatedRows.toLocaleString('en-US')} rows)`);
  return `Found ${cat.tables.length} table${cat.tables.length === 1 ? '' : 's'}: ${names.join(', ')}${cat.tables.length > 8 ? ', ...' : ''}.`;
}
