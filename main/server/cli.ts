/**
 * Web mode: the same UI and API served over HTTP + WebSocket on loopback, protected by a
 * per-launch token. Run: `node out/main/web.js [--port N] [--host H] [--kubeconfig PATH]...`.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMainApp } from '../app';
import { sandboxFromEnv } from '../app/options';
import { startWebServer } from './web-server';
import { parseWebArgs } from './args';

const here = dirname(fileURLToPath(import.meta.url));

function findStaticDir(): string {
  const candidates = [process.env.MESHDECK_STATIC_DIR, join(here, '../renderer'), resolve(here, '../../out/renderer'), resolve('out/renderer')];
  for (const c of candidates) if (c && existsSync(join(c, 'index.html'))) return c;
  return resolve('out/renderer');
}

async function main(): Promise<void> {
  const args = parseWebArgs(process.argv.slice(2));
  const app = await createMainApp({
    version: process.env.npm_package_version ?? '0.1.0',
    dataDir: args.dataDir ?? process.env.MESHDECK_HOME ?? join(homedir(), '.config', 'meshdeck'),
    kubeconfigPaths: args.kubeconfigs.length > 0 ? args.kubeconfigs : undefined,
    sandbox: sandboxFromEnv(process.env),
  });
  const server = await startWebServer({ router: app.router, staticDir: findStaticDir(), host: args.host, port: args.port, token: process.env.MESHDECK_TOKEN });
  if (args.host !== '127.0.0.1' && args.host !== 'localhost') {
    console.warn(`meshdeck: listening on ${args.host}: anyone who can reach this address and has the token can use your credentials.`);
  }
  console.log(`meshdeck UI: ${server.loginUrl}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.close();
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`meshdeck: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
