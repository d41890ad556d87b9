/**
 * Who else manages a routing object. One place for the rules, so the warning the user sees before
 * an edit is consistent: a controller that reconciles the object will put its own version back.
 *   - Flagger: ownerReference to a Canary, or flagger annotations (it saved the original spec).
 *   - Argo Rollouts: ownerReference to a Rollout, the managed-by-rollouts annotation, the
 *     gatewayapi-canary label, or `rollouts-pod-template-hash` in DestinationRule subset labels.
 *   - Argo CD: argocd.argoproj.io/* tracking annotations or labels (with app.kubernetes.io/instance).
 *   - Flux: kustomize.toolkit.fluxcd.io/name or helm.toolkit.fluxcd.io/name labels.
 *   - Helm: app.kubernetes.io/managed-by=Helm (or meta.helm.sh/release-name).
 *   - Kiali: the kiali_wizard label.
 */
import type { OwnerInfo } from '../../shared/traffic/model';
import { arr, isObj, str } from './json';
import type { KubeObject } from './json';

export function detectOwners(obj: KubeObject, related: KubeObject[] = []): OwnerInfo[] {
  const out: OwnerInfo[] = [];
  const labels = obj.metadata.labels ?? {};
  const ann = obj.metadata.annotations ?? {};
  const refs = Array.isArray(obj.metadata.ownerReferences) ? obj.metadata.ownerReferences : [];
  const add = (o: OwnerInfo) => {
    if (!out.some((x) => x.controller === o.controller)) out.push(o);
  };
  const what = `${obj.kind} ${obj.metadata.name}`;

  const canary = refs.find((r) => r.kind === 'Canary' && (r.apiVersion ?? '').startsWith('flagger.app'));
  const flaggerAnn = Object.keys(ann).find((k) => k.startsWith('flagger.kubernetes.app/') || k.startsWith('flagger.app/'));
  if (canary || flaggerAnn) {
    add({
      controller: 'Flagger',
      evidence: canary ? `ownerReference Canary/${canary.name ?? '?'}` : `annotation ${flaggerAnn}`,
      reverts: true,
      message: `Flagger${canary ? ` (Canary ${canary.name ?? ''})` : ''} owns ${what}: it rewrites spec.http on every reconcile, so this edit will be reverted within one analysis interval.`,
    });
  }

  const rollout = refs.find((r) => r.kind === 'Rollout' && (r.apiVersion ?? '').startsWith('argoproj.io'));
  const rolloutAnn = ann['argo-rollouts.argoproj.io/managed-by-rollouts'];
  const gwCanary = labels['rollouts.argoproj.io/gatewayapi-canary'];
  const hashInSubsets = [obj, ...related].some((o) => isObj(o.spec) && arr(o.spec.subsets).some((s) => isObj(s) && isObj(s.labels) && 'rollouts-pod-template-hash' in s.labels));
  if (rollout || rolloutAnn || gwCanary || hashInSubsets) {
    const evidence = rollout
      ? `ownerReference Rollout/${rollout.name ?? '?'}`
      : rolloutAnn
        ? `annotation argo-rollouts.argoproj.io/managed-by-rollouts=${rolloutAnn}`
        : gwCanary
          ? `label rollouts.argoproj.io/gatewayapi-canary=${gwCanary}`
          : 'DestinationRule subsets select rollouts-pod-template-hash';
    add({
      controller: 'Argo Rollouts',
      evidence,
      reverts: true,
      message: `Argo Rollouts${rolloutAnn ? ` (Rollout ${rolloutAnn})` : rollout?.name ? ` (Rollout ${rollout.name})` : ''} drives the weights of ${what}: it sets them back as soon as it sees a change.`,
    });
  }

  const argoKey = [...Object.keys(ann), ...Object.keys(labels)].find((k) => k.startsWith('argocd.argoproj.io/'));
  if (argoKey) {
    const app = labels['app.kubernetes.io/instance'] ?? labels['argocd.argoproj.io/instance'] ?? str(ann['argocd.argoproj.io/tracking-id'])?.split(':')[0];
    add({
      controller: 'Argo CD',
      evidence: `${argoKey in ann ? 'annotation' : 'label'} ${argoKey}${labels['app.kubernetes.io/instance'] ? ' + label app.kubernetes.io/instance' : ''}`,
      reverts: true,
      message: `Argo CD${app ? ` (application ${app})` : ''} tracks ${what}: the edit makes it OutOfSync, and with self-heal it is reverted to what is in Git. Change it in Git to keep it.`,
    });
  }

  const kustomization = labels['kustomize.toolkit.fluxcd.io/name'];
  const helmRelease = labels['helm.toolkit.fluxcd.io/name'];
  if (kustomization || helmRelease) {
    const ns = labels['kustomize.toolkit.fluxcd.io/namespace'] ?? labels['helm.toolkit.fluxcd.io/namespace'];
    const name = kustomization ? `Kustomization ${ns ? `${ns}/` : ''}${kustomization}` : `HelmRelease ${ns ? `${ns}/` : ''}${helmRelease}`;
    add({
      controller: 'Flux',
      evidence: kustomization ? `label kustomize.toolkit.fluxcd.io/name=${kustomization}` : `label helm.toolkit.fluxcd.io/name=${helmRelease}`,
      reverts: true,
      message: `Flux (${name}) applies ${what} from Git: the next reconcile puts the Git version back. Change it in Git to keep it.`,
    });
  }

  if (labels['app.kubernetes.io/managed-by'] === 'Helm' || ann['meta.helm.sh/release-name']) {
    const release = ann['meta.helm.sh/release-name'];
    add({
      controller: 'Helm',
      evidence: labels['app.kubernetes.io/managed-by'] === 'Helm' ? 'label app.kubernetes.io/managed-by=Helm' : `annotation meta.helm.sh/release-name=${release}`,
      reverts: false,
      message: `Helm${release ? ` (release ${release})` : ''} installed ${what}: the next helm upgrade overwrites this edit.`,
    });
  }

  if (labels.kiali_wizard) {
    add({
      controller: 'Kiali',
      evidence: `label kiali_wizard=${labels.kiali_wizard}`,
      reverts: false,
      message: `Kiali's ${labels.kiali_wizard} wizard created ${what}: saving that wizard again replaces spec.http wholesale and drops this edit.`,
    });
  }
  return out;
}
