import { z } from 'zod';
import {
  DEFAULT_PREFERENCES,
  THEME_CHOICES,
  eventStoreSettingsSchema,
  graphFields,
  prometheusSettingsSchema,
  refreshFields,
} from '../../shared/contract/settings';
import type { Connections, Preferences } from '../../shared/contract/settings';

/**
 * The settings file on disk, `<dataDir>/settings.json`. Every change to its shape bumps
 * SCHEMA_VERSION and appends a migration vN -> vN+1 to MIGRATIONS; a file is migrated step by
 * step on load, and an export from an older meshdeck goes through the same steps on import.
 */

const D = DEFAULT_PREFERENCES;

const preferencesFileSchema = z.object({
  theme: z.enum(THEME_CHOICES).default(D.theme),
  refresh: z.object({
    graphSeconds: refreshFields.graphSeconds.default(D.refresh.graphSeconds),
    eventStoreSeconds: refreshFields.eventStoreSeconds.default(D.refresh.eventStoreSeconds),
    clusterSeconds: refreshFields.clusterSeconds.default(D.refresh.clusterSeconds),
  }).prefault({}),
  graph: z.object({
    type: graphFields.type.default(D.graph.type),
    layout: graphFields.layout.default(D.graph.layout),
    window: graphFields.window.default(D.graph.window),
    edgeLabel: graphFields.edgeLabel.default(D.graph.edgeLabel),
    showIdleNodes: graphFields.showIdleNodes.default(D.graph.showIdleNodes),
    showSecurity: graphFields.showSecurity.default(D.graph.showSecurity),
    stablePositions: graphFields.stablePositions.default(D.graph.stablePositions),
  }).prefault({}),
}).prefault({});

const kubeconfigEntrySchema = z.object({
  path: z.string().min(1).max(4096),
  addedAt: z.string().max(64),
});

const connectionsFileSchema = z.object({
  kubeconfigs: z.array(kubeconfigEntrySchema).max(1000).default([]),
  prometheus: z.record(z.string().min(1).max(4096), prometheusSettingsSchema).default({}),
  eventStores: z.array(eventStoreSettingsSchema).max(1000).default([]),
}).prefault({}).superRefine((c, ctx) => {
  const ids = new Set<string>();
  c.eventStores.forEach((s, i) => {
    if (ids.has(s.id)) ctx.addIssue({ code: 'custom', message: `duplicate event store id '${s.id}'`, path: ['eventStores', i, 'id'] });
    ids.add(s.id);
  });
});

const boundsSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(200).max(100_000),
  height: z.number().int().min(150).max(100_000),
});

const windowStateSchema = z.object({
  bounds: boundsSchema.nullable().default(null),
  maximized: z.boolean().default(false),
  fullScreen: z.boolean().default(false),
  zoomLevel: z.number().min(-8).max(9).default(0),
}).prefault({});

export type WindowBounds = z.output<typeof boundsSchema>;
export type WindowState = z.output<typeof windowStateSchema>;

export const settingsFileSchema = z.object({
  schemaVersion: z.number().int(),
  preferences: preferencesFileSchema,
  connections: connectionsFileSchema,
  window: windowStateSchema,
  /** Interim files of other services already taken over: path -> their mtime then (see service.ts). */
  legacy: z.record(z.string().max(4096), z.string().max(64)).default({}),
});

export interface SettingsData {
  schemaVersion: number;
  preferences: Preferences;
  connections: Connections;
  window: WindowState;
  legacy: Record<string, string>;
}

type Json = Record<string, unknown>;
type Migration = (doc: Json) => Json;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * v1 (meshdeck 0.0.x) was flat: `{ schemaVersion: 1, theme, refreshSeconds, kubeconfigs: string[],
 * prometheus: { <contextId>: { url } }, window: { width, height, x, y, maximized } }`.
 * v2 splits preferences, connections and window state, and gives each refresh its own interval.
 */
const v1ToV2: Migration = (doc) => {
  const refresh = typeof doc.refreshSeconds === 'number' ? doc.refreshSeconds : undefined;
  const kubeconfigs = Array.isArray(doc.kubeconfigs) ? doc.kubeconfigs.filter((p): p is string => typeof p === 'string') : [];
  const prometheus: Json = {};
  if (isObject(doc.prometheus)) {
    for (const [ctx, v] of Object.entries(doc.prometheus)) {
      if (isObject(v) && typeof v.url === 'string') prometheus[ctx] = { source: 'url', url: v.url };
    }
  }
  const w = isObject(doc.window) ? doc.window : {};
  const hasBounds = ['x', 'y', 'width', 'height'].every((k) => typeof w[k] === 'number');
  return {
    schemaVersion: 2,
    preferences: {
      ...(doc.theme !== undefined ? { theme: doc.theme } : {}),
      ...(refresh !== undefined ? { refresh: { graphSeconds: refresh, clusterSeconds: refresh } } : {}),
    },
    connections: {
      kubeconfigs: kubeconfigs.map((path) => ({ path, addedAt: new Date(0).toISOString() })),
      prometheus,
      eventStores: [],
    },
    window: {
      bounds: hasBounds ? { x: w.x, y: w.y, width: w.width, height: w.height } : null,
      maximized: w.maximized === true,
    },
  };
};

/** MIGRATIONS[i] takes a document at version i+1 to version i+2. */
export const MIGRATIONS: readonly Migration[] = [v1ToV2];
export const SCHEMA_VERSION = MIGRATIONS.length + 1;

export function defaultSettings(): SettingsData {
  return settingsFileSchema.parse({ schemaVersion: SCHEMA_VERSION }) as SettingsData;
}

export type ParseOutcome =
  | { ok: true; data: SettingsData; migratedFrom: number | null }
  | { ok: false; kind: 'corrupt' | 'future'; reason: string };

/**
 * Reads a settings document (the file, or an export). Never throws: a document that is not JSON,
 * has no schema version, fails the schema, or comes from a newer meshdeck is reported with why.
 */
export function parseSettingsDocument(text: string, migrations: readonly Migration[] = MIGRATIONS): ParseOutcome {
  const current = migrations.length + 1;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, kind: 'corrupt', reason: `not valid JSON (${(err as Error).message})` };
  }
  if (!isObject(doc)) return { ok: false, kind: 'corrupt', reason: 'not a JSON object' };
  const v = doc.schemaVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    return { ok: false, kind: 'corrupt', reason: 'schemaVersion is missing or not a positive integer' };
  }
  if (v > current) {
    return { ok: false, kind: 'future', reason: `it was written by a newer meshdeck (schema version ${v}; this version understands up to ${current})` };
  }
  let migrated: Json = doc;
  for (let from = v; from < current; from++) {
    const step = migrations[from - 1];
    if (!step) return { ok: false, kind: 'corrupt', reason: `no migration from schema version ${from}` };
    try {
      migrated = step(migrated);
    } catch (err) {
      return { ok: false, kind: 'corrupt', reason: `migration from schema version ${from} failed (${(err as Error).message})` };
    }
    migrated.schemaVersion = from + 1;
  }
  const res = settingsFileSchema.safeParse(migrated);
  if (!res.success) {
    const issue = res.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') : '';
    return { ok: false, kind: 'corrupt', reason: `${where === '' ? 'document' : `'${where}'`}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, data: res.data as SettingsData, migratedFrom: v === current ? null : v };
}
