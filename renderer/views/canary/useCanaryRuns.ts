import { useCallback, useState } from 'react';
import type { CanaryEventMessage, CanaryRun } from '../../../shared/canary/types';
import type { ApiErrorShape } from '../../../shared/errors';
import { useSubscription } from '../../app/ClientContext';

/** Every run main knows about, kept live by `canary.watch` (a snapshot, then each change). */
export function useCanaryRuns(): { runs: Map<string, CanaryRun> | null; error: ApiErrorShape | null } {
  const [runs, setRuns] = useState<Map<string, CanaryRun> | null>(null);
  const onEvent = useCallback((m: CanaryEventMessage) => {
    setRuns((prev) => {
      if (m.type === 'snapshot') return new Map(m.runs.map((r) => [r.id, r]));
      const next = new Map(prev ?? []);
      if (m.type === 'run') next.set(m.run.id, m.run);
      else next.delete(m.id);
      return next;
    });
  }, []);
  const { error } = useSubscription('canary.watch', {}, onEvent);
  return { runs, error };
}
