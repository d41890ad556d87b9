import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors';
import { createGraphService } from '../../main/graph/service';
import type { PromQuerier, Sample } from '../../main/graph/ports';
import { samplesOf } from '../helpers/prom-answers';
import { istioQueries, linkerdQueries } from '../../main/graph/queries';
import { joinAcrossMeshes } from '../../main/graph/appenders/traffic';
import { identityKey } from '../../main/graph/observe';
import type { TrafficObs } from '../../main/graph/observe';
import { graphOptionsSchema } from '../../shared/contract/graph';
import { loadFixture } from '../helpers/graph-fixtures';

const fx = loadFixture('istio-bookinfo.json');
const plan = [...istioQueries({ namespaces: ['bookinfo'], range: '60s', idleEdges: false }), ...linkerdQueries({ namespaces: ['bookinfo'], range: '60s', idleEdges: false })];

/** A Prometheus that answers the graph's queries from the bookinfo fixture, until told to fail. */
function fakeProm() {
  const state: { mode: 'ok' | 'down' | 'garbage' | 'slow' | 'empty'; calls: number } = { mode: 'ok', calls: 0 };
  const querier: PromQuerier = {
    async instant(promql, _time, signal): Promise<Sample[]> {
      state.calls++;
      if (state.mode === 'down') throw new ApiError('UNREACHABLE', 'Prometheus at http://prom:9090 is unreachable: connect ECONNREFUSED');
      if (state.mode === 'garbage') return samplesOf({ status: 'success', data: { resultType: 'vector', result: [{ metric: 'x' }] } });
      if (state.mode === 'slow') {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new ApiError('TIMEOUT', 'Prometheus did not answer within 50 ms.')), { once: true }));
      }
      if (state.mode === 'empty') return [];
      const q = plan.find((p) => p.promql === promql);
      const answer = q && (fx.answers['ctx-kind']?.[q.mesh] as Record<string, unknown> | undefined)?.[q.concern];
      return answer ? samplesOf(answer) : [];
    },
    async range() {
      return [];
    },
  };
  return { state, querier };
}

const opts = graphOptionsSchema.parse({ contexts: ['ctx-kind'], namespaces: ['bookinfo'] });
const signal = () => new AbortController().signal;

describe('graph service: stale data, faults, empty windows', () => {
  it('builds from one query per concern per mesh, all at once', async () => {
    const p = fakeProm();
    const svc = createGraphService({ sources: { prometheus: () => p.querier, routing: () => null, clusterName: () => 'kind' } });
    const g = await svc.get(opts, signal());
    expect(p.state.calls).toBe(11); // Istio: traffic, p50, p95, p99, tcp, mtls; Linkerd: traffic, p50, p95, p99, tcp
    expect(g.nodes).toHaveLength(13);
    expect(g.stale).toBeNull();
    expect(g.empty).toBe(false);
  });

  it('keeps the last good graph when Prometheus is down, marked stale with the reason and the time', async () => {
    let now = 1_000_000;
    const p = fakeProm();
    const svc = createGraphService({ sources: { prometheus: () => p.querier, routing: () => null, clusterName: () => 'kind' }, now: () => now });
    const good = await svc.get(opts, signal());
    p.state.mode = 'down';
    now += 15_000;
    const stale = await svc.get(opts, signal());
    expect(stale.stale).toEqual({ code: 'UNREACHABLE', reason: 'Prometheus at http://prom:9090 is unreachable: connect ECONNREFUSED', since: new Date(1_015_000).toISOString() });
    expect(stale.edges.map((e) => [e.id, e.rate])).toEqual(good.edges.map((e) => [e.id, e.rate]));
    now += 15_000;
    // "since" stays at the first failure
    expect((await svc.get(opts, signal())).stale?.since).toBe(new Date(1_015_000).toISOString());
    p.state.mode = 'ok';
    expect((await svc.get(opts, signal())).stale).toBeNull();
  });

  it('treats garbage answers and timeouts the same way, without hanging', async () => {
    const p = fakeProm();
    const svc = createGraphService({ sources: { prometheus: () => p.querier, routing: () => null, clusterName: () => 'kind' }, queryTimeoutMs: 50 });
    await svc.get(opts, signal());
    p.state.mode = 'garbage';
    expect((await svc.get(opts, signal())).stale?.code).toBe('UPSTREAM');
    p.state.mode = 'slow';
    const t0 = Date.now();
    const g = await svc.get(opts, signal());
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(g.stale).not.toBeNull();
    expect(g.nodes).toHaveLength(13);
  });

  it('fails with the typed error when there is nothing good to fall back on', async () => {
    const p = fakeProm();
    p.state.mode = 'down';
    const svc = createGraphService({ sources: { prometheus: () => p.querier, routing: () => null, clusterName: () => 'kind' } });
    await expect(svc.get(opts, signal())).rejects.toMatchObject({ code: 'UNREACHABLE' });
    const none = createGraphService({ sources: { prometheus: () => { throw new ApiError('NOT_CONNECTED', 'No Prometheus is connected for context x.'); }, routing: () => null, clusterName: () => 'x' } });
    await expect(none.get(opts, signal())).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });

  it('says "no traffic" as data, not as an error', async () => {
    const p = fakeProm();
    p.state.mode = 'empty';
    const svc = createGraphService({ sources: { prometheus: () => p.querier, routing: () => null, clusterName: () => 'kind' } });
    const g = await svc.get(opts, signal());
    expect(g).toMatchObject({ empty: true, nodes: [], edges: [], stale: null });
  });

  it('stops when the caller cancels', async () => {
    const p = fakeProm();
    p.state.mode = 'slow';
    const svc = createGraphService({ sources: { prometheus: () => p.querier, routing: () => null, clusterName: () => 'kind' }, queryTimeoutMs: 60_000 });
    const ac = new AbortController();
    const pending = svc.get(opts, ac.signal);
    setTimeout(() => ac.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('keeps a graph when a secondary concern fails, with a warning', async () => {
    const p = fakeProm();
    const base = p.querier.instant;
    p.querier.instant = async (q, t, s) => {
      if (q.startsWith('histogram_quantile(0.95')) throw new ApiError('BAD_INPUT', 'Prometheus rejected the query: parse error');
      return base(q, t, s);
    };
    const svc = createGraphService({ sources: { prometheus: () => p.querier, routing: () => null, clusterName: () => 'kind' } });
    const g = await svc.get(opts, signal());
    expect(g.stale).toBeNull();
    expect(g.warnings.some((w) => w.startsWith('response time p95 (istio, kind)'))).toBe(true);
    expect(g.edges.every((e) => e.responseTime?.p95 == null)).toBe(true);
  });

  it('draws idle edges when asked (no "> 0" in the queries)', async () => {
    const seen: string[] = [];
    const q: PromQuerier = {
      async instant(promql) {
        seen.push(promql);
        if (!promql.startsWith('sum by (reporter,source_cluster')) return [];
        return [{ metric: { reporter: 'source', source_workload: 'a', source_workload_namespace: 'bookinfo', destination_workload: 'b', destination_workload_namespace: 'bookinfo', destination_service_name: 'b', destination_service_namespace: 'bookinfo', request_protocol: 'http', response_code: '200' }, value: 0 }];
      },
      async range() { return []; },
    };
    const svc = createGraphService({ sources: { prometheus: () => q, routing: () => null, clusterName: () => 'kind' } });
    const g = await svc.get({ ...opts, idleEdges: true, mesh: 'istio' }, signal());
    const traffic = seen.find((s) => s.includes('response_code') && s.includes('istio_requests_total'))!;
    expect(traffic).not.toContain('> 0');
    expect(seen.find((s) => s.includes('istio_tcp_received_bytes_total'))).not.toContain('> 0');
    expect(g.edges.every((e) => e.isIdle && e.health === 'idle')).toBe(true);
    expect(g.nodes.every((n) => n.isIdle)).toBe(true);
    expect(g.empty).toBe(true);
  });
});

describe('joining two meshes in one cluster', () => {
  const side = (ns: string, wl: string) => ({ cluster: 'c', namespace: ns, workload: wl, app: wl.replace(/-v\d$/, ''), version: 'v1' });
  const t = (p: Partial<TrafficObs>): TrafficObs => {
    const o: TrafficObs = {
      mesh: 'istio', byCaller: true, src: side('shop', 'orders-v1'), dst: { ...side('billing', 'unknown'), serviceNamespace: 'billing', service: 'invoices' },
      protocol: 'http', code: '200', outcome: 'ok', tls: null, rate: 6, key: '', ...p,
    };
    o.key = identityKey(o);
    return o;
  };
  it("gives the caller's series the callee's workloads, and drops the callee's unknown caller", () => {
    const unknownIn = (wl: string, rate: number): TrafficObs => t({ mesh: 'linkerd', byCaller: false, src: { cluster: 'c', namespace: 'unknown', workload: 'unknown', app: 'unknown', version: 'latest' }, dst: { ...side('billing', wl), serviceNamespace: '', service: '' }, rate });
    const out = joinAcrossMeshes([t({}), unknownIn('invoices-v1', 4.1), unknownIn('invoices-v2', 2.0), unknownIn('ledger-v1', 1)]);
    const joined = out.filter((o) => o.mesh === 'istio');
    expect(joined.map((o) => [o.dst.workload, Math.round(o.rate * 100) / 100])).toEqual([['invoices-v1', 4.03], ['invoices-v2', 1.97]]);
    expect(joined[0]!.idKey).toContain('|unknown|');
    // ledger's unknown caller is a real one: it stays
    expect(out.filter((o) => o.mesh === 'linkerd').map((o) => o.dst.workload)).toEqual(['ledger-v1']);
  });
});
