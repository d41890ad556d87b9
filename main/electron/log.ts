import fs from 'node:fs';
import path from 'node:path';

/**
 * A small size-based rotating log: `main.log`, then `main.1.log` … `main.<keep>.log`, oldest
 * dropped. Written synchronously: log lines are few (lifecycle, errors, rejected links), and a
 * line written just before a crash is the one that matters. No library: electron-log would be
 * the usual pick, but 80 lines do what we need without another dependency in the package.
 *
 * Lines are one per event, control characters escaped, so a hostile deep link cannot forge
 * entries. Never log secrets: callers pass messages, not settings objects.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RotatingLogOptions {
  dir: string;
  name?: string;
  /** Rotate when the current file would grow past this. */
  maxBytes?: number;
  /** Rotated files kept besides the current one. */
  keep?: number;
  /** Also echo to stderr (development). */
  echo?: boolean;
  now?: () => Date;
}

export interface Logger {
  readonly file: string;
  log(level: LogLevel, message: string, fields?: Record<string, string | number | boolean | null | undefined>): void;
  debug(message: string, fields?: Record<string, string | number | boolean | null | undefined>): void;
  info(message: string, fields?: Record<string, string | number | boolean | null | undefined>): void;
  warn(message: string, fields?: Record<string, string | number | boolean | null | undefined>): void;
  error(message: string, fields?: Record<string, string | number | boolean | null | undefined>): void;
  close(): void;
}

const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g;
const clean = (s: string) => s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

export function createRotatingLog(opts: RotatingLogOptions): Logger {
  const name = opts.name ?? 'main';
  const maxBytes = Math.max(1024, opts.maxBytes ?? 2 * 1024 * 1024);
  const keep = Math.max(0, opts.keep ?? 4);
  const now = opts.now ?? (() => new Date());
  const file = path.join(opts.dir, `${name}.log`);
  const rotated = (n: number) => path.join(opts.dir, `${name}.${n}.log`);
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });

  let fd: number | null = null;
  let size = 0;
  const open = () => {
    fd = fs.openSync(file, 'a', 0o600);
    size = fs.fstatSync(fd).size;
  };
  const rotate = () => {
    if (fd !== null) fs.closeSync(fd);
    fd = null;
    if (keep === 0) {
      fs.rmSync(file, { force: true });
    } else {
      fs.rmSync(rotated(keep), { force: true });
      for (let n = keep - 1; n >= 1; n--) {
        if (fs.existsSync(rotated(n))) fs.renameSync(rotated(n), rotated(n + 1));
      }
      if (fs.existsSync(file)) fs.renameSync(file, rotated(1));
    }
    open();
  };

  const write = (level: LogLevel, message: string, fields?: Record<string, string | number | boolean | null | undefined>) => {
    let line = `${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${clean(message)}`;
    if (fields) {
      const parts = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${clean(k)}=${clean(JSON.stringify(v))}`);
      if (parts.length > 0) line += ` ${parts.join(' ')}`;
    }
    line += '\n';
    const bytes = Buffer.byteLength(line);
    try {
      if (fd === null) open();
      if (size > 0 && size + bytes > maxBytes) rotate();
      fs.writeSync(fd as unknown as number, line);
      size += bytes;
    } catch {
      // Logging must never take the app down (disk full, directory removed).
    }
    if (opts.echo) process.stderr.write(line);
  };

  return {
    file,
    log: write,
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    close() {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}

/** One line for an unknown thrown value: message and the top of the stack, never the whole object. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}${err.stack ? ` | ${err.stack.split('\n').slice(1, 4).map((s) => s.trim()).join(' | ')}` : ''}`;
  return String(err);
}
