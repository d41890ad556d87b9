/**
 * JSON patch (RFC 6902) as meshdeck writes it: computed from a structural diff of the object
 * before and after an edit, guarded by `test` ops.
 *
 * Why JSON patch and not a merge patch: routes are arrays (spec.http, spec.rules), and a merge
 * patch replaces an array wholesale — a concurrent edit to any other route would be overwritten,
 * or, guarded by resourceVersion, would always conflict. JSON patch addresses one index and one
 * field, and `test` ops state exactly what the edit assumed: the resourceVersion (first), the old
 * value of every field it changes, and the identity of every route it touches (name, matches,
 * destinations). On a conflict the same ops can be re-checked against the fresh object: if every
 * test but the resourceVersion still holds, the change still applies cleanly and is re-sent.
 */
import type { JsonPatchOp } from '../../shared/traffic/model';
import { clone, deepEqual, isObj } from './json';
import type { Obj } from './json';

export type { JsonPatchOp };

export const escapeToken = (t: string): string => t.replace(/~/g, '~0').replace(/\//g, '~1');
export const pointer = (tokens: (string | number)[]): string => tokens.map((t) => `/${escapeToken(String(t))}`).join('');

export function parsePointer(ptr: string): string[] {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw new PatchError(`JSON pointer must start with "/": ${ptr}`, ptr);
  return ptr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export class PatchError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = 'PatchError';
  }
}

const MISSING = Symbol('missing');

export function getAt(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const t of parsePointer(path)) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(t) || Number(t) >= cur.length) return MISSING;
      cur = cur[Number(t)];
    } else if (isObj(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else return MISSING;
  }
  return cur;
}

export const hasPath = (doc: unknown, path: string): boolean => getAt(doc, path) !== MISSING;
export const valueAt = (doc: unknown, path: string): unknown => {
  const v = getAt(doc, path);
  return v === MISSING ? undefined : v;
};

/** Applies ops to a copy; throws PatchError (with the failing path) like the API server would. */
export function applyPatch<T>(target: T, ops: JsonPatchOp[]): T {
  let doc: unknown = clone(target);
  for (const op of ops) {
    const tokens = parsePointer(op.path);
    if (op.op === 'test') {
      const v = getAt(doc, op.path);
      if (v === MISSING || !deepEqual(v, op.value)) throw new PatchError(`testing value ${op.path} failed`, op.path);
      continue;
    }
    if (tokens.length === 0) {
      if (op.op === 'remove') throw new PatchError('cannot remove the whole document', op.path);
      doc = clone(op.value);
      continue;
    }
    const parent = getAt(doc, pointer(tokens.slice(0, -1)));
    const last = tokens[tokens.length - 1]!;
    if (parent === MISSING) throw new PatchError(`missing parent of ${op.path}`, op.path);
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(i) || i < 0) throw new PatchError(`bad index in ${op.path}`, op.path);
      if (op.op === 'add') {
        if (i > parent.length) throw new PatchError(`index out of bounds: ${op.path}`, op.path);
        parent.splice(i, 0, clone(op.value));
      } else if (op.op === 'replace') {
        if (i >= parent.length) throw new PatchError(`index out of bounds: ${op.path}`, op.path);
        parent[i] = clone(op.value);
      } else {
        if (i >= parent.length) throw new PatchError(`index out of bounds: ${op.path}`, op.path);
        parent.splice(i, 1);
      }
    } else if (isObj(parent)) {
      if (op.op === 'add') parent[last] = clone(op.value);
      else if (!Object.hasOwn(parent, last)) throw new PatchError(`no value at ${op.path}`, op.path);
      else if (op.op === 'replace') parent[last] = clone(op.value);
      else delete parent[last];
    } else throw new PatchError(`parent of ${op.path} is not a container`, op.path);
  }
  return doc as T;
}

/**
 * The ops turning `a` into `b` below `base`, each change preceded by a `test` of the old value.
 * Arrays of equal length are diffed element-wise; one inserted or removed element becomes one
 * `add` / `remove` at its index; anything else replaces the array (guarded by a test of it).
 */
export function structuralDiff(a: unknown, b: unknown, base: (string | number)[] = []): { tests: JsonPatchOp[]; changes: JsonPatchOp[] } {
  const tests: JsonPatchOp[] = [];
  const changes: JsonPatchOp[] = [];
  const walk = (x: unknown, y: unknown, at: (string | number)[]) => {
    if (deepEqual(x, y)) return;
    const p = pointer(at);
    if (isObj(x) && isObj(y)) {
      for (const k of Object.keys(x)) {
        if (!Object.hasOwn(y, k)) {
          tests.push({ op: 'test', path: pointer([...at, k]), value: clone(x[k]) });
          changes.push({ op: 'remove', path: pointer([...at, k]) });
        }
      }
      for (const k of Object.keys(y)) {
        if (!Object.hasOwn(x, k)) changes.push({ op: 'add', path: pointer([...at, k]), value: clone(y[k]) });
        else walk(x[k], y[k], [...at, k]);
      }
      return;
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length === y.length) {
        x.forEach((xi, i) => walk(xi, y[i], [...at, i]));
        return;
      }
      if (y.length === x.length + 1) {
        let k = 0;
        while (k < x.length && deepEqual(x[k], y[k])) k++;
        if (deepEqual(x.slice(k), y.slice(k + 1))) {
          if (k < x.length) tests.push({ op: 'test', path: pointer([...at, k]), value: clone(x[k]) });
          changes.push({ op: 'add', path: pointer([...at, k]), value: clone(y[k]) });
          return;
        }
      }
      if (y.length > x.length) {
        // Grown at the end (e.g. a new destination while the others' weights change): element-wise, then appends.
        x.forEach((xi, i) => walk(xi, y[i], [...at, i]));
        for (let i = x.length; i < y.length; i++) changes.push({ op: 'add', path: pointer([...at, i]), value: clone(y[i]) });
        return;
      }
      if (y.length === x.length - 1) {
        let k = 0;
        while (k < y.length && deepEqual(x[k], y[k])) k++;
        if (deepEqual(x.slice(k + 1), y.slice(k))) {
          tests.push({ op: 'test', path: pointer([...at, k]), value: clone(x[k]) });
          changes.push({ op: 'remove', path: pointer([...at, k]) });
          return;
        }
      }
    }
    if (x === undefined) {
      changes.push({ op: 'add', path: p, value: clone(y) });
      return;
    }
    tests.push({ op: 'test', path: p, value: clone(x) });
    if (y === undefined) changes.push({ op: 'remove', path: p });
    else changes.push({ op: 'replace', path: p, value: clone(y) });
  };
  walk(a, b, base);
  return { tests, changes };
}

/** Tests first (all evaluated on the unmodified object), without duplicates, then the changes. */
export function assemble(rv: string | undefined, tests: JsonPatchOp[], changes: JsonPatchOp[]): JsonPatchOp[] {
  const out: JsonPatchOp[] = [];
  const seen = new Set<string>();
  const push = (t: JsonPatchOp) => {
    const key = `${t.path}\u0000${JSON.stringify(t.value)}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(t);
  };
  if (rv !== undefined) push({ op: 'test', path: '/metadata/resourceVersion', value: rv });
  // A test on a path that is itself inside another tested value is redundant: drop it.
  const sorted = [...tests].sort((x, y) => x.path.length - y.path.length);
  const kept: JsonPatchOp[] = [];
  for (const t of sorted) if (!kept.some((k) => t.path.startsWith(`${k.path}/`))) kept.push(t);
  for (const t of tests) if (kept.includes(t)) push(t);
  return [...out, ...changes];
}

/** The ops minus the resourceVersion test: what "still applies cleanly" is checked with. */
export const withoutRvTest = (ops: JsonPatchOp[]): JsonPatchOp[] => ops.filter((o) => !(o.op === 'test' && o.path === '/metadata/resourceVersion'));

export function rebase(ops: JsonPatchOp[], rv: string): JsonPatchOp[] {
  return [{ op: 'test', path: '/metadata/resourceVersion', value: rv }, ...withoutRvTest(ops)];
}

/** The first failing test of `ops` against `doc` (null when all pass). */
export function failingTest(doc: unknown, ops: JsonPatchOp[]): JsonPatchOp | null {
  for (const o of ops) {
    if (o.op !== 'test') continue;
    const v = getAt(doc, o.path);
    if (v === MISSING || !deepEqual(v, o.value)) return o;
  }
  return null;
}

export type { Obj };
