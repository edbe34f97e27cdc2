/// <reference lib="dom" />
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { inArray, sum } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { COOKIES, isDeclaredCookie } from '../../src/privacy/cookies.ts';
import type { RunningShop } from '../../src/server.ts';
import { pageViews } from '../../src/shop/analytics/schema.ts';
import { products } from '../../src/shop/catalog/schema.ts';
import { startBrowserShop, type BrowserShop } from '../support/browser.ts';
import { eventually } from '../support/shop.ts';

// Seed 000 §6 in a real browser: a fresh profile gets nothing but essential cookies until it chooses, and each
// answer (or a GPC signal) is what the shop then does.

describe('cookie consent in a browser', () => {
  let shop: RunningShop;
  let browser: Browser;
  let running: BrowserShop;

  before(async () => {
    running = await startBrowserShop({ seed: true });
    ({ shop, browser } = running);
  });
  after(() => running?.stop());

  const PAGES = ['/', '/products/gentle-oat-cleanser', '/categories/skincare', '/search?q=cream', '/cart', '/privacy/cookies'];

  async function viewCount(): Promise<number> {
    const [row] = await shop.runtime.database.db.select({ n: sum(pageViews.views) }).from(pageViews);
    return Number(row!.n ?? 0);
  }

  async function browse(page: Page) {
    for (const path of PAGES) assert.equal((await page.goto(`${shop.url}${path}`))?.status(), 200, path);
  }

  /** Every cookie in the profile is declared, and none is outside the essential category; nothing is in storage. */
  async function onlyEssential(context: BrowserContext, page: Page) {
    const cookies = await context.cookies();
    assert.deepEqual(cookies.filter((c) => !isDeclaredCookie(c.name) || COOKIES[c.name].category !== 'essential').map((c) => c.name), []);
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);
  }

  const banner = (page: Page) => page.getByRole('region', { name: 'Cookies' });

  test('a fresh profile browsing the shop gets no non-essential cookie or storage and no script; Reject all keeps it so', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const scripts: string[] = [];
    page.on('request', (r) => r.resourceType() === 'script' && scripts.push(r.url()));
    const before = await viewCount();
    await browse(page);
    await onlyEssential(context, page);
    assert.deepEqual(scripts, [], 'no script is loaded');

    await page.goto(`${shop.url}/products/gentle-oat-cleanser`);
    await banner(page).getByRole('button', { name: 'Reject all' }).click();
    await banner(page).waitFor({ state: 'detached' });
    assert.match(page.url(), /\/products\/gentle-oat-cleanser$/, 'back on the page the visitor was reading');
    await browse(page);
    await onlyEssential(context, page);
    assert.ok((await context.cookies()).some((c) => c.name === 'pledge_consent'));
    assert.equal(await viewCount(), before, 'nothing was counted');
    await context.close();
  });

  test('Accept all: views are counted; the receipt downloads; choosing again from the footer link stops the counting', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(shop.url);
    await banner(page).getByRole('button', { name: 'Accept all' }).click();
    await banner(page).waitFor({ state: 'detached' });
    const before = await viewCount();
    await page.goto(`${shop.url}/products/gentle-oat-cleanser`);
    await eventually(async () => (await viewCount()) > before, 10_000, 'a recorded view');

    await page.getByRole('link', { name: 'Cookie settings' }).click();
    await page.waitForURL(/\/privacy\/cookies$/);
    assert.ok(await page.getByRole('checkbox', { name: /Performance/ }).isChecked());
    await page.getByRole('checkbox', { name: /Performance/ }).uncheck();
    await page.getByRole('button', { name: 'Save my choices' }).click();
    await page.waitForURL(/\/privacy\/cookies\?saved=1$/);
    assert.equal(await page.getByRole('checkbox', { name: /Performance/ }).isChecked(), false);
    assert.ok(await page.getByRole('checkbox', { name: /Shopping experience/ }).isChecked());

    // Pages this visitor sees only after withdrawing: none of them is counted.
    await browse(page);
    const counted = await shop.runtime.database.db.select({ path: pageViews.path }).from(pageViews).where(inArray(pageViews.path, ['/categories/:slug', '/search']));
    assert.deepEqual(counted, [], 'no view counted once performance was withdrawn');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'as JSON' }).click()]);
    assert.equal(download.suggestedFilename(), 'consent-receipt.json');
    const receipt = JSON.parse(fs.readFileSync((await download.path())!, 'utf8')) as { records: { method: string; granted: string[] }[] };
    assert.deepEqual(receipt.records.map((r) => [r.method, r.granted]), [
      ['settings', ['essential', 'experience', 'preferences']],
      ['banner', ['essential', 'performance', 'experience', 'preferences']],
    ]);
    await page.getByRole('link', { name: 'your consent receipt' }).click();
    assert.equal(await page.getByRole('row').count(), 3, 'heading row and two choices');
    await context.close();
  });

  test('a browser sending Sec-GPC is treated as refusing: no banner, nothing counted, the refusal on its receipt', async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { 'Sec-GPC': '1' } });
    const page = await context.newPage();
    const before = await viewCount();
    await browse(page);
    assert.equal(await banner(page).count(), 0);
    await onlyEssential(context, page);
    assert.equal(await viewCount(), before);
    await page.goto(`${shop.url}/privacy/cookies/receipt`);
    assert.match((await page.locator('tbody').textContent()) ?? '', /Global Privacy Control/);
    const gpc = await page.goto(`${shop.url}/.well-known/gpc.json`);
    assert.deepEqual(((await gpc!.json()) as { gpc: boolean }).gpc, true);
    await context.close();
  });

  test('shopping experience alone: "Recently viewed" and "Picked for you" from the browser’s own cookie, gone with the consent', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${shop.url}/products/velvet-matte-lipstick`);
    await banner(page).getByRole('checkbox', { name: /Shopping experience/ }).check();
    await banner(page).getByRole('button', { name: 'Save my choices' }).click();
    await banner(page).waitFor({ state: 'detached' });
    await page.goto(`${shop.url}/products/peptide-eye-cream`);
    await page.goto(`${shop.url}/products/cleansing-balm`);
    const recent = page.getByRole('region', { name: 'Recently viewed' });
    assert.deepEqual(await recent.getByRole('link').allTextContents(), ['Peptide Eye Cream', 'Velvet Matte Lipstick']);
    const picks = page.getByRole('region', { name: 'Picked for you' });
    assert.equal(await picks.getByRole('listitem').count(), 4);
    assert.ok(await picks.getByRole('link', { name: 'Cookie settings' }).isVisible(), 'where the picks come from, and how to turn them off');
    assert.ok(!(await picks.getByRole('listitem').allTextContents()).some((name) => ['Peptide Eye Cream', 'Velvet Matte Lipstick', 'Melting Cleansing Balm'].includes(name)));
    const cookie = (await context.cookies()).find((c) => c.name === 'pledge_recent');
    assert.equal(cookie?.value, 'cleansing-balm~peptide-eye-cream~velvet-matte-lipstick');
    assert.equal(cookie.httpOnly, true);

    // Withdrawn from the settings page: the cookie leaves the browser with that response, and so do the lists.
    await page.goto(`${shop.url}/privacy/cookies`);
    await page.getByRole('button', { name: 'Reject all' }).click();
    await page.waitForURL(/\/privacy\/cookies\?saved=1$/);
    assert.equal((await context.cookies()).find((c) => c.name === 'pledge_recent'), undefined);
    await page.goto(`${shop.url}/products/peptide-eye-cream`);
    assert.equal(await page.getByRole('region', { name: 'Picked for you' }).count(), 0);
    assert.equal(await page.getByRole('region', { name: 'Recently viewed' }).count(), 0);
    await onlyEssential(context, page);

    // Performance was never allowed: once views would have been written (a second), none of these products has one.
    await sleep(1100);
    const viewed = await shop.runtime.database.db.select({ id: products.id }).from(products).where(inArray(products.slug, ['velvet-matte-lipstick', 'peptide-eye-cream', 'cleansing-balm']));
    assert.deepEqual(await shop.runtime.database.db.select().from(pageViews).where(inArray(pageViews.productId, viewed.map((p) => p.id))), []);
    await context.close();
  });

  test('with JavaScript off, the banner works from the keyboard alone', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${shop.url}/products/gentle-oat-cleanser`);
    // Tab until the performance switch has focus, tick it with the space bar, then Tab on to "Save my choices".
    const hasFocus = async (selector: string) => (await page.locator(`${selector}:focus`).count()) === 1;
    for (let i = 0; i < 60 && !(await hasFocus('#banner-performance')); i++) await page.keyboard.press('Tab');
    assert.ok(await hasFocus('#banner-performance'));
    await page.keyboard.press('Space');
    for (let i = 0; i < 10 && !(await hasFocus('.consent-banner button[value="choose"]')); i++) await page.keyboard.press('Tab');
    assert.ok(await hasFocus('.consent-banner button[value="choose"]'), 'Save my choices has focus');
    await page.keyboard.press('Enter');
    await banner(page).waitFor({ state: 'detached' });
    assert.match(page.url(), /\/products\/gentle-oat-cleanser$/);
    await page.goto(`${shop.url}/privacy/cookies`);
    assert.ok(await page.getByRole('checkbox', { name: /Performance/ }).isChecked());
    assert.equal(await page.getByRole('checkbox', { name: /Shopping experience/ }).isChecked(), false);
    await context.close();
  });
});
