import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { eq, sql } from 'drizzle-orm';
import { csrfFor, startTestShop, type TestShop } from '../support/shop.ts';
import { emptyPostgresDatabase, forEachDatabase } from '../support/databases.ts';
import { inTransaction, MIGRATIONS_DIR, migrateDatabase, openDatabase, queryRows } from '../../src/platform/db/index.ts';
import { fileTransport } from '../../src/platform/mail/transport.ts';
import { catalogVersion, products } from '../../src/shop/catalog/schema.ts';

forEachDatabase('migrations', (kind) => {
  test('apply from empty, create every table, and are idempotent (also when two run at once)', async () => {
    const empty = kind === 'postgres' ? await emptyPostgresDatabase() : undefined;
    const database = await openDatabase({ databaseUrl: empty?.url });
    const second = empty ? await openDatabase({ databaseUrl: empty.url }) : undefined;
    try {
      await Promise.all([migrateDatabase(database), second && migrateDatabase(second)]);
      await migrateDatabase(database);
      const result = await queryRows<{ table_name: string }>(database.db, sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`);
      const tables = result.map((r) => r.table_name);
      for (const table of ['catalog_version', 'category', 'outbox', 'product']) assert.ok(tables.includes(table), `${table} missing from ${tables.join(', ')}`);
      const [applied] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      assert.equal(applied!.n, fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).length);
    } finally {
      await second?.close();
      await database.close();
      await empty?.drop();
    }
  });
});

forEachDatabase('storefront and HTTP platform', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind);
  });
  after(() => shop.stop());

  test('/healthz answers ok while the database answers', async () => {
    const response = await shop.app.inject('/healthz');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  test('the home page lists the first 24 products with prices and a next-page link', async () => {
    const response = await shop.app.inject('/');
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /text\/html/);
    assert.equal((response.body.match(/<li class="card">/g) ?? []).length, 24);
    assert.match(response.body, /Gentle Oat Cleanser/);
    assert.match(response.body, /\$16\.00/);
    assert.match(response.body, /41 products/);
    assert.match(response.body, /href="\/\?page=2"/);
    const second = await shop.app.inject('/?page=2');
    assert.equal((second.body.match(/<li class="card">/g) ?? []).length, 17);
  });

  test('every link at the foot of the page leads to a page', async () => {
    const home = await shop.app.inject('/');
    const footer = /<footer[\s\S]*<\/footer>/.exec(home.body)![0];
    const links = [...footer.matchAll(/href="(\/[^"]*)"/g)].map((m) => m[1]!);
    assert.ok(links.length >= 4, `footer links: ${links.join(', ')}`);
    for (const link of links) assert.equal((await shop.app.inject(link)).statusCode, 200, link);
  });

  test('a repeated catalogue page is served from memory without a query', async () => {
    await shop.app.inject('/?page=2');
    const before = shop.database.queries.count;
    const again = await shop.app.inject('/?page=2');
    assert.equal(again.statusCode, 200);
    assert.equal(shop.database.queries.count - before, 0);
  });

  test('catalogue pages come compressed as the browser allows, and the same underneath', async () => {
    const plain = await shop.app.inject('/');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(plain.headers.vary as string, /accept-encoding/);
    const br = await shop.app.inject({ url: '/', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(zlib.brotliDecompressSync(br.rawPayload).toString(), plain.body);
    assert.ok(br.rawPayload.length < plain.rawPayload.length / 3, 'a listing compresses well');
    const gzip = await shop.app.inject({ url: '/products/velvet-matte-lipstick', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gzip.headers['content-encoding'], 'gzip');
    assert.match(zlib.gunzipSync(gzip.rawPayload).toString(), /Velvet Matte Lipstick/);
  });

  test('category and product pages, product pictures', async () => {
    const category = await shop.app.inject('/categories/lips');
    assert.equal(category.statusCode, 200);
    assert.match(category.body, /Velvet Matte Lipstick/);
    assert.doesNotMatch(category.body, /Gentle Oat Cleanser/);
    const product = await shop.app.inject('/products/velvet-matte-lipstick');
    assert.equal(product.statusCode, 200);
    assert.match(product.body, /<h1>Velvet Matte Lipstick<\/h1>/);
    const image = await shop.app.inject('/images/products/velvet-matte-lipstick.svg');
    assert.equal(image.statusCode, 200);
    assert.equal(image.headers['content-type'], 'image/svg+xml');
    assert.match(image.body, /^<svg /);
    assert.match(image.body, /#a1283c/);
  });

  test('out-of-stock products say so', async () => {
    const response = await shop.app.inject('/products/brush-cleansing-soap');
    assert.match(response.body, /Out of stock/);
  });

  test('a bad page number is a 400 that names the field, in HTML and in JSON', async () => {
    for (const page of ['abc', '0', '-3', '1.5', '9999999']) {
      const htmlResponse = await shop.app.inject(`/?page=${page}`);
      assert.equal(htmlResponse.statusCode, 400, `page=${page}`);
      assert.match(htmlResponse.body, /page must be/);
      assert.doesNotMatch(htmlResponse.body, /at .*\.ts:\d+/, 'no stack trace in a 4xx');
    }
    const json = await shop.app.inject({ url: '/?page=abc', headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, 400);
    assert.equal(json.json().error.code, 'invalid_input');
    assert.match(json.json().error.fields.page, /whole number/);
  });

  test('unknown pages, products and pages past the end are 404 pages', async () => {
    for (const url of ['/nowhere', '/products/no-such-thing', '/products/UPPER', '/categories/nope', '/?page=99', '/images/products/x.png', '/assets/style.css']) {
      const response = await shop.app.inject(url);
      assert.equal(response.statusCode, 404, url);
      assert.match(response.body, /Page not found/);
    }
    const json = await shop.app.inject({ url: '/nowhere', headers: { accept: 'application/json' } });
    assert.deepEqual(json.json().error.code, 'not_found');
  });

  test('security headers: strict CSP without inline script, no framing, no sniffing', async () => {
    const response = await shop.app.inject('/');
    const csp = response.headers['content-security-policy'] as string;
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['referrer-policy'], 'same-origin', 'same-site form posts keep their Origin');
    assert.doesNotMatch(response.body, /<script>/);
    assert.equal(response.headers['strict-transport-security'], undefined, 'HSTS only in production');
  });

  test('static assets have hashed names and a year-long immutable cache', async () => {
    const home = await shop.app.inject('/');
    const href = /href="(\/assets\/style\.[0-9a-f]{10}\.css)"/.exec(home.body)?.[1];
    assert.ok(href, 'stylesheet link with a hashed name');
    const css = await shop.app.inject(href);
    assert.equal(css.statusCode, 200);
    assert.match(css.headers['cache-control'] as string, /max-age=31536000.*immutable|immutable.*max-age=31536000/);
    const stale = await shop.app.inject('/assets/style.0000000000.css');
    assert.equal(stale.statusCode, 404);
  });

  test('a state-changing form without a valid CSRF token is refused and changes nothing', async () => {
    const id = '0b6f1f34-5d0e-4c1a-9a43-2f4c1e0d9a10';
    await fileTransport(shop.runtime.config.mailDir).send({ id, dedupeKey: 'csrf-test', from: 'shop@example.com', to: 'a@example.com', subject: 'Kept', text: 'hello', date: new Date() });
    const mailFile = `${shop.runtime.config.mailDir}/${id}.eml`;
    const missing = await shop.app.inject({ method: 'POST', url: '/dev/mailbox/clear', payload: {} });
    assert.equal(missing.statusCode, 403);
    assert.match(missing.body, /form has expired/);
    const { cookie } = await csrfFor(shop.app, '/dev/mailbox');
    const forged = await shop.app.inject({ method: 'POST', url: '/dev/mailbox/clear', headers: { cookie }, payload: { _csrf: 'forged' } });
    assert.equal(forged.statusCode, 403);
    assert.ok(fs.existsSync(mailFile), 'a refused form deleted nothing');
    const { token, cookie: real } = await csrfFor(shop.app, '/dev/mailbox');
    const ok = await shop.app.inject({ method: 'POST', url: '/dev/mailbox/clear', headers: { cookie: real }, payload: { _csrf: token } });
    assert.equal(ok.statusCode, 303);
    assert.ok(!fs.existsSync(mailFile), 'the accepted form did its work');
  });

  test('malformed bodies are 4xx, not 500', async () => {
    const json = await shop.app.inject({ method: 'POST', url: '/dev/mailbox/clear', headers: { 'content-type': 'application/json' }, payload: '{"broken' });
    assert.equal(json.statusCode, 400);
    const huge = await shop.app.inject({ method: 'POST', url: '/dev/mailbox/clear', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a='.padEnd(300_000, 'x') });
    assert.equal(huge.statusCode, 413);
    const odd = await shop.app.inject({ method: 'POST', url: '/dev/mailbox/clear', headers: { 'content-type': 'application/x-unknown' }, payload: 'x' });
    assert.equal(odd.statusCode, 415);
  });

  test('request logs carry ids and route patterns, never the personal values in the request', async () => {
    const secret = 'jane.doe.unique@example.org';
    await shop.app.inject({ url: `/products/x?email=${encodeURIComponent(secret)}`, headers: { 'x-customer': secret, cookie: `who=${secret}` } });
    await shop.app.inject({ url: `/?page=${encodeURIComponent(secret)}` });
    const text = shop.logs.join('');
    assert.ok(shop.logs.length > 0, 'requests were logged');
    assert.ok(!text.includes(secret) && !text.includes(encodeURIComponent(secret)), 'personal value leaked into the logs');
    assert.match(text, /"route":"\/products\/:slug"/);
    assert.doesNotMatch(text, /remoteAddress|127\.0\.0\.1/);
  });
});

forEachDatabase('catalogue pages in memory', (kind) => {
  let shop: TestShop;
  before(async () => {
    // Checking the catalogue version on every request makes the cache's behaviour visible without waiting.
    shop = await startTestShop(kind, { env: { PLEDGE_CATALOG_CACHE_MS: '0' } });
  });
  after(() => shop.stop());

  test('a page costs a fixed number of queries however many products it shows, then one version check', async () => {
    let before = shop.database.queries.count;
    await shop.app.inject('/');
    assert.equal(shop.database.queries.count - before, 3, 'version check, listing (with its total), categories');
    before = shop.database.queries.count;
    await shop.app.inject('/');
    assert.equal(shop.database.queries.count - before, 1, 'version check only');
  });

  test('a catalogue change made in the database shows on the next request', async () => {
    assert.match((await shop.app.inject('/products/velvet-matte-lipstick')).body, /\$24\.00/);
    await shop.database.db.update(products).set({ priceCents: 2750 }).where(eq(products.slug, 'velvet-matte-lipstick'));
    assert.match((await shop.app.inject('/products/velvet-matte-lipstick')).body, /\$27\.50/);
    assert.match((await shop.app.inject('/categories/lips')).body, /\$27\.50/);
  });

  test('a failed change (rolled back) leaves the version and the pages as they were', async () => {
    const [before] = await shop.database.db.select().from(catalogVersion);
    await assert.rejects(
      inTransaction(shop.database.db, async (tx) => {
        await tx.update(products).set({ priceCents: 1 }).where(eq(products.slug, 'velvet-matte-lipstick'));
        throw new Error('abandoned');
      }),
    );
    const [after] = await shop.database.db.select().from(catalogVersion);
    assert.equal(after!.version, before!.version);
    assert.doesNotMatch((await shop.app.inject('/products/velvet-matte-lipstick')).body, /\$0\.01/);
  });
});
