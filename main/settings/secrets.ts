import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../../shared/errors';
import type { SecretBackend } from '../../shared/contract/settings';
import { serial, writeFileAtomic } from './atomic';

/**
 * Where tokens and passwords live. Main-only: `get` is for the services that connect (metrics,
 * event store); no channel ever returns a value. Keys look like `prometheus:<contextId>:token`.
 */
export interface SecretStore {
  readonly backend: SecretBackend;
  /** Whether secrets can be stored safely here; when not, `problem` says why and `set` throws. */
  status(): Promise<{ usable: boolean; problem: string | null }>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  has(key: string): Promise<boolean>;
  keys(): Promise<string[]>;
}

/**
 * What Electron's safeStorage offers, reduced to what we need. main/electron adapts the real one
 * (only that folder may import electron); tests pass their own.
 */
export interface StringCipher {
  /** null when encryption is usable; else why not (e.g. no OS keyring on Linux). */
  unavailableReason(): string | null;
  encrypt(plain: string): Buffer;
  decrypt(cipher: Buffer): string;
}

interface SecretsFile {
  version: 1;
  /** Values: plain text (FileSecrets) or base64 ciphertext (EncryptedFileSecrets). */
  entries: Record<string, string>;
}

const GROUP_OTHER = 0o077;

/** Shared file handling: one JSON object, 0600, in a 0700 directory, written atomically. */
abstract class JsonSecretsFile {
  protected readonly run = serial();
  constructor(protected readonly file: string) {}

  /** Checks the file and its directory are private to this user; returns why not, or null. */
  protected async permissionProblem(): Promise<string | null> {
    if (process.platform === 'win32') return null; // NTFS ACLs: the per-user profile directory protects it
    for (const [p, what] of [[path.dirname(this.file), 'directory'], [this.file, 'file']] as const) {
      let st: fs.Stats;
      try {
        st = await fsp.stat(p);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      if ((st.mode & GROUP_OTHER) !== 0) {
        const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
        const want = what === 'file' ? '600' : '700';
        return `The secrets ${what} ${p} can be read by other users (mode ${mode}); meshdeck will not use it until you run: chmod ${want} '${p}'`;
      }
      if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
        return `The secrets ${what} ${p} belongs to another user (uid ${st.uid}); meshdeck will not use it.`;
      }
    }
    return null;
  }

  protected async readEntries(): Promise<Record<string, string>> {
    const problem = await this.permissionProblem();
    if (problem) throw new ApiError('INVALID_CONFIG', problem, { details: { file: this.file } });
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new ApiError('INVALID_CONFIG', `Cannot read the secrets file ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new ApiError('INVALID_CONFIG', `The secrets file ${this.file} is damaged (not JSON). Move it away to start again; the secrets in it are lost.`);
    }
    const entries = (doc as Partial<SecretsFile>)?.entries;
    if (typeof entries !== 'object' || entries === null) {
      throw new ApiError('INVALID_CONFIG', `The secrets file ${this.file} is damaged (no "entries").`);
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(entries)) if (typeof v === 'string') out[k] = v;
    return out;
  }

  protected writeEntries(entries: Record<string, string>): Promise<void> {
    const doc: SecretsFile = { version: 1, entries };
    return writeFileAtomic(this.file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 });
  }

  protected async ensureDir(): Promise<void> {
    const dir = path.dirname(this.file);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  }

  async keys(): Promise<string[]> {
    return this.run(async () => Object.keys(await this.readEntries()).sort());
  }

  async has(key: string): Promise<boolean> {
    return this.run(async () => Object.hasOwn(await this.readEntries(), key));
  }

  async delete(key: string): Promise<void> {
    await this.run(async () => {
      const entries = await this.readEntries();
      if (!Object.hasOwn(entries, key)) return;
      delete entries[key];
      await this.writeEntries(entries);
    });
  }
}

/**
 * Web mode: secrets in a file only this user can read (0600, directory 0700). The values are in
 * plain text inside it, like ~/.kube/config or ~/.pgpass: file permissions are the protection, so a
 * file that others can read is refused with the chmod that fixes it.
 */
export class FileSecrets extends JsonSecretsFile implements SecretStore {
  readonly backend = 'file' as const;

  async status(): Promise<{ usable: boolean; problem: string | null }> {
    const problem = await this.permissionProblem();
    return { usable: problem === null, problem };
  }

  async get(key: string): Promise<string | null> {
    return this.run(async () => (await this.readEntries())[key] ?? null);
  }

  async set(key: string, value: string): Promise<void> {
    await this.run(async () => {
      await this.ensureDir();
      const entries = await this.readEntries();
      entries[key] = value;
      await this.writeEntries(entries);
    });
  }
}

/**
 * Desktop: each value encrypted with the OS keyring through Electron safeStorage (Keychain,
 * DPAPI, libsecret/kwallet), stored base64 in a 0600 file. Without a real keyring (Linux
 * `basic_text`), nothing is stored: the cipher reports why and `set` refuses.
 */
export class EncryptedFileSecrets extends JsonSecretsFile implements SecretStore {
  readonly backend = 'safeStorage' as const;

  constructor(file: string, private readonly cipher: StringCipher) {
    super(file);
  }

  async status(): Promise<{ usable: boolean; problem: string | null }> {
    const problem = this.cipher.unavailableReason() ?? (await this.permissionProblem());
    return { usable: problem === null, problem };
  }

  private requireCipher(): void {
    const why = this.cipher.unavailableReason();
    if (why) throw new ApiError('INVALID_CONFIG', why);
  }

  async get(key: string): Promise<string | null> {
    return this.run(async () => {
      const v = (await this.readEntries())[key];
      if (v === undefined) return null;
      this.requireCipher();
      try {
        return this.cipher.decrypt(Buffer.from(v, 'base64'));
      } catch (err) {
        throw new ApiError('INVALID_CONFIG', `The secret ${key} cannot be decrypted (was the OS keyring reset?). Set it again.`, { cause: err });
      }
    });
  }

  async set(key: string, value: string): Promise<void> {
    this.requireCipher();
    await this.run(async () => {
      await this.ensureDir();
      const entries = await this.readEntries();
      entries[key] = this.cipher.encrypt(value).toString('base64');
      await this.writeEntries(entries);
    });
  }
}

/** Tests and throwaway runs: nothing touches the disk. */
export class MemorySecrets implements SecretStore {
  readonly backend = 'memory' as const;
  private readonly map = new Map<string, string>();
  async status() { return { usable: true, problem: null }; }
  async get(key: string) { return this.map.get(key) ?? null; }
  async set(key: string, value: string) { this.map.set(key, value); }
  async delete(key: string) { this.map.delete(key); }
  async has(key: string) { return this.map.has(key); }
  async keys() { return [...this.map.keys()].sort(); }
}

/** Where each backend keeps its file, under the data directory. */
export const secretsPaths = (dataDir: string) => ({
  dir: path.join(dataDir, 'secrets'),
  file: path.join(dataDir, 'secrets', 'secrets.json'),
  encrypted: path.join(dataDir, 'secrets', 'secrets.enc.json'),
});
