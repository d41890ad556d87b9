import { findTable, missingColumns } from '../types';
import type { AdapterFamily } from '../types';

/**
 * Message DB (Eventide): message_store.messages. Categories are the part of stream_name before the
 * first '-' (message_store.category(), which the messages_category index is built on).
 * `time` is a timestamp WITHOUT time zone holding UTC.
 */
const REQUIRED = ['global_position', 'position', 'time', 'stream_name', 'type', 'data', 'metadata', 'id'];

export const messageDbFamily: AdapterFamily = {
  kind: 'messagedb',
  label: 'Message DB',
  detect(cat) {
    const t = findTable(cat, 'messages', 'message_store') ?? findTable(cat, 'messages');
    if (!t) return null;
    const missing = missingColumns(t, REQUIRED);
    if (missing.length > 1) return null;
    const fn = cat.functions.has(`${t.schema}.category`) ? `${t.schema}.category(e.stream_name)` : `split_part(e.stream_name, '-', 1)`;
    return {
      score: (t.schema === 'message_store' ? 80 : 50) - missing.length * 20 + (cat.functions.has(`${t.schema}.write_message`) ? 10 : 0),
      eventTable: `${t.schema}.${t.name}`,
      missing,
      describe: () => ({
        kind: 'messagedb',
        label: 'Message DB',
        notifyChannels: cat.triggerChannels.get(`${t.schema}.${t.name}`) ?? [],
        gapNote: 'Message DB serialises writers per category (advisory lock), so a category is gap-safe; the global position may still have gaps and interleave across categories. Message DB sends no notifications: the tail polls.',
        mapping: {
          eventTable: { schema: t.schema, name: t.name },
          joins: '',
          where: null,
          positionColumn: 'global_position',
          sequence: null,
          streamId: 'e.stream_name',
          streamFilter: (p) => `e.stream_name = ${p}`,
          streamIdColumn: 'stream_name',
          category: fn,
          version: 'e.position',
          type: 'e.type',
          payload: 'e.data',
          payloadKind: t.columns.get('data') === 'json' ? 'json' : 'jsonb',
          metadata: 'e.metadata',
          metadataKind: t.columns.get('metadata') === 'json' ? 'json' : 'jsonb',
          time: `(e.time AT TIME ZONE 'UTC')`,
          eventId: 'e.id',
          correlation: `e.metadata->>'correlationStreamName'`,
          causation: `e.metadata->>'causationMessageGlobalPosition'`,
          streamsTable: null,
        },
      }),
    };
  },
};
