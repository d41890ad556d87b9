import type { ApplyOutcome, RoutingApi } from '../../../shared/traffic/model';

export const API_LABEL: Record<RoutingApi, string> = { istio: 'Istio', 'gateway-api': 'Gateway API', smi: 'SMI' };

export const OUTCOME: Record<ApplyOutcome, { label: string; tone: 'ok' | 'warn' | 'bad' | 'accent' }> = {
  landed: { label: 'Landed', tone: 'ok' },
  noop: { label: 'No change', tone: 'accent' },
  conflict: { label: 'Conflict', tone: 'warn' },
  forbidden: { label: 'Not allowed', tone: 'bad' },
  failed: { label: 'Failed', tone: 'bad' },
  unknown: { label: 'Unknown — re-check', tone: 'warn' },
};
