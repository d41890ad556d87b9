import { findTable, missingColumns, qt } from '../types';
import type { AdapterFamily } from '../types';

/**
 * Eventuous: <schema>.messages (global_position identity) + <schema>.streams (stream_name ->
 * integer stream_id) + <schema>.checkpoints. `created` is a timestamp without time zone (UTC).
 * Categories follow the stream naming convention `<Category>-<id>`.
 */
const REQUIRED = ['message_id', 'message_type', 'stream_id', 'stream_position', 'global_position', 'json_data', 'created'];

export const eventuousFamily: AdapterFamily = {
  kind: 'eventuous',
  label: 'Eventuous',
  detect(cat) {
    const t = findTable(cat, 'messages', 'eventuous') ?? cat.tables.find((x) => x.name === 'messages' && x.columns.has('json_data'));
    if (!t) return null;
    const missing = missingColumns(t, REQUIRED);
    const streams = findTable(cat, 'streams', t.schema);
    if (missing.length > 1 || !streams || !streams.columns.has('stream_name')) return null;
    const ts = (t.columns.get('created') ?? '').includes('with time zone');
    return {
      score: 75 - missing.length * 20 + (findTable(cat, 'checkpoints', t.schema) ? 5 : 0),
      eventTable: `${t.schema}.${t.name}`,
      missing,
      describe: () => ({
        kind: 'eventuous',
        label: 'Eventuous',
        notifyChannels: cat.triggerChannels.get(`${t.schema}.${t.name}`) ?? [],
        gapNote: 'Eventuous takes global_position from an identity before commit and (before PR #424) has no gap protection of its own. meshdeck reads the tail only up to the safe position. Eventuous sends no notifications: the tail polls.',
        mapping: {
          eventTable: { schema: t.schema, name: t.name },
          joins: `JOIN ${qt(t.schema, 'streams')} s ON s.stream_id = e.stream_id`,
          where: null,
          positionColumn: 'global_position',
          sequence: null,
          streamId: 's.stream_name',
          streamFilter: (p) => `s.stream_name = ${p}`,
          streamIdColumn: null,
          category: `split_part(s.stream_name, '-', 1)`,
          version: 'e.stream_position',
          type: 'e.message_type',
          payload: 'e.json_data',
          payloadKind: 'jsonb',
          metadata: t.columns.has('json_metadata') ? 'e.json_metadata' : null,
          metadataKind: 'jsonb',
          time: ts ? 'e.created' : `(e.created AT TIME ZONE 'UTC')`,
          eventId: 'e.message_id',
          correlation: `e.json_metadata->>'$correlationId'`,
          causation: `e.json_metadata->>'$causationId'`,
          streamsTable: {
            from: `${qt(t.schema, 'streams')} s`,
            streamId: 's.stream_name',
            category: `split_part(s.stream_name, '-', 1)`,
            version: 's.version',
            where: null,
          },
        },
      }),
    };
  },
};
