import { describe, expect, it } from 'vitest';
import { edgeOf, graphFromFixture, nodeOf } from '../helpers/graph-fixtures';

const K = 'kind'; // Istio's default "Kubernetes" cluster label takes the context's name
const wl = (ns: string, n: string, c = K) => `wl:${c}:${ns}:${n}`;
const svc = (ns: string, n: string, c = K) => `svc:${c}:${ns}:${n}`;

describe('graph builder: Istio with both reporters (bookinfo)', () => {
  const g = graphFromFixture('istio-bookinfo.json');

  it('has exactly the expected nodes', () => {
    expect(g.nodes.map((n) => n.id).sort()).toEqual(
      [
        `unknown:${K}`, wl('istio-system', 'istio-ingressgateway'), svc('bookinfo', 'productpage'), wl('bookinfo', 'productpage-v1'),
        svc('bookinfo', 'reviews'), wl('bookinfo', 'reviews-v1'), wl('bookinfo', 'reviews-v2'), svc('bookinfo', 'ratings'),
        wl('bookinfo', 'ratings-v1'), svc('bookinfo', 'details'), wl('bookinfo', 'details-v1'), svc('bookinfo', 'mysql'), wl('bookinfo', 'mysqldb-v1'),
      ].sort(),
    );
    expect(g.edges).toHaveLength(12);
    expect(g.empty).toBe(false);
  });

  it('counts each request once, preferring the caller proxy for known callers', () => {
    // source reporter said 6 and 4, destination 5.9 and 3.9
    expect(edgeOf(g, wl('bookinfo', 'productpage-v1'), svc('bookinfo', 'reviews')).rate).toBe(10);
    expect(edgeOf(g, svc('bookinfo', 'reviews'), wl('bookinfo', 'reviews-v1')).rate).toBe(6);
    expect(edgeOf(g, svc('bookinfo', 'reviews'), wl('bookinfo', 'reviews-v2')).rate).toBe(4);
    const ratings = edgeOf(g, wl('bookinfo', 'reviews-v2'), svc('bookinfo', 'ratings'));
    expect(ratings.rates).toEqual({ total: 4, err4xx: 0, err5xx: 1 });
    expect(ratings.errorPct).toBe(25);
    expect(ratings.health).toBe('failure');
    expect(ratings.codes).toEqual({ '200': 3, '500': 1 });
  });

  it('takes unknown and out-of-namespace callers from the callee proxy', () => {
    const u = edgeOf(g, `unknown:${K}`, svc('bookinfo', 'productpage'));
    expect(u.rates).toEqual({ total: 10, err4xx: 1, err5xx: 1 });
    expect(u.errorPct).toBe(20); // Istio: 4xx counts as an error in the label
    expect(nodeOf(g, `unknown:${K}`).isRoot).toBe(true);
    const gw = nodeOf(g, wl('istio-system', 'istio-ingressgateway'));
    expect(gw.isOutside).toBe(true);
    expect(edgeOf(g, gw.id, svc('bookinfo', 'productpage')).rate).toBe(5);
    expect(edgeOf(g, svc('bookinfo', 'productpage'), wl('bookinfo', 'productpage-v1')).rate).toBe(15);
  });

  it('ends requests that reached no workload at their service', () => {
    const d = edgeOf(g, wl('bookinfo', 'productpage-v1'), svc('bookinfo', 'details'));
    expect(d.rate).toBe(10.5);
    expect(d.codes['503']).toBe(0.5);
    expect(d.health).toBe('degraded'); // any 5xx is degraded
    expect(edgeOf(g, svc('bookinfo', 'details'), wl('bookinfo', 'details-v1')).rate).toBe(10);
  });

  it('computes the share of the source traffic per protocol', () => {
    expect(edgeOf(g, wl('bookinfo', 'productpage-v1'), svc('bookinfo', 'reviews')).sharePct).toBe(48.78);
    expect(edgeOf(g, wl('bookinfo', 'productpage-v1'), svc('bookinfo', 'details')).sharePct).toBe(51.22);
    expect(edgeOf(g, wl('bookinfo', 'productpage-v1'), svc('bookinfo', 'mysql'), 'tcp').sharePct).toBe(100);
  });

  it('puts latency from the callee proxy on the edges that identity flows over', () => {
    const e = edgeOf(g, svc('bookinfo', 'reviews'), wl('bookinfo', 'reviews-v1'));
    expect(e.responseTime).toEqual({ p50: null, p95: 20, p99: null });
    expect(edgeOf(g, wl('bookinfo', 'productpage-v1'), svc('bookinfo', 'reviews')).responseTime?.p95).toBe(20);
    expect(edgeOf(g, svc('bookinfo', 'reviews'), wl('bookinfo', 'reviews-v2')).responseTime).toBeNull();
  });

  it('adds mTLS share and TCP bytes', () => {
    expect(edgeOf(g, svc('bookinfo', 'reviews'), wl('bookinfo', 'reviews-v1')).mtlsPct).toBe(100);
    expect(edgeOf(g, `unknown:${K}`, svc('bookinfo', 'productpage')).mtlsPct).toBe(0);
    expect(edgeOf(g, svc('bookinfo', 'ratings'), wl('bookinfo', 'ratings-v1')).mtlsPct).toBeNull();
    const tcp = edgeOf(g, svc('bookinfo', 'mysql'), wl('bookinfo', 'mysqldb-v1'), 'tcp');
    expect(tcp.rate).toBe(1200); // caller's count, not the callee's 1100
    expect(tcp.throughput).toBe(1200);
    expect(tcp.health).toBe('na');
  });

  it('judges node health on inbound traffic, roots on outbound', () => {
    expect(nodeOf(g, wl('bookinfo', 'productpage-v1')).health).toBe('degraded');
    expect(nodeOf(g, wl('bookinfo', 'ratings-v1')).health).toBe('failure');
    expect(nodeOf(g, wl('bookinfo', 'reviews-v1')).health).toBe('healthy');
    expect(nodeOf(g, `unknown:${K}`).health).toBe('failure');
    expect(nodeOf(g, wl('bookinfo', 'mysqldb-v1')).health).toBe('na');
    expect(nodeOf(g, wl('bookinfo', 'productpage-v1')).traffic.httpIn).toEqual({ total: 15, err4xx: 1, err5xx: 1 });
  });

  it('boxes nodes by namespace, with no cluster box for one cluster', () => {
    expect(g.boxes.map((b) => b.id).sort()).toEqual([`box:ns:${K}:bookinfo`, `box:ns:${K}:istio-system`]);
    expect(nodeOf(g, wl('bookinfo', 'reviews-v1')).parent).toBe(`box:ns:${K}:bookinfo`);
    expect(nodeOf(g, `unknown:${K}`).parent).toBeNull();
  });

  it('gives stable ids: the same answers give the same graph', () => {
    const again = graphFromFixture('istio-bookinfo.json');
    expect(again.nodes.map((n) => n.id)).toEqual(g.nodes.map((n) => n.id));
    expect(again.edges.map((e) => e.id)).toEqual(g.edges.map((e) => e.id));
  });
});

describe('graph builder: graph types', () => {
  it('service graph collapses workloads behind services and keeps callers no service reaches', () => {
    const g = graphFromFixture('istio-bookinfo.json', { graphType: 'service' });
    expect(g.nodes.map((n) => n.id).sort()).toEqual(
      [`unknown:${K}`, wl('istio-system', 'istio-ingressgateway'), ...['productpage', 'reviews', 'ratings', 'details', 'mysql'].map((s) => svc('bookinfo', s))].sort(),
    );
    expect(edgeOf(g, svc('bookinfo', 'productpage'), svc('bookinfo', 'reviews')).rate).toBe(10);
    expect(edgeOf(g, svc('bookinfo', 'productpage'), svc('bookinfo', 'details')).rate).toBe(10.5);
    expect(edgeOf(g, svc('bookinfo', 'reviews'), svc('bookinfo', 'ratings')).rates).toEqual({ total: 4, err4xx: 0, err5xx: 1 });
    expect(edgeOf(g, svc('bookinfo', 'productpage'), svc('bookinfo', 'mysql'), 'tcp').rate).toBe(1200);
    expect(g.edges).toHaveLength(6);
  });

  it('app graph names nodes by canonical service; versioned app boxes versions of one app', () => {
    const app = graphFromFixture('istio-bookinfo.json', { graphType: 'app', injectServiceNodes: false });
    expect(app.nodes.some((n) => n.id === `app:${K}:bookinfo:reviews`)).toBe(true);
    expect(edgeOf(app, `app:${K}:bookinfo:productpage`, `app:${K}:bookinfo:reviews`).rate).toBe(10);
    // without service nodes, a request that reached no workload still ends at its service
    expect(edgeOf(app, `app:${K}:bookinfo:productpage`, svc('bookinfo', 'details')).rate).toBe(0.5);

    const v = graphFromFixture('istio-bookinfo.json', { graphType: 'versionedApp' });
    const v1 = nodeOf(v, `vapp:${K}:bookinfo:reviews:v1`);
    expect(v1.parent).toBe(`box:app:${K}:bookinfo:reviews`);
    expect(nodeOf(v, `vapp:${K}:bookinfo:ratings:v1`).parent).toBe(`box:ns:${K}:bookinfo`);
  });
});

describe('graph builder: Linkerd', () => {
  const g = graphFromFixture('linkerd-billing.json');
  it('builds edges from outbound metrics and unknown callers from inbound without TLS', () => {
    expect(g.nodes.map((n) => n.id).sort()).toEqual(['unknown:demo', wl('billing', 'invoice', 'demo'), svc('billing', 'payments', 'demo'), wl('billing', 'payments', 'demo')].sort());
    const out = edgeOf(g, wl('billing', 'invoice', 'demo'), svc('billing', 'payments', 'demo'));
    expect(out.rate).toBe(12);
    expect(out.mesh).toBe('linkerd');
    // Linkerd's rule: the 404s are successes, only classification="failure" counts
    expect(out.rates).toEqual({ total: 12, err4xx: 0, err5xx: 1 });
    expect(out.errorPct).toBe(8.33);
    expect(out.health).toBe('degraded');
    expect(out.mtlsPct).toBe(100);
    expect(out.throughput).toBe(5000);
    expect(edgeOf(g, svc('billing', 'payments', 'demo'), wl('billing', 'payments', 'demo')).responseTime?.p99).toBe(120);
    const unk = edgeOf(g, 'unknown:demo', wl('billing', 'invoice', 'demo'));
    expect(unk.rate).toBe(3.5);
    expect(unk.mtlsPct).toBe(0);
    expect(unk.health).toBe('failure'); // 14.3 % failures
    expect(g.contexts).toEqual([{ contextId: 'ctx-demo', cluster: 'demo', meshes: ['linkerd'], error: null }]);
  });
});

describe('graph builder: multi-cluster', () => {
  const g = graphFromFixture('istio-multicluster.json');
  it('merges contexts into one graph with cluster boxes, counting a cross-cluster request once', () => {
    const cross = edgeOf(g, wl('bookinfo', 'productpage-v1', 'east'), svc('bookinfo', 'reviews', 'west'));
    expect(cross.rate).toBe(2); // east's caller proxy, not west's callee proxy (1.9)
    expect(edgeOf(g, svc('bookinfo', 'reviews', 'west'), wl('bookinfo', 'reviews-v3', 'west')).rate).toBe(2);
    expect(edgeOf(g, svc('bookinfo', 'reviews', 'east'), wl('bookinfo', 'reviews-v1', 'east')).rate).toBe(3);
    expect(g.edges).toHaveLength(4);
    expect(g.boxes.filter((b) => b.kind === 'cluster').map((b) => b.id).sort()).toEqual(['box:cluster:east', 'box:cluster:west']);
    expect(g.boxes.find((b) => b.id === 'box:ns:west:bookinfo')?.parent).toBe('box:cluster:west');
    expect(nodeOf(g, wl('bookinfo', 'reviews-v3', 'west')).parent).toBe('box:ns:west:bookinfo');
    expect(g.contexts.map((c) => c.meshes)).toEqual([['istio'], ['istio']]);
  });
});
