import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningShop } from '../../src/server.ts';
import { addItem } from '../../src/shop/cart/service.ts';
import { placeOrder } from '../../src/shop/checkout/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { openMail, startBrowserShop, type BrowserShop } from '../support/browser.ts';

// A guest who bought without an account asks for a copy of their data, then for its deletion: each time the code
// comes by e-mail; the right code opens the copy (once) or erases, and the confirmation e-mail says what was deleted
// and what the law makes the shop keep, until when. The real server and job worker, a browser with JavaScript off.

describe('a guest’s access and erasure requests in a browser', () => {
  let shop: RunningShop;
  let browser: Browser;
  let running: BrowserShop;

  before(async () => {
    running = await startBrowserShop({ seed: true });
    ({ shop, browser } = running);
  });
  after(() => running?.stop());

  const email = 'sofia.kovalevskaya@example.com';
  let number = '';
  before(async () => {
    number = await guestOrder();
  });

  /** The guest's order, placed as checkout places it. */
  async function guestOrder(): Promise<string> {
    const ctx = shopContext(shop.runtime);
    const added = await addItem(ctx, { visitorToken: undefined }, { slug: 'gentle-oat-cleanser', quantity: 1 });
    assert.ok(added.ok);
    const placed = await placeOrder(
      ctx,
      { visitorToken: added.visitorToken },
      { email, address: { recipientName: 'Sofia Kovalevskaya', line1: '3 Nevsky Ave', line2: undefined, city: 'Springfield', region: 'IL', postcode: '62701', country: 'US', phone: undefined }, shippingOption: 'standard' },
      { checkoutKey: randomUUID() },
    );
    assert.ok(placed.ok);
    return placed.number;
  }

  const codesUsed: string[] = [];
  /** Asks on the privacy center's guest form and answers with the code of the e-mail this request brings. */
  async function askWithCode(page: Page, mailbox: Page, wish: 'A copy of my data' | 'Delete my data'): Promise<string> {
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel(wish).check();
    await page.getByRole('button', { name: 'Send me a code' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Enter your code');
    // The subject carries the code: an earlier request's message is told apart by it.
    await openMail(mailbox, shop.url, { subject: new RegExp(`verification code: (?!${codesUsed.join('|') || 'x'})\\d{6}`), to: email });
    const code = /code is (\d{6})/.exec((await mailbox.locator('body').textContent()) ?? '')?.[1];
    assert.ok(code, 'the code is in the message');
    codesUsed.push(code);
    return code;
  }

  test('a copy: ask, receive the code, confirm, read the copy once', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const mailbox = await context.newPage();
    await page.goto(`${shop.url}/privacy-center`);
    const code = await askWithCode(page, mailbox, 'A copy of my data');
    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Confirm' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Your copy is ready');
    const link = page.url();
    await page.getByRole('button', { name: 'Show it as a page' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Your data at Pledge');
    const copy = (await page.locator('main').textContent()) ?? '';
    assert.ok(copy.includes(number), 'the order is in the copy');
    assert.match(copy, /Sofia Kovalevskaya/);
    assert.match(copy, /Which of our staff looked at your data/);
    await page.goto(link);
    assert.doesNotMatch((await page.locator('h1').textContent()) ?? '', /Your copy is ready/, 'the link works once');
    await context.close();
  });

  test('a deletion: ask, receive the code, confirm, receive the confirmation', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${shop.url}/privacy-center`);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    assert.match((await page.locator('.field .error').first().textContent()) ?? '', /Enter an e-mail address/);
    const mailbox = await context.newPage();
    const code = await askWithCode(page, mailbox, 'Delete my data');

    await page.getByLabel('Code').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Confirm' }).click();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /That code is not right/);
    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Confirm' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Your data has been deleted');
    assert.match((await page.locator('main').textContent()) ?? '', /Kept because the law requires it/);

    await openMail(mailbox, shop.url, { subject: /has been deleted/, to: email });
    const letter = (await mailbox.locator('body').textContent()) ?? '';
    assert.match(letter, /Deleted now:/);
    assert.match(letter, /Your orders[^\n]*\(1\), until \d{4}-\d{2}-\d{2}: Tax and commercial law/);
    await context.close();
  });
});
