import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';

/**
 * Write a file so that a crash or power cut leaves either the old or the new content, never half:
 * temp file in the same directory (same file system, so rename is atomic), fsync, rename, then
 * fsync the directory so the rename itself is durable. `mode` applies to the new file from its
 * first byte (the temp file is created with it), so a secret is never briefly world-readable.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: { mode?: number; dirMode?: number } = {}): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true, mode: opts.dirMode ?? 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = opts.mode ?? 0o600;
  let handle: fsp.FileHandle | null = null;
  try {
    handle = await fsp.open(tmp, 'wx', mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = null;
    // umask may have narrowed the mode; never widened, but set it exactly.
    if (process.platform !== 'win32') await fsp.chmod(tmp, mode);
    await fsp.rename(tmp, file);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/** Best effort: Windows cannot open a directory for fsync, and some file systems refuse it. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let h: fsp.FileHandle | null = null;
  try {
    h = await fsp.open(dir, 'r');
    await h.sync();
  } catch {
    // not fatal: the data itself is synced
  } finally {
    await h?.close().catch(() => undefined);
  }
}

/** Serialises async work: each call runs after the previous one settled, so writes never interleave. */
export function serial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  };
}
