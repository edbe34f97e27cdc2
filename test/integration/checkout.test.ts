import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { addAddress } from '../../src/shop/accounts/addresses.ts';
import { viewCart } from '../../src/shop/cart/service.ts';
import { products } from '../../src/shop/catalog/schema.ts';
import { formatPrice } from '../../src/shop/catalog/service.ts';
import { taxOn } from '../../src/shop/checkout/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { payments, testpayCharges } from '../../src/shop/payments/schema.ts';
import { forEachDatabase } from '../support/databases.ts';
import { signedInCustomer } from '../support/customers.ts';
import { mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// Checkout through HTTP as a browser with JavaScript off goes through it: the details form, the pay page whose card
// form posts to TestPay, the review page, and the pay button.

const SITE = { host: 'shop.test', origin: 'http://shop.test' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const CARD = { expMonth: '12', expYear: '2030', cvc: '123' };
const VISA = '4242 4242 4242 4242';
const DECLINED = '4000 0000 0000 0002';
const LUHN_TYPO = '4242 4242 4242 4241';
const FORM_EXPIRED = 'This form has expired. Check your details and continue again.';

const details = (email: string) => ({
  email,
  recipientName: 'Ada Lovelace',
  line1: '1 Market St',
  line2: 'Suite 300',
  city: 'San Francisco',
  region: 'CA',
  postcode: '94105',
  country: 'US',
  phone: '',
  shippingOption: 'standard',
});

/** The hidden fields of the form posting to `action` (exactly), as a browser would send them. */
function hiddenFields(body: string, action: string): Record<string, string> {
  const start = body.indexOf(`action="${action}"`);
  assert.ok(start >= 0, `the page has a form posting to ${action}`);
  const form = body.slice(start, body.indexOf('</form>', start));
  return Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
}

const errorBeside = (body: string, field: string) => new RegExp(`id="f-${field}-error">([^<]*)<`).exec(body)?.[1];

forEachDatabase('checkout pages', (kind) => {
  let shop: TestShop;
  before(async () => {
    // Many forms are posted from one test address; the per-client limits are not what this file tests.
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000' } });
  });
  after(() => shop.stop());

  const ctx = () => shopContext(shop.runtime);
  const db = () => shop.database.db;
  let client = 0;
  const nextAddress = () => `10.9.${Math.floor(++client / 250)}.${(client % 250) + 1}`;

  /** A browser: a cookie jar and a client address of its own for each request (TestPay limits attempts per client). */
  function browser() {
    const jar = new Map<string, string>();
    const remember = (response: LightMyRequestResponse) => {
      for (const c of response.cookies) {
        if (c.expires && c.expires.getTime() <= Date.now()) jar.delete(c.name);
        else jar.set(c.name, c.value);
      }
      return response;
    };
    const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    return {
      jar,
      get: async (url: string) => remember(await shop.app.inject({ url, headers: { ...SITE, cookie: cookie() } })),
      post: async (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
        remember(
          await shop.app.inject({
            method: 'POST',
            url,
            remoteAddress: nextAddress(),
            headers: { ...SITE, ...FORM, cookie: cookie(), ...headers },
            payload: new URLSearchParams(fields).toString(),
          }),
        ),
    };
  }
  type Browser = ReturnType<typeof browser>;

  async function withCart(b: Browser, lines: Record<string, number>): Promise<Browser> {
    for (const [slug, quantity] of Object.entries(lines)) {
      shop.clock.advance(1000);
      const added = await b.post('/cart/items', { slug, quantity: String(quantity) });
      assert.equal(added.statusCode, 303, added.body);
    }
    return b;
  }

  async function checkoutForm(b: Browser): Promise<{ body: string; hidden: Record<string, string> }> {
    const page = await b.get('/checkout');
    assert.equal(page.statusCode, 200);
    return { body: page.body, hidden: hiddenFields(page.body, '/checkout') };
  }

  async function place(b: Browser, email: string): Promise<string> {
    const { hidden } = await checkoutForm(b);
    const placed = await b.post('/checkout', { ...hidden, ...details(email) });
    assert.equal(placed.statusCode, 303, placed.body);
    const number = /^\/checkout\/pay\/(P\d+)$/.exec(placed.headers.location as string)?.[1];
    assert.ok(number, `redirected to the pay page, not ${placed.headers.location}`);
    return number;
  }

  /** Posts the pay page's card form to TestPay, as the browser does. */
  async function tokenize(b: Browser, number: string, card: Record<string, string>) {
    const pay = await b.get(`/checkout/pay/${number}`);
    assert.equal(pay.statusCode, 200, pay.body);
    return b.post('/testpay/tokens', { ...hiddenFields(pay.body, '/testpay/tokens'), ...card });
  }

  /** From the card form to the review page; returns the review page's pay form. */
  async function reviewed(b: Browser, number: string, cardNumber: string): Promise<{ body: string; form: Record<string, string> }> {
    const tokenized = await tokenize(b, number, { number: cardNumber, ...CARD });
    assert.equal(tokenized.statusCode, 303, tokenized.body);
    const location = tokenized.headers.location as string;
    assert.match(location, new RegExp(`^/checkout/pay/${number}/review\\?token=tok_`));
    const review = await b.get(location);
    assert.equal(review.statusCode, 200, review.body);
    return { body: review.body, form: hiddenFields(review.body, `/checkout/pay/${number}`) };
  }

  async function orderRow(number: string) {
    const [row] = await db().select().from(orders).where(eq(orders.number, number));
    assert.ok(row, `order ${number} exists`);
    return row;
  }

  const counts = async () => ({
    orders: (await db().select().from(orders)).length,
    payments: (await db().select().from(payments)).length,
    charges: (await db().select().from(testpayCharges)).length,
  });
  const chargesFor = async (orderId: string) => (await db().select().from(testpayCharges).where(eq(testpayCharges.reference, orderId))).length;
  const setProduct = (slug: string, values: { stock?: number; priceCents?: number }) => db().update(products).set(values).where(eq(products.slug, slug));
  const cartOf = (b: Browser) => viewCart(ctx(), { visitorToken: b.jar.get('pledge_cart') });

  test('an empty cart gets a friendly page that leads back to the shop; a full one links to checkout', async () => {
    const empty = await browser().get('/checkout');
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /Your cart is empty/);
    assert.match(empty.body, /href="\/"/);
    assert.doesNotMatch(empty.body, /action="\/checkout"/);
    const b = await withCart(browser(), { 'ceramide-barrier-cream': 1 });
    assert.match((await b.get('/cart')).body, /<a class="button" href="\/checkout">Check out<\/a>/);
  });

  test('a guest checks out, pays through TestPay and gets a confirmation; the order page is the pass holder\'s', async () => {
    await setProduct('hyaluronic-water-gel', { stock: 50, priceCents: 2900 });
    const b = await withCart(browser(), { 'hyaluronic-water-gel': 2 });
    const { body, hidden } = await checkoutForm(b);
    assert.match(body, /Hyaluronic Water Gel/);
    assert.match(body, /\$58\.00/, 'the subtotal');
    assert.equal(hidden.expectedSubtotalCents, '5800');
    assert.match(hidden.checkoutKey!, /^[A-Za-z0-9_-]{43}$/);
    assert.match(body, /name="shippingOption" value="standard" checked>\s*Standard delivery, Free/, 'free from $50, chosen by default');
    assert.match(body, /name="shippingOption" value="express">\s*Express delivery, \$12\.95/);
    assert.match(body, /<option value="US">United States<\/option>/);
    assert.match(body, /Only for the carrier/);

    const placed = await b.post('/checkout', { ...hidden, ...details('grace@example.com') });
    assert.equal(placed.statusCode, 303, placed.body);
    const pass = placed.cookies.find((c) => c.name === 'pledge_order');
    assert.ok(pass, 'a guest gets the order pass');
    assert.equal(pass.httpOnly, true);
    assert.equal(pass.sameSite, 'Lax');
    assert.equal(pass.path, '/');
    const number = /^\/checkout\/pay\/(P\d+)$/.exec(placed.headers.location as string)![1]!;
    assert.equal((await cartOf(b)).lines.length, 0, 'the cart became the order');

    const pay = await b.get(`/checkout/pay/${number}`);
    assert.equal(pay.statusCode, 200);
    const order = await orderRow(number);
    assert.equal(order.status, 'placed');
    assert.equal(order.customerId, null);
    assert.equal(order.totalCents, 5800 + taxOn(5800, 725), 'free delivery, 7.25 % tax');
    assert.match(pay.body, /Tax \(7\.25 %\)/);
    assert.ok(pay.body.includes(formatPrice(order.totalCents)));
    assert.match(pay.body, /1 Market St<br>Suite 300<br>San Francisco CA 94105<br>United States/);
    const cardForm = pay.body.slice(pay.body.indexOf('action="/testpay/tokens"'));
    assert.deepEqual(hiddenFields(pay.body, '/testpay/tokens'), { returnTo: `/checkout/pay/${number}/review` }, 'no shop CSRF token goes to the provider');
    for (const name of ['number', 'expMonth', 'expYear', 'cvc']) assert.match(cardForm, new RegExp(`<label for="f-${name}">`));
    assert.match(pay.body, /go straight to our payment provider/);

    const review = await reviewed(b, number, VISA);
    assert.ok(review.body.includes(`Pay ${formatPrice(order.totalCents)} with Visa •••• 4242`));
    assert.ok(review.form._csrf, 'the pay form is the shop\'s, with its CSRF token');
    const paid = await b.post(`/checkout/pay/${number}`, review.form);
    assert.equal(paid.statusCode, 303, paid.body);
    assert.equal(paid.headers.location, `/orders/${number}`);
    assert.equal((await orderRow(number)).status, 'paid');
    assert.equal(await chargesFor(order.id), 1);

    const mails = await mailsTo(shop, 'grace@example.com');
    const confirmation = mails.find((m) => m.subject === `Order ${number} confirmed — thank you`);
    assert.ok(confirmation, 'the confirmation is in the outbox for the order\'s address');
    assert.match(confirmation.text, /2 × Hyaluronic Water Gel/);

    const again = await b.get(`/checkout/pay/${number}`);
    assert.equal(again.statusCode, 303, 'a paid order is not paid again');
    assert.equal(again.headers.location, `/orders/${number}`);
  });

  test('a signed-in customer starts from their address book and lands on their account\'s order page', async () => {
    const email = 'emmy@example.com';
    const emmy = await signedInCustomer(shop, 'Emmy Noether', email);
    const saved = { recipientName: 'Emmy Noether', line1: '12 Bunsenstraße', city: 'Göttingen', postcode: '37073', country: 'DE', phone: '+49 551 0000' };
    assert.ok((await addAddress(ctx(), emmy.customerId, { ...saved, line2: undefined, region: undefined })).ok);

    const b = browser();
    b.jar.set('pledge_session', emmy.cookie.replace('pledge_session=', ''));
    await withCart(b, { 'mineral-sunscreen-spf-50': 1 });
    const { body, hidden } = await checkoutForm(b);
    assert.match(body, /name="email" type="email" value="emmy@example.com"/);
    assert.match(body, /name="line1" type="text" value="12 Bunsenstraße"/);
    assert.match(body, /name="postcode" type="text" value="37073"/);
    assert.match(body, /<option value="DE" selected>Germany<\/option>/);
    assert.match(body, /name="phone" type="tel" value="\+49 551 0000"/);

    const fields = Object.fromEntries([...Object.entries(saved), ['email', email], ['shippingOption', 'express']]);
    const placed = await b.post('/checkout', { ...hidden, ...fields });
    assert.equal(placed.statusCode, 303, placed.body);
    assert.equal(placed.cookies.find((c) => c.name === 'pledge_order'), undefined, 'a customer needs no pass');
    const number = /P\d+$/.exec(placed.headers.location as string)![0];
    const order = await orderRow(number);
    assert.equal(order.customerId, emmy.customerId);
    assert.equal(order.taxRateBasisPoints, 1900);
    assert.equal(order.shippingCents, 1295);

    const review = await reviewed(b, number, VISA);
    const paid = await b.post(`/checkout/pay/${number}`, review.form);
    assert.equal(paid.statusCode, 303, paid.body);
    assert.equal(paid.headers.location, `/account/orders/${number}`);
    assert.equal((await orderRow(number)).status, 'paid');
    assert.ok((await mailsTo(shop, email)).some((m) => m.subject === `Order ${number} confirmed — thank you`));
  });

  test('bad input on any field comes back with the message beside it, the input kept and nothing written', async () => {
    await setProduct('niacinamide-clarifying-toner', { stock: 20 });
    const b = await withCart(browser(), { 'niacinamide-clarifying-toner': 2 });
    const { hidden } = await checkoutForm(b);
    const good = details('ida@example.com');
    const cases: [field: string, value: string, message: string][] = [
      ['email', 'not-an-address', 'Enter an e-mail address, like name@example.com'],
      ['recipientName', ' ', 'Enter the name of the person receiving the parcel'],
      ['line1', '', 'Enter the street address'],
      ['line2', 'x'.repeat(121), 'Use at most 120 characters'],
      ['city', '', 'Enter the town or city'],
      ['region', 'x'.repeat(81), 'Use at most 80 characters'],
      ['postcode', 'SW1A 1AA', 'Enter a postcode like 94107'],
      ['country', 'Narnia', 'Choose a country'],
      ['country', 'ZZ', 'We do not deliver to that country yet.'],
      ['phone', 'call me maybe', 'Enter a phone number with digits, spaces and an optional leading +'],
      ['shippingOption', '', 'Choose a delivery option'],
      ['shippingOption', 'teleport', 'Choose one of the delivery options shown.'],
    ];
    const before = await counts();
    const [stockBefore] = await db().select({ stock: products.stock }).from(products).where(eq(products.slug, 'niacinamide-clarifying-toner'));
    for (const [field, value, message] of cases) {
      const response = await b.post('/checkout', { ...hidden, ...good, [field]: value });
      assert.equal(response.statusCode, 400, `${field}=${value}`);
      assert.equal(errorBeside(response.body, field), message, `the message beside ${field}`);
      if (field !== 'email') assert.match(response.body, /name="email" type="email" value="ida@example.com"/, 'the other input is kept');
      if (field === 'phone' || field === 'postcode') assert.ok(response.body.includes(`value="${value}"`), 'the wrong input is kept to correct');
      assert.equal(hiddenFields(response.body, '/checkout').checkoutKey, hidden.checkoutKey, 'still the same one-time form');
    }
    const blank = await b.post('/checkout', hidden);
    assert.equal(blank.statusCode, 400, 'a form sent with nothing filled in or ticked');
    for (const [field, message] of Object.entries({ email: 'Enter an e-mail address', recipientName: 'Enter the name', line1: 'Enter the street', city: 'Enter the town', postcode: 'Enter the postcode', country: 'Choose a country', shippingOption: 'Choose a delivery option' })) {
      assert.ok(errorBeside(blank.body, field)?.startsWith(message), `${field}: ${errorBeside(blank.body, field)}`);
    }
    for (const [name, value] of [['checkoutKey', 'forged'], ['expectedSubtotalCents', 'lots']] as const) {
      const response = await b.post('/checkout', { ...hidden, ...good, [name]: value });
      assert.equal(response.statusCode, 400);
      assert.ok(response.body.includes(FORM_EXPIRED));
      assert.match(response.body, /value="1 Market St"/);
    }
    assert.deepEqual(await counts(), before, 'no order, payment or charge written');
    assert.deepEqual((await cartOf(b)).lines.map((l) => [l.slug, l.quantity]), [['niacinamide-clarifying-toner', 2]], 'the cart is intact');
    const [stockAfter] = await db().select({ stock: products.stock }).from(products).where(eq(products.slug, 'niacinamide-clarifying-toner'));
    assert.equal(stockAfter!.stock, stockBefore!.stock);
  });

  test('a price change after the checkout page was shown refuses the order (409), writes nothing, and shows the new total', async () => {
    await setProduct('retinal-renewal-serum', { stock: 20, priceCents: 4600 });
    const b = await withCart(browser(), { 'retinal-renewal-serum': 1 });
    const { hidden } = await checkoutForm(b);
    await setProduct('retinal-renewal-serum', { priceCents: 4900 });
    const before = await counts();
    const refused = await b.post('/checkout', { ...hidden, ...details('ida@example.com') });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /Prices in your cart changed/);
    assert.match(refused.body, /\$49\.00/);
    assert.match(refused.body, /value="1 Market St"/);
    assert.deepEqual(await counts(), before);
    assert.equal((await cartOf(b)).lines.length, 1);

    const again = hiddenFields(refused.body, '/checkout');
    assert.equal(again.expectedSubtotalCents, '4900');
    const placed = await b.post('/checkout', { ...again, ...details('ida@example.com') });
    assert.equal(placed.statusCode, 303, 'with the new total seen, the order goes through');
    assert.equal((await orderRow(/P\d+$/.exec(placed.headers.location as string)![0])).subtotalCents, 4900);
  });

  test('stock falling below the cart\'s quantity refuses the order (409) with the cart intact, and blocks checkout', async () => {
    await setProduct('peptide-eye-cream', { stock: 10 });
    const b = await withCart(browser(), { 'peptide-eye-cream': 3 });
    const { hidden } = await checkoutForm(b);
    await setProduct('peptide-eye-cream', { stock: 2 });
    const before = await counts();
    const refused = await b.post('/checkout', { ...hidden, ...details('ida@example.com') });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /Only 2 Peptide Eye Cream left/);
    assert.deepEqual(await counts(), before);
    assert.deepEqual((await cartOf(b)).lines.map((l) => [l.slug, l.quantity]), [['peptide-eye-cream', 3]]);
    const [product] = await db().select().from(products).where(eq(products.slug, 'peptide-eye-cream'));
    assert.equal(product!.stock, 2, 'no stock taken');

    const page = await b.get('/checkout');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Only 2 Peptide Eye Cream are left since you added 3/);
    assert.doesNotMatch(page.body, /action="\/checkout"/, 'no form until the cart is changed');
    assert.match(page.body, /href="\/cart"/);
  });

  test('the details form submitted twice places one order', async () => {
    const b = await withCart(browser(), { 'gentle-oat-cleanser': 1 });
    const { hidden } = await checkoutForm(b);
    const before = await counts();
    const form = { ...hidden, ...details('ida@example.com') };
    const [first, second] = await Promise.all([b.post('/checkout', form), b.post('/checkout', form)]);
    assert.equal(first.statusCode, 303, first.body);
    assert.equal(second.statusCode, 303, second.body);
    assert.equal(first.headers.location, second.headers.location);
    const third = await b.post('/checkout', form);
    assert.equal(third.headers.location, first.headers.location, 'even once the cart is gone');
    assert.equal((await counts()).orders, before.orders + 1);
  });

  test('the pay form submitted twice charges once', async () => {
    const b = await withCart(browser(), { 'gentle-oat-cleanser': 1 });
    const number = await place(b, 'ida@example.com');
    const { form } = await reviewed(b, number, VISA);
    const answers = await Promise.all([b.post(`/checkout/pay/${number}`, form), b.post(`/checkout/pay/${number}`, form)]);
    const late = await b.post(`/checkout/pay/${number}`, form);
    for (const answer of [...answers, late]) {
      assert.equal(answer.statusCode, 303, answer.body);
      assert.equal(answer.headers.location, `/orders/${number}`);
    }
    const order = await orderRow(number);
    assert.equal(order.status, 'paid');
    assert.equal(await chargesFor(order.id), 1);
    assert.equal((await db().select().from(payments).where(eq(payments.orderId, order.id))).length, 1);
  });

  test('a declined card answers 402 with the pay page again; another card then pays', async () => {
    const b = await withCart(browser(), { 'gentle-oat-cleanser': 1 });
    const number = await place(b, 'ida@example.com');
    const declinedReview = await reviewed(b, number, DECLINED);
    assert.match(declinedReview.body, /with Visa •••• 0002/);
    const declined = await b.post(`/checkout/pay/${number}`, declinedReview.form);
    assert.equal(declined.statusCode, 402);
    assert.match(declined.body, /The card was declined\. Try another card\./);
    assert.match(declined.body, /action="\/testpay\/tokens"/, 'the card form is there to try again');
    assert.equal((await orderRow(number)).status, 'placed');

    const { form } = await reviewed(b, number, VISA);
    const paid = await b.post(`/checkout/pay/${number}`, form);
    assert.equal(paid.statusCode, 303, paid.body);
    assert.equal((await orderRow(number)).status, 'paid');
  });

  test('the pay pages are 404 to anyone but the pass holder or owner', async () => {
    const owner = await withCart(browser(), { 'gentle-oat-cleanser': 1 });
    const number = await place(owner, 'ida@example.com');
    const { form } = await reviewed(owner, number, VISA);
    const other = await withCart(browser(), { 'gentle-oat-cleanser': 1 });
    const otherNumber = await place(other, 'other@example.com');
    const stranger = browser();
    for (const b of [stranger, other]) {
      assert.equal((await b.get(`/checkout/pay/${number}`)).statusCode, 404);
      assert.equal((await b.get(`/checkout/pay/${number}/review?token=${form.token}`)).statusCode, 404);
    }
    const otherCsrf = hiddenFields((await other.get(`/checkout/pay/${otherNumber}/review?token=${form.token}`)).body, `/checkout/pay/${otherNumber}`)._csrf!;
    const foreign = await other.post(`/checkout/pay/${number}`, { _csrf: otherCsrf, token: form.token! });
    assert.equal(foreign.statusCode, 404);
    assert.equal((await orderRow(number)).status, 'placed', 'nothing paid');
    assert.equal((await owner.get(`/checkout/pay/${number}`)).statusCode, 200);
  });

  test('a forged token on the review page sends the browser back to the pay page with a message', async () => {
    const b = await withCart(browser(), { 'gentle-oat-cleanser': 1 });
    const number = await place(b, 'ida@example.com');
    const forged = await b.get(`/checkout/pay/${number}/review?token=tok_e30.${'A'.repeat(43)}`);
    assert.equal(forged.statusCode, 303);
    assert.equal(forged.headers.location, `/checkout/pay/${number}?error=token`);
    assert.match((await b.get(forged.headers.location)).body, /The card details could not be used\. Enter the card again\./);
  });

  test('an order past its pay-by time cannot be paid: it is cancelled and its stock goes back (409)', async () => {
    await setProduct('ceramide-barrier-cream', { stock: 10 });
    const b = await withCart(browser(), { 'ceramide-barrier-cream': 2 });
    const number = await place(b, 'ida@example.com');
    const { form } = await reviewed(b, number, VISA);
    shop.clock.advance(61 * 60 * 1000);
    const page = await b.get(`/checkout/pay/${number}`);
    assert.match(page.body, /was cancelled, so it can no longer be paid/);
    assert.doesNotMatch(page.body, /action="\/testpay\/tokens"/);
    const late = await b.post(`/checkout/pay/${number}`, form);
    assert.equal(late.statusCode, 409);
    assert.match(late.body, /was cancelled, so it can no longer be paid/);
    const order = await orderRow(number);
    assert.equal(order.status, 'cancelled');
    assert.equal(await chargesFor(order.id), 0);
    const [product] = await db().select().from(products).where(eq(products.slug, 'ceramide-barrier-cream'));
    assert.equal(product!.stock, 10);
  });

  test('TestPay sends browsers back only to checkout pages of this shop', async () => {
    for (const returnTo of ['https://evil.example/', '//evil.example', '/\\evil.example', '/checkout/pay/P1/review/../../../evil', '/checkout/pay/P1/review?next=//evil.example', '']) {
      const response = await browser().post('/testpay/tokens', { returnTo, number: VISA, ...CARD });
      assert.equal(response.statusCode, 400, returnTo);
      assert.equal(response.headers.location, undefined);
    }
  });

  test('a refused card goes back to the pay page naming the field, never the number', async () => {
    const b = await withCart(browser(), { 'gentle-oat-cleanser': 1 });
    const number = await place(b, 'ida@example.com');
    const typo = await tokenize(b, number, { number: LUHN_TYPO, ...CARD });
    assert.equal(typo.statusCode, 303);
    assert.equal(typo.headers.location, `/checkout/pay/${number}?error=number`);
    assert.ok(!typo.body.includes('4242'));
    const page = await b.get(typo.headers.location);
    assert.equal(errorBeside(page.body, 'number'), 'The card number was not accepted. Check it and enter it again.');
    assert.ok(!page.body.includes('4242'), 'the number is not put back in the form');
    const expired = await tokenize(b, number, { number: VISA, expMonth: '12', expYear: '2025', cvc: '123' });
    assert.equal(expired.headers.location, `/checkout/pay/${number}?error=expMonth`);
  });

  test('the store API tokenizes with JSON', async () => {
    const json = (payload: unknown) =>
      shop.app.inject({ method: 'POST', url: '/testpay/tokens', remoteAddress: nextAddress(), headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    const created = await json({ number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' });
    assert.equal(created.statusCode, 201, created.body);
    const body = created.json<{ id: string; card: { brand: string; last4: string } }>();
    assert.match(body.id, /^tok_/);
    assert.deepEqual(body.card, { brand: 'Visa', last4: '4242' });
    assert.deepEqual(ctx().payments.describeToken(body.id), { brand: 'Visa', last4: '4242' });

    const refused = await json({ number: '4242424242424241', expMonth: 13, expYear: 2030, cvc: '12' });
    assert.equal(refused.statusCode, 400);
    const error = refused.json<{ error: { code: string; message: string; fields: Record<string, string> } }>().error;
    assert.equal(error.code, 'invalid_card');
    assert.deepEqual(Object.keys(error.fields).sort(), ['cvc', 'expMonth', 'number']);
    assert.ok(!refused.body.includes('424242424242'), 'the number is not echoed');
  });

  test('no card number ever reaches the server log', () => {
    const log = shop.logs.join('\n');
    assert.match(log, /"route":"\/testpay\/tokens"/, 'the card posts were logged, by route');
    for (const number of [VISA, DECLINED, LUHN_TYPO]) {
      const digits = number.replaceAll(' ', '');
      assert.ok(!log.includes(digits) && !log.includes(number) && !log.includes(number.replaceAll(' ', '+')), `${digits.slice(-4)} is not in the log`);
    }
  });
});
