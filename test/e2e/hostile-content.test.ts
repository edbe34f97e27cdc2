import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { staffSession } from '../support/backoffice.ts';
import { openMail, startBrowserShop, type BrowserShop } from '../support/browser.ts';
import { SCRIPT_PAYLOADS } from '../support/hostile.ts';

// Stored script (issue 10), in a browser with JavaScript ON: an administrator creates a product whose name, brand,
// summary and description are script payloads; a guest writes to customer service with payloads as name and
// message, and support answers with one. Every page that shows them — storefront listing, category, product page,
// search, cart, the back office's product list and form, the support desk, the guest's ticket, the dev mailbox —
// must show them as text: no dialog opens, no payload sets its global, and no injected script or handler even
// reaches the CSP (a violation would mean the markup got into the page and only the CSP stopped it).

declare global {
  interface Window {
    __pledgeXss?: number;
    __cspViolations?: string[];
  }
}

const [script, img, svg, textarea, link, iframe, details] = SCRIPT_PAYLOADS;
const PRODUCT = {
  name: `Kestrel ${script}${img}`,
  brand: `${svg}`.slice(0, 80),
  summary: `${textarea}${details}`,
  description: `${link} ${iframe}`,
};

describe('hostile product names and ticket messages in a browser', () => {
  let running: BrowserShop;
  let url: string;
  const dialogs: string[] = [];

  before(async () => {
    running = await startBrowserShop({ seed: true });
    url = running.shop.url;
  });
  after(() => running?.stop());

  /** A context with JavaScript on that records dialogs and CSP violations, signed in as `role` when given. */
  async function context(role?: 'admin' | 'support'): Promise<BrowserContext> {
    const ctx = await running.browser.newContext({ javaScriptEnabled: true });
    await ctx.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations!.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    ctx.on('page', (page) =>
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      }),
    );
    if (role) await ctx.addCookies([{ name: 'pledge_staff', value: (await staffSession(running.shop.runtime, [role])).token, url }]);
    return ctx;
  }

  /** Opens `path` and checks that nothing injected ran or was even tried, and that the page had its CSP. */
  async function visit(page: Page, path: string, shows?: string) {
    const response = await page.goto(`${url}${path}`);
    assert.ok(response && response.status() < 400, `${path}: ${response?.status()}`);
    assert.doesNotMatch(String(response.headers()['content-security-policy']), /unsafe-inline/, `${path}: CSP`);
    await page.waitForLoadState('load');
    const trace = await page.evaluate(() => ({ xss: window.__pledgeXss, violations: window.__cspViolations ?? [] }));
    assert.deepEqual(trace, { xss: undefined, violations: [] }, `${path}: nothing injected ran or was blocked`);
    assert.deepEqual(dialogs, [], `${path}: no dialog`);
    if (shows) assert.ok(((await page.locator('body').textContent()) ?? '').includes(shows), `${path} shows the text as text`);
  }

  test('a product named with script, created through the admin and shown everywhere, runs nothing', async () => {
    const admin = await context('admin');
    const page = await admin.newPage();
    await visit(page, '/admin/products/new');
    await page.getByLabel('Name', { exact: true }).fill(PRODUCT.name);
    await page.getByLabel('Slug').fill('kestrel-hostile');
    await page.getByLabel('Brand').fill(PRODUCT.brand);
    await page.getByLabel('Category').selectOption({ index: 1 });
    await page.getByLabel('Summary').fill(PRODUCT.summary);
    await page.getByLabel('Description').fill(PRODUCT.description);
    await page.getByLabel('Price (USD)').fill('12.50');
    await page.getByLabel('Stock', { exact: true }).fill('5');
    await page.getByLabel('Weight of one unit (grams)').fill('100');
    await page.getByLabel('Colour').fill('#d9a38b');
    await page.getByLabel('Show in listings').check();
    await page.getByRole('button', { name: 'Create product' }).click();
    await page.waitForURL(/\/admin\/products\/\d+$/);
    const productPath = new URL(page.url()).pathname;
    await visit(page, productPath, PRODUCT.name);
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), PRODUCT.name, 'the form gives the name back as it was typed');
    await visit(page, '/admin/products?q=Kestrel', PRODUCT.name);

    const shopper = await context();
    const store = await shopper.newPage();
    await visit(store, '/products/kestrel-hostile', PRODUCT.name);
    assert.ok(((await store.locator('body').textContent()) ?? '').includes(PRODUCT.description), 'the description shows as text');
    const categories = await store.locator('nav a[href^="/categories/"]').evaluateAll((links) => links.map((a) => a.getAttribute('href')!));
    assert.ok(categories.length > 0);
    for (const href of categories) await visit(store, href);
    await visit(store, '/');
    await visit(store, '/search?q=Kestrel', PRODUCT.name);
    await visit(store, `/search?q=${encodeURIComponent(`${script} ${img}`)}`);
    await visit(store, '/products/kestrel-hostile');
    await store.getByRole('button', { name: 'Add to cart' }).click();
    await store.waitForURL(/\/cart$/);
    await visit(store, '/cart', PRODUCT.name);
    await visit(store, '/checkout', PRODUCT.name);
  });

  test('a ticket written with script, read by support and answered with script, runs nothing', async () => {
    const guest = await context();
    const page = await guest.newPage();
    await visit(page, '/contact');
    await page.getByLabel('Your name').fill(`Mallory ${svg}`);
    await page.getByLabel('Your e-mail address').fill('mallory@example.com');
    await page.getByLabel('What is it about?').selectOption('other');
    await page.getByLabel('Your message').fill(SCRIPT_PAYLOADS.join('\n'));
    await page.getByRole('button', { name: 'Send the message' }).click();
    await page.waitForURL(/\/tickets\/T-\d+\?sent=1$/);
    const reference = /T-\d+/.exec(page.url())![0];
    await visit(page, `/tickets/${reference}`, script);

    const desk = await context('support');
    const staff = await desk.newPage();
    await visit(staff, '/admin/support/tickets', reference);
    await visit(staff, `/admin/support/tickets/${reference}`, script);
    await staff.getByRole('button', { name: 'Show the sender’s details' }).click();
    await staff.waitForLoadState('load');
    assert.ok(((await staff.locator('body').textContent()) ?? '').includes(`Mallory ${svg}`), 'the sender’s name shows as text');
    await visit(staff, `/admin/support/tickets/${reference}`);
    await staff.getByLabel('Reply (sent to the customer by e-mail)').fill(`We cannot run ${script}, sorry.`);
    await staff.getByRole('button', { name: 'Send the reply' }).click();
    await staff.waitForURL(new RegExp(`/admin/support/tickets/${reference}$`));
    await visit(staff, `/admin/support/tickets/${reference}`, `We cannot run ${script}`);

    await visit(page, `/tickets/${reference}`, `We cannot run ${script}`);
    await visit(page, '/dev/mailbox');
    await openMail(page, url, { subject: new RegExp(reference), to: 'mallory@example.com' });
    await visit(page, new URL(page.url()).pathname, 'We cannot run');
  });
});
