import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSandboxEventStore } from '../../sandbox/eventstore';
import type { SandboxEventStore } from '../../sandbox/eventstore';
import { launchChromium, screenshot } from '../helpers/browser';
import { startWebApp } from '../helpers/webapp';
import type { WebAppHandle } from '../helpers/webapp';

/**
 * End to end in Chromium against web mode: open the demo store, page, filter, open an event and
 * its cause, watch the live tail (pause, resume). Needs the built UI (npm run build).
 * Screenshots: test-results/eventstore-*.png
 */
let store: SandboxEventStore;
let app: WebAppHandle;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  store = await startSandboxEventStore({ ratePerSec: 0, seedEvents: 20_000, seedOperations: 150 });
  app = await startWebApp({ env: { HOME: '/nonexistent', KUBECONFIG: '/nonexistent/kubeconfig', MESHDECK_EVENTSTORE_URL: store.url } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${app.loginUrl}#/events`);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await store?.stop();
});

const rows = () => page.locator('[data-testid="event-list"] .ev-row');

describe('events view', () => {
  it('opens the demo store: schema, categories, positions, newest events', async () => {
    await page.locator('[data-testid="schema-chip"]').waitFor();
    expect(await page.locator('[data-testid="schema-chip"]').textContent()).toMatch(/Classic/);
    await rows().first().waitFor();
    await expect.poll(async () => page.locator('[data-testid="categories"]').textContent()).toMatch(/Order[\s\S]*Inventory|Inventory[\s\S]*Order/);
    await expect.poll(async () => page.locator('[data-testid="positions"]').textContent()).toMatch(/safe\s*\d+/);
    expect(await page.content()).not.toContain(store.server!.password);
    await screenshot(page, 'eventstore-1-log');
  });

  it('pages older events by scrolling and jumps to a position', async () => {
    const firstBefore = Number(await rows().first().getAttribute('data-position'));
    const list = page.locator('[data-testid="event-list"]');
    for (let i = 0; i < 4; i++) {
      await list.evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
      await page.waitForTimeout(250);
    }
    await expect.poll(async () => Number(await rows().first().getAttribute('data-position'))).toBeLessThan(firstBefore);
    await page.getByLabel('Jump to').fill('1234');
    await page.getByRole('button', { name: 'Jump', exact: true }).click();
    const target = page.locator('.ev-row[data-position="1234"]');
    await target.waitFor();
    await expect.poll(async () => target.evaluate((el) => {
      const list = el.closest('[data-testid="event-list"]')!.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return r.top >= list.top && r.bottom <= list.bottom;
    })).toBe(true);
  });

  it('filters by event type and by payload containment', async () => {
    await page.getByLabel('Event types').fill('OrderRefunded');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => (await page.locator('.ev-row .ev-type').allTextContents()).every((t) => t === 'OrderRefunded') && (await rows().count()) > 0).toBe(true);
    await page.getByRole('button', { name: /More filters/ }).click();
    await page.getByLabel('Payload contains').fill('{"customerId":"cust-17"}');
    await page.getByRole('button', { name: 'Apply' }).click();
    await rows().first().waitFor();
    await screenshot(page, 'eventstore-2-filtered');
    await page.getByRole('button', { name: /Clear/ }).click();
    await page.getByRole('button', { name: /Fewer filters/ }).click();
  });

  it('opens an event with pretty JSON, metadata and a link to its cause', async () => {
    await page.getByRole('button', { name: 'Newest' }).click();
    await rows().last().waitFor();
    const paid = page.locator('.ev-row', { hasText: 'OrderPaid' }).last();
    await paid.click();
    const detail = page.locator('[data-testid="event-detail"]');
    await detail.locator('[data-testid="payload-json"]').waitFor();
    expect(await detail.locator('[data-testid="payload-json"]').textContent()).toMatch(/"orderId": "/);
    expect(await detail.locator('[data-testid="metadata-json"]').textContent()).toMatch(/correlation_id/);
    await screenshot(page, 'eventstore-3-detail');
    await detail.locator('[data-testid="caused-by"]').click();
    await expect.poll(async () => detail.locator('.chip.accent').first().textContent()).toMatch(/OrderCreated|PaymentCharged/);
  });

  it('follows the live tail, pauses and resumes', async () => {
    await page.getByRole('button', { name: 'Newest' }).click();
    await rows().last().waitFor();
    await page.locator('[data-testid="live"]').click();
    await expect.poll(async () => page.locator('[data-testid="tail-status"]').textContent(), { timeout: 10_000 }).toMatch(/listening/);
    const before = Number(await rows().last().getAttribute('data-position'));
    store.writer.setRate(40);
    await expect.poll(async () => Number(await rows().last().getAttribute('data-position')), { timeout: 10_000 }).toBeGreaterThan(before);
    await page.locator('[data-testid="pause"]').click();
    await page.waitForTimeout(300);
    const paused = Number(await rows().last().getAttribute('data-position'));
    await page.waitForTimeout(1200);
    expect(Number(await rows().last().getAttribute('data-position'))).toBe(paused);
    await page.locator('[data-testid="resume"]').click();
    await expect.poll(async () => Number(await rows().last().getAttribute('data-position')), { timeout: 10_000 }).toBeGreaterThan(paused);
    store.writer.setRate(0);
    await page.waitForTimeout(800);
    // No duplicate and no hole: the rows on screen are exactly the store's positions in that range.
    const shown = (await page.locator('[data-testid="event-list"] .ev-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-position'))));
    expect(new Set(shown).size).toBe(shown.length);
    await screenshot(page, 'eventstore-4-live');
    await page.getByRole('button', { name: 'Toggle theme' }).click();
    await page.waitForTimeout(200);
    await screenshot(page, 'eventstore-5-light');
    await page.getByRole('button', { name: 'Toggle theme' }).click();
  });
});
