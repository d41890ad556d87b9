import { findTable, missingColumns, qt } from '../types';
import type { AdapterFamily } from '../types';

/** meshdeck's own schema (BRIEF): events + snapshots + projection_checkpoints + saga_state + idempotency_keys. */
const REQUIRED = ['global_position', 'stream_id', 'stream_type', 'version', 'event_type', 'payload', 'metadata', 'created_at'];
const COMPANIONS = ['snapshots', 'projection_checkpoints', 'saga_state', 'idempotency_keys'];

export const classicFamily: AdapterFamily = {
  kind: 'classic',
  label: 'Classic (meshdeck)',
  detect(cat) {
    const t = findTable(cat, 'events');
    if (!t) return null;
    const missing = missingColumns(t, REQUIRED);
    if (missing.length > 2) return null;
    const companions = COMPANIONS.filter((n) => findTable(cat, n, t.schema)).length;
    const triggerChannels = cat.triggerChannels.get(`${t.schema}.${t.name}`) ?? [];
    return {
      score: 60 - missing.length * 20 + companions * 5,
      eventTable: `${t.schema}.${t.name}`,
      missing,
      describe: () => ({
        kind: 'classic',
        label: 'Classic (meshdeck)',
        notifyChannels: [...new Set(['events_appended', ...triggerChannels])],
        gapNote: 'global_position is a bigserial: positions are handed out before commit, so a later position can become visible first. meshdeck reads the live tail only up to the safe position (no writer still in flight below it).',
        mapping: {
          eventTable: { schema: t.schema, name: t.name },
          joins: '',
          where: null,
          positionColumn: 'global_position',
          sequence: null,
          streamId: 'e.stream_id',
          streamFilter: (p) => `e.stream_id = ${p}`,
          streamIdColumn: 'stream_id',
          category: 'e.stream_type',
          version: 'e.version',
          type: 'e.event_type',
          payload: 'e.payload',
          payloadKind: t.columns.get('payload') === 'json' ? 'json' : 'jsonb',
          metadata: 'e.metadata',
          metadataKind: t.columns.get('metadata') === 'json' ? 'json' : 'jsonb',
          time: 'e.created_at',
          eventId: `e.metadata->>'event_id'`,
          correlation: `e.metadata->>'correlation_id'`,
          causation: `e.metadata->>'causation_id'`,
          streamsTable: null,
        },
      }),
    };
  },
};

export const classicTable = (schema: string) => qt(schema, 'events');
