import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Cluster, Context, User } from '@kubernetes/client-node';

/** client-node's Authenticator interface (not exported from the package index). */
export type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];
import { LineCounter, parseDocument, YAMLParseError } from 'yaml';
import type { AuthKind, KubeconfigFileInfo, KubeContextInfo, KubeSources } from '../../shared/contract/kube';
import type { ApiErrorShape } from '../../shared/errors';
import type { KubeconfigSource } from './kubeconfig-files';

/**
 * Reads kubeconfig files one at a time, as Headlamp does: a malformed file fails alone (with file,
 * line and reason), a broken context fails alone (with the field and the file it names), and each
 * context becomes its own self-contained config. Nothing here talks to a cluster.
 */

/** Larger than any real kubeconfig; stops a mis-picked file (a disk image...) from being read whole. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

export interface ResolvedCluster {
  name: string;
  server: string;
  caFile?: string;
  caData?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  /** `extensions[client.authentication.k8s.io/exec].extension`, handed to exec plugins with provideClusterInfo. */
  execExtension?: unknown;
}

export interface ResolvedExec {
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  apiVersion: string;
  provideClusterInfo: boolean;
  installHint?: string;
  interactiveMode?: string;
}

export interface ResolvedUser {
  name: string;
  token?: string;
  tokenFile?: string;
  certFile?: string;
  certData?: string;
  keyFile?: string;
  keyData?: string;
  username?: string;
  password?: string;
  exec?: ResolvedExec;
  /** `auth-provider` (oidc, gcp, azure): handed to client-node's own authenticators. */
  authProvider?: { name: string; config: Record<string, string> };
  impersonate?: string;
  impersonateUid?: string;
  impersonateGroups?: string[];
}

/** Everything needed to talk to one context. Holds credentials: never leaves main. */
export interface ResolvedContext {
  id: string;
  name: string;
  file: string;
  namespace: string | null;
  cluster: ResolvedCluster | null;
  user: ResolvedUser | null;
  /** What the renderer may see about this context. */
  info: KubeContextInfo;
}

export interface ParsedKubeconfig {
  file: KubeconfigFileInfo;
  contexts: ResolvedContext[];
  currentContext: string | null;
}

export function contextId(file: string, name: string): string {
  return `${file}#${name}`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Relative paths in a kubeconfig are relative to the file, as client-go's ResolveLocalPaths does. */
function resolveLocal(dir: string, p: string | undefined): string | undefined {
  if (p === undefined) return undefined;
  return path.isAbsolute(p) ? p : path.resolve(dir, p);
}

/** Exec commands resolve against the file only when they contain a path separator; bare names use PATH. */
function resolveCommand(dir: string, cmd: string): string {
  if (path.isAbsolute(cmd)) return cmd;
  if (cmd.includes('/') || (path.sep === '\\' && cmd.includes('\\'))) return path.resolve(dir, cmd);
  return cmd;
}

function authKindOf(u: ResolvedUser | null): AuthKind {
  if (!u) return 'none';
  if (u.exec) return 'exec';
  if (u.authProvider) return u.authProvider.name === 'oidc' ? 'oidc' : 'unknown';
  if (u.token) return 'token';
  if (u.tokenFile) return 'token-file';
  if (u.certFile || u.certData) return 'client-cert';
  if (u.username) return 'basic';
  return 'none';
}

/** A YAML failure as "line L, column C: reason", without the code frame (it may show a secret). */
function yamlFailure(file: string, err: YAMLParseError): ApiErrorShape & { line?: number } {
  const pos = err.linePos?.[0];
  const reason = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '').trim();
  const out: ApiErrorShape & { line?: number } = {
    code: 'INVALID_CONFIG',
    message: pos ? `${file}: YAML error at line ${pos.line}, column ${pos.col}: ${reason}` : `${file}: YAML error: ${reason}`,
    details: { file, yamlCode: err.code, ...(pos ? { line: pos.line, column: pos.col } : {}) },
  };
  if (pos) out.line = pos.line;
  return out;
}

interface NamedEntries {
  byName: Map<string, { index: number; body: Obj; line: number | null }>;
}

export interface ParseOptions {
  /** File existence check (tests may stub it). */
  exists?: (p: string) => boolean;
}

/** Parse one kubeconfig's text. Pure apart from checking that referenced files exist. */
export function parseKubeconfigText(text: string, source: KubeconfigSource, opts: ParseOptions = {}): ParsedKubeconfig {
  const exists = opts.exists ?? ((p: string) => fs.existsSync(p));
  const file = source.path;
  const dir = path.dirname(file);
  const fileInfo: KubeconfigFileInfo = { path: file, origin: source.origin, exists: true, error: null };
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const firstErr = doc.errors[0];
  if (firstErr) return { file: { ...fileInfo, error: yamlFailure(file, firstErr) }, contexts: [], currentContext: null };

  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return {
      file: { ...fileInfo, error: { code: 'INVALID_CONFIG', message: `${file}: ${(err as Error).message}`, details: { file } } },
      contexts: [],
      currentContext: null,
    };
  }
  // An empty file is a valid, empty kubeconfig (kubectl agrees).
  if (root === null || root === undefined) return { file: fileInfo, contexts: [], currentContext: null };
  if (!isObj(root)) {
    return {
      file: { ...fileInfo, error: { code: 'INVALID_CONFIG', message: `${file}: line 1: a kubeconfig must be a YAML mapping (apiVersion, clusters, users, contexts).`, details: { file, line: 1 }, line: 1 } },
      contexts: [],
      currentContext: null,
    };
  }

  const lineOf = (p: (string | number)[]): number | null => {
    const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
    const off = node?.range?.[0];
    return typeof off === 'number' ? lc.linePos(off).line : null;
  };

  const section = (key: 'clusters' | 'users' | 'contexts', inner: 'cluster' | 'user' | 'context'): NamedEntries & { invalid: { index: number; line: number | null }[] } => {
    const byName = new Map<string, { index: number; body: Obj; line: number | null }>();
    const invalid: { index: number; line: number | null }[] = [];
    const list = root[key];
    if (Array.isArray(list)) {
      list.forEach((entry: unknown, index) => {
        const line = lineOf([key, index]);
        const name = isObj(entry) ? str(entry.name) : undefined;
        if (!name) return invalid.push({ index, line });
        // Within one file the first entry of a name wins, as client-go's merge does.
        if (!byName.has(name)) byName.set(name, { index, body: isObj(entry) && isObj(entry[inner]) ? (entry[inner] as Obj) : {}, line });
      });
    }
    return { byName, invalid };
  };
  const clusters = section('clusters', 'cluster');
  const users = section('users', 'user');
  const ctxs = section('contexts', 'context');

  const contexts: ResolvedContext[] = [];
  for (const [name, entry] of ctxs.byName) {
    const c = entry.body;
    const clusterName = str(c.cluster) ?? '';
    const userName = str(c.user) ?? '';
    const problems: ApiErrorShape[] = [];
    const fail = (message: string, field: string, line: number | null, extra: Record<string, string | number | boolean | null> = {}) =>
      problems.push({ code: 'INVALID_CONFIG', message: `Context "${name}" in ${file}: ${message}`, field, details: { file, line, ...extra } });

    let cluster: ResolvedCluster | null = null;
    const cl = clusterName ? clusters.byName.get(clusterName) : undefined;
    if (!clusterName) fail('the context names no cluster.', `contexts[${entry.index}].context.cluster`, entry.line);
    else if (!cl) fail(`cluster "${clusterName}" is not defined in this file.`, `contexts[${entry.index}].context.cluster`, entry.line);
    else {
      const b = cl.body;
      const fieldBase = `clusters[${cl.index}].cluster`;
      const server = str(b.server);
      if (!server) fail(`cluster "${clusterName}" has no server.`, `${fieldBase}.server`, cl.line);
      else if (!/^https?:\/\/[^/]/i.test(server)) fail(`cluster "${clusterName}" has server "${server}", which is not an http(s) URL.`, `${fieldBase}.server`, cl.line);
      let execExtension: unknown;
      if (Array.isArray(b.extensions)) {
        const ext = (b.extensions as unknown[]).find((e) => isObj(e) && e.name === 'client.authentication.k8s.io/exec');
        if (isObj(ext)) execExtension = ext.extension;
      }
      cluster = {
        name: clusterName,
        server: (server ?? '').replace(/\/+$/, ''),
        insecureSkipTlsVerify: b['insecure-skip-tls-verify'] === true,
        ...(str(b['certificate-authority']) ? { caFile: resolveLocal(dir, str(b['certificate-authority'])) } : {}),
        ...(str(b['certificate-authority-data']) ? { caData: str(b['certificate-authority-data']) } : {}),
        ...(str(b['tls-server-name']) ? { tlsServerName: str(b['tls-server-name']) } : {}),
        ...(str(b['proxy-url']) ? { proxyUrl: str(b['proxy-url']) } : {}),
        ...(execExtension !== undefined ? { execExtension } : {}),
      };
      if (cluster.caFile && !exists(cluster.caFile)) {
        fail(`certificate-authority file ${cluster.caFile} (cluster "${clusterName}") does not exist.`, `${fieldBase}.certificate-authority`, cl.line, { path: cluster.caFile });
      }
    }

    let user: ResolvedUser | null = null;
    const us = userName ? users.byName.get(userName) : undefined;
    if (userName && !us) fail(`user "${userName}" is not defined in this file.`, `contexts[${entry.index}].context.user`, entry.line);
    else if (us) {
      const b = us.body;
      const fieldBase = `users[${us.index}].user`;
      user = { name: userName };
      if (str(b.token)) user.token = str(b.token);
      const tokenFile = str(b.tokenFile) ?? str(b['token-file']);
      if (tokenFile) user.tokenFile = resolveLocal(dir, tokenFile);
      if (str(b['client-certificate'])) user.certFile = resolveLocal(dir, str(b['client-certificate']));
      if (str(b['client-certificate-data'])) user.certData = str(b['client-certificate-data']);
      if (str(b['client-key'])) user.keyFile = resolveLocal(dir, str(b['client-key']));
      if (str(b['client-key-data'])) user.keyData = str(b['client-key-data']);
      if (str(b.username)) user.username = str(b.username);
      if (typeof b.password === 'string') user.password = b.password;
      if (str(b.as)) user.impersonate = str(b.as);
      if (str(b['as-uid'])) user.impersonateUid = str(b['as-uid']);
      if (Array.isArray(b['as-groups'])) user.impersonateGroups = (b['as-groups'] as unknown[]).filter((g): g is string => typeof g === 'string');
      if (isObj(b['auth-provider'])) {
        const ap = b['auth-provider'];
        const cfg: Record<string, string> = {};
        if (isObj(ap.config)) for (const [k, v] of Object.entries(ap.config)) if (typeof v === 'string') cfg[k] = v;
        user.authProvider = { name: str(ap.name) ?? '', config: cfg };
      }
      if (isObj(b.exec)) {
        const e = b.exec;
        const command = str(e.command);
        const apiVersion = str(e.apiVersion);
        if (!command) fail(`user "${userName}" has an exec section without a command.`, `${fieldBase}.exec.command`, us.line);
        else if (!apiVersion) fail(`user "${userName}": exec needs an apiVersion (e.g. client.authentication.k8s.io/v1).`, `${fieldBase}.exec.apiVersion`, us.line);
        else {
          user.exec = {
            command: resolveCommand(dir, command),
            args: Array.isArray(e.args) ? (e.args as unknown[]).map(String) : [],
            env: Array.isArray(e.env)
              ? (e.env as unknown[]).filter(isObj).map((v) => ({ name: String(v.name ?? ''), value: String(v.value ?? '') })).filter((v) => v.name)
              : [],
            apiVersion,
            provideClusterInfo: e.provideClusterInfo === true,
            ...(str(e.installHint) ? { installHint: str(e.installHint) } : {}),
            ...(str(e.interactiveMode) ? { interactiveMode: str(e.interactiveMode) } : {}),
          };
          if (path.isAbsolute(user.exec.command) && !exists(user.exec.command)) {
            fail(`exec command ${user.exec.command} (user "${userName}") does not exist.`, `${fieldBase}.exec.command`, us.line, { path: user.exec.command });
          }
        }
      }
      const fileFields: [string, string | undefined][] = [
        ['client-certificate', user.certFile],
        ['client-key', user.keyFile],
        ['tokenFile', user.tokenFile],
      ];
      for (const [field, p] of fileFields) {
        if (p && !exists(p)) fail(`${field} file ${p} (user "${userName}") does not exist.`, `${fieldBase}.${field}`, us.line, { path: p });
      }
      if ((user.certFile || user.certData) && !(user.keyFile || user.keyData)) {
        fail(`user "${userName}" has a client certificate but no client-key.`, `${fieldBase}.client-key`, us.line);
      }
    }

    const first = problems[0];
    const error: ApiErrorShape | null = first
      ? { ...first, message: problems.length > 1 ? `${first.message} (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : first.message }
      : null;
    const id = contextId(file, name);
    contexts.push({
      id,
      name,
      file,
      namespace: str(c.namespace) ?? null,
      cluster,
      user,
      info: {
        id,
        name,
        file,
        cluster: clusterName,
        server: cluster?.server || null,
        user: userName,
        namespace: str(c.namespace) ?? null,
        authKind: authKindOf(user),
        insecureSkipTlsVerify: cluster?.insecureSkipTlsVerify ?? false,
        shadowedBy: null,
        error,
      },
    });
  }
  // Entries without a name can't be addressed, but they shouldn't vanish silently either.
  for (const bad of ctxs.invalid) {
    const name = `contexts[${bad.index}]`;
    const id = contextId(file, name);
    contexts.push({
      id,
      name,
      file,
      namespace: null,
      cluster: null,
      user: null,
      info: {
        id, name, file, cluster: '', server: null, user: '', namespace: null, authKind: 'none', insecureSkipTlsVerify: false, shadowedBy: null,
        error: { code: 'INVALID_CONFIG', message: `${file}${bad.line ? ` line ${bad.line}` : ''}: ${name} has no name.`, field: `${name}.name`, details: { file, line: bad.line } },
      },
    });
  }

  return { file: fileInfo, contexts, currentContext: str(root['current-context']) ?? null };
}

/** Read and parse one file; a missing or unreadable file is reported on the file, not thrown. */
export async function loadKubeconfig(source: KubeconfigSource, opts: ParseOptions = {}): Promise<ParsedKubeconfig> {
  const base: KubeconfigFileInfo = { path: source.path, origin: source.origin, exists: false, error: null };
  let text: string;
  try {
    const st = await fsp.stat(source.path);
    if (!st.isFile()) {
      return { file: { ...base, exists: true, error: { code: 'INVALID_CONFIG', message: `${source.path} is not a file.`, details: { file: source.path } } }, contexts: [], currentContext: null };
    }
    if (st.size > MAX_FILE_BYTES) {
      return {
        file: { ...base, exists: true, error: { code: 'INVALID_CONFIG', message: `${source.path} is ${st.size} bytes: too large to be a kubeconfig.`, details: { file: source.path } } },
        contexts: [],
        currentContext: null,
      };
    }
    text = await fsp.readFile(source.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // kubectl ignores a KUBECONFIG entry that doesn't exist; so do we, but say so.
    if (code === 'ENOENT') return { file: base, contexts: [], currentContext: null };
    return {
      file: { ...base, exists: code !== 'ENOENT', error: { code: 'INVALID_CONFIG', message: `Cannot read ${source.path}: ${code ?? (err as Error).message}.`, details: { file: source.path } } },
      contexts: [],
      currentContext: null,
    };
  }
  return parseKubeconfigText(text, source, opts);
}

/** kubectl's set: the files it merges. Only among these does "first file wins" shadow a context. */
const KUBECTL_ORIGINS = new Set(['flag', 'env', 'default']);

/**
 * Puts the files together without merging them: every context stays addressable by its id; a name
 * that an earlier KUBECONFIG file already defines is marked shadowedBy (kubectl would use the
 * first). current-context comes from the first kubectl file that sets one.
 */
export function combine(parsed: ParsedKubeconfig[]): { sources: KubeSources; contexts: Map<string, ResolvedContext> } {
  const firstByName = new Map<string, string>();
  const all = new Map<string, ResolvedContext>();
  let currentName: string | null = null;
  for (const p of parsed) {
    const kubectlFile = KUBECTL_ORIGINS.has(p.file.origin);
    if (kubectlFile && currentName === null && p.currentContext) currentName = p.currentContext;
    for (const c of p.contexts) {
      if (kubectlFile) {
        const first = firstByName.get(c.name);
        if (first === undefined) firstByName.set(c.name, c.id);
        else c.info = { ...c.info, shadowedBy: first };
      } else {
        c.info = { ...c.info, shadowedBy: null };
      }
      all.set(c.id, c);
    }
  }
  const currentContext = currentName !== null ? (firstByName.get(currentName) ?? null) : null;
  return {
    sources: { files: parsed.map((p) => p.file), contexts: [...all.values()].map((c) => c.info), currentContext },
    contexts: all,
  };
}

/** The authProvider names meshdeck's own authenticators answer to (see clients.ts). */
export const EXEC_PROVIDER = 'meshdeck-exec';
export const TOKEN_FILE_PROVIDER = 'meshdeck-token-file';

/**
 * One client-node KubeConfig holding exactly this context, its cluster and its user. Exec and
 * token-file users are routed to meshdeck's authenticators (passed in), which cache per
 * (file, context, user) and single-flight; client-node's own exec cache is keyed by user name only.
 */
export function toKubeConfig(ctx: ResolvedContext, authenticators: Authenticator[] = []): KubeConfig {
  if (!ctx.cluster) throw new Error(`Context "${ctx.name}" has no cluster.`);
  const kc = new KubeConfig();
  for (const a of authenticators) kc.addAuthenticator(a);
  const cl = ctx.cluster;
  const cluster: Cluster = {
    name: cl.name,
    server: cl.server,
    // client-node refuses http:// servers unless TLS verification is off; there is no TLS to verify.
    skipTLSVerify: cl.insecureSkipTlsVerify || cl.server.startsWith('http:'),
    ...(cl.caFile ? { caFile: cl.caFile } : {}),
    ...(cl.caData ? { caData: cl.caData } : {}),
    ...(cl.tlsServerName ? { tlsServerName: cl.tlsServerName } : {}),
    ...(cl.proxyUrl ? { proxyUrl: cl.proxyUrl } : {}),
  };
  const u = ctx.user;
  const userName = u?.name || 'meshdeck-anonymous';
  let authProvider: unknown;
  if (u?.exec) authProvider = { name: EXEC_PROVIDER, config: {} };
  else if (u?.authProvider) authProvider = u.authProvider;
  else if (u?.tokenFile && !u.token) authProvider = { name: TOKEN_FILE_PROVIDER, config: {} };
  const user: User = {
    name: userName,
    ...(u?.token ? { token: u.token } : {}),
    ...(u?.certFile ? { certFile: u.certFile } : {}),
    ...(u?.certData ? { certData: u.certData } : {}),
    ...(u?.keyFile ? { keyFile: u.keyFile } : {}),
    ...(u?.keyData ? { keyData: u.keyData } : {}),
    ...(u?.username ? { username: u.username, password: u.password ?? '' } : {}),
    ...(u?.impersonate ? { impersonateUser: u.impersonate } : {}),
    ...(authProvider ? { authProvider } : {}),
  };
  const context: Context = { name: ctx.name, cluster: cl.name, user: userName, ...(ctx.namespace ? { namespace: ctx.namespace } : {}) };
  kc.loadFromOptions({ clusters: [cluster], users: [user], contexts: [context], currentContext: ctx.name });
  return kc;
}
