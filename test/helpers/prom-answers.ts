import { readEnvelope, parseQueryData } from '../../main/metrics/answer';
import { toSamples } from '../../main/metrics/client';
import type { Sample } from '../../main/metrics/client';

/** A fixture's Prometheus JSON answer read exactly as the metrics client reads a live one. */
export function samplesOf(body: unknown, url = 'fixture'): Sample[] {
  const env = readEnvelope(url, 200, 'application/json', JSON.stringify(body) ?? 'null');
  return toSamples(parseQueryData(url, env.data), url);
}
