import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createMainApp } from '../../main/app';
import type { MainApp, MainOptions } from '../../main/app';
import { startWebServer } from '../../main/server/web-server';
import type { WebServer } from '../../main/server/web-server';

export interface WebAppHandle {
  app: MainApp;
  server: WebServer;
  /** Open this in the browser: it sets the session cookie. */
  loginUrl: string;
  url: string;
  token: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Starts meshdeck in web mode in-process, the way `npm run demo` and `npm start` do (minus
 * Electron): the real core behind the real HTTP + WebSocket server, serving the built UI.
 * An isolated data dir and an empty KUBECONFIG unless given.
 */
export async function startWebApp(opts: Partial<MainOptions> & { port?: number } = {}): Promise<WebAppHandle> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'meshdeck-test-')));
  const ownDir = opts.dataDir === undefined;
  const env = opts.env ?? { HOME: dataDir, KUBECONFIG: opts.kubeconfigPaths?.join(':') ?? join(dataDir, 'no-kubeconfig') };
  const app = await createMainApp({ version: '0.0.0-test', ...opts, dataDir, env });
  const server = await startWebServer({ router: app.router, staticDir: resolve('out/renderer'), port: opts.port });
  return {
    app, server, loginUrl: server.loginUrl, url: server.url, token: server.token, dataDir,
    async close() {
      await server.close();
      await app.close();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
