import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as OTPAuth from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { SECURITY_CHECK_JOB } from '../../src/privacy/security/service.ts';
import { completeSetup, createStaff, findSetup } from '../../src/privacy/staff/service.ts';
import type { RunningShop } from '../../src/server.ts';
import { shopContext } from '../../src/shop/context.ts';
import { customerDetails, paidOrder, staffSession } from '../support/backoffice.ts';
import { openMail, startBrowserShop, type BrowserShop } from '../support/browser.ts';

// Breach response in a browser with JavaScript off: a support account reads more customers' contact details in an
// hour than its rate allows; the scheduled check raises an alert and mails the privacy officer, who signs in with
// password and TOTP, follows the mail to the alert, opens an incident from it, finds the affected customers, moves
// it through contained, notified and closed, and sends the notices, which reach exactly those customers.

const CUSTOMERS = ['ines.affected@example.com', 'jon.affected@example.com', 'kai.affected@example.com'];

describe('from a security alert to a closed incident, in a browser', () => {
  let shop: RunningShop;
  let browser: Browser;
  let running: BrowserShop;

  before(async () => {
    running = await startBrowserShop({ seed: true, env: { PLEDGE_SECURITY_READ_RATES: 'support=2' } });
    ({ shop, browser } = running);
  });
  after(() => running?.stop());

  /** A privacy officer's account, set up; answers what signing in takes. */
  async function officerAccount(): Promise<{ email: string; password: string; code(): string }> {
    const vault = shopContext(shop.runtime);
    const email = 'officer@staff.example.com';
    const password = 'a long enough officer password';
    const { setupToken } = await createStaff(vault, { email, roles: ['privacy_officer'] });
    const { secret } = (await findSetup(vault, setupToken))!;
    const code = () => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate();
    assert.ok(await completeSetup(vault, setupToken, { password, code: code() }));
    return { email, password, code };
  }

  async function step(page: Page, to: string, note: string) {
    await page.getByLabel('Move to').selectOption({ label: to });
    await page.getByLabel('What was done').fill(note);
    await page.getByRole('button', { name: 'Record the step' }).click();
    await page.waitForURL(/\/admin\/incidents\/[0-9a-f-]{36}$/);
  }

  test('an officer walks an alert to a closed incident and the affected customers are told', async () => {
    const officer = await officerAccount();
    const numbers: string[] = [];
    for (const email of CUSTOMERS) numbers.push((await paidOrder({ runtime: shop.runtime, clock: shop.runtime.clock }, { 'gentle-oat-cleanser': 1 }, customerDetails(email))).number);

    // Support opens three customers' contact details: one more than its rate of two an hour.
    const desk = await browser.newContext({ javaScriptEnabled: false });
    const { staffId: agent, token } = await staffSession(shop.runtime, ['support']);
    await desk.addCookies([{ name: 'pledge_staff', value: token, url: shop.url }]);
    const support = await desk.newPage();
    for (const number of numbers) {
      await support.goto(`${shop.url}/admin/orders/${number}`);
      await support.getByLabel('Customer support').check();
      await support.getByRole('button', { name: 'Show contact details' }).click();
      assert.match((await support.content()) ?? '', /This view is recorded/);
    }
    await desk.close();
    await shop.runtime.jobs.send(SECURITY_CHECK_JOB, {});

    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${shop.url}/admin/login`);
    await page.getByLabel('E-mail').fill(officer.email);
    await page.getByLabel('Password').fill(officer.password);
    await page.getByLabel('Authenticator code').fill(officer.code());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${shop.url}/admin`);
    assert.equal(await page.getByRole('link', { name: 'Security alerts' }).count(), 1, 'the dashboard links the alerts');

    await openMail(page, shop.url, { subject: /security alert — More subjects read than the role’s normal rate/, to: officer.email });
    assert.doesNotMatch(await page.content(), /affected@example\.com/, 'the alert mail names no customer');
    await page.getByRole('link', { name: /\/admin\/security\// }).click();
    await page.waitForURL(/\/admin\/security\/[0-9a-f-]{36}$/);
    const alertUrl = page.url();
    const details = (await page.locator('dl').textContent()) ?? '';
    assert.match(details, /Threshold\s*2 \(PLEDGE_SECURITY_READ_RATES support=2\)/);
    assert.match(details, new RegExp(`Staff account ${agent} \\(support\\) read the personal data of 3 distinct subjects`));

    await page.getByRole('link', { name: 'Open an incident from this alert' }).click();
    await page.waitForURL(/\/admin\/incidents\?alert=/);
    assert.equal(await page.getByLabel('Staff accounts whose reads are in question (account ids, one per line)').inputValue(), agent);
    assert.match(await page.getByLabel('What happened').inputValue(), /^Security alert \(More subjects read than the role’s normal rate\)/);
    await page.getByLabel('Likely consequences for the people concerned').fill('Names, addresses and phone numbers seen without a reason');
    await page.getByRole('button', { name: 'Open the incident' }).click();
    await page.waitForURL(/\/admin\/incidents\/[0-9a-f-]{36}$/);
    const incidentUrl = page.url();
    assert.match((await page.locator('h1').textContent()) ?? '', /Incident: Triage/);

    await page.getByRole('button', { name: 'Find the affected subjects' }).click();
    await page.waitForURL(incidentUrl);
    assert.match((await page.locator('.incident').textContent()) ?? '', /3 subjects/);
    assert.match((await page.locator('table').first().textContent()) ?? '', /Delivery address\s*3\s*3/);
    assert.doesNotMatch(await page.content(), /affected@example\.com|Grace Hopper/, 'counts only, no one’s data');
    await step(page, 'Contained', 'The support account was locked and its password reset');

    await page.getByRole('link', { name: 'Preview and send the customer notice' }).click();
    assert.match((await page.locator('.mail-preview').textContent()) ?? '', /The support account was locked/);
    await page.getByRole('button', { name: 'Send to 3 records not yet notified' }).click();
    await page.waitForURL(/\/notices$/);
    assert.equal(await page.getByRole('row').filter({ hasText: 'sent' }).count(), 3);
    await page.getByRole('link', { name: 'Back to the incident' }).click();
    await step(page, 'Regulator notified', 'Reported to the regulator, reference R-2026-17');
    await step(page, 'Closed', 'Staff retrained; no misuse found');
    assert.match((await page.locator('h1').textContent()) ?? '', /Incident: Closed/);
    const trail = (await page.locator('table').last().textContent()) ?? '';
    for (const words of ['Opened (triage)', 'Affected subjects found', 'Contained', 'Customer notices sent', 'Regulator notified', 'Closed']) assert.ok(trail.includes(words), words);
    assert.equal(await page.getByRole('button', { name: 'Record the step' }).count(), 0, 'a closed incident takes no more steps');

    await page.goto(alertUrl);
    assert.match((await page.locator('dl').textContent()) ?? '', /Incident opened/);
    for (const email of CUSTOMERS) await openMail(page, shop.url, { subject: /a security incident involving your data/, to: email });
    await context.close();
  });
});
