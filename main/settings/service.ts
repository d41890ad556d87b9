import fsp from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { ApiError } from '../../shared/errors';
import { eventStoreSettingsSchema, prometheusSettingsSchema } from '../../shared/contract/settings';
import type {
  ConnectionHealth,
  EventStoreSettings,
  ImportResult,
  Notice,
  PreferencesPatch,
  PrometheusSettings,
  SecretsInfo,
  SettingsSnapshot,
} from '../../shared/contract/settings';
import { serial } from './atomic';
import { DesktopCommandBus } from './commands';
import { SCHEMA_VERSION, parseSettingsDocument, settingsFileSchema } from './schema';
import type { SettingsData, WindowState } from './schema';
import { FileSecrets, secretsPaths } from './secrets';
import type { SecretStore } from './secrets';
import { SettingsStore, makeNotice } from './store';

export type PrometheusSettingsInput = z.input<typeof prometheusSettingsSchema>;
export type EventStoreSettingsInput = z.input<typeof eventStoreSettingsSchema>;

/** The three calls main/kube's `UserKubeconfigStore` needs, so it can swap its interim file for this. */
export interface KubeconfigList {
  list(): Promise<string[]>;
  add(p: string): Promise<string[]>;
  remove(p: string): Promise<string[]>;
}

/** Shaped like main/metrics' `MetricsSettingsStore`: pass `settings.prometheusStore` as its store. */
export interface PrometheusStore {
  get(contextId: string): Promise<PrometheusSettings | null>;
  /** null forgets the context (and its stored credentials). */
  set(contextId: string, config: PrometheusSettingsInput | null): Promise<void>;
  all(): Promise<Record<string, PrometheusSettings>>;
}

/** Shaped like main/eventstore's `ConnectionStore`: pass `settings.eventStoreConnections` as its store. */
export interface EventStoreConnectionStore {
  list(): Promise<EventStoreSettings[]>;
  put(record: EventStoreSettingsInput): Promise<void>;
  /** Also forgets the stored password. */
  remove(id: string): Promise<void>;
}

export interface SettingsService {
  /** `<dataDir>/settings.json`. */
  readonly file: string;
  /** Main-only. Services read credentials here by key; the renderer never gets a value. */
  readonly secrets: SecretStore;
  /** Menu commands and deep links for the renderer (`desktop.commands`). */
  readonly commands: DesktopCommandBus;

  /** The current settings (a copy). */
  current(): SettingsData;
  /** What the renderer sees: connection health checked now, secret status, never a secret. */
  snapshot(): Promise<SettingsSnapshot>;
  updatePreferences(patch: PreferencesPatch): Promise<SettingsSnapshot>;

  windowState(): WindowState;
  setWindowState(state: Partial<WindowState>): Promise<void>;

  /** User-added kubeconfig files (absolute paths), in the order added. */
  readonly kubeconfigs: KubeconfigList;

  prometheus(contextId: string): PrometheusSettings | null;
  /** `null` forgets the cluster's Prometheus and its stored credentials. */
  setPrometheus(contextId: string, settings: PrometheusSettingsInput | null): Promise<PrometheusSettings | null>;

  eventStores(): EventStoreSettings[];
  eventStore(id: string): EventStoreSettings | null;
  /** Adds, or replaces the store with the same id. */
  putEventStore(settings: EventStoreSettingsInput): Promise<EventStoreSettings>;
  /** Forgets the store and its stored password. */
  removeEventStore(id: string): Promise<void>;
  /** The same, as the interfaces main/metrics and main/eventstore already take. */
  readonly prometheusStore: PrometheusStore;
  readonly eventStoreConnections: EventStoreConnectionStore;

  secretsInfo(): Promise<SecretsInfo>;
  setSecret(key: string, value: string): Promise<SecretsInfo>;
  deleteSecret(key: string): Promise<SecretsInfo>;

  exportJson(): { json: string; fileName: string };
  importJson(json: string): Promise<ImportResult>;

  notices(): Notice[];
  ackNotice(id: string): Notice[];
  addNotice(level: Notice['level'], message: string, file?: string | null): void;

  /** Called after every saved change. */
  onChange(listener: (data: SettingsData) => void): () => void;
}

export interface SettingsServiceOptions {
  dataDir: string;
  /** Desktop: safeStorage-backed store from main/electron. Default: a 0600 file (web mode). */
  secrets?: SecretStore;
}

export const secretKeys = {
  prometheus: (contextId: string, auth: PrometheusSettings['auth']) =>
    auth === 'bearer' ? `prometheus:${contextId}:token` : auth === 'basic' ? `prometheus:${contextId}:password` : null,
  eventStore: (id: string) => `eventstore:${id}:password`,
};

/** Every secret key the settings refer to. */
export function referencedSecretKeys(data: SettingsData): string[] {
  const keys: string[] = [];
  for (const [ctx, p] of Object.entries(data.connections.prometheus)) {
    const k = secretKeys.prometheus(ctx, p.auth);
    if (k) keys.push(k);
  }
  for (const s of data.connections.eventStores) keys.push(secretKeys.eventStore(s.id));
  return keys;
}

async function fileHealth(p: string): Promise<ConnectionHealth> {
  try {
    const st = await fsp.stat(p);
    if (!st.isFile()) return { status: 'broken', reason: `${p} is not a file` };
    await fsp.access(p, fsp.constants.R_OK);
    return { status: 'ok' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'broken', reason: `${p} does not exist` };
    if (code === 'EACCES' || code === 'EPERM') return { status: 'broken', reason: `${p} cannot be read (permission denied)` };
    return { status: 'broken', reason: `${p} cannot be read (${code ?? (err as Error).message})` };
  }
}

/** The document `settings.export` produces and `settings.import` reads. */
export const EXPORT_KIND = 'meshdeck-settings';

export async function createSettingsService(opts: SettingsServiceOptions): Promise<SettingsService> {
  const store = SettingsStore.inDir(opts.dataDir);
  const secrets = opts.secrets ?? new FileSecrets(secretsPaths(opts.dataDir).file);
  const commands = new DesktopCommandBus();
  const loaded = await store.load();
  let data = loaded.data;
  let notices = [...loaded.notices];
  const readOnly = loaded.readOnly;
  const listeners = new Set<(d: SettingsData) => void>();
  const run = serial();

  /** Read-modify-write, one at a time: validate the result, save, then publish. */
  const mutate = (fn: (draft: SettingsData) => void): Promise<SettingsData> => run(async () => {
    const draft = structuredClone(data);
    fn(draft);
    const checked = settingsFileSchema.safeParse(draft);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new ApiError('BAD_INPUT', `settings: '${issue?.path.map(String).join('.') ?? ''}': ${issue?.message ?? 'invalid'}`, { field: issue?.path.map(String).join('.') });
    }
    const next = checked.data as SettingsData;
    if (!readOnly) await store.save(next);
    data = next;
    for (const l of [...listeners]) {
      try { l(structuredClone(data)); } catch { /* a listener's failure is its own */ }
    }
    return data;
  });

  await adoptLegacyFiles();

  /**
   * Before settings existed, main/kube kept user-added files in `<dataDir>/kubeconfigs.json` and
   * main/metrics its per-cluster config in `<dataDir>/metrics/settings.json`. Their entries are
   * merged in (never replacing what settings has) whenever such a file changed since it was last
   * taken over, so nothing added through the interim stores is lost while the services move over.
   * The files themselves are left alone.
   */
  async function adoptLegacyFiles(): Promise<void> {
    const sources: { file: string; take: (doc: unknown, d: SettingsData) => number }[] = [
      {
        file: path.join(opts.dataDir, 'kubeconfigs.json'),
        take: (doc, d) => {
          const files = (doc as { files?: unknown })?.files;
          if (!Array.isArray(files)) return 0;
          let n = 0;
          for (const f of new Set(files.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 4096))) {
            if (d.connections.kubeconfigs.some((k) => k.path === f)) continue;
            d.connections.kubeconfigs.push({ path: f, addedAt: new Date().toISOString() });
            n++;
          }
          return n;
        },
      },
      {
        file: path.join(opts.dataDir, 'metrics', 'settings.json'),
        take: (doc, d) => {
          const clusters = (doc as { clusters?: unknown })?.clusters;
          if (typeof clusters !== 'object' || clusters === null) return 0;
          let n = 0;
          for (const [ctx, raw] of Object.entries(clusters)) {
            if (Object.hasOwn(d.connections.prometheus, ctx)) continue;
            const parsed = prometheusSettingsSchema.safeParse(raw);
            if (!parsed.success) continue; // the metrics store reports its own bad entries
            d.connections.prometheus[ctx] = parsed.data;
            n++;
          }
          return n;
        },
      },
    ];
    for (const src of sources) {
      let mtime: string;
      let doc: unknown;
      try {
        mtime = (await fsp.stat(src.file)).mtime.toISOString();
        if (data.legacy[src.file] === mtime) continue;
        doc = JSON.parse(await fsp.readFile(src.file, 'utf8'));
      } catch {
        continue; // absent or unreadable: nothing to take over
      }
      let taken = 0;
      try {
        await mutate((d) => {
          taken = src.take(doc, d);
          d.legacy[src.file] = mtime;
        });
      } catch {
        continue;
      }
      if (taken > 0) notices.push(makeNotice('info', `Took over ${taken} entr${taken === 1 ? 'y' : 'ies'} from ${src.file} into your settings.`, src.file));
    }
  }

  async function secretsInfo(): Promise<SecretsInfo> {
    const st = await secrets.status();
    let stored: string[] = [];
    if (st.usable) stored = await secrets.keys().catch(() => []);
    const all = [...new Set([...referencedSecretKeys(data), ...stored])].sort();
    return { backend: secrets.backend, usable: st.usable, problem: st.problem, keys: all.map((key) => ({ key, set: stored.includes(key) })) };
  }

  async function snapshot(): Promise<SettingsSnapshot> {
    const d = data;
    const info = await secretsInfo();
    const isSet = (k: string | null) => k !== null && info.keys.some((s) => s.key === k && s.set);
    return {
      schemaVersion: SCHEMA_VERSION,
      file: store.file,
      preferences: structuredClone(d.preferences),
      connections: {
        kubeconfigs: await Promise.all(d.connections.kubeconfigs.map(async (k) => ({ ...k, health: await fileHealth(k.path) }))),
        prometheus: Object.fromEntries(Object.entries(d.connections.prometheus).map(([ctx, p]) => [ctx, { ...p, secretSet: isSet(secretKeys.prometheus(ctx, p.auth)) }])),
        eventStores: d.connections.eventStores.map((s) => ({ ...s, secretSet: isSet(secretKeys.eventStore(s.id)) })),
      },
      secrets: info,
    };
  }

  const requireUsable = async () => {
    const st = await secrets.status();
    if (!st.usable) throw new ApiError('INVALID_CONFIG', st.problem ?? 'Secrets cannot be stored here.');
  };

  const normalisePath = (p: string) => path.resolve(p);

  const kubeconfigs: KubeconfigList = {
    list: async () => data.connections.kubeconfigs.map((k) => k.path),
    add: async (p) => {
      const abs = normalisePath(p);
      const d = await mutate((draft) => {
        if (!draft.connections.kubeconfigs.some((k) => k.path === abs)) draft.connections.kubeconfigs.push({ path: abs, addedAt: new Date().toISOString() });
      });
      return d.connections.kubeconfigs.map((k) => k.path);
    },
    remove: async (p) => {
      const abs = normalisePath(p);
      const d = await mutate((draft) => { draft.connections.kubeconfigs = draft.connections.kubeconfigs.filter((k) => k.path !== abs && k.path !== p); });
      return d.connections.kubeconfigs.map((k) => k.path);
    },
  };

  const service: SettingsService = {
    file: store.file,
    secrets,
    commands,
    current: () => structuredClone(data),
    snapshot,
    async updatePreferences(patch) {
      await mutate((d) => {
        if (patch.theme !== undefined) d.preferences.theme = patch.theme;
        if (patch.refresh) Object.assign(d.preferences.refresh, stripUndefined(patch.refresh));
        if (patch.graph) Object.assign(d.preferences.graph, stripUndefined(patch.graph));
      });
      return snapshot();
    },
    windowState: () => structuredClone(data.window),
    async setWindowState(state) {
      await mutate((d) => { Object.assign(d.window, stripUndefined(state)); });
    },
    kubeconfigs,
    prometheus: (contextId) => structuredClone(data.connections.prometheus[contextId] ?? null),
    async setPrometheus(contextId, input) {
      if (input === null) {
        const old = data.connections.prometheus[contextId];
        await mutate((d) => { delete d.connections.prometheus[contextId]; });
        for (const k of [old ? secretKeys.prometheus(contextId, old.auth) : null, `prometheus:${contextId}:token`, `prometheus:${contextId}:password`]) {
          if (k) await secrets.delete(k).catch(() => undefined);
        }
        return null;
      }
      const parsed = prometheusSettingsSchema.safeParse(input);
      if (!parsed.success) throw badSettings('prometheus', parsed.error.issues[0]);
      await mutate((d) => { d.connections.prometheus[contextId] = parsed.data; });
      return structuredClone(parsed.data);
    },
    eventStores: () => structuredClone(data.connections.eventStores),
    eventStore: (id) => structuredClone(data.connections.eventStores.find((s) => s.id === id) ?? null),
    async putEventStore(input) {
      const parsed = eventStoreSettingsSchema.safeParse(input);
      if (!parsed.success) throw badSettings('eventStore', parsed.error.issues[0]);
      const s = parsed.data;
      await mutate((d) => {
        const i = d.connections.eventStores.findIndex((e) => e.id === s.id);
        if (i >= 0) d.connections.eventStores[i] = s;
        else d.connections.eventStores.push(s);
      });
      return structuredClone(s);
    },
    async removeEventStore(id) {
      await mutate((d) => { d.connections.eventStores = d.connections.eventStores.filter((s) => s.id !== id); });
      await secrets.delete(secretKeys.eventStore(id)).catch(() => undefined);
    },
    get prometheusStore(): PrometheusStore {
      return {
        get: async (contextId) => service.prometheus(contextId),
        set: async (contextId, config) => { await service.setPrometheus(contextId, config); },
        all: async () => structuredClone(data.connections.prometheus),
      };
    },
    get eventStoreConnections(): EventStoreConnectionStore {
      return {
        list: async () => service.eventStores(),
        put: async (record) => { await service.putEventStore(record); },
        remove: (id) => service.removeEventStore(id),
      };
    },
    secretsInfo,
    async setSecret(key, value) {
      await requireUsable();
      await secrets.set(key, value);
      notify();
      return secretsInfo();
    },
    async deleteSecret(key) {
      await secrets.delete(key);
      notify();
      return secretsInfo();
    },
    exportJson() {
      const doc = {
        kind: EXPORT_KIND,
        schemaVersion: SCHEMA_VERSION,
        exportedAt: new Date().toISOString(),
        note: 'Secrets (tokens, passwords) are not included; set them again after importing.',
        preferences: data.preferences,
        connections: data.connections,
      };
      const day = new Date().toISOString().slice(0, 10);
      return { json: `${JSON.stringify(doc, null, 2)}\n`, fileName: `meshdeck-settings-${day}.json` };
    },
    async importJson(json) {
      let kind: unknown;
      try {
        kind = (JSON.parse(json) as { kind?: unknown })?.kind;
      } catch (err) {
        throw new ApiError('INVALID_CONFIG', `The file is not JSON (${(err as Error).message}).`, { field: 'json' });
      }
      if (kind !== EXPORT_KIND) throw new ApiError('INVALID_CONFIG', `This is not a meshdeck settings export (expected "kind": "${EXPORT_KIND}").`, { field: 'json' });
      const parsed = parseSettingsDocument(json);
      if (!parsed.ok) throw new ApiError('INVALID_CONFIG', `The settings export cannot be imported: ${parsed.reason}.`, { field: 'json' });
      const imported = parsed.data;
      const next = await mutate((d) => {
        d.preferences = imported.preferences;
        d.connections = imported.connections;
      });
      const info = await secretsInfo();
      const missing = referencedSecretKeys(next).filter((k) => !info.keys.some((s) => s.key === k && s.set));
      const warnings = missing.map((k) => `Secret not set on this machine: ${k}`);
      const broken = (await Promise.all(next.connections.kubeconfigs.map((k) => fileHealth(k.path)))).filter((h) => h.status === 'broken');
      for (const b of broken) if (b.status === 'broken') warnings.push(`Kubeconfig: ${b.reason}`);
      return { settings: await snapshot(), warnings };
    },
    notices: () => [...notices],
    ackNotice(id) {
      notices = notices.filter((n) => n.id !== id);
      return [...notices];
    },
    addNotice(level, message, file = null) {
      notices.push(makeNotice(level, message, file));
    },
    onChange(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
  };

  /** Secret changes don't touch settings.json but do change what the renderer sees. */
  function notify(): void {
    for (const l of [...listeners]) {
      try { l(structuredClone(data)); } catch { /* ignore */ }
    }
  }

  return service;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function badSettings(what: string, issue: z.core.$ZodIssue | undefined): ApiError {
  const field = issue ? [what, ...issue.path.map(String)].join('.') : what;
  return new ApiError('BAD_INPUT', `${field}: ${issue?.message ?? 'invalid'}`, { field });
}
