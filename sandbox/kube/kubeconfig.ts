// The kubeconfig the sandbox hands out: one cluster, an admin and a read-only viewer.
// Written atomically with mode 0600 because it contains bearer tokens.
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import YAML from 'yaml';
import type { Tokens } from './auth.js';

export const CLUSTER_NAME = 'meshdeck-sandbox';
export const DEFAULT_NAMESPACE = 'shop';

export function kubeconfigText(server: string, caPem: string, tokens: Tokens): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name: CLUSTER_NAME, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [
      { name: 'sandbox-admin', user: { token: tokens.admin } },
      { name: 'sandbox-viewer', user: { token: tokens.viewer } },
    ],
    contexts: [
      { name: 'sandbox-admin', context: { cluster: CLUSTER_NAME, user: 'sandbox-admin', namespace: DEFAULT_NAMESPACE } },
      { name: 'sandbox-viewer', context: { cluster: CLUSTER_NAME, user: 'sandbox-viewer', namespace: DEFAULT_NAMESPACE } },
    ],
    'current-context': 'sandbox-admin',
  };
  return YAML.stringify(doc);
}

export async function writeKubeconfigFile(path: string, server: string, caPem: string, tokens: Tokens): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, kubeconfigText(server, caPem, tokens), { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
