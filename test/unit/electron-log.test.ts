/** The rotating log file (plain Node; no Electron involved). */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRotatingLog, describeError } from '../../main/electron/log';

let dir: string;
beforeEach(async () => { dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'meshdeck-log-')); });
afterEach(async () => { await fsp.rm(dir, { recursive: true, force: true }); });

describe('rotating log', () => {
  it('rotates by size and keeps N old files', () => {
    const log = createRotatingLog({ dir, maxBytes: 1024, keep: 2, now: () => new Date('2026-01-01T00:00:00Z') });
    for (let i = 0; i < 100; i++) log.info(`line ${i} ${'x'.repeat(50)}`);
    log.close();
    const names = fs.readdirSync(dir).sort();
    expect(names).toEqual(['main.1.log', 'main.2.log', 'main.log']);
    for (const n of names) expect(fs.statSync(path.join(dir, n)).size).toBeLessThanOrEqual(1024);
    // Newest in main.log, then .1, then .2; the oldest were dropped.
    const last = fs.readFileSync(path.join(dir, 'main.log'), 'utf8').trim().split('\n').at(-1);
    expect(last).toMatch(/line 99 /);
    const oldest = fs.readFileSync(path.join(dir, 'main.2.log'), 'utf8');
    expect(oldest).not.toMatch(/line 0 /);
    if (process.platform !== 'win32') expect(fs.statSync(path.join(dir, 'main.log')).mode & 0o777).toBe(0o600);
  });

  it('appends to an existing file across restarts, counting its size', () => {
    const a = createRotatingLog({ dir, maxBytes: 4096, keep: 1 });
    a.info('first run');
    a.close();
    const b = createRotatingLog({ dir, maxBytes: 4096, keep: 1 });
    b.warn('second run', { code: 7, ok: false, none: undefined });
    b.close();
    const text = fs.readFileSync(path.join(dir, 'main.log'), 'utf8');
    expect(text).toMatch(/INFO  first run\n.*WARN  second run code=7 ok=false\n$/);
  });

  it('one event is one line: control characters from hostile input are escaped', () => {
    const log = createRotatingLog({ dir });
    log.warn('deep link refused', { url: 'meshdeck://graph?x=1\n2026-01-01T00:00:00Z INFO forged' });
    log.close();
    const lines = fs.readFileSync(path.join(dir, 'main.log'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('\\n2026');
  });

  it('keeps going when the directory disappears', () => {
    const log = createRotatingLog({ dir, maxBytes: 1024 });
    log.info('a');
    fs.rmSync(dir, { recursive: true, force: true });
    expect(() => { for (let i = 0; i < 50; i++) log.info('x'.repeat(60)); }).not.toThrow();
    log.close();
  });

  it('describeError keeps the message and the top of the stack only', () => {
    expect(describeError(new TypeError('bad'))).toMatch(/^TypeError: bad \| at /);
    expect(describeError('plain')).toBe('plain');
  });
});
