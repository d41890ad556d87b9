import { describe, expect, it } from 'vitest';
import { anyOf, quote, windowSeconds } from '../../main/graph/promql';
import { istioQueries, linkerdQueries } from '../../main/graph/queries';
import { graphOptionsSchema } from '../../shared/contract/graph';

describe('graph queries', () => {
  const plan = { namespaces: ['shop', 'billing'], range: '60s', idleEdges: false };
  it('issues one query per concern for all namespaces at once', () => {
    expect(istioQueries(plan).map((q) => q.concern)).toEqual(['traffic', 'p50', 'p95', 'p99', 'tcp', 'mtls']);
    expect(linkerdQueries(plan).map((q) => q.concern)).toEqual(['traffic', 'p50', 'p95', 'p99', 'tcp']);
    const traffic = istioQueries(plan)[0]!.promql;
    expect(traffic).toContain('reporter="source",source_workload_namespace=~"shop|billing"');
    expect(traffic).toContain('reporter="destination",destination_workload_namespace=~"shop|billing"');
    expect(traffic).toContain('destination_workload="unknown"');
    expect(traffic.match(/ > 0/g)).toHaveLength(3);
    expect(istioQueries(plan)[2]!.promql).toMatch(/^histogram_quantile\(0\.95, sum by \(le,reporter,/);
    // Istio's TCP names are swapped: "sent" bytes are istio_tcp_received_bytes_total
    expect(istioQueries(plan)[4]!.promql).toContain('istio_tcp_received_bytes_total');
    expect(linkerdQueries(plan)[0]!.promql).toContain('direction="inbound",namespace=~"shop|billing",tls!="true"');
  });

  it('escapes what it puts in PromQL', () => {
    expect(quote('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(anyOf(['a.b', 'c|d'])).toBe('"a\\\\.b|c\\\\|d"');
    expect(windowSeconds('1d')).toBe(86400);
    // namespace names are checked before they get anywhere near a query
    expect(graphOptionsSchema.safeParse({ contexts: ['c'], namespaces: ['shop"} or vector(1)'] }).success).toBe(false);
    expect(graphOptionsSchema.safeParse({ contexts: ['c'], namespaces: ['shop'], window: '2d' }).success).toBe(false);
    expect(graphOptionsSchema.safeParse({ contexts: ['c'], namespaces: ['shop'], thresholds: { http5xx: { degraded: 20, failure: 10 }, http4xx: { degraded: 1, failure: 2 } } }).success).toBe(false);
  });
});
