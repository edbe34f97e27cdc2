import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestShop, type TestShop } from '../support/shop.ts';
import { forEachDatabase } from '../support/databases.ts';

const cardNames = (body: string) => [...body.matchAll(/<span class="name">([^<]*)<\/span>/g)].map((m) => m[1]!);
const cardPrices = (body: string) => [...body.matchAll(/<span class="price">\$([0-9.,]+)<\/span>/g)].map((m) => Number(m[1]!.replace(',', '')));
const search = (shop: TestShop, query: string) => shop.app.inject(`/search?${query}`);

forEachDatabase('product search', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_CATALOG_CACHE_MS: '0' } });
  });
  after(() => shop.stop());

  test('every page has a search box that works without JavaScript', async () => {
    const home = await shop.app.inject('/');
    assert.match(home.body, /<form class="site-search" role="search" method="get" action="\/search">/);
    assert.match(home.body, /<label class="visually-hidden" for="site-search-q">Search products<\/label>/);
    assert.match(home.body, /<input id="site-search-q" type="search" name="q"/);
  });

  test('the product named in full ranks first', async () => {
    const response = await search(shop, 'q=velvet+matte+lipstick');
    assert.equal(response.statusCode, 200);
    assert.equal(cardNames(response.body)[0], 'Velvet Matte Lipstick');
    assert.match(response.body, /<h1>Search results for “velvet matte lipstick”<\/h1>/);
    assert.match(response.body, /<input id="search-q" type="search" name="q" value="velvet matte lipstick"/);
  });

  test('a misspelt word still finds what was meant', async () => {
    const concealers = cardNames((await search(shop, 'q=concieler')).body);
    for (const name of ['Radiant Creamy Concealer', 'Full Cover Concealer', 'Precision Concealer Pencil', 'Hydrating Under-eye Concealer']) {
      assert.ok(concealers.includes(name), `${name} in ${concealers.join(', ')}`);
    }
    const foundations = cardNames((await search(shop, 'q=foundaton')).body);
    for (const name of ['Second Skin Foundation', 'Matte Endurance Foundation', 'Cream Stick Foundation', 'Serum Foundation']) {
      assert.ok(foundations.includes(name), `${name} in ${foundations.join(', ')}`);
    }
    assert.ok(!foundations.includes('Velvet Matte Lipstick'));
  });

  test('a brand finds all of its products and nothing else', async () => {
    const response = await search(shop, 'q=Fieldhouse');
    assert.match(response.body, /8 products/);
    assert.equal((response.body.match(/<span class="brand">Fieldhouse<\/span>/g) ?? []).length, 8);
    assert.equal(cardNames(response.body).length, 8);
  });

  test('words from the category and the product together match ("matte lips")', async () => {
    const names = cardNames((await search(shop, 'q=matte+lips')).body);
    assert.equal(names[0], 'Velvet Matte Lipstick');
  });

  test('sorting by price and by name orders the results', async () => {
    const relevance = cardNames((await search(shop, 'q=skin')).body);
    assert.ok(relevance.length > 3);
    const ascending = cardPrices((await search(shop, 'q=skin&sort=price-asc')).body);
    assert.equal(ascending.length, relevance.length);
    assert.deepEqual(ascending, [...ascending].sort((a, b) => a - b));
    const descending = cardPrices((await search(shop, 'q=skin&sort=price-desc')).body);
    assert.deepEqual(descending, [...ascending].sort((a, b) => b - a));
    const byName = await search(shop, 'q=skin&sort=name');
    const names = cardNames(byName.body);
    assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b)));
    assert.match(byName.body, /<option value="name" selected>/);
  });

  test('results are paginated 24 a page, keeping the query and sort in the links', async () => {
    // Most descriptions end in a size in ml or g; websearch syntax's "or" takes either.
    const first = await search(shop, 'q=ml+or+g&sort=price-asc');
    const total = Number(/(\d+) products/.exec(first.body)?.[1]);
    assert.ok(total > 24, `${total} results`);
    assert.equal(cardNames(first.body).length, 24);
    assert.match(first.body, /href="\/search\?q=ml\+or\+g&amp;sort=price-asc&amp;page=2"/);
    const second = await search(shop, 'q=ml+or+g&sort=price-asc&page=2');
    assert.equal(second.statusCode, 200);
    assert.equal(cardNames(second.body).length, total - 24);
    assert.ok(Math.min(...cardPrices(second.body)) >= Math.max(...cardPrices(first.body)), 'page 2 continues the order');
    assert.match(second.body, /rel="prev" href="\/search\?q=ml\+or\+g&amp;sort=price-asc"/);
    assert.equal((await search(shop, 'q=ml+or+g&page=3')).statusCode, 404);
  });

  test('a search that finds nothing says so', async () => {
    const response = await search(shop, 'q=xylophone');
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /Nothing matches “xylophone”/);
    assert.equal(cardNames(response.body).length, 0);
  });

  test('an empty query asks for a term', async () => {
    for (const query of ['', 'q=', 'q=+++', 'sort=name']) {
      const response = await search(shop, query);
      assert.equal(response.statusCode, 200, query);
      assert.match(response.body, /<h1>Search the shop<\/h1>/);
      assert.match(response.body, /What are you looking for\?/);
    }
  });

  test('a query too long, an unknown sort or a bad page is a 400 naming the field', async () => {
    const cases: [string, string, RegExp][] = [
      [`q=${'a'.repeat(101)}`, 'q', /at most 100 characters/],
      ['q=a&q=b', 'q', /q must be text/],
      ['q=serum&sort=cheapest', 'sort', /sort must be one of relevance, price-asc, price-desc, name/],
      ['q=serum&page=0', 'page', /page must be/],
      ['q=serum&page=abc', 'page', /page must be/],
    ];
    for (const [query, field, message] of cases) {
      const response = await shop.app.inject({ url: `/search?${query}`, headers: { accept: 'application/json' } });
      assert.equal(response.statusCode, 400, query);
      assert.match(response.json().error.fields[field], message, query);
      const page = await search(shop, query);
      assert.equal(page.statusCode, 400, query);
      assert.match(page.body, new RegExp(`<strong>${field}</strong>`));
    }
    assert.equal((await search(shop, `q=${'a'.repeat(100)}`)).statusCode, 200, '100 characters are allowed');
  });

  test('hostile input is searched for as text, escaped in the page and never a 500', async () => {
    const hostile = [
      '<script>alert(1)</script>',
      "' or 1=1 --",
      "'; drop table product; --",
      '"unclosed & | ! ( ) : * <-> \\',
      '%',
      '%00',
      'a%00b',
      '%ED%A0%80',
      'cr%C3%A8me %E6%97%A5%E6%9C%AC%E8%AA%9E %F0%9F%A7%B4',
      '%E2%80%AE%E2%80%8B',
      '-',
      '""',
    ];
    for (const q of hostile) {
      const response = await search(shop, `q=${q.includes('%') ? q : encodeURIComponent(q)}`);
      assert.ok(response.statusCode === 200, `${q}: ${response.statusCode}`);
      assert.doesNotMatch(response.body, /<script>alert/);
    }
    const script = await search(shop, `q=${encodeURIComponent('<script>alert(1)</script>')}`);
    assert.match(script.body, /Search results for “&lt;script&gt;alert\(1\)&lt;\/script&gt;”/);
    assert.match(script.body, /value="&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
    const injection = await search(shop, `q=${encodeURIComponent("' or 1=1 --")}`);
    assert.ok(cardNames(injection.body).length < 41, 'the fragment did not widen the search');
    assert.match(injection.body, /&#39; or 1=1 --/);
    assert.equal((await shop.app.inject('/')).statusCode, 200, 'the catalogue is still there');
  });

  test('a search page costs a fixed number of queries, then one version check', async () => {
    let before = shop.database.queries.count;
    const response = await search(shop, 'q=cream&sort=name');
    assert.equal(response.statusCode, 200);
    assert.equal(shop.database.queries.count - before, 3, 'version check, search (with its total), categories');
    before = shop.database.queries.count;
    await search(shop, 'q=%20cream%20&sort=name');
    assert.equal(shop.database.queries.count - before, 1, 'the same query, spaced differently, is served from memory');
  });
});
