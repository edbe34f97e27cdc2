import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { categories, products } from '../../src/shop/catalog/schema.ts';
import { shippingChoices } from '../../src/shop/checkout/service.ts';
import { orderLines, shippingOptions, taxRates } from '../../src/shop/orders/schema.ts';
import { customerDetails, paidOrder, postAs, signedInStaff, type StaffClient } from '../support/backoffice.ts';
import { forEachDatabase } from '../support/databases.ts';
import { startTestShop, type TestShop } from '../support/shop.ts';

// The administrator's back office: products (create, edit, validation, archive, quick stock), delivery options and
// the tax table, each refused to anyone but an admin.

forEachDatabase('back office', (kind) => {
  let shop: TestShop;
  let admin: StaffClient;
  let support: StaffClient;
  let fulfilment: StaffClient;
  let lipsId: number;
  before(async () => {
    // Catalogue pages are checked against the catalogue version on every request, so a change shows at once.
    shop = await startTestShop(kind, { env: { PLEDGE_CATALOG_CACHE_MS: '0' } });
    [admin, support, fulfilment] = await Promise.all([signedInStaff(shop, ['admin']), signedInStaff(shop, ['support']), signedInStaff(shop, ['fulfilment'])]);
    lipsId = (await shop.database.db.select().from(categories).where(eq(categories.slug, 'lips')))[0]!.id;
  });
  after(() => shop.stop());

  const db = () => shop.database.db;
  const productCount = async () => (await db().select({ n: count() }).from(products))[0]!.n;
  const product = async (slug: string) => (await db().select().from(products).where(eq(products.slug, slug)))[0];
  const form = (overrides: Record<string, string> = {}): Record<string, string> => ({
    name: 'Satin Lip Tint',
    slug: 'satin-lip-tint',
    brand: 'Atelier Nine',
    categoryId: String(lipsId),
    summary: 'A sheer tint with a satin finish.',
    description: 'Buildable colour that feels like a balm.',
    price: '12.50',
    stock: '40',
    weightGrams: '30',
    swatch: '#B4505A',
    listed: 'on',
    ...overrides,
  });

  test('every admin route: signed out is sent to sign in, other roles are refused', async () => {
    const id = (await product('gentle-oat-cleanser'))!.id;
    const pages = ['/admin/products', '/admin/products/new', `/admin/products/${id}`, '/admin/shipping', '/admin/shipping/new', '/admin/shipping/standard', '/admin/tax'];
    for (const url of pages) {
      const out = await shop.app.inject(url);
      assert.equal(out.statusCode, 303, url);
      assert.equal(out.headers.location, '/admin/login');
      for (const other of [support, fulfilment]) assert.equal((await other.get(url)).statusCode, 403, `${url} as another role`);
      assert.equal((await admin.get(url)).statusCode, 200, url);
    }
    const posts: [string, Record<string, string>][] = [
      ['/admin/products', form({ slug: 'not-by-them' })],
      [`/admin/products/${id}`, form({ slug: 'gentle-oat-cleanser' })],
      [`/admin/products/${id}/archive`, {}],
      [`/admin/products/${id}/unarchive`, {}],
      [`/admin/products/${id}/stock`, { change: '5' }],
      ['/admin/shipping', { code: 'by-them', name: 'X', description: 'X', price: '1', minDays: '1', maxDays: '2' }],
      ['/admin/shipping/standard', { name: 'X', description: 'X', price: '0', minDays: '1', maxDays: '2' }],
      ['/admin/tax', { country: 'JP', name: 'X', rate: '1' }],
      ['/admin/tax/US', { rate: '0' }],
    ];
    const before = await product('gentle-oat-cleanser');
    for (const [url, fields] of posts) {
      const out = await postAs(shop, url, fields);
      assert.equal(out.statusCode, 303, url);
      assert.equal(out.headers.location, '/admin/login');
      for (const other of [support, fulfilment]) assert.equal((await other.post(url, fields)).statusCode, 403, `${url} as another role`);
    }
    assert.deepEqual(await product('gentle-oat-cleanser'), before, 'nothing changed');
    assert.equal(await product('not-by-them'), undefined);
    assert.equal((await db().select().from(taxRates).where(eq(taxRates.country, 'US')))[0]!.rateBasisPoints, 725);
    assert.equal((await db().select().from(shippingOptions).where(eq(shippingOptions.code, 'by-them'))).length, 0);
  });

  test('the dashboard links an admin to the catalogue and settings', async () => {
    const home = await admin.get('/admin');
    for (const href of ['/admin/products', '/admin/shipping', '/admin/tax']) assert.match(home.body, new RegExp(`href="${href}"`));
    assert.doesNotMatch(home.body, /href="\/admin\/fulfilment"|href="\/admin\/orders"/);
  });

  test('a new product: dollars become cents, the colour draws its picture, and it is on sale', async () => {
    const created = await admin.post('/admin/products', form());
    assert.equal(created.statusCode, 303);
    const saved = (await product('satin-lip-tint'))!;
    assert.equal(created.headers.location, `/admin/products/${saved.id}`);
    assert.equal(saved.priceCents, 1250);
    assert.equal(saved.stock, 40);
    assert.equal(saved.weightGrams, 30);
    assert.equal(saved.swatch, '#b4505a');
    assert.equal(saved.listed, true);
    const page = await shop.app.inject('/products/satin-lip-tint');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Satin Lip Tint/);
    const picture = await shop.app.inject('/images/products/satin-lip-tint.svg');
    assert.match(picture.body, /#b4505a/);
    assert.match((await shop.app.inject('/categories/lips')).body, /href="\/products\/satin-lip-tint"/);
    const edit = await admin.get(`/admin/products/${saved.id}`);
    assert.match(edit.body, /value="12\.50"/);
    assert.match(edit.body, /unless a picture is uploaded below/);
  });

  test('bad input is refused beside its field with what was typed, and nothing is written', async () => {
    const start = await productCount();
    const cases: [Record<string, string>, number, RegExp][] = [
      [form({ slug: 'gentle-oat-cleanser' }), 409, /Another product already has this slug/],
      [form({ slug: 'negative-price', price: '-1.00' }), 400, /cannot be negative/],
      [form({ slug: 'fraction-of-cent', price: '12.505' }), 400, /Enter the price in dollars, like 12\.50/],
      [form({ slug: 'bad-colour', swatch: 'red' }), 400, /Enter a colour as # and six hex digits/],
      [form({ slug: 'Not A Slug' }), 400, /Use lower-case letters, digits and single hyphens/],
      [form({ slug: 'half-stock', stock: '1.5' }), 400, /Enter the stock as a whole number/],
      [form({ slug: 'no-category', categoryId: '999999' }), 400, /Choose one of the categories shown/],
      [form({ slug: 'option-alone', optionName: 'Shade', optionValue: 'Red' }), 400, /Name the variant group/],
    ];
    for (const [fields, status, message] of cases) {
      const answer = await admin.post('/admin/products', fields);
      assert.equal(answer.statusCode, status, fields.slug);
      assert.match(answer.body, message);
      assert.match(answer.body, new RegExp(`value="${fields.slug}"`), 'the input is kept');
      assert.match(answer.body, /aria-invalid="true"/);
    }
    assert.equal(await productCount(), start, 'nothing was written');
  });

  test('editing: a new price in dollars; a slug already taken is refused and the product is unchanged', async () => {
    const tint = (await product('satin-lip-tint'))!;
    assert.equal((await admin.post(`/admin/products/${tint.id}`, form({ price: '9.9', stock: '7' }))).statusCode, 303);
    assert.equal((await product('satin-lip-tint'))!.priceCents, 990);
    const taken = await admin.post(`/admin/products/${tint.id}`, form({ slug: 'gentle-oat-cleanser', price: '1' }));
    assert.equal(taken.statusCode, 409);
    assert.match(taken.body, /Another product already has this slug/);
    assert.deepEqual(await product('satin-lip-tint'), { ...tint, priceCents: 990, stock: 7 });
    assert.equal((await admin.post('/admin/products/99999999', form({ slug: 'nowhere' }))).statusCode, 404);
  });

  test('a variant listed in its group takes the place of its siblings in listings', async () => {
    const group = { variantGroup: 'satin-lip-tint', optionName: 'Shade' };
    const tint = (await product('satin-lip-tint'))!;
    assert.equal((await admin.post(`/admin/products/${tint.id}`, form({ ...group, optionValue: 'Rose' }))).statusCode, 303);
    assert.equal((await admin.post('/admin/products', form({ ...group, slug: 'satin-lip-tint-berry', optionValue: 'Berry' }))).statusCode, 303);
    assert.equal((await product('satin-lip-tint'))!.listed, false);
    assert.equal((await product('satin-lip-tint-berry'))!.listed, true);
    const missing = await admin.post('/admin/products', form({ slug: 'satin-lip-tint-plum', variantGroup: 'satin-lip-tint' }));
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /A variant needs an option name/);
  });

  test('archiving takes a product off the storefront, orders keep their copy, and it can come back', async () => {
    const { orderId } = await paidOrder(shop, { 'ceramide-barrier-cream': 1 }, customerDetails('archive@example.com'));
    const cream = (await product('ceramide-barrier-cream'))!;
    assert.match((await shop.app.inject('/categories/skincare')).body, /href="\/products\/ceramide-barrier-cream"/);
    const archived = await admin.post(`/admin/products/${cream.id}/archive`);
    assert.equal(archived.statusCode, 303);
    assert.ok((await product('ceramide-barrier-cream'))!.archivedAt);
    assert.equal((await shop.app.inject('/products/ceramide-barrier-cream')).statusCode, 404);
    assert.doesNotMatch((await shop.app.inject('/categories/skincare')).body, /ceramide-barrier-cream/);
    assert.doesNotMatch((await shop.app.inject('/')).body, /ceramide-barrier-cream/);
    assert.doesNotMatch((await shop.app.inject('/search?q=ceramide')).body, /href="\/products\/ceramide-barrier-cream"/);
    const [line] = await db().select().from(orderLines).where(eq(orderLines.orderId, orderId));
    assert.equal(line!.name, 'Ceramide Barrier Cream', 'the order keeps its copy');
    assert.equal((await admin.post(`/admin/products/${cream.id}/archive`)).statusCode, 303, 'a second click is harmless');
    assert.match((await admin.get('/admin/products?q=ceramide')).body, /Archived/);

    assert.equal((await admin.post(`/admin/products/${cream.id}/unarchive`)).statusCode, 303);
    assert.equal((await shop.app.inject('/products/ceramide-barrier-cream')).statusCode, 200);
    assert.match((await shop.app.inject('/categories/skincare')).body, /href="\/products\/ceramide-barrier-cream"/);
  });

  test('the list searches by name and stock; quick stock changes add up and never go below zero', async () => {
    const oat = await admin.get('/admin/products?q=oat');
    assert.match(oat.body, /Gentle Oat Cleanser/);
    assert.doesNotMatch(oat.body, /Hyaluronic Water Gel/);
    await db().update(products).set({ stock: 0 }).where(eq(products.slug, 'peptide-eye-cream'));
    const out = await admin.get('/admin/products?stock=out');
    assert.match(out.body, /Peptide Eye Cream/);
    assert.doesNotMatch(out.body, /Gentle Oat Cleanser/);
    assert.equal((await admin.get('/admin/products?stock=plenty')).statusCode, 400);

    const id = (await product('peptide-eye-cream'))!.id;
    const added = await admin.post(`/admin/products/${id}/stock`, { change: '+12', q: 'eye', stock: 'out', page: '1' });
    assert.equal(added.statusCode, 303);
    assert.equal(added.headers.location, '/admin/products?q=eye&stock=out');
    assert.equal((await admin.post(`/admin/products/${id}/stock`, { change: '-2' })).statusCode, 303);
    assert.equal((await product('peptide-eye-cream'))!.stock, 10);
    const tooMany = await admin.post(`/admin/products/${id}/stock`, { change: '-11' });
    assert.equal(tooMany.statusCode, 400);
    assert.match(tooMany.body, /Only 10 in stock: remove at most 10/);
    assert.match(tooMany.body, /value="-11"/);
    const notANumber = await admin.post(`/admin/products/${id}/stock`, { change: 'lots' });
    assert.equal(notANumber.statusCode, 400);
    assert.match(notANumber.body, /Enter a change like 12 or -3/);
    assert.equal((await product('peptide-eye-cream'))!.stock, 10);
  });

  test('delivery options: edit, add, and checks on days, prices and codes', async () => {
    const edited = await admin.post('/admin/shipping/standard', { name: 'Standard delivery', description: 'Tracked.', price: '5.95', freeFrom: '', minDays: '2', maxDays: '4', active: 'on' });
    assert.equal(edited.statusCode, 303);
    const [standard] = await db().select().from(shippingOptions).where(eq(shippingOptions.code, 'standard'));
    assert.equal(standard!.priceCents, 595);
    assert.equal(standard!.freeFromCents, null, 'empty: never free');
    const backwards = await admin.post('/admin/shipping/standard', { name: 'Standard delivery', description: 'Tracked.', price: '5.95', minDays: '5', maxDays: '2' });
    assert.equal(backwards.statusCode, 400);
    assert.match(backwards.body, /The most days cannot be fewer than the fewest/);
    assert.match(backwards.body, /value="5\.95"/);

    const added = await admin.post('/admin/shipping', { code: 'next-day', name: 'Next day', description: 'Before noon.', price: '19.00', freeFrom: '150', minDays: '1', maxDays: '1', active: 'on' });
    assert.equal(added.statusCode, 303);
    const offered = await shippingChoices({ db: db() }, 20000);
    assert.deepEqual(offered.find((o) => o.code === 'next-day')?.costCents, 0, 'free from $150');
    const twice = await admin.post('/admin/shipping', { code: 'next-day', name: 'Again', description: 'X', price: '1', minDays: '1', maxDays: '1' });
    assert.equal(twice.statusCode, 409);
    assert.match(twice.body, /There is already an option with this code/);
    const negative = await admin.post('/admin/shipping', { code: 'cheap', name: 'Cheap', description: 'X', price: '-3', minDays: '1', maxDays: '1' });
    assert.equal(negative.statusCode, 400);
    assert.equal((await db().select().from(shippingOptions).where(eq(shippingOptions.code, 'cheap'))).length, 0);

    assert.equal((await admin.post('/admin/shipping/next-day', { name: 'Next day', description: 'Before noon.', price: '19.00', minDays: '1', maxDays: '1' })).statusCode, 303);
    assert.equal((await shippingChoices({ db: db() }, 0)).some((o) => o.code === 'next-day'), false, 'unticked: no longer offered');
    assert.match((await admin.get('/admin/shipping')).body, /Next day/);
  });

  test('the tax table: change a rate, add a country, refuse what is not a rate or a country', async () => {
    assert.equal((await admin.post('/admin/tax/US', { rate: '8.5' })).statusCode, 303);
    assert.equal((await db().select().from(taxRates).where(eq(taxRates.country, 'US')))[0]!.rateBasisPoints, 850);
    const tooHigh = await admin.post('/admin/tax/US', { rate: '101' });
    assert.equal(tooHigh.statusCode, 400);
    assert.match(tooHigh.body, /from 0 to 100/);
    assert.match(tooHigh.body, /value="101"/);
    assert.equal((await admin.post('/admin/tax/ZZ', { rate: '1' })).statusCode, 404);

    assert.equal((await admin.post('/admin/tax', { country: 'jp', name: 'Consumption tax', rate: '10' })).statusCode, 303);
    assert.deepEqual((await db().select().from(taxRates).where(eq(taxRates.country, 'JP')))[0], { country: 'JP', name: 'Consumption tax', rateBasisPoints: 1000 });
    assert.match((await admin.get('/admin/tax')).body, /Japan \(JP\)/);
    const again = await admin.post('/admin/tax', { country: 'JP', name: 'Again', rate: '5' });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /already in the table/);
    const nowhere = await admin.post('/admin/tax', { country: 'XQ', name: 'Nothing', rate: '5' });
    assert.equal(nowhere.statusCode, 400);
    assert.match(nowhere.body, /That is not a country code/);
    assert.equal((await db().select().from(taxRates).where(eq(taxRates.country, 'XQ'))).length, 0);
  });
});
