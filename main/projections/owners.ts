import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ServiceOwner } from '../../shared/contract/projections';

/**
 * Which mesh service owns which event store connection (e.g. shop/orders -> the orders store), so
 * the graph can badge the service with its projections' lag. Kept in <dataDir>/projections-owners.json
 * (atomic write); in memory when there is no data dir. Holds no secret: connection ids only.
 */
export interface OwnerStore {
  list(): Promise<ServiceOwner[]>;
  set(owner: Omit<ServiceOwner, 'connectionId'> & { connectionId: string | null }): Promise<ServiceOwner[]>;
}

export function ownerStore(dataDir?: string): OwnerStore {
  const file = dataDir ? join(dataDir, 'projections-owners.json') : null;
  let cache: ServiceOwner[] | null = null;
  let chain: Promise<unknown> = Promise.resolve();

  async function load(): Promise<ServiceOwner[]> {
    if (cache) return cache;
    if (!file) return (cache = []);
    try {
      const v = JSON.parse(await readFile(file, 'utf8')) as { owners?: ServiceOwner[] };
      cache = Array.isArray(v.owners) ? v.owners.filter((o) => o && typeof o.service === 'string' && typeof o.connectionId === 'string') : [];
    } catch {
      cache = [];
    }
    return cache;
  }

  return {
    list: async () => [...(await load())],
    set(o) {
      const next = chain.then(async () => {
        const all = (await load()).filter((x) => !(x.namespace === o.namespace && x.service === o.service));
        if (o.connectionId) all.push({ namespace: o.namespace, service: o.service, connectionId: o.connectionId, projections: o.projections });
        all.sort((a, b) => `${a.namespace}/${a.service}`.localeCompare(`${b.namespace}/${b.service}`));
        cache = all;
        if (file) {
          await mkdir(dirname(file), { recursive: true });
          const tmp = `${file}.${process.pid}.tmp`;
          await writeFile(tmp, JSON.stringify({ version: 1, owners: all }, null, 2), { mode: 0o600 });
          await rename(tmp, file);
        }
        return [...all];
      });
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
