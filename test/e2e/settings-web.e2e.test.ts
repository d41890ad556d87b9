/**
 * Settings in web mode, in Chromium against the real core and server: a corrupt settings file is
 * reported in the UI, the theme persists through the settings service, shortcuts work, and a
 * secret typed in the UI lands only in the 0600 secrets file.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot } from '../helpers/browser';
import { startWebApp } from '../helpers/webapp';
import type { WebAppHandle } from '../helpers/webapp';

let web: WebAppHandle;
let browser: Browser;
let page: Page;
let dataDir: string;
const SECRET = 'e2e-secret-token-5d2f91';

beforeAll(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'meshdeck-settings-e2e-'));
  // A settings file cut off mid-write: must be set aside, not crash the app.
  await fsp.writeFile(path.join(dataDir, 'settings.json'), '{"schemaVersion": 2, "preferences": {"theme": "li');
  web = await startWebApp({ dataDir, env: { HOME: dataDir, KUBECONFIG: path.join(dataDir, 'none') } });
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(web.loginUrl);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await fsp.rm(dataDir, { recursive: true, force: true });
});

const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
const savedTheme = async () => (JSON.parse(await fsp.readFile(path.join(dataDir, 'settings.json'), 'utf8')) as { preferences: { theme: string } }).preferences.theme;

describe('settings in the browser (web mode)', () => {
  it('tells the user the settings file was corrupt and where the backup is', async () => {
    const notice = page.getByTestId('notice').first();
    await notice.waitFor({ timeout: 15_000 });
    const text = await notice.innerText();
    expect(text).toMatch(/settings file is damaged/);
    const backup = fs.readdirSync(dataDir).find((n) => n.startsWith('settings.json.bad-'));
    expect(backup).toBeDefined();
    expect(text).toContain(backup);
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await page.reload();
    await page.getByText('meshdeck', { exact: false }).first().waitFor();
    await page.waitForTimeout(500);
    expect(await page.getByTestId('notice').count()).toBe(0); // shown once
  });

  it('the theme chosen in Settings is saved by the settings service and survives a fresh browser', async () => {
    await page.goto(`${web.url}/#/settings`);
    await page.getByTestId('settings-view').waitFor();
    await page.getByRole('radio', { name: 'Light' }).check();
    await expect.poll(theme).toBe('light');
    await expect.poll(savedTheme).toBe('light');
    await screenshot(page, 'settings-web-light');
    // A new browser context has no localStorage: the theme comes from the settings service.
    const fresh = await browser.newPage();
    try {
      await fresh.goto(web.loginUrl);
      await expect.poll(() => fresh.evaluate(() => document.documentElement.dataset.theme), { timeout: 10_000 }).toBe('light');
    } finally {
      await fresh.close();
    }
  });

  it('Ctrl+Shift+L toggles the theme (and saves it); Ctrl+K goes to clusters', async () => {
    await page.goto(`${web.url}/#/settings`);
    await page.getByTestId('settings-view').waitFor();
    const before = await theme();
    await page.keyboard.press('Control+Shift+L');
    await expect.poll(theme).toBe(before === 'light' ? 'dark' : 'light');
    await expect.poll(savedTheme).toBe(before === 'light' ? 'dark' : 'light');
    await page.keyboard.press('Control+K');
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#/connect');
  });

  it('a secret set in the UI shows as "set" and is stored only in the 0600 secrets file', async () => {
    // A connection that needs a token (what the metrics screen would save).
    const r = await web.app.router.invoke('settings.setSecret', { key: 'prometheus:ctx-e2e:token', value: 'placeholder' }, { signal: new AbortController().signal, transport: 'web' });
    expect(r.ok).toBe(true);
    await page.goto(`${web.url}/#/settings`);
    const row = page.locator('tr', { hasText: 'prometheus:ctx-e2e:token' });
    await row.getByRole('button', { name: 'Replace' }).click();
    await row.getByLabel('Value for prometheus:ctx-e2e:token').fill(SECRET);
    await row.getByRole('button', { name: 'Save' }).click();
    // Saved: the form closes, the value is gone from the page, the key still reads "set".
    await row.getByLabel('Value for prometheus:ctx-e2e:token').waitFor({ state: 'detached' });
    await row.getByText('set', { exact: true }).waitFor();
    expect(await page.content()).not.toContain(SECRET);
    const hits: string[] = [];
    for (const e of await fsp.readdir(dataDir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const f = path.join(e.parentPath, e.name);
      if ((await fsp.readFile(f, 'utf8')).includes(SECRET)) hits.push(path.relative(dataDir, f));
    }
    expect(hits).toEqual([path.join('secrets', 'secrets.json')]);
    expect(fs.statSync(path.join(dataDir, 'secrets', 'secrets.json')).mode & 0o777).toBe(0o600);
    await screenshot(page, 'settings-web-secrets');
  });
});
