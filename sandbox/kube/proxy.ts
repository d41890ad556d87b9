// The API server's service proxy (`/api/v1/namespaces/{ns}/services/{scheme:name:port}/proxy/…`).
// Real clusters route it to a pod IP; here each (namespace, service, port) is registered with
// a loopback URL, typically a simulated Prometheus or app started by the sandbox. The app
// reaches in-cluster Prometheus exactly the way it would on a real cluster.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { failure, notFound, type KubeError } from './errors.js';
import { isObj } from './json.js';
import type { KubeObject } from './types.js';

/** Headers that describe one hop and must not be forwarded (RFC 9110 §7.6.1), plus credentials. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization']);

export interface ProxyTarget {
  url: URL;
  port: number;
}

export class ServiceProxy {
  private targets = new Map<string, string>();
  private inflight = new Set<http.ClientRequest>();

  register(ns: string, service: string, port: number, target: string): void {
    const url = new URL(target);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`service proxy target must be http(s): ${target}`);
    this.targets.set(`${ns}/${service}:${port}`, url.toString().replace(/\/$/, ''));
  }

  unregister(ns: string, service: string, port: number): void {
    this.targets.delete(`${ns}/${service}:${port}`);
  }

  /**
   * Resolve `name`, `name:port`, `name:portName` or `scheme:name:port` to a registered
   * target. Without a port, a single registration (or the Service's first port) is used.
   */
  resolve(ns: string, spec: string, service: KubeObject | undefined): { target: string; service: string } | KubeError {
    const parts = spec.split(':');
    let name: string;
    let portSpec = '';
    if (parts.length === 3) [, name, portSpec] = parts as [string, string, string];
    else if (parts.length === 2) [name, portSpec] = parts as [string, string];
    else name = parts[0] ?? '';
    const ports = service && isObj(service.spec) && Array.isArray(service.spec.ports) ? service.spec.ports.filter(isObj) : [];
    let port: number | undefined;
    if (/^\d+$/.test(portSpec)) port = Number(portSpec);
    else if (portSpec) {
      const named = ports.find((p) => p.name === portSpec);
      if (typeof named?.port === 'number') port = named.port;
      else if (!service) return notFound({ group: '', plural: 'services' }, name);
      else return failure(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
    } else {
      const registered = [...this.targets.keys()].filter((k) => k.startsWith(`${ns}/${name}:`));
      if (registered.length === 1) port = Number(registered[0]!.split(':').pop());
      else if (typeof ports[0]?.port === 'number') port = ports[0].port;
    }
    const target = port !== undefined ? this.targets.get(`${ns}/${name}:${port}`) : undefined;
    if (target) return { target, service: name };
    if (!service) return notFound({ group: '', plural: 'services' }, name);
    return failure(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`);
  }

  /** Forward one request; `rest` is the path after `/proxy` (may be empty), `search` the raw query. */
  forward(req: IncomingMessage, res: ServerResponse, target: string, rest: string, search: string, onError: (err: KubeError) => void): void {
    const base = new URL(target);
    // The real server forwards the decoded path, so an escaped slash (client-node encodes
    // the whole `path` parameter) arrives upstream as a plain one.
    let restPath: string;
    try {
      restPath = rest.split('/').map((seg) => encodeURI(decodeURIComponent(seg))).join('/');
    } catch {
      restPath = rest;
    }
    const path = `${base.pathname.replace(/\/$/, '')}${restPath.startsWith('/') ? restPath : `/${restPath}`}${search}`;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    headers.host = base.host;
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1';
    headers['x-forwarded-uri'] = req.url ?? '';
    const client = base.protocol === 'https:' ? https : http;
    const upstream = client.request(
      { protocol: base.protocol, hostname: base.hostname, port: base.port, method: req.method, path, headers, rejectUnauthorized: false },
      (up) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
    );
    this.inflight.add(upstream);
    upstream.on('close', () => this.inflight.delete(upstream));
    upstream.on('error', (err) => {
      if (res.headersSent) res.destroy();
      else onError(failure(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${base.host}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  close(): void {
    for (const r of this.inflight) r.destroy();
    this.inflight.clear();
  }
}
