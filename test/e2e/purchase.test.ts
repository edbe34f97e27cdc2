import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as OTPAuth from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createStaff } from '../../src/privacy/staff/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import type { RunningShop } from '../../src/server.ts';
import { openMail, startBrowserShop, type BrowserShop } from '../support/browser.ts';

// The whole purchase, as the "done when" puts it, in Chromium with JavaScript off: a guest and a registered
// customer buy and pay with TestPay's cards, the confirmation arrives in the dev mailbox, a fulfilment user packs,
// ships and delivers the guest's parcel, and the guest asks for a return. The tests run in order on one shop and
// hand on what they made (the guest's browser, the order number, the tracking number).

const GUEST = {
  email: 'ada@example.com',
  recipientName: 'Ada Lovelace',
  line1: '12 Analytical Row',
  city: 'Arlington',
  region: 'VA',
  postcode: '22201',
};
const CUSTOMER = { name: 'Emmy Noether', email: 'emmy@example.com', password: 'invariants under symmetry' };
const PAYS = '4242 4242 4242 4242';
const DECLINED = '4000 0000 0000 0002';

describe('buying in a browser', () => {
  let shop: RunningShop;
  let browser: Browser;
  let running: BrowserShop;
  let guest: BrowserContext;
  let guestOrder: string;
  let trackingNumber: string;

  before(async () => {
    running = await startBrowserShop({ seed: true });
    ({ shop, browser } = running);
    guest = await browser.newContext({ javaScriptEnabled: false });
  });
  after(() => running?.stop());

  const main = (page: Page) => page.getByRole('main');
  const mainText = async (page: Page) => (await main(page).textContent()) ?? '';

  /** Clicks a button that posts a form, and waits for the page its answer redirects to. */
  async function submit(page: Page, button: string | RegExp, landsOn: RegExp) {
    await Promise.all([page.waitForURL(landsOn), page.getByRole('button', { name: button, exact: true }).click()]);
  }

  /** The details form, filled by its labels: a delivery address in the United States and standard delivery. */
  async function fillDetails(page: Page, details: { email?: string; recipientName: string; line1: string; city: string; region: string; postcode: string }) {
    if (details.email) await page.getByLabel('E-mail').fill(details.email);
    await page.getByLabel('Name of the recipient').fill(details.recipientName);
    await page.getByLabel('Street and number').fill(details.line1);
    await page.getByLabel('Town or city').fill(details.city);
    await page.getByLabel('Region or state (optional)').fill(details.region);
    await page.getByLabel('Postcode').fill(details.postcode);
    await page.getByLabel('Country').selectOption({ label: 'United States' });
    await page.getByLabel(/Standard delivery/).check();
    await submit(page, 'Continue to payment', /\/checkout\/pay\/P\d+$/);
    return /\/checkout\/pay\/(P\d+)$/.exec(page.url())![1]!;
  }

  /** The card form posts to TestPay, which sends the browser back to the review page; its button pays. */
  async function payWith(page: Page, number: string, landsOn: RegExp) {
    await page.getByLabel('Card number').fill(number);
    await page.getByLabel('Expiry month (MM)').fill('12');
    await page.getByLabel('Expiry year (YYYY)').fill(String(new Date().getUTCFullYear() + 3));
    await page.getByLabel('Security code').fill('123');
    await submit(page, 'Continue', /\/checkout\/pay\/P\d+\/review\?token=/);
    const heading = (await page.getByRole('heading', { level: 1 }).textContent()) ?? '';
    assert.match(heading, new RegExp(`^Pay \\$\\d+\\.\\d{2} with Visa •••• ${number.slice(-4)}$`), 'the review names the amount and the card');
    await submit(page, /^Pay \$\d+\.\d{2}$/, landsOn);
  }

  async function mailText(page: Page, mail: { subject: string | RegExp; to: string }) {
    await openMail(page, shop.url, mail);
    return (await page.getByRole('article').textContent()) ?? '';
  }

  test('a guest picks a shade, checks out, is declined once, pays with the test card and gets the confirmation', async () => {
    const page = await guest.newPage();
    await page.goto(shop.url);
    await page.getByRole('link', { name: /Velvet Matte Lipstick/ }).first().click();
    await page.waitForURL(/\/products\/velvet-matte-lipstick$/);
    await page.getByRole('group', { name: 'Shade' }).getByRole('link', { name: /02 Rose/ }).click();
    await page.waitForURL(/\/products\/velvet-matte-lipstick-02-rose$/);
    await page.getByLabel('Quantity').fill('2');
    await submit(page, 'Add to cart', /\/cart$/);
    assert.match((await page.getByRole('row', { name: /Velvet Matte Lipstick/ }).textContent()) ?? '', /Shade: 02 Rose/);

    await page.getByRole('link', { name: 'Check out' }).click();
    await page.waitForURL(/\/checkout$/);
    guestOrder = await fillDetails(page, GUEST);
    const summary = await mainText(page);
    assert.match(summary, /Standard delivery/);
    assert.match(summary, /Tax \(7\.25 %\)/, 'US sales tax');
    assert.match(summary, /Ada Lovelace\s*12 Analytical Row\s*Arlington VA 22201\s*United States/);

    await payWith(page, DECLINED, /\/checkout\/pay\/P\d+$/);
    assert.equal(await page.getByRole('alert').textContent(), 'The card was declined. Try another card.');
    await payWith(page, PAYS, new RegExp(`/orders/${guestOrder}$`));
    assert.match((await page.getByRole('status').textContent()) ?? '', /Thank you — we have your payment\. A confirmation is on its way to ada@example\.com\./);
    assert.match(await mainText(page), /Status: Paid/);
    assert.match(await mainText(page), /Visa ending in 4242/);

    const mail = await mailText(page, { subject: `Order ${guestOrder} confirmed — thank you`, to: GUEST.email });
    assert.match(mail, new RegExp(`Order ${guestOrder}\\n`));
    assert.match(mail, /2 × Velvet Matte Lipstick \(Shade: 02 Rose\)\s+\$48\.00/);
    await page.close();
  });

  test('a registered customer confirms their address, signs in, checks out with the e-mail filled in and finds the order in their account', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${shop.url}/account/register`);
    await page.getByLabel('Name').fill(CUSTOMER.name);
    await page.getByLabel('E-mail').fill(CUSTOMER.email);
    await page.getByLabel('Password').fill(CUSTOMER.password);
    await page.getByLabel('I am 18 or older').check();
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await openMail(page, shop.url, { subject: /Confirm your e-mail address/, to: CUSTOMER.email });
    await page.getByRole('link', { name: /\/account\/verify\// }).click();
    await page.waitForURL(/\/account\/verify\//);
    await page.getByRole('link', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/account\/login$/);
    await page.getByLabel('E-mail').fill(CUSTOMER.email);
    await page.getByLabel('Password').fill(CUSTOMER.password);
    await submit(page, 'Sign in', /\/account$/);

    await page.goto(`${shop.url}/products/tinted-lip-balm`);
    await submit(page, 'Add to cart', /\/cart$/);
    await page.getByRole('link', { name: 'Check out' }).click();
    await page.waitForURL(/\/checkout$/);
    assert.equal(await page.getByLabel('E-mail').inputValue(), CUSTOMER.email, "the account's address is filled in");
    const number = await fillDetails(page, { recipientName: CUSTOMER.name, line1: '1 Erlangen Lane', city: 'Bryn Mawr', region: 'PA', postcode: '19010' });
    await payWith(page, PAYS, new RegExp(`/account/orders/${number}$`));
    assert.match((await page.getByRole('status').textContent()) ?? '', /A confirmation is on its way to emmy@example\.com/);

    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.waitForURL(/\/account$/);
    await page.getByRole('link', { name: 'Your orders' }).click();
    await page.waitForURL(/\/account\/orders$/);
    const row = page.getByRole('row', { name: new RegExp(number) });
    assert.match((await row.textContent()) ?? '', /Paid/);
    assert.ok(guestOrder && number !== guestOrder);
    assert.equal(await page.getByRole('link', { name: guestOrder, exact: true }).count(), 0, "the guest's order is not in this account");
    await row.getByRole('link', { name: number, exact: true }).click();
    await page.waitForURL(new RegExp(`/account/orders/${number}$`));
    assert.match(await mainText(page), /Tinted Lip Balm/);
    await context.close();
  });

  test('a fulfilment user signs in with password and code, packs, ships and delivers the guest’s order without seeing the e-mail address', async () => {
    const email = 'packer@staff.example.com';
    const password = 'a long enough staff password';
    const { setupToken } = await createStaff(shopContext(shop.runtime), { email, roles: ['fulfilment'] });
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${shop.url}/admin/setup/${setupToken}`);
    const secret = /Key: ([A-Z2-7]+)/.exec(await mainText(page))![1]!;
    const code = () => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate();
    await page.getByLabel('New password').fill(password);
    await page.getByLabel('Repeat the password').fill(password);
    await page.getByLabel('Code from the app').fill(code());
    await page.getByRole('button', { name: 'Finish set-up' }).click();
    await page.getByRole('heading', { name: 'Your account is ready' }).waitFor();
    await page.getByRole('link', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/admin\/login$/);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Authenticator code').fill(code());
    await submit(page, 'Sign in', /\/admin$/);

    await page.getByRole('link', { name: 'Orders to ship' }).click();
    await page.waitForURL(/\/admin\/fulfilment$/);
    await page.getByRole('link', { name: guestOrder, exact: true }).click();
    await page.waitForURL(new RegExp(`/admin/fulfilment/${guestOrder}$`));
    const packing = await mainText(page);
    assert.match(packing, /Velvet Matte Lipstick\s*Shade: 02 Rose\s*2/);
    assert.match(packing, /Ada Lovelace\s*12 Analytical Row\s*Arlington VA 22201\s*United States/, 'the name and address to ship to');
    assert.doesNotMatch(await page.content(), /ada@example\.com/, 'fulfilment never sees the e-mail address');

    // Each move answers with the order's page again, at the same address: the next step's button shows it arrived.
    await page.getByRole('button', { name: 'Mark packed' }).click();
    await page.getByRole('button', { name: 'Ship with TestShip' }).click();
    const deliver = page.getByRole('button', { name: 'Mark delivered' });
    trackingNumber = /TestShip (TS\d{10})/.exec(await main(page).filter({ has: deliver }).textContent() ?? '')![1]!;
    await deliver.click();
    await deliver.waitFor({ state: 'detached' });
    await page.waitForLoadState();
    assert.match(await mainText(page), /Status\s*Delivered/);
    await context.close();

    const customer = await guest.newPage();
    await customer.goto(`${shop.url}/orders/${guestOrder}`);
    const order = await mainText(customer);
    assert.match(order, /Status: Delivered/);
    assert.match(order, new RegExp(`Tracking number: ${trackingNumber} \\(TestShip\\)`));
    const shipped = await mailText(customer, { subject: `Your order ${guestOrder} has shipped`, to: GUEST.email });
    assert.match(shipped, new RegExp(`Tracking number: ${trackingNumber}`));
    await customer.close();
  });

  test('the guest asks to return one of the two from the order page, with the pass their browser holds', async () => {
    const page = await guest.newPage();
    await page.goto(`${shop.url}/orders/${guestOrder}`);
    await page.getByRole('link', { name: 'Request a return' }).click();
    await page.waitForURL(new RegExp(`/orders/${guestOrder}/return$`));
    await page.getByLabel(/Quantity of Velvet Matte Lipstick to return/).fill('1');
    await page.getByLabel('Why are you returning it?').selectOption({ label: 'It arrived damaged' });
    await page.getByLabel(/Anything we should know/).fill('The bullet snapped off in the box.');
    await submit(page, 'Ask for the return', new RegExp(`/orders/${guestOrder}$`));
    const request = page.getByRole('listitem').filter({ hasText: /^\s*Asked on/ });
    assert.match((await request.textContent()) ?? '', /waiting for our answer\. Refund: \$25\.74\s*1 × Velvet Matte Lipstick\s*Shade: 02 Rose/, 'the price paid plus its tax');
    assert.equal(await page.getByRole('listitem').filter({ hasText: /: Return requested$/ }).count(), 1, 'the order history shows the request');

    const mail = await mailText(page, { subject: `We received your return request for order ${guestOrder}`, to: GUEST.email });
    assert.match(mail, /1 × Velvet Matte Lipstick \(Shade: 02 Rose\)/);
    assert.match(mail, /Refund once the items are back with us: \$25\.74/);
    await page.close();
    await guest.close();
  });
});
