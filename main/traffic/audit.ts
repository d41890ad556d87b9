/**
 * The audit log: one JSON line per change (or attempt) in `<dataDir>/audit.log` — context and
 * user, what was asked, the diff, time and result — kept locally and exportable. The specs
 * before/after each write are kept too, so an entry can be undone.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { AuditEntry } from '../../shared/traffic/model';

export const AUDIT_FILE = 'audit.log';

export class AuditLog {
  readonly file: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, AUDIT_FILE);
  }

  /** Appends one entry; appends are serialised so lines never interleave. */
  append(entry: AuditEntry): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    const next = this.chain.then(async () => {
      await fsp.mkdir(path.dirname(this.file), { recursive: true });
      await fsp.appendFile(this.file, line, { encoding: 'utf8', mode: 0o600 });
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Every entry, oldest first. Lines that can't be parsed (a torn write) are skipped. */
  async all(): Promise<AuditEntry[]> {
    await this.chain;
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as AuditEntry;
        if (typeof e.id === 'string' && typeof e.time === 'string') out.push(e);
      } catch {
        // a partial line from a crash mid-write: skip it
      }
    }
    return out;
  }

  async get(id: string): Promise<AuditEntry | null> {
    return (await this.all()).find((e) => e.id === id) ?? null;
  }

  /** The newest entries first, optionally for one context. */
  async list(opts: { limit?: number; contextId?: string } = {}): Promise<AuditEntry[]> {
    const all = await this.all();
    const picked = opts.contextId ? all.filter((e) => e.contextId === opts.contextId) : all;
    return picked.reverse().slice(0, opts.limit ?? 200);
  }

  async export(format: 'jsonl' | 'csv'): Promise<{ filename: string; mime: string; content: string }> {
    const all = await this.all();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    if (format === 'jsonl') {
      return { filename: `meshdeck-audit-${stamp}.jsonl`, mime: 'application/x-ndjson', content: all.map((e) => JSON.stringify(e)).join('\n') + (all.length ? '\n' : '') };
    }
    const cols = ['time', 'contextName', 'user', 'summary', 'objects', 'outcome', 'message', 'undoOf', 'diff'] as const;
    const cell = (v: unknown) => `"${String(v ?? '').replace(/"/g, '""')}"`;
    const rows = all.map((e) => cols.map((c) => cell(c === 'objects' ? e.objects.join(' ') : e[c])).join(','));
    return { filename: `meshdeck-audit-${stamp}.csv`, mime: 'text/csv', content: [cols.join(','), ...rows].join('\n') + '\n' };
  }
}
