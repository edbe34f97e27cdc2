import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { eq, sql, sum } from 'drizzle-orm';
import { DAY_MS } from '../../src/platform/clock.ts';
import { queryRows } from '../../src/platform/db/index.ts';
import { pageViews } from '../../src/shop/analytics/schema.ts';
import { products } from '../../src/shop/catalog/schema.ts';
import { signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, eventually, startTestShop, type TestShop } from '../support/shop.ts';

const SITE = { host: 'shop.test', origin: 'http://shop.test' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

forEachDatabase('recommendations', (kind) => {
  let shop: TestShop;
  const cookies: Record<string, string> = {};
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000' } });
    const answers = { all: 'answer=accept', performanceOnly: 'answer=choose&categories=performance', experienceOnly: 'answer=choose&categories=experience' };
    for (const [name, payload] of Object.entries(answers)) {
      const response = await shop.app.inject({ method: 'POST', url: '/privacy/cookies', headers: { ...FORM, ...SITE }, payload: `from=banner&${payload}` });
      cookies[name] = response.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    }
  });
  after(() => shop.stop());

  const view = (slug: string, cookie: string, remoteAddress = '203.0.113.7', headers: Record<string, string> = {}) =>
    shop.app.inject({ url: `/products/${slug}`, remoteAddress, headers: { accept: 'text/html', ...SITE, ...headers, cookie } });
  const section = (body: string, id: string) => new RegExp(`<section class="suggestions" aria-labelledby="${id}">[\\s\\S]*?</section>`).exec(body)?.[0];
  const linked = (markup: string | undefined) => [...(markup ?? '').matchAll(/href="\/products\/([a-z0-9-]+)"/g)].map((m) => m[1]!);

  /** Rows in every table of the shop's schema. */
  async function rowCounts(): Promise<Record<string, number>> {
    const tables = await queryRows<{ name: string }>(shop.database.db, sql`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`);
    const counts: Record<string, number> = {};
    for (const { name } of tables) counts[name] = Number((await queryRows<{ n: number | string }>(shop.database.db, sql`select count(*) as n from ${sql.identifier(name)}`))[0]!.n);
    return counts;
  }

  /** Row counts once nothing is left to write: views land up to a second after they happen, so two readings a second apart must agree. */
  async function settledCounts(): Promise<Record<string, number>> {
    let last = await rowCounts();
    for (let i = 0; i < 10; i++) {
      await sleep(1100);
      const now = await rowCounts();
      if (isDeepStrictEqual(now, last)) return now;
      last = now;
    }
    throw new Error('rows kept changing');
  }

  test('"Customers also viewed" shows products several visitors viewed on the same day, and only then', async () => {
    shop.clock.set('2026-04-01T10:00:00Z');
    // Two visitors viewed the cleanser and the gel; only one viewed the cleanser and the cream.
    await view('gentle-oat-cleanser', cookies.performanceOnly!, '198.51.100.1');
    await view('hyaluronic-water-gel', cookies.performanceOnly!, '198.51.100.1');
    await view('ceramide-barrier-cream', cookies.performanceOnly!, '198.51.100.1');
    await view('gentle-oat-cleanser', cookies.performanceOnly!, '198.51.100.2');
    await view('hyaluronic-water-gel', cookies.performanceOnly!, '198.51.100.2');
    await eventually(async () => Number((await shop.database.db.select({ n: sum(pageViews.views) }).from(pageViews))[0]!.n) === 5);

    // The next day the page is built again, with the new co-views; anyone sees them, consent or not.
    shop.clock.advance(DAY_MS);
    const page = await shop.app.inject('/products/gentle-oat-cleanser');
    const section = /<section class="suggestions" aria-labelledby="also-viewed">[\s\S]*?<\/section>/.exec(page.body)?.[0] ?? '';
    assert.match(section, /href="\/products\/hyaluronic-water-gel"/);
    assert.doesNotMatch(section, /ceramide-barrier-cream/, 'a pair one visitor made is not shown');
  });

  test('"Recently viewed" only with shopping-experience consent: kept in its cookie, shown on a private copy of the page', async () => {
    const first = await view('velvet-matte-lipstick', cookies.all!);
    const recent = first.cookies.find((c) => c.name === 'pledge_recent');
    assert.equal(recent?.value, 'velvet-matte-lipstick');
    assert.doesNotMatch(first.body, /id="recently-viewed"/, 'nothing else viewed yet');

    const second = await view('peptide-eye-cream', `${cookies.all!}; pledge_recent=${recent.value}`);
    assert.match(/<section class="suggestions" aria-labelledby="recently-viewed">[\s\S]*?<\/section>/.exec(second.body)?.[0] ?? '', /href="\/products\/velvet-matte-lipstick">Velvet Matte Lipstick</);
    assert.equal(second.headers['cache-control'], 'no-store', 'a visitor’s own list is never cached');
    assert.equal(second.cookies.find((c) => c.name === 'pledge_recent')?.value, 'peptide-eye-cream~velvet-matte-lipstick');

    // Without that consent the cookie is not set, a planted one is not read, and it is expired.
    const refused = await view('peptide-eye-cream', `${cookies.performanceOnly!}; pledge_recent=velvet-matte-lipstick`);
    assert.doesNotMatch(refused.body, /id="recently-viewed"/);
    const expired = refused.cookies.find((c) => c.name === 'pledge_recent');
    assert.equal(expired?.value, '');
    const none = await view('peptide-eye-cream', '');
    assert.equal(none.cookies.find((c) => c.name === 'pledge_recent'), undefined);
  });

  test('"Picked for you" with shopping-experience consent: from the viewed products’ categories and brands, worked out from the cookie and stored nowhere', async () => {
    // On screen: an eye cream (skincare, Lumen & Oak); in the cookie: a lipstick (lips, Lumen & Oak) and the 400 ml
    // size of a cleanser (skincare, Fieldhouse), a variant.
    const history = 'pledge_recent=velvet-matte-lipstick~gentle-oat-cleanser-400-ml';
    const before = await settledCounts();
    const page = await view('peptide-eye-cream', `${cookies.experienceOnly!}; ${history}`);
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.deepEqual(linked(section(page.body, 'recently-viewed')), ['velvet-matte-lipstick', 'gentle-oat-cleanser-400-ml'], 'newest first, as the cookie has them');

    const picks = linked(section(page.body, 'picked-for-you'));
    assert.equal(picks.length, 4);
    // Skincare by Lumen & Oak shares both with two viewed products; a Fieldhouse night cream shares skincare with two and its brand with one.
    assert.deepEqual(picks.slice(0, 2), ['cleansing-balm', 'ceramide-barrier-cream']);
    const picked = await shop.database.db.select().from(products).where(sql`${products.slug} in (${sql.join(picks.map((p) => sql`${p}`), sql`, `)})`);
    const viewedCategories = (await queryRows<{ id: number }>(shop.database.db, sql`select id from category where slug in ('skincare', 'lips')`)).map((c) => c.id);
    assert.equal(picked.length, 4);
    for (const product of picked) {
      assert.ok(product.listed && product.stock > 0 && product.archivedAt === null, `${product.slug} is on sale`);
      assert.ok(viewedCategories.includes(product.categoryId) || ['Lumen & Oak', 'Fieldhouse'].includes(product.brand), `${product.slug} shares a category or a brand`);
    }
    for (const seen of ['peptide-eye-cream', 'velvet-matte-lipstick', 'gentle-oat-cleanser']) assert.ok(!picks.includes(seen), `${seen} was viewed (or a size of it)`);
    assert.match(page.body, /the shop keeps no record of this list/);

    // Without performance consent nothing was counted, and no table has a row more or less: the picks are not kept.
    assert.deepEqual(await settledCounts(), before);

    // The picks follow the catalogue: a product that sells out leaves them once the catalogue's pages are renewed.
    await shop.database.db.update(products).set({ stock: 0 }).where(eq(products.slug, 'cleansing-balm'));
    const renewed = await eventually(async () => {
      const again = linked(section((await view('peptide-eye-cream', `${cookies.experienceOnly!}; ${history}`)).body, 'picked-for-you'));
      return !again.includes('cleansing-balm') && again;
    });
    assert.deepEqual(renewed.slice(0, 1), ['ceramide-barrier-cream']);
    await shop.database.db.update(products).set({ stock: 70 }).where(eq(products.slug, 'cleansing-balm'));
  });

  test('no picks without shopping-experience consent, after refusing it, or under GPC', async () => {
    const history = 'pledge_recent=velvet-matte-lipstick~gentle-oat-cleanser-400-ml';
    for (const [what, response] of [
      ['experience refused (performance only)', await view('peptide-eye-cream', `${cookies.performanceOnly!}; ${history}`)],
      ['no choice', await view('peptide-eye-cream', history)],
      ['GPC over Accept all', await view('peptide-eye-cream', `${cookies.all!}; ${history}`, '203.0.113.7', { 'sec-gpc': '1' })],
    ] as const) {
      assert.equal(response.statusCode, 200, what);
      assert.equal(section(response.body, 'picked-for-you'), undefined, what);
      assert.equal(section(response.body, 'recently-viewed'), undefined, what);
    }
  });

  test('erasing the account expires the recently viewed cookie in the same response', async () => {
    const me = await signedInCustomer(shop, 'Rhea Lind', `rhea.${Date.now()}@example.com`);
    const csrf = await csrfFor(shop.app, '/privacy-center');
    const erased = await shop.app.inject({
      method: 'POST',
      url: '/privacy-center/erase',
      headers: { cookie: `${csrf.cookie}; ${me.cookie}; ${cookies.all!}; pledge_recent=velvet-matte-lipstick` },
      payload: { password: 'a long enough password', confirm: 'yes', _csrf: csrf.token },
    });
    assert.equal(erased.statusCode, 200);
    assert.equal(erased.cookies.find((c) => c.name === 'pledge_recent')?.value, '');
  });
});
