import { z } from 'zod';
import { request } from './define';
import { contextIdSchema } from './kube';
import { GRAPH_TYPES, GRAPH_WINDOWS } from '../graph/types';
import type { ElementDetail, Graph } from '../graph/types';

const band = z
  .object({ degraded: z.number().min(0).max(100), failure: z.number().min(0).max(100) })
  .strict()
  .refine((b) => b.degraded <= b.failure, { message: 'degraded must not exceed failure' });

// Kubernetes namespace names: DNS labels. Checked here so no odd string ever reaches PromQL.
const namespaceSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'not a Kubernetes namespace name');

export const graphOptionsSchema = z
  .object({
    contexts: z.array(contextIdSchema).min(1).max(16),
    namespaces: z.array(namespaceSchema).min(1).max(200),
    graphType: z.enum(GRAPH_TYPES).default('workload'),
    window: z.enum(GRAPH_WINDOWS).default('1m'),
    mesh: z.enum(['istio', 'linkerd', 'auto']).default('auto'),
    idleEdges: z.boolean().default(false),
    /** Insert service nodes between callers and workloads (Kiali's default in its UI). */
    injectServiceNodes: z.boolean().default(true),
    thresholds: z.object({ http5xx: band, http4xx: band }).strict().optional(),
    /** Epoch ms for the query time (replay); now when absent. */
    at: z.number().int().positive().optional(),
  })
  .strict();

export type GraphOptionsInput = z.input<typeof graphOptionsSchema>;
export type GraphOptions = z.output<typeof graphOptionsSchema>;

export const graphContract = {
  'graph.get': request(
    graphOptionsSchema,
    'The service graph for the chosen contexts and namespaces over a window. When Prometheus fails, the last good graph comes back marked stale.',
  ).returns<Graph>(),
  'graph.nodeDetail': request(
    z.object({ options: graphOptionsSchema, id: z.string().min(1).max(2048) }).strict(),
    'Side panel data for a node or edge id of the graph: golden-signal time series, inbound/outbound rows, routing objects and the security policy in force.',
  ).returns<ElementDetail>(),
} as const;
