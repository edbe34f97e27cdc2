/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RunningShop } from '../../src/server.ts';
import { startBrowserShop, type BrowserShop } from '../support/browser.ts';

// The real server, as `npm start` runs it (PGlite in a data directory, seeded on first start), seen by Chromium.

describe('storefront in a browser', () => {
  let shop: RunningShop;
  let browser: Browser;
  let running: BrowserShop;

  before(async () => {
    running = await startBrowserShop({ seed: true });
    ({ shop, browser } = running);
  });
  after(() => running?.stop());

  test('with JavaScript disabled, the home page shows products and links through to a product', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const response = await page.goto(shop.url);
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), 'Pledge Cosmetics');
    const cards = page.locator('li.card');
    assert.equal(await cards.count(), 24);
    assert.equal(await cards.first().locator('.name').textContent(), 'Gentle Oat Cleanser');
    assert.ok(await page.locator('li.card img').first().evaluate((img: HTMLImageElement) => img.complete), 'product picture loaded');
    // The stylesheet applied (the CSP allows it): the product grid is a CSS grid.
    assert.equal(await page.locator('ul.grid').evaluate((el) => getComputedStyle(el).display), 'grid');

    await page.getByRole('link', { name: /Velvet Matte Lipstick/ }).click();
    await page.waitForURL(/\/products\/velvet-matte-lipstick$/);
    assert.equal(await page.locator('h1').textContent(), 'Velvet Matte Lipstick');
    assert.match((await page.locator('.product .price').textContent()) ?? '', /\$24\.00/);

    await page.getByRole('link', { name: 'Next →' }).count().then((n) => assert.equal(n, 0, 'no pagination on a product page'));
    await page.goto(shop.url);
    await page.getByRole('link', { name: 'Next →' }).click();
    assert.equal(await page.locator('li.card').count(), 17);
    assert.deepEqual(errors, [], 'no console errors (CSP violations show up here)');
    await context.close();
  });

  test('with JavaScript disabled, a shopper picks a shade by its name and puts that shade in the cart', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${shop.url}/products/velvet-matte-lipstick`);
    const shades = page.getByRole('group', { name: 'Shade' });
    assert.equal(await shades.getByRole('link').count(), 5);
    assert.equal(await shades.locator('[aria-current="page"]').locator('.value').textContent(), '01 Ruby');
    await shades.getByRole('link', { name: /02 Rose/ }).click();
    await page.waitForURL(/\/products\/velvet-matte-lipstick-02-rose$/);
    assert.equal(await page.getByRole('group', { name: 'Shade' }).locator('[aria-current="page"]').locator('.value').textContent(), '02 Rose');
    assert.match((await shades.getByRole('link', { name: /05 Plum/ }).textContent()) ?? '', /Out of stock/, 'sold out in words, not colour alone');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.waitForURL(/\/cart$/);
    assert.equal(await page.locator('.cart-product .variant').textContent(), 'Shade: 02 Rose');
    await context.close();
  });

  test('keyboard users can skip to the content', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(shop.url);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await context.close();
  });
});
