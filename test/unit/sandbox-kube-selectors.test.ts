import { describe, expect, it } from 'vitest';
import { KubeError } from '../../sandbox/kube/errors.js';
import { fromStructuredSelector, matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from '../../sandbox/kube/selectors.js';
import type { KubeObject } from '../../sandbox/kube/types.js';

const labels = { app: 'payments', version: 'v2', 'app.kubernetes.io/managed-by': 'Helm', tier: '3' };
const matches = (sel: string) => matchLabels(parseLabelSelector(sel), labels);

describe('sandbox kube label selectors', () => {
  it('equality: =, ==, !=', () => {
    expect(matches('app=payments')).toBe(true);
    expect(matches('app==payments,version=v2')).toBe(true);
    expect(matches('app=payments,version=v1')).toBe(false);
    expect(matches('version!=v1')).toBe(true);
    expect(matches('version!=v2')).toBe(false);
    // != matches objects without the label at all, as in Kubernetes.
    expect(matches('missing!=x')).toBe(true);
  });

  it('set-based: in, notin, exists, !key', () => {
    expect(matches('version in (v1, v2)')).toBe(true);
    expect(matches('version in (v1,v3)')).toBe(false);
    expect(matches('version notin (v1,v3)')).toBe(true);
    expect(matches('app in (payments),version notin (v2)')).toBe(false);
    expect(matches('app.kubernetes.io/managed-by')).toBe(true);
    expect(matches('!app.kubernetes.io/managed-by')).toBe(false);
    expect(matches('!canary')).toBe(true);
    expect(matches('missing notin (a)')).toBe(true);
    expect(matches('missing in (a)')).toBe(false);
  });

  it('numeric gt/lt and the empty selector', () => {
    expect(matches('tier>2')).toBe(true);
    expect(matches('tier<3')).toBe(false);
    expect(matches('')).toBe(true);
    expect(parseLabelSelector(undefined)).toEqual([]);
  });

  it('rejects malformed selectors with 400 BadRequest', () => {
    for (const bad of ['app in (', 'app=(x)', '=x', 'a b c']) {
      let err: unknown;
      try {
        parseLabelSelector(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(KubeError);
      expect((err as KubeError).status).toMatchObject({ code: 400, reason: 'BadRequest' });
    }
  });

  it('structured selectors (matchLabels + matchExpressions)', () => {
    const sel = fromStructuredSelector({ matchLabels: { app: 'payments' }, matchExpressions: [{ key: 'version', operator: 'In', values: ['v2'] }, { key: 'canary', operator: 'DoesNotExist' }] });
    expect(matchLabels(sel, labels)).toBe(true);
    expect(matchLabels(sel, { ...labels, canary: 'yes' })).toBe(false);
  });
});

describe('sandbox kube field selectors', () => {
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'shop' }, status: { phase: 'Running' } };

  it('matches metadata.name/namespace and kind-specific fields', () => {
    expect(matchFields(parseFieldSelector('metadata.name=p1', 'Pod'), pod)).toBe(true);
    expect(matchFields(parseFieldSelector('metadata.name==p1,metadata.namespace!=shop', 'Pod'), pod)).toBe(false);
    expect(matchFields(parseFieldSelector('status.phase=Running', 'Pod'), pod)).toBe(true);
  });

  it('refuses fields the real server does not index (custom resources only get metadata.*)', () => {
    expect(() => parseFieldSelector('spec.hosts=x', 'VirtualService')).toThrow('field label not supported: spec.hosts');
    expect(() => parseFieldSelector('status.phase=Running', 'VirtualService')).toThrow(KubeError);
  });
});
