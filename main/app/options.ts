import type { SettingsService } from '../settings/service';

/** What the doors (Electron, web server) tell the core about the process they run in. */
export interface MainOptions {
  version: string;
  /** Where settings, secrets, audit log and logs live (per user). */
  dataDir: string;
  /** Kubeconfig paths named on the command line; else KUBECONFIG, else ~/.kube/config. */
  kubeconfigPaths?: string[];
  /** Set by `npm run demo`: the sandbox kubeconfig, and the demo event store to add as a connection. */
  sandbox?: { kubeconfig: string; eventStoreUrl?: string };
  /** Environment to read KUBECONFIG and HOME from (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Built by the Electron door (secrets through safeStorage, window state, menu); web mode gets a 0600-file one. */
  settings?: SettingsService;
}

/** The demo's sandbox, as `npm run demo` hands it to a child process (web mode or Electron). */
export function sandboxFromEnv(env: NodeJS.ProcessEnv): MainOptions['sandbox'] {
  const kubeconfig = env.MESHDECK_SANDBOX_KUBECONFIG;
  if (!kubeconfig) return undefined;
  return { kubeconfig, eventStoreUrl: env.MESHDECK_SANDBOX_EVENTSTORE };
}
