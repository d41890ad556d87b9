import { findTable, qt } from '../types';
import type { AdapterDescription, Catalog } from '../types';
import { toRaw } from '../../../projections/types';
import type { ProgressCapability, ProgressSqlRow } from '../../../projections/types';

/**
 * Eventuous: <schema>.checkpoints(id, position) — position NULL means nothing processed yet. The
 * end of $all is max(global_position) (what Eventuous' own gap metric uses). No update time is kept,
 * so stalls are seen only from meshdeck's own samples.
 */
export const eventuousProgress: ProgressCapability = (cat: Catalog, desc: AdapterDescription) => {
  const m = desc.mapping;
  const t = findTable(cat, 'checkpoints', m.eventTable.schema);
  if (!t || !t.columns.has('id') || !t.columns.has('position')) return null;
  const events = qt(m.eventTable.schema, m.eventTable.name);
  const sql = `
    SELECT c.id::text AS name, c.position::text AS checkpoint, h.head::text AS head, NULL::text AS last_updated,
           (SELECT extract(epoch FROM now() - (${m.time}))::float8 FROM ${events} e
             WHERE e.global_position > coalesce(c.position, -1) ORDER BY e.global_position LIMIT 1) AS lag_seconds
    FROM ${qt(t.schema, t.name)} c
    CROSS JOIN (SELECT (SELECT e.global_position FROM ${events} e ORDER BY e.global_position DESC LIMIT 1) AS head) h
    ORDER BY 1 LIMIT 2000`;
  return {
    info: { kind: 'eventuous', table: `${t.schema}.${t.name}`, note: 'Head = max(global_position) (end of $all); the checkpoints table keeps no time, so stalls come from meshdeck\'s samples.' },
    async read(db, signal) {
      return { rows: (await db.query<ProgressSqlRow>(sql, [], signal, 'read eventuous checkpoints')).map(toRaw) };
    },
  };
};
