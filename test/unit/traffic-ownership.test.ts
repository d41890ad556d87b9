import { describe, expect, it } from 'vitest';
import { detectOwners } from '../../main/traffic/ownership';
import type { KubeObject } from '../../main/traffic/json';
import { loadObject } from '../helpers/traffic-fixtures';

const obj = (metadata: Partial<KubeObject['metadata']>, spec: unknown = {}): KubeObject => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'shop', ...metadata }, spec,
});
const who = (o: KubeObject, related: KubeObject[] = []) => detectOwners(o, related).map((x) => [x.controller, x.reverts, x.evidence]);

describe('ownership detection', () => {
  it('nobody', () => expect(detectOwners(loadObject('reviews.virtualservice.yaml'))).toEqual([]));

  it('Flagger by ownerReference (fixture) and by annotation', () => {
    expect(who(loadObject('legacy.trafficsplit.yaml'))).toEqual([['Flagger', true, 'ownerReference Canary/podinfo']]);
    expect(who(obj({ annotations: { 'flagger.kubernetes.app/original-configuration': '{}' } }))[0]![0]).toBe('Flagger');
  });

  it('Argo Rollouts: ownerReference, annotation, gateway label, pod-template-hash subsets', () => {
    expect(who(obj({ ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'reviews' }] }))[0]).toEqual(['Argo Rollouts', true, 'ownerReference Rollout/reviews']);
    expect(who(obj({ annotations: { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'reviews' } }))[0]![0]).toBe('Argo Rollouts');
    expect(who(obj({ labels: { 'rollouts.argoproj.io/gatewayapi-canary': 'in-progress' } }))[0]![0]).toBe('Argo Rollouts');
    const dr = obj({ name: 'reviews-dr' }, { subsets: [{ name: 'canary', labels: { 'rollouts-pod-template-hash': 'abc123' } }] });
    expect(who(obj({}), [dr])[0]![2]).toBe('DestinationRule subsets select rollouts-pod-template-hash');
  });

  it('Argo CD, Flux (fixture), Helm, Kiali', () => {
    const argo = detectOwners(obj({ labels: { 'app.kubernetes.io/instance': 'shop' }, annotations: { 'argocd.argoproj.io/tracking-id': 'shop-routing:networking.istio.io/VirtualService:shop/reviews' } }));
    expect(argo[0]).toMatchObject({ controller: 'Argo CD', reverts: true });
    expect(argo[0]!.message).toMatch(/application shop.*OutOfSync.*Git/);
    const flux = detectOwners(loadObject('invoices.trafficsplit.yaml'));
    expect(flux.map((f) => f.controller)).toEqual(['Flux']);
    expect(flux[0]!.message).toMatch(/Kustomization flux-system\/billing/);
    expect(who(obj({ labels: { 'helm.toolkit.fluxcd.io/name': 'shop', 'app.kubernetes.io/managed-by': 'Helm' } })).map((x) => x[0])).toEqual(['Flux', 'Helm']);
    expect(who(obj({ labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': 'payments' } }))).toEqual([['Helm', false, 'label app.kubernetes.io/managed-by=Helm']]);
    const kiali = detectOwners(obj({ labels: { kiali_wizard: 'traffic_shifting' } }));
    expect(kiali[0]).toMatchObject({ controller: 'Kiali', reverts: false });
    expect(kiali[0]!.message).toMatch(/replaces spec.http wholesale/);
  });
});
