/**
 * A real Prometheus (Debian's /usr/bin/prometheus) for the sandbox and the integration tests:
 * generated config in a temp dir, loopback port, TSDB in the temp dir; `stop()` kills it (SIGTERM,
 * then SIGKILL) and removes the dir. A process-exit hook kills it too, so a crashed test run
 * leaves no orphan.
 *
 *   const prom = await startPrometheus({ targets: [sim.target], scrapeIntervalMs: 1000 });
 *   prom.url  // http://127.0.0.1:PORT
 *   await prom.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrometheusOptions {
  /** `host:port` targets scraped at /metrics. */
  targets: string[];
  /** 1000..2000 ms is what the tests use (default 1000). */
  scrapeIntervalMs?: number;
  /** TSDB retention (default 2h). */
  retention?: string;
  /** Staleness window for instant queries (default 5m, Prometheus's own). Shorter makes stopped targets vanish sooner. */
  lookbackDelta?: string;
  /** Default /usr/bin/prometheus, or $PROMETHEUS_BIN. */
  binary?: string;
  /** How long to wait for /-/ready (default 30 s). */
  startTimeoutMs?: number;
  /** Extra scrape jobs appended to the generated config (YAML objects as JSON). */
  extraScrapeConfigs?: Record<string, unknown>[];
}

export interface SandboxPrometheus {
  url: string;
  port: number;
  dir: string;
  pid: number;
  /** The last lines Prometheus logged (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function secondsOf(ms: number): string {
  return `${Math.max(1, Math.round(ms / 100) / 10)}s`;
}

export function prometheusConfig(opts: PrometheusOptions): string {
  const interval = opts.scrapeIntervalMs ?? 1000;
  const config = {
    global: { scrape_interval: secondsOf(interval), scrape_timeout: secondsOf(interval), evaluation_interval: secondsOf(interval) },
    scrape_configs: [
      {
        job_name: 'mesh',
        // The simulator's series carry their own `namespace`, `pod` etc.: keep them as they are.
        honor_labels: true,
        metrics_path: '/metrics',
        static_configs: [{ targets: opts.targets }],
      },
      ...(opts.extraScrapeConfigs ?? []),
    ],
  };
  // JSON is valid YAML: no YAML writer needed for a generated file.
  return `${JSON.stringify(config, null, 2)}\n`;
}

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of liveChildren) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, logs: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${logs()}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`prometheus at ${url} not ready within ${timeoutMs} ms:\n${logs()}`);
}

export async function startPrometheus(opts: PrometheusOptions): Promise<SandboxPrometheus> {
  const interval = opts.scrapeIntervalMs ?? 1000;
  if (interval < 100 || interval > 60_000) throw new Error(`scrapeIntervalMs ${interval} is out of range (100..60000)`);
  const binary = opts.binary ?? process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
  const dir = await mkdtemp(join(tmpdir(), 'meshdeck-prom-'));
  liveDirs.add(dir);
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, prometheusConfig(opts));
  installExitHook();

  // Bind port 0 to learn a free port, then hand it to Prometheus; retry if someone took it meanwhile.
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const lines: string[] = [];
    const logs = () => lines.join('\n');
    const child = spawn(
      binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--storage.tsdb.retention.time=${opts.retention ?? '2h'}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--query.lookback-delta=${opts.lookbackDelta ?? '5m'}`,
        '--web.enable-lifecycle',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    liveChildren.add(child);
    const keep = (chunk: Buffer) => {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(l);
      if (lines.length > 60) lines.splice(0, lines.length - 60);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => liveChildren.delete(child));
    const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`cannot start ${binary}: ${e.message}`))));
    try {
      await Promise.race([waitReady(url, child, opts.startTimeoutMs ?? 30_000, logs), spawnError]);
    } catch (e) {
      lastErr = e;
      child.kill('SIGKILL');
      await exited;
      if (/address already in use/i.test(logs())) continue;
      await rm(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
      throw e;
    }
    let stopping: Promise<void> | null = null;
    return {
      url,
      port,
      dir,
      pid: child.pid ?? -1,
      logs,
      stop() {
        stopping ??= (async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(killer);
          }
          await rm(dir, { recursive: true, force: true });
          liveDirs.delete(dir);
        })();
        return stopping;
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
  throw lastErr instanceof Error ? lastErr : new Error('prometheus did not start');
}

/**
 * Polls an instant query until it returns at least `minSeries` series (e.g. after the first
 * scrapes). Returns the result vector.
 */
export async function waitForQuery(
  url: string,
  query: string,
  opts: { minSeries?: number; timeoutMs?: number; pred?: (v: { metric: Record<string, string>; value: [number, string] }[]) => boolean } = {},
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query }).toString(),
        signal: AbortSignal.timeout(5000),
      });
      const body = (await res.json()) as { status: string; data?: { result?: { metric: Record<string, string>; value: [number, string] }[] } };
      const result = body.data?.result ?? [];
      if (result.length >= (opts.minSeries ?? 1) && (!opts.pred || opts.pred(result))) return result;
      last = `${result.length} series`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`query did not return the expected data in time: ${query} (last: ${last})`);
}

/** The part of the sandbox cluster used to publish Prometheus behind its service proxy. */
export interface ServiceProxyRegistry {
  registerServiceProxy(ns: string, service: string, port: number, target: string): void;
}

/**
 * Publishes a started Prometheus as the seeded service istio-system/prometheus:9090, so the app
 * finds it (auto-discovery) and reaches it through the API server's service proxy.
 */
export function registerInSandbox(kube: ServiceProxyRegistry, prom: Pick<SandboxPrometheus, 'url'>, at = { namespace: 'istio-system', name: 'prometheus', port: 9090 }): void {
  kube.registerServiceProxy(at.namespace, at.name, at.port, prom.url);
}
