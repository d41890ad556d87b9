// Decoding of Kubernetes protobuf request bodies for the few kinds kubectl sends that way.
// kubectl's typed clients (`auth can-i`, `auth whoami`, `create namespace|configmap|secret`)
// POST `application/vnd.kubernetes.protobuf` and accept JSON back, so the server only has to
// read protobuf, never write it. Custom resources never use protobuf.
//
// Envelope (k8s.io/apimachinery runtime.Unknown): the magic "k8s\0", then a message with
// 1: TypeMeta{1: apiVersion, 2: kind}, 2: raw (the object), 3: contentEncoding, 4: contentType.
// Field numbers below are those of k8s.io/api's generated.proto files.
import { failure } from './errors.js';
import type { JsonMap } from './json.js';

type Wire = { field: number; type: number; value: bigint | Uint8Array };

function readVarint(buf: Uint8Array, pos: { i: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.i >= buf.length) throw new Error('truncated varint');
    const b = buf[pos.i++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

export function readFields(buf: Uint8Array): Wire[] {
  const out: Wire[] = [];
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const key = Number(readVarint(buf, pos));
    const field = key >>> 3;
    const type = key & 7;
    if (type === 0) out.push({ field, type, value: readVarint(buf, pos) });
    else if (type === 2) {
      const len = Number(readVarint(buf, pos));
      out.push({ field, type, value: buf.subarray(pos.i, pos.i + len) });
      pos.i += len;
    } else if (type === 1) {
      out.push({ field, type, value: buf.subarray(pos.i, pos.i + 8) });
      pos.i += 8;
    } else if (type === 5) {
      out.push({ field, type, value: buf.subarray(pos.i, pos.i + 4) });
      pos.i += 4;
    } else throw new Error(`unsupported wire type ${type}`);
  }
  return out;
}

/** A message schema: field number → [json name, kind]. */
type FieldKind = 'string' | 'bytes' | 'int' | 'bool' | 'strings' | 'map' | 'bytesmap' | Schema | [Schema];
interface Schema {
  [field: number]: [string, FieldKind];
}

const decoder = new TextDecoder();

function decodeMessage(buf: Uint8Array, schema: Schema): JsonMap {
  const out: JsonMap = {};
  for (const f of readFields(buf)) {
    const spec = schema[f.field];
    if (!spec) continue;
    const [name, kind] = spec;
    const bytes = f.value instanceof Uint8Array ? f.value : undefined;
    // gogo-protobuf writes empty strings and zero numbers; JSON would omit them.
    if (kind === 'string' && bytes) {
      if (bytes.length) out[name] = decoder.decode(bytes);
    }
    else if (kind === 'bytes' && bytes) out[name] = Buffer.from(bytes).toString('base64');
    else if (kind === 'int' && typeof f.value === 'bigint') {
      if (f.value !== 0n || name !== 'generation') out[name] = Number(f.value);
    }
    else if (kind === 'bool' && typeof f.value === 'bigint') out[name] = f.value !== 0n;
    else if (kind === 'strings' && bytes) out[name] = [...((out[name] as string[] | undefined) ?? []), decoder.decode(bytes)];
    else if ((kind === 'map' || kind === 'bytesmap') && bytes) {
      const entry = decodeMessage(bytes, { 1: ['k', 'string'], 2: ['v', kind === 'map' ? 'string' : 'bytes'] });
      out[name] = { ...((out[name] as JsonMap | undefined) ?? {}), [String(entry.k ?? '')]: entry.v ?? '' };
    } else if (Array.isArray(kind) && bytes) out[name] = [...((out[name] as JsonMap[] | undefined) ?? []), decodeMessage(bytes, kind[0])];
    else if (typeof kind === 'object' && !Array.isArray(kind) && bytes) out[name] = decodeMessage(bytes, kind);
  }
  return out;
}

const OWNER_REF: Schema = { 1: ['kind', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'], 5: ['apiVersion', 'string'], 6: ['controller', 'bool'], 7: ['blockOwnerDeletion', 'bool'] };
const OBJECT_META: Schema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  11: ['labels', 'map'],
  12: ['annotations', 'map'],
  13: ['ownerReferences', [OWNER_REF]],
  14: ['finalizers', 'strings'],
};

const SCHEMAS: Record<string, Schema> = {
  Namespace: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['finalizers', 'strings'] }] },
  ConfigMap: { 1: ['metadata', OBJECT_META], 2: ['data', 'map'], 3: ['binaryData', 'bytesmap'], 4: ['immutable', 'bool'] },
  Secret: { 1: ['metadata', OBJECT_META], 2: ['data', 'bytesmap'], 3: ['type', 'string'], 4: ['stringData', 'map'], 5: ['immutable', 'bool'] },
  ServiceAccount: { 1: ['metadata', OBJECT_META], 4: ['automountServiceAccountToken', 'bool'] },
  SelfSubjectAccessReview: {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['resourceAttributes', { 1: ['namespace', 'string'], 2: ['verb', 'string'], 3: ['group', 'string'], 4: ['version', 'string'], 5: ['resource', 'string'], 6: ['subresource', 'string'], 7: ['name', 'string'] }],
        2: ['nonResourceAttributes', { 1: ['path', 'string'], 2: ['verb', 'string'] }],
      },
    ],
  },
  SelfSubjectRulesReview: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['namespace', 'string'] }] },
  SelfSubjectReview: { 1: ['metadata', OBJECT_META] },
  DeleteOptions: {
    1: ['gracePeriodSeconds', 'int'],
    2: ['preconditions', { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] }],
    3: ['orphanDependents', 'bool'],
    4: ['propagationPolicy', 'string'],
    5: ['dryRun', 'strings'],
  },
};

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** Decode a protobuf body to the JSON object it stands for, or fail with 415 for other kinds. */
export function decodeK8sProtobuf(body: Buffer): JsonMap {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) throw failure(400, 'BadRequest', 'protobuf body without the k8s envelope');
  const unknown = decodeMessage(body.subarray(4), { 1: ['typeMeta', { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }], 2: ['raw', 'bytes'] });
  const tm = (unknown.typeMeta ?? {}) as JsonMap;
  const kind = String(tm.kind ?? '');
  const schema = SCHEMAS[kind];
  if (!schema) {
    throw failure(415, 'UnsupportedMediaType', `the sandbox API server cannot read protobuf bodies of kind ${kind || '<unknown>'}; send application/json`);
  }
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  return { apiVersion: tm.apiVersion, kind, ...decodeMessage(raw, schema) };
}
