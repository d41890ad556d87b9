import { findTable, qt } from '../types';
import type { AdapterDescription, Catalog } from '../types';
import { isoSql, toRaw } from '../../../projections/types';
import type { ProgressCapability, ProgressSqlRow } from '../../../projections/types';

/**
 * Emmett: emt_processors (0.42+) keeps `last_processed_checkpoint` as text
 * "<20-digit xid>:<19-digit global_position>" (older rows: the padded position alone) and a status;
 * consumers read in (transaction_id, global_position) order, so the first unprocessed message is
 * found on idx_messages_transaction_id_global_position. NB: last_processed_transaction_id is the
 * transaction that STORED the checkpoint, not the checkpoint's own: it is not used.
 * Before 0.42: emt_subscriptions(last_processed_position bigint).
 */
export const emmettProgress: ProgressCapability = (cat: Catalog, desc: AdapterDescription) => {
  const m = desc.mapping;
  const schema = m.eventTable.schema;
  const events = qt(schema, m.eventTable.name);
  const live = m.where ? `AND ${m.where}` : '';
  const head = `(SELECT e.global_position FROM ${events} e WHERE e.partition = p.partition ${live} ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1)`;
  const label = (id: string) => `${id} || CASE WHEN p.partition <> 'emt:default' THEN ' [' || p.partition || ']' ELSE '' END || CASE WHEN p.version <> 1 THEN ' v' || p.version ELSE '' END`;
  const proc = findTable(cat, 'emt_processors', schema);
  if (proc) {
    const sql = `
      SELECT x.name, x.cp::text AS checkpoint, x.head::text AS head, x.last_updated, x.store_status,
             CASE WHEN x.cp_tx IS NOT NULL
                  THEN (SELECT extract(epoch FROM now() - e.created)::float8 FROM ${events} e
                         WHERE e.partition = x.partition ${live} AND (e.transaction_id, e.global_position) > (x.cp_tx, x.cp)
                         ORDER BY e.transaction_id, e.global_position LIMIT 1)
                  ELSE (SELECT extract(epoch FROM now() - e.created)::float8 FROM ${events} e
                         WHERE e.partition = x.partition ${live} AND e.global_position > x.cp ORDER BY e.global_position LIMIT 1) END AS lag_seconds
      FROM (
        SELECT ${label('p.processor_id')} AS name, p.partition, p.status AS store_status, ${isoSql('p.last_updated')} AS last_updated,
               CASE WHEN p.last_processed_checkpoint LIKE '%:%' THEN split_part(p.last_processed_checkpoint, ':', 1)::numeric::text::xid8 END AS cp_tx,
               (CASE WHEN p.last_processed_checkpoint LIKE '%:%' THEN split_part(p.last_processed_checkpoint, ':', 2) ELSE nullif(p.last_processed_checkpoint, '') END)::numeric::bigint AS cp,
               ${head} AS head
        FROM ${qt(proc.schema, proc.name)} p
      ) x ORDER BY 1 LIMIT 2000`;
    return {
      info: { kind: 'emmett', table: `${proc.schema}.${proc.name}`, note: 'Head = last (transaction_id, global_position) of the partition; checkpoints parsed from last_processed_checkpoint; lag in seconds from the first message after it in transaction order.' },
      async read(db, signal) {
        const rows = await db.query<ProgressSqlRow>(sql, [], signal, 'read emt_processors');
        return {
          rows: rows.map((r) => {
            const raw = toRaw(r);
            const st = (r.store_status ?? '').toLowerCase();
            raw.failed = /fail|error|fault/.test(st);
            raw.stopped = !raw.failed && /stop|paus|idle/.test(st);
            if (raw.failed) raw.error = `status ${r.store_status}`;
            return raw;
          }),
        };
      },
    };
  }
  const subs = findTable(cat, 'emt_subscriptions', schema);
  if (subs) {
    const sql = `
      SELECT ${label('p.subscription_id')} AS name, p.last_processed_position::text AS checkpoint, ${head}::text AS head,
             NULL::text AS last_updated,
             (SELECT extract(epoch FROM now() - e.created)::float8 FROM ${events} e
               WHERE e.partition = p.partition ${live} AND e.global_position > p.last_processed_position ORDER BY e.global_position LIMIT 1) AS lag_seconds
      FROM ${qt(subs.schema, subs.name)} p ORDER BY 1 LIMIT 2000`;
    return {
      info: { kind: 'emmett', table: `${subs.schema}.${subs.name}`, note: 'Emmett before 0.42: emt_subscriptions.last_processed_position against the highest global_position of the partition.' },
      async read(db, signal) {
        return { rows: (await db.query<ProgressSqlRow>(sql, [], signal, 'read emt_subscriptions')).map(toRaw) };
      },
    };
  }
  return null;
};
