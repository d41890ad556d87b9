/**
 * The "classic" event store schema (../shared/BRIEF.md): the product's own demo store.
 *
 * Choices, and why:
 * - `stream_id` uses the C collation so a prefix search (`LIKE 'order-12%'`) is an index range scan.
 * - Secondary indexes serve what the browser asks for: category (stream_type) and event type, each
 *   with global_position so keyset paging inside them stays an index scan; correlation and event id
 *   (both kept in metadata) for the "caused by" and correlation links.
 * - No trigger: the writer itself sends `pg_notify('events_appended', <stream_type>)` inside each
 *   append transaction (see domain.ts). meshdeck only LISTENs; it never installs anything.
 */
export const NOTIFY_CHANNEL = 'events_appended';

export const CLASSIC_TABLES_SQL = `
CREATE TABLE IF NOT EXISTS events (
  global_position bigserial PRIMARY KEY,
  stream_id       text COLLATE "C" NOT NULL,
  stream_type     text NOT NULL,
  version         bigint NOT NULL,
  event_type      text NOT NULL,
  payload         jsonb NOT NULL,
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);
CREATE TABLE IF NOT EXISTS snapshots (
  stream_id  text COLLATE "C" NOT NULL,
  version    bigint NOT NULL,
  state      jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, version)
);
CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name       text PRIMARY KEY,
  position   bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS saga_state (
  saga_id        text PRIMARY KEY,
  saga_type      text NOT NULL,
  status         text NOT NULL CHECK (status IN ('RUNNING', 'COMPENSATING', 'COMPLETED', 'FAILED')),
  current_step   text NOT NULL,
  state          jsonb NOT NULL DEFAULT '{}'::jsonb,
  correlation_id text NOT NULL,
  started_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key        text PRIMARY KEY,
  status     text NOT NULL CHECK (status IN ('PROCESSING', 'COMPLETED', 'FAILED')),
  result     jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
`;

/** Built after a bulk load (cheaper than maintaining them row by row). */
export const CLASSIC_INDEXES_SQL = [
  `CREATE INDEX IF NOT EXISTS events_stream_type_position ON events (stream_type, global_position)`,
  `CREATE INDEX IF NOT EXISTS events_event_type_position ON events (event_type, global_position)`,
  `CREATE INDEX IF NOT EXISTS events_correlation_id ON events ((metadata->>'correlation_id'))`,
  `CREATE INDEX IF NOT EXISTS events_event_id ON events ((metadata->>'event_id'))`,
  `CREATE INDEX IF NOT EXISTS saga_state_status ON saga_state (status, updated_at)`,
  `CREATE INDEX IF NOT EXISTS idempotency_keys_status ON idempotency_keys (status)`,
];

export const PROJECTIONS = ['order-summary', 'inventory-levels', 'customer-analytics'] as const;
/** The projection that falls behind on purpose. */
export const LAGGING_PROJECTION = 'customer-analytics';
