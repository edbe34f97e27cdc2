import assert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { after, before, beforeEach, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { DAY_MS } from '../../src/platform/clock.ts';
import { products } from '../../src/shop/catalog/schema.ts';
import { analyticsSalts, pageViews } from '../../src/shop/analytics/schema.ts';
import { createViewRecorder, destroyOldSalts, deviceClass, referrerHost, visitorKey, type View } from '../../src/shop/analytics/service.ts';
import { signedInStaff } from '../support/backoffice.ts';
import { forEachDatabase } from '../support/databases.ts';
import { eventually, startTestShop, type TestShop } from '../support/shop.ts';

const SITE = { host: 'shop.test', origin: 'http://shop.test' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
const ADDRESS = '203.0.113.7';

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
  const visit = (url: string, headers: Record<string, string>, remoteAddress = ADDRESS) =>
    shop.app.inject({ url, remoteAddress, headers: { accept: 'text/html', 'user-agent': PHONE, ...SITE, ...headers } });

  test('with performance consent a product view is one row: hour, route, product, device and referring site; no address or browser', async () => {
    const response = await visit('/products/gentle-oat-cleanser?utm=x', { cookie: allowed, referer: 'https://search.example/?q=oat' });
    assert.equal(response.statusCode, 200);
    const [row, ...rest] = await eventually(async () => ((await views()).length > 0 ? views() : undefined));
    assert.equal(rest.length, 0);
    const [product] = await shop.database.db.select().from(products).where(eq(products.slug, 'gentle-oat-cleanser'));
    assert.deepEqual(
      { hour: row!.hour.toISOString(), kind: row!.kind, path: row!.path, productId: row!.productId, referrerHost: row!.referrerHost, deviceClass: row!.deviceClass },
      { hour: '2026-03-02T10:00:00.000Z', kind: 'product', path: '/products/:slug', productId: product!.id, referrerHost: 'search.example', deviceClass: 'mobile' },
    );
    assert.equal(row!.visitorKey.length, 32);
    const stored = JSON.stringify(await views());
    assert.ok(!stored.includes(ADDRESS) && !stored.includes('iPhone'), 'neither the address nor the user agent is stored');
  });

  test('alike views in one hour are one row with their count; another page, visitor or hour is another row', async () => {
    const errors: Error[] = [];
    const recorder = createViewRecorder({ db: shop.database.db, clock: shop.clock, jobs: shop.runtime.jobs, site: 'shop.test', salts: {} }, (e) => errors.push(e));
    const home: View = { kind: 'page', path: '/', clientAddress: ADDRESS, userAgent: PHONE, referer: undefined, host: 'shop.test' };
    await recorder.record(home);
    await recorder.record(home);
    await recorder.record({ ...home, kind: 'product', path: '/products/:slug', productSlug: 'gentle-oat-cleanser' });
    await recorder.record({ ...home, clientAddress: '198.51.100.9' });
    shop.clock.advance(60 * 60 * 1000);
    await recorder.record(home);
    await recorder.flush();
    assert.deepEqual(errors, []);
    const rows = await views();
    assert.deepEqual(rows.map((r) => [r.path, r.hour.getUTCHours(), r.views]).sort(), [['/', 10, 1], ['/', 10, 2], ['/', 11, 1], ['/products/:slug', 10, 1]]);
  });

  test('nothing is recorded without a choice, after Reject all, or under GPC even with an earlier Accept all', async () => {
    await visit('/', {});
    await visit('/', { cookie: refused });
    await visit('/', { cookie: allowed, 'sec-gpc': '1' });
    await visit('/products/gentle-oat-cleanser', { cookie: allowed });
    await eventually(async () => (await views()).length === 1);
    assert.deepEqual((await views()).map((v) => v.kind), ['product'], 'only the consenting visit');
  });

  test('one visitor is one key within a day; the salt is destroyed when the day ends and the next day’s key does not match', async () => {
    await visit('/', { cookie: allowed });
    await visit('/products/gentle-oat-cleanser', { cookie: allowed });
    await visit('/', { cookie: allowed }, '198.51.100.9');
    await eventually(async () => (await views()).length === 3);
    const [first, second, other] = await views();
    assert.deepEqual(first!.visitorKey, second!.visitorKey);
    assert.notDeepEqual(first!.visitorKey, other!.visitorKey);
    assert.deepEqual((await shop.database.db.select().from(analyticsSalts)).map((s) => s.day), ['2026-03-02']);

    // Midnight: the job that was scheduled for it destroys the day's salt.
    shop.clock.set('2026-03-03T00:00:01Z');
    assert.equal(await destroyOldSalts({ db: shop.database.db, clock: shop.clock }), 1);
    assert.deepEqual(await shop.database.db.select().from(analyticsSalts), []);

    await visit('/', { cookie: allowed });
    await eventually(async () => (await views()).length === 4);
    const today = (await views())[3]!;
    assert.notDeepEqual(today.visitorKey, first!.visitorKey, 'yesterday’s key cannot be linked to today’s');
    const salts = await shop.database.db.select().from(analyticsSalts);
    assert.deepEqual(salts.map((s) => s.day), ['2026-03-03']);
    // Even someone holding the database and the visitor's address and browser cannot find yesterday's views: no salt
    // left makes their key, while today's salt still makes today's.
    const keysFromStoredSalts = salts.map((s) => visitorKey(createSecretKey(s.salt), new URL(shop.runtime.config.baseUrl).host, ADDRESS, PHONE));
    assert.deepEqual(keysFromStoredSalts, [today.visitorKey]);
    const yesterday = new Set([first!, second!, other!].map((v) => v.visitorKey.toString('hex')));
    assert.ok(keysFromStoredSalts.every((key) => !yesterday.has(key.toString('hex'))));
  });

  test('the first view of a new day destroys the salts before it even if the job has not run', async () => {
    await visit('/', { cookie: allowed });
    await eventually(async () => (await views()).length === 1);
    shop.clock.advance(2 * DAY_MS);
    await visit('/', { cookie: allowed });
    await eventually(async () => (await views()).length === 2);
    assert.deepEqual((await shop.database.db.select().from(analyticsSalts)).map((s) => s.day), ['2026-03-04']);
  });

  test('the admin page shows visits, top pages and products and the funnel as SVG; other staff are refused', async () => {
    await visit('/products/gentle-oat-cleanser', { cookie: allowed });
    await visit('/products/gentle-oat-cleanser', { cookie: allowed }, '198.51.100.9');
    await shop.app.inject({ method: 'POST', url: '/cart/items', remoteAddress: ADDRESS, headers: { ...FORM, ...SITE, 'user-agent': PHONE, cookie: allowed }, payload: 'slug=gentle-oat-cleanser&quantity=1' });
    await eventually(async () => (await views()).length === 3);
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
});
