import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import type https from 'node:https';
import type { User } from '@kubernetes/client-node';
import type { Authenticator } from './kubeconfig-parse';
import { ApiError } from '../../shared/errors';
import { raceAbort } from '../util/abort';
import type { ResolvedCluster, ResolvedExec } from './kubeconfig-parse';
import { EXEC_PROVIDER, TOKEN_FILE_PROVIDER } from './kubeconfig-parse';

/**
 * Exec credential plugins (aws, gke-gcloud-auth-plugin, kubelogin...), done the way kubectl does
 * and client-node doesn't: one cache entry per (file, context, user) so two kubeconfigs that both
 * call their user "admin" don't share a token; one plugin run at a time per entry however many
 * requests ask at once; KUBERNETES_EXEC_INFO set; credentials without an expiry kept until the
 * server answers 401.
 */

export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

/** Refresh this long before expirationTimestamp, so a request never carries a token that dies in flight. */
const EXPIRY_SKEW_MS = 30_000;
const MAX_OUTPUT = 1024 * 1024;

export interface ExecCredentialProviderOptions {
  /** The environment plugins run in (the door passes the login-shell env so PATH finds them). */
  env: NodeJS.ProcessEnv;
  /** How long a plugin may run (it is shared by concurrent callers, so it has its own limit). */
  timeoutMs?: number;
}

export class ExecCredentialProvider {
  private readonly cache = new Map<string, ExecCredentialStatus>();
  private readonly inflight = new Map<string, Promise<ExecCredentialStatus>>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  /** How many times a plugin was started: tests check single-flight with it. */
  spawnCount = 0;

  constructor(opts: ExecCredentialProviderOptions) {
    this.env = opts.env;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  static keyFor(file: string, context: string, user: string): string {
    return JSON.stringify([file, context, user]);
  }

  /** A valid cached credential, or one fresh plugin run shared by everyone asking meanwhile. */
  async get(key: string, exec: ResolvedExec, cluster: ResolvedCluster | null, signal?: AbortSignal): Promise<ExecCredentialStatus> {
    const cached = this.cache.get(key);
    if (cached && !expired(cached)) return cached;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.run(exec, cluster)
        .then((cred) => {
          this.cache.set(key, cred);
          return cred;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return signal ? raceAbort(p, signal, { keepReason: true }) : p;
  }

  /** Forget a credential (after a 401, or when the kubeconfig changed). */
  invalidate(key: string): void {
    this.cache.delete(key);
  }

  invalidateWhere(pred: (key: string) => boolean): void {
    for (const k of [...this.cache.keys()]) if (pred(k)) this.cache.delete(k);
  }

  private run(exec: ResolvedExec, cluster: ResolvedCluster | null): Promise<ExecCredentialStatus> {
    this.spawnCount++;
    const execInfo: Record<string, unknown> = { apiVersion: exec.apiVersion, kind: 'ExecCredential', spec: { interactive: false } };
    if (exec.provideClusterInfo && cluster) {
      (execInfo.spec as Record<string, unknown>).cluster = {
        server: cluster.server,
        ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
        ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
        ...(cluster.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
        ...(cluster.proxyUrl ? { 'proxy-url': cluster.proxyUrl } : {}),
        ...(cluster.execExtension !== undefined ? { config: cluster.execExtension } : {}),
      };
    }
    const env: NodeJS.ProcessEnv = { ...this.env, KUBERNETES_EXEC_INFO: JSON.stringify(execInfo) };
    for (const e of exec.env) env[e.name] = e.value;
    const cmd = exec.command;

    return new Promise<ExecCredentialStatus>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      let settled = false;
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      // stdin is closed: there is no terminal to answer a prompt (interactiveMode would need one).
      const child = spawn(cmd, exec.args, { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done(() => reject(new ApiError('TIMEOUT', `Exec credential plugin "${cmd}" did not finish within ${Math.round(this.timeoutMs / 1000)} s.`, { details: { command: cmd } })));
      }, this.timeoutMs);
      timer.unref();
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        stdout += d;
        if (stdout.length > MAX_OUTPUT) child.kill('SIGKILL');
      });
      child.stderr.on('data', (d: string) => {
        if (stderr.length < 8192) stderr += d;
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        done(() => {
          if (err.code === 'ENOENT') {
            const hint = exec.installHint ? ` ${exec.installHint.trim()}` : ' Install it, or put its absolute path in the kubeconfig.';
            reject(new ApiError('INVALID_CONFIG', `Exec credential plugin "${cmd}" was not found (not on PATH, or the path does not exist).${hint}`, { details: { command: cmd, errno: 'ENOENT' } }));
          } else if (err.code === 'EACCES') {
            reject(new ApiError('INVALID_CONFIG', `Exec credential plugin "${cmd}" is not executable (EACCES).`, { details: { command: cmd, errno: 'EACCES' } }));
          } else {
            reject(new ApiError('INTERNAL', `Exec credential plugin "${cmd}" could not start: ${err.message}`, { details: { command: cmd } }));
          }
        });
      });
      child.on('close', (code, sig) => {
        done(() => {
          if (code !== 0) {
            const tail = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 400);
            reject(
              new ApiError('UNAUTHORIZED', `Exec credential plugin "${cmd}" failed (${sig ? `signal ${sig}` : `exit ${code}`})${tail ? `: ${tail}` : ''}.`, {
                details: { command: cmd, exitCode: code ?? null },
              }),
            );
            return;
          }
          try {
            resolve(parseExecCredential(stdout, cmd));
          } catch (err) {
            reject(err);
          }
        });
      });
    });
  }
}

function expired(c: ExecCredentialStatus): boolean {
  if (!c.expirationTimestamp) return false;
  const t = Date.parse(c.expirationTimestamp);
  return Number.isNaN(t) || t - EXPIRY_SKEW_MS <= Date.now();
}

export function parseExecCredential(stdout: string, cmd: string): ExecCredentialStatus {
  let obj: unknown;
  try {
    obj = JSON.parse(stdout);
  } catch {
    throw new ApiError('UPSTREAM', `Exec credential plugin "${cmd}" printed something that is not JSON.`, { details: { command: cmd } });
  }
  const status = typeof obj === 'object' && obj !== null ? (obj as { kind?: unknown; status?: unknown }).status : undefined;
  if (typeof obj !== 'object' || obj === null || (obj as { kind?: unknown }).kind !== 'ExecCredential' || typeof status !== 'object' || status === null) {
    throw new ApiError('UPSTREAM', `Exec credential plugin "${cmd}" did not print an ExecCredential with a status.`, { details: { command: cmd } });
  }
  const s = status as Record<string, unknown>;
  const out: ExecCredentialStatus = {};
  if (typeof s.token === 'string' && s.token) out.token = s.token;
  if (typeof s.clientCertificateData === 'string' && s.clientCertificateData) out.clientCertificateData = s.clientCertificateData;
  if (typeof s.clientKeyData === 'string' && s.clientKeyData) out.clientKeyData = s.clientKeyData;
  if (typeof s.expirationTimestamp === 'string') out.expirationTimestamp = s.expirationTimestamp;
  if (!out.token && !(out.clientCertificateData && out.clientKeyData)) {
    throw new ApiError('UPSTREAM', `Exec credential plugin "${cmd}" returned neither a token nor a client certificate and key.`, { details: { command: cmd } });
  }
  return out;
}


type AuthOpts = https.RequestOptions & { headers?: Record<string, string | string[] | number | undefined> };

/** client-node Authenticator for one context's exec user, backed by the shared provider. */
export class ExecAuthenticator implements Authenticator {
  constructor(
    private readonly provider: ExecCredentialProvider,
    readonly cacheKey: string,
    private readonly exec: ResolvedExec,
    private readonly cluster: ResolvedCluster | null,
  ) {}

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: unknown } | undefined)?.name === EXEC_PROVIDER;
  }

  async applyAuthentication(_user: User, opts: AuthOpts): Promise<void> {
    const cred = await this.provider.get(this.cacheKey, this.exec, this.cluster);
    if (cred.clientCertificateData) opts.cert = cred.clientCertificateData;
    if (cred.clientKeyData) opts.key = cred.clientKeyData;
    if (cred.token) {
      opts.headers ??= {};
      opts.headers.Authorization = `Bearer ${cred.token}`;
    }
  }
}

/**
 * tokenFile users: the file is re-read at most once a minute (client-go does the same), so a
 * rotated projected token is picked up without a restart.
 */
export class TokenFileAuthenticator implements Authenticator {
  private token: string | null = null;
  private readAt = 0;
  constructor(private readonly file: string) {}

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: unknown } | undefined)?.name === TOKEN_FILE_PROVIDER;
  }

  async applyAuthentication(_user: User, opts: AuthOpts): Promise<void> {
    if (this.token === null || Date.now() - this.readAt > 60_000) {
      this.token = (await fsp.readFile(this.file, 'utf8')).trim();
      this.readAt = Date.now();
    }
    if (this.token) {
      opts.headers ??= {};
      opts.headers.Authorization = `Bearer ${this.token}`;
    }
  }
}
