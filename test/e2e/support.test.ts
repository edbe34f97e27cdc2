import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningShop } from '../../src/server.ts';
import { staffSession } from '../support/backoffice.ts';
import { startBrowserShop, type BrowserShop } from '../support/browser.ts';

// Customer service in a browser with JavaScript off: a guest writes with a card number in the message and sees it
// removed, support replies, the guest answers through the link in the e-mail, support closes the ticket.

describe('customer service in a browser', () => {
  let shop: RunningShop;
  let browser: Browser;
  let running: BrowserShop;

  before(async () => {
    running = await startBrowserShop({ seed: false });
    ({ shop, browser } = running);
  });
  after(() => running?.stop());

  async function openMail(page: Page, subject: string) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      await page.goto(`${shop.url}/dev/mailbox`);
      const link = page.getByRole('link', { name: subject }).first();
      if ((await link.count()) > 0) return link.click();
      if (Date.now() > deadline) throw new Error(`no mail "${subject}"`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async function supportDesk(): Promise<BrowserContext> {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const { token } = await staffSession(shop.runtime, ['support']);
    await context.addCookies([{ name: 'pledge_staff', value: token, url: shop.url }]);
    return context;
  }

  test('a guest’s question with a card number, a reply, the guest’s answer by the e-mail link, closed', async () => {
    const guest = await browser.newContext({ javaScriptEnabled: false });
    const page = await guest.newPage();
    await page.goto(`${shop.url}/contact`);
    await page.getByLabel('Your name').fill('Emmy Noether');
    await page.getByLabel('Your e-mail address').fill('emmy@example.com');
    await page.getByLabel('What is it about?').selectOption('order_question');
    await page.getByLabel('Your message').fill('I was charged twice on my card 4242 4242 4242 4242. Can you help?');
    await page.getByRole('button', { name: 'Send the message' }).click();
    await page.waitForURL(/\/tickets\/T-\d+\?sent=1$/);
    const reference = /T-\d+/.exec(page.url())![0];
    assert.match((await page.locator('.ticket').getByRole('status').first().textContent()) ?? '', new RegExp(`received your message.*${reference}`));
    const thread = (await page.locator('.thread').textContent()) ?? '';
    assert.match(thread, /I was charged twice on my card \[card number removed\]\. Can you help\?/);
    assert.match(thread, /We never need your card number/);
    assert.doesNotMatch(await page.content(), /4242/);

    const desk = await supportDesk();
    const staffPage = await desk.newPage();
    await staffPage.goto(`${shop.url}/admin/support/tickets`);
    await staffPage.getByRole('link', { name: reference }).click();
    assert.match((await staffPage.locator('.thread').textContent()) ?? '', /\[card number removed\]/);
    await staffPage.getByLabel('Reply (sent to the customer by e-mail)').fill('Sorry about that: the second charge is refunded.');
    await staffPage.getByRole('button', { name: 'Send the reply' }).click();
    await staffPage.waitForURL(new RegExp(`/admin/support/tickets/${reference}$`));
    assert.match((await staffPage.locator('dl').first().textContent()) ?? '', /Waiting on the customer/);

    await openMail(page, `Re: your message (${reference})`);
    await page.getByRole('link', { name: /\/tickets\/access\// }).click();
    await page.waitForURL(new RegExp(`/tickets/${reference}$`));
    assert.match((await page.locator('.thread').textContent()) ?? '', /the second charge is refunded/);
    await page.getByLabel('Your answer').fill('Thank you, all good now.');
    await page.getByRole('button', { name: 'Send the answer' }).click();
    await page.waitForURL(new RegExp(`/tickets/${reference}$`));
    assert.match((await page.locator('.thread').textContent()) ?? '', /all good now/);

    await staffPage.reload();
    assert.match((await staffPage.locator('.thread').textContent()) ?? '', /all good now/);
    await staffPage.getByRole('button', { name: 'Close the ticket' }).click();
    await staffPage.waitForURL(new RegExp(`/admin/support/tickets/${reference}$`));
    assert.match((await staffPage.locator('dl').first().textContent()) ?? '', /Status\s*Closed/);

    await page.reload();
    assert.match((await page.locator('.ticket').textContent()) ?? '', /This conversation is closed/);
    await desk.close();
    await guest.close();
  });
});
