import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { customers } from '../../src/shop/accounts/schema.ts';
import { PASSWORD_RESET_JOB, RESET_VALID_MS, VERIFY_VALID_MS } from '../../src/shop/accounts/service.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, jobsSettled, linkFrom, mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

forEachDatabase('customer accounts', (kind) => {
  let shop: TestShop;
  before(async () => {
    // Reset links are mailed by a job.
    shop = await startTestShop(kind, { seed: false, work: true });
  });
  after(() => shop.stop());

  let client = 0;
  async function post(url: string, payload: Record<string, string>, cookie?: string) {
    const csrf = await csrfFor(shop.app, '/account/login');
    return shop.app.inject({
      method: 'POST',
      url,
      remoteAddress: `127.1.${Math.floor(++client / 250)}.${(client % 250) + 1}`,
      headers: { cookie: [csrf.cookie, cookie].filter(Boolean).join('; ') },
      payload: { ...payload, _csrf: csrf.token },
    });
  }

  const sessionOf = (response: { cookies: { name: string; value: string }[] }) => {
    const c = response.cookies.find((x) => x.name === 'pledge_session');
    return c ? `pledge_session=${c.value}` : undefined;
  };

  const ada = { name: 'Ada Lovelace', email: 'ada@example.com', password: 'analytical engine', adult: 'yes' };

  test('registration needs every field and a confirmation of adulthood, and keeps what was typed', async () => {
    const response = await post('/account/register', { name: '', email: 'not-an-address', password: 'short' });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /Enter your name/);
    assert.match(response.body, /Enter an e-mail address/);
    assert.match(response.body, /Use at least 10 characters/);
    assert.match(response.body, /You must be 18 or older/);
    assert.match(response.body, /value="not-an-address"/);
    assert.doesNotMatch(response.body, /value="short"/, 'passwords are never sent back');
    assert.equal((await shop.database.db.select().from(customers)).length, 0, 'nothing written');
  });

  test('a new account is verified through a single-use e-mail link before it can sign in', async () => {
    const registered = await post('/account/register', ada);
    assert.equal(registered.statusCode, 200);
    assert.match(registered.body, /Check your inbox/);
    const [row] = await shop.database.db.select().from(customers);
    assert.ok(row!.adultConfirmedAt, 'adulthood confirmation recorded');
    assert.ok(!row!.email.includes(Buffer.from(ada.email)) && !row!.name.includes(Buffer.from(ada.name)), 'sealed at rest');

    const early = await post('/account/login', { email: ada.email, password: ada.password });
    assert.equal(early.statusCode, 401);
    assert.match(early.body, /Confirm your e-mail address first/);
    assert.equal(sessionOf(early), undefined);

    const link = await linkFrom(shop, ada.email, /\/account\/verify\//);
    assert.equal((await shop.app.inject(link)).statusCode, 200);
    assert.equal((await shop.app.inject(link)).statusCode, 404, 'the link works once');

    const signedIn = await post('/account/login', { email: ' ADA@example.com ', password: ada.password });
    assert.equal(signedIn.statusCode, 303);
    const cookie = sessionOf(signedIn)!;
    const account = await shop.app.inject({ url: '/account', headers: { cookie } });
    assert.match(account.body, /ada@example\.com/);
    assert.match(account.body, /value="Ada Lovelace"/);
  });

  test('registering an address that has an account answers the same and mails the owner instead', async () => {
    const before = (await mailsTo(shop, ada.email)).length;
    const again = await post('/account/register', { ...ada, name: 'Someone Else', password: 'another password' });
    assert.equal(again.statusCode, 200);
    assert.match(again.body, /Check your inbox/);
    const mails = await mailsTo(shop, ada.email);
    assert.equal(mails.length, before + 1);
    assert.match(mails.at(-1)!.subject, /Your .* account/);
    assert.equal((await shop.database.db.select().from(customers)).length, 1);
  });

  test('a wrong password and an unknown address get the same answer', async () => {
    const wrong = await post('/account/login', { email: ada.email, password: 'not the password' });
    const unknown = await post('/account/login', { email: 'nobody@example.com', password: 'not the password' });
    assert.equal(wrong.statusCode, 401);
    assert.equal(unknown.statusCode, 401);
    const strip = (body: string) => body.replace(/name="_csrf" value="[^"]+"/, '').replace(/value="[^"]*@example\.com"/, '');
    assert.equal(strip(wrong.body), strip(unknown.body));
  });

  test('profile edits are saved sealed, and bad input is refused', async () => {
    const cookie = sessionOf(await post('/account/login', { email: ada.email, password: ada.password }))!;
    const bad = await post('/account/profile', { name: '   ' }, cookie);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Enter your name/);
    const saved = await post('/account/profile', { name: 'Augusta Ada King' }, cookie);
    assert.equal(saved.statusCode, 303);
    const account = await shop.app.inject({ url: '/account?saved=1', headers: { cookie } });
    assert.match(account.body, /value="Augusta Ada King"/);
    assert.match(account.body, /Your details were saved/);
    const anonymous = await post('/account/profile', { name: 'Mallory' });
    assert.equal(anonymous.headers.location, '/account/login');
  });

  test('password reset: same answer for any address, single-use expiring link, signs out everywhere', async () => {
    const cookie = sessionOf(await post('/account/login', { email: ada.email, password: ada.password }))!;
    shop.clock.advance(1000); // mails are listed by the time they were written: the reset link's is the newest
    const known = await post('/account/reset', { email: ada.email });
    const unknown = await post('/account/reset', { email: 'nobody@example.com' });
    assert.equal(known.statusCode, 200);
    assert.equal(unknown.statusCode, 200);
    assert.equal(known.body.replace(ada.email, 'X'), unknown.body.replace('nobody@example.com', 'X'));
    await jobsSettled(shop, PASSWORD_RESET_JOB);
    assert.equal((await mailsTo(shop, 'nobody@example.com')).length, 0);
    const link = await linkFrom(shop, ada.email, /\/account\/reset\//);

    const mismatch = await post(link, { password: 'a new password', confirm: 'different one' });
    assert.equal(mismatch.statusCode, 400);
    assert.match(mismatch.body, /do not match/);
    const done = await post(link, { password: 'a brand new password', confirm: 'a brand new password' });
    assert.equal(done.statusCode, 200);
    assert.equal((await post(link, { password: 'yet another one!', confirm: 'yet another one!' })).statusCode, 404, 'single use');
    assert.equal((await shop.app.inject({ url: '/account', headers: { cookie } })).headers.location, '/account/login', 'old sessions ended');
    assert.equal((await post('/account/login', { email: ada.email, password: ada.password })).statusCode, 401);
    assert.equal((await post('/account/login', { email: ada.email, password: 'a brand new password' })).statusCode, 303);

    shop.clock.advance(1000); // mails are listed by the time they were written
    await post('/account/reset', { email: ada.email });
    await jobsSettled(shop, PASSWORD_RESET_JOB);
    const late = await linkFrom(shop, ada.email, /\/account\/reset\//);
    assert.notEqual(late, link, 'a new link');
    shop.clock.advance(RESET_VALID_MS + 1000);
    assert.equal((await shop.app.inject(late)).statusCode, 404, 'expired');
  });

  test('verification links expire, and malformed tokens are 404s', async () => {
    await post('/account/register', { name: 'Grace Hopper', email: 'grace@example.com', password: 'cobol compiler', adult: 'yes' });
    const link = await linkFrom(shop, 'grace@example.com', /\/account\/verify\//);
    shop.clock.advance(VERIFY_VALID_MS + 1000);
    assert.equal((await shop.app.inject(link)).statusCode, 404);
    assert.equal((await shop.app.inject('/account/verify/short')).statusCode, 404);
    assert.equal((await shop.app.inject('/account/reset/%3Cscript%3E')).statusCode, 404);
  });

  test('sign-out ends the session', async () => {
    const cookie = sessionOf(await post('/account/login', { email: ada.email, password: 'a brand new password' }))!;
    const out = await post('/account/logout', {}, cookie);
    assert.equal(out.statusCode, 303);
    assert.equal((await shop.app.inject({ url: '/account', headers: { cookie } })).headers.location, '/account/login');
  });
});

forEachDatabase('cart on sign-in', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind);
  });
  after(() => shop.stop());

  test('what a visitor put in the cart joins the account’s cart at sign-in, and the cart cookie goes', async () => {
    const register = await csrfFor(shop.app, '/account/register');
    await shop.app.inject({ method: 'POST', url: '/account/register', headers: { cookie: register.cookie }, payload: { name: 'Emmy Noether', email: 'emmy@example.com', password: 'invariant rings', adult: 'yes', _csrf: register.token } });
    await shop.app.inject(await linkFrom(shop, 'emmy@example.com', /\/account\/verify\//));

    const added = await shop.app.inject({ method: 'POST', url: '/cart/items', headers: { host: 'shop.test', origin: 'http://shop.test' }, payload: { slug: 'velvet-matte-lipstick', quantity: '2' } });
    assert.equal(added.statusCode, 303);
    const cart = added.cookies.find((c) => c.name === 'pledge_cart')!;
    const login = await csrfFor(shop.app, '/account/login');
    const signedIn = await shop.app.inject({
      method: 'POST',
      url: '/account/login',
      headers: { cookie: `${login.cookie}; pledge_cart=${cart.value}` },
      payload: { email: 'emmy@example.com', password: 'invariant rings', _csrf: login.token },
    });
    assert.equal(signedIn.statusCode, 303);
    const cleared = signedIn.cookies.find((c) => c.name === 'pledge_cart');
    assert.equal(cleared?.value, '', 'the visitor cart cookie is cleared');
    const session = signedIn.cookies.find((c) => c.name === 'pledge_session')!;
    const page = await shop.app.inject({ url: '/cart', headers: { cookie: `pledge_session=${session.value}` } });
    assert.match(page.body, /Velvet Matte Lipstick/);
    assert.match(page.body, /\$48\.00/);
    const visitorView = await shop.app.inject({ url: '/cart', headers: { cookie: `pledge_cart=${cart.value}` } });
    assert.doesNotMatch(visitorView.body, /Velvet Matte Lipstick/, 'the visitor cart is gone');
  });
});
