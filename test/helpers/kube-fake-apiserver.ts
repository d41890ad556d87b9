import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * A small, real HTTPS Kubernetes API server for connect tests, used where the sandbox cluster is
 * not needed: a CA made by openssl, bearer tokens and client certificates, RBAC-style 403 Status
 * bodies, paged lists. It answers only what connecting needs.
 */

export interface TlsMaterial {
  dir: string;
  caFile: string;
  caPem: string;
  serverKey: string;
  serverCert: string;
  /** Client certificate (CN=cert-admin) signed by the CA. */
  clientCert: string;
  clientKey: string;
  /** A CA that did not sign the server certificate. */
  wrongCaFile: string;
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

export function makeTlsMaterial(dir: string): TlsMaterial {
  fs.mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const name of ['ca', 'wrong-ca']) {
    openssl(['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=meshdeck-test-${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  }
  const leaf = (name: string, cn: string, ext: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
  };
  leaf('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'cert-admin', 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  return {
    dir,
    caFile: path.join(dir, 'ca.crt'),
    caPem: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
    serverKey: path.join(dir, 'server.key'),
    serverCert: path.join(dir, 'server.crt'),
    clientCert: path.join(dir, 'client.crt'),
    clientKey: path.join(dir, 'client.key'),
    wrongCaFile: path.join(dir, 'wrong-ca.crt'),
  };
}

export const FAKE_TOKENS = { admin: 'admin-token-1f2e', viewer: 'viewer-token-3c4d', restricted: 'restricted-token-5a6b' } as const;
export const FAKE_NAMESPACES = ['default', 'kube-system', 'istio-system', 'bookinfo', 'monitoring', 'team-a', 'team-b'];
const CRDS = ['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io', 'peerauthentications.security.istio.io', 'httproutes.gateway.networking.k8s.io', 'gateways.gateway.networking.k8s.io'];
const DISCOVERY_GROUPS = ['apps', 'batch', 'apiextensions.k8s.io', 'split.smi-spec.io', 'policy.linkerd.io'];

export interface FakeApiServer {
  url: string;
  /** Requests seen, as "<user> <METHOD> <path>". */
  log: string[];
  close(): Promise<void>;
}

function status(res: import('node:http').ServerResponse, code: number, reason: string, message: string) {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

function forbidden(res: import('node:http').ServerResponse, user: string, verb: string, resource: string, group: string, ns?: string) {
  const where = ns ? `in the namespace "${ns}"` : 'at the cluster scope';
  const full = group ? `${resource}.${group}` : resource;
  status(res, 403, 'Forbidden', `${full} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" ${where}`);
}

const json = (res: import('node:http').ServerResponse, body: unknown) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** Paged by `pageSize` whatever limit the client asks (servers may return fewer than asked). */
function page<T>(all: T[], url: URL, pageSize: number): { items: T[]; cont: string | undefined } {
  const start = Number(url.searchParams.get('continue') ?? '0') || 0;
  const limit = Math.min(Number(url.searchParams.get('limit') ?? all.length) || all.length, pageSize);
  const items = all.slice(start, start + limit);
  return { items, cont: start + limit < all.length ? String(start + limit) : undefined };
}

export async function startFakeApiServer(tls: TlsMaterial, opts: { pageSize?: number } = {}): Promise<FakeApiServer> {
  const pageSize = opts.pageSize ?? 3;
  const log: string[] = [];
  const users: Record<string, string> = { [FAKE_TOKENS.admin]: 'admin', [FAKE_TOKENS.viewer]: 'viewer', [FAKE_TOKENS.restricted]: 'restricted' };
  const server = https.createServer(
    { key: fs.readFileSync(tls.serverKey), cert: fs.readFileSync(tls.serverCert), ca: fs.readFileSync(tls.caFile), requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://fake');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const auth = req.headers.authorization ?? '';
        const sock = req.socket as TLSSocket;
        let user: string | undefined;
        if (auth.startsWith('Bearer ')) user = users[auth.slice(7)];
        else if (sock.authorized) user = String(sock.getPeerCertificate().subject?.CN ?? '');
        log.push(`${user ?? '-'} ${req.method} ${url.pathname}`);
        if (!user) return status(res, 401, 'Unauthorized', 'Unauthorized');
        const p = url.pathname;
        if (p === '/version') return json(res, { major: '1', minor: '31', gitVersion: 'v1.31.2-fake', platform: 'linux/amd64' });
        if (p === '/api/v1/namespaces' && req.method === 'GET') {
          if (user === 'restricted') return forbidden(res, user, 'list', 'namespaces', '');
          const { items, cont } = page(FAKE_NAMESPACES, url, pageSize);
          return json(res, { kind: 'NamespaceList', apiVersion: 'v1', metadata: cont ? { continue: cont } : {}, items: items.map((name) => ({ metadata: { name }, status: { phase: 'Active' } })) });
        }
        if (p === '/apis/apiextensions.k8s.io/v1/customresourcedefinitions') {
          if (user !== 'admin' && user !== 'cert-admin') return forbidden(res, user, 'list', 'customresourcedefinitions', 'apiextensions.k8s.io');
          const { items, cont } = page(CRDS, url, 2);
          return json(res, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: cont ? { continue: cont } : {}, items: items.map((name) => ({ metadata: { name } })) });
        }
        if (p === '/apis') {
          return json(res, {
            kind: 'APIGroupList',
            apiVersion: 'v1',
            groups: DISCOVERY_GROUPS.map((name) => ({ name, versions: [{ groupVersion: `${name}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' } })),
          });
        }
        if (p === '/api/v1/namespaces/default/secrets') {
          if (user !== 'admin') return forbidden(res, user, 'list', 'secrets', '', 'default');
          return json(res, { kind: 'SecretList', apiVersion: 'v1', metadata: {}, items: [] });
        }
        if (p.startsWith('/api/v1/namespaces/monitoring/services/prometheus:9090/proxy/')) {
          return json(res, { status: 'success', echo: { user, method: req.method, path: p.replace(/^.*\/proxy/, ''), query: url.searchParams.get('query'), body, contentType: req.headers['content-type'] ?? null } });
        }
        if (p === '/apis/networking.istio.io/v1/namespaces/bookinfo/virtualservices/reviews') {
          return status(res, 404, 'NotFound', 'virtualservices.networking.istio.io "reviews" not found');
        }
        return status(res, 404, 'NotFound', 'the server could not find the requested resource');
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Accepts TCP connections and never says a word: a hung API server (the TLS handshake never ends). */
export async function startHungServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `https://127.0.0.1:${port}`;
}
