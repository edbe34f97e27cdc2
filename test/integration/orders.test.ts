import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { addItem, type CartOwner } from '../../src/shop/cart/service.ts';
import { products } from '../../src/shop/catalog/schema.ts';
import { formatPrice } from '../../src/shop/catalog/service.ts';
import { payOrder, placeOrder, type CheckoutDetails } from '../../src/shop/checkout/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { ORDER_LINK_JOB, PASS_VALID_MS } from '../../src/shop/orders/service.ts';
import { THANK_YOU_WITHIN_MS } from '../../src/shop/orders/views.ts';
import { cardSchema } from '../../src/shop/payments/testpay/service.ts';
import { signedInCustomer, type SignedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, jobsSettled, linkFrom, mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// The customer's side of orders: the detail page for owners and pass holders, the history, the guest look-up and
// its single-use links. Orders are made through the checkout services, not the checkout pages.

const SLUG = 'hyaluronic-water-gel';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const detailsFor = (email: string, recipientName: string): CheckoutDetails => ({
  email,
  address: { recipientName, line1: '1 Market St', line2: 'Apt 4', city: 'San Francisco', region: 'CA', postcode: '94105', country: 'US', phone: '+1 555 0100' },
  shippingOption: 'standard',
});

forEachDatabase('customer orders', (kind) => {
  let shop: TestShop;
  before(async () => {
    // The look-up's links are mailed by a job.
    shop = await startTestShop(kind, { work: true });
    await shop.database.db.update(products).set({ stock: 1000 }).where(eq(products.slug, SLUG));
  });
  after(() => shop.stop());

  const ctx = () => shopContext(shop.runtime);
  const card = (number: string) => ctx().payments.tokenize(cardSchema(shop.clock.now()).parse({ number, expMonth: '12', expYear: '2030', cvc: '123' })).token;

  /** Places an order of `quantity` gels for a customer or a new guest; pays it unless told not to. */
  async function order(who: SignedInCustomer | { guest: string }, options: { quantity?: number; pay?: boolean } = {}) {
    const owner: CartOwner = 'guest' in who ? { visitorToken: undefined } : { customerId: who.customerId };
    const added = await addItem(ctx(), owner, { slug: SLUG, quantity: options.quantity ?? 2 });
    assert.ok(added.ok);
    const cartOwner = 'guest' in who ? { visitorToken: added.visitorToken } : owner;
    const email = 'guest' in who ? who.guest : who.email;
    const placed = await placeOrder(ctx(), cartOwner, detailsFor(email, 'Ada Lovelace'), { checkoutKey: randomUUID() });
    assert.ok(placed.ok);
    if (options.pay !== false) assert.ok((await payOrder(ctx(), placed.orderId, card('4242 4242 4242 4242'))).ok);
    return { ...placed, passCookie: placed.passToken ? `pledge_order=${placed.passToken}` : undefined };
  }

  const get = (url: string, cookie?: string) => shop.app.inject({ url, headers: cookie ? { cookie } : {} });
  // 404 pages differ only by their request reference.
  const notFoundPage = (body: string) => body.replace(/Reference: [^<]+/, '');

  let client = 0;
  async function lookUp(fields: Record<string, string>, remoteAddress = `127.3.0.${++client}`) {
    const csrf = await csrfFor(shop.app, '/orders/lookup');
    return shop.app.inject({
      method: 'POST',
      url: '/orders/lookup',
      remoteAddress,
      headers: { ...FORM, cookie: csrf.cookie },
      payload: new URLSearchParams({ ...fields, _csrf: csrf.token }).toString(),
    });
  }

  test('the owner sees their order with its details opened, and a thank-you while the payment is fresh', async () => {
    const ada = await signedInCustomer(shop, 'Ada Lovelace', 'ada@example.com');
    const placed = await order(ada);
    const page = await get(`/account/orders/${placed.number}`, ada.cookie);
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    const body = page.body;
    assert.match(body, new RegExp(`<h1>Order ${placed.number}</h1>`));
    assert.match(body, /Thank you — we have your payment/);
    assert.match(body, /Status: <strong>Paid<\/strong>/);
    assert.match(body, /<li class="done" aria-current="step">Paid/);
    assert.match(body, /<li class="todo">Shipped/);
    assert.match(body, /Hyaluronic Water Gel/i);
    assert.match(body, /<td>2<\/td>/);
    assert.match(body, /Ada Lovelace<br>1 Market St<br>Apt 4<br>San Francisco CA 94105<br>United States<br>Phone: \+1 555 0100/);
    assert.match(body, /Visa ending in 4242/);
    assert.match(body, /Tax \(7\.25 %\)/);
    assert.match(body, /Standard delivery/);
    const [row] = await shop.database.db.select().from(orders).where(eq(orders.id, placed.orderId));
    assert.ok(body.includes(formatPrice(row!.totalCents)) && body.includes(formatPrice(row!.subtotalCents)));
    assert.match(body, /Order placed/);
    assert.match(body, /Payment received/);
    assert.doesNotMatch(body, /Pay now|Request a return/);

    shop.clock.advance(THANK_YOU_WITHIN_MS);
    assert.doesNotMatch((await get(`/account/orders/${placed.number}`, ada.cookie)).body, /Thank you/, 'the thank-you is for the moment of paying');
    assert.match((await get('/account', ada.cookie)).body, /href="\/account\/orders"/, 'the account page links to the orders');
  });

  test('no one else learns that an order exists: the same 404 as an unknown number', async () => {
    const owner = await signedInCustomer(shop, 'Olive Owner', 'olive@example.com');
    const other = await signedInCustomer(shop, 'Mallory Other', 'mallory@example.com');
    const placed = await order(owner);
    const guest = await order({ guest: 'guest-one@example.com' });
    const unknown = notFoundPage((await get('/account/orders/P999999999', other.cookie)).body);

    for (const [url, cookie] of [
      [`/account/orders/${placed.number}`, other.cookie],
      [`/account/orders/${guest.number}`, other.cookie],
      [`/orders/${placed.number}`, undefined],
      [`/orders/${guest.number}`, undefined],
      [`/orders/${guest.number}`, owner.cookie],
      [`/orders/${placed.number}`, guest.passCookie],
      [`/orders/${guest.number}`, 'pledge_order=not-a-pass'],
    ] as const) {
      const response = await get(url, cookie);
      assert.equal(response.statusCode, 404, url);
      assert.equal(notFoundPage(response.body), unknown, url);
    }
    const signedOut = await get(`/account/orders/${placed.number}`);
    assert.equal(signedOut.statusCode, 303);
    assert.equal(signedOut.headers.location, '/account/login');
    assert.equal((await get('/account/orders/P999999999')).headers.location, '/account/login', 'the same for any number');
  });

  test('a guest holding the pass from checkout sees their order; unpaid, it offers to pay', async () => {
    const placed = await order({ guest: 'guest-two@example.com' }, { pay: false });
    const unpaid = await get(`/orders/${placed.number}`, placed.passCookie);
    assert.equal(unpaid.statusCode, 200);
    assert.match(unpaid.body, /Status: <strong>Awaiting payment<\/strong>/);
    assert.match(unpaid.body, new RegExp(`<a class="button" href="/checkout/pay/${placed.number}">Pay now</a>`));
    assert.match(unpaid.body, /Not paid yet/);
    assert.doesNotMatch(unpaid.body, /Thank you/);

    assert.ok((await payOrder(ctx(), placed.orderId, card('4242424242424242'))).ok);
    const paid = await get(`/orders/${placed.number.toLowerCase()}`, placed.passCookie);
    assert.match(paid.body, /Thank you — we have your payment\. A confirmation is on its way to guest-two@example\.com/);
    assert.doesNotMatch(paid.body, /Pay now/);
  });

  test('a delivered order shows its tracking and offers a return, to customers and guests each their own way', async () => {
    const ada = await signedInCustomer(shop, 'Ada Byron', 'ada.byron@example.com');
    const mine = await order(ada);
    const guest = await order({ guest: 'guest-three@example.com' });
    const now = shop.clock.now();
    for (const id of [mine.orderId, guest.orderId]) {
      await shop.database.db
        .update(orders)
        .set({ status: 'delivered', packedAt: now, shippedAt: now, deliveredAt: now, carrier: 'TestShip', trackingNumber: 'TS123456789' })
        .where(eq(orders.id, id));
    }
    const customerPage = (await get(`/account/orders/${mine.number}`, ada.cookie)).body;
    assert.match(customerPage, /Tracking number: <strong>TS123456789<\/strong> \(TestShip\)/);
    assert.match(customerPage, new RegExp(`href="/account/orders/${mine.number}/return">Request a return`));
    assert.match(customerPage, /<li class="done" aria-current="step">Delivered/);
    const guestPage = (await get(`/orders/${guest.number}`, guest.passCookie)).body;
    assert.match(guestPage, new RegExp(`href="/orders/${guest.number}/return">Request a return`));

    await shop.database.db.update(orders).set({ status: 'cancelled', cancelledAt: now }).where(eq(orders.id, guest.orderId));
    const cancelled = (await get(`/orders/${guest.number}`, guest.passCookie)).body;
    assert.match(cancelled, /<li class="done" aria-current="step">Cancelled/);
    assert.doesNotMatch(cancelled, /Request a return|Pay now/);
  });

  test('the history lists only the customer’s own orders, newest first', async () => {
    const ada = await signedInCustomer(shop, 'Ada King', 'ada.king@example.com');
    const bob = await signedInCustomer(shop, 'Bob Other', 'bob@example.com');
    const empty = await get('/account/orders', ada.cookie);
    assert.match(empty.body, /You have not ordered anything yet/);
    const first = await order(ada, { quantity: 1 });
    shop.clock.advance(60_000);
    const theirs = await order(bob);
    shop.clock.advance(60_000);
    const second = await order(ada, { quantity: 3 });

    const page = await get('/account/orders', ada.cookie);
    assert.equal(page.statusCode, 200);
    const listed = [...page.body.matchAll(/href="\/account\/orders\/(P\d+)"/g)].map((m) => m[1]);
    assert.deepEqual(listed, [second.number, first.number]);
    assert.ok(!page.body.includes(theirs.number));
    assert.match(page.body, new RegExp(`${second.number}</a></td><td><time[^>]*>[^<]+</time></td><td>Paid</td><td>3</td><td>${formatPrice(second.totalCents).replace('$', '\\$')}</td>`));
    assert.equal((await get('/account/orders')).headers.location, '/account/login');
  });

  test('guest look-up: the same answer whether or not the details match, and only a match sends a mail', async () => {
    const email = 'grace@example.com';
    const placed = await order({ guest: email });
    const before = { grace: (await mailsTo(shop, email)).length, other: (await mailsTo(shop, 'mallory@example.net')).length };

    const form = await get(`/orders/lookup?number=${placed.number}`);
    assert.match(form.body, new RegExp(`name="number" type="text" value="${placed.number}"`));
    assert.match((await get('/account/login')).body, /href="\/orders\/lookup">Find an order/);

    shop.clock.advance(1000); // mails are listed by the time they were written: the link's comes after the order's
    const answers = await Promise.all([
      lookUp({ number: placed.number, email: 'mallory@example.net' }),
      lookUp({ number: 'P999999999', email }),
      lookUp({ number: placed.number.slice(1), email: ` ${email.toUpperCase()} ` }),
    ]);
    for (const answer of answers) {
      assert.equal(answer.statusCode, 200);
      assert.equal(answer.body, answers[0]!.body);
    }
    assert.match(answers[0]!.body, /If the number and address match an order, we have sent a link to that address/);
    await jobsSettled(shop, ORDER_LINK_JOB);
    assert.equal((await mailsTo(shop, 'mallory@example.net')).length, before.other);
    const mails = await mailsTo(shop, email);
    assert.equal(mails.length, before.grace + 1, 'one mail, for the match');
    assert.match(mails.at(-1)!.text, /\/orders\/access\//);

    const invalid = await lookUp({ number: '', email: 'not-an-address' });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /Enter the order number from your confirmation/);
    assert.match(invalid.body, /Enter an e-mail address/);
    assert.match(invalid.body, /value="not-an-address"/);
  });

  test('one client may look up ten orders a minute', async () => {
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await lookUp({ number: `P${900000 + i}`, email: 'guessing@example.net' }, '127.3.1.1')).statusCode);
    assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
  });

  test('the mailed link opens the order once and leaves a pass in the browser', async () => {
    const email = 'hedy@example.com';
    const placed = await order({ guest: email });
    await lookUp({ number: placed.number, email });
    await jobsSettled(shop, ORDER_LINK_JOB);
    const link = await linkFrom(shop, email, /\/orders\/access\//);

    const opened = await get(link);
    assert.equal(opened.statusCode, 303);
    assert.equal(opened.headers.location, `/orders/${placed.number}`);
    const pass = opened.cookies.find((c) => c.name === 'pledge_order');
    assert.ok(pass);
    assert.equal(pass.httpOnly, true);
    assert.equal(pass.sameSite, 'Lax');
    assert.equal(pass.path, '/');
    assert.equal(pass.maxAge, PASS_VALID_MS.session / 1000);
    const page = await get(`/orders/${placed.number}`, `pledge_order=${pass.value}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /1 Market St/);
    assert.match(page.body, /Visa ending in 4242/);

    const again = await get(link);
    assert.equal(again.statusCode, 404);
    assert.match(again.body, /This link is not valid/);
    assert.match(again.body, /href="\/orders\/lookup">Ask for a new link/);
    assert.equal(again.cookies.length, 0);
    assert.equal((await get('/orders/access/made-up')).statusCode, 404);
  });

  test('a link older than 7 days no longer opens the order', async () => {
    const email = 'katherine@example.com';
    const placed = await order({ guest: email });
    await lookUp({ number: placed.number, email });
    await jobsSettled(shop, ORDER_LINK_JOB);
    const link = await linkFrom(shop, email, /\/orders\/access\//);
    shop.clock.advance(8 * 24 * 60 * 60 * 1000);
    const late = await get(link);
    assert.equal(late.statusCode, 404);
    assert.match(late.body, /Ask for a new link/);
  });
});
