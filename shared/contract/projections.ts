import { z } from 'zod';
import { request, subscription } from './define';
import type { SchemaKind } from './events';

/**
 * Projections, sagas, idempotency keys and consistency checks over an event store connection
 * (issue 7), plus the link to the mesh (which service owns which store). Every query meshdeck runs
 * is READ ONLY with a statement timeout. Positions travel as decimal strings (Postgres bigints).
 */

const connectionId = z.string().min(1).max(100);
const seconds = (def: number, max = 7 * 24 * 3600) => z.number().int().min(1).max(max).default(def);
const identifier = z.string().min(1).max(200).regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'a plain SQL identifier (letters, digits, _)');
const qualifiedName = z.string().min(1).max(400).regex(/^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/, 'table or schema.table');
const k8sName = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Kubernetes name (lower case, digits, - and .)');

// ---------------------------------------------------------------------------------------------
// Projections

/** Where the checkpoints of this store live (one per store family). */
export interface CheckpointSourceInfo {
  kind: SchemaKind;
  /** e.g. `public.projection_checkpoints`, `mt_event_progression`, `emt_processors`, position streams. */
  table: string;
  /** What "head" and "safe" mean for this store, in one sentence. */
  note: string;
}

export type ProjectionStatus = 'running' | 'caught-up' | 'lagging' | 'stalled' | 'failed' | 'stopped' | 'unknown';

export interface LagSample {
  /** Epoch ms. */
  t: number;
  checkpoint: string;
  head: string;
  /** head − checkpoint, in positions. */
  lag: number;
}

export interface ProjectionRow {
  /** Unique within the store: Marten shard name, Emmett processor id (+ partition/version when not default), Message DB consumer stream. */
  name: string;
  checkpoint: string | null;
  /** The head this projection reads towards (per category for Message DB). */
  head: string | null;
  /** Every event at or below it is committed or will never exist (null: unknown). */
  safe: string | null;
  /** head − checkpoint in positions (sequences may have gaps: an upper bound of the event count). */
  lagEvents: number | null;
  /** now − time of the first event after the checkpoint; 0 when caught up. */
  lagSeconds: number | null;
  /** Checkpoint advance in positions per second over the rate window (null until two samples). */
  rate: number | null;
  /** Head advance over the same window. */
  headRate: number | null;
  /** Seconds until caught up at the current rates; null when not catching up or unknown. */
  etaSeconds: number | null;
  /** Why there is no ETA: caught up, no history yet, or the head outruns the checkpoint. */
  etaNote: 'caught-up' | 'no-history' | 'falling-behind' | 'not-moving' | null;
  status: ProjectionStatus;
  /** Text the store itself keeps about the state (Emmett status, Marten agent_status / failure). */
  storeStatus: string | null;
  error: string | null;
  /** The store's own last update time of the checkpoint row (may be a heartbeat). */
  lastUpdated: string | null;
  /** Since when the checkpoint has not moved, from meshdeck's samples (null: it moved in the last sample or no history). */
  unchangedSince: string | null;
  /** Recent samples, oldest first (bounded ring kept in main). */
  trend: LagSample[];
}

export interface ProjectionsOverview {
  connectionId: string;
  kind: SchemaKind | null;
  label: string;
  sources: CheckpointSourceInfo[];
  /** Highest committed / safe / assigned positions of the whole store. */
  head: string | null;
  safe: string | null;
  assigned: string | null;
  projections: ProjectionRow[];
  /** Name of the projection furthest behind in seconds (then events), when any is behind. */
  laggard: string | null;
  stallAfterSec: number;
  /** Seconds of history used for the rate. */
  rateWindowSec: number;
  at: string;
  tookMs: number;
  /** Anything the user should know (no checkpoint table found, sampling...). */
  notes: string[];
}

export const overviewInput = z.object({
  connectionId,
  /** A projection behind the head whose checkpoint did not move for this long is "stalled". */
  stallAfterSec: seconds(60, 24 * 3600),
  /** Window for rates and ETA. */
  rateWindowSec: seconds(60, 3600),
}).strict();

export const historyInput = z.object({ connectionId, name: z.string().min(1).max(500) }).strict();

// ---------------------------------------------------------------------------------------------
// Sagas

export type SagaStatus = 'RUNNING' | 'COMPENSATING' | 'COMPLETED' | 'FAILED' | string;
export const SAGA_FILTERS = ['all', 'running', 'compensating', 'failed', 'completed', 'stuck'] as const;
export type SagaFilter = (typeof SAGA_FILTERS)[number];

export interface SagaSourceInfo {
  kind: 'classic' | 'axon';
  table: string;
  note: string;
}

export interface SagaSummary {
  source: 'classic' | 'axon';
  sagaId: string;
  sagaType: string;
  status: SagaStatus;
  currentStep: string | null;
  correlationId: string | null;
  startedAt: string | null;
  updatedAt: string | null;
  /** Running or compensating without progress for at least stuckAfterSec. */
  stuck: boolean;
  /** Seconds since the last update. */
  idleSeconds: number | null;
  /** Axon: association key=value pairs. */
  associations?: { key: string; value: string }[];
}

export interface SagaList {
  sources: SagaSourceInfo[];
  /** Counts per status (and stuck), over the whole table (estimated when huge). */
  counts: Record<string, number>;
  countsExact: boolean;
  sagas: SagaSummary[];
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: string | null;
  stuckAfterSec: number;
  tookMs: number;
  notes: string[];
}

export const sagasInput = z.object({
  connectionId,
  filter: z.enum(SAGA_FILTERS).default('all'),
  stuckAfterSec: seconds(300),
  /** Saga type, or a prefix of the saga id / correlation id. */
  search: z.string().max(500).default(''),
  limit: z.number().int().min(1).max(1000).default(200),
  cursor: z.string().max(600).optional(),
}).strict();

export type TimelineEntryKind = 'start' | 'step' | 'failure' | 'compensation' | 'completion' | 'pending' | 'event';

export interface TimelineEntry {
  kind: TimelineEntryKind;
  /** Event type or step name. */
  title: string;
  at: string | null;
  position: string | null;
  streamId: string | null;
  eventId: string | null;
  /** First characters of the payload. */
  preview: string | null;
  /** Seconds since the previous entry. */
  gapSeconds: number | null;
}

export interface SagaDetail {
  saga: SagaSummary;
  /** The saga's own state document (cut at 16 KiB). */
  state: string | null;
  timeline: TimelineEntry[];
  /** Timeline is capped; true when more correlated events exist. */
  truncated: boolean;
  /** How the events were found, e.g. `metadata->>'correlation_id' = corr-...`. */
  joinedOn: string;
  tookMs: number;
}

export const sagaInput = z.object({
  connectionId,
  source: z.enum(['classic', 'axon']).default('classic'),
  sagaId: z.string().min(1).max(500),
  stuckAfterSec: seconds(300),
}).strict();

export interface SagaFailureRate {
  connectionId: string;
  windowSec: number;
  finished: number;
  failed: number;
  /** failed / finished in the window (null when nothing finished). */
  rate: number | null;
  compensating: number;
  stuck: number;
}

export const sagaStatsInput = z.object({ connectionId, windowSec: seconds(900), stuckAfterSec: seconds(300) }).strict();

// ---------------------------------------------------------------------------------------------
// Idempotency keys

export interface IdempotencyKeyRow {
  key: string;
  status: string;
  createdAt: string | null;
  updatedAt: string | null;
  ageSeconds: number | null;
  /** Result JSON (cut at 2 KiB). */
  result: string | null;
}

export interface IdempotencyReport {
  table: string | null;
  counts: Record<string, number>;
  countsExact: boolean;
  processingOlderThanSec: number;
  stuckProcessing: IdempotencyKeyRow[];
  stuckProcessingTotal: number;
  failed: IdempotencyKeyRow[];
  tookMs: number;
  notes: string[];
}

export const idempotencyInput = z.object({
  connectionId,
  processingOlderThanSec: seconds(60),
  limit: z.number().int().min(1).max(500).default(100),
}).strict();

// ---------------------------------------------------------------------------------------------
// Consistency checks

/** A read model compared with its events: the row's status against the last event of its stream. */
export const readModelCheckSchema = z.object({
  kind: z.literal('read-model-status'),
  /** The read model table. */
  table: qualifiedName,
  /** Column holding the stream id of the row's aggregate. */
  streamIdColumn: identifier,
  statusColumn: identifier,
  /** Optional column with the stream version the row was built from. */
  versionColumn: identifier.optional(),
  /** Event type -> the status the read model must show after it. Types not listed keep the previous status. */
  statusByEventType: z.record(z.string().min(1).max(200), z.string().max(200)),
  /** The projection writing the read model: events after its checkpoint are lag, not a mismatch. */
  projection: z.string().min(1).max(500).optional(),
}).strict();
export type ReadModelCheck = z.output<typeof readModelCheckSchema>;

export const consistencyInput = z.object({
  connectionId,
  /** A built-in check id (see projections.consistencyChecks) ... */
  checkId: z.string().min(1).max(200).optional(),
  /** ... or a check of your own. */
  check: readModelCheckSchema.optional(),
  /** Rows compared at most; above it the read model is sampled. */
  sampleSize: z.number().int().min(10).max(100_000).default(2000),
}).strict();

export interface ConsistencyCheckInfo {
  id: string;
  label: string;
  description: string;
  check: ReadModelCheck | null;
}

export type MismatchKind = 'status' | 'version' | 'missing-row' | 'missing-stream' | 'saga-last-event';

export interface Mismatch {
  kind: MismatchKind;
  key: string;
  streamId: string | null;
  expected: string | null;
  actual: string | null;
  /** The event the expectation comes from. */
  position: string | null;
  eventType: string | null;
}

export interface ConsistencyResult {
  checkId: string;
  label: string;
  /** Rows in the read model (estimated when sampled). */
  population: number;
  populationExact: boolean;
  /** Rows actually compared. */
  sampled: number;
  method: 'full' | 'tablesample' | 'random-keys';
  mismatches: Mismatch[];
  mismatchCount: number;
  /** Rows skipped because their stream moved past the projection's checkpoint (lag, not an error). */
  skippedInLag: number;
  checkpoint: string | null;
  at: string;
  tookMs: number;
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Mesh link: which service owns which store; lag badges for the graph; gates for the canary.

export interface ServiceOwner {
  namespace: string;
  service: string;
  connectionId: string;
  /** Only these projections count for the badge (empty: all). */
  projections: string[];
}

export const setOwnerInput = z.object({
  namespace: k8sName,
  service: k8sName,
  /** null removes the association. */
  connectionId: connectionId.nullable(),
  projections: z.array(z.string().min(1).max(500)).max(100).default([]),
}).strict();

export interface LagBadge {
  namespace: string;
  service: string;
  connectionId: string;
  /** Worst lag among the owned projections. */
  maxLagEvents: number | null;
  maxLagSeconds: number | null;
  laggard: string | null;
  stalled: number;
  failed: number;
  /** ok: all caught up or within 10 s; warn: behind; bad: stalled, failed or > 5 min behind; unknown: store unreachable. */
  level: 'ok' | 'warn' | 'bad' | 'unknown';
  /** One line for a tooltip. */
  text: string;
  error: string | null;
  at: string;
}

export const projectionsContract = {
  'projections.overview': request(overviewInput, 'Every projection / processor / consumer of the store: checkpoint, head, safe, lag in events and seconds, rate, ETA, status; one sample is added to the trend.').returns<ProjectionsOverview>(),
  'projections.watch': subscription(
    overviewInput.extend({ intervalSec: z.number().min(1).max(300).default(5) }),
    'The projections overview pushed every intervalSec (errors are pushed as an overview-less status and the watch keeps trying).',
  ).emits<{ kind: 'overview'; overview: ProjectionsOverview } | { kind: 'error'; message: string; code: string; at: string }>(),
  'projections.history': request(historyInput, 'The lag samples kept for one projection (the ring is bounded; history starts when meshdeck first looked).').returns<LagSample[]>(),
  'projections.sagas': request(sagasInput, 'Saga instances (classic saga_state; Axon saga_entry where present) with counts and filters; newest activity first.').returns<SagaList>(),
  'projections.saga': request(sagaInput, 'One saga: its state and a timeline of the events sharing its correlation id, failures and compensations marked.').returns<SagaDetail>(),
  'projections.sagaStats': request(sagaStatsInput, 'Saga failure rate over a window (failed / finished), compensating and stuck counts.').returns<SagaFailureRate>(),
  'projections.idempotency': request(idempotencyInput, 'Idempotency keys: counts by status, PROCESSING older than N, FAILED with their results.').returns<IdempotencyReport>(),
  'projections.consistencyChecks': request(z.object({ connectionId }).strict(), 'Consistency checks this store supports (built in, from the tables found).').returns<ConsistencyCheckInfo[]>(),
  'projections.consistency': request(consistencyInput, 'Run a consistency check: a read model compared with its events, sampled on big stores; mismatches listed.').returns<ConsistencyResult>(),
  'projections.owners': request(z.object({}).strict(), 'Which mesh service owns which event store connection.').returns<ServiceOwner[]>(),
  'projections.setOwner': request(setOwnerInput, 'Associate a mesh service with an event store connection (null connectionId removes it).').returns<ServiceOwner[]>(),
  'projections.badges': request(z.object({}).strict(), 'Projection lag per associated service, for the graph to badge.').returns<LagBadge[]>(),
} as const;
