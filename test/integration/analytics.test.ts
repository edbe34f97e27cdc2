import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { eq, sql, sum } from 'drizzle-orm';
import { DAY_MS } from '../../src/platform/clock.ts';
import { queryRows } from '../../src/platform/db/index.ts';
import { hmacSha256 } from '../../src/platform/hmac.ts';
import { products } from '../../src/shop/catalog/schema.ts';
import { analyticsSalts, coViews, dayTotals, pageViews } from '../../src/shop/analytics/schema.ts';
import { analyticsReport, createViewRecorder, destroyOldSalts, deviceClass, forgetExpiredTotals, referrerHost, SEAL_DAYS_JOB, sealPastDays, visitorKey, type View } from '../../src/shop/analytics/service.ts';
import { alsoViewed } from '../../src/shop/recommendations/service.ts';
import { signedInStaff } from '../support/backoffice.ts';
import { forEachDatabase } from '../support/databases.ts';
import { eventually, startTestShop, type TestShop } from '../support/shop.ts';

const SITE = { host: 'shop.test', origin: 'http://shop.test' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
const ADDRESS = '203.0.113.7';

/**
 * A key of bytes as releases before migration 0026 wrote it (16 bytes, or the whole HMAC of 32), whose first 53
 * bits are `key`: the bits after them are anything.
 */
function keyOfBytes(key: number, length: 16 | 32): Buffer {
  const bytes = Buffer.alloc(length, 0x9c);
  const leading = BigInt(key) << 3n;
  for (let i = 0; i < 7; i++) bytes[i] = Number((leading >> BigInt(8 * (6 - i))) & 0xffn);
  bytes[6]! |= 0b101;
  return bytes;
}

/** Keys of bytes for `visitor_keys`, each its own parameter: the driver's array of bytes is made as text, which fails on some bytes. */
const keysOfBytes = (keys: Buffer[]) => sql`array[${sql.join(keys.map((key) => sql`${key}::bytea`), sql`, `)}]`;

test('device classes and referrer hosts are coarse, and a link within the shop is no referrer', () => {
  assert.equal(deviceClass(PHONE), 'mobile');
  assert.equal(deviceClass('Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)'), 'tablet');
  assert.equal(deviceClass('Mozilla/5.0 (X11; Linux x86_64) Chrome/120'), 'desktop');
  assert.equal(deviceClass('Googlebot/2.1'), 'bot');
  assert.equal(deviceClass(undefined), 'unknown');
  assert.equal(referrerHost('https://Search.Example/q?x=secret', 'shop.test'), 'search.example');
  assert.equal(referrerHost('http://shop.test/products/x', 'shop.test'), null);
  assert.equal(referrerHost('not a url', 'shop.test'), null);
});

forEachDatabase('browsing analytics', (kind) => {
  let shop: TestShop;
  let allowed = '';
  let refused = '';
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000' } });
    const consent = async (answer: string) => {
      const response = await shop.app.inject({ method: 'POST', url: '/privacy/cookies', headers: { ...FORM, ...SITE }, payload: `from=banner&answer=${answer}` });
      return response.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    };
    allowed = await consent('accept');
    refused = await consent('reject');
  });
  after(() => shop.stop());
  beforeEach(async () => {
    await shop.database.db.delete(pageViews);
    shop.clock.set('2026-03-02T10:20:00Z');
  });

  const views = () => shop.database.db.select().from(pageViews).orderBy(pageViews.id);
  /** Views recorded so far, however many rows hold them. */
  const viewCount = async () => Number((await shop.database.db.select({ n: sum(pageViews.views) }).from(pageViews))[0]!.n ?? 0);
  const keysOf = (row: { visitors: number[] | null }) => row.visitors ?? [];
  /** The key a visitor from `address` gets under the day's salt still stored. */
  const keyNow = async (address: string) => {
    const [salt] = await shop.database.db.select().from(analyticsSalts);
    return visitorKey(hmacSha256(salt!.salt), new URL(shop.runtime.config.baseUrl).host, address, PHONE);
  };
  const visit = (url: string, headers: Record<string, string>, remoteAddress = ADDRESS) =>
    shop.app.inject({ url, remoteAddress, headers: { accept: 'text/html', 'user-agent': PHONE, ...SITE, ...headers } });

  test('with performance consent a product view is one row: hour, route, product, device and referring site; no address or browser', async () => {
    const response = await visit('/products/gentle-oat-cleanser?utm=x', { cookie: allowed, referer: 'https://search.example/?q=oat' });
    assert.equal(response.statusCode, 200);
    const [row, ...rest] = await eventually(async () => ((await views()).length > 0 ? views() : undefined));
    assert.equal(rest.length, 0);
    const [product] = await shop.database.db.select().from(products).where(eq(products.slug, 'gentle-oat-cleanser'));
    assert.deepEqual(
      { hour: row!.hour.toISOString(), kind: row!.kind, path: row!.path, productId: row!.productId, referrerHost: row!.referrerHost, deviceClass: row!.deviceClass, views: row!.views },
      { hour: '2026-03-02T10:00:00.000Z', kind: 'product', path: '/products/:slug', productId: product!.id, referrerHost: 'search.example', deviceClass: 'mobile', views: 1 },
    );
    assert.deepEqual(keysOf(row!), [await keyNow(ADDRESS)]);
    assert.ok(Number.isSafeInteger(row!.visitors![0]) && row!.visitors![0]! >= 0, 'a key is a whole number of 53 bits');
    assert.deepEqual([row!.visitorKeys, row!.visitorKey], [null, null], 'the columns of the releases before are left empty');
    const stored = JSON.stringify(await views());
    assert.ok(!stored.includes(ADDRESS) && !stored.includes('iPhone'), 'neither the address nor the user agent is stored');
  });

  test('views alike but for their visitor are one row: their count and each visitor once, in key order; another page or hour is another row', async () => {
    const errors: Error[] = [];
    const recorder = createViewRecorder({ db: shop.database.db, clock: shop.clock, jobs: shop.runtime.jobs, site: 'shop.test', salts: {} }, (e) => errors.push(e));
    const home: View = { kind: 'page', path: '/', clientAddress: ADDRESS, userAgent: PHONE, referer: undefined, host: 'shop.test' };
    const addresses = ['198.51.100.9', '198.51.100.10', '198.51.100.11', '198.51.100.12'];
    recorder.record(home);
    recorder.record(home);
    recorder.record({ ...home, kind: 'product', path: '/products/:slug', productSlug: 'gentle-oat-cleanser' });
    for (const clientAddress of addresses) recorder.record({ ...home, clientAddress });
    shop.clock.advance(60 * 60 * 1000);
    recorder.record(home);
    await recorder.flush();
    assert.deepEqual(errors, []);
    const rows = await views();
    assert.deepEqual(rows.map((r) => [r.path, r.hour.getUTCHours(), r.views, r.visitors!.length]).sort(), [['/', 10, 6, 5], ['/', 11, 1, 1], ['/products/:slug', 10, 1, 1]]);
    const busiest = keysOf(rows.find((r) => r.views === 6)!);
    assert.deepEqual(busiest, [...busiest].sort((a, b) => a - b), 'in the order of the keys, not of the visits');
  });

  test('nothing is recorded without a choice, after Reject all, or under GPC even with an earlier Accept all', async () => {
    await visit('/', {});
    await visit('/', { cookie: refused });
    await visit('/', { cookie: allowed, 'sec-gpc': '1' });
    await visit('/products/gentle-oat-cleanser', { cookie: allowed });
    await eventually(async () => (await viewCount()) === 1);
    assert.deepEqual((await views()).map((v) => v.kind), ['product'], 'only the consenting visit');
  });

  test('one visitor is one key within a day; the salt is destroyed when the day ends and the next day’s key does not match', async () => {
    await visit('/', { cookie: allowed });
    await visit('/products/gentle-oat-cleanser', { cookie: allowed });
    await visit('/', { cookie: allowed }, '198.51.100.9');
    await eventually(async () => (await viewCount()) === 3);
    const [mine, theirs] = [await keyNow(ADDRESS), await keyNow('198.51.100.9')];
    assert.notEqual(mine, theirs);
    const keysOn = async (path: string) => [...new Set((await views()).filter((v) => v.path === path).flatMap(keysOf))].sort();
    assert.deepEqual(await keysOn('/'), [mine, theirs].sort());
    assert.deepEqual(await keysOn('/products/:slug'), [mine], 'the same visitor’s views of two pages share their key');
    assert.deepEqual((await shop.database.db.select().from(analyticsSalts)).map((s) => s.day), ['2026-03-02']);

    // Midnight: the job that was scheduled for it destroys the day's salt.
    shop.clock.set('2026-03-03T00:00:01Z');
    assert.equal(await destroyOldSalts({ db: shop.database.db, clock: shop.clock }), 1);
    assert.deepEqual(await shop.database.db.select().from(analyticsSalts), []);

    await visit('/', { cookie: allowed });
    await eventually(async () => (await viewCount()) === 4);
    const today = (await views()).at(-1)!;
    assert.equal(today.hour.toISOString(), '2026-03-03T00:00:00.000Z');
    assert.ok(!keysOf(today).includes(mine), 'yesterday’s key cannot be linked to today’s');
    const salts = await shop.database.db.select().from(analyticsSalts);
    assert.deepEqual(salts.map((s) => s.day), ['2026-03-03']);
    // Even someone holding the database and the visitor's address and browser cannot find yesterday's views: no salt
    // left makes their key, while today's salt still makes today's.
    assert.deepEqual(keysOf(today), [await keyNow(ADDRESS)]);
    assert.ok(![mine, theirs].includes(await keyNow(ADDRESS)));
  });

  test('the first view of a new day destroys the salts before it even if the job has not run', async () => {
    await visit('/', { cookie: allowed });
    await eventually(async () => (await viewCount()) === 1);
    shop.clock.advance(2 * DAY_MS);
    await visit('/', { cookie: allowed });
    await eventually(async () => (await viewCount()) === 2);
    assert.deepEqual((await shop.database.db.select().from(analyticsSalts)).map((s) => s.day), ['2026-03-04']);
  });

  test('the admin page shows visits, top pages and products and the funnel as SVG; other staff are refused', async () => {
    await visit('/products/gentle-oat-cleanser', { cookie: allowed });
    await visit('/products/gentle-oat-cleanser', { cookie: allowed }, '198.51.100.9');
    await shop.app.inject({ method: 'POST', url: '/cart/items', remoteAddress: ADDRESS, headers: { ...FORM, ...SITE, 'user-agent': PHONE, cookie: allowed }, payload: 'slug=gentle-oat-cleanser&quantity=1' });
    await eventually(async () => (await viewCount()) === 3);
    const admin = await signedInStaff(shop, ['admin']);
    const page = await admin.get('/admin/analytics');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /2 visits, 2 page views/);
    assert.match(page.body, /<svg class="chart"[^>]*role="img"/);
    assert.match(page.body, />Viewed a product \(2\)</);
    assert.match(page.body, />Added to the cart \(1\)</);
    assert.match(page.body, />Ordered \(0\)</);
    assert.match(page.body, />Gentle Oat Cleanser \(2\)</);
    assert.match(page.body, />\/products\/:slug \(2\)</);
    assert.match(page.body, /href="\/admin\/analytics" aria-current="page"/);
    const support = await signedInStaff(shop, ['support']);
    assert.equal((await support.get('/admin/analytics')).statusCode, 403);
  });

  test('rows the releases before wrote, with keys of bytes, count with the new ones in the report and the co-views', async () => {
    const ids = Object.fromEntries((await shop.database.db.select({ slug: products.slug, id: products.id }).from(products)).map((p) => [p.slug, p.id]));
    // A key of the largest size, with every bit set, and a small one: the first 53 bits of a key of bytes are this
    // release's key for the same visitor and day.
    const [first, second] = [2 ** 53 - 1, 2];
    const hour = new Date('2026-03-02T09:00:00Z');
    const product = { hour, kind: 'product', path: '/products/:slug', deviceClass: 'desktop' };
    await shop.database.db.insert(pageViews).values([
      { ...product, visitorKey: keyOfBytes(first, 32), productId: ids['gentle-oat-cleanser'], views: 2 },
      { ...product, visitorKey: keyOfBytes(second, 32), productId: ids['gentle-oat-cleanser'] },
      { ...product, visitorKeys: keysOfBytes([keyOfBytes(first, 16), keyOfBytes(second, 16)]), productId: ids['hyaluronic-water-gel'], views: 2 },
      { ...product, kind: 'cart_add', path: '/cart/items', visitors: [second], productId: ids['hyaluronic-water-gel'] },
    ]);
    const admin = await signedInStaff(shop, ['admin']);
    const page = await admin.get('/admin/analytics');
    assert.match(page.body, /2 visits, 5 page views/);
    assert.match(page.body, />Viewed a product \(2\)</);
    assert.match(page.body, />Added to the cart \(1\)</);
    assert.deepEqual((await alsoViewed({ db: shop.database.db }, ids['gentle-oat-cleanser']!)).map((s) => s.slug), ['hyaluronic-water-gel']);
  });

  test('a day that is over is sealed: its visits, funnel and co-views are counted, its rows merged without keys, and every report reads the same', async () => {
    await shop.database.db.delete(dayTotals);
    await shop.database.db.delete(coViews);
    const ids = Object.fromEntries((await shop.database.db.select({ slug: products.slug, id: products.id }).from(products)).map((p) => [p.slug, p.id]));
    const [cleanser, gel] = [ids['gentle-oat-cleanser']!, ids['hyaluronic-water-gel']!];
    const key = (n: number) => n * 1_000_003;
    const at = (time: string) => new Date(`2026-03-02T${time}:00:00Z`);
    const product = { kind: 'product', path: '/products/:slug', deviceClass: 'mobile' };
    // Visitor 2 viewed both products, added the cleanser and ordered; 1 and 3 viewed both (3 on rows of the releases
    // before); 4 saw only the home page. Two batches wrote the same hour's cleanser views apart.
    await shop.database.db.insert(pageViews).values([
      { ...product, hour: at('09'), productId: cleanser, visitors: [key(1), key(2)], views: 3 },
      { ...product, hour: at('09'), productId: cleanser, visitorKeys: keysOfBytes([keyOfBytes(key(3), 16)]) },
      { ...product, hour: at('09'), productId: gel, visitors: [key(1), key(2)], views: 2 },
      { ...product, hour: at('11'), productId: gel, visitorKey: keyOfBytes(key(3), 32) },
      { hour: at('10'), kind: 'cart_add', path: '/cart/items', productId: cleanser, deviceClass: 'mobile', visitors: [key(2)] },
      { hour: at('10'), kind: 'order', path: '/checkout/pay/:number', deviceClass: 'mobile', visitors: [key(2)] },
      { hour: at('11'), kind: 'page', path: '/', deviceClass: 'desktop', referrerHost: 'search.example', visitors: [key(4)] },
      { ...product, hour: new Date('2026-03-03T00:00:00Z'), productId: cleanser, visitors: [key(5)] },
    ]);
    shop.clock.set('2026-03-03T00:20:00Z');
    const ctx = { db: shop.database.db, clock: shop.clock };
    const read = async () => ({ report: await analyticsReport(ctx), cleanser: await alsoViewed(ctx, cleanser), gel: await alsoViewed(ctx, gel) });
    const before = await read();
    assert.deepEqual(before.report.funnel, { viewed: 4, addedToCart: 1, ordered: 1 });
    assert.deepEqual(before.cleanser.map((s) => s.slug), ['hyaluronic-water-gel']);

    assert.deepEqual(await sealPastDays(ctx), ['2026-03-02']);
    assert.deepEqual(await read(), before, 'the report and the co-views read the same from the totals');
    assert.deepEqual(await shop.database.db.select().from(dayTotals), [{ day: '2026-03-02', visits: 4, viewedProduct: 3, addedToCart: 1, ordered: 1 }]);
    const pairs = await shop.database.db.select().from(coViews).orderBy(coViews.productId);
    assert.deepEqual(pairs.map((p) => [p.productId, p.otherProductId, p.viewers]).sort(), [[cleanser, gel, 3], [gel, cleanser, 3]].sort());
    const sealed = (await views()).filter((v) => v.hour < new Date('2026-03-03T00:00:00Z'));
    assert.ok(sealed.every((v) => v.visitorKey === null && v.visitorKeys === null && v.visitors === null), 'no key of the sealed day is left');
    assert.deepEqual(
      sealed.map((v) => [v.hour.toISOString().slice(11, 13), v.kind, v.productId, v.views]).sort(),
      [['09', 'product', cleanser, 4], ['09', 'product', gel, 2], ['10', 'cart_add', cleanser, 1], ['10', 'order', null, 1], ['11', 'page', null, 1], ['11', 'product', gel, 1]].sort(),
      'one row per hour and kind of view, counted',
    );
    assert.deepEqual(keysOf((await views()).find((v) => v.hour >= new Date('2026-03-03T00:00:00Z'))!), [key(5)], 'today keeps its keys');
    assert.deepEqual(await sealPastDays(ctx), [], 'a sealed day is not sealed again');

    // A view of the sealed day written late is counted into its totals by the next sealing.
    await shop.database.db.insert(pageViews).values({ ...product, hour: at('23'), productId: gel, visitors: [key(6)] });
    assert.deepEqual(await sealPastDays(ctx), ['2026-03-02']);
    assert.deepEqual(await shop.database.db.select().from(dayTotals), [{ day: '2026-03-02', visits: 5, viewedProduct: 4, addedToCart: 1, ordered: 1 }]);
  });

  test('the first view of a day schedules its sealing, ten minutes after the day ends', async () => {
    // Today by the real clock: pg-boss's own upkeep, on that clock, deletes a job due months ago.
    const now = new Date();
    shop.clock.set(now);
    const today = now.toISOString().slice(0, 10);
    await visit('/', { cookie: allowed });
    await eventually(async () => (await viewCount()) === 1);
    const [job] = await queryRows<{ start_after: Date | string }>(shop.database.db, sql`select start_after from pgboss.job where name = ${SEAL_DAYS_JOB} and singleton_key = ${today}`);
    assert.equal(new Date(job!.start_after).toISOString(), new Date(Date.parse(today) + DAY_MS + 10 * 60 * 1000).toISOString());
  });

  test('the totals and co-views of a day go when the last of its views expire', async () => {
    await shop.database.db.delete(dayTotals);
    await shop.database.db.delete(coViews);
    await shop.database.db.insert(pageViews).values([
      { hour: new Date('2026-03-01T09:00:00Z'), kind: 'page', path: '/', deviceClass: 'desktop' },
      { hour: new Date('2026-03-02T09:00:00Z'), kind: 'page', path: '/', deviceClass: 'desktop' },
    ]);
    for (const day of ['2026-02-28', '2026-03-01', '2026-03-02']) {
      await shop.database.db.insert(dayTotals).values({ day, visits: 1, viewedProduct: 0, addedToCart: 0, ordered: 0 });
      await shop.database.db.insert(coViews).values({ productId: 1, otherProductId: 2, day, viewers: 1 });
    }
    await forgetExpiredTotals(shop.database.db);
    assert.deepEqual((await shop.database.db.select().from(dayTotals)).map((t) => t.day).sort(), ['2026-03-01', '2026-03-02']);
    assert.deepEqual((await shop.database.db.select().from(coViews)).map((t) => t.day).sort(), ['2026-03-01', '2026-03-02']);
    await shop.database.db.delete(pageViews);
    await forgetExpiredTotals(shop.database.db);
    assert.deepEqual(await shop.database.db.select().from(dayTotals), [], 'with no views left, no totals are');
    assert.deepEqual(await shop.database.db.select().from(coViews), []);
  });
});
