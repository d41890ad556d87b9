// Loading the demo cluster from YAML manifests (sandbox/kube/seed/*.yaml), the same files a
// user could `kubectl apply`. Objects go through the normal create path (defaults, IP
// allocation, sidecar injection), in dependency order: namespaces, CRDs, then the rest.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { KubeApi } from './api.js';
import { isObj } from './json.js';
import type { KubeObject } from './types.js';

export const DEFAULT_SEED_DIR = fileURLToPath(new URL('./seed/', import.meta.url));

function rank(o: KubeObject): number {
  if (o.kind === 'Namespace') return 0;
  if (o.kind === 'CustomResourceDefinition') return 1;
  if (o.kind === 'Node') return 2;
  return 3;
}

export async function readManifests(dir: string): Promise<KubeObject[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const out: KubeObject[] = [];
  for (const f of files) {
    const text = await readFile(join(dir, f), 'utf8');
    for (const doc of YAML.parseAllDocuments(text)) {
      if (doc.errors.length) throw new Error(`${f}: ${doc.errors[0]!.message}`);
      const v: unknown = doc.toJSON();
      if (!isObj(v)) continue;
      if (typeof v.apiVersion !== 'string' || typeof v.kind !== 'string') throw new Error(`${f}: a document without apiVersion/kind`);
      if (v.kind === 'List' && Array.isArray(v.items)) out.push(...(v.items.filter(isObj) as KubeObject[]));
      else out.push(v as KubeObject);
    }
  }
  return out;
}

/** Create every manifest; returns how many objects were created. */
export async function seedFromDir(api: KubeApi, dir: string): Promise<number> {
  const objs = (await readManifests(dir)).sort((a, b) => rank(a) - rank(b));
  let n = 0;
  for (const o of objs) {
    const def = api.registry.byApiVersionKind(o.apiVersion, o.kind);
    if (!def) throw new Error(`seed: no resource serves ${o.apiVersion} ${o.kind} (${o.metadata?.name ?? '?'}); is its CRD seeded?`);
    // `all`: seed manifests may carry status (e.g. a Node's), as a restored backup would.
    api.create(def, o.metadata?.namespace ?? (def.namespaced ? 'default' : undefined), o, { scope: 'all' });
    n++;
  }
  return n;
}
