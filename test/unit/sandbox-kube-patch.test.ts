import { describe, expect, it } from 'vitest';
import { KubeError } from '../../sandbox/kube/errors.js';
import { deepFreeze } from '../../sandbox/kube/json.js';
import { jsonPatch, mergePatch, parseJsonPatch, strategicMerge, type JsonPatchOp } from '../../sandbox/kube/patch.js';

describe('JSON merge patch (RFC 7386)', () => {
  // The examples of RFC 7386 appendix A.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('%j + %j', (target, patch, result) => {
    expect(mergePatch(target, patch)).toEqual(result);
  });

  it('never mutates its (frozen) input', () => {
    const target = deepFreeze({ spec: { http: [{ route: [{ weight: 90 }] }], keep: 'me' } });
    const out = mergePatch(target, { spec: { http: [{ route: [{ weight: 50 }] }] } });
    expect(out).toEqual({ spec: { http: [{ route: [{ weight: 50 }] }], keep: 'me' } });
    expect(target.spec.http[0]!.route[0]!.weight).toBe(90);
  });
});

describe('JSON patch (RFC 6902)', () => {
  const doc = deepFreeze({ foo: 'bar', list: [1, 2, 3], nested: { 'a/b': 1, 'm~n': 2 } });
  const apply = (ops: JsonPatchOp[]) => jsonPatch(doc, parseJsonPatch(ops));

  it('add / remove / replace, including "-" and escaped pointers', () => {
    expect(apply([{ op: 'add', path: '/baz', value: 'qux' }])).toMatchObject({ baz: 'qux' });
    expect(apply([{ op: 'add', path: '/list/1', value: 9 }])).toMatchObject({ list: [1, 9, 2, 3] });
    expect(apply([{ op: 'add', path: '/list/-', value: 4 }])).toMatchObject({ list: [1, 2, 3, 4] });
    expect(apply([{ op: 'remove', path: '/list/0' }])).toMatchObject({ list: [2, 3] });
    expect(apply([{ op: 'replace', path: '/nested/a~1b', value: 5 }])).toMatchObject({ nested: { 'a/b': 5, 'm~n': 2 } });
    expect(apply([{ op: 'remove', path: '/nested/m~0n' }])).toEqual({ foo: 'bar', list: [1, 2, 3], nested: { 'a/b': 1 } });
  });

  it('move / copy / test', () => {
    expect(apply([{ op: 'move', from: '/foo', path: '/moved' }])).toEqual({ moved: 'bar', list: [1, 2, 3], nested: { 'a/b': 1, 'm~n': 2 } });
    expect(apply([{ op: 'copy', from: '/list', path: '/copy' }])).toMatchObject({ list: [1, 2, 3], copy: [1, 2, 3] });
    expect(apply([{ op: 'test', path: '/list', value: [1, 2, 3] }])).toEqual(doc);
  });

  it('a failed test or a missing path rejects the whole patch with 422', () => {
    const attempt = (ops: JsonPatchOp[]) => {
      try {
        apply(ops);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const failed = attempt([
      { op: 'replace', path: '/foo', value: 'changed' },
      { op: 'test', path: '/list/0', value: 42 },
    ]);
    expect(failed).toBeInstanceOf(KubeError);
    expect((failed as KubeError).status).toMatchObject({ code: 422, message: 'testing value /list/0 failed: test failed' });
    expect(doc.foo).toBe('bar');
    expect((attempt([{ op: 'replace', path: '/absent', value: 1 }]) as KubeError).code).toBe(422);
    expect((attempt([{ op: 'remove', path: '/list/7' }]) as KubeError).code).toBe(422);
    expect((attempt([{ op: 'add', path: '/no/such/parent', value: 1 }]) as KubeError).code).toBe(422);
  });

  it('malformed operations are 400', () => {
    expect(() => parseJsonPatch({ op: 'add' })).toThrow(KubeError);
    expect(() => parseJsonPatch([{ op: 'frobnicate', path: '/a' }])).toThrow('Unexpected kind: frobnicate');
    expect(() => parseJsonPatch([{ op: 'add', path: '/a' }])).toThrow('missing value');
  });
});

describe('strategic merge patch', () => {
  const deployment = deepFreeze({
    metadata: { finalizers: ['a'], labels: { app: 'x' } },
    spec: {
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 8080, name: 'http' }] },
            { name: 'sidecar', image: 'proxy:1' },
          ],
          tolerations: [{ key: 'a' }],
        },
      },
    },
  });

  it('merges containers by name and env by name; other lists are replaced', () => {
    const out = strategicMerge(deployment, {
      spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }], tolerations: [{ key: 'b' }] } } },
    }) as typeof deployment;
    const [app, sidecar] = out.spec.template.spec.containers;
    expect(app).toEqual({ name: 'app', image: 'app:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }], ports: [{ containerPort: 8080, name: 'http' }] });
    expect(sidecar).toEqual({ name: 'sidecar', image: 'proxy:1' });
    expect(out.spec.template.spec.tolerations).toEqual([{ key: 'b' }]);
  });

  it('honours $patch: delete, $patch: replace, $retainKeys, $setElementOrder and $deleteFromPrimitiveList', () => {
    const out = strategicMerge(deployment, {
      metadata: { finalizers: ['b'] },
      spec: {
        strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null },
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }],
            containers: [{ name: 'app', env: [{ name: 'A', $patch: 'delete' }] }],
          },
        },
      },
    }) as typeof deployment;
    expect(out.metadata.finalizers).toEqual(['a', 'b']); // finalizers merge as a set
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['sidecar', 'app']);
    expect(out.spec.template.spec.containers[1]!.env).toEqual([{ name: 'B', value: '2' }]);

    const replaced = strategicMerge(deployment, { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } } } }) as typeof deployment;
    expect(replaced.spec.template.spec.containers).toEqual([{ name: 'only', image: 'x' }]);
    const removed = strategicMerge(deployment, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }) as typeof deployment;
    expect(removed.metadata.finalizers).toEqual([]);
  });

  it('merges Service ports by port number', () => {
    const svc = { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'grpc', port: 90 }] } };
    const out = strategicMerge(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }) as typeof svc;
    expect(out.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 9090 }, { name: 'grpc', port: 90 }]);
  });
});
