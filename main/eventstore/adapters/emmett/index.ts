import { findTable, missingColumns, qt } from '../types';
import type { AdapterFamily, CatalogTable } from '../types';

/**
 * Emmett (event-driven-io): emt_messages (0.42+) or the older emt_events, both LIST-partitioned,
 * with emt_streams for the stream type. Global order for consumers is (transaction_id,
 * global_position) read below pg_snapshot_xmin; meshdeck browses by global_position and tails only
 * up to the safe position. Emmett polls; it sends no notifications.
 */
const NEW = { table: 'emt_messages', type: 'message_type', data: 'message_data', meta: 'message_metadata', id: 'message_id', seq: 'emt_global_message_position' };
const OLD = { table: 'emt_events', type: 'event_type', data: 'event_data', meta: 'event_metadata', id: 'event_id', seq: 'emt_global_event_position' };

function hit(t: CatalogTable, gen: typeof NEW) {
  return missingColumns(t, ['stream_id', 'stream_position', 'global_position', 'created', gen.type, gen.data, gen.meta]);
}

export const emmettFamily: AdapterFamily = {
  kind: 'emmett',
  label: 'Emmett',
  detect(cat) {
    const tn = findTable(cat, NEW.table);
    const to = findTable(cat, OLD.table);
    const t = tn ?? to;
    if (!t) return null;
    const gen = tn ? NEW : OLD;
    const missing = hit(t, gen);
    if (missing.length > 1) return null;
    const streams = findTable(cat, 'emt_streams', t.schema);
    const label = tn ? 'Emmett' : 'Emmett (emt_events, before 0.42)';
    return {
      score: 80 - missing.length * 20 + (streams ? 5 : 0),
      eventTable: `${t.schema}.${t.name}`,
      missing,
      describe: () => ({
        kind: 'emmett',
        label,
        notifyChannels: cat.triggerChannels.get(`${t.schema}.${t.name}`) ?? [],
        gapNote: 'Emmett consumers read (transaction_id, global_position) below pg_snapshot_xmin(pg_current_snapshot()). meshdeck browses by global_position and tails only up to the safe position.',
        mapping: {
          eventTable: { schema: t.schema, name: t.name },
          joins: streams ? `LEFT JOIN ${qt(t.schema, 'emt_streams')} s ON s.stream_id = e.stream_id AND s.partition = e.partition AND s.is_archived = false` : '',
          where: t.columns.has('is_archived') ? 'e.is_archived = false' : null,
          positionColumn: 'global_position',
          sequence: `${t.schema}.${gen.seq}`,
          streamId: 'e.stream_id',
          streamFilter: (p) => `e.stream_id = ${p}`,
          streamIdColumn: 'stream_id',
          category: streams ? 's.stream_type' : `split_part(e.stream_id, '-', 1)`,
          version: 'e.stream_position',
          type: `e.${gen.type}`,
          payload: `e.${gen.data}`,
          payloadKind: 'jsonb',
          metadata: `e.${gen.meta}`,
          metadataKind: 'jsonb',
          time: 'e.created',
          eventId: t.columns.has(gen.id) ? `e.${gen.id}` : null,
          correlation: `e.${gen.meta}->>'correlationId'`,
          causation: `e.${gen.meta}->>'causationId'`,
          streamsTable: streams ? {
            from: `${qt(t.schema, 'emt_streams')} s`,
            streamId: 's.stream_id',
            category: 's.stream_type',
            version: 's.stream_position',
            where: 's.is_archived = false',
          } : null,
        },
      }),
    };
  },
};
