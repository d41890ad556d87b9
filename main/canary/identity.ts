/**
 * Who this meshdeck is, for leases: a random id kept in the data dir (so a restarted app recognises
 * its own lease and resumes at once) and user@host, which colleagues see as "driven by …".
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Identity } from './controller';

const FILE = 'canary-instance.json';

export async function loadIdentity(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Identity> {
  const file = path.join(dataDir, FILE);
  let id: string | null = null;
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as { id?: unknown };
    if (typeof raw.id === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(raw.id)) id = raw.id;
  } catch {
    // first start, or an unreadable file: make a new id
  }
  if (!id) {
    id = randomUUID();
    await mkdir(dataDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ id }), 'utf8');
    await rename(tmp, file);
  }
  let user = env.USER ?? env.USERNAME ?? '';
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = 'someone';
    }
  }
  return { id, name: `${user}@${os.hostname()}` };
}
