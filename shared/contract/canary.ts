import { z } from 'zod';
import { request, subscription } from './define';
import { contextIdSchema } from './kube';
import { canarySpecSchema } from '../canary/spec';
import type { CanaryCandidate, CanaryEventMessage, CanaryRun, CanarySeries } from '../canary/types';

const runId = z.object({ id: z.string().min(3).max(5000) }).strict();
const namespaceName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'not a Kubernetes namespace name');

export const canaryContract = {
  'canary.list': request(z.object({}).strict(), 'Canary runs found on routing objects of every connected context (any state).').returns<CanaryRun[]>(),
  'canary.get': request(runId, 'One run, read fresh from its routing object.').returns<CanaryRun>(),
  'canary.candidates': request(
    z.object({ contextId: contextIdSchema, namespaces: z.array(namespaceName).max(200).optional() }).strict(),
    'Routing objects (VirtualService, HTTPRoute, TrafficSplit) a canary can run on, with their default route\'s destinations and the namespace\'s workloads.',
  ).returns<CanaryCandidate[]>(),
  'canary.start': request(
    z.object({ contextId: contextIdSchema, spec: canarySpecSchema }).strict(),
    'Define a run on a routing object and start driving it. CONFLICT when a run is already active there or Flagger/Argo own the object.',
  ).returns<CanaryRun>(),
  'canary.pause': request(runId, 'Pause the run: weights stay, the step timer stops (anyone may pause).').returns<CanaryRun>(),
  'canary.resume': request(runId, 'Resume a paused run; after drift, the run\'s weights are written back first.').returns<CanaryRun>(),
  'canary.promote': request(runId, 'Promote now: 100 % to the canary.').returns<CanaryRun>(),
  'canary.abort': request(runId, 'Abort: 100 % back to stable (anyone may abort).').returns<CanaryRun>(),
  'canary.retry': request(runId, 'Start a rolled-back or aborted run again from its first step.').returns<CanaryRun>(),
  'canary.approve': request(runId, 'Approve the step (or promotion) the run is waiting for.').returns<CanaryRun>(),
  'canary.takeOver': request(runId, 'Drive the run from this meshdeck once the holder\'s lease has expired.').returns<CanaryRun>(),
  'canary.series': request(
    runId.extend({ minutes: z.number().min(1).max(24 * 60).default(15) }).strict(),
    'Stable vs canary time series (success rate, p99, rps) for the run\'s live charts.',
  ).returns<CanarySeries>(),
  'canary.watch': subscription(z.object({}).strict(), 'Pushes a snapshot of every run, then each run as it changes (and removals).').emits<CanaryEventMessage>(),
} as const;
