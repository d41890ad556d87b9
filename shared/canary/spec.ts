/**
 * A canary run as the user defines it in the UI, and as it is stored (with its progress) in an
 * annotation on the routing object. Validated with zod on the way in (the `canary.start` channel)
 * and again when read back from the cluster, so a hand-edited annotation fails loudly, not oddly.
 * Shared with the renderer: no Node or DOM imports.
 */
import { z } from 'zod';

/** Flagger's defaults (reference: canary-anchors.md §1.1, §6). */
export const CANARY_DEFAULTS = {
  intervalSec: 60,
  threshold: 5,
  successRateMin: 99,
  latencyP99MaxMs: 500,
  windowSec: 60,
  stepWeights: [10, 20, 30, 40, 50],
  stepWeight: 10,
  maxWeight: 50,
} as const;

/** Where state and progress live on the routing object. */
export const CANARY_ANNOTATION = 'meshdeck.io/canary';
/** A label on the same object, so runs can be listed with a label selector instead of reading every route. */
export const CANARY_LABEL = 'meshdeck.io/canary';

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'not a Kubernetes namespace name');
const objectName = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'not a Kubernetes object name');
/** Destination names: an Istio subset or host, a Gateway API / SMI backend Service. */
const destinationName = z.string().min(1).max(253).regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'not a subset, host or service name');
/** Workload names go into PromQL label matchers (escaped there too); checked here so odd strings never get that far. */
const workloadName = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'not a workload name');

export const ROUTING_KINDS = ['VirtualService', 'HTTPRoute', 'TrafficSplit'] as const;
export type CanaryRoutingKind = (typeof ROUTING_KINDS)[number];

export const canaryTargetSchema = z
  .object({
    kind: z.enum(ROUTING_KINDS),
    namespace: dnsLabel,
    /** The routing object (VirtualService, HTTPRoute, TrafficSplit) whose weights the run drives. */
    name: objectName,
    /** The service the run is about (for the graph mark and the labels of the custom queries). */
    service: objectName,
    /** Destination names as the routing model names them: Istio subset (or host), or backend Service. */
    stable: destinationName,
    canary: destinationName,
  })
  .strict()
  .refine((t) => t.stable !== t.canary, { message: 'stable and canary must be different destinations', path: ['canary'] });

const thresholdRange = z
  .object({ min: z.number().finite().optional(), max: z.number().finite().optional() })
  .strict()
  .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'give a min, a max or both' })
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, { message: 'min must not exceed max' });

export type ThresholdRange = z.output<typeof thresholdRange>;

export const customMetricSchema = z
  .object({
    name: z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'use lower-case letters, digits and dashes'),
    /**
     * PromQL. Placeholders, replaced with escaped values: {{namespace}}, {{service}}, {{canary}}
     * and {{stable}} (workload names), {{window}} (e.g. 60s).
     */
    query: z.string().min(1).max(4000),
    thresholdRange: thresholdRange,
  })
  .strict();

/** An event store connection id (as `events.connections` lists it). */
const gateConnectionId = z
  .string({ error: 'pick an event store connection' })
  .min(1, 'pick an event store connection')
  .max(200, 'not an event store connection id');

/** Projection lag ≤ N events: the projection's checkpoint is at most maxLag positions behind the head it reads. */
export const projectionLagGateSchema = z
  .object({
    kind: z.literal('projectionLag'),
    connectionId: gateConnectionId,
    projection: z.string({ error: 'pick a projection' }).min(1, 'pick a projection').max(200, 'projection name too long (max 200)'),
    /** Pass while the projection is at most this many events behind. */
    maxLag: z
      .number({ error: 'give the max lag as a number of events' })
      .int('the max lag is a whole number of events')
      .min(0, 'the max lag cannot be negative'),
  })
  .strict();

/** Saga failure rate ≤ X %: failed / finished sagas (updated in the window), in percent. */
export const sagaFailureRateGateSchema = z
  .object({
    kind: z.literal('sagaFailureRate'),
    connectionId: gateConnectionId,
    /** Sagas that finished (completed or failed) in the last windowSec count. */
    windowSec: z
      .number({ error: 'give the window in seconds' })
      .int('the window is a whole number of seconds')
      .min(1, 'the window must be at least 1 s')
      .max(7 * 24 * 3600, 'the window is at most 7 days (604800 s)')
      .default(900),
    /** Pass while at most this % of the finished sagas failed. */
    maxPercent: z
      .number({ error: 'give the max failure rate in %' })
      .min(0, 'the max failure rate is between 0 and 100 %')
      .max(100, 'the max failure rate is between 0 and 100 %'),
    /** Fewer finished sagas than this in the window: the interval has no data (a rate of 1 in 2 says little). */
    minFinished: z
      .number({ error: 'give the minimum number of finished sagas' })
      .int('the minimum is a whole number of sagas')
      .min(1, 'the minimum number of finished sagas is at least 1')
      .default(1),
  })
  .strict();

export const GATE_KINDS = ['projectionLag', 'sagaFailureRate'] as const;
export type GateKind = (typeof GATE_KINDS)[number];

export const eventStoreGateSchema = z.discriminatedUnion('kind', [projectionLagGateSchema, sagaFailureRateGateSchema], {
  error: `the gate kind must be one of ${GATE_KINDS.join(', ')}`,
});

/**
 * The name a gate's checks carry in the results and the timeline. Unique per run (the spec refuses
 * two gates with the same name): one lag gate per projection, one saga gate per connection.
 */
export function gateCheckName(g: z.output<typeof eventStoreGateSchema>): string {
  return g.kind === 'projectionLag' ? `projection-lag:${g.projection}` : `saga-failure-rate:${g.connectionId}`;
}

export const analysisSchema = z
  .object({
    /** Which metric names the built-in checks use (Flagger's Istio or Linkerd queries). */
    provider: z.enum(['istio', 'linkerd']).default('istio'),
    /** Workloads (Deployments) behind the stable and the canary destination: the metrics' labels. */
    stableWorkload: workloadName,
    canaryWorkload: workloadName,
    /** Query window of the rate() functions; Flagger's metric interval (default 1m). */
    windowSec: z.number().int().min(1).max(3600).default(CANARY_DEFAULTS.windowSec),
    /** Success rate ≥ this % (null: no success-rate check). */
    successRateMin: z.number().min(0).max(100).nullable().default(CANARY_DEFAULTS.successRateMin),
    /** p99 latency ≤ this many ms (null: no latency check). */
    latencyP99MaxMs: z.number().positive().max(3_600_000).nullable().default(CANARY_DEFAULTS.latencyP99MaxMs),
    /** The canary must have served at least this many requests in the window, else the interval has no data. */
    minRequests: z.number().int().min(0).default(0),
    custom: z.array(customMetricSchema).max(10).default([]),
    /** Event-store gates (projection lag, saga failure rate). Need the projections capability; refused when it is absent. */
    gates: z.array(eventStoreGateSchema).max(10, 'at most 10 event-store gates').default([]),
  })
  .strict()
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    a.gates.forEach((g, i) => {
      const name = gateCheckName(g);
      if (seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['gates', i, g.kind === 'projectionLag' ? 'projection' : 'connectionId'],
          message: g.kind === 'projectionLag' ? `there is already a lag gate on projection ${g.projection}` : 'there is already a saga failure-rate gate on this connection',
        });
      }
      seen.add(name);
    });
  });

export const NO_DATA_POLICIES = ['fail', 'hold'] as const;
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];

const stepsSchema = z.union([
  z.object({ kind: z.literal('list'), weights: z.array(z.number().int().min(1).max(100)).min(1).max(50) }).strict(),
  z.object({ kind: z.literal('linear'), stepWeight: z.number().int().min(1).max(100), maxWeight: z.number().int().min(1).max(100) }).strict(),
]);

export const canarySpecSchema = z
  .object({
    target: canaryTargetSchema,
    steps: stepsSchema.default({ kind: 'list', weights: [...CANARY_DEFAULTS.stepWeights] }),
    /** Seconds between checks (Flagger's analysis interval). Short intervals are for tests and demos. */
    intervalSec: z.number().int().min(1).max(86_400).default(CANARY_DEFAULTS.intervalSec),
    /** Failed checks (cumulative, as in Flagger) before rolling back. */
    threshold: z.number().int().min(1).max(100).default(CANARY_DEFAULTS.threshold),
    analysis: analysisSchema,
    /** What an interval without data means: a failed check, or hold the step and look again. */
    noData: z.enum(NO_DATA_POLICIES).default('fail'),
    approvals: z
      .object({
        /** Zero-based step indexes that wait for the user's approval before their weight is applied. */
        beforeSteps: z.array(z.number().int().min(0).max(49)).max(50).default([]),
        /** Wait for approval before promoting to 100 %. */
        beforePromotion: z.boolean().default(false),
      })
      .strict()
      .default({ beforeSteps: [], beforePromotion: false }),
  })
  .strict()
  .superRefine((s, ctx) => {
    const w = stepWeights(s.steps);
    for (let i = 1; i < w.length; i++) {
      if ((w[i] ?? 0) <= (w[i - 1] ?? 0)) {
        ctx.addIssue({ code: 'custom', message: 'step weights must increase', path: ['steps', 'weights', i] });
        break;
      }
    }
    if (s.steps.kind === 'linear' && s.steps.stepWeight > s.steps.maxWeight) {
      ctx.addIssue({ code: 'custom', message: 'the step weight is larger than the max weight', path: ['steps', 'stepWeight'] });
    }
    for (const i of s.approvals.beforeSteps) {
      if (i >= w.length) ctx.addIssue({ code: 'custom', message: `there is no step ${i + 1}`, path: ['approvals', 'beforeSteps'] });
    }
  });

export type CanarySpecInput = z.input<typeof canarySpecSchema>;
export type CanarySpec = z.output<typeof canarySpecSchema>;
export type CanaryTarget = z.output<typeof canaryTargetSchema>;
export type AnalysisSpec = z.output<typeof analysisSchema>;
export type CustomMetric = z.output<typeof customMetricSchema>;
export type EventStoreGate = z.output<typeof eventStoreGateSchema>;
export type ProjectionLagGate = z.output<typeof projectionLagGateSchema>;
export type SagaFailureRateGate = z.output<typeof sagaFailureRateGateSchema>;

/**
 * The weights of the steps. A linear schedule stops AT maxWeight (10, 20 … 50 for 10/50):
 * unlike Flagger, which can overshoot (20 → 40 → 60 for max 50), the last step is never above
 * the max the user typed.
 */
export function stepWeights(steps: CanarySpec['steps']): number[] {
  if (steps.kind === 'list') return [...steps.weights];
  const out: number[] = [];
  for (let w = steps.stepWeight; w < steps.maxWeight; w += steps.stepWeight) out.push(w);
  out.push(steps.maxWeight);
  return out;
}

/** The minimum time to promote (Flagger's formula: one interval per step, plus the promotion). */
export function minimumDurationSec(spec: CanarySpec): number {
  return spec.intervalSec * stepWeights(spec.steps).length;
}

/**
 * Id of a run: the context it was found through and the routing object it lives on (one run per
 * object). The context is not part of the stored spec: a colleague reaches the same cluster through
 * a context of their own.
 */
export function runIdOf(contextId: string, t: Pick<CanaryTarget, 'kind' | 'namespace' | 'name'>): string {
  return `${contextId}|${t.kind}|${t.namespace}|${t.name}`;
}

export function parseRunId(id: string): { contextId: string; kind: CanaryRoutingKind; namespace: string; name: string } | null {
  const parts = id.split('|');
  if (parts.length < 4) return null;
  const name = parts.pop() as string;
  const namespace = parts.pop() as string;
  const kind = parts.pop() as string;
  const contextId = parts.join('|');
  if (!(ROUTING_KINDS as readonly string[]).includes(kind) || !contextId || !namespace || !name) return null;
  return { contextId, kind: kind as CanaryRoutingKind, namespace, name };
}
