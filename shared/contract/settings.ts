import { z } from 'zod';
import { request, subscription } from './define';
import { SCHEMA_KINDS, customMappingSchema, tlsSchema } from './events';
import { metricsConfigSchema } from './metrics';
import { GRAPH_TYPES, GRAPH_WINDOWS } from '../graph/types';

/**
 * Settings and desktop-shell channels. Settings are per user, kept by main; secrets are
 * write-only from here: the renderer can set or clear one and learn whether it is set, never read it.
 */

export const THEME_CHOICES = ['system', 'light', 'dark'] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];

/** The graph capability's own lists (shared/graph/types.ts), so a default here is always a valid graph option. */
export { GRAPH_TYPES, GRAPH_WINDOWS };
/** The layouts the graph view offers (renderer/views/graph/CyGraph.tsx LAYOUTS). */
export const GRAPH_LAYOUTS = ['dagre', 'breadthfirst', 'concentric', 'grid', 'fcose'] as const;
export const EDGE_LABELS = ['none', 'rate', 'errorRate', 'p50', 'p95', 'p99'] as const;

/** Field schemas without defaults: the settings file adds defaults, the update input makes them optional. */
export const refreshFields = {
  /** Service graph and golden signals. */
  graphSeconds: z.number().int().min(2).max(3600),
  /** Event store pages, projections, sagas. */
  eventStoreSeconds: z.number().int().min(1).max(3600),
  /** Cluster state: connections, routing resources, canary runs. */
  clusterSeconds: z.number().int().min(2).max(3600),
};
export const graphFields = {
  type: z.enum(GRAPH_TYPES),
  layout: z.enum(GRAPH_LAYOUTS),
  window: z.enum(GRAPH_WINDOWS),
  edgeLabel: z.enum(EDGE_LABELS),
  showIdleNodes: z.boolean(),
  showSecurity: z.boolean(),
  /** Keep node positions across refreshes and restarts. */
  stablePositions: z.boolean(),
};

export interface Preferences {
  theme: ThemeChoice;
  refresh: { graphSeconds: number; eventStoreSeconds: number; clusterSeconds: number };
  graph: {
    type: (typeof GRAPH_TYPES)[number];
    layout: (typeof GRAPH_LAYOUTS)[number];
    window: (typeof GRAPH_WINDOWS)[number];
    edgeLabel: (typeof EDGE_LABELS)[number];
    showIdleNodes: boolean;
    showSecurity: boolean;
    stablePositions: boolean;
  };
}

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  refresh: { graphSeconds: 15, eventStoreSeconds: 5, clusterSeconds: 30 },
  graph: { type: 'workload', layout: 'dagre', window: '1m', edgeLabel: 'rate', showIdleNodes: false, showSecurity: true, stablePositions: true },
};

export const preferencesPatchSchema = z.object({
  theme: z.enum(THEME_CHOICES).optional(),
  refresh: z.object(refreshFields).partial().strict().optional(),
  graph: z.object(graphFields).partial().strict().optional(),
}).strict();
export type PreferencesPatch = z.infer<typeof preferencesPatchSchema>;

/**
 * Secret keys name what they unlock: `prometheus:<contextId>:token`, `eventstore:<id>:password`.
 * The middle part may hold anything but control characters: context ids are `<file>#<name>`, and
 * Windows paths bring spaces and colons.
 */
export const SECRET_KINDS = ['prometheus', 'eventstore', 'kube'] as const;
export const SECRET_NAMES = ['token', 'password', 'basic', 'header'] as const;
export const secretKeySchema = z.string().min(3).max(4200).regex(/^(prometheus|eventstore|kube):[^\u0000-\u001f\u007f]+:(token|password|basic|header)$/, 'must look like <prometheus|eventstore|kube>:<id>:<token|password|basic|header>');

export type SecretBackend = 'safeStorage' | 'file' | 'memory';

export interface SecretStatus {
  key: string;
  set: boolean;
}

export interface SecretsInfo {
  backend: SecretBackend;
  /** False when secrets cannot be stored safely here (e.g. no OS keyring): `problem` says why. */
  usable: boolean;
  problem: string | null;
  /** Every key the settings refer to, plus any other stored key. */
  keys: SecretStatus[];
}

export type ConnectionHealth = { status: 'ok' } | { status: 'broken'; reason: string };

export interface KubeconfigEntry {
  path: string;
  addedAt: string;
}

/**
 * Prometheus for one cluster (keyed by kube context id): the metrics capability's own config schema
 * (shared/contract/metrics.ts), so main/metrics can keep its settings here unchanged. On top of it,
 * settings refuse credentials inside the URL: `prometheus:<contextId>:token` (bearer) or
 * `:password` (basic) live in the secret store.
 */
export const prometheusSettingsSchema = metricsConfigSchema.superRefine((c, ctx) => {
  if (c.url !== null) {
    let u: URL | null = null;
    try { u = new URL(c.url); } catch { /* metricsConfigSchema's own check reports it */ }
    if (u && (u.username !== '' || u.password !== '')) ctx.addIssue({ code: 'custom', path: ['url'], message: 'must be an http(s) URL without credentials in it (put a token in the secret store)' });
  }
  for (const h of Object.keys(c.headers)) {
    if (/^(authorization|proxy-authorization|cookie|x-api-key)$/i.test(h)) ctx.addIssue({ code: 'custom', path: ['headers', h], message: 'credentials go in the secret store, not in a plain header' });
  }
});
export type PrometheusSettings = z.output<typeof prometheusSettingsSchema>;

/**
 * A Postgres event store: main/eventstore's ConnectionRecord, so its ConnectionStore can be backed by
 * settings unchanged. The URL carries no password (`eventstore:<id>:password` in the secret store).
 */
export const eventStoreSettingsSchema = z.object({
  id: z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, . _ - only'),
  name: z.string().min(1).max(100),
  url: z.string().min(1).max(2000).refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.password === '' && !/[?&]password=/i.test(u.search);
    } catch {
      return false;
    }
  }, 'must be a postgres:// URL without a password (the password goes in the secret store)'),
  tls: tlsSchema.default({ mode: 'prefer' }),
  schema: z.enum(['auto', ...SCHEMA_KINDS]).default('auto'),
  mapping: customMappingSchema.nullable().default(null),
  statementTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  sandbox: z.boolean().default(false),
}).strict();
export type EventStoreSettings = z.output<typeof eventStoreSettingsSchema>;

export interface Connections {
  kubeconfigs: KubeconfigEntry[];
  prometheus: Record<string, PrometheusSettings>;
  eventStores: EventStoreSettings[];
}

export interface Notice {
  id: string;
  level: 'info' | 'warn' | 'error';
  message: string;
  /** A file the notice is about (the backup of a corrupt settings file). */
  file: string | null;
  at: string;
}

/** What the renderer sees: no secrets, connection health checked now. */
export interface SettingsSnapshot {
  schemaVersion: number;
  file: string;
  preferences: Preferences;
  connections: {
    kubeconfigs: (KubeconfigEntry & { health: ConnectionHealth })[];
    prometheus: Record<string, PrometheusSettings & { secretSet: boolean }>;
    eventStores: (EventStoreSettings & { secretSet: boolean })[];
  };
  secrets: SecretsInfo;
}

export interface ImportResult {
  settings: SettingsSnapshot;
  /** e.g. secrets the imported connections refer to that are not set on this machine. */
  warnings: string[];
}

/** Menu items and shortcuts that the renderer acts on. `navigate` carries a route already checked by main. */
export type DesktopCommand =
  | { command: 'refresh' | 'find' | 'switchContext' | 'toggleTheme' }
  | { command: 'navigate'; route: string };

/** Largest settings export accepted by import. */
export const MAX_SETTINGS_IMPORT_BYTES = 1_000_000;

export const settingsContract = {
  'settings.get': request(z.object({}).strict(), 'Preferences, connections (with health) and which secrets are set. Never a secret value.').returns<SettingsSnapshot>(),
  'settings.update': request(
    z.object({ preferences: preferencesPatchSchema }).strict(),
    'Change some preferences (a partial object, merged). Written to disk before the call returns.',
  ).returns<SettingsSnapshot>(),
  'settings.export': request(z.object({}).strict(), 'Preferences and connections as a JSON document, without secrets or window state.').returns<{ json: string; fileName: string }>(),
  'settings.import': request(
    z.object({ json: z.string().min(2).max(MAX_SETTINGS_IMPORT_BYTES) }).strict(),
    'Replace preferences and connections with an exported document (older schema versions are migrated). Secrets are not part of it.',
  ).returns<ImportResult>(),
  'settings.notices': request(z.object({}).strict(), 'Things the user must be told once, e.g. a corrupt settings file was set aside.').returns<Notice[]>(),
  'settings.ackNotice': request(z.object({ id: z.string().min(1).max(100) }).strict(), 'The user has seen a notice: it is not shown again.').returns<Notice[]>(),
  'settings.setSecret': request(
    z.object({ key: secretKeySchema, value: z.string().min(1).max(64_000) }).strict(),
    'Store a secret (token, password). Write-only: no channel returns it.',
  ).returns<SecretsInfo>(),
  'settings.deleteSecret': request(z.object({ key: secretKeySchema }).strict(), 'Forget a stored secret.').returns<SecretsInfo>(),
  'settings.secrets': request(z.object({}).strict(), 'Where secrets are kept, whether that is usable, and which are set.').returns<SecretsInfo>(),
  'settings.changed': subscription(z.object({}).strict(), 'Pushes the settings once, then after every change (from any window, the menu or an import).').emits<SettingsSnapshot>(),
  'desktop.commands': subscription(
    z.object({}).strict(),
    'Menu commands and deep links for the renderer (desktop only; web mode never emits). A deep link that arrived before the window subscribed is delivered on subscribe.',
  ).emits<DesktopCommand>(),
} as const;
