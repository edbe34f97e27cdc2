import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { after, before, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { COOKIE_POLICY_REVISION, COOKIES, isDeclaredCookie } from '../../src/privacy/cookies.ts';
import { consentRecords } from '../../src/privacy/consent/schema.ts';
import { decodeChoice, recordChoice } from '../../src/privacy/consent/service.ts';
import { tokenHash } from '../../src/platform/secrets.ts';
import { shopContext } from '../../src/shop/context.ts';
import { signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, startTestShop, type TestShop } from '../support/shop.ts';

// The banner and settings form sit on pages cached for everyone, so they are checked by their Origin.
const SITE = { host: 'shop.test', origin: 'http://shop.test' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const PAGE = { accept: 'text/html' };

forEachDatabase('cookies and consent', (kind) => {
  let shop: TestShop;
  // Every cookie any response in this file set: checked against the inventory at the end.
  const setCookies = new Set<string>();
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000' } });
    const inject = shop.app.inject.bind(shop.app);
    shop.app.inject = (async (options: InjectOptions | string) => {
      const response = await inject(options);
      for (const c of response.cookies) setCookies.add(c.name);
      return response;
    }) as typeof shop.app.inject;
  });
  after(() => shop.stop());

  const cookieHeader = (response: LightMyRequestResponse) => response.cookies.filter((c) => c.value !== '').map((c) => `${c.name}=${c.value}`).join('; ');

  function choose(fields: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    shop.clock.advance(1000); // the receipt lists choices by their time
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(name, v);
    return shop.app.inject({ method: 'POST', url: '/privacy/cookies', headers: { ...FORM, ...SITE, ...headers }, payload: body.toString() });
  }

  const recordCount = async () => (await shop.database.db.select().from(consentRecords)).length;

  test('two choices of one browser submitted at once are timed apart, so one of them is plainly the choice in force', async () => {
    const ctx = shopContext(shop.runtime);
    const first = await recordChoice(ctx, { granted: [], method: 'banner', underGpc: false });
    // The clock stands still: only the order the records are written in can tell them apart.
    const answers = await Promise.all((['performance', 'experience', 'preferences'] as const).map((category) => recordChoice(ctx, { visitorId: first.visitorId, granted: [category], method: 'settings', underGpc: false })));
    assert.equal(new Set(answers.map((a) => a.visitorId)).size, 1);
    const times = (await shop.database.db.select({ at: consentRecords.recordedAt }).from(consentRecords).where(eq(consentRecords.visitorHash, tokenHash(first.visitorId)))).map((r) => r.at.getTime());
    assert.equal(times.length, 4);
    assert.equal(new Set(times).size, 4, 'no two records of the browser share a time');
  });

  test('a first visit shows the banner with three equal answers and links to the policy and the cookie list, and sets no cookie', async () => {
    for (const url of ['/', '/products/gentle-oat-cleanser', '/cart', '/account/login']) {
      const response = await shop.app.inject({ url, headers: PAGE });
      assert.equal(response.statusCode, 200, url);
      assert.match(response.body, /class="consent-banner"/, url);
      assert.deepEqual(response.cookies.filter((c) => COOKIES[c.name as keyof typeof COOKIES]?.category !== 'essential'), [], url);
    }
    const home = await shop.app.inject({ url: '/', headers: PAGE });
    assert.deepEqual(home.cookies, [], 'the home page sets nothing at all');
    const buttons = [...home.body.matchAll(/<button type="submit" name="answer" value="(\w+)">([^<]+)<\/button>/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(buttons, [['accept', 'Accept all'], ['reject', 'Reject all'], ['choose', 'Save my choices']]);
    assert.match(home.body, /href="\/privacy"/);
    assert.match(home.body, /href="\/privacy\/cookies"/);
    for (const category of ['performance', 'experience', 'preferences']) assert.match(home.body, new RegExp(`<label class="consent-switch" for="banner-${category}"><input type="checkbox" id="banner-${category}" name="categories" value="${category}">`));
    assert.match(home.body, /<a href="\/privacy\/cookies">Cookie settings<\/a>/, 'the footer link');
  });

  test('Reject all records the refusal, remembers it in the essential cookie and takes the banner away; the visitor is sent back', async () => {
    const before = await recordCount();
    const response = await choose({ from: 'banner', answer: 'reject' }, { referer: 'http://shop.test/products/gentle-oat-cleanser' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/products/gentle-oat-cleanser');
    const consent = response.cookies.find((c) => c.name === 'pledge_consent');
    assert.ok(consent && consent.httpOnly && consent.maxAge === 180 * 24 * 60 * 60);
    const choice = decodeChoice(shop.app.unsignCookie(consent.value).value ?? '');
    assert.deepEqual(choice && { granted: choice.granted, method: choice.method }, { granted: [], method: 'banner' });
    assert.equal(await recordCount(), before + 1);
    const page = await shop.app.inject({ url: '/products/gentle-oat-cleanser', headers: { ...PAGE, cookie: cookieHeader(response) } });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /consent-banner/);
    assert.doesNotMatch(page.body, /<!--notice-->/);
  });

  test('a consent record is sealed: neither the visitor id nor the categories are readable in the table', async () => {
    const response = await choose({ from: 'banner', answer: 'choose', categories: ['performance', 'preferences'] });
    const consent = response.cookies.find((c) => c.name === 'pledge_consent')!;
    const visitorId = decodeChoice(shop.app.unsignCookie(consent.value).value!)!.visitorId;
    const rows = await shop.database.db.select().from(consentRecords);
    for (const row of rows) {
      assert.ok(!row.choice.toString('latin1').includes('performance'));
      assert.ok(!row.visitorHash.toString('latin1').includes(visitorId));
    }
  });

  test('a bad answer or an unknown category is refused with 400 and records nothing', async () => {
    const before = await recordCount();
    assert.equal((await choose({ from: 'banner', answer: 'everything' })).statusCode, 400);
    assert.equal((await choose({ from: 'banner', answer: 'choose', categories: 'advertising' })).statusCode, 400);
    assert.equal((await choose({ from: 'elsewhere', answer: 'accept' })).statusCode, 400);
    const crossSite = await shop.app.inject({ method: 'POST', url: '/privacy/cookies', headers: { ...FORM, host: 'shop.test', origin: 'http://evil.test' }, payload: 'from=banner&answer=accept' });
    assert.equal(crossSite.statusCode, 403);
    assert.equal(await recordCount(), before);
  });

  test('withdrawing expires the non-essential cookies at once, and the receipt lists every choice, newest first', async () => {
    const accepted = await choose({ from: 'banner', answer: 'accept' });
    let cookie = cookieHeader(accepted);
    const settings = await shop.app.inject({ url: '/privacy/cookies', headers: { ...PAGE, cookie } });
    assert.match(settings.body, /id="settings-experience" name="categories" value="experience" checked/);
    assert.match(settings.body, /<code>pledge_recent<\/code>/, 'the page lists the inventory');
    assert.equal(settings.headers['cache-control'], 'no-store');

    const withdrawn = await choose({ from: 'settings', answer: 'reject' }, { cookie: `${cookie}; pledge_recent=gentle-oat-cleanser` });
    assert.equal(withdrawn.headers.location, '/privacy/cookies?saved=1');
    const expired = withdrawn.cookies.find((c) => c.name === 'pledge_recent');
    assert.ok(expired, 'the recently-viewed cookie is expired in the same response');
    assert.equal(expired.value, '');
    assert.ok(expired.expires && expired.expires.getTime() <= Date.now());
    cookie = cookieHeader(withdrawn);

    const json = await shop.app.inject({ url: '/privacy/cookies/receipt.json', headers: { cookie } });
    assert.equal(json.statusCode, 200);
    assert.match(String(json.headers['content-disposition']), /attachment; filename="consent-receipt.json"/);
    const receipt = json.json() as { current: { method: string; refused: string[] }; records: { granted: string[]; method: string; policyRevision: string }[] };
    assert.deepEqual(receipt.records.map((r) => [r.method, r.granted]), [
      ['settings', ['essential']],
      ['banner', ['essential', 'performance', 'experience', 'preferences']],
    ]);
    assert.deepEqual(receipt.current.refused, ['performance', 'experience', 'preferences']);
    assert.equal(receipt.records[0]!.policyRevision, COOKIE_POLICY_REVISION);
    const readable = await shop.app.inject({ url: '/privacy/cookies/receipt', headers: { ...PAGE, cookie } });
    assert.match(readable.body, /Your consent receipt/);
    assert.equal((readable.body.match(/<tr><td>/g) ?? []).length, 2);
  });

  test('a GPC signal is a refusal, recorded once as the visitor’s choice; an opt-in made later with the signal on counts', async () => {
    const before = await recordCount();
    const first = await shop.app.inject({ url: '/', headers: { ...PAGE, 'sec-gpc': '1' } });
    assert.doesNotMatch(first.body, /consent-banner/, 'no banner: the signal is the answer');
    const choice = decodeChoice(shop.app.unsignCookie(first.cookies.find((c) => c.name === 'pledge_consent')!.value).value!)!;
    assert.deepEqual([choice.granted, choice.method], [[], 'gpc']);
    const cookie = cookieHeader(first);
    await shop.app.inject({ url: '/products/gentle-oat-cleanser', headers: { ...PAGE, 'sec-gpc': '1', cookie } });
    assert.equal(await recordCount(), before + 1, 'recorded once');

    const settings = await shop.app.inject({ url: '/privacy/cookies', headers: { ...PAGE, 'sec-gpc': '1', cookie } });
    assert.match(settings.body, /made with your browser’s Global Privacy Control signal: only essential cookies/);
    const optIn = await choose({ from: 'settings', answer: 'choose', categories: 'performance' }, { 'sec-gpc': '1', cookie });
    const after = decodeChoice(shop.app.unsignCookie(optIn.cookies.find((c) => c.name === 'pledge_consent')!.value).value!)!;
    assert.deepEqual([after.granted, after.underGpc, after.visitorId], [['performance'], true, choice.visitorId]);
  });

  test('an opt-in made without GPC gives way when the signal arrives: a refusal is recorded', async () => {
    const accepted = await choose({ from: 'banner', answer: 'accept' });
    const page = await shop.app.inject({ url: '/', headers: { ...PAGE, 'sec-gpc': '1', cookie: cookieHeader(accepted) } });
    const choice = decodeChoice(shop.app.unsignCookie(page.cookies.find((c) => c.name === 'pledge_consent')!.value).value!)!;
    assert.deepEqual([choice.granted, choice.method], [[], 'gpc']);
  });

  test('a choice made under an earlier cookie list does not count: the banner asks again', async () => {
    const stale = shop.app.signCookie(`${'a'.repeat(43)}.older-list.performance+experience+preferences.banner.-`);
    const page = await shop.app.inject({ url: '/', headers: { ...PAGE, cookie: `pledge_consent=${stale}` } });
    assert.match(page.body, /class="consent-banner"/);
    const forged = await shop.app.inject({ url: '/', headers: { ...PAGE, cookie: `pledge_consent=${'a'.repeat(43)}.${COOKIE_POLICY_REVISION}.performance.banner.-` } });
    assert.match(forged.body, /class="consent-banner"/, 'an unsigned cookie is no choice');
    // A genuine cookie, once seen, does not vouch for the same value under another signature.
    const genuine = (await choose({ from: 'banner', answer: 'accept' })).cookies.find((c) => c.name === 'pledge_consent')!.value;
    assert.doesNotMatch((await shop.app.inject({ url: '/', headers: { ...PAGE, cookie: `pledge_consent=${genuine}` } })).body, /class="consent-banner"/);
    const altered = `${genuine.slice(0, -1)}${genuine.endsWith('A') ? 'B' : 'A'}`;
    assert.match((await shop.app.inject({ url: '/', headers: { ...PAGE, cookie: `pledge_consent=${altered}` } })).body, /class="consent-banner"/);
  });

  test('a signed-in customer’s choice names their account, and their receipt shows it from any device', async () => {
    const customer = await signedInCustomer(shop, 'Grace Hopper', `grace.${randomUUID().slice(0, 6)}@example.com`);
    await choose({ from: 'banner', answer: 'reject' }, { cookie: customer.cookie });
    const receipt = await shop.app.inject({ url: '/privacy/cookies/receipt.json', headers: { cookie: customer.cookie } });
    assert.equal((receipt.json() as { records: unknown[] }).records.length, 1);
  });

  test('/.well-known/gpc.json says the signal is honoured', async () => {
    const response = await shop.app.inject('/.well-known/gpc.json');
    assert.equal(response.statusCode, 200);
    assert.equal((response.json() as { gpc: boolean }).gpc, true);
  });

  test('every cookie any response set is declared in the inventory', async () => {
    // The pages and forms that set cookies, besides those above: the cart, sign-in forms (CSRF) and the back office.
    await shop.app.inject({ method: 'POST', url: '/cart/items', headers: { ...FORM, ...SITE }, payload: 'slug=gentle-oat-cleanser&quantity=1' });
    await csrfFor(shop.app, '/account/login');
    await csrfFor(shop.app, '/account/register');
    await shop.app.inject('/admin/login');
    assert.ok(setCookies.has('pledge_cart') && setCookies.has('csrf') && setCookies.has('pledge_consent'));
    assert.deepEqual([...setCookies].filter((name) => !isDeclaredCookie(name)), []);
  });
});
