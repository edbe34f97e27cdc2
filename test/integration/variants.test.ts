import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asc } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { startTestShop, type TestShop } from '../support/shop.ts';
import { forEachDatabase } from '../support/databases.ts';
import { cartItems } from '../../src/shop/cart/schema.ts';
import { viewCart } from '../../src/shop/cart/service.ts';
import { archiveProduct } from '../../src/shop/catalog/service.ts';

// Shades and sizes are products of their own sharing a variant group; one of each group stands for it in listings.

// The add form sits on a cached product page and is checked by its Origin.
const SITE = { host: 'shop.test', origin: 'http://shop.test' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const cardLinks = (body: string) => [...body.matchAll(/<li class="card">\s*<a href="\/products\/([a-z0-9-]+)">/g)].map((m) => m[1]!);
const cardNames = (body: string) => [...body.matchAll(/<span class="name">([^<]*)<\/span>/g)].map((m) => m[1]!);
/** The variant choice on a product page: each link's slug, whether it is the current page, and its text. */
const choices = (body: string) =>
  [...(/<div class="variants"[\s\S]*?<\/ul>/.exec(body)?.[0] ?? '').matchAll(/<a href="\/products\/([a-z0-9-]+)"( aria-current="page")?>([\s\S]*?)<\/a>/g)].map((m) => ({
    slug: m[1]!,
    current: m[2] !== undefined,
    text: m[3]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim(),
  }));

forEachDatabase('product variants', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_CATALOG_CACHE_MS: '0' } });
  });
  after(() => shop.stop());

  const ctx = () => ({ db: shop.database.db, clock: shop.clock });
  const page = (url: string) => shop.app.inject(url);

  let client = 0;
  function post(url: string, fields: Record<string, string>, cookie = '') {
    shop.clock.advance(1000); // cart lines are listed in the order they were added
    return shop.app.inject({
      method: 'POST',
      url,
      remoteAddress: `127.2.0.${++client}`,
      headers: { ...FORM, ...SITE, ...(cookie ? { cookie } : {}) },
      payload: new URLSearchParams(fields).toString(),
    });
  }
  const cartCookie = (response: LightMyRequestResponse) => `pledge_cart=${response.cookies.find((c) => c.name === 'pledge_cart')!.value}`;
  const cartItemRows = () => shop.database.db.select().from(cartItems).orderBy(asc(cartItems.cartId), asc(cartItems.productId));

  test('listings show each variant group once, as its listed product, saying how many options there are', async () => {
    const home = [(await page('/')).body, (await page('/?page=2')).body];
    assert.match(home[0]!, /41 products/);
    const slugs = home.flatMap(cardLinks);
    assert.equal(slugs.length, 41);
    assert.equal(new Set(slugs).size, 41);
    for (const variant of ['velvet-matte-lipstick-02-rose', 'second-skin-foundation-4n-tan', 'vitamin-c-brightening-serum-50-ml']) {
      assert.ok(!slugs.includes(variant), `${variant} is not listed`);
    }
    const lips = (await page('/categories/lips')).body;
    assert.match(lips, /6 products/);
    assert.deepEqual(cardNames(lips).filter((n) => n === 'Velvet Matte Lipstick'), ['Velvet Matte Lipstick']);
    assert.match(lips, /<span class="variant">Shade: 01 Ruby · 5 shades<\/span>/);
    const skincare = (await page('/categories/skincare')).body;
    assert.match(skincare, /10 products/);
    assert.match(skincare, /<span class="variant">Size: 30 ml · 2 sizes<\/span>/);
  });

  test('a variant page offers its group as a labelled list of links, the shown one current, each with its price and stock', async () => {
    const response = await page('/products/velvet-matte-lipstick-02-rose');
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /<title>Velvet Matte Lipstick, 02 Rose/);
    assert.match(response.body, /<h1>Velvet Matte Lipstick<\/h1>/);
    assert.match(response.body, /<div class="variants" role="group" aria-labelledby="variant-option">\s*<p><span id="variant-option">Shade<\/span>: <strong>02 Rose<\/strong><\/p>/);
    assert.deepEqual(choices(response.body), [
      { slug: 'velvet-matte-lipstick', current: false, text: '01 Ruby $24.00 In stock' },
      { slug: 'velvet-matte-lipstick-02-rose', current: true, text: '02 Rose $24.00 In stock' },
      { slug: 'velvet-matte-lipstick-03-mauve', current: false, text: '03 Mauve $24.00 In stock' },
      { slug: 'velvet-matte-lipstick-04-brick', current: false, text: '04 Brick $24.00 Only 3 left' },
      { slug: 'velvet-matte-lipstick-05-plum', current: false, text: '05 Plum $24.00 Out of stock' },
    ]);
    assert.match(response.body, /<input type="hidden" name="slug" value="velvet-matte-lipstick-02-rose">/, 'the form adds the shade shown');

    const listed = await page('/products/velvet-matte-lipstick');
    assert.deepEqual(choices(listed.body).filter((c) => c.current).map((c) => c.slug), ['velvet-matte-lipstick']);

    const larger = await page('/products/vitamin-c-brightening-serum-50-ml');
    assert.match(larger.body, /<p class="price">\$56\.00<\/p>/);
    assert.match(larger.body, /50 ml\.<\/p>/, 'its own description');
    assert.deepEqual(choices(larger.body).map((c) => c.text), ['30 ml $38.00 In stock', '50 ml $56.00 In stock']);

    const soldOut = await page('/products/second-skin-foundation-4n-tan');
    assert.match(soldOut.body, /<span class="stock out">Out of stock<\/span>/);
    assert.doesNotMatch(soldOut.body, /action="\/cart\/items"/);
    assert.equal(choices(soldOut.body).length, 5, 'the other shades are a click away');

    const single = await page('/products/satin-lipstick');
    assert.doesNotMatch(single.body, /class="variants"/, 'a product without variants offers none');
  });

  test('a product page reads its whole variant group in one query', async () => {
    const queriesFor = async (url: string) => {
      const before = shop.database.queries.count;
      assert.equal((await page(url)).statusCode, 200);
      return shop.database.queries.count - before;
    };
    // Pages not asked for before, so not yet in memory.
    // A product without variants: version check, product, categories, "customers also viewed".
    const single = await queriesFor('/products/lip-liner-nude');
    assert.equal(single, 4, 'version check, product, categories, customers also viewed');
    assert.equal(await queriesFor('/products/second-skin-foundation-3w-medium'), single + 1, 'and one for its five shades');
    assert.equal(await queriesFor('/products/gentle-oat-cleanser'), single + 1, 'and one for its two sizes');
  });

  test('a search shows a variant group once: the variant whose option it names, or else the listed product', async () => {
    const rose = (await page('/search?q=rose')).body;
    assert.deepEqual(cardLinks(rose).filter((s) => s.startsWith('velvet-matte-lipstick')), ['velvet-matte-lipstick-02-rose']);
    assert.match(rose, /<span class="variant">Shade: 02 Rose · 5 shades<\/span>/);
    const lipstick = cardLinks((await page('/search?q=velvet+lipstick')).body);
    assert.deepEqual(lipstick.filter((s) => s.startsWith('velvet-matte-lipstick')), ['velvet-matte-lipstick']);
    const larger = (await page('/search?q=vitamin+c+50+ml')).body;
    assert.deepEqual(cardLinks(larger), ['vitamin-c-brightening-serum-50-ml']);
    assert.match(larger, /\$56\.00/);
    const foundations = cardLinks((await page('/search?q=second+skin+foundation')).body);
    assert.equal(foundations.filter((s) => s.startsWith('second-skin-foundation')).length, 1);
  });

  test('adding a variant adds that variant; the cart names its option', async () => {
    const added = await post('/cart/items', { slug: 'velvet-matte-lipstick-02-rose', quantity: '2' });
    assert.equal(added.statusCode, 303);
    const cookie = cartCookie(added);
    assert.equal((await post('/cart/items', { slug: 'gentle-oat-cleanser-400-ml', quantity: '1' }, cookie)).statusCode, 303);
    assert.equal((await post('/cart/items', { slug: 'satin-lipstick', quantity: '1' }, cookie)).statusCode, 303);
    const cart = await viewCart(ctx(), { visitorToken: cookie.replace('pledge_cart=', '') });
    assert.deepEqual(
      cart.lines.map((l) => [l.slug, l.name, l.variant, l.unitPriceCents, l.quantity]),
      [
        ['velvet-matte-lipstick-02-rose', 'Velvet Matte Lipstick', 'Shade: 02 Rose', 2400, 2],
        ['gentle-oat-cleanser-400-ml', 'Gentle Oat Cleanser', 'Size: 400 ml', 3200, 1],
        ['satin-lipstick', 'Satin Lipstick', undefined, 2600, 1],
      ],
    );
    const body = (await shop.app.inject({ url: '/cart', headers: { cookie } })).body;
    assert.match(body, /<a href="\/products\/velvet-matte-lipstick-02-rose">Velvet Matte Lipstick<\/a>\s*<span class="variant">Shade: 02 Rose<\/span>/);
    assert.match(body, /<span class="variant">Size: 400 ml<\/span>/);

    const tooMany = await post('/cart/items', { slug: 'velvet-matte-lipstick-04-brick', quantity: '4' }, cookie);
    assert.equal(tooMany.statusCode, 400, 'each shade has its own stock');
    assert.match(tooMany.body, /Only 3 Velvet Matte Lipstick are in stock/);
  });

  test('an archived product leaves listings, search, its page and carts; its group goes on without it', async () => {
    const before = await post('/cart/items', { slug: 'velvet-matte-lipstick', quantity: '1' });
    const cookie = cartCookie(before);
    assert.equal((await post('/cart/items', { slug: 'satin-lipstick', quantity: '2' }, cookie)).statusCode, 303);

    assert.equal(await archiveProduct(ctx(), 'velvet-matte-lipstick'), true);
    assert.equal(await archiveProduct(ctx(), 'satin-lipstick'), true);
    assert.equal(await archiveProduct(ctx(), 'satin-lipstick'), false, 'already archived');

    for (const slug of ['velvet-matte-lipstick', 'satin-lipstick']) assert.equal((await page(`/products/${slug}`)).statusCode, 404, slug);
    const lips = (await page('/categories/lips')).body;
    assert.match(lips, /5 products/);
    assert.ok(!cardLinks(lips).includes('satin-lipstick'));
    assert.ok(cardLinks(lips).includes('velvet-matte-lipstick-02-rose'), 'the next shade stands for the group');
    assert.match(lips, /Shade: 02 Rose · 4 shades/);
    assert.match((await page('/')).body, /40 products/);
    const rose = await page('/products/velvet-matte-lipstick-02-rose');
    assert.deepEqual(choices(rose.body).map((c) => c.slug), ['velvet-matte-lipstick-02-rose', 'velvet-matte-lipstick-03-mauve', 'velvet-matte-lipstick-04-brick', 'velvet-matte-lipstick-05-plum']);
    assert.deepEqual(cardLinks((await page('/search?q=ruby')).body), []);
    assert.deepEqual(cardLinks((await page('/search?q=satin+lipstick')).body).filter((s) => s === 'satin-lipstick'), []);
    assert.deepEqual(cardLinks((await page('/search?q=velvet+matte+lipstick')).body).slice(0, 1), ['velvet-matte-lipstick-02-rose']);

    const rows = await cartItemRows();
    const refused = await post('/cart/items', { slug: 'satin-lipstick', quantity: '1' }, cookie);
    assert.equal(refused.statusCode, 404);
    assert.match(refused.body, /Satin Lipstick is no longer sold/);
    assert.deepEqual(await cartItemRows(), rows, 'nothing written');

    const cart = await viewCart(ctx(), { visitorToken: cookie.replace('pledge_cart=', '') });
    assert.deepEqual(cart.lines.map((l) => [l.slug, l.stockWarning]), [
      ['velvet-matte-lipstick', 'Velvet Matte Lipstick is no longer sold. Remove it to go on.'],
      ['satin-lipstick', 'Satin Lipstick is no longer sold. Remove it to go on.'],
    ]);
    const cartPage = await shop.app.inject({ url: '/cart', headers: { cookie } });
    assert.match(cartPage.body, /<span class="stock low">Satin Lipstick is no longer sold\. Remove it to go on\.<\/span>/);
    const token = /name="_csrf" value="([^"]+)"/.exec(cartPage.body)![1]!;
    const forms = [cookie, ...cartPage.cookies.map((c) => `${c.name}=${c.value}`)].join('; ');
    const raise = await post('/cart/items/satin-lipstick', { quantity: '3', _csrf: token }, forms);
    assert.equal(raise.statusCode, 400);
    assert.match(raise.body, /Satin Lipstick is no longer sold/);
    assert.equal((await post('/cart/items/satin-lipstick/remove', { _csrf: token }, forms)).statusCode, 303, 'it can still be removed');
    assert.deepEqual((await viewCart(ctx(), { visitorToken: cookie.replace('pledge_cart=', '') })).lines.map((l) => l.slug), ['velvet-matte-lipstick']);
  });
});
