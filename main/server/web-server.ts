import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { ClientMessage, ServerMessage } from '../../shared/client';
import type { ApiErrorShape, ErrorCode } from '../../shared/errors';
import type { Router } from '../api/router';
import { TOKEN_COOKIE, hostAllowed, newToken, requestToken, tokenMatches } from './auth';
import { serveStatic } from './static';

export interface WebServerOptions {
  router: Router;
  /** Built renderer (out/renderer). */
  staticDir: string;
  /** 127.0.0.1 unless the user asks otherwise (then they must also trust their network). */
  host?: string;
  port?: number;
  token?: string;
  /** Extra Host header values to accept, e.g. a server's DNS name when bound to 0.0.0.0. */
  allowedHosts?: string[];
  maxBodyBytes?: number;
}

export interface WebServer {
  url: string;
  /** The URL to print: opening it sets the session cookie. */
  loginUrl: string;
  port: number;
  host: string;
  token: string;
  close(): Promise<void>;
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_INPUT: 400, UNKNOWN_CHANNEL: 404, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409,
  UNREACHABLE: 502, TLS: 502, TIMEOUT: 504, CANCELLED: 499, UPSTREAM: 502, NOT_CONNECTED: 409, INVALID_CONFIG: 422, INTERNAL: 500,
};

// Strict CSP. Inline styles stay allowed because cytoscape and React write style attributes;
// scripts only from our own origin.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

function securityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function unauthorized(res: ServerResponse): void {
  sendJson(res, 401, { ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing or wrong meshdeck token: open the URL meshdeck printed at start-up.' } });
}

/** Parses the request target as a path: `//x` stays a path, never a host. */
function requestUrl(req: IncomingMessage): URL {
  const raw = req.url ?? '/';
  return new URL(`http://localhost${raw.startsWith('/') ? raw : `/${raw}`}`);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Over the limit we keep draining (discarding) so the client gets a clean 413 rather than a
  // reset connection; past 8x the limit we stop listening altogether.
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit * 8) {
      req.destroy();
      break;
    }
    if (size <= limit) chunks.push(b);
  }
  if (size > limit) throw Object.assign(new Error(`Request body over ${limit} bytes.`), { status: 413 });
  return Buffer.concat(chunks).toString('utf8');
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? newToken();
  const maxBody = opts.maxBodyBytes ?? 10 * 1024 * 1024;
  const allowed = new Set<string>();
  const shutdown = new AbortController();
  const sockets = new Set<WebSocket>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: 'INTERNAL', message: String(err) } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res);
    if (!hostAllowed(req.headers.host, allowed)) {
      sendJson(res, 421, { ok: false, error: { code: 'FORBIDDEN', message: `Host ${req.headers.host ?? '(none)'} is not served here.` } });
      return;
    }
    const url = requestUrl(req);
    // Opening the printed URL: trade the query token for an HttpOnly cookie and drop it from the address bar.
    const queryToken = url.searchParams.get('token');
    if (req.method === 'GET' && queryToken !== null) {
      if (!tokenMatches(queryToken, token)) return unauthorized(res);
      url.searchParams.delete('token');
      res.setHeader('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      res.writeHead(303, { location: url.pathname + (url.search || '') + (url.hash || '') }).end();
      return;
    }
    if (!tokenMatches(requestToken(req), token)) return unauthorized(res);

    if (url.pathname.startsWith('/api/invoke/')) {
      if (req.method !== 'POST') {
        sendJson(res, 405, { ok: false, error: { code: 'BAD_INPUT', message: 'Use POST for /api/invoke.' } });
        return;
      }
      const channel = decodeURIComponent(url.pathname.slice('/api/invoke/'.length));
      let input: unknown;
      try {
        const text = await readBody(req, maxBody);
        input = text.trim() === '' ? {} : (JSON.parse(text) as unknown);
      } catch (err) {
        const status = (err as { status?: number }).status ?? 400;
        sendJson(res, status, { ok: false, error: { code: 'BAD_INPUT', message: `Request body: ${(err as Error).message}` } });
        return;
      }
      // Cancel the service call when the client goes away (fetch aborted, tab closed).
      const call = new AbortController();
      const onShutdown = () => call.abort();
      shutdown.signal.addEventListener('abort', onShutdown);
      res.on('close', () => { if (!res.writableFinished) call.abort(); });
      const result = await opts.router.invoke(channel, input, { signal: call.signal, transport: 'web' });
      shutdown.signal.removeEventListener('abort', onShutdown);
      if (call.signal.aborted && res.destroyed) return;
      sendJson(res, result.ok ? 200 : HTTP_STATUS[result.error.code], result);
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      sendJson(res, 404, { ok: false, error: { code: 'NOT_FOUND', message: `No API route ${url.pathname}.` } });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    await serveStatic(opts.staticDir, url.pathname, res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBody });
  server.on('upgrade', (req, socket, head) => {
    const url = requestUrl(req);
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!hostAllowed(req.headers.host, allowed)) return reject(421, 'Misdirected Request');
    if (url.pathname !== '/api/ws') return reject(404, 'Not Found');
    if (!tokenMatches(requestToken(req), token)) return reject(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  function serveSocket(ws: WebSocket): void {
    sockets.add(ws);
    const live = new Map<string, AbortController>();
    const send = (msg: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    const protocolError = (id: string, message: string) =>
      send({ type: 'error', id, error: { code: 'BAD_INPUT', message } satisfies ApiErrorShape });

    ws.on('message', (data) => {
      let msg: ClientMessage;
      try {
        msg = JSON.parse(String(data)) as ClientMessage;
      } catch {
        return protocolError('', 'Socket message is not JSON.');
      }
      if (typeof msg !== 'object' || msg === null || typeof msg.id !== 'string' || msg.id.length > 100) {
        return protocolError('', 'Socket message needs a string id.');
      }
      switch (msg.type) {
        case 'sub': {
          if (live.has(msg.id)) return protocolError(msg.id, `Subscription id ${msg.id} is already in use.`);
          const ctl = new AbortController();
          live.set(msg.id, ctl);
          const id = msg.id;
          opts.router.subscribe(msg.channel, msg.input, { signal: ctl.signal, transport: 'web' },
            (event) => send({ type: 'event', id, event }),
            (error) => { live.delete(id); ctl.abort(); send({ type: 'error', id, error }); });
          return;
        }
        case 'invoke': {
          const ctl = new AbortController();
          const id = msg.id;
          live.set(id, ctl);
          void opts.router.invoke(msg.channel, msg.input, { signal: ctl.signal, transport: 'web' }).then((r) => {
            live.delete(id);
            send(r.ok ? { type: 'result', id, ok: true, value: r.value } : { type: 'result', id, ok: false, error: r.error });
          });
          return;
        }
        case 'unsub':
        case 'cancel': {
          live.get(msg.id)?.abort();
          live.delete(msg.id);
          return;
        }
        default:
          return protocolError((msg as { id: string }).id, `Unknown socket message type ${JSON.stringify((msg as { type?: unknown }).type)}.`);
      }
    });
    ws.on('close', () => {
      sockets.delete(ws);
      for (const ctl of live.values()) ctl.abort();
      live.clear();
    });
    ws.on('error', () => ws.terminate());
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(opts.port ?? 0, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  for (const h of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${hostForUrl}:${port}`, ...(opts.allowedHosts ?? [])]) {
    allowed.add(h.toLowerCase());
  }
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : hostForUrl;
  const url = `http://${displayHost}:${port}/`;
  return {
    url,
    loginUrl: `${url}?token=${token}`,
    port,
    host,
    token,
    async close() {
      shutdown.abort();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
