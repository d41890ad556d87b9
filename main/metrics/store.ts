/**
 * Where per-cluster Prometheus settings and their secrets are kept, behind two small interfaces
 * so the settings service can take them over:
 *   - MetricsSettingsStore: plain settings, in memory + `<dataDir>/metrics/settings.json`
 *     (atomic write: temp file + rename). Never holds a secret.
 *   - SecretStore: tokens/passwords by key (`prometheus:<contextId>:token|password`, the settings
 *     service's naming). Default: `<dataDir>/metrics/secrets.json`, mode 0600. main/settings'
 *     SecretStore (safeStorage on desktop) fits this interface and is what the app passes in.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { metricsConfigSchema, type MetricsConfig } from '../../shared/contract/metrics';

export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface MetricsSettingsStore {
  get(contextId: string): Promise<MetricsConfig | null>;
  /** null forgets the context. */
  set(contextId: string, config: MetricsConfig | null): Promise<void>;
  all(): Promise<Record<string, MetricsConfig>>;
}

export const secretKeyFor = (contextId: string, auth: MetricsConfig['auth']): string | null =>
  auth === 'bearer' ? `prometheus:${contextId}:token` : auth === 'basic' ? `prometheus:${contextId}:password` : null;

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode });
    await chmod(tmp, mode); // the umask may have widened or narrowed it
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** One writer at a time, in order (two quick saves must not interleave their renames). */
function serial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

const fileSchema = z.object({ version: z.literal(1), clusters: z.record(z.string(), z.unknown()) });

export class FileMetricsSettings implements MetricsSettingsStore {
  private cache: Record<string, MetricsConfig> | null = null;
  private readonly run = serial();
  /** Entries that did not validate on load (kept out, reported). */
  readonly problems: string[] = [];

  constructor(readonly file: string) {}

  static inDir(dataDir: string): FileMetricsSettings {
    return new FileMetricsSettings(join(dataDir, 'metrics', 'settings.json'));
  }

  private async load(): Promise<Record<string, MetricsConfig>> {
    if (this.cache) return this.cache;
    const out: Record<string, MetricsConfig> = {};
    let text: string | null = null;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== null) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        this.problems.push(`${this.file} is not JSON; starting empty (the file is left as it is until the next save).`);
      }
      const doc = fileSchema.safeParse(parsed);
      if (doc.success) {
        for (const [ctx, raw] of Object.entries(doc.data.clusters)) {
          const c = metricsConfigSchema.safeParse(raw);
          if (c.success) out[ctx] = c.data;
          else this.problems.push(`${this.file}: settings for "${ctx}" are invalid (${c.error.issues[0]?.message ?? 'shape'}); ignored.`);
        }
      } else if (parsed !== undefined) this.problems.push(`${this.file} has an unknown layout; starting empty.`);
    }
    this.cache = out;
    return out;
  }

  async get(contextId: string): Promise<MetricsConfig | null> {
    return (await this.load())[contextId] ?? null;
  }

  async all(): Promise<Record<string, MetricsConfig>> {
    return { ...(await this.load()) };
  }

  set(contextId: string, config: MetricsConfig | null): Promise<void> {
    return this.run(async () => {
      const cur = { ...(await this.load()) };
      if (config) cur[contextId] = config;
      else delete cur[contextId];
      await writeAtomic(this.file, `${JSON.stringify({ version: 1, clusters: cur }, null, 2)}\n`, 0o644);
      this.cache = cur;
    });
  }
}

export class MemoryMetricsSettings implements MetricsSettingsStore {
  private readonly map = new Map<string, MetricsConfig>();
  async get(id: string) {
    return this.map.get(id) ?? null;
  }
  async set(id: string, c: MetricsConfig | null) {
    if (c) this.map.set(id, c);
    else this.map.delete(id);
  }
  async all() {
    return Object.fromEntries(this.map);
  }
}

/** Secrets in a JSON file only the user can read (0600, directory 0700). */
export class FileSecretStore implements SecretStore {
  private cache: Record<string, string> | null = null;
  private readonly run = serial();

  constructor(readonly file: string) {}

  static inDir(dataDir: string): FileSecretStore {
    return new FileSecretStore(join(dataDir, 'metrics', 'secrets.json'));
  }

  private async load(): Promise<Record<string, string>> {
    if (this.cache) return this.cache;
    try {
      const j = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      const r = z.record(z.string(), z.string()).safeParse(j);
      this.cache = r.success ? r.data : {};
    } catch {
      this.cache = {};
    }
    return this.cache;
  }

  async get(key: string): Promise<string | null> {
    return (await this.load())[key] ?? null;
  }

  set(key: string, value: string): Promise<void> {
    return this.run(async () => {
      const next = { ...(await this.load()), [key]: value };
      await writeAtomic(this.file, JSON.stringify(next), 0o600);
      this.cache = next;
    });
  }

  delete(key: string): Promise<void> {
    return this.run(async () => {
      const cur = await this.load();
      if (!(key in cur)) return;
      const next = { ...cur };
      delete next[key];
      await writeAtomic(this.file, JSON.stringify(next), 0o600);
      this.cache = next;
    });
  }
}

export class MemorySecretStore implements SecretStore {
  private readonly map = new Map<string, string>();
  async get(k: string) {
    return this.map.get(k) ?? null;
  }
  async set(k: string, v: string) {
    this.map.set(k, v);
  }
  async delete(k: string) {
    this.map.delete(k);
  }
}
