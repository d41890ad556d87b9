import type { CustomMapping } from '../../../../shared/contract/events';
import { ApiError } from '../../../../shared/errors';
import { jsonText, q } from '../types';
import type { AdapterDescription, Catalog, CatalogTable, CustomFamily, ValueKind } from '../types';

/**
 * A store meshdeck does not know: the user names the table and its columns. Every name is checked
 * against the catalog (and quoted), so the mapping can never inject SQL.
 */
function kindOf(type: string): ValueKind {
  if (type === 'jsonb') return 'jsonb';
  if (type === 'json') return 'json';
  if (type === 'bytea') return 'bytea';
  return 'text';
}

export function resolveTable(cat: Catalog, name: string): CatalogTable | undefined {
  const [a, b] = name.includes('.') ? name.split('.') : [undefined, name];
  return cat.tables.find((t) => t.name === b && (a === undefined ? true : t.schema === a) && (a !== undefined || t.schema === 'public'))
    ?? cat.tables.find((t) => t.name === b && (a === undefined || t.schema === a));
}

export const describeCustom: CustomFamily = (cat, m: CustomMapping): AdapterDescription => {
  const t = resolveTable(cat, m.table);
  if (!t) throw new ApiError('INVALID_CONFIG', `Custom mapping: table ${m.table} was not found (or is not readable).`, { field: 'mapping.table' });
  const fields = ['position', 'streamId', 'version', 'type', 'payload', 'metadata', 'time', 'eventId', 'category'] as const;
  for (const f of fields) {
    const col = m[f];
    if (col !== undefined && !t.columns.has(col)) {
      throw new ApiError('INVALID_CONFIG', `Custom mapping: ${t.schema}.${t.name} has no column "${col}" (for ${f}). Columns: ${[...t.columns.keys()].join(', ')}.`, { field: `mapping.${f}` });
    }
  }
  const posType = t.columns.get(m.position) ?? '';
  if (!/^(bigint|integer|smallint|numeric)/.test(posType)) {
    throw new ApiError('INVALID_CONFIG', `Custom mapping: the position column "${m.position}" is ${posType}; it must be an integer that grows with every append.`, { field: 'mapping.position' });
  }
  const timeType = t.columns.get(m.time) ?? '';
  const time = timeType.startsWith('timestamp with') ? `e.${q(m.time)}`
    : timeType.startsWith('timestamp') ? `(e.${q(m.time)} AT TIME ZONE 'UTC')`
    : timeType.startsWith('date') ? `e.${q(m.time)}::timestamptz`
    : `(e.${q(m.time)})::timestamptz`;
  const payloadKind = kindOf(t.columns.get(m.payload) ?? 'text');
  const metadataKind = m.metadata ? kindOf(t.columns.get(m.metadata) ?? 'text') : 'jsonb';
  const metaJson = m.metadata && (metadataKind === 'jsonb' || metadataKind === 'json') ? `e.${q(m.metadata)}` : null;
  const sid = `e.${q(m.streamId)}`;
  const sidText = (t.columns.get(m.streamId) ?? '').startsWith('text') || (t.columns.get(m.streamId) ?? '').startsWith('character');
  return {
    kind: 'custom',
    label: `Custom mapping (${t.schema}.${t.name})`,
    notifyChannels: [...new Set([...(m.notifyChannel ? [m.notifyChannel] : []), ...(cat.triggerChannels.get(`${t.schema}.${t.name}`) ?? [])])],
    gapNote: 'A custom store: meshdeck reads the tail only up to the safe position (no writer still in flight below it).',
    mapping: {
      eventTable: { schema: t.schema, name: t.name },
      joins: '',
      where: null,
      positionColumn: m.position,
      sequence: null,
      streamId: sid,
      streamFilter: (p) => (sidText ? `${sid} = ${p}` : `${sid}::text = ${p}`),
      streamIdColumn: sidText ? m.streamId : null,
      category: m.category ? `e.${q(m.category)}` : (sidText ? `split_part(${sid}, '-', 1)` : null),
      version: `e.${q(m.version)}`,
      type: `e.${q(m.type)}`,
      payload: `e.${q(m.payload)}`,
      payloadKind,
      metadata: m.metadata ? `e.${q(m.metadata)}` : null,
      metadataKind,
      time,
      eventId: m.eventId ? `e.${q(m.eventId)}` : null,
      correlation: metaJson && m.correlationPath ? jsonText(metaJson, m.correlationPath) : null,
      causation: metaJson && m.causationPath ? jsonText(metaJson, m.causationPath) : null,
      streamsTable: null,
    },
  };
};

/** Guess a mapping from column names, for the "unknown schema" screen. */
export function suggestMapping(cat: Catalog): CustomMapping | null {
  // Known names first, then a pattern over the column names (and types, for the time column).
  const pick = (t: CatalogTable, names: string[], re?: RegExp, type?: RegExp, not?: string) =>
    names.find((n) => t.columns.has(n) && n !== not) ??
    (re ? [...t.columns.entries()].find(([n, ty]) => n !== not && re.test(n) && (!type || type.test(ty)))?.[0] : undefined);
  const candidates = cat.tables
    .filter((t) => t.kind === 'table' || t.kind === 'partitioned' || t.kind === 'view')
    .map((t) => {
      const position = pick(t, ['global_position', 'position', 'seq_id', 'seq', 'sequence', 'global_index', 'id', 'event_number'], /(position|seq|index)$/, /^(bigint|integer)/);
      const streamId = pick(t, ['stream_id', 'stream_name', 'aggregate_id', 'aggregate_identifier', 'stream', 'entity_id', 'entity'], /(stream|aggregate|entity)/, undefined, position);
      const version = pick(t, ['version', 'stream_version', 'stream_position', 'aggregate_version', 'sequence_number', 'entity_version'], /(version|_position|sequence)/, /^(bigint|integer|smallint)/, position);
      const type = pick(t, ['event_type', 'type', 'message_type', 'payload_type', 'kind', 'name'], /(type|kind)$/);
      const payload = pick(t, ['payload', 'data', 'event_data', 'json_data', 'body', 'message_data'], /(data|payload|body)/);
      const time = pick(t, ['created_at', 'created', 'timestamp', 'time', 'occurred_at', 'recorded_at', 'time_stamp'], /./, /^timestamp/);
      return { t, position, streamId, version, type, payload, time };
    })
    .filter((c) => c.position && c.streamId && c.version && c.type && c.payload && c.time && c.position !== c.version)
    .sort((a, b) => b.t.estimatedRows - a.t.estimatedRows);
  const c = candidates[0];
  if (!c) return null;
  const metadata = pick(c.t, ['metadata', 'meta_data', 'event_metadata', 'json_metadata', 'headers']);
  const category = pick(c.t, ['stream_type', 'aggregate_type', 'category']);
  return {
    table: `${c.t.schema}.${c.t.name}`,
    position: c.position!, streamId: c.streamId!, version: c.version!, type: c.type!, payload: c.payload!, time: c.time!,
    ...(metadata ? { metadata, correlationPath: 'correlation_id', causationPath: 'causation_id' } : {}),
    ...(category ? { category } : {}),
  };
}
