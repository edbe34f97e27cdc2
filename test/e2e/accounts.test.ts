import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RunningShop } from '../../src/server.ts';
import { openMail, startBrowserShop, type BrowserShop } from '../support/browser.ts';

// A customer registers, confirms the address from the dev mailbox, signs in and corrects their name: the real
// server and job worker, a browser with JavaScript off.

describe('customer account in a browser', () => {
  let shop: RunningShop;
  let browser: Browser;
  let running: BrowserShop;

  before(async () => {
    running = await startBrowserShop({ seed: false });
    ({ shop, browser } = running);
  });
  after(() => running?.stop());

  test('register, confirm by e-mail, sign in, correct the name, sign out', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${shop.url}/account/register`);
    await page.getByRole('button', { name: 'Create account' }).click();
    assert.match(await page.locator('.field .error').first().textContent() ?? '', /Enter your name/, 'errors beside the fields');

    await page.getByLabel('Name').fill('Mary Somerville');
    await page.getByLabel('E-mail').fill('mary@example.com');
    await page.getByLabel('Password').fill('connexion of sciences');
    await page.getByLabel('I am 18 or older').check();
    await page.getByRole('button', { name: 'Create account' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Check your inbox');

    await openMail(page, shop.url, { subject: /Confirm your e-mail address/, to: 'mary@example.com' });
    await page.getByRole('link', { name: /\/account\/verify\// }).click();
    assert.equal(await page.locator('h1').textContent(), 'Your address is confirmed');

    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('E-mail').fill('mary@example.com');
    await page.getByLabel('Password').fill('connexion of sciences');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/account$/);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'pledge_session');
    assert.ok(session?.httpOnly, 'session cookie is HttpOnly');

    await page.getByLabel('Name').fill('Mary Fairfax Somerville');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    assert.match((await page.getByRole('status').textContent()) ?? '', /saved/);
    assert.equal(await page.getByLabel('Name').inputValue(), 'Mary Fairfax Somerville');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${shop.url}/account`);
    await page.waitForURL(/\/account\/login$/);
    await context.close();
  });
});
