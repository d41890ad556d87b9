// meshdeck's sandbox Kubernetes API server: a faithful-enough kube-apiserver (HTTPS, bearer
// tokens, RBAC, discovery, CRDs, watch, patch, service proxy, a few controllers) that
// @kubernetes/client-node and kubectl use unchanged. It exists for the demo and the tests,
// on machines where no real cluster can run.
//
//   const kube = await startSandboxKube();
//   await kube.writeKubeconfig('/tmp/sandbox.kubeconfig');   // kubectl --kubeconfig …
//   kube.registerServiceProxy('istio-system', 'prometheus', 9090, 'http://127.0.0.1:39123');
//   kube.store.list('networking.istio.io/v1', 'VirtualService', { namespace: 'shop' });
//   await kube.close();
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { KubeApi } from './api.js';
import { Authenticator, newTokens, type OidcOptions, type Tokens } from './auth.js';
import { Controllers } from './controllers.js';
import { Registry } from './discovery.js';
import { createStoreFacade, type SandboxStore } from './facade.js';
import { createHandler } from './http.js';
import { writeKubeconfigFile } from './kubeconfig.js';
import { loadState, StatePersister } from './persist.js';
import { ServiceProxy } from './proxy.js';
import { DEFAULT_SEED_DIR, seedFromDir } from './seed.js';
import { ObjectStore } from './store.js';
import { makePki } from './tls.js';

export type { SandboxStore, StoreQuery, StoreWatchOptions, ResourceInfo } from './facade.js';
export type { KubeObject, ObjectMeta, Status, WatchEvent, WatchEventType } from './types.js';
export type * from './kinds.js';
export { KubeError } from './errors.js';
export { DEFAULT_SEED_DIR } from './seed.js';

export interface SandboxKubeOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind; default 127.0.0.1. The certificate covers it, 127.0.0.1 and localhost. */
  host?: string;
  /** Directory of seed manifests; default sandbox/kube/seed. */
  seedDir?: string;
  /** JSON file to persist state in. Loaded at start if it exists (instead of seeding). */
  stateFile?: string;
  /** Seed the demo cluster when no state file was loaded (default true). */
  seed?: boolean;
  /** Changes kept for watch resumption; older resourceVersions get 410 Expired (default 5000). */
  watchHistorySize?: number;
  /** BOOKMARK period for watches with allowWatchBookmarks=true (default 10 s; real servers ~1 min). */
  bookmarkIntervalMs?: number;
  /** Debounce for state-file writes (default 250 ms). */
  persistDebounceMs?: number;
  /** Where controller errors go (default: console.error). */
  onError?: (err: unknown) => void;
  /** Accept OIDC id tokens signed by this issuer (as kube-apiserver's --oidc-* flags). */
  oidc?: OidcOptions;
}

export interface SandboxKube {
  /** https://127.0.0.1:PORT */
  url: string;
  /** PEM of the CA that signed the serving certificate (also inlined in the kubeconfig). */
  caPem: string;
  /** Bearer tokens, random per start. */
  tokens: Tokens;
  writeKubeconfig(path: string): Promise<void>;
  /** Route `services/{service}:{port}/proxy/…` in `ns` to `target` (an http(s) base URL). */
  registerServiceProxy(ns: string, service: string, port: number, target: string): void;
  unregisterServiceProxy(ns: string, service: string, port: number): void;
  /** In-process access to the objects (see facade.ts for the contract). */
  store: SandboxStore;
  /** Ends watches, closes sockets, flushes the state file. */
  close(): Promise<void>;
}

export const SANDBOX_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.2+meshdeck-sandbox',
  gitCommit: '67a30c0adcf52bd3f56ff0893ce19966be12991f',
  gitTreeState: 'clean',
  buildDate: '2025-02-12T21:19:47Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export async function startSandboxKube(opts: SandboxKubeOptions = {}): Promise<SandboxKube> {
  const host = opts.host ?? '127.0.0.1';
  const onError = opts.onError ?? ((err: unknown) => console.error('[sandbox-kube]', err));
  const pki = await makePki([host, '127.0.0.1', 'localhost']);
  const tokens = newTokens();
  const store = new ObjectStore(opts.watchHistorySize ?? 5000);
  const api = new KubeApi(store, new Registry());
  const controllers = new Controllers(api, onError);

  const state = opts.stateFile ? await loadState(opts.stateFile) : undefined;
  if (state) {
    store.load(state);
    for (const key of store.keys()) for (const o of store.list(key)) api.allocators.observe(o);
  }
  controllers.start();
  if (!state && opts.seed !== false) await seedFromDir(api, opts.seedDir ?? DEFAULT_SEED_DIR);
  await controllers.whenIdle();
  // The seeded state is the start of history: watching from before it is "too old".
  store.resetHistory();
  const persister = opts.stateFile ? new StatePersister(opts.stateFile, store, opts.persistDebounceMs) : undefined;
  if (persister) {
    persister.start();
    if (!state) await persister.save();
  }

  const proxy = new ServiceProxy();
  const watchers = new Set<ServerResponse>();
  let serverAddress = `${host}:0`;
  const server = https.createServer({ cert: pki.certPem, key: pki.keyPem, keepAliveTimeout: 60_000 });
  server.on(
    'request',
    createHandler({
      api,
      auth: new Authenticator(tokens, opts.oidc),
      proxy,
      watchers,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 10_000,
      serverAddress: () => serverAddress,
      version: SANDBOX_VERSION,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  serverAddress = `${urlHost}:${port}`;
  const url = `https://${serverAddress}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    caPem: pki.caPem,
    tokens,
    writeKubeconfig: (path) => writeKubeconfigFile(path, url, pki.caPem, tokens),
    registerServiceProxy: (ns, service, p, target) => proxy.register(ns, service, p, target),
    unregisterServiceProxy: (ns, service, p) => proxy.unregister(ns, service, p),
    store: createStoreFacade(api, controllers),
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // End watch streams properly (final chunk) so clients see a clean end, not an abort;
        // a client that doesn't read is cut off after a grace period.
        const ending = [...watchers].map((w) => new Promise<void>((resolve) => (w.writableFinished ? resolve() : (w.once('finish', resolve), w.once('close', resolve), w.end()))));
        watchers.clear();
        await Promise.race([Promise.all(ending), new Promise((r) => setTimeout(r, 500))]);
        proxy.close();
        server.closeAllConnections();
        await closed;
        controllers.stop();
        await persister?.stop();
      })()),
  };
}
