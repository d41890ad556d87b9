import fsp from 'node:fs/promises';
import path from 'node:path';
import type { KubeConnection, KubeSources } from '../../shared/contract/kube';
import { ApiError } from '../../shared/errors';
import type { ApiErrorShape } from '../../shared/errors';
import type { MainOptions } from '../app/options';
import { abortError, raceAbort } from '../util/abort';
import { createKubeClient, DEFAULT_TIMEOUT_MS } from './clients';
import type { KubeClient } from './clients';
import { detectMesh, listNamespaces, serverVersion } from './detect';
import { kubeErrorFrom } from './errors';
import { ExecCredentialProvider } from './exec-auth';
import { discoverKubeconfigs, expandPath, jsonUserKubeconfigStore, watchKubeconfigFiles } from './kubeconfig-files';
import type { KubeconfigWatcher, UserKubeconfigStore } from './kubeconfig-files';
import { combine, loadKubeconfig } from './kubeconfig-parse';
import type { ResolvedContext } from './kubeconfig-parse';

export type { KubeClient, KubeRequestInit, KubeResponse, CallOptions } from './clients';
export { kubeErrorFrom } from './errors';

/**
 * The kube capability: which kubeconfig files and contexts exist, which are connected, and the
 * authenticated clients other capabilities use. Credentials stay inside; what leaves is the
 * contract's KubeSources / KubeConnection.
 */
export interface KubeService {
  /** Files and contexts as last read (files are re-read when they change). */
  sources(): Promise<KubeSources>;
  /** Remember a kubeconfig the user picked (absolute or ~/ path); BAD_INPUT if it is not a file. */
  addFile(path: string): Promise<KubeSources>;
  /** Forget a user-added file and drop its connections; BAD_INPUT for KUBECONFIG/default files. */
  removeFile(path: string): Promise<KubeSources>;
  /**
   * Connect one context (several may connect at once): version, namespaces, mesh detection.
   * Cluster failures resolve with status 'error' and a classified error; an unknown id rejects
   * NOT_FOUND; an aborted `signal` rejects CANCELLED and leaves no connection behind.
   */
  connect(contextId: string, signal?: AbortSignal): Promise<KubeConnection>;
  disconnect(contextId: string): Promise<void>;
  connections(): KubeConnection[];
  /** Called with the new sources after any change to the files or the list of files. */
  onSourcesChanged(cb: (s: KubeSources) => void): () => void;
  /**
   * The client set of a connected context. Throws NOT_CONNECTED otherwise. Ask again for each
   * operation rather than keeping it: a kubeconfig edit replaces the client.
   */
  clientFor(contextId: string): KubeClient;
  /** Re-read every file now (the watcher does this by itself). */
  reload(): Promise<KubeSources>;
  close(): Promise<void>;
}

export interface KubeServiceDeps {
  /** Where user-added files are remembered (default `<dataDir>/kubeconfigs.json`). */
  userFiles?: UserKubeconfigStore;
  /** Per-call timeout (default 15 s). */
  timeoutMs?: number;
  /** Poll interval of the file watcher (default 10 s). */
  pollMs?: number;
  /** How long an exec credential plugin may run (default 60 s). */
  execTimeoutMs?: number;
}

interface ConnEntry {
  info: KubeConnection;
  client: KubeClient | null;
  /** Fingerprint of the resolved context the client was built from. */
  print: string;
  abort: AbortController;
  pending: Promise<KubeConnection> | null;
}

const printOf = (c: ResolvedContext) => JSON.stringify([c.cluster, c.user, c.namespace]);

function shapeOf(err: unknown, ctx: { name: string; server: string | null }): ApiErrorShape {
  return (err instanceof ApiError ? err : kubeErrorFrom(err, { context: ctx.name, server: ctx.server })).toJSON();
}


export async function createKubeService(opts: MainOptions, deps: KubeServiceDeps = {}): Promise<KubeService> {
  const env = opts.env ?? process.env;
  const userFiles = deps.userFiles ?? jsonUserKubeconfigStore(opts.dataDir);
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const exec = new ExecCredentialProvider({ env, timeoutMs: deps.execTimeoutMs ?? 60_000 });
  const userAgent = `meshdeck/${opts.version}`;

  let current: { sources: KubeSources; contexts: Map<string, ResolvedContext> } = {
    sources: { files: [], contexts: [], currentContext: null },
    contexts: new Map(),
  };
  let lastJson = '';
  const listeners = new Set<(s: KubeSources) => void>();
  const conns = new Map<string, ConnEntry>();
  let watcher: KubeconfigWatcher | null = null;
  let closed = false;

  const retired = new Set<KubeClient>();
  const retire = (client: KubeClient | null) => {
    if (!client) return;
    // In-flight calls on the old client get a moment to finish before its sockets close.
    retired.add(client);
    setTimeout(() => {
      retired.delete(client);
      client.close();
    }, 30_000).unref();
  };

  const applyToConnections = () => {
    for (const [id, entry] of conns) {
      const ctx = current.contexts.get(id);
      if (!ctx) {
        entry.abort.abort();
        retire(entry.client);
        entry.client = null;
        entry.info = {
          ...entry.info,
          status: 'error',
          error: { code: 'INVALID_CONFIG', message: `Context "${entry.info.contextName}" is no longer in its kubeconfig file.`, details: { context: entry.info.contextName } },
        };
        continue;
      }
      const print = printOf(ctx);
      if (print !== entry.print && entry.client) {
        // The kubeconfig changed under a live connection (a rotated token, a new server...):
        // keep the connection, swap the client, forget cached exec credentials.
        exec.invalidateWhere((k) => k.startsWith(`${JSON.stringify([ctx.file, ctx.name]).slice(0, -1)},`));
        const old = entry.client;
        try {
          entry.client = createKubeClient(ctx, { exec, timeoutMs, userAgent });
        } catch (err) {
          entry.client = null;
          entry.info = { ...entry.info, status: 'error', error: shapeOf(err, { name: ctx.name, server: ctx.info.server }) };
        }
        entry.print = print;
        entry.info = { ...entry.info, server: ctx.info.server };
        retire(old);
      }
    }
  };

  const load = async (): Promise<KubeSources> => {
    const userPaths = await userFiles.list().catch(() => []);
    const list = discoverKubeconfigs({ env, flagPaths: opts.kubeconfigPaths, sandboxPath: opts.sandbox?.kubeconfig, userPaths });
    const parsed = await Promise.all(list.map((s) => loadKubeconfig(s)));
    current = combine(parsed);
    watcher?.setFiles(list.map((s) => s.path));
    applyToConnections();
    const json = JSON.stringify(current.sources);
    if (json !== lastJson) {
      lastJson = json;
      for (const l of listeners) {
        try {
          l(current.sources);
        } catch {
          // A failing listener must not stop the others.
        }
      }
    }
    return current.sources;
  };

  // Reloads run one at a time; a request during a reload gets one more reload after it.
  let reloading: Promise<KubeSources> | null = null;
  let queued: Promise<KubeSources> | null = null;
  const reload = (): Promise<KubeSources> => {
    if (closed) return Promise.resolve(current.sources);
    if (!reloading) {
      reloading = load().finally(() => {
        reloading = null;
      });
      return reloading;
    }
    if (!queued) {
      queued = reloading.catch(() => undefined).then(() => {
        queued = null;
        return reload();
      });
    }
    return queued;
  };

  await reload();
  watcher = watchKubeconfigFiles(current.sources.files.map((f) => f.path), () => void reload().catch(() => undefined), {
    ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
  });

  const emptyConn = (ctx: ResolvedContext): KubeConnection => ({
    contextId: ctx.id,
    contextName: ctx.name,
    server: ctx.info.server,
    status: 'connecting',
    serverVersion: null,
    namespaces: [],
    namespacesTruncated: false,
    detected: null,
    error: null,
    warnings: [],
    connectedAt: null,
  });

  const probe = async (ctx: ResolvedContext, entry: ConnEntry, signal: AbortSignal): Promise<KubeConnection> => {
    const fail = (err: unknown): KubeConnection => {
      retire(entry.client);
      entry.client = null;
      entry.info = { ...entry.info, status: 'error', error: shapeOf(err, { name: ctx.name, server: ctx.info.server }) };
      return entry.info;
    };
    if (ctx.info.error) {
      entry.info = { ...entry.info, status: 'error', error: ctx.info.error };
      return entry.info;
    }
    let client: KubeClient;
    try {
      client = createKubeClient(ctx, { exec, timeoutMs, userAgent });
    } catch (err) {
      return fail(err);
    }
    entry.client = client;
    const call = { signal };
    let version: string;
    try {
      version = await serverVersion(client, call);
    } catch (err) {
      if (signal.aborted) throw err;
      return fail(err);
    }
    const [ns, mesh] = await Promise.allSettled([listNamespaces(client, call), detectMesh(client, call)]);
    if (signal.aborted) throw abortError();
    const warnings: ApiErrorShape[] = [];
    let namespaces: string[] = [];
    let truncated = false;
    if (ns.status === 'fulfilled') {
      namespaces = ns.value.names;
      truncated = ns.value.truncated;
    } else {
      const e = shapeOf(ns.reason, { name: ctx.name, server: ctx.info.server });
      // Not being allowed to list namespaces is normal for namespace-scoped users: connected, with a note.
      if (e.code !== 'FORBIDDEN') return fail(ns.reason);
      warnings.push(e);
      if (ctx.namespace) namespaces = [ctx.namespace];
    }
    let detected = null;
    if (mesh.status === 'fulfilled') detected = mesh.value;
    else warnings.push(shapeOf(mesh.reason, { name: ctx.name, server: ctx.info.server }));
    entry.info = {
      ...entry.info,
      status: 'connected',
      serverVersion: version,
      namespaces,
      namespacesTruncated: truncated,
      detected,
      error: null,
      warnings,
      connectedAt: new Date().toISOString(),
    };
    return entry.info;
  };

  const drop = (id: string) => {
    const entry = conns.get(id);
    if (!entry) return;
    entry.abort.abort();
    entry.client?.close();
    conns.delete(id);
  };

  const service: KubeService = {
    async sources() {
      return current.sources;
    },

    async addFile(raw) {
      if (!path.isAbsolute(raw) && !raw.startsWith('~')) {
        throw new ApiError('BAD_INPUT', `Give the kubeconfig's absolute path (or ~/...): "${raw.slice(0, 300)}" is relative.`, { field: 'path' });
      }
      const abs = expandPath(raw, env);
      let st;
      try {
        st = await fsp.stat(abs);
      } catch {
        throw new ApiError('BAD_INPUT', `There is no file at ${abs}.`, { field: 'path' });
      }
      if (!st.isFile()) throw new ApiError('BAD_INPUT', `${abs} is not a file.`, { field: 'path' });
      await userFiles.add(abs);
      return reload();
    },

    async removeFile(raw) {
      const abs = expandPath(raw, env);
      const listed = await userFiles.list();
      if (!listed.includes(abs)) {
        const known = current.sources.files.find((f) => f.path === abs);
        if (known) {
          throw new ApiError('BAD_INPUT', `${abs} comes from ${known.origin === 'env' ? 'KUBECONFIG' : known.origin === 'default' ? 'the default ~/.kube/config' : `the ${known.origin} setting`}; only files added here can be removed here.`, { field: 'path' });
        }
        throw new ApiError('NOT_FOUND', `${abs} is not one of the added kubeconfig files.`, { field: 'path' });
      }
      await userFiles.remove(abs);
      for (const id of [...conns.keys()]) if (id.startsWith(`${abs}#`)) drop(id);
      return reload();
    },

    async connect(id, signal) {
      if (closed) throw new ApiError('NOT_CONNECTED', 'The kube service is closed.');
      let ctx = current.contexts.get(id);
      if (!ctx) {
        await reload();
        ctx = current.contexts.get(id);
      }
      if (!ctx) throw new ApiError('NOT_FOUND', `No context with id "${id.slice(0, 500)}" in the kubeconfig files.`, { field: 'contextId' });
      const existing = conns.get(id);
      if (existing?.pending) return raceAbort(existing.pending, signal);
      // Connecting again re-probes from scratch with a fresh client.
      if (existing) drop(id);

      const entry: ConnEntry = { info: emptyConn(ctx), client: null, print: printOf(ctx), abort: new AbortController(), pending: null };
      conns.set(id, entry);
      const inner = signal ? AbortSignal.any([entry.abort.signal, signal]) : entry.abort.signal;
      const resolved = ctx;
      entry.pending = probe(resolved, entry, inner)
        .catch((err: unknown) => {
          // Cancelled (by the caller or by disconnect): leave nothing behind.
          if (conns.get(id) === entry) drop(id);
          throw err instanceof ApiError && err.code !== 'CANCELLED' ? err : new ApiError('CANCELLED', `Connecting to "${resolved.name}" was cancelled.`);
        })
        .finally(() => {
          entry.pending = null;
        });
      return entry.pending;
    },

    async disconnect(id) {
      drop(id);
    },

    connections() {
      return [...conns.values()].map((e) => e.info);
    },

    onSourcesChanged(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },

    clientFor(id) {
      const entry = conns.get(id);
      if (entry?.info.status === 'connected' && entry.client) return entry.client;
      const name = entry?.info.contextName ?? current.contexts.get(id)?.name ?? id;
      const why = entry?.info.status === 'connecting' ? 'is still connecting' : entry?.info.status === 'error' ? `failed to connect (${entry.info.error?.code ?? 'error'})` : 'is not connected';
      throw new ApiError('NOT_CONNECTED', `Context "${name}" ${why}. Connect it on the Clusters page first.`, { details: { contextId: id } });
    },

    reload,

    async close() {
      closed = true;
      watcher?.close();
      for (const id of [...conns.keys()]) drop(id);
      for (const c of retired) c.close();
      retired.clear();
      listeners.clear();
    },
  };
  return service;
}
