import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DAY_MS } from '../../src/platform/clock.ts';
import { pageViews } from '../../src/shop/analytics/schema.ts';
import { forEachDatabase } from '../support/databases.ts';
import { eventually, startTestShop, type TestShop } from '../support/shop.ts';

const SITE = { host: 'shop.test', origin: 'http://shop.test' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

forEachDatabase('recommendations', (kind) => {
  let shop: TestShop;
  const cookies: Record<string, string> = {};
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000' } });
    for (const [name, payload] of Object.entries({ all: 'answer=accept', performanceOnly: 'answer=choose&categories=performance' })) {
      const response = await shop.app.inject({ method: 'POST', url: '/privacy/cookies', headers: { ...FORM, ...SITE }, payload: `from=banner&${payload}` });
      cookies[name] = response.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    }
  });
  after(() => shop.stop());

  const view = (slug: string, cookie: string, remoteAddress = '203.0.113.7') => shop.app.inject({ url: `/products/${slug}`, remoteAddress, headers: { accept: 'text/html', ...SITE, cookie } });

  test('"Customers also viewed" shows products several visitors viewed on the same day, and only then', async () => {
    shop.clock.set('2026-04-01T10:00:00Z');
    // Two visitors viewed the cleanser and the gel; only one viewed the cleanser and the cream.
    await view('gentle-oat-cleanser', cookies.performanceOnly!, '198.51.100.1');
    await view('hyaluronic-water-gel', cookies.performanceOnly!, '198.51.100.1');
    await view('ceramide-barrier-cream', cookies.performanceOnly!, '198.51.100.1');
    await view('gentle-oat-cleanser', cookies.performanceOnly!, '198.51.100.2');
    await view('hyaluronic-water-gel', cookies.performanceOnly!, '198.51.100.2');
    await eventually(async () => (await shop.database.db.select().from(pageViews)).length === 5);

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
});
