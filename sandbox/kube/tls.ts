// A throwaway PKI per start: a self-signed CA and a server certificate for 127.0.0.1 and
// localhost, made with the openssl CLI (node:crypto makes keys but cannot sign X.509).
// ECDSA P-256 keeps generation in the tens of milliseconds. Go clients (kubectl) require
// the address in subjectAltName, which is why both IP and DNS SANs are set.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export async function makePki(hosts: string[] = ['127.0.0.1', 'localhost']): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'meshdeck-kube-pki-'));
  try {
    const p = (f: string) => join(dir, f);
    const sans = [...new Set(hosts)].map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`));
    if (!sans.includes('IP:127.0.0.1')) sans.push('IP:127.0.0.1');
    if (!sans.includes('DNS:localhost')) sans.push('DNS:localhost');
    await writeFile(
      p('server.ext'),
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=${sans.join(',')}`,
      ].join('\n'),
    );
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await run('openssl', [
      'req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '3650', '-subj', '/CN=meshdeck-sandbox-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ]);
    await run('openssl', ['req', '-new', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=kube-apiserver']);
    await run('openssl', [
      'x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
      '-out', p('server.crt'), '-days', '825', '-sha256', '-extfile', p('server.ext'),
    ]);
    const [caPem, certPem, keyPem] = await Promise.all([readFile(p('ca.crt'), 'utf8'), readFile(p('server.crt'), 'utf8'), readFile(p('server.key'), 'utf8')]);
    return { caPem, certPem, keyPem };
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`sandbox PKI: openssl failed: ${e.stderr ?? e.message}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
