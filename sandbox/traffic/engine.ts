/**
 * The request simulation. Each tick draws a Poisson number of requests for every entry call; each
 * request is routed (RoutingTable), suffers faults, lands on a workload, which draws its latency
 * and error and makes its own downstream calls (fan-out), recursively. Every hop is reported the
 * way the proxies on each side would report it (MeshExporter). No real HTTP.
 */
import type { MeshExporter, Protocol } from './exporter';
import type { Call, Mesh, Service, Workload } from './mesh';
import type { Rng } from './rng';
import type { RouteDecision, RoutingTable } from './routing';

const MAX_DEPTH = 12;

export interface EngineStats {
  ticks: number;
  requests: number;
  /** Requests by how their route was decided. */
  routedBy: Record<RouteDecision['kind'], number>;
  faultAborts: number;
  faultDelays: number;
  mirrored: number;
  timeouts: number;
  retries: number;
  noUpstream: number;
  lastTickMs: number;
}

interface HopResult {
  code: number;
  grpcStatus: number | null;
  latencyMs: number;
  failed: boolean;
}

export class TrafficEngine {
  readonly stats: EngineStats = {
    ticks: 0, requests: 0, routedBy: { virtualservice: 0, httproute: 0, trafficsplit: 0, service: 0 },
    faultAborts: 0, faultDelays: 0, mirrored: 0, timeouts: 0, retries: 0, noUpstream: 0, lastTickMs: 0,
  };

  constructor(
    private readonly mesh: Mesh,
    private readonly exporter: MeshExporter,
    private readonly rng: Rng,
    private routing: RoutingTable,
  ) {}

  setRouting(table: RoutingTable): void {
    this.routing = table;
  }

  /** Simulate `dtSec` seconds of traffic. */
  tick(dtSec: number): void {
    const t0 = performance.now();
    for (const entry of this.mesh.entries) {
      const n = this.rng.poisson((entry.rps ?? 0) * dtSec);
      for (let i = 0; i < n; i++) {
        const src = entry.sources ? pickWorkload(entry.sources, this.rng) : null;
        if (entry.sources && !src) continue; // every source scaled to zero
        this.call(entry, src, 0);
      }
    }
    this.exporter.flush();
    this.stats.ticks++;
    this.stats.lastTickMs = performance.now() - t0;
  }

  /** One request from `src` (null: outside the mesh) along `call`. Returns what the caller sees. */
  call(call: Call, src: Workload | null, depth: number): HopResult {
    this.stats.requests++;
    const svc = call.target;
    const headers: Record<string, string> = {};
    for (const h of call.headers) if (this.rng.chance(h.fraction)) headers[h.name.toLowerCase()] = h.value;
    const sourceMesh = src?.mesh ?? 'none';
    const d = this.routing.route({ source: src, sourceMesh, service: svc, headers, path: call.path }, this.rng);
    this.stats.routedBy[d.kind]++;
    const protocol: Protocol = svc.protocol;

    if (d.mirror) this.mirror(call, src, d.mirror.service, d.mirror.workloads, depth);

    const delay = d.fault.delayMs ?? 0;
    if (delay > 0) this.stats.faultDelays++;
    const target = d.service ?? svc;

    if (d.fault.abort) {
      // The client proxy answers by itself: no upstream host was picked, so the destination is unknown.
      this.stats.faultAborts++;
      const grpc = protocol === 'grpc' ? (d.fault.abort.grpcStatus ?? 14) : null;
      const r: HopResult = { code: d.fault.abort.httpStatus, grpcStatus: grpc, latencyMs: delay + 0.2, failed: true };
      this.reportSource(src, target, null, protocol, r, 'FI', call);
      return r;
    }
    if (!d.service || d.workloads.length === 0) {
      this.stats.noUpstream++;
      const r: HopResult = { code: 503, grpcStatus: protocol === 'grpc' ? 14 : null, latencyMs: delay + 0.5, failed: true };
      this.reportSource(src, target, null, protocol, r, d.service ? 'UH' : 'NR', call);
      return r;
    }

    if (protocol === 'tcp') return this.tcpCall(call, src, target, d.workloads, depth);

    const attempts = 1 + (d.retries?.attempts ?? 0);
    let elapsed = delay;
    let last: { w: Workload; r: HopResult } | null = null;
    let flags = '-';
    for (let a = 0; a < attempts; a++) {
      if (a > 0) this.stats.retries++;
      const w = pickWorkload(d.workloads, this.rng);
      if (!w) break;
      const r = this.handle(w, protocol, depth);
      if (d.timeoutMs !== null && elapsed + r.latencyMs > d.timeoutMs) {
        // The client gives up; the server sees the downstream disconnect.
        this.reportDestination(src, target, w, protocol, { code: 0, grpcStatus: null, latencyMs: d.timeoutMs - elapsed, failed: true }, 'DC', call);
        this.stats.timeouts++;
        elapsed = d.timeoutMs;
        last = { w, r: { code: 504, grpcStatus: protocol === 'grpc' ? 4 : null, latencyMs: elapsed, failed: true } };
        flags = 'UT';
        break;
      }
      this.reportDestination(src, target, w, protocol, r, '-', call);
      elapsed += r.latencyMs;
      last = { w, r };
      if (!r.failed || !d.retries || !retryable(r, d.retries.retryOn)) break;
      flags = a + 1 < attempts ? '-' : 'URX';
    }
    if (!last) return { code: 503, grpcStatus: null, latencyMs: elapsed, failed: true };
    const seen: HopResult = { ...last.r, latencyMs: elapsed + 0.3 };
    this.reportSource(src, target, last.w, protocol, seen, last.r.failed && flags === '-' ? '-' : flags, call);
    return seen;
  }

  /** What a workload does with one request: its own work, plus its downstream calls in sequence. */
  private handle(w: Workload, protocol: Protocol, depth: number): HopResult {
    let latency = drawLatency(w.latencyMs.p50, w.latencyMs.p99, this.rng);
    let failed = this.rng.chance(w.errorRate);
    if (depth < MAX_DEPTH) {
      for (const c of w.fanout) {
        const whole = Math.floor(c.perRequest ?? 0);
        const n = whole + (this.rng.chance((c.perRequest ?? 0) - whole) ? 1 : 0);
        for (let i = 0; i < n; i++) {
          const r = this.call(c, w, depth + 1);
          latency += r.latencyMs;
          if (r.failed && c.failCaller) failed = true;
        }
      }
    }
    if (!failed) return { code: 200, grpcStatus: protocol === 'grpc' ? 0 : null, latencyMs: latency, failed: false };
    if (protocol === 'grpc') return { code: 200, grpcStatus: w.grpcErrorStatus, latencyMs: latency, failed: true };
    return { code: w.errorCode, grpcStatus: null, latencyMs: latency, failed: true };
  }

  private mirror(call: Call, src: Workload | null, svc: Service, workloads: Workload[], depth: number): void {
    const w = pickWorkload(workloads, this.rng);
    if (!w) return;
    this.stats.mirrored++;
    // The shadow copy is fire-and-forget: its answer never reaches the caller.
    const r = this.handle(w, svc.protocol, depth + 1);
    this.reportDestination(src, svc, w, svc.protocol, r, '-', call);
    this.reportSource(src, svc, w, svc.protocol, r, '-', call);
  }

  private tcpCall(call: Call, src: Workload | null, svc: Service, workloads: Workload[], _depth: number): HopResult {
    const w = pickWorkload(workloads, this.rng);
    if (!w) return { code: 0, grpcStatus: null, latencyMs: 0, failed: true };
    const sent = call.tcp?.bytesSent ?? call.requestBytes;
    const received = call.tcp?.bytesReceived ?? w.responseBytes;
    const istioSrc = src?.mesh === 'istio' ? src : null;
    const mtls = src?.mesh === 'istio' && w.mesh === 'istio';
    const t = { opened: 1, sent: received, received: sent };
    if (istioSrc) this.exporter.istioTcp('source', istioSrc, svc, w.mesh === 'istio' ? w : null, mtls, t);
    if (w.mesh === 'istio') this.exporter.istioTcp('destination', istioSrc, svc, w, mtls, t);
    if (src?.mesh === 'linkerd') this.exporter.linkerdTcp('outbound', src, svc, w, { open: 2, read: received, write: sent });
    if (w.mesh === 'linkerd') this.exporter.linkerdTcp('inbound', src, svc, w, { open: 2, read: sent, write: received });
    return { code: 0, grpcStatus: null, latencyMs: drawLatency(w.latencyMs.p50, w.latencyMs.p99, this.rng), failed: false };
  }

  private reportSource(src: Workload | null, svc: Service, dst: Workload | null, protocol: Protocol, r: HopResult, flags: string, call: Call): void {
    if (!src) return; // no client proxy
    if (src.mesh === 'istio') {
      // Without Istio's metadata exchange the client cannot name the server's workload.
      const known = dst && dst.mesh === 'istio' ? dst : null;
      this.exporter.istioRequest({
        reporter: 'source', source: src, service: svc, destination: known, protocol, code: r.code, grpcStatus: r.grpcStatus,
        flags, mtls: known !== null, latencyMs: r.latencyMs, requestBytes: call.requestBytes, responseBytes: dst?.responseBytes ?? 0,
      });
    } else if (src.mesh === 'linkerd') {
      this.exporter.linkerdRequest('outbound', src, svc, dst, r.code, r.grpcStatus, r.latencyMs);
      if (dst) this.exporter.linkerdTcp('outbound', src, svc, dst, { open: 2, read: dst.responseBytes, write: call.requestBytes });
    }
  }

  private reportDestination(src: Workload | null, svc: Service, dst: Workload, protocol: Protocol, r: HopResult, flags: string, call: Call): void {
    if (dst.mesh === 'istio') {
      const known = src && src.mesh === 'istio' ? src : null;
      this.exporter.istioRequest({
        reporter: 'destination', source: known, service: svc, destination: dst, protocol, code: r.code, grpcStatus: r.grpcStatus,
        flags, mtls: known !== null, latencyMs: r.latencyMs, requestBytes: call.requestBytes, responseBytes: dst.responseBytes,
      });
    } else if (dst.mesh === 'linkerd') {
      this.exporter.linkerdRequest('inbound', src, svc, dst, r.code, r.grpcStatus, r.latencyMs);
      this.exporter.linkerdTcp('inbound', src, svc, dst, { open: 2, read: call.requestBytes, write: dst.responseBytes });
    }
  }
}

function retryable(r: HopResult, retryOn: string[]): boolean {
  for (const cond of retryOn) {
    if (cond === '5xx' && r.code >= 500) return true;
    if (cond === 'gateway-error' && r.code >= 502 && r.code <= 504) return true;
    if ((cond === 'unavailable' || cond === 'retriable-status-codes') && (r.code === 503 || r.grpcStatus === 14)) return true;
  }
  return false;
}

/** A workload chosen in proportion to its replicas (endpoints). */
export function pickWorkload(ws: readonly Workload[], rng: Rng): Workload | null {
  let total = 0;
  for (const w of ws) total += w.replicas;
  if (total <= 0) return null;
  let r = rng.next() * total;
  for (const w of ws) {
    r -= w.replicas;
    if (r < 0) return w;
  }
  return ws[ws.length - 1] ?? null;
}

/** Log-normal latency fitted to p50 and p99 (z(0.99) = 2.326). */
export function drawLatency(p50: number, p99: number, rng: Rng): number {
  const sigma = Math.max(0.01, Math.log(Math.max(p99, p50 * 1.01) / p50) / 2.326);
  return Math.exp(Math.log(p50) + sigma * rng.normal());
}
