import { findTable, missingColumns, qt } from '../types';
import type { AdapterFamily } from '../types';

/**
 * Marten: mt_events (seq_id from mt_events_sequence) + mt_streams (aggregate type, version).
 * Stream ids are uuid (or varchar with StreamIdentity.AsString); metadata lives in optional
 * columns correlation_id / causation_id / headers. LISTEN mt_events_appended when the app turned on
 * UseListenNotifyForEventAppends (polling otherwise).
 */
const REQUIRED = ['seq_id', 'id', 'stream_id', 'version', 'data', 'type', 'timestamp'];

export const martenFamily: AdapterFamily = {
  kind: 'marten',
  label: 'Marten',
  detect(cat) {
    const t = findTable(cat, 'mt_events');
    if (!t) return null;
    const missing = missingColumns(t, REQUIRED);
    if (missing.length > 1) return null;
    const streams = findTable(cat, 'mt_streams', t.schema);
    const uuidIds = (t.columns.get('stream_id') ?? '').startsWith('uuid');
    const tenant = t.columns.has('tenant_id') && streams?.columns.has('tenant_id');
    const archived = t.columns.has('is_archived');
    return {
      score: 80 - missing.length * 20 + (streams ? 10 : 0),
      eventTable: `${t.schema}.${t.name}`,
      missing: streams ? missing : [...missing, 'mt_streams'],
      describe: () => ({
        kind: 'marten',
        label: 'Marten',
        notifyChannels: [...new Set(['mt_events_appended', ...(cat.triggerChannels.get(`${t.schema}.${t.name}`) ?? [])])],
        gapNote: 'Marten takes seq_id from mt_events_sequence before commit; its async daemon keeps a HighWaterMark row in mt_event_progression. meshdeck reads the tail only up to the safe position.',
        mapping: {
          eventTable: { schema: t.schema, name: t.name },
          joins: streams ? `LEFT JOIN ${qt(t.schema, 'mt_streams')} s ON s.id = e.stream_id${tenant ? ' AND s.tenant_id = e.tenant_id' : ''}` : '',
          where: archived ? 'e.is_archived = false' : null,
          positionColumn: 'seq_id',
          sequence: `${t.schema}.mt_events_sequence`,
          streamId: 'e.stream_id',
          streamFilter: (p) => (uuidIds ? `e.stream_id = (CASE WHEN ${p} ~* '^[0-9a-f-]{32,36}$' THEN ${p}::uuid END)` : `e.stream_id = ${p}`),
          streamIdColumn: uuidIds ? null : 'stream_id',
          category: streams ? 's.type' : null,
          version: 'e.version',
          type: 'e.type',
          payload: 'e.data',
          payloadKind: 'jsonb',
          metadata: t.columns.has('headers') ? 'e.headers' : null,
          metadataKind: 'jsonb',
          time: 'e.timestamp',
          eventId: 'e.id',
          correlation: t.columns.has('correlation_id') ? 'e.correlation_id' : null,
          causation: t.columns.has('causation_id') ? 'e.causation_id' : null,
          streamsTable: streams ? {
            from: `${qt(t.schema, 'mt_streams')} s`,
            streamId: 's.id',
            category: 's.type',
            version: 's.version',
            where: streams.columns.has('is_archived') ? 's.is_archived = false' : null,
          } : null,
        },
      }),
    };
  },
};
