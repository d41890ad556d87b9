import { z } from 'zod';
import { request } from './define';
import { contextIdSchema } from './kube';
import type { ApiErrorShape } from '../errors';
import type { ApplyResult, AuditEntry, PlanView, RoutingTarget, TrafficState } from '../traffic/model';

const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'not a Kubernetes object name');
const namespaceSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'not a Kubernetes namespace name');
const routingKind = z.enum(['VirtualService', 'HTTPRoute', 'TrafficSplit']);

const objectSchema = z.object({ kind: routingKind, name: dnsName, apiVersion: z.string().max(253).optional() }).strict();

const percent = z.number();
const matchType = z.enum(['exact', 'prefix', 'regex']);
const routeSel = { route: z.number().int().min(0).max(10_000).optional() };

/**
 * Ops are shape-checked here (types, lengths); their meaning (weights summing to 100, durations,
 * statuses, destinations that exist) is checked against the model with field-by-field messages.
 */
export const trafficOpSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('setWeights'), weights: z.record(z.string().min(1).max(253), z.number()), ...routeSel }).strict(),
  z
    .object({
      op: z.literal('setFault'),
      fault: z
        .object({
          delay: z.object({ fixedDelay: z.string().max(32), percent }).strict().nullable(),
          abort: z.object({ httpStatus: z.number(), percent }).strict().nullable(),
        })
        .strict()
        .nullable(),
      ...routeSel,
    })
    .strict(),
  z
    .object({
      op: z.literal('addHeaderMatchRoute'),
      kind: z.enum(['header', 'cookie']),
      name: z.string().max(256),
      value: z.string().max(1024),
      matchType: matchType.optional(),
      destination: z.string().max(253),
      routeName: z.string().max(253).optional(),
    })
    .strict(),
  z.object({ op: z.literal('removeRoute'), route: z.number().int().min(0).max(10_000) }).strict(),
  z.object({ op: z.literal('switchBlueGreen'), to: z.string().max(253), ...routeSel }).strict(),
  z.object({ op: z.literal('setMirror'), mirror: z.object({ destination: z.string().max(253), percent }).strict().nullable(), ...routeSel }).strict(),
  z.object({ op: z.literal('setTimeout'), timeout: z.string().max(32).nullable(), ...routeSel }).strict(),
  z
    .object({
      op: z.literal('setRetries'),
      retries: z.object({ attempts: z.number(), perTryTimeout: z.string().max(32).nullable(), retryOn: z.string().max(512).nullable() }).strict().nullable(),
      ...routeSel,
    })
    .strict(),
]);

export interface TrafficList {
  targets: RoutingTarget[];
  /** Routing APIs that could not be listed (e.g. RBAC), each saying which. */
  warnings: ApiErrorShape[];
}

export const trafficContract = {
  'traffic.list': request(
    z.object({ contextId: contextIdSchema, namespace: namespaceSchema }).strict(),
    'Services of a namespace that have routing objects (VirtualService, HTTPRoute, TrafficSplit), with who else manages them.',
  ).returns<TrafficList>(),
  'traffic.get': request(
    z.object({ contextId: contextIdSchema, namespace: namespaceSchema, service: dnsName, object: objectSchema.optional() }).strict(),
    "A service's routing model read fresh from its routing object (the first one, or the one named), with the objects as YAML and ownership warnings.",
  ).returns<TrafficState>(),
  'traffic.plan': request(
    z.object({ contextId: contextIdSchema, namespace: namespaceSchema, service: dnsName, object: objectSchema.optional(), op: trafficOpSchema }).strict(),
    'Plan one edit on a fresh read: validation issues by field, and the exact guarded JSON patches with a YAML diff. Nothing is sent. The plan is kept for 15 minutes.',
  ).returns<PlanView>(),
  'traffic.planUndo': request(
    z.object({ auditId: z.string().min(1).max(100) }).strict(),
    'Plan restoring what an audit entry changed (guarded the same way: refused if the fields were changed since).',
  ).returns<PlanView>(),
  'traffic.apply': request(
    z.object({ planId: z.string().min(1).max(100), confirmOwnership: z.boolean().default(false) }).strict(),
    'Apply a plan exactly as reviewed. On a conflict it re-reads and re-applies only if the change still applies cleanly; after a broken connection it re-reads to tell whether the change landed. Audited.',
  ).returns<ApplyResult>(),
  'traffic.verify': request(
    z.object({ auditId: z.string().min(1).max(100) }).strict(),
    'Re-check an audit entry whose outcome was unknown (the connection broke): re-reads the objects and says whether it landed.',
  ).returns<ApplyResult>(),
  'traffic.audit': request(
    z.object({ contextId: contextIdSchema.optional(), limit: z.number().int().min(1).max(5000).default(200) }).strict(),
    'Audit log entries, newest first (without the saved specs).',
  ).returns<AuditEntry[]>(),
  'traffic.exportAudit': request(
    z.object({ format: z.enum(['jsonl', 'csv']).default('jsonl') }).strict(),
    'The whole audit log as a file to save.',
  ).returns<{ filename: string; mime: string; content: string }>(),
} as const;
