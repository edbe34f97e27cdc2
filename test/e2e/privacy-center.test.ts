import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RunningShop } from '../../src/server.ts';
import { addItem } from '../../src/shop/cart/service.ts';
import { placeOrder } from '../../src/shop/checkout/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { openMail, startBrowserShop, type BrowserShop } from '../support/browser.ts';

// A guest who bought without an account asks for their data to be deleted: the code comes by e-mail, the right
// code erases, and the confirmation e-mail says what was deleted and what the law makes the shop keep, until when.
// The real server and job worker, a browser with JavaScript off.

describe('a guest’s erasure request in a browser', () => {
  let shop: RunningShop;
  let browser: Browser;
  let running: BrowserShop;

  before(async () => {
    running = await startBrowserShop({ seed: true });
    ({ shop, browser } = running);
  });
  after(() => running?.stop());

  test('ask, receive the code, confirm, receive the confirmation', async () => {
    const email = 'sofia.kovalevskaya@example.com';
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

    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${shop.url}/privacy-center`);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    assert.match((await page.locator('.field .error').first().textContent()) ?? '', /Enter an e-mail address/);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Delete my data').check();
    await page.getByRole('button', { name: 'Send me a code' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Enter your code');

    const mailbox = await context.newPage();
    await openMail(mailbox, shop.url, { subject: /verification code/, to: email });
    const code = /code is (\d{6})/.exec((await mailbox.locator('body').textContent()) ?? '')?.[1];
    assert.ok(code, 'the code is in the message');

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
