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

export const eventStoreGateSchema = z
  .object({
    kind: z.literal('projectionLag'),
    connectionId: z.string().min(1).max(200),
    projection: z.string().min(1).max(200),
    /** Pass while the projection is at most this many events behind. */
    maxLag: z.number().int().min(0),
  })
  .strict();

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
    /** Event-store gates (projection lag...). Needs the event store capability; refused when it is absent. */
    gates: z.array(eventStoreGateSchema).max(10).default([]),
  })
  .strict();

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
