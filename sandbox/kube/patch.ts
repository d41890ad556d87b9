// The three patch formats the API server accepts. All functions are pure: they never touch
// their inputs (stored objects are frozen) and return a new document.
//  - JSON merge patch, RFC 7386 (what kubectl apply sends for custom resources)
//  - JSON patch, RFC 6902, including `test` (what guarded writers use for compare-and-set)
//  - strategic merge patch, for built-in kinds only (what kubectl apply/edit send for them)
import { failure, badRequest } from './errors.js';
import { clone, deepEqual, isObj, type JsonMap } from './json.js';

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: JsonMap = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(ptr: string): string[] {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw badRequest(`JSON pointer must start with "/": ${ptr}`);
  return ptr
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** 422 like the real server: the patch was well-formed but could not be applied. */
function patchFailed(message: string): Error {
  return failure(422, 'Invalid', message);
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw patchFailed(`invalid array index: ${token}`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw patchFailed(`array index out of bounds: ${token}`);
  return i;
}

/** Return the container of the last token, creating nothing (RFC 6902 never auto-creates). */
function parentOf(doc: unknown, tokens: string[], path: string): unknown {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false)];
    else if (isObj(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t];
    else throw patchFailed(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function getAt(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false)];
    else if (isObj(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t];
    else throw patchFailed(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function removeAt(doc: unknown, path: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw patchFailed('cannot remove the whole document');
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, false);
    return parent.splice(i, 1)[0];
  }
  if (isObj(parent) && Object.prototype.hasOwnProperty.call(parent, last)) {
    const v = parent[last];
    delete parent[last];
    return v;
  }
  throw patchFailed(`unable to remove nonexistent key: ${last}: missing value`);
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, !replace);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isObj(parent)) {
    if (replace && !Object.prototype.hasOwnProperty.call(parent, last)) {
      throw patchFailed(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    }
    parent[last] = value;
  } else {
    throw patchFailed(`doc is missing path: "${path}": missing value`);
  }
  return doc;
}

export function parseJsonPatch(body: unknown): JsonPatchOp[] {
  if (!Array.isArray(body)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return body.map((op: unknown) => {
    if (!isObj(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw badRequest('invalid JSON patch operation');
    if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op.op)) throw badRequest(`Unexpected kind: ${op.op}`);
    const out: JsonPatchOp = { op: op.op as JsonPatchOp['op'], path: op.path };
    if ('value' in op) out.value = op.value;
    if (typeof op.from === 'string') out.from = op.from;
    if (['add', 'replace', 'test'].includes(op.op) && !('value' in op)) throw badRequest(`missing value for ${op.op} operation`);
    return out;
  });
}

export function jsonPatch(target: unknown, ops: JsonPatchOp[]): unknown {
  let doc = clone(target);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, clone(op.value), false);
        break;
      case 'replace':
        doc = addAt(doc, op.path, clone(op.value), true);
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'move': {
        if (op.from === undefined) throw badRequest('missing from for move operation');
        const v = removeAt(doc, op.from);
        doc = addAt(doc, op.path, v, false);
        break;
      }
      case 'copy': {
        if (op.from === undefined) throw badRequest('missing from for copy operation');
        doc = addAt(doc, op.path, clone(getAt(doc, op.from)), false);
        break;
      }
      case 'test': {
        let actual: unknown;
        try {
          actual = getAt(doc, op.path);
        } catch {
          actual = undefined;
        }
        if (!deepEqual(actual, op.value)) throw patchFailed(`testing value ${op.path} failed: test failed`);
        break;
      }
    }
  }
  return doc;
}

// ---- strategic merge patch -------------------------------------------------------------

/**
 * Merge keys of the built-in types (the `patchMergeKey` tags in k8s.io/api), matched on the
 * trailing field names of the path. Lists not named here are replaced wholesale, which is also
 * what the real server does for lists without a merge strategy.
 */
const MERGE_KEYS: { suffix: string[]; key: string; exact?: boolean }[] = [
  { suffix: ['containers', 'ports'], key: 'containerPort' },
  { suffix: ['initContainers', 'ports'], key: 'containerPort' },
  { suffix: ['spec', 'ports'], key: 'port', exact: true }, // Service
  { suffix: ['containers'], key: 'name' },
  { suffix: ['initContainers'], key: 'name' },
  { suffix: ['ephemeralContainers'], key: 'name' },
  { suffix: ['env'], key: 'name' },
  { suffix: ['volumeMounts'], key: 'mountPath' },
  { suffix: ['volumeDevices'], key: 'devicePath' },
  { suffix: ['volumes'], key: 'name' },
  { suffix: ['imagePullSecrets'], key: 'name' },
  { suffix: ['hostAliases'], key: 'ip' },
  { suffix: ['conditions'], key: 'type' },
  { suffix: ['ownerReferences'], key: 'uid' },
  { suffix: ['topologySpreadConstraints'], key: 'topologyKey' },
  { suffix: ['resourceClaims'], key: 'name' },
];
/** Primitive lists with patchStrategy=merge: items are unioned, not replaced. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(path: string[]): string | undefined {
  for (const rule of MERGE_KEYS) {
    if (rule.exact) {
      if (path.length === rule.suffix.length && rule.suffix.every((s, i) => path[i] === s)) return rule.key;
      continue;
    }
    if (path.length >= rule.suffix.length && rule.suffix.every((s, i) => path[path.length - rule.suffix.length + i] === s)) return rule.key;
  }
  return undefined;
}

/** Remove `$patch`, `$retainKeys` and other directives from data that is stored as-is. */
function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(isObj(x) && x.$patch !== undefined && Object.keys(x).length === 1)).map(stripDirectives);
  if (isObj(v)) {
    const out: JsonMap = {};
    for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
    return out;
  }
  return v;
}

function mergeList(original: unknown, patch: unknown[], path: string[]): unknown[] {
  const orig = Array.isArray(original) ? clone(original) : [];
  if (patch.some((x) => isObj(x) && x.$patch === 'replace')) {
    return stripDirectives(patch.filter((x) => !(isObj(x) && x.$patch === 'replace'))) as unknown[];
  }
  const field = path[path.length - 1] ?? '';
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const out = [...orig];
    for (const x of patch) if (!out.some((y) => deepEqual(x, y))) out.push(clone(x));
    return out;
  }
  const key = mergeKeyFor(path);
  if (!key) return stripDirectives(patch) as unknown[];
  const out = orig;
  for (const item of patch) {
    if (!isObj(item)) continue;
    const idx = out.findIndex((o) => isObj(o) && deepEqual(o[key], item[key]));
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
    } else if (idx >= 0) {
      out[idx] = strategicMerge(out[idx], item, path);
    } else {
      out.push(stripDirectives(item));
    }
  }
  return out;
}

function applyElementOrder(list: unknown, order: unknown, key: string | undefined): unknown {
  if (!Array.isArray(list) || !Array.isArray(order)) return list;
  const rank = (x: unknown): number => {
    const id = key && isObj(x) ? x[key] : x;
    const i = order.findIndex((o) => deepEqual(key && isObj(o) ? o[key] : o, id));
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...list].sort((a, b) => rank(a) - rank(b));
}

/**
 * Strategic merge patch with the directives kubectl emits: `$patch: replace|delete`,
 * `$retainKeys`, `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`.
 * `path` is the chain of field names from the object root (list indices omitted).
 */
export function strategicMerge(original: unknown, patch: unknown, path: string[] = []): unknown {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: JsonMap = isObj(original) ? clone(original) : {};
  const orders: [string, unknown][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      orders.push([k.slice('$setElementOrder/'.length), v]);
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((y) => deepEqual(x, y)));
      continue;
    }
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v)) {
      out[k] = mergeList(out[k], v, [...path, k]);
    } else if (isObj(v)) {
      const merged = strategicMerge(out[k], v, [...path, k]);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  for (const [field, order] of orders) {
    if (out[field] !== undefined) out[field] = applyElementOrder(out[field], order, mergeKeyFor([...path, field]));
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.filter((x): x is string => typeof x === 'string'));
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}
