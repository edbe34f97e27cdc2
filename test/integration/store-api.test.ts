import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { z } from 'zod';
import { features } from '../../src/app.ts';
import { buildApp, type Feature } from '../../src/platform/http/app.ts';
import { outbox } from '../../src/platform/mail/schema.ts';
import { customers, customerSessions, customerTokens } from '../../src/shop/accounts/schema.ts';
import { cartItems, carts } from '../../src/shop/cart/schema.ts';
import { products } from '../../src/shop/catalog/schema.ts';
import { searchProducts } from '../../src/shop/catalog/service.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { payments, testpayCharges } from '../../src/shop/payments/schema.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, linkFrom, startTestShop, type TestShop } from '../support/shop.ts';

// The store API end to end: every route's happy path, its bad input (a 400 with per-field messages and nothing
// written), 401 and 404, the three ways of saying who one is (bearer token, cookies, cart token), and the OpenAPI
// document checked against the routes the app really serves and the answers it really gives.

const SITE = { host: 'shop.test', origin: 'http://shop.test' };
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

type Json = Record<string, unknown>;
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, {
    operationId: string;
    security: Record<string, string[]>[];
    parameters: { schema: Json }[];
    requestBody?: { content: Record<string, { schema: Json }> };
    responses: Record<string, { content?: Record<string, { schema: Json }>; $ref?: string }>;
  }>>;
  components: { schemas: { Error: Json }; responses: Record<string, Json>; securitySchemes: Record<string, Json> };
};

forEachDatabase('store API', (kind) => {
  let shop: TestShop;
  let doc: Doc;
  before(async () => {
    // Catalogue answers are checked against the catalogue version on every request here, so a change shows at once.
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000', PLEDGE_CATALOG_CACHE_MS: '0' } });
    doc = (await shop.app.inject('/api/openapi.json')).json();
  });
  after(() => shop.stop());

  // Registration and sign-in allow ten a minute per client: each request comes from an address of its own.
  let client = 0;
  const clientAddress = () => `127.3.${Math.floor(++client / 250)}.${(client % 250) + 1}`;

  function call(method: InjectOptions['method'], url: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
    const { body, headers = {} } = options;
    shop.clock.advance(1000); // cart lines are listed in the order they were added
    return shop.app.inject({
      method,
      url: `/api/store${url}`,
      remoteAddress: clientAddress(),
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  }

  /** The answer's body, checked against the schema the OpenAPI document gives for that operation and status. */
  function documented(response: LightMyRequestResponse, method: string, path: string): Json {
    const operation = doc.paths[`/api/store${path}`]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${path} is in the document`);
    const answer = operation.responses[String(response.statusCode)];
    assert.ok(answer, `${method} ${path} documents status ${response.statusCode}: ${response.body}`);
    const schema = answer.$ref ? doc.components.schemas.Error : answer.content!['application/json']!.schema;
    const body = response.json();
    const checked = z.fromJSONSchema(schema as never).safeParse(body);
    assert.ok(checked.success, `${method} ${path} ${response.statusCode} matches its documented schema: ${checked.error?.message}`);
    return body;
  }

  function assertError(response: LightMyRequestResponse, status: number, code: string): { message: string; fields?: Record<string, string> } {
    assert.equal(response.statusCode, status, response.body);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const parsed = z.fromJSONSchema(doc.components.schemas.Error as never).safeParse(response.json());
    assert.ok(parsed.success, `the error body has the documented shape: ${response.body}`);
    const { error } = response.json() as { error: { code: string; message: string; fields?: Record<string, string> } };
    assert.equal(error.code, code);
    assert.ok(error.message.length > 0);
    return error;
  }

  async function snapshot() {
    const db = shop.database.db;
    const rows = await Promise.all([carts, cartItems, customers, customerSessions, customerTokens, outbox].map((t) => db.select().from(t)));
    return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
  }

  /** A registered, confirmed customer signed in through the API; returns their bearer token. */
  async function customer(email: string, name = 'Ada Lovelace', password = 'analytical engine'): Promise<string> {
    assert.equal((await call('POST', '/customers', { body: { name, email, password, adult: true } })).statusCode, 202);
    const link = await linkFrom(shop, email, /\/account\/verify\//);
    assert.equal((await shop.app.inject(link)).statusCode, 200);
    const signedIn = await call('POST', '/sessions', { body: { email, password } });
    assert.equal(signedIn.statusCode, 201, signedIn.body);
    return signedIn.json().token;
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  test('the product list pages, sorts and filters by category; its answers are public, cacheable and compressed', async () => {
    const first = await call('GET', '/products');
    assert.equal(first.statusCode, 200);
    assert.equal(first.headers['cache-control'], 'public, max-age=60');
    const listing = documented(first, 'GET', '/products') as { products: { slug: string; priceCents: number; name: string; category: { slug: string } }[]; total: number; perPage: number };
    assert.equal(listing.perPage, 24);
    assert.equal(listing.products.length, Math.min(24, listing.total));
    assert.ok(listing.total > 24, 'the demo catalogue spans pages');

    const all = (await call('GET', `/products?perPage=100`)).json().products as { slug: string; priceCents: number; name: string; category: { slug: string } }[];
    assert.equal(all.length, listing.total);
    const second = (await call('GET', '/products?page=2&perPage=5')).json();
    assert.deepEqual(second.products.map((p: { slug: string }) => p.slug), all.slice(5, 10).map((p) => p.slug), 'pages follow one order');

    const prices = (await call('GET', '/products?perPage=100&sort=price-asc')).json().products.map((p: { priceCents: number }) => p.priceCents);
    assert.deepEqual(prices, [...prices].sort((a, b) => a - b));
    const dearFirst = (await call('GET', '/products?perPage=100&sort=price-desc')).json().products.map((p: { priceCents: number }) => p.priceCents);
    assert.deepEqual(dearFirst, [...prices].reverse());
    const names = (await call('GET', '/products?perPage=100&sort=name')).json().products.map((p: { name: string }) => p.name);
    assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

    const categories = documented(await call('GET', '/categories'), 'GET', '/categories') as { categories: { slug: string }[] };
    const lips = categories.categories.find((c) => c.slug === 'lips');
    assert.ok(lips);
    const inLips = (await call('GET', '/products?category=lips&perPage=100')).json();
    assert.ok(inLips.products.length > 0);
    assert.ok(inLips.products.every((p: { category: { slug: string } }) => p.category.slug === 'lips'));
    assert.equal(inLips.total, all.filter((p) => p.category.slug === 'lips').length);

    const beyond = (await call('GET', '/products?page=999')).json();
    assert.deepEqual([beyond.products, beyond.total], [[], listing.total], 'past the last page: nothing, and the total');

    const brotli = await call('GET', '/products', { headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(brotli.headers['content-encoding'], 'br');
    assert.equal(brotli.headers.vary, 'accept-encoding');
    assert.deepEqual(JSON.parse(zlib.brotliDecompressSync(brotli.rawPayload).toString()), listing);
  });

  test('search and product detail use the catalogue’s own search and product look-up', async () => {
    const found = await call('GET', '/search?q=concieler');
    assert.equal(found.statusCode, 200);
    assert.equal(found.headers['cache-control'], 'public, max-age=60');
    const result = documented(found, 'GET', '/search') as { products: { slug: string }[]; total: number };
    const own = await searchProducts({ db: shop.database.db, clock: shop.clock }, { q: 'concieler', sort: 'relevance', page: 1, perPage: 24 });
    assert.ok(own.total > 0, 'a misspelt word still finds the concealers');
    assert.deepEqual([result.products.map((p) => p.slug), result.total], [own.products.map((p) => p.slug), own.total]);
    const cheapFirst = (await call('GET', '/search?q=lip&sort=price-asc')).json().products.map((p: { priceCents: number }) => p.priceCents);
    assert.ok(cheapFirst.length > 1);
    assert.deepEqual(cheapFirst, [...cheapFirst].sort((a: number, b: number) => a - b));

    const detail = await call('GET', '/products/velvet-matte-lipstick');
    assert.equal(detail.statusCode, 200);
    assert.equal(detail.headers['cache-control'], 'public, max-age=60');
    const product = documented(detail, 'GET', '/products/{slug}') as { slug: string; priceCents: number; description: string; image: string; variantCount: number; variants: { slug: string }[] };
    assert.equal(product.slug, 'velvet-matte-lipstick');
    assert.ok(product.description.length > product.slug.length);
    assert.equal(product.image, '/images/products/velvet-matte-lipstick.svg');
    assert.equal((await shop.app.inject(product.image)).statusCode, 200, 'the picture is there');
    assert.equal(product.variants.length, product.variantCount);
  });

  test('catalogue answers are served from memory and dropped when the catalogue changes', async () => {
    const price = async () => (await call('GET', '/products/glass-lip-gloss')).json().priceCents as number;
    const listed = async () => (await call('GET', '/products?perPage=100')).json().products.find((p: { slug: string }) => p.slug === 'glass-lip-gloss').priceCents as number;
    const was = await price();
    assert.equal(await listed(), was);
    await shop.database.db.update(products).set({ priceCents: was + 100 }).where(eq(products.slug, 'glass-lip-gloss'));
    assert.equal(await price(), was + 100);
    assert.equal(await listed(), was + 100);
    await shop.database.db.update(products).set({ priceCents: was }).where(eq(products.slug, 'glass-lip-gloss'));

    // Stock is told as the product page tells it, which is what moves the catalogue version.
    const stockOf = async () => {
      const { availability, stockLeft } = (await call('GET', '/products/glass-lip-gloss')).json();
      return { availability, stockLeft };
    };
    const setStock = (stock: number) => shop.database.db.update(products).set({ stock }).where(eq(products.slug, 'glass-lip-gloss'));
    await setStock(40);
    assert.deepEqual(await stockOf(), { availability: 'in_stock', stockLeft: undefined });
    await setStock(5);
    assert.deepEqual(await stockOf(), { availability: 'low_stock', stockLeft: 5 });
    await setStock(0);
    assert.deepEqual(await stockOf(), { availability: 'out_of_stock', stockLeft: undefined });
    await setStock(100);
  });

  test('bad catalogue input is a 400 naming each field; what is not there is a 404', async () => {
    const bad = assertError(await call('GET', '/products?page=0&perPage=101&sort=cheapest'), 400, 'invalid_input');
    assert.deepEqual(Object.keys(bad.fields!).sort(), ['page', 'perPage', 'sort']);
    assert.match(bad.fields!.sort!, /featured, price-asc, price-desc, name/);
    assert.deepEqual(Object.keys(assertError(await call('GET', '/products?category=Not%20A%20Slug'), 400, 'invalid_input').fields!), ['category']);
    assert.match(assertError(await call('GET', '/products?category=nothing-here'), 404, 'not_found').message, /no category “nothing-here”/);

    assert.deepEqual(Object.keys(assertError(await call('GET', '/search'), 400, 'invalid_input').fields!), ['q']);
    assert.deepEqual(Object.keys(assertError(await call('GET', '/search?q=%20%00%20'), 400, 'invalid_input').fields!), ['q']);
    assert.deepEqual(Object.keys(assertError(await call('GET', `/search?q=${'a'.repeat(101)}`), 400, 'invalid_input').fields!), ['q']);
    assert.deepEqual(Object.keys(assertError(await call('GET', '/search?q=lip&sort=best&page=x'), 400, 'invalid_input').fields!).sort(), ['page', 'sort']);

    const missing = await call('GET', '/products/no-such-thing');
    assert.match(assertError(missing, 404, 'not_found').message, /no product “no-such-thing”/);
    assert.notEqual(missing.headers['cache-control'], 'public, max-age=60', 'a miss is not cached by clients');
    assertError(await call('GET', '/products/NOT_A_SLUG'), 404, 'not_found');
    assertError(await call('GET', '/nothing/here'), 404, 'not_found');
    assertError(await call('POST', '/nothing/here', { body: {} }), 404, 'not_found');
  });

  test('a visitor’s cart lives behind the token its first add answers, sent back as X-Cart-Token', async () => {
    const empty = await call('GET', '/cart');
    assert.equal(empty.statusCode, 200);
    assert.equal(empty.headers['cache-control'], 'no-store');
    assert.deepEqual(documented(empty, 'GET', '/cart'), { lines: [], itemCount: 0, subtotalCents: 0 });
    assert.equal(empty.headers['set-cookie'], undefined);

    const created = await call('POST', '/cart/items', { body: { slug: 'glass-lip-gloss', quantity: 2 } });
    assert.equal(created.statusCode, 201);
    assert.equal(created.headers['cache-control'], 'no-store');
    assert.equal(created.headers['set-cookie'], undefined, 'an API cart is not put in a cookie');
    const cart = documented(created, 'POST', '/cart/items') as { cartToken: string; lines: { slug: string; quantity: number; lineTotalCents: number }[]; subtotalCents: number };
    assert.match(cart.cartToken, TOKEN);
    assert.equal(created.headers['x-cart-token'], cart.cartToken);
    assert.deepEqual(cart.lines.map((l) => [l.slug, l.quantity, l.lineTotalCents]), [['glass-lip-gloss', 2, 3800]]);
    const headers = { 'x-cart-token': cart.cartToken };

    const more = await call('POST', '/cart/items', { body: { slug: 'tinted-lip-balm', quantity: 1 }, headers });
    assert.equal(more.statusCode, 200, 'the same cart');
    assert.equal(more.json().cartToken, cart.cartToken);
    assert.equal(more.json().subtotalCents, 3800 + 1400);

    const seen = documented(await call('GET', '/cart', { headers }), 'GET', '/cart') as { lines: { slug: string }[]; itemCount: number };
    assert.deepEqual([seen.lines.map((l) => l.slug), seen.itemCount], [['glass-lip-gloss', 'tinted-lip-balm'], 3]);
    assert.equal((await call('GET', '/cart')).json().itemCount, 0, 'without the token, another (empty) cart');

    const set = await call('PATCH', '/cart/items/glass-lip-gloss', { body: { quantity: 5 }, headers });
    assert.equal(documented(set, 'PATCH', '/cart/items/{slug}').itemCount, 6);
    const zero = await call('PATCH', '/cart/items/tinted-lip-balm', { body: { quantity: 0 }, headers });
    assert.deepEqual(zero.json().lines.map((l: { slug: string }) => l.slug), ['glass-lip-gloss'], 'quantity 0 removes the line');
    const removed = await call('DELETE', '/cart/items/glass-lip-gloss', { headers });
    assert.deepEqual(documented(removed, 'DELETE', '/cart/items/{slug}').lines, []);
    assertError(await call('DELETE', '/cart/items/glass-lip-gloss', { headers }), 404, 'not_in_cart');
  });

  test('bad cart input is a 400 naming each field (or a 404 for what is not there), and writes nothing', async () => {
    const { cartToken } = (await call('POST', '/cart/items', { body: { slug: 'retinal-renewal-serum', quantity: 30 } })).json();
    const headers = { 'x-cart-token': cartToken };
    const before = await snapshot();

    const noBody = assertError(await call('POST', '/cart/items', { headers }), 400, 'invalid_input');
    assert.deepEqual(Object.keys(noBody.fields!).sort(), ['quantity', 'slug']);
    const wrong = assertError(await call('POST', '/cart/items', { body: { slug: 'Bad Slug', quantity: '2' }, headers }), 400, 'invalid_input');
    assert.match(wrong.fields!.quantity!, /whole number from 1 to 99/);
    assert.match(wrong.fields!.slug!, /lower-case letters/);
    for (const quantity of [0, 100, 1.5, -1, null]) {
      assert.ok(assertError(await call('POST', '/cart/items', { body: { slug: 'glass-lip-gloss', quantity }, headers }), 400, 'invalid_input').fields!.quantity);
    }
    assertError(await call('POST', '/cart/items', { body: [], headers }), 400, 'invalid_input');
    assertError(await call('POST', '/cart/items', { body: 'slug', headers }), 400, 'invalid_input');
    const broken = await shop.app.inject({ method: 'POST', url: '/api/store/cart/items', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"slug": ' });
    assertError(broken, 400, 'fst_err_ctp_invalid_json_body');
    const form = await shop.app.inject({ method: 'POST', url: '/api/store/cart/items', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'slug=glass-lip-gloss&quantity=1' });
    assertError(form, 415, 'fst_err_ctp_invalid_media_type');

    const stock = assertError(await call('POST', '/cart/items', { body: { slug: 'retinal-renewal-serum', quantity: 6 }, headers }), 400, 'not_enough_stock');
    assert.match(stock.fields!.quantity!, /Only 35 .* your cart already has 30/);
    assertError(await call('POST', '/cart/items', { body: { slug: 'brush-cleansing-soap', quantity: 1 }, headers }), 400, 'out_of_stock');
    assertError(await call('POST', '/cart/items', { body: { slug: 'no-such-thing', quantity: 1 }, headers }), 404, 'unknown_product');
    assertError(await call('POST', '/cart/items', { body: { slug: 'no-such-thing', quantity: 1 } }), 404, 'unknown_product');

    assert.deepEqual(Object.keys(assertError(await call('PATCH', '/cart/items/retinal-renewal-serum', { body: { quantity: 'ten' }, headers }), 400, 'invalid_input').fields!), ['quantity']);
    assertError(await call('PATCH', '/cart/items/retinal-renewal-serum', { body: { quantity: 36 }, headers }), 400, 'not_enough_stock');
    assertError(await call('PATCH', '/cart/items/glass-lip-gloss', { body: { quantity: 1 }, headers }), 404, 'not_in_cart');
    assertError(await call('PATCH', '/cart/items/NOT_A_SLUG', { body: { quantity: 1 }, headers }), 404, 'not_found');
    assertError(await call('DELETE', '/cart/items/glass-lip-gloss', { headers }), 404, 'not_in_cart');
    assertError(await call('DELETE', '/cart/items/NOT_A_SLUG', { headers }), 404, 'not_found');

    const badToken = assertError(await call('POST', '/cart/items', { body: { slug: 'glass-lip-gloss', quantity: 1 }, headers: { 'x-cart-token': 'made-up' } }), 400, 'invalid_input');
    assert.deepEqual(Object.keys(badToken.fields!), ['x-cart-token']);
    assertError(await call('GET', '/cart', { headers: { 'x-cart-token': 'made-up' } }), 400, 'invalid_input');
    assertError(await call('GET', '/cart', { headers: { authorization: 'Bearer made-up' } }), 401, 'unauthorized');
    assert.equal(await snapshot(), before, 'nothing was written');
  });

  test('a browser’s cart cookie works too, but a change riding on it must come from the shop’s own pages', async () => {
    const html = await shop.app.inject({ method: 'POST', url: '/cart/items', headers: { ...SITE, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'slug=glass-lip-gloss&quantity=1' });
    const value = html.cookies.find((c) => c.name === 'pledge_cart')!.value;
    const cookie = `pledge_cart=${value}`;
    assert.deepEqual((await call('GET', '/cart', { headers: { cookie } })).json().lines.map((l: { slug: string }) => l.slug), ['glass-lip-gloss']);

    const before = await snapshot();
    for (const origin of [{}, { origin: 'https://elsewhere.example' }] as Record<string, string>[]) {
      const forged = await call('PATCH', '/cart/items/glass-lip-gloss', { body: { quantity: 3 }, headers: { cookie, host: SITE.host, ...origin } });
      assertError(forged, 403, 'cross_site_request');
    }
    assert.equal(await snapshot(), before, 'nothing was written');

    const fromShop = await call('PATCH', '/cart/items/glass-lip-gloss', { body: { quantity: 3 }, headers: { cookie, ...SITE } });
    assert.equal(fromShop.statusCode, 200, fromShop.body);
    assert.equal(fromShop.json().cartToken, undefined, 'the cookie’s value is not handed to scripts');
    const renewed = fromShop.cookies.find((c) => c.name === 'pledge_cart');
    assert.equal(renewed?.value, value, 'the cookie is renewed, as the cart page does');
    assert.equal(renewed?.httpOnly, true);
    assert.equal((await call('GET', '/cart', { headers: { cookie } })).json().itemCount, 3);

    const byHeader = await call('POST', '/cart/items', { body: { slug: 'tinted-lip-balm', quantity: 1 }, headers: { cookie, 'x-cart-token': value } });
    assert.equal(byHeader.statusCode, 200, 'a request that shows its token in a header needs no Origin');
  });

  test('registration, confirmation, sign-in with a bearer token, profile, correction and sign-out', async () => {
    const email = 'grace@example.com';
    const registered = await call('POST', '/customers', { body: { name: 'Grace Hopper', email, password: 'compiler first', adult: true } });
    assert.equal(registered.statusCode, 202);
    assert.equal(registered.headers['cache-control'], 'no-store');
    assert.match(documented(registered, 'POST', '/customers').message as string, /grace@example\.com/);
    const again = await call('POST', '/customers', { body: { name: 'Someone Else', email, password: 'another password', adult: true } });
    assert.deepEqual([again.statusCode, again.json()], [202, registered.json()], 'the same answer for an address that has an account');

    const early = await call('POST', '/sessions', { body: { email, password: 'compiler first' } });
    assertError(early, 401, 'email_not_confirmed');
    const link = await linkFrom(shop, email, /\/account\/verify\//);
    assert.equal((await shop.app.inject(link)).statusCode, 200);
    assertError(await call('POST', '/sessions', { body: { email, password: 'wrong password' } }), 401, 'invalid_credentials');
    assertError(await call('POST', '/sessions', { body: { email: 'nobody@example.com', password: 'compiler first' } }), 401, 'invalid_credentials');

    const signedIn = await call('POST', '/sessions', { body: { email: ' GRACE@example.com ', password: 'compiler first' } });
    assert.equal(signedIn.statusCode, 201);
    assert.equal(signedIn.headers['cache-control'], 'no-store');
    assert.equal(signedIn.headers['set-cookie'], undefined, 'the token is answered, not put in a cookie');
    const session = documented(signedIn, 'POST', '/sessions') as { token: string; tokenType: string };
    assert.match(session.token, TOKEN);
    assert.equal(session.tokenType, 'Bearer');

    const me = await call('GET', '/me', { headers: bearer(session.token) });
    assert.equal(me.headers['cache-control'], 'no-store');
    assert.deepEqual(documented(me, 'GET', '/me'), { name: 'Grace Hopper', email });
    const corrected = await call('PATCH', '/me', { body: { name: '  Grace Brewster Hopper ' }, headers: bearer(session.token) });
    assert.deepEqual(documented(corrected, 'PATCH', '/me'), { name: 'Grace Brewster Hopper', email });

    const out = await call('DELETE', '/sessions/current', { headers: bearer(session.token) });
    assert.equal(out.statusCode, 204);
    assert.equal(out.body, '');
    assertError(await call('GET', '/me', { headers: bearer(session.token) }), 401, 'unauthorized');
    assertError(await call('DELETE', '/sessions/current', { headers: bearer(session.token) }), 401, 'unauthorized');
  });

  test('bad account input is a 400 naming each field, and writes nothing', async () => {
    const token = await customer('ada@example.com');
    const before = await snapshot();
    const bad = assertError(await call('POST', '/customers', { body: { name: '', email: 'not-an-address', password: 'short', adult: 'yes' } }), 400, 'invalid_input');
    assert.deepEqual(bad.fields, {
      name: 'Enter your name',
      email: 'Enter an e-mail address, like name@example.com',
      password: 'Use at least 10 characters',
      adult: 'You must be 18 or older to have an account',
    });
    assert.deepEqual(Object.keys(assertError(await call('POST', '/customers'), 400, 'invalid_input').fields!).sort(), ['adult', 'email', 'name', 'password']);
    assert.deepEqual(Object.keys(assertError(await call('POST', '/sessions', { body: { email: 'ada@example.com' } }), 400, 'invalid_input').fields!), ['password']);
    assert.deepEqual(Object.keys(assertError(await call('POST', '/sessions', { body: { email: 42, password: 'x' } }), 400, 'invalid_input').fields!), ['email']);
    assert.deepEqual(assertError(await call('PATCH', '/me', { body: { name: ' ' }, headers: bearer(token) }), 400, 'invalid_input').fields, { name: 'Enter your name' });
    assert.deepEqual(Object.keys(assertError(await call('PATCH', '/me', { body: { name: 'x'.repeat(101) }, headers: bearer(token) }), 400, 'invalid_input').fields!), ['name']);
    assert.equal(await snapshot(), before, 'nothing was written');
  });

  test('a customer is recognised by bearer token or by the website’s session cookie, and sees only their own data', async () => {
    const ada = await customer('ada.l@example.com', 'Ada Lovelace');
    const alan = await customer('alan@example.com', 'Alan Turing');
    assert.equal((await call('GET', '/me', { headers: bearer(ada) })).json().name, 'Ada Lovelace');
    assert.equal((await call('GET', '/me', { headers: bearer(alan) })).json().name, 'Alan Turing');

    const csrf = await csrfFor(shop.app, '/account/login');
    const login = await shop.app.inject({
      method: 'POST', url: '/account/login', remoteAddress: clientAddress(),
      headers: { cookie: csrf.cookie }, payload: { email: 'alan@example.com', password: 'analytical engine', _csrf: csrf.token },
    });
    const cookie = `pledge_session=${login.cookies.find((c) => c.name === 'pledge_session')!.value}`;
    assert.deepEqual((await call('GET', '/me', { headers: { cookie } })).json(), { name: 'Alan Turing', email: 'alan@example.com' });
    assertError(await call('GET', '/me', { headers: { cookie, ...bearer('x'.repeat(43)) } }), 401, 'unauthorized');
    assertError(await call('GET', '/me', { headers: { cookie, authorization: 'Basic YWxhbjpwdw==' } }), 401, 'unauthorized');
    assertError(await call('GET', '/me'), 401, 'unauthorized');

    const before = await snapshot();
    assertError(await call('PATCH', '/me', { body: { name: 'Forged' }, headers: { cookie, host: SITE.host } }), 403, 'cross_site_request');
    assertError(await call('DELETE', '/sessions/current', { headers: { cookie, host: SITE.host, origin: 'https://elsewhere.example' } }), 403, 'cross_site_request');
    assert.equal(await snapshot(), before, 'nothing was written');
    assert.equal((await call('PATCH', '/me', { body: { name: 'Alan M. Turing' }, headers: { cookie, ...SITE } })).statusCode, 200);

    await call('POST', '/cart/items', { body: { slug: 'glass-lip-gloss', quantity: 1 }, headers: bearer(ada) });
    const adaCart = await call('GET', '/cart', { headers: bearer(ada) });
    assert.deepEqual(adaCart.json().lines.map((l: { slug: string }) => l.slug), ['glass-lip-gloss']);
    assert.equal(adaCart.json().cartToken, undefined, 'a customer’s cart has no token');
    assert.deepEqual((await call('GET', '/cart', { headers: bearer(alan) })).json().lines, [], 'Alan does not see Ada’s cart');
    assert.deepEqual((await call('GET', '/cart', { headers: { cookie } })).json().lines, []);

    const out = await call('DELETE', '/sessions/current', { headers: { cookie, ...SITE } });
    assert.equal(out.statusCode, 204);
    assert.equal(out.cookies.find((c) => c.name === 'pledge_session')?.value, '', 'the cookie is cleared');
    assertError(await call('GET', '/me', { headers: { cookie } }), 401, 'unauthorized');
    assert.equal((await call('GET', '/me', { headers: bearer(alan) })).statusCode, 200, 'only that session ended');
  });

  test('signing in brings the visitor’s cart (named by X-Cart-Token) into the customer’s', async () => {
    const token = await customer('lin@example.com', 'Lin');
    await call('POST', '/cart/items', { body: { slug: 'tinted-lip-balm', quantity: 1 }, headers: bearer(token) });
    const visitor = (await call('POST', '/cart/items', { body: { slug: 'glass-lip-gloss', quantity: 2 } })).json().cartToken as string;
    const signedIn = await call('POST', '/sessions', { body: { email: 'lin@example.com', password: 'analytical engine' }, headers: { 'x-cart-token': visitor } });
    assert.equal(signedIn.statusCode, 201);
    const cart = (await call('GET', '/cart', { headers: bearer(signedIn.json().token) })).json();
    assert.deepEqual(cart.lines.map((l: { slug: string; quantity: number }) => [l.slug, l.quantity]), [['tinted-lip-balm', 1], ['glass-lip-gloss', 2]]);
    assert.equal((await call('GET', '/cart', { headers: { 'x-cart-token': visitor } })).json().itemCount, 0, 'the visitor cart is gone');
  });

  test('registration and sign-in are rate-limited per client, with the same error body', async () => {
    const remoteAddress = '127.4.0.1';
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await shop.app.inject({ method: 'POST', url: '/api/store/sessions', remoteAddress, headers: { 'content-type': 'application/json' }, payload: { email: 'x@example.com', password: 'nope' } });
      statuses.push(response.statusCode);
      if (i === 10) assertError(response, 429, 'rate_limited');
    }
    assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
  });

  const address = { recipientName: 'Ada Lovelace', line1: '1 Market St', city: 'San Francisco', region: 'CA', postcode: '94105', country: 'US', phone: '+1 555 0100' };
  const details = { email: 'ada@example.com', address, shippingOption: 'standard' };
  /** A card tokenized as an API client does it: at TestPay's own JSON endpoint, never through the shop. */
  async function cardToken(number: string): Promise<string> {
    const response = await shop.app.inject({ method: 'POST', url: '/testpay/tokens', remoteAddress: clientAddress(), payload: { number, expMonth: 12, expYear: 2030, cvc: '123' } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json().id;
  }
  const GOOD_CARD = '4242 4242 4242 4242';
  const DECLINED_CARD = '4000 0000 0000 0002';

  async function visitorCart(lines: Record<string, number>): Promise<Record<string, string>> {
    let headers: Record<string, string> = {};
    for (const [slug, quantity] of Object.entries(lines)) {
      const added = await call('POST', '/cart/items', { body: { slug, quantity }, headers });
      assert.ok(added.statusCode < 300, added.body);
      headers = { 'x-cart-token': added.json().cartToken };
    }
    return headers;
  }

  async function chargesFor(number: string) {
    const [order] = await shop.database.db.select().from(orders).where(eq(orders.number, number));
    return shop.database.db.select().from(testpayCharges).where(eq(testpayCharges.reference, order!.id));
  }

  test('checkout options name the delivery services and countries checkout takes', async () => {
    const response = await call('GET', '/checkout/options');
    assert.equal(response.headers['cache-control'], 'public, max-age=60');
    const options = documented(response, 'GET', '/checkout/options') as { shippingOptions: { code: string }[]; countries: { code: string; name: string }[] };
    assert.ok(options.shippingOptions.some((o) => o.code === 'standard'));
    assert.ok(options.countries.some((c) => c.code === 'US' && c.name === 'United States'));
  });

  test('checkout turns a visitor’s cart into a paid order; the same Idempotency-Key again is the same order and one charge', async () => {
    const cart = await visitorCart({ 'glass-lip-gloss': 2, 'tinted-lip-balm': 1 });
    const headers = { ...cart, 'idempotency-key': randomUUID() };
    const body = { ...details, cardToken: await cardToken(GOOD_CARD), expectedSubtotalCents: 2 * 1900 + 1400 };
    const placed = await call('POST', '/checkout', { body, headers });
    assert.equal(placed.statusCode, 201, placed.body);
    assert.equal(placed.headers['cache-control'], 'no-store');
    const order = documented(placed, 'POST', '/checkout') as {
      number: string; status: string; lines: { slug: string; quantity: number }[]; subtotalCents: number; shippingCents: number; taxCents: number; totalCents: number;
      card: { brand: string; last4: string }; email: string; delivery: { recipientName: string; address: { postcode: string } }; events: { kind: string }[];
    };
    assert.equal(order.status, 'paid');
    assert.deepEqual(order.lines.map((l) => [l.slug, l.quantity]), [['glass-lip-gloss', 2], ['tinted-lip-balm', 1]]);
    assert.equal(order.subtotalCents, 5200);
    assert.equal(order.totalCents, order.subtotalCents + order.shippingCents + order.taxCents);
    assert.deepEqual(order.card, { brand: 'Visa', last4: '4242' });
    assert.deepEqual([order.email, order.delivery.recipientName, order.delivery.address.postcode], ['ada@example.com', 'Ada Lovelace', '94105']);
    assert.deepEqual(order.events.map((e) => e.kind), ['placed', 'paid']);
    assert.equal((await call('GET', '/cart', { headers: cart })).json().itemCount, 0, 'the cart was emptied');

    const again = await call('POST', '/checkout', { body, headers });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(documented(again, 'POST', '/checkout').number, order.number);
    // The first answer is made from what the payment read; the second reads the order: the same order either way.
    assert.deepEqual(again.json(), placed.json());
    assert.equal((await chargesFor(order.number)).length, 1, 'one charge');

    const racing = await visitorCart({ 'glass-lip-gloss': 1 });
    const raceHeaders = { ...racing, 'idempotency-key': randomUUID() };
    const raceBody = { ...details, cardToken: await cardToken(GOOD_CARD) };
    const both = await Promise.all([call('POST', '/checkout', { body: raceBody, headers: raceHeaders }), call('POST', '/checkout', { body: raceBody, headers: raceHeaders })]);
    assert.deepEqual(both.map((r) => r.statusCode).sort(), [200, 201], both.map((r) => r.body).join('\n'));
    assert.equal(both[0]!.json().number, both[1]!.json().number, 'a double submit is one order');
    assert.equal((await chargesFor(both[0]!.json().number)).length, 1, 'and one charge');
  });

  test('a declined card is a clear 402; the order waits, and the same key with another card pays it', async () => {
    const headers = { ...(await visitorCart({ 'glass-lip-gloss': 1 })), 'idempotency-key': randomUUID() };
    const declined = await call('POST', '/checkout', { body: { ...details, cardToken: await cardToken(DECLINED_CARD) }, headers });
    const error = assertError(declined, 402, 'payment_declined');
    assert.match(error.message, /declined/);
    const number = /Order (P\d+)/.exec(error.message)?.[1];
    assert.ok(number, 'the message names the order waiting for payment');
    const [waiting] = await shop.database.db.select().from(orders).where(eq(orders.number, number));
    assert.equal(waiting!.status, 'placed');
    assert.equal((await chargesFor(number)).filter((c) => c.outcome === 'succeeded').length, 0);

    const paid = await call('POST', '/checkout', { body: { ...details, cardToken: await cardToken(GOOD_CARD) }, headers });
    assert.equal(paid.statusCode, 200, paid.body);
    assert.deepEqual([paid.json().number, paid.json().status], [number, 'paid']);
    assert.deepEqual((await chargesFor(number)).map((c) => c.outcome).sort(), ['declined', 'succeeded']);
  });

  test('another caller using the same Idempotency-Key gets an order of their own, never the first one', async () => {
    const key = randomUUID();
    const first = await call('POST', '/checkout', { body: { ...details, cardToken: await cardToken(GOOD_CARD) }, headers: { ...(await visitorCart({ 'glass-lip-gloss': 1 })), 'idempotency-key': key } });
    const other = { ...details, email: 'bob@example.com', address: { ...address, recipientName: 'Bob' } };
    const second = await call('POST', '/checkout', { body: { ...other, cardToken: await cardToken(GOOD_CARD) }, headers: { ...(await visitorCart({ 'tinted-lip-balm': 1 })), 'idempotency-key': key } });
    assert.deepEqual([first.statusCode, second.statusCode], [201, 201]);
    assert.notEqual(first.json().number, second.json().number);
    assert.equal(second.json().email, 'bob@example.com');
    assertError(await call('POST', '/checkout', { body: { ...other, cardToken: await cardToken(GOOD_CARD) }, headers: { 'idempotency-key': key } }), 400, 'empty_cart');
  });

  test('bad checkout input is a 400 naming each field, and places, takes and charges nothing', async () => {
    const cart = await visitorCart({ 'glass-lip-gloss': 1 });
    const headers = { ...cart, 'idempotency-key': randomUUID() };
    const ledger = async () => JSON.stringify(await Promise.all([orders, payments, testpayCharges, products].map((t) => shop.database.db.select().from(t)))) + (await snapshot());
    const before = await ledger();

    const bad = assertError(await call('POST', '/checkout', { body: { email: 'nope', address: { ...address, postcode: 'ABC' }, cardToken: '' }, headers: cart }), 400, 'invalid_input');
    assert.deepEqual(Object.keys(bad.fields!).sort(), ['address.postcode', 'cardToken', 'email', 'idempotency-key', 'shippingOption']);
    assert.match(bad.fields!['address.postcode']!, /like 94107/);
    assert.deepEqual(Object.keys(assertError(await call('POST', '/checkout', { headers }), 400, 'invalid_input').fields!).sort(), ['address', 'cardToken', 'email', 'shippingOption']);
    assert.deepEqual(assertError(await call('POST', '/checkout', { body: { ...details, cardToken: 'tok_forged.x' }, headers }), 400, 'invalid_input').fields, {
      cardToken: 'This is not a TestPay card token, or it was altered: tokenize the card again.',
    });
    assert.ok(assertError(await call('POST', '/checkout', { body: { ...details, cardToken: await cardToken(GOOD_CARD) }, headers: { ...cart, 'idempotency-key': 'short' } }), 400, 'invalid_input').fields!['idempotency-key']);
    const option = assertError(await call('POST', '/checkout', { body: { ...details, shippingOption: 'teleport', cardToken: await cardToken(GOOD_CARD) }, headers }), 400, 'shipping_option');
    assert.ok(option.fields!.shippingOption);
    const country = assertError(await call('POST', '/checkout', { body: { ...details, address: { ...address, country: 'JP', postcode: '100-0001' }, cardToken: await cardToken(GOOD_CARD) }, headers }), 400, 'country');
    assert.deepEqual(Object.keys(country.fields!), ['address.country']);
    assertError(await call('POST', '/checkout', { body: { ...details, cardToken: await cardToken(GOOD_CARD), expectedSubtotalCents: 1 }, headers }), 400, 'price_changed');
    assertError(await call('POST', '/checkout', { body: { ...details, cardToken: await cardToken(GOOD_CARD) }, headers: { 'idempotency-key': randomUUID() } }), 400, 'empty_cart');
    assertError(await call('POST', '/checkout', { body: { ...details, cardToken: await cardToken(GOOD_CARD) }, headers: { ...headers, ...bearer('x'.repeat(43)) } }), 401, 'unauthorized');
    assert.equal(await ledger(), before, 'no order, no stock taken, no charge, the cart as it was');
  });

  test('a customer checks out with their bearer token and finds the order among their own; nobody else can see it', async () => {
    const ada = await customer('ada.orders@example.com', 'Ada Lovelace');
    const bob = await customer('bob.orders@example.com', 'Bob');
    await call('POST', '/cart/items', { body: { slug: 'glass-lip-gloss', quantity: 1 }, headers: bearer(ada) });
    const placed = await call('POST', '/checkout', { body: { ...details, cardToken: await cardToken(GOOD_CARD) }, headers: { ...bearer(ada), 'idempotency-key': randomUUID() } });
    assert.equal(placed.statusCode, 201, placed.body);
    const { number } = placed.json();

    const mine = await call('GET', '/orders', { headers: bearer(ada) });
    assert.equal(mine.headers['cache-control'], 'no-store');
    const list = documented(mine, 'GET', '/orders') as { orders: { number: string; status: string; itemCount: number }[] };
    assert.deepEqual(list.orders.map((o) => [o.number, o.status, o.itemCount]), [[number, 'paid', 1]]);
    const one = await call('GET', `/orders/${number.toLowerCase()}`, { headers: bearer(ada) });
    assert.equal(one.headers['cache-control'], 'no-store');
    assert.deepEqual(documented(one, 'GET', '/orders/{number}'), placed.json());

    assert.deepEqual((await call('GET', '/orders', { headers: bearer(bob) })).json().orders, []);
    assertError(await call('GET', `/orders/${number}`, { headers: bearer(bob) }), 404, 'not_found');
    assertError(await call('GET', '/orders/P999999', { headers: bearer(ada) }), 404, 'not_found');
    assertError(await call('GET', '/orders/not-a-number', { headers: bearer(ada) }), 404, 'not_found');
    assertError(await call('GET', `/orders/${number}`), 401, 'unauthorized');
    assertError(await call('GET', '/orders'), 401, 'unauthorized');
    const guest = await call('POST', '/checkout', { body: { ...details, cardToken: await cardToken(GOOD_CARD) }, headers: { ...(await visitorCart({ 'tinted-lip-balm': 1 })), 'idempotency-key': randomUUID() } });
    assertError(await call('GET', `/orders/${guest.json().number}`, { headers: bearer(ada) }), 404, 'not_found');
  });

  test('the OpenAPI document lists every store route the app serves, with its schemas and security', async () => {
    const response = await shop.app.inject('/api/openapi.json');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const parsed = JSON.parse(response.body) as Doc;
    assert.match(parsed.openapi, /^3\.1\./);

    // The routes really served, seen as the app registers them.
    const served = new Set<string>();
    const watch: Feature = (app) => {
      app.addHook('onRoute', (r) => {
        for (const method of [r.method].flat()) if (method !== 'HEAD' && r.url.startsWith('/api/store/')) served.add(`${method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
      });
    };
    const app = await buildApp(shop.runtime, [watch, ...features(shop.runtime)]);
    await app.ready();
    await app.close();
    const documentedRoutes = new Set(Object.entries(parsed.paths).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`)));
    assert.ok(served.size >= 17);
    assert.deepEqual([...documentedRoutes].sort(), [...served].sort());

    const ids = Object.values(parsed.paths).flatMap((operations) => Object.values(operations).map((o) => o.operationId));
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
    for (const [path, operations] of Object.entries(parsed.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        assert.ok(Array.isArray(operation.security), `${method} ${path} says who may call it`);
        for (const requirement of operation.security) {
          for (const scheme of Object.keys(requirement)) assert.ok(parsed.components.securitySchemes[scheme], `${scheme} is a declared scheme`);
        }
        for (const [status, answer] of Object.entries(operation.responses)) {
          if (answer.$ref) assert.ok(parsed.components.responses[answer.$ref.replace('#/components/responses/', '')], `${answer.$ref} resolves`);
          else if (answer.content) z.fromJSONSchema(answer.content['application/json']!.schema as never);
          if (/^4/.test(status)) assert.ok(answer.$ref, `${method} ${path} ${status} uses the shared error body`);
        }
        for (const schema of [...operation.parameters.map((p) => p.schema), ...(operation.requestBody ? [operation.requestBody.content['application/json']!.schema] : [])]) {
          z.fromJSONSchema(schema as never);
        }
        if (/^\/api\/store\/(me|sessions\/current)$/.test(path)) assert.deepEqual(operation.security, [{ bearer: [] }, { sessionCookie: [] }]);
      }
    }
    assert.deepEqual(Object.keys(parsed.components.securitySchemes).sort(), ['bearer', 'cartCookie', 'cartToken', 'sessionCookie']);

    // The documented schemas have teeth: an answer missing a field, or with a wrong type, is rejected.
    const listSchema = z.fromJSONSchema(parsed.paths['/api/store/products']!.get!.responses['200']!.content!['application/json']!.schema as never);
    const real = (await call('GET', '/products?perPage=2')).json();
    assert.ok(listSchema.safeParse(real).success);
    assert.ok(!listSchema.safeParse({ ...real, total: 'many' }).success);
    assert.ok(!listSchema.safeParse({ ...real, products: [{ ...real.products[0], priceCents: undefined }] }).success);
  });
});
