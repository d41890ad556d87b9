import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMetricsService } from '../../main/metrics/service';
import { FileMetricsSettings, FileSecretStore } from '../../main/metrics/store';
import { metricsConfigSchema } from '../../shared/contract/metrics';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'metrics-store-'));
  dirs.push(d);
  return d;
}

describe('metrics settings and secrets', () => {
  it('keeps secrets out of the plain settings file and in a 0600 file', async () => {
    const dataDir = await tmp();
    const svc = await createMetricsService({ dataDir });
    const config = metricsConfigSchema.parse({ source: 'url', url: 'https://prom.example', auth: 'bearer', tenant: 'team-a', headers: { 'X-Extra': '1' } });
    const view = await svc.setConfig('ctx#one', config, { token: 's3cr3t-token' });
    expect(view.secretSet).toBe(true);
    expect(JSON.stringify(view)).not.toContain('s3cr3t-token');
    const settingsText = await readFile(join(dataDir, 'metrics', 'settings.json'), 'utf8');
    expect(settingsText).not.toContain('s3cr3t-token');
    expect(settingsText).toContain('team-a');
    const secretsFile = join(dataDir, 'metrics', 'secrets.json');
    expect(await readFile(secretsFile, 'utf8')).toContain('s3cr3t-token');
    expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);

    // A new service (a restart) reads both back.
    const again = await createMetricsService({ dataDir });
    const v2 = await again.getConfig('ctx#one');
    expect(v2).toMatchObject({ saved: true, secretSet: true, config: { url: 'https://prom.example', tenant: 'team-a' } });

    // Switching auth drops the old secret; reset forgets everything.
    await again.setConfig('ctx#one', { ...config, auth: 'none' });
    expect(await new FileSecretStore(secretsFile).get('prometheus:ctx#one:token')).toBeNull();
    const reset = await again.reset('ctx#one');
    expect(reset.saved).toBe(false);
    expect(reset.config.source).toBe('auto');
  });

  it('ignores a corrupt settings file instead of failing, and reports it', async () => {
    const dataDir = await tmp();
    const s = FileMetricsSettings.inDir(dataDir);
    await s.set('a', metricsConfigSchema.parse({}));
    await writeFile(s.file, '{"version":1,"clusters":{"a":{"source":"url"},"b":{"source":"auto"}}}');
    const fresh = FileMetricsSettings.inDir(dataDir);
    expect(await fresh.get('a')).toBeNull(); // url without a URL: invalid
    expect((await fresh.get('b'))?.source).toBe('auto');
    expect(fresh.problems.length).toBe(1);
  });

  it('a config needs what its source and auth need', () => {
    expect(metricsConfigSchema.safeParse({ source: 'url' }).success).toBe(false);
    expect(metricsConfigSchema.safeParse({ source: 'service' }).success).toBe(false);
    expect(metricsConfigSchema.safeParse({ source: 'url', url: 'http://x', auth: 'basic' }).success).toBe(false);
    expect(metricsConfigSchema.safeParse({ source: 'url', url: 'ftp://x' }).success).toBe(false);
    expect(metricsConfigSchema.safeParse({ headers: { 'Bad Header': 'x' } }).success).toBe(false);
    expect(metricsConfigSchema.safeParse({ headers: { 'X-Ok': 'a\r\nInjected: 1' } }).success).toBe(false);
    expect(metricsConfigSchema.safeParse({ tenant: 'a\nb' }).success).toBe(false);
  });
});
