import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { KubeconfigOrigin } from '../../shared/contract/kube';

/** One kubeconfig path and why it is in the list. */
export interface KubeconfigSource {
  path: string;
  origin: KubeconfigOrigin;
}

/** The home directory as kubectl sees it: HOME (USERPROFILE on Windows) from the given env. */
export function homeDir(env: NodeJS.ProcessEnv): string {
  const h = env.HOME ?? (process.platform === 'win32' ? env.USERPROFILE : undefined);
  return h && h.length > 0 ? h : os.homedir();
}

/** `~/x` → `<home>/x`; anything else resolved against the working directory. */
export function expandPath(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~') return homeDir(env);
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(homeDir(env), p.slice(2));
  return path.resolve(p);
}

/**
 * The paths kubectl would read, in order, followed by the files added in the app:
 * `--kubeconfig` style paths if given, else KUBECONFIG split on path.delimiter (empty entries
 * dropped, duplicates kept once), else ~/.kube/config. A path listed twice keeps its first origin.
 */
export function discoverKubeconfigs(opts: {
  env: NodeJS.ProcessEnv;
  flagPaths?: string[] | undefined;
  sandboxPath?: string | undefined;
  userPaths?: string[] | undefined;
}): KubeconfigSource[] {
  const out: KubeconfigSource[] = [];
  const seen = new Set<string>();
  const add = (p: string, origin: KubeconfigOrigin) => {
    const abs = expandPath(p, opts.env);
    if (seen.has(abs)) return;
    seen.add(abs);
    out.push({ path: abs, origin });
  };
  if (opts.sandboxPath) add(opts.sandboxPath, 'sandbox');
  const flag = (opts.flagPaths ?? []).filter((p) => p.length > 0);
  const envList = (opts.env.KUBECONFIG ?? '').split(path.delimiter).filter((p) => p.length > 0);
  if (flag.length > 0) for (const p of flag) add(p, 'flag');
  else if (envList.length > 0) for (const p of envList) add(p, 'env');
  else add(path.join(homeDir(opts.env), '.kube', 'config'), 'default');
  for (const p of opts.userPaths ?? []) add(p, 'user');
  return out;
}

/**
 * Where the files the user added are remembered. Small on purpose: the settings service may take
 * this over later by implementing the same three calls.
 */
export interface UserKubeconfigStore {
  list(): Promise<string[]>;
  add(p: string): Promise<string[]>;
  remove(p: string): Promise<string[]>;
}

/** Write a file so readers never see half of it: temp file in the same directory, then rename. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fsp.writeFile(tmp, data, { mode: 0o600 });
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** `<dataDir>/kubeconfigs.json`: `{ "version": 1, "files": ["/abs/path", ...] }`. */
export function jsonUserKubeconfigStore(dataDir: string): UserKubeconfigStore {
  const file = path.join(dataDir, 'kubeconfigs.json');
  // Serialise writes so two quick adds don't lose one.
  let chain: Promise<unknown> = Promise.resolve();
  const read = async (): Promise<string[]> => {
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    try {
      const obj = JSON.parse(text) as { files?: unknown };
      return Array.isArray(obj.files) ? obj.files.filter((f): f is string => typeof f === 'string') : [];
    } catch {
      // A damaged list is not worth failing startup over: start again from empty.
      return [];
    }
  };
  const write = (files: string[]) => writeFileAtomic(file, `${JSON.stringify({ version: 1, files }, null, 2)}\n`);
  const update = (fn: (files: string[]) => string[]): Promise<string[]> => {
    const next = chain.then(async () => {
      const files = fn(await read());
      await write(files);
      return files;
    });
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    list: () => chain.then(read),
    add: (p) => update((files) => (files.includes(p) ? files : [...files, p])),
    remove: (p) => update((files) => files.filter((f) => f !== p)),
  };
}

/** What a file looks like now: its content hash, or absent. Cheap for kubeconfig-sized files. */
async function fingerprint(file: string): Promise<string> {
  try {
    const buf = await fsp.readFile(file);
    return createHash('sha256').update(buf).digest('hex');
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code ?? 'ERR'}`;
  }
}

export interface KubeconfigWatcher {
  /** Replace the set of watched files (after a file was added or removed). */
  setFiles(files: string[]): void;
  /** Compare now instead of waiting for the next event or poll. */
  check(): Promise<void>;
  close(): void;
}

/**
 * Calls `onChange` when any watched file is created, changed or removed. fs.watch on each
 * directory catches edits at once (editors and kubectl replace files by rename, so the directory
 * is watched, not the file); a poll every `pollMs` catches what fs.watch misses (network drives,
 * directories created later). Changes are confirmed by content hash, so touching a file is quiet.
 */
export function watchKubeconfigFiles(files: string[], onChange: () => void, opts: { pollMs?: number; debounceMs?: number } = {}): KubeconfigWatcher {
  const pollMs = opts.pollMs ?? 10_000;
  const debounceMs = opts.debounceMs ?? 150;
  let watched = [...files];
  let prints = new Map<string, string>();
  const dirWatchers = new Map<string, fs.FSWatcher>();
  let closed = false;
  let debounce: NodeJS.Timeout | null = null;
  let checking: Promise<void> | null = null;
  let again = false;
  let initial: Promise<void> = Promise.resolve();

  const compare = async (): Promise<void> => {
    await initial;
    const next = new Map<string, string>();
    for (const f of watched) next.set(f, await fingerprint(f));
    if (closed) return;
    let changed = next.size !== prints.size;
    for (const [f, p] of next) if (prints.get(f) !== p) changed = true;
    prints = next;
    if (changed) onChange();
  };

  const check = async (): Promise<void> => {
    if (checking) {
      again = true;
      return checking;
    }
    checking = (async () => {
      do {
        again = false;
        await compare();
      } while (again && !closed);
    })().finally(() => {
      checking = null;
    });
    return checking;
  };

  const schedule = () => {
    if (closed) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      void check();
    }, debounceMs);
  };

  const syncDirWatchers = () => {
    const dirs = new Set(watched.map((f) => path.dirname(f)));
    for (const [dir, w] of dirWatchers) {
      if (!dirs.has(dir)) {
        w.close();
        dirWatchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (dirWatchers.has(dir)) continue;
      try {
        const names = () => new Set(watched.filter((f) => path.dirname(f) === dir).map((f) => path.basename(f)));
        const w = fs.watch(dir, { persistent: false }, (_event, filename) => {
          if (filename === null || names().has(filename.toString())) schedule();
        });
        w.on('error', () => {
          // The directory went away: drop the watcher; the poll notices and re-attaches later.
          w.close();
          dirWatchers.delete(dir);
          schedule();
        });
        dirWatchers.set(dir, w);
      } catch {
        // Directory doesn't exist (yet): the poll covers it.
      }
    }
  };

  const poll = setInterval(() => {
    syncDirWatchers();
    void check();
  }, pollMs);
  poll.unref();

  syncDirWatchers();
  // Take the first fingerprints without firing: the caller has just read these files.
  initial = (async () => {
    for (const f of watched) prints.set(f, await fingerprint(f));
  })();

  return {
    setFiles(next) {
      watched = [...next];
      syncDirWatchers();
      schedule();
    },
    check,
    close() {
      closed = true;
      clearInterval(poll);
      if (debounce) clearTimeout(debounce);
      for (const w of dirWatchers.values()) w.close();
      dirWatchers.clear();
    },
  };
}
