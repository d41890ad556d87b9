import { findTable, q, qt } from '../types';
import type { AdapterDescription, Catalog, CatalogTable } from '../types';
import { isoSql, toRaw } from '../../../projections/types';
import type { ProgressCapability, ProgressSource, ProgressSqlRow } from '../../../projections/types';

/**
 * Checkpoints kept in a plain table next to the events (the classic schema's
 * projection_checkpoints(name, position, updated_at), and any store mapped by hand that has one).
 * One statement: the head once, then per checkpoint one index probe for the first event after it
 * (its time is the lag in seconds).
 */
const NAME = ['name', 'projection', 'projection_name', 'subscription_id', 'id'];
const POSITION = ['position', 'last_position', 'checkpoint', 'last_processed_position'];
const UPDATED = ['updated_at', 'last_updated', 'updated'];

export function checkpointColumns(t: CatalogTable): { name: string; position: string; updated: string | null } | null {
  const name = NAME.find((c) => t.columns.has(c));
  const position = POSITION.find((c) => t.columns.has(c) && /^(bigint|integer|numeric)/.test(t.columns.get(c) ?? ''));
  if (!name || !position) return null;
  return { name, position, updated: UPDATED.find((c) => t.columns.has(c)) ?? null };
}

export function checkpointTableSource(desc: AdapterDescription, t: CatalogTable, note: string): ProgressSource | null {
  const cols = checkpointColumns(t);
  if (!cols) return null;
  const m = desc.mapping;
  const events = qt(m.eventTable.schema, m.eventTable.name);
  const pos = `e.${q(m.positionColumn)}`;
  const where = m.where ? `AND ${m.where}` : '';
  const cp = `p.${q(cols.position)}`;
  const sql = `
    SELECT (p.${q(cols.name)})::text AS name, (${cp})::text AS checkpoint, h.head::text AS head,
           ${cols.updated ? isoSql(`p.${q(cols.updated)}`) : 'NULL::text'} AS last_updated,
           (SELECT extract(epoch FROM now() - (${m.time}))::float8 FROM ${events} e
             WHERE ${pos} > coalesce(${cp}, -1) ${where} ORDER BY ${pos} LIMIT 1) AS lag_seconds
    FROM ${qt(t.schema, t.name)} p
    CROSS JOIN (SELECT (SELECT ${pos} FROM ${events} e WHERE true ${where} ORDER BY ${pos} DESC LIMIT 1) AS head) h
    ORDER BY 1 LIMIT 2000`;
  return {
    info: { kind: desc.kind, table: `${t.schema}.${t.name}`, note },
    async read(db, signal) {
      const rows = await db.query<ProgressSqlRow>(sql, [], signal, 'read projection checkpoints');
      return { rows: rows.map(toRaw) };
    },
  };
}

export const classicProgress: ProgressCapability = (cat: Catalog, desc: AdapterDescription) => {
  const t = findTable(cat, 'projection_checkpoints', desc.mapping.eventTable.schema) ?? findTable(cat, 'projection_checkpoints');
  if (!t) return null;
  return checkpointTableSource(desc, t, 'Head = highest committed global_position; lag in seconds = age of the first event after the checkpoint.');
};
