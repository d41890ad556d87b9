import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Notice } from '../../shared/contract/settings';
import { serial, writeFileAtomic } from './atomic';
import { SCHEMA_VERSION, defaultSettings, parseSettingsDocument } from './schema';
import type { SettingsData } from './schema';

export interface LoadResult {
  data: SettingsData;
  /** What the user must be told about this load (a file set aside, a migration). */
  notices: Notice[];
  /** The file exists but cannot be read: changes stay in memory so it is not overwritten. */
  readOnly: boolean;
}

let noticeSeq = 0;
export function makeNotice(level: Notice['level'], message: string, file: string | null = null): Notice {
  return { id: `n${Date.now().toString(36)}${(++noticeSeq).toString(36)}`, level, message, file, at: new Date().toISOString() };
}

/** `settings.json.bad-2026-01-02T03-04-05-678Z`: sorts by time, no characters Windows rejects. */
export function backupName(file: string, now = new Date()): string {
  return `${file}.bad-${now.toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * The settings file: load (migrating old versions, setting aside what cannot be read) and save
 * (atomically, one write at a time). It holds no state; the service keeps the current value.
 */
export class SettingsStore {
  private readonly run = serial();
  constructor(readonly file: string) {}

  static inDir(dataDir: string): SettingsStore {
    return new SettingsStore(path.join(dataDir, 'settings.json'));
  }

  async load(): Promise<LoadResult> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { data: defaultSettings(), notices: [], readOnly: false };
      // Unreadable (permissions, a directory in its place): don't touch it, run on defaults, say so.
      return {
        data: defaultSettings(),
        notices: [makeNotice('error', `Your settings file ${this.file} cannot be read (${code ?? (err as Error).message}); meshdeck started with default settings and will not overwrite it; changes made now last until you quit.`, this.file)],
        readOnly: true,
      };
    }
    const parsed = parseSettingsDocument(text);
    if (parsed.ok) {
      const notices: Notice[] = [];
      if (parsed.migratedFrom !== null) {
        // Keep the old file: a downgrade, or a bad migration, can still get it back.
        const keep = `${this.file}.v${parsed.migratedFrom}`;
        await fsp.copyFile(this.file, keep).catch(() => undefined);
        await this.save(parsed.data);
        notices.push(makeNotice('info', `Your settings were upgraded from schema version ${parsed.migratedFrom} to ${SCHEMA_VERSION}; the old file is kept at ${keep}.`, keep));
      }
      return { data: parsed.data, notices, readOnly: false };
    }
    const backup = backupName(this.file);
    await fsp.rename(this.file, backup);
    const what = parsed.kind === 'future' ? 'is from a newer version of meshdeck' : 'is damaged';
    return {
      data: defaultSettings(),
      notices: [makeNotice('error', `Your settings file ${what}: ${parsed.reason}. It was kept aside as ${backup} and meshdeck started with default settings.`, backup)],
      readOnly: false,
    };
  }

  /** Writes the whole document; concurrent saves are applied in call order. */
  save(data: SettingsData): Promise<void> {
    const doc = { ...data, schemaVersion: SCHEMA_VERSION };
    return this.run(() => writeFileAtomic(this.file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600, dirMode: 0o700 }));
  }
}
