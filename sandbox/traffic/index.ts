/**
 * The traffic simulator: a demo (or synthetic) mesh whose proxies "handle" requests every tick
 * and export Istio and Linkerd metrics on an HTTP /metrics endpoint for Prometheus to scrape.
 * Routing comes live from the sandbox cluster (in-process store watch) or any cluster
 * (kubeconfig, client-node informers), so patching a VirtualService moves the traffic.
 *
 *   const sim = await startTrafficSimulator({ kube: sandbox.store });
 *   sim.metricsUrl  // http://127.0.0.1:PORT/metrics
 *   sim.target      // 127.0.0.1:PORT (for a Prometheus scrape config)
 *   await sim.stop();
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import { TrafficEngine, type EngineStats } from './engine';
import { MeshExporter, type ExporterOptions } from './exporter';
import { buildMesh, loadMesh, type Mesh } from './mesh';
import { createRng } from './rng';
import { emptyRoutingObjects, RoutingTable, type RoutingObjects } from './routing';
import { kubeconfigRoutingSource, staticRoutingSource, storeRoutingSource, type InProcessStore, type RoutingSource } from './routing-source';
import { syntheticMesh, type SyntheticOptions } from './synthetic';

export type { RoutingObjects } from './routing';
export type { SyntheticOptions } from './synthetic';
export { DEFAULT_MESH_FILE } from './mesh';

export interface TrafficSimulatorOptions {
  /**
   * Where routing comes from: the sandbox cluster's store (or `{ store }`, e.g. the whole
   * SandboxKube), a kubeconfig path or KubeConfig, or nothing (plain Service load balancing).
   */
  kube?: InProcessStore | { store: InProcessStore } | string | { kubeconfig: string | KubeConfig };
  /** Fixed routing objects instead of a cluster (tests). */
  routing?: RoutingObjects;
  /** Path of the mesh file (default: sandbox/traffic/mesh.yaml). */
  mesh?: string;
  /** Generate a mesh instead of reading one. */
  synthetic?: SyntheticOptions;
  /** Label workloads with cluster names (east/west) instead of the single-cluster "Kubernetes". */
  multiCluster?: boolean;
  /** Multiplies every entry rate (rps in the mesh file): tests use 3–5 for tighter statistics. */
  rateScale?: number;
  /** Simulation step (default 500 ms). */
  tickMs?: number;
  /** Metrics port (default 0: any free port) on 127.0.0.1. */
  port?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /**
   * Duration histograms: both reporters (default, as Istio does), only the destination one, or none
   * (default in synthetic mode: at 5,000 edges each reporter's histogram adds ~110k series and
   * ~110 MB per scrape; see the report in the bench notes).
   */
  histograms?: ExporterOptions['histograms'];
  /** istio_request_bytes / istio_response_bytes (default on, off in synthetic mode). */
  byteHistograms?: boolean;
}

export interface TrafficStats {
  engine: EngineStats;
  mesh: { workloads: number; services: number; calls: number; namespaces: number; multiCluster: boolean };
  routing: {
    source: string;
    /** How many routing snapshots were applied (1 = the initial one). */
    updates: number;
    objects: { virtualServices: number; destinationRules: number; httpRoutes: number; trafficSplits: number };
    skipped: string[];
    errors: string[];
  };
  scrapes: { count: number; lastMs: number; lastBytes: number; maxMs: number };
}

export interface TrafficSimulator {
  metricsUrl: string;
  /** `host:port` for a Prometheus static_config. */
  target: string;
  mesh: Mesh;
  stats(): TrafficStats;
  /** Series per metric name (walks the registry: not for hot paths). */
  seriesCounts(): Promise<Record<string, number>>;
  /** Advance the simulation by hand (tests); the timer keeps running unless tickMs is 0. */
  advance(seconds: number): void;
  /** Resolves when a routing snapshot satisfying `pred` was applied (or rejects after timeoutMs). */
  waitForRouting(pred: (o: RoutingObjects) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function pickSource(opts: TrafficSimulatorOptions): RoutingSource {
  if (opts.routing) return staticRoutingSource(opts.routing);
  const k = opts.kube;
  if (k === undefined) return staticRoutingSource(emptyRoutingObjects());
  if (typeof k === 'string') return kubeconfigRoutingSource(k);
  if ('kubeconfig' in k) return kubeconfigRoutingSource(k.kubeconfig);
  if ('store' in k) return storeRoutingSource(k.store);
  return storeRoutingSource(k);
}

export async function startTrafficSimulator(opts: TrafficSimulatorOptions = {}): Promise<TrafficSimulator> {
  const synthetic = opts.synthetic !== undefined;
  const mesh = synthetic ? buildMesh(syntheticMesh(opts.synthetic!), { multiCluster: opts.multiCluster ?? false }) : loadMesh(opts.mesh, { multiCluster: opts.multiCluster ?? false });
  if (opts.rateScale !== undefined && opts.rateScale !== 1) {
    if (!(opts.rateScale > 0)) throw new Error(`rateScale must be > 0 (got ${opts.rateScale})`);
    for (const e of mesh.entries) e.rps = (e.rps ?? 0) * opts.rateScale;
  }
  const exporter = new MeshExporter(mesh, {
    histograms: opts.histograms ?? (synthetic ? 'none' : 'both'),
    byteHistograms: opts.byteHistograms ?? !synthetic,
  });
  const rng = createRng(opts.seed ?? 1);
  let current = emptyRoutingObjects();
  let table = new RoutingTable(mesh, current);
  const engine = new TrafficEngine(mesh, exporter, rng, table);
  const routing = { updates: 0 };
  const waiters = new Set<{ pred: (o: RoutingObjects) => boolean; resolve: () => void }>();
  const source = pickSource(opts);
  await source.start((objs) => {
    current = objs;
    table = new RoutingTable(mesh, objs);
    engine.setRouting(table);
    routing.updates++;
    for (const w of waiters) if (w.pred(objs)) {
      waiters.delete(w);
      w.resolve();
    }
  });

  const scrapes = { count: 0, lastMs: 0, lastBytes: 0, maxMs: 0 };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics' && !req.url?.startsWith('/metrics?')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    const t0 = performance.now();
    exporter.registry
      .metrics()
      .then((body) => {
        scrapes.count++;
        scrapes.lastMs = performance.now() - t0;
        scrapes.maxMs = Math.max(scrapes.maxMs, scrapes.lastMs);
        scrapes.lastBytes = Buffer.byteLength(body);
        res.writeHead(200, { 'content-type': exporter.registry.contentType }).end(body);
      })
      .catch((e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e)));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const tickMs = opts.tickMs ?? 500;
  let last = performance.now();
  const timer =
    tickMs > 0
      ? setInterval(() => {
          const now = performance.now();
          // Simulate the real elapsed time, so rate() in Prometheus sees the configured rates.
          engine.tick(Math.min(5, (now - last) / 1000));
          last = now;
        }, tickMs)
      : null;
  timer?.unref();

  let stopped = false;
  return {
    metricsUrl: `http://127.0.0.1:${port}/metrics`,
    target: `127.0.0.1:${port}`,
    mesh,
    stats: () => ({
      engine: { ...engine.stats, routedBy: { ...engine.stats.routedBy } },
      mesh: { workloads: mesh.workloads.length, services: mesh.services.length, calls: mesh.calls.length, namespaces: mesh.namespaces.size, multiCluster: mesh.multiCluster },
      routing: {
        source: source.describe,
        updates: routing.updates,
        objects: {
          virtualServices: current.virtualServices.length,
          destinationRules: current.destinationRules.length,
          httpRoutes: current.httpRoutes.length,
          trafficSplits: current.trafficSplits.length,
        },
        skipped: [...table.skipped],
        errors: [...source.errors],
      },
      scrapes: { ...scrapes },
    }),
    seriesCounts: () => exporter.seriesCounts(),
    advance: (seconds) => engine.tick(seconds),
    waitForRouting(pred, timeoutMs = 10_000) {
      if (pred(current)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const w = { pred, resolve: () => { clearTimeout(t); resolve(); } };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`traffic simulator: routing did not reach the expected state within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      source.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
