import { describe, expect, it } from 'vitest';
import { appendRoutingBadges, indexRouting, serviceKey } from '../../main/graph/appenders/routing';
import { appendSecurity, securityFor } from '../../main/graph/appenders/security';
import type { KubeObject, RoutingSnapshot } from '../../main/graph/ports';
import type { GraphNode } from '../../shared/graph/types';
import { graphFromFixture, nodeOf } from '../helpers/graph-fixtures';

const obj = (kind: string, apiVersion: string, namespace: string, name: string, spec: unknown, labels?: Record<string, string>): KubeObject => ({
  kind, apiVersion, metadata: { name, namespace, labels }, spec,
});

const snap: RoutingSnapshot = {
  rootNamespace: 'istio-system',
  workloads: [{ namespace: 'bookinfo', name: 'reviews-v1', labels: { app: 'reviews', version: 'v1', tier: 'back' } }],
  objects: [
    obj('VirtualService', 'networking.istio.io/v1', 'bookinfo', 'reviews', {
      hosts: ['reviews'],
      http: [{
        route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 90 }, { destination: { host: 'reviews', subset: 'v2' }, weight: 10 }],
        fault: { abort: { httpStatus: 503, percentage: { value: 5 } } },
        mirror: { host: 'reviews', subset: 'v3' }, mirrorPercentage: { value: 20 },
        timeout: '2s',
      }],
    }),
    obj('DestinationRule', 'networking.istio.io/v1', 'bookinfo', 'ratings', {
      host: 'ratings.bookinfo.svc.cluster.local', trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5 } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }],
    }),
    obj('HTTPRoute', 'gateway.networking.k8s.io/v1', 'bookinfo', 'details', {
      parentRefs: [{ group: 'core', kind: 'Service', name: 'details', port: 9080 }],
      rules: [{ backendRefs: [{ name: 'details-v1', port: 9080, weight: 90 }, { name: 'error-injector', port: 9080, weight: 10 }] }],
    }),
    // a gateway route is not a badge of a service node
    obj('HTTPRoute', 'gateway.networking.k8s.io/v1', 'bookinfo', 'edge', { parentRefs: [{ name: 'public-gw' }], rules: [{ backendRefs: [{ name: 'a' }, { name: 'b' }] }] }),
    obj('TrafficSplit', 'split.smi-spec.io/v1alpha2', 'bookinfo', 'productpage', { service: 'productpage', backends: [{ service: 'productpage-v1', weight: 500 }, { service: 'productpage-v2', weight: 500 }] }),
    obj('PeerAuthentication', 'security.istio.io/v1', 'istio-system', 'default', { mtls: { mode: 'PERMISSIVE' } }),
    obj('PeerAuthentication', 'security.istio.io/v1', 'bookinfo', 'default', { mtls: { mode: 'STRICT' } }),
    obj('PeerAuthentication', 'security.istio.io/v1', 'bookinfo', 'ratings-relaxed', { selector: { matchLabels: { app: 'ratings' } }, mtls: { mode: 'PERMISSIVE' } }),
    obj('AuthorizationPolicy', 'security.istio.io/v1', 'bookinfo', 'reviews-viewer', { selector: { matchLabels: { tier: 'back' } }, action: 'ALLOW', rules: [{}, {}] }),
    obj('AuthorizationPolicy', 'security.istio.io/v1', 'bookinfo', 'deny-all', { action: 'DENY', rules: [] }),
    obj('AuthorizationPolicy', 'security.istio.io/v1', 'bookinfo', 'other', { selector: { matchLabels: { app: 'details' } } }),
    obj('AuthorizationPolicy', 'security.istio.io/v1', 'istio-system', 'mesh-audit', { action: 'AUDIT' }),
  ],
};

describe('routing badges', () => {
  it('resolves hosts relative to the object namespace', () => {
    expect(serviceKey('reviews', 'bookinfo')).toBe('bookinfo/reviews');
    expect(serviceKey('reviews.shop', 'bookinfo')).toBe('shop/reviews');
    expect(serviceKey('reviews.shop.svc.cluster.local', 'bookinfo')).toBe('shop/reviews');
    expect(serviceKey('*.example.com', 'bookinfo')).toBeNull();
  });

  it('indexes each kind by the service it acts on, with a one-line summary', () => {
    const idx = indexRouting(snap);
    expect([...idx.get('bookinfo/reviews')!.badges].sort()).toEqual(['faultInjection', 'mirroring', 'timeout', 'trafficShifting']);
    expect(idx.get('bookinfo/reviews')!.refs[0]!.summary).toBe('weights reviews/v1 90 / reviews/v2 10; fault abort 503 at 5%; mirror to reviews at 20%; timeout 2s');
    expect([...idx.get('bookinfo/ratings')!.badges]).toEqual(['circuitBreaker']);
    expect([...idx.get('bookinfo/details')!.badges].sort()).toEqual(['faultInjection', 'trafficShifting']);
    expect([...idx.get('bookinfo/productpage')!.badges]).toEqual(['trafficShifting']);
    expect(idx.has('bookinfo/public-gw')).toBe(false);
    // Meshes report the backends as destinations: the split shows on them too (not for gateway routes).
    expect([...idx.get('bookinfo/details-v1')!.badges].sort()).toEqual(['faultInjection', 'trafficShifting']);
    expect([...idx.get('bookinfo/productpage-v2')!.badges]).toEqual(['trafficShifting']);
    expect(idx.has('bookinfo/a')).toBe(false);
  });

  it('puts badges on service nodes of the graph (and on workloads when service nodes are off)', () => {
    const g = graphFromFixture('istio-bookinfo.json', { routing: { 'ctx-kind': snap } });
    expect(nodeOf(g, 'svc:kind:bookinfo:reviews').badges.sort()).toEqual(['faultInjection', 'mirroring', 'timeout', 'trafficShifting']);
    expect(nodeOf(g, 'svc:kind:bookinfo:ratings').badges).toEqual(['circuitBreaker']);
    expect(nodeOf(g, 'wl:kind:bookinfo:reviews-v1').badges).not.toContain('trafficShifting');
    const nodes = [{ ...nodeOf(g, 'wl:kind:bookinfo:ratings-v1'), badges: [] } as GraphNode];
    appendRoutingBadges(nodes, indexRouting(snap), { serviceNodesShown: false });
    expect(nodes[0]!.badges).toEqual(['circuitBreaker']);
  });
});

describe('security policy in force', () => {
  const g = graphFromFixture('istio-bookinfo.json');
  it('picks the selector PeerAuthentication, then the namespace one, then the mesh one', () => {
    expect(securityFor(nodeOf(g, 'wl:kind:bookinfo:ratings-v1'), snap).peerAuthentication).toEqual({ mode: 'PERMISSIVE', from: 'bookinfo/ratings-relaxed' });
    expect(securityFor(nodeOf(g, 'wl:kind:bookinfo:reviews-v1'), snap).peerAuthentication).toEqual({ mode: 'STRICT', from: 'bookinfo/default' });
    const gw = nodeOf(g, 'wl:kind:istio-system:istio-ingressgateway');
    expect(securityFor(gw, snap).peerAuthentication).toEqual({ mode: 'PERMISSIVE', from: 'istio-system/default' });
    expect(securityFor(gw, { ...snap, objects: [] }).peerAuthentication).toEqual({ mode: 'UNSET', from: null });
  });

  it('lists the AuthorizationPolicies that select the workload, by its pod labels', () => {
    const names = securityFor(nodeOf(g, 'wl:kind:bookinfo:reviews-v1'), snap).authorizationPolicies.map((a) => `${a.action} ${a.namespace}/${a.name} ${a.rules}`);
    expect(names).toEqual(['ALLOW bookinfo/reviews-viewer 2', 'DENY bookinfo/deny-all 0', 'AUDIT istio-system/mesh-audit 0']);
  });

  it('marks STRICT workloads with the mTLS badge', () => {
    const nodes = [nodeOf(g, 'wl:kind:bookinfo:reviews-v1'), nodeOf(g, 'wl:kind:bookinfo:ratings-v1')].map((n) => ({ ...n, badges: [] }) as GraphNode);
    appendSecurity(nodes, snap);
    expect(nodes.map((n) => [n.mtlsMode, n.badges])).toEqual([['STRICT', ['mtls']], ['PERMISSIVE', []]]);
  });
});
