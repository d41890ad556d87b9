// Optional persistence of the whole store to one JSON file, so a restarted sandbox keeps
// the weights, canaries and objects the demo changed. Writes are debounced and atomic
// (temp file + rename): a crash leaves either the old or the new state, never half of one.
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isObj } from './json.js';
import type { ObjectStore, StoreDump } from './store.js';
import type { KubeObject } from './types.js';

const FORMAT = 'meshdeck.sandbox.kube/v1';

export async function loadState(file: string): Promise<StoreDump | undefined> {
  if (!existsSync(file)) return undefined;
  const raw: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (!isObj(raw) || raw.format !== FORMAT || typeof raw.resourceVersion !== 'number' || !isObj(raw.objects)) {
    throw new Error(`sandbox state file ${file} is not a ${FORMAT} document`);
  }
  const objects: Record<string, KubeObject[]> = {};
  for (const [k, v] of Object.entries(raw.objects)) if (Array.isArray(v)) objects[k] = v.filter(isObj) as KubeObject[];
  return { resourceVersion: raw.resourceVersion, objects };
}

export class StatePersister {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly file: string,
    private readonly store: ObjectStore,
    private readonly debounceMs = 250,
  ) {}

  start(): void {
    this.unsubscribe = this.store.onChange(() => this.markDirty());
  }

  private markDirty(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
  }

  /** Write now if anything changed; resolves when the file is on disk. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const dump = this.store.dump();
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp-${process.pid}`;
      await writeFile(tmp, JSON.stringify({ format: FORMAT, savedAt: new Date().toISOString(), ...dump }));
      await rename(tmp, this.file);
    });
    return this.writing;
  }

  /** Force a first write (e.g. right after seeding) even if nothing changed since. */
  async save(): Promise<void> {
    this.dirty = true;
    await this.flush();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.flush();
  }
}
