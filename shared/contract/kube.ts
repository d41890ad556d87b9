import { z } from 'zod';
import { request, subscription } from './define';
import type { ApiErrorShape } from '../errors';

/**
 * A context is named by its file and its name (`<absolute file>#<context name>`): the same name
 * may appear in two files, and both stay addressable.
 */
export const contextIdSchema = z.string().min(1).max(4096);

export type AuthKind = 'token' | 'token-file' | 'client-cert' | 'exec' | 'oidc' | 'basic' | 'none' | 'unknown';

/**
 * Where a kubeconfig path came from, in kubectl's order: paths given on the command line replace
 * KUBECONFIG, which replaces ~/.kube/config. `user` files were added in the app; `sandbox` is the
 * demo cluster of `npm run demo`.
 */
export type KubeconfigOrigin = 'flag' | 'env' | 'default' | 'user' | 'sandbox';

export interface KubeconfigFileInfo {
  path: string;
  origin: KubeconfigOrigin;
  exists: boolean;
  /** A file that cannot be read or parsed fails alone, with the reason (and line, for YAML). */
  error: (ApiErrorShape & { line?: number }) | null;
}

export interface KubeContextInfo {
  /** `<file>#<name>`: stable while the file and the name stay the same. */
  id: string;
  name: string;
  file: string;
  cluster: string;
  server: string | null;
  user: string;
  namespace: string | null;
  authKind: AuthKind;
  /** The cluster entry sets insecure-skip-tls-verify: the UI warns about it. */
  insecureSkipTlsVerify: boolean;
  /** Shadowed: the id of the context with the same name in an earlier KUBECONFIG file (kubectl uses the first). */
  shadowedBy: string | null;
  /** A context whose cluster or user is missing or broken, e.g. a certificate file that doesn't exist. */
  error: ApiErrorShape | null;
}

export interface KubeSources {
  files: KubeconfigFileInfo[];
  contexts: KubeContextInfo[];
  /** The id of kubectl's current context (current-context of the first file that sets one), if it exists. */
  currentContext: string | null;
}

export interface MeshDetection {
  istio: boolean;
  gatewayApi: boolean;
  smi: boolean;
  linkerd: boolean;
  /** CRD group names found, for the "what did you find" view. */
  groups: string[];
  /** How the groups were found: the CRD list, or API discovery when listing CRDs is forbidden. */
  source: 'crds' | 'discovery';
}

export interface KubeConnection {
  contextId: string;
  contextName: string;
  server: string | null;
  status: 'connecting' | 'connected' | 'error';
  serverVersion: string | null;
  namespaces: string[];
  /** More namespaces exist than were listed (the list stops at a few thousand). */
  namespacesTruncated: boolean;
  detected: MeshDetection | null;
  /** Why the connection failed (status 'error'). */
  error: ApiErrorShape | null;
  /** Connected, but some probes failed (e.g. RBAC forbids listing namespaces): each one says what. */
  warnings: ApiErrorShape[];
  connectedAt: string | null;
}

export const kubeContract = {
  'kube.sources': request(z.object({}).strict(), 'Kubeconfig files and their contexts, read as kubectl does.').returns<KubeSources>(),
  'kube.addFile': request(
    z.object({ path: z.string().min(1).max(4096) }).strict(),
    'Add a kubeconfig file the user picked (absolute path, or ~/...); it is remembered across restarts.',
  ).returns<KubeSources>(),
  'kube.removeFile': request(z.object({ path: z.string().min(1).max(4096) }).strict(), 'Forget a user-added kubeconfig file (and drop its connections).').returns<KubeSources>(),
  'kube.connect': request(
    z.object({ contextId: contextIdSchema }).strict(),
    'Connect to one context: version, namespaces, mesh CRDs. A cluster failure resolves with status "error"; an unknown id rejects with NOT_FOUND.',
  ).returns<KubeConnection>(),
  'kube.disconnect': request(z.object({ contextId: contextIdSchema }).strict(), 'Drop a connection and its clients.').returns<{ contextId: string }>(),
  'kube.connections': request(z.object({}).strict(), 'Every connection and its state.').returns<KubeConnection[]>(),
  'kube.sourcesChanged': subscription(
    z.object({}).strict(),
    'Pushes the current sources once, then again whenever a kubeconfig file (or the list of files) changes.',
  ).emits<KubeSources>(),
} as const;
