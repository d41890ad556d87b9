/**
 * A desktop app started from the dock or a menu does not inherit the user's shell PATH, so exec
 * credential plugins (aws, gke-gcloud-auth-plugin, kubelogin) are "not found" where kubectl
 * finds them. Like Headlamp and Freelens, ask the login shell for its environment once at start.
 * Plain Node (no electron import) so it is tested for real.
 */
import { spawn } from 'node:child_process';

const MARKER = '__MESHDECK_ENV__';

/** Parses `env -0` output that follows our marker (an interactive shell may print a banner first). */
export function parseEnvZero(out: string): Record<string, string> {
  const at = out.lastIndexOf(`${MARKER}\0`);
  if (at < 0) return {};
  const env: Record<string, string> = {};
  for (const entry of out.slice(at + MARKER.length + 1).split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/**
 * The process environment with the login shell's PATH, plus variables only the shell sets.
 * Never throws and never waits longer than `timeoutMs`: on any failure it returns `base`.
 */
export async function withLoginShellEnv(base: NodeJS.ProcessEnv, opts: { shell?: string; timeoutMs?: number; platform?: NodeJS.Platform } = {}): Promise<NodeJS.ProcessEnv> {
  if ((opts.platform ?? process.platform) === 'win32') return base;
  const shell = opts.shell ?? base.SHELL ?? '/bin/sh';
  const out = await new Promise<string | null>((resolve) => {
    // Its own process group, so a profile that starts background work or hangs is killed whole.
    const child = spawn(shell, ['-l', '-i', '-c', `printf '${MARKER}\\0'; env -0`], {
      env: { ...base, DISABLE_AUTO_UPDATE: 'true' },
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    let stdout = '';
    let done = false;
    const finish = (v: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Only a shell we gave up on is killed (with whatever it started); a normal exit is left alone.
      if (v === null && child.pid) {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), opts.timeoutMs ?? 10_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      if (stdout.length > 4 * 1024 * 1024) finish(null);
    });
    child.on('error', () => finish(null));
    child.on('exit', () => setImmediate(() => finish(stdout)));
  });
  if (out === null) return base;
  const shellEnv = parseEnvZero(out);
  if (!shellEnv.PATH) return base;
  const merged: NodeJS.ProcessEnv = { ...shellEnv, ...base, PATH: shellEnv.PATH };
  return merged;
}
