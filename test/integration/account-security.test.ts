import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { passwordWork } from '../../src/platform/secrets.ts';
import { LOCK_MS, signIn as staffSignIn } from '../../src/privacy/staff/service.ts';
import { SIGN_IN_LOCK, SIGN_IN_LOCKED } from '../../src/shop/accounts/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { customerDetails, paidOrder, staffSession } from '../support/backoffice.ts';
import { signedInCustomer, type SignedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { askAs, isAllowed, ROUTE_TABLE } from '../support/route-table.ts';
import { servedRoutes } from '../support/routes.ts';
import { csrfFor, startTestShop, type TestShop } from '../support/shop.ts';
import { CUSTOMER_PASSWORD } from '../support/customers.ts';
import { ACTORS, buildWorld, send, type World } from '../support/world.ts';

// Account security (issue 10). Whether an address has an account must not show: sign-in, password reset,
// registration, the privacy center's requests and the guest order look-up answer known and unknown addresses alike — status, headers,
// cookies and body, but for tokens and the address itself — and do the same work for both, counted in database
// statements and argon2 runs rather than timed. Sign-in is rate-limited per client and locks an address after
// repeated failures; signing in gives a new session and ends the old one; cookies are HttpOnly and SameSite, and in
// production also Secure, under HSTS, with a CSP without unsafe-inline on every page.

const hex = (n: number) => randomBytes(n).toString('hex').slice(0, n);

/** An answer with what differs between any two requests taken out: tokens, ids and ticket references, the address asked about, the date. */
function answer(response: LightMyRequestResponse, email: string) {
  const { date: _date, 'content-length': _length, 'set-cookie': _cookies, ...headers } = response.headers;
  return {
    status: response.statusCode,
    headers,
    cookies: response.cookies.map(({ value: _value, expires: _expires, ...attributes }) => attributes),
    body: response.body
      .replaceAll(email, 'EMAIL')
      .replace(/name="_csrf" value="[^"]+"/g, 'CSRF')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
      .replace(/T-\d+/g, 'T-REF'),
  };
}

forEachDatabase('account security', (kind) => {
  let shop: TestShop;
  let known: SignedInCustomer;
  before(async () => {
    // No job workers: what is counted is the request's own work.
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000' } });
    known = await signedInCustomer(shop, 'Kim Known', 'known.customer@example.com');
  });
  after(() => shop.stop());

  let client = 0;
  const address = () => `127.9.${Math.floor(++client / 250) % 250}.${(client % 250) + 1}`;

  /** A form post (url-encoded, CSRF token included) or a store API call, from an address of its own. */
  async function post(url: string, fields: Record<string, string | boolean>, options: { cookie?: string; from?: string } = {}) {
    if (url.startsWith('/api/')) {
      return shop.app.inject({ method: 'POST', url, remoteAddress: options.from ?? address(), headers: { 'content-type': 'application/json' }, payload: JSON.stringify(fields) });
    }
    const csrf = await csrfFor(shop.app, '/contact');
    return shop.app.inject({
      method: 'POST',
      url,
      remoteAddress: options.from ?? address(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [csrf.cookie, options.cookie].filter(Boolean).join('; ') },
      payload: new URLSearchParams({ ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])), _csrf: csrf.token }).toString(),
    });
  }

  /** The request's answer and the work it cost: statements sent to the database and argon2 runs. */
  async function measured(request: () => Promise<LightMyRequestResponse>) {
    const statements = shop.database.queries.count;
    const argon2 = passwordWork.count;
    const response = await request();
    return { response, work: { statements: shop.database.queries.count - statements, argon2: passwordWork.count - argon2 } };
  }

  /** Asks with a known address and an unknown one (of the same length), after one of each to warm up: same answer, same work. */
  async function alike(what: string, ask: (email: string) => Promise<LightMyRequestResponse>, knownEmail: string, unknownEmail: () => string) {
    await ask(knownEmail);
    await ask(unknownEmail());
    const other = unknownEmail();
    assert.equal(other.length, knownEmail.length, 'addresses of one length, so that lengths in the answer match');
    const k = await measured(() => ask(knownEmail));
    const u = await measured(() => ask(other));
    assert.ok(k.response.statusCode < 500, `${what}: ${k.response.statusCode} ${k.response.body.slice(0, 300)}`);
    assert.deepEqual(answer(u.response, other), answer(k.response, knownEmail), `${what}: the same answer`);
    assert.deepEqual(u.work, k.work, `${what}: the same work`);
    assert.ok(k.work.statements > 0, `${what}: the work was counted`);
    return k;
  }

  const unknownCustomer = () => `${hex(5)}.customer@example.com`;

  test('customer sign-in: a wrong password and an unknown address, on the form and the API', async () => {
    const form = await alike('sign-in form', (email) => post('/account/login', { email, password: 'not the password' }), known.email, unknownCustomer);
    assert.equal(form.response.statusCode, 401);
    assert.deepEqual(form.work.argon2, 1, 'one argon2 check either way');
    const api = await alike('POST /api/store/sessions', (email) => post('/api/store/sessions', { email, password: 'not the password' }), known.email, unknownCustomer);
    assert.equal(api.response.statusCode, 401);
  });

  test('password reset: one look-up and one job, known or not', async () => {
    const form = await alike('reset form', (email) => post('/account/reset', { email }), known.email, unknownCustomer);
    assert.equal(form.response.statusCode, 200);
    assert.equal(form.work.argon2, 0);
  });

  test('registration: an address with an account costs what a new one does', async () => {
    const fields = (email: string) => ({ name: 'Kim Known', email, password: 'another long password', adult: 'yes' });
    const form = await alike('registration form', (email) => post('/account/register', fields(email)), known.email, unknownCustomer);
    assert.equal(form.response.statusCode, 200);
    assert.equal(form.work.argon2, 1, 'the password is hashed either way');
    await alike('POST /api/store/customers', (email) => post('/api/store/customers', { name: 'Kim Known', email, password: 'another long password', adult: true }), known.email, unknownCustomer);
  });

  test('privacy-center requests: a copy or a deletion asked for an address, on the form, the API and the contact form', async () => {
    for (const kind of ['access', 'erasure']) {
      await alike(`privacy center, ${kind}`, (email) => post('/privacy-center/guest', { email, kind }), known.email, unknownCustomer);
      await alike(`POST /api/store/privacy/guest-requests, ${kind}`, (email) => post('/api/store/privacy/guest-requests', { email, kind }), known.email, unknownCustomer);
    }
    for (const privacyWish of ['copy', 'deletion']) {
      const contact = (email: string) => post('/contact', { name: 'Kim Known', email, topic: 'privacy_question', privacyWish, message: 'Please send me what you hold about me.' });
      await alike(`contact form, ${privacyWish}`, contact, known.email, unknownCustomer);
    }
  });

  test('guest order look-up: a number and address that match cost what any other pair does', async () => {
    const placed = await paidOrder(shop, { 'tinted-lip-balm': 1 }, customerDetails('order.customer@example.com'));
    const lookUp = (email: string) => post('/orders/lookup', { number: placed.number, email });
    const form = await alike('order look-up', lookUp, 'order.customer@example.com', () => `${hex(5)}.customer@example.com`);
    assert.equal(form.response.statusCode, 200);
  });

  test('staff sign-in: a wrong password and an unknown address', async () => {
    const staff = await staffSession(shop.runtime, ['support']);
    const [, domain] = staff.email.split('@') as [string, string];
    const other = () => `support-${hex(8)}@${domain}`;
    const form = await alike('staff sign-in', (email) => post('/admin/login', { email, password: 'not the password', code: staff.code() }), staff.email, other);
    assert.equal(form.response.statusCode, 401);
    assert.equal(form.work.argon2, 1);
  });

  test(`a customer address is locked after ${SIGN_IN_LOCK.max} failures, known or not, whoever sends them, for 15 minutes`, async () => {
    const victim = await signedInCustomer(shop, 'Val Victim', 'victim.customer@example.com');
    const stranger = 'strangercustomer@example.com';
    for (let i = 0; i < SIGN_IN_LOCK.max; i++) {
      for (const email of [victim.email, stranger]) assert.equal((await post('/account/login', { email, password: `guess number ${i}` })).statusCode, 401);
    }
    const locked = await post('/account/login', { email: victim.email, password: CUSTOMER_PASSWORD });
    assert.equal(locked.statusCode, 429, 'even the right password waits');
    assert.ok(locked.body.includes(SIGN_IN_LOCKED));
    assert.equal(locked.cookies.find((c) => c.name === 'pledge_session'), undefined);
    const lockedStranger = await post('/account/login', { email: stranger, password: 'any password' });
    assert.deepEqual(answer(lockedStranger, stranger), answer(locked, victim.email), 'a lock tells no one whether there is an account');
    const api = await post('/api/store/sessions', { email: victim.email, password: CUSTOMER_PASSWORD });
    assert.equal(api.statusCode, 429);
    assert.equal(api.json().error.code, 'sign_in_locked');

    shop.clock.advance(SIGN_IN_LOCK.lockMs + 1000);
    const after = await post('/account/login', { email: victim.email, password: CUSTOMER_PASSWORD });
    assert.equal(after.statusCode, 303, 'the lock ends');
  });

  test('sign-in forms take ten tries a minute from one client', async () => {
    // Each with an address of its own: ten failures also lock the address they were made with.
    for (const [url, fields] of [
      ['/account/login', { email: 'rate.form@example.com', password: 'not the password' }],
      ['/api/store/sessions', { email: 'rate.api@example.com', password: 'not the password' }],
      ['/admin/login', { email: 'rate.staff@example.com', password: 'not the password', code: '123456' }],
    ] as const) {
      const from = address();
      const statuses = [];
      for (let i = 0; i < 11; i++) statuses.push((await post(url, fields, { from })).statusCode);
      assert.deepEqual(statuses, [...Array(10).fill(401), 429], url);
    }
  });

  test('a staff account locks after five failures, even when they arrive at once', async () => {
    const staff = await staffSession(shop.runtime, ['fulfilment']);
    const ctx = shopContext(shop.runtime);
    const failures = await Promise.all(Array.from({ length: 5 }, () => staffSignIn(ctx, { email: staff.email, password: 'not the password', code: staff.code() })));
    assert.ok(failures.every((f) => !f.ok));
    assert.equal((await staffSignIn(ctx, { email: staff.email, password: staff.password, code: staff.code() })).ok, false, 'locked: the right details wait');
    shop.clock.advance(LOCK_MS + 60_000);
    assert.equal((await staffSignIn(ctx, { email: staff.email, password: staff.password, code: staff.code() })).ok, true, 'unlocked after the lock period');
  });

  test('signing in rotates the session: a new cookie, and the old one no longer works', async () => {
    const session = (r: LightMyRequestResponse, name: string) => r.cookies.find((c) => c.name === name)?.value;
    const first = session(await post('/account/login', { email: known.email, password: CUSTOMER_PASSWORD }), 'pledge_session')!;
    const again = await post('/account/login', { email: known.email, password: CUSTOMER_PASSWORD }, { cookie: `pledge_session=${first}` });
    const second = session(again, 'pledge_session')!;
    assert.ok(first && second && first !== second);
    assert.equal((await shop.app.inject({ url: '/account', headers: { cookie: `pledge_session=${first}` } })).headers.location, '/account/login', 'the old session ended');
    assert.equal((await shop.app.inject({ url: '/account', headers: { cookie: `pledge_session=${second}` } })).statusCode, 200);

    const staff = await staffSession(shop.runtime, ['admin']);
    const planted = `pledge_staff=${staff.token}`;
    const signedIn = await post('/admin/login', { email: staff.email, password: staff.password, code: staff.code() }, { cookie: planted });
    const fresh = session(signedIn, 'pledge_staff')!;
    assert.ok(fresh && fresh !== staff.token);
    assert.equal((await shop.app.inject({ url: '/admin', headers: { cookie: planted } })).headers.location, '/admin/login', 'the old staff session ended');
    assert.equal((await shop.app.inject({ url: '/admin', headers: { cookie: `pledge_staff=${fresh}` } })).statusCode, 200);
  });
});

// Production: every route of the route table, asked as the actor it is for, answers under HSTS and a CSP without
// unsafe-inline, and every cookie set on the way is Secure, HttpOnly and SameSite.
forEachDatabase('account security in production', (kind) => {
  let shop: TestShop;
  let world: World;
  before(async () => {
    shop = await startTestShop(kind, {
      env: { NODE_ENV: 'production', PLEDGE_BASE_URL: 'https://shop.example.com', SMTP_URL: 'smtp://127.0.0.1:2525', PLEDGE_ALLOW_PGLITE: 'true', PLEDGE_FORM_RATE_LIMIT: '100000' },
    });
    world = await buildWorld(shop);
  });
  after(() => shop.stop());

  test('HSTS and a CSP without unsafe-inline on every answer; Secure, HttpOnly, SameSite cookies', async () => {
    const wrong: string[] = [];
    const seen = new Set<string>();
    const check = (what: string, response: LightMyRequestResponse) => {
      if (!/max-age=31536000; includeSubDomains/.test(String(response.headers['strict-transport-security']))) wrong.push(`${what}: no HSTS`);
      const csp = String(response.headers['content-security-policy'] ?? '');
      if (!/script-src 'self'/.test(csp) || /unsafe-inline|unsafe-eval/.test(csp)) wrong.push(`${what}: CSP ${csp}`);
      for (const cookie of response.cookies.filter((c) => c.value !== '')) {
        seen.add(cookie.name);
        if (!cookie.secure || !cookie.httpOnly || !['Strict', 'Lax'].includes(String(cookie.sameSite))) wrong.push(`${what}: cookie ${cookie.name} ${JSON.stringify({ ...cookie, value: undefined })}`);
      }
    };
    for (const key of servedRoutes(shop.app)) {
      const entry = ROUTE_TABLE[key];
      if (!entry) continue;
      const actor = ACTORS.find((a) => isAllowed(entry.allow, a)) ?? 'visitor';
      check(key, await askAs(world, key, actor, entry.allow === 'pass' ? await entry.pass!(world) : undefined));
    }
    check('customer sign-in', await send(world, { method: 'POST', url: '/account/login', cookie: world.cookies.visitor, body: { email: world.a.email, password: CUSTOMER_PASSWORD } }));
    const staff = await staffSession(shop.runtime, ['admin']);
    check('staff sign-in', await send(world, { method: 'POST', url: '/admin/login', cookie: world.cookies.visitor, body: { email: staff.email, password: staff.password, code: staff.code() } }));
    check('a form on a first visit', await send(world, { method: 'GET', url: '/contact', cookie: '' }));
    check('a page that is not there', await send(world, { method: 'GET', url: '/no/such/page', cookie: '' }));
    check('an address that is not valid', await send(world, { method: 'GET', url: '/products/%E0%A4%A', cookie: '' }));
    assert.deepEqual(wrong, []);
    for (const name of ['__Host-csrf', 'pledge_session', 'pledge_staff', 'pledge_cart', 'pledge_consent', 'pledge_ticket', 'pledge_order']) assert.ok(seen.has(name), `${name} was set and checked`);
  });
});
