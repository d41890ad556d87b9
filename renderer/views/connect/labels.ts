import type { AuthKind, KubeconfigOrigin } from '../../../shared/contract/kube';
import type { ApiErrorShape } from '../../../shared/errors';

export const ORIGIN_LABEL: Record<KubeconfigOrigin, { text: string; title: string }> = {
  env: { text: 'KUBECONFIG', title: 'Listed in the KUBECONFIG environment variable' },
  default: { text: 'default', title: "kubectl's default file, used when KUBECONFIG is not set" },
  flag: { text: 'command line', title: 'Named on the command line; it replaces KUBECONFIG' },
  user: { text: 'added', title: 'Added here; meshdeck remembers it' },
  sandbox: { text: 'sandbox', title: 'The demo cluster started by npm run demo' },
};

export const AUTH_LABEL: Record<AuthKind, { text: string; title: string }> = {
  token: { text: 'token', title: 'Bearer token in the kubeconfig' },
  'token-file': { text: 'token file', title: 'Bearer token read from a file (re-read every minute)' },
  'client-cert': { text: 'client cert', title: 'TLS client certificate' },
  exec: { text: 'exec plugin', title: 'A credential plugin (aws, gke-gcloud-auth-plugin, kubelogin…) is run to get a token' },
  oidc: { text: 'OIDC', title: 'auth-provider oidc: the id-token in the kubeconfig (refreshed with its refresh-token)' },
  basic: { text: 'basic', title: 'User name and password' },
  none: { text: 'no auth', title: 'No credentials: requests are anonymous' },
  unknown: { text: 'other', title: 'An auth-provider meshdeck does not know by name' },
};

/**
 * What to do about a failed connection. Each failure kind gets its own advice, because
 * "unreachable", "TLS", "401" and "403" have different fixes.
 */
export function connectionHint(e: ApiErrorShape, server: string | null): string {
  const d = e.details ?? {};
  switch (e.code) {
    case 'UNREACHABLE':
      return `Nothing answered at ${server ?? 'the server address'}. Check the address, your VPN or bastion, and that the cluster is running.`;
    case 'TLS':
      return 'The TLS handshake failed: the certificate-authority in the kubeconfig does not match the server (was the cluster rebuilt?), or the certificate names another host (set tls-server-name).';
    case 'UNAUTHORIZED':
      return 'The server rejected the credentials. Tokens and certificates expire: log in again with the tool that wrote this kubeconfig (aws sso login, gcloud auth login, kubelogin, az login…), or refresh the token.';
    case 'FORBIDDEN':
      return `You are signed in, but RBAC does not allow ${typeof d.verb === 'string' && typeof d.resource === 'string' ? `${d.verb} on ${d.resource}` : 'this'}. Ask a cluster admin for a Role or ClusterRole binding.`;
    case 'TIMEOUT':
      return 'No answer in time. The server may be overloaded, or a firewall drops packets without refusing them.';
    case 'INVALID_CONFIG':
      return 'Fix the kubeconfig entry named above; meshdeck re-reads the file as soon as it changes.';
    case 'NOT_FOUND':
      return 'The context is no longer in its kubeconfig file.';
    default:
      return '';
  }
}

export const ERROR_TITLE: Partial<Record<ApiErrorShape['code'], string>> = {
  UNREACHABLE: 'Server unreachable',
  TLS: 'TLS / certificate problem',
  UNAUTHORIZED: 'Credentials rejected (401)',
  FORBIDDEN: 'Not allowed by RBAC (403)',
  TIMEOUT: 'Timed out',
  INVALID_CONFIG: 'Kubeconfig problem',
  CANCELLED: 'Cancelled',
};
