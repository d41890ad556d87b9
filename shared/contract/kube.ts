import { z } from 'zod';
import { request, subscription } from './define';
import type { ApiErrorShape } from '../errors';

/** A context is named by its file and its name: the same name may appear in two files. */
export const contextIdSchema = z.string().min(1).max(4096);

export type AuthKind = 'token' | 'token-file' | 'client-cert' | 'exec' | 'oidc' | 'basic' | 'none' | 'unknown';

export interface KubeconfigFileInfo {
  path: string;
  /** Where the path came from: KUBECONFIG, the default ~/.kube/config, or added by the user. */
  origin: 'env' | 'default' | 'user';
  exists: boolean;
  /** A file that cannot be read or parsed fails alone, with the reason (and line, for YAML). */
  error: (ApiErrorShape & { line?: number }) | null;
}

export interface KubeContextInfo {
  id: string;
  name: string;
  file: string;
  cluster: string;
  server: string | null;
  user: string;
  namespace: string | null;
  authKind: AuthKind;
  /** Shadowed: an earlier file in KUBECONFIG defines the same context name (kubectl uses the first). */
  shadowedBy: string | null;
  /** A context whose cluster or user is missing or broken, e.g. a certificate file that doesn't exist. */
  error: ApiErrorShape | null;
}

export interface KubeSources {
  files: KubeconfigFileInfo[];
  contexts: KubeContextInfo[];
  currentContext: string | null;
}

export interface MeshDetection {
  istio: boolean;
  gatewayApi: boolean;
  smi: boolean;
  linkerd: boolean;
  /** CRD group names found, for the "what did you find" view. */
  groups: string[];
}

export interface KubeConnection {
  contextId: string;
  contextName: string;
  status: 'connecting' | 'connected' | 'error';
  serverVersion: string | null;
  namespaces: string[];
  detected: MeshDetection | null;
  error: ApiErrorShape | null;
  connectedAt: string | null;
}

export const kubeContract = {
  'kube.sources': request(z.object({}).strict(), 'Kubeconfig files and their contexts, read as kubectl does.').returns<KubeSources>(),
  'kube.addFile': request(
    z.object({ path: z.string().min(1).max(4096) }).strict(),
    'Add a kubeconfig file the user picked; it is remembered in settings.',
  ).returns<KubeSources>(),
  'kube.removeFile': request(z.object({ path: z.string().min(1).max(4096) }).strict(), 'Forget a user-added kubeconfig file.').returns<KubeSources>(),
  'kube.connect': request(z.object({ contextId: contextIdSchema }).strict(), 'Connect to one context: version, namespaces, mesh CRDs.').returns<KubeConnection>(),
  'kube.disconnect': request(z.object({ contextId: contextIdSchema }).strict(), 'Drop a connection and its clients.').returns<{ contextId: string }>(),
  'kube.connections': request(z.object({}).strict(), 'Every connection and its state.').returns<KubeConnection[]>(),
  'kube.sourcesChanged': subscription(z.object({}).strict(), 'Pushes the sources again whenever a kubeconfig file changes.').emits<KubeSources>(),
} as const;
