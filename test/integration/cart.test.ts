import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { startTestShop, type TestShop } from '../support/shop.ts';
import { forEachDatabase } from '../support/databases.ts';
import { inTransaction } from '../../src/platform/db/index.ts';
import { tokenHash } from '../../src/platform/secrets.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { cartItems, carts } from '../../src/shop/cart/schema.ts';
import { addItem, cartForCustomer, mergeVisitorCart, viewCart } from '../../src/shop/cart/service.ts';
import { products } from '../../src/shop/catalog/schema.ts';

// The add form on the (cached) product page is checked by its Origin, so these requests name a site and come
// from it.
const SITE = { host: 'shop.test', origin: 'http://shop.test' };

const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

forEachDatabase('shopping cart', (kind) => {
  let shop: TestShop;
  before(async () => {
    // Many forms are posted from one address here; the per-client limit is tested elsewhere.
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000' } });
  });
  after(() => shop.stop());

  const ctx = () => ({ db: shop.database.db, clock: shop.clock });

  function add(fields: Record<string, string>, headers: Record<string, string> = {}) {
    shop.clock.advance(1000); // lines are listed in the order they were added
    return shop.app.inject({ method: 'POST', url: '/cart/items', headers: { ...FORM, ...SITE, ...headers }, payload: formBody(fields) });
  }

  const cartCookieOf = (response: LightMyRequestResponse) => response.cookies.find((c) => c.name === 'pledge_cart');

  /** A new visitor's cart holding the given lines; returns the Cookie header that finds it. */
  async function newCart(lines: Record<string, number>): Promise<string> {
    let cookie = '';
    for (const [slug, quantity] of Object.entries(lines)) {
      const response = await add({ slug, quantity: String(quantity) }, cookie ? { cookie } : {});
      assert.equal(response.statusCode, 303, response.body);
      const set = cartCookieOf(response);
      if (set) cookie = `pledge_cart=${set.value}`;
    }
    return cookie;
  }

  /** The cart page for a visitor, and a CSRF token and cookie for its forms. */
  async function cartForms(cookie: string): Promise<{ body: string; token: string; cookie: string }> {
    const page = await shop.app.inject({ url: '/cart', headers: { cookie } });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(token, 'the cart page has forms with a CSRF token');
    return { body: page.body, token, cookie: [cookie, ...page.cookies.map((c) => `${c.name}=${c.value}`)].join('; ') };
  }

  function post(url: string, cookie: string, fields: Record<string, string>) {
    return shop.app.inject({ method: 'POST', url, headers: { ...FORM, cookie }, payload: formBody(fields) });
  }

  async function snapshot() {
    const cartRows = await shop.database.db.select().from(carts).orderBy(asc(carts.id));
    const itemRows = await shop.database.db.select().from(cartItems).orderBy(asc(cartItems.cartId), asc(cartItems.productId));
    return JSON.stringify({ cartRows, itemRows });
  }

  async function lineQuantities(cookie: string): Promise<Record<string, number>> {
    const cart = await viewCart(ctx(), { visitorToken: cookie.replace('pledge_cart=', '') });
    return Object.fromEntries(cart.lines.map((l) => [l.slug, l.quantity]));
  }

  const setProduct = (slug: string, values: { stock?: number; priceCents?: number }) =>
    shop.database.db.update(products).set(values).where(eq(products.slug, slug));

  test('viewing the cart sets no cookie and shows an empty cart that links back to the shop', async () => {
    const before = await snapshot();
    for (const headers of [{}, { cookie: `pledge_cart=${randomBytes(32).toString('base64url')}` }, { cookie: 'pledge_cart=made-up' }]) {
      const response = await shop.app.inject({ url: '/cart', headers });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['set-cookie'], undefined, 'no cookie for a visitor who only looks');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.match(response.body, /Your cart is empty/);
      assert.match(response.body, /<a class="button" href="\/">Browse the shop<\/a>/);
      assert.match(response.body, /<a href="\/cart" aria-current="page">Cart<\/a>/);
    }
    assert.equal(await snapshot(), before, 'viewing created no cart');
  });

  test('the first add creates the cart and sets an essential httpOnly cookie; the table keeps only its hash', async () => {
    const response = await add({ slug: 'velvet-matte-lipstick', quantity: '2' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/cart');
    const cookie = cartCookieOf(response);
    assert.ok(cookie, 'cart cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.maxAge, 30 * 24 * 60 * 60);
    assert.notEqual(cookie.secure, true, 'Secure only in production');
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
    const [row] = await shop.database.db.select().from(carts).where(eq(carts.tokenHash, tokenHash(cookie.value)));
    assert.ok(row, 'the cart is found by the hash of the token');
    assert.equal(row.customerId, null);
    assert.ok(!row.tokenHash!.includes(Buffer.from(cookie.value)), 'the token itself is not stored');

    const page = await shop.app.inject({ url: '/cart', headers: { cookie: `pledge_cart=${cookie.value}` } });
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /Velvet Matte Lipstick/);
    assert.match(page.body, /Lumen &amp; Oak/);
    assert.match(page.body, /name="quantity" type="number"[^>]*value="2"/);
    assert.match(page.body, /<td class="subtotal">\$48\.00<\/td>/);
  });

  test('adding the same product twice adds up; the page shows lines, count, line totals and subtotal', async () => {
    const cookie = await newCart({ 'glass-lip-gloss': 2 });
    const again = await add({ slug: 'glass-lip-gloss', quantity: '3' }, { cookie });
    assert.equal(again.statusCode, 303);
    assert.equal(cartCookieOf(again)?.value, cookie.replace('pledge_cart=', ''), 'the same cart, its cookie renewed');
    await add({ slug: 'tinted-lip-balm', quantity: '1' }, { cookie });
    assert.deepEqual(await lineQuantities(cookie), { 'glass-lip-gloss': 5, 'tinted-lip-balm': 1 });
    const cart = await viewCart(ctx(), { visitorToken: cookie.replace('pledge_cart=', '') });
    assert.equal(cart.itemCount, 6);
    assert.equal(cart.subtotalCents, 5 * 1900 + 1400);
    assert.deepEqual(
      cart.lines.map((l) => [l.slug, l.unitPriceCents, l.lineTotalCents, l.stockWarning]),
      [['glass-lip-gloss', 1900, 9500, undefined], ['tinted-lip-balm', 1400, 1400, undefined]],
    );
    const { body } = await cartForms(cookie);
    assert.match(body, /6 items/);
    assert.match(body, /\$95\.00/);
    assert.match(body, /<td class="subtotal">\$109\.00<\/td>/);
    assert.match(body, /action="\/cart\/items\/glass-lip-gloss\/remove"/);
  });

  test('more than is in stock is refused with a message naming the problem, and nothing is written', async () => {
    const before = await snapshot();
    const tooMany = await add({ slug: 'retinal-renewal-serum', quantity: '36' });
    assert.equal(tooMany.statusCode, 400);
    assert.match(tooMany.body, /Only 35 Retinal Renewal Serum are in stock/);
    assert.equal(cartCookieOf(tooMany), undefined, 'no cart, no cookie');
    assert.equal(await snapshot(), before);

    const cookie = await newCart({ 'retinal-renewal-serum': 30 });
    const withCart = await snapshot();
    const json = await add({ slug: 'retinal-renewal-serum', quantity: '6' }, { cookie, accept: 'application/json' });
    assert.equal(json.statusCode, 400);
    assert.equal(json.json().error.code, 'not_enough_stock');
    assert.match(json.json().error.fields.quantity, /Only 35 .* your cart already has 30/);
    assert.equal(await snapshot(), withCart);
    assert.equal((await add({ slug: 'retinal-renewal-serum', quantity: '5' }, { cookie })).statusCode, 303, 'up to the stock is fine');
    assert.deepEqual(await lineQuantities(cookie), { 'retinal-renewal-serum': 35 });
  });

  test('adds racing on one cart cannot together pass the stock', async () => {
    await setProduct('colour-correcting-duo', { stock: 3 });
    const owner = { visitorToken: await visitorCart({ 'colour-correcting-duo': 1 }) };
    const results = await Promise.all(Array.from({ length: 5 }, () => addItem(ctx(), owner, { slug: 'colour-correcting-duo', quantity: 1 })));
    assert.equal(results.filter((r) => r.ok).length, 2);
    assert.deepEqual((await viewCart(ctx(), owner)).lines.map((l) => l.quantity), [3]);
  });

  test('a cart holds at most 99 of one product', async () => {
    const cookie = await newCart({ 'tinted-lip-balm': 99 });
    const before = await snapshot();
    const response = await add({ slug: 'tinted-lip-balm', quantity: '1' }, { cookie });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /at most 99 of one product/);
    assert.equal(await snapshot(), before);
  });

  test('an out-of-stock product is refused, and its page offers no add form', async () => {
    const before = await snapshot();
    const response = await add({ slug: 'brush-cleansing-soap', quantity: '1' });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /Brush Cleansing Soap is out of stock/);
    assert.equal(await snapshot(), before);
    const soldOut = await shop.app.inject('/products/brush-cleansing-soap');
    assert.match(soldOut.body, /Out of stock/);
    assert.doesNotMatch(soldOut.body, /action="\/cart\/items"/);
    const inStock = await shop.app.inject('/products/velvet-matte-lipstick');
    assert.match(inStock.body, /<form class="add-to-cart" method="post" action="\/cart\/items">/);
    assert.match(inStock.body, /<input type="hidden" name="slug" value="velvet-matte-lipstick">/);
    assert.match(inStock.body, /name="quantity" type="number"[^>]* min="1" max="99" value="1"/);
    assert.doesNotMatch(inStock.body, /_csrf/, 'the cached page carries no per-visitor token');
    assert.match(inStock.body, /<a href="\/cart">Cart<\/a>/);
  });

  test('an unknown product is a 404 that names it, and nothing is written', async () => {
    const before = await snapshot();
    const response = await add({ slug: 'no-such-thing', quantity: '1' });
    assert.equal(response.statusCode, 404);
    assert.match(response.body, /There is no product “no-such-thing”/);
    assert.equal(await snapshot(), before);
  });

  test('the cart page sets a line’s quantity (0 removes it) and removes lines', async () => {
    const cookie = await newCart({ 'velvet-matte-lipstick': 1, 'glass-lip-gloss': 1, 'tinted-lip-balm': 1 });
    const forms = await cartForms(cookie);
    const set = await post('/cart/items/velvet-matte-lipstick', forms.cookie, { _csrf: forms.token, quantity: '4' });
    assert.equal(set.statusCode, 303);
    assert.equal(set.headers.location, '/cart');
    assert.deepEqual(await lineQuantities(cookie), { 'velvet-matte-lipstick': 4, 'glass-lip-gloss': 1, 'tinted-lip-balm': 1 });
    const zero = await post('/cart/items/glass-lip-gloss', forms.cookie, { _csrf: forms.token, quantity: '0' });
    assert.equal(zero.statusCode, 303);
    const removed = await post('/cart/items/tinted-lip-balm/remove', forms.cookie, { _csrf: forms.token });
    assert.equal(removed.statusCode, 303);
    assert.deepEqual(await lineQuantities(cookie), { 'velvet-matte-lipstick': 4 });

    await setProduct('velvet-matte-lipstick', { stock: 50 });
    try {
      const refused = await post('/cart/items/velvet-matte-lipstick', forms.cookie, { _csrf: forms.token, quantity: '60' });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /<span class="error" id="quantity-velvet-matte-lipstick-error" role="alert">Only 50 Velvet Matte Lipstick are in stock/);
      assert.match(refused.body, /id="quantity-velvet-matte-lipstick"[^>]*value="60" aria-invalid="true"/, 'the typed value is kept');
      assert.deepEqual(await lineQuantities(cookie), { 'velvet-matte-lipstick': 4 });
    } finally {
      await setProduct('velvet-matte-lipstick', { stock: 120 });
    }
  });

  test('bad input on every cart route is a 4xx that names the field, and writes nothing', async () => {
    const cookie = await newCart({ 'velvet-matte-lipstick': 2 });
    const forms = await cartForms(cookie);
    const before = await snapshot();
    for (const quantity of ['0', '-1', '100', 'abc', '', '1.5', ' ', '1e1', undefined]) {
      const fields: Record<string, string> = { slug: 'velvet-matte-lipstick', ...(quantity === undefined ? {} : { quantity }) };
      const response = await add(fields, { cookie, accept: 'application/json' });
      assert.equal(response.statusCode, 400, `add quantity=${quantity}`);
      assert.equal(response.json().error.fields.quantity, 'quantity must be a whole number from 1 to 99');
    }
    for (const slug of ['Bad Slug', '../etc', 'velvet_matte', '', undefined]) {
      const fields: Record<string, string> = { quantity: '1', ...(slug === undefined ? {} : { slug }) };
      const response = await add(fields, { cookie });
      assert.equal(response.statusCode, 400, `add slug=${slug}`);
      assert.match(response.body, /<strong>slug<\/strong>: slug must name a product/);
    }
    for (const quantity of ['-1', '100', 'abc', '', '2.5', undefined]) {
      const fields: Record<string, string> = { _csrf: forms.token, ...(quantity === undefined ? {} : { quantity }) };
      const response = await post('/cart/items/velvet-matte-lipstick', forms.cookie, fields);
      assert.equal(response.statusCode, 400, `set quantity=${quantity}`);
      assert.match(response.body, /<span class="error" id="quantity-velvet-matte-lipstick-error" role="alert">quantity must be a whole number from 0 to 99<\/span>/);
    }
    for (const url of ['/cart/items/Bad_Slug', '/cart/items/Bad_Slug/remove', '/cart/items/%20x']) {
      const response = await post(url, forms.cookie, { _csrf: forms.token, quantity: '1' });
      assert.equal(response.statusCode, 404, url);
    }
    for (const url of ['/cart/items/glass-lip-gloss', '/cart/items/glass-lip-gloss/remove', '/cart/items/no-such-thing']) {
      const response = await post(url, forms.cookie, { _csrf: forms.token, quantity: '1' });
      assert.equal(response.statusCode, 404, url);
      assert.match(response.body, /is not in your cart/);
    }
    const notInCartBadQuantity = await post('/cart/items/glass-lip-gloss', forms.cookie, { _csrf: forms.token, quantity: 'abc' });
    assert.equal(notInCartBadQuantity.statusCode, 400);
    assert.match(notInCartBadQuantity.body, /role="alert">quantity must be a whole number/, 'a message with no line to stand beside is shown at the top');
    assert.equal(await snapshot(), before);
  });

  test('a post to /cart/items from another site, or with no origin at all, is refused with 403', async () => {
    const before = await snapshot();
    const fields = { slug: 'velvet-matte-lipstick', quantity: '1' };
    for (const headers of [{ origin: 'http://evil.example' }, { origin: 'null' }, { referer: 'http://evil.example/products/x' }, { origin: 'http://shop.test.evil.example' }]) {
      const response = await shop.app.inject({ method: 'POST', url: '/cart/items', headers: { ...FORM, host: 'shop.test', ...headers }, payload: formBody(fields) });
      assert.equal(response.statusCode, 403, JSON.stringify(headers));
      assert.match(response.body, /sent from another site/);
    }
    const bare = await shop.app.inject({ method: 'POST', url: '/cart/items', headers: { ...FORM, host: 'shop.test' }, payload: formBody(fields) });
    assert.equal(bare.statusCode, 403);
    assert.equal(await snapshot(), before);
    const fromProductPage = await shop.app.inject({
      method: 'POST',
      url: '/cart/items',
      headers: { ...FORM, host: 'shop.test', referer: 'http://shop.test/products/velvet-matte-lipstick' },
      payload: formBody(fields),
    });
    assert.equal(fromProductPage.statusCode, 303, 'a same-site Referer is accepted when there is no Origin');
  });

  test('the cart page’s forms refuse a forged or missing CSRF token', async () => {
    const cookie = await newCart({ 'velvet-matte-lipstick': 2 });
    const forms = await cartForms(cookie);
    const before = await snapshot();
    for (const fields of [{ _csrf: 'forged', quantity: '5' }, { quantity: '5' }] as Record<string, string>[]) {
      assert.equal((await post('/cart/items/velvet-matte-lipstick', forms.cookie, fields)).statusCode, 403);
      assert.equal((await post('/cart/items/velvet-matte-lipstick/remove', forms.cookie, fields)).statusCode, 403);
    }
    // A real token without the cookie it belongs to (a page seen by someone else) is no better.
    assert.equal((await post('/cart/items/velvet-matte-lipstick', cookie, { _csrf: forms.token, quantity: '5' })).statusCode, 403);
    assert.equal(await snapshot(), before);
  });

  test('another visitor’s cookie neither sees nor changes this cart, and a chosen token is never adopted', async () => {
    const alice = await newCart({ 'velvet-matte-lipstick': 2 });
    const bob = await newCart({ 'glass-lip-gloss': 1 });
    const bobForms = await cartForms(bob);
    assert.doesNotMatch(bobForms.body, /Velvet Matte Lipstick/);
    assert.equal((await post('/cart/items/velvet-matte-lipstick', bobForms.cookie, { _csrf: bobForms.token, quantity: '9' })).statusCode, 404);
    assert.equal((await post('/cart/items/velvet-matte-lipstick/remove', bobForms.cookie, { _csrf: bobForms.token })).statusCode, 404);
    assert.deepEqual(await lineQuantities(alice), { 'velvet-matte-lipstick': 2 });
    assert.deepEqual(await lineQuantities(bob), { 'glass-lip-gloss': 1 });

    // A visitor (or whoever planted the cookie) who picks a token gets a cart under a fresh one instead.
    const chosen = randomBytes(32).toString('base64url');
    const response = await add({ slug: 'tinted-lip-balm', quantity: '1' }, { cookie: `pledge_cart=${chosen}` });
    assert.equal(response.statusCode, 303);
    assert.notEqual(cartCookieOf(response)?.value, chosen);
    assert.equal((await shop.database.db.select().from(carts).where(eq(carts.tokenHash, tokenHash(chosen)))).length, 0);
  });

  test('prices are read from the catalogue live, not copied into the cart', async () => {
    const cookie = await newCart({ 'satin-lipstick': 2 });
    assert.match((await cartForms(cookie)).body, /<td class="subtotal">\$52\.00<\/td>/);
    await setProduct('satin-lipstick', { priceCents: 2150 });
    const { body } = await cartForms(cookie);
    assert.match(body, /<td>\$21\.50<\/td>/);
    assert.match(body, /<td class="subtotal">\$43\.00<\/td>/);
  });

  test('stock that falls below a line’s quantity is reported on the line, not silently applied', async () => {
    const cookie = await newCart({ 'peptide-eye-cream': 5, 'tinted-lip-balm': 1 });
    await setProduct('peptide-eye-cream', { stock: 2 });
    let cart = await viewCart(ctx(), { visitorToken: cookie.replace('pledge_cart=', '') });
    const line = cart.lines.find((l) => l.slug === 'peptide-eye-cream')!;
    assert.equal(line.quantity, 5, 'the quantity is left as it was');
    assert.equal(line.stockWarning, 'Only 2 Peptide Eye Cream are left since you added 5. Lower the quantity to go on.');
    assert.equal(cart.lines.find((l) => l.slug === 'tinted-lip-balm')!.stockWarning, undefined);
    const forms = await cartForms(cookie);
    assert.match(forms.body, /<span class="stock low">Only 2 Peptide Eye Cream are left since you added 5/);

    await setProduct('peptide-eye-cream', { stock: 0 });
    assert.match((await cartForms(cookie)).body, /Peptide Eye Cream has sold out since you added it/);
    await setProduct('peptide-eye-cream', { stock: 2 });
    assert.equal((await post('/cart/items/peptide-eye-cream', forms.cookie, { _csrf: forms.token, quantity: '2' })).statusCode, 303);
    cart = await viewCart(ctx(), { visitorToken: cookie.replace('pledge_cart=', '') });
    assert.deepEqual(cart.lines.map((l) => [l.slug, l.quantity, l.stockWarning]), [['peptide-eye-cream', 2, undefined], ['tinted-lip-balm', 1, undefined]]);
  });

  async function insertCustomer(): Promise<string> {
    const id = randomUUID();
    const now = shop.clock.now();
    // Only the row's existence matters here: the sealed columns hold placeholder bytes.
    await shop.database.db.insert(customers).values({
      id,
      unitId: randomUUID(),
      emailIndex: randomBytes(32),
      email: randomBytes(16),
      name: randomBytes(16),
      passwordHash: 'not-a-real-hash',
      adultConfirmedAt: now,
      createdAt: now,
      lastActiveAt: now,
    });
    return id;
  }

  async function visitorCart(lines: Record<string, number>): Promise<string> {
    let token: string | undefined;
    for (const [slug, quantity] of Object.entries(lines)) {
      const result = await addItem(ctx(), { visitorToken: token }, { slug, quantity });
      assert.ok(result.ok);
      token = result.visitorToken;
    }
    return token!;
  }

  const quantities = (cart: { lines: { slug: string; quantity: number }[] }) => Object.fromEntries(cart.lines.map((l) => [l.slug, l.quantity]));
  const visitorCartExists = async (token: string) => (await shop.database.db.select().from(carts).where(eq(carts.tokenHash, tokenHash(token)))).length > 0;

  test('on sign-in a visitor’s cart merges into the customer’s: quantities add up, capped at stock', async () => {
    await setProduct('ceramide-barrier-cream', { stock: 4 });
    await setProduct('cleansing-balm', { stock: 3 });
    const customerId = await insertCustomer();
    assert.ok((await addItem(ctx(), { customerId }, { slug: 'ceramide-barrier-cream', quantity: 3 })).ok);
    assert.ok((await addItem(ctx(), { customerId }, { slug: 'cleansing-balm', quantity: 3 })).ok);
    await setProduct('cleansing-balm', { stock: 1 }); // the customer's own line is now over the stock
    const token = await visitorCart({ 'ceramide-barrier-cream': 2, 'gel-eyeliner-pencil': 1, 'cleansing-balm': 1, 'volume-mascara': 2 });
    await setProduct('volume-mascara', { stock: 0 });

    await inTransaction(shop.database.db, (tx) => mergeVisitorCart(ctx(), tx, token, customerId));
    assert.deepEqual(quantities(await cartForCustomer(ctx(), customerId)), {
      'ceramide-barrier-cream': 4, // 3 + 2, capped at the stock of 4
      'cleansing-balm': 3, // left as it was, with its warning
      'gel-eyeliner-pencil': 1,
    });
    assert.ok(!(await visitorCartExists(token)), 'the visitor cart is deleted');
    const view = await viewCart(ctx(), { visitorToken: token });
    assert.equal(view.lines.length, 0);
  });

  test('merging into a customer with no cart creates it; no visitor cart, or a failed sign-in, changes nothing', async () => {
    const customerId = await insertCustomer();
    const before = await snapshot();
    await inTransaction(shop.database.db, (tx) => mergeVisitorCart(ctx(), tx, randomBytes(32).toString('base64url'), customerId));
    await inTransaction(shop.database.db, (tx) => mergeVisitorCart(ctx(), tx, 'not a token', customerId));
    assert.equal(await snapshot(), before, 'no visitor cart: nothing created');

    const token = await visitorCart({ 'lengthening-mascara': 2 });
    const withVisitorCart = await snapshot();
    await assert.rejects(
      inTransaction(shop.database.db, async (tx) => {
        await mergeVisitorCart(ctx(), tx, token, customerId);
        throw new Error('sign-in failed after the merge');
      }),
      /sign-in failed/,
    );
    assert.equal(await snapshot(), withVisitorCart, 'the merge rolls back with the sign-in');

    await inTransaction(shop.database.db, (tx) => mergeVisitorCart(ctx(), tx, token, customerId));
    assert.deepEqual(quantities(await cartForCustomer(ctx(), customerId)), { 'lengthening-mascara': 2 });
    assert.ok(!(await visitorCartExists(token)));
    const [customerCart] = await shop.database.db.select().from(carts).where(eq(carts.customerId, customerId));
    assert.equal(customerCart!.tokenHash, null, 'a customer’s cart is found by the account, not a token');
  });
});
