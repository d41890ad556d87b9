import { findTable, q, qt } from '../types';
import type { AdapterDescription, Catalog } from '../types';
import { isoSql, toRaw } from '../../../projections/types';
import type { ProgressCapability, ProgressSqlRow } from '../../../projections/types';

/**
 * Marten: one row per async shard in mt_event_progression (`Trip:All`, `Name:Shard:tenant`), the
 * daemon's HighWaterMark row (the safe, contiguous position), bookkeeping rows (HighWater*) that are
 * not shards. With EnableExtendedProgressionTracking the row also says agent_status / pause_reason /
 * failure_*; meshdeck shows them when the columns exist. A missing last_seq_id is "fully behind".
 */
export const martenProgress: ProgressCapability = (cat: Catalog, desc: AdapterDescription) => {
  const m = desc.mapping;
  const t = findTable(cat, 'mt_event_progression', m.eventTable.schema);
  if (!t) return null;
  const has = (c: string) => t.columns.has(c);
  const events = qt(m.eventTable.schema, m.eventTable.name);
  const prog = qt(t.schema, t.name);
  const status = has('agent_status') ? 'p.agent_status' : 'NULL';
  const failure = has('failure_category')
    ? `CASE WHEN p.failure_category IS NOT NULL THEN concat_ws(' ', p.failure_category, 'at', p.failure_event_sequence, '(' || p.failure_event_type || ')') END`
    : 'NULL';
  const pause = has('pause_reason') ? 'p.pause_reason' : 'NULL';
  const sql = `
    WITH hwm AS (SELECT last_seq_id FROM ${prog} WHERE name = 'HighWaterMark'),
         head AS (SELECT (SELECT e.seq_id FROM ${events} e ORDER BY e.seq_id DESC LIMIT 1) AS h)
    SELECT p.name::text AS name, p.last_seq_id::text AS checkpoint, head.h::text AS head,
           ${isoSql('p.last_updated')} AS last_updated,
           (${status})::text AS store_status,
           (${failure})::text AS error, (${pause})::text AS pause_reason,
           (SELECT extract(epoch FROM now() - e.${q('timestamp')})::float8 FROM ${events} e
             WHERE e.seq_id > coalesce(p.last_seq_id, 0) ORDER BY e.seq_id LIMIT 1) AS lag_seconds,
           (SELECT last_seq_id FROM hwm)::text AS hwm
    FROM ${prog} p CROSS JOIN head
    WHERE p.name NOT LIKE 'HighWater%'
    ORDER BY 1 LIMIT 2000`;
  const hwmOnly = `SELECT (SELECT last_seq_id FROM ${prog} WHERE name = 'HighWaterMark')::text AS hwm,
                          (SELECT e.seq_id FROM ${events} e ORDER BY e.seq_id DESC LIMIT 1)::text AS head`;
  return {
    info: { kind: 'marten', table: `${t.schema}.${t.name}`, note: 'Head = highest seq_id committed; safe = the daemon\'s HighWaterMark row (contiguous sequence). Extended tracking columns give agent status and failures.' },
    async read(db, signal) {
      const rows = await db.query<ProgressSqlRow & { hwm: string | null; pause_reason: string | null }>(sql, [], signal, 'read mt_event_progression');
      let safe = rows[0]?.hwm ?? null;
      let head = rows[0]?.head ?? null;
      if (rows.length === 0) {
        const r = (await db.query<{ hwm: string | null; head: string | null }>(hwmOnly, [], signal, 'read mt_event_progression'))[0];
        safe = r?.hwm ?? null;
        head = r?.head ?? null;
      }
      return {
        safe: safe ? BigInt(safe) : null,
        head: head ? BigInt(head) : null,
        rows: rows.map((r) => {
          const raw = toRaw(r);
          const st = (r.store_status ?? '').toLowerCase();
          raw.failed = Boolean(r.error) || /fail|error|fault/.test(st);
          raw.stopped = !raw.failed && (/paus|stop/.test(st) || Boolean(r.pause_reason));
          if (!raw.error && r.pause_reason) raw.error = `paused: ${r.pause_reason}`;
          return raw;
        }),
        notes: safe === null ? [`No HighWaterMark row in ${t.name}: the async daemon has not run against this store.`] : [],
      };
    },
  };
};
