import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useClient } from '../../app/ClientContext';
import type { CanaryRun } from '../../../shared/canary/types';
import type { LagBadge } from '../../../shared/contract/projections';
import type { Graph } from '../../../shared/graph/types';
import { useCanaryRuns } from '../canary/useCanaryRuns';
import { buildOverlays } from './overlays';
import type { Overlays } from './overlays';

export interface OverlaySources {
  overlays: Overlays;
  /** Every run main knows of (any state), for the side panel. */
  runs: CanaryRun[];
  badges: LagBadge[];
  /** Why an overlay is missing (its channel failed); the graph itself is unaffected. */
  problems: string[];
  refetch(): void;
}

const NO_BADGES: LagBadge[] = [];

/**
 * The graph's overlays, each from its own channel: canary runs live from `canary.watch`, projection
 * lag badges from `projections.badges` at the graph's refresh interval. Joined onto the graph here,
 * in the renderer; `graph.get` knows nothing of them.
 */
export function useGraphOverlays(graph: Graph | undefined, refreshMs: number): OverlaySources {
  const client = useClient();
  const { runs: runMap, error: canaryError } = useCanaryRuns();
  const badges = useQuery({
    queryKey: ['projections.badges'],
    queryFn: ({ signal }) => client.invoke('projections.badges', {}, { signal }),
    refetchInterval: refreshMs > 0 ? refreshMs : false,
    retry: 0,
    staleTime: 0,
  });
  const runs = useMemo(() => (runMap ? [...runMap.values()] : []), [runMap]);
  const badgeList = badges.data ?? NO_BADGES;
  const overlays = useMemo(() => (graph ? buildOverlays(graph, runs, badgeList) : new Map()) as Overlays, [graph, runs, badgeList]);
  const problems: string[] = [];
  if (canaryError) problems.push(`Canary runs: ${canaryError.message}`);
  if (badges.error) problems.push(`Projection lag: ${(badges.error as Error).message}`);
  return { overlays, runs, badges: badgeList, problems, refetch: () => void badges.refetch() };
}
