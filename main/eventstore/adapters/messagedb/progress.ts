import { qt } from '../types';
import type { AdapterDescription, Catalog } from '../types';
import { isoSql, toRaw } from '../../../projections/types';
import type { ProgressCapability, ProgressSource, ProgressSqlRow } from '../../../projections/types';
import type { Db } from '../../connection';

/**
 * Message DB (Eventide consumers): a checkpoint is a message of type Recorded (older: Updated) with
 * data.position in the stream `<category>:position-<consumer>`, written every 100 messages by
 * default — so a caught-up consumer can look up to 99 behind. The head of a consumer is the highest
 * global_position of ITS category (index messages_category), not of the whole store.
 *
 * Finding the consumers: the distinct categories are read with a loose index scan on the category
 * index (a hop per category), then the position streams of the `...:position` categories. Cached
 * for a minute: consumers come and go rarely.
 */
interface Consumer { stream: string; category: string }

const CACHE_MS = 60_000;

export const messageDbProgress: ProgressCapability = (cat: Catalog, desc: AdapterDescription): ProgressSource | null => {
  const m = desc.mapping;
  if (!m.category) return null;
  const table = qt(m.eventTable.schema, m.eventTable.name);
  const category = m.category; // over alias e; the indexed expression when message_store.category exists
  const indexed = category.includes('.category(');
  let cache: { at: number; consumers: Consumer[] } | null = null;

  async function consumers(db: Db, signal: AbortSignal): Promise<Consumer[]> {
    if (cache && Date.now() - cache.at < CACHE_MS) return cache.consumers;
    const cats = indexed
      ? await db.query<{ c: string }>(
        `WITH RECURSIVE c(v) AS (
           (SELECT ${category} FROM ${table} e ORDER BY 1 LIMIT 1)
           UNION ALL
           SELECT (SELECT ${category} FROM ${table} e WHERE ${category} > c.v ORDER BY 1 LIMIT 1) FROM c WHERE c.v IS NOT NULL)
         SELECT v::text AS c FROM c WHERE v IS NOT NULL AND v::text LIKE '%:position' LIMIT 1000`, [], signal, 'find Message DB consumers')
      : await db.query<{ c: string }>(
        `SELECT DISTINCT (${category})::text AS c FROM ${table} e WHERE e.stream_name LIKE '%:position-%' LIMIT 1000`, [], signal, 'find Message DB consumers');
    const out: Consumer[] = [];
    for (const { c } of cats) {
      const streams = await db.query<{ s: string }>(
        `SELECT DISTINCT e.stream_name::text AS s FROM ${table} e WHERE ${category} = $1 LIMIT 1000`, [c], signal, 'find Message DB consumers');
      for (const { s } of streams) out.push({ stream: s, category: c.replace(/:position$/, '') });
    }
    cache = { at: Date.now(), consumers: out };
    return out;
  }

  return {
    info: { kind: 'messagedb', table: `${m.eventTable.schema}.${m.eventTable.name} (position streams <category>:position-<consumer>)`, note: 'Checkpoint = data.position of the last Recorded message of the consumer\'s position stream (written every 100 messages by default); head = highest global_position of the consumer\'s category.' },
    async read(db, signal) {
      const list = await consumers(db, signal);
      if (list.length === 0) return { rows: [], notes: ['No position streams (<category>:position-<consumer>) found: no Eventide consumer has recorded a position yet.'] };
      const rows = await db.query<ProgressSqlRow>(
        `SELECT s.stream AS name, c.cp::text AS checkpoint, h.head::text AS head, ${isoSql(`(c.t AT TIME ZONE 'UTC')`)} AS last_updated,
                (SELECT extract(epoch FROM now() - (${m.time}))::float8 FROM ${table} e
                  WHERE ${category} = s.cat AND e.global_position > coalesce(c.cp, -1) ORDER BY e.global_position LIMIT 1) AS lag_seconds
         FROM unnest($1::text[], $2::text[]) AS s(stream, cat)
         LEFT JOIN LATERAL (
           SELECT (e.data::jsonb->>'position')::bigint AS cp, e.time AS t FROM ${table} e
           WHERE e.stream_name = s.stream AND e.type IN ('Recorded', 'Updated') ORDER BY e.position DESC LIMIT 1) c ON true
         LEFT JOIN LATERAL (SELECT (SELECT e.global_position FROM ${table} e WHERE ${category} = s.cat ORDER BY e.global_position DESC LIMIT 1) AS head) h ON true
         ORDER BY 1`,
        [list.map((c) => c.stream), list.map((c) => c.category)], signal, 'read Message DB positions');
      return { rows: rows.map(toRaw) };
    },
  };
};
