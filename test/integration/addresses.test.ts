import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { defaultAddress, listAddresses, MAX_ADDRESSES } from '../../src/shop/accounts/addresses.ts';
import { customerAddresses } from '../../src/shop/accounts/schema.ts';
import { shopContext } from '../../src/shop/context.ts';
import { signedInCustomer, type SignedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, startTestShop, type TestShop } from '../support/shop.ts';

// The address book (seed 000 §8): add, correct, choose the default, delete; sealed at rest, checked like checkout.

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const home = { recipientName: 'Ada Lovelace', line1: '12 Analytical Row', line2: '', city: 'San Francisco', region: 'CA', postcode: '94105', country: 'US', phone: '' };
const office = { recipientName: 'Ada Lovelace', line1: '1 Difference Lane', line2: 'Floor 3', city: 'London', region: '', postcode: 'sw1a 1aa', country: 'GB', phone: '+44 20 7946 0000' };

forEachDatabase('address book', (kind) => {
  let shop: TestShop;
  before(async () => {
    // Many forms are posted from one address here; the per-client limit is tested elsewhere.
    shop = await startTestShop(kind, { seed: false, env: { PLEDGE_FORM_RATE_LIMIT: '100000' } });
  });
  after(() => shop.stop());

  const ctx = () => shopContext(shop.runtime);
  const get = (url: string, who?: SignedInCustomer) => shop.app.inject({ url, headers: who ? { cookie: who.cookie } : {} });
  async function post(url: string, who: SignedInCustomer | undefined, fields: Record<string, string> = {}) {
    const csrf = await csrfFor(shop.app, '/account/login');
    return shop.app.inject({
      method: 'POST',
      url,
      headers: { ...FORM, cookie: [csrf.cookie, who?.cookie].filter(Boolean).join('; ') },
      payload: new URLSearchParams({ ...fields, _csrf: csrf.token }).toString(),
    });
  }
  const stored = (who: SignedInCustomer) => shop.database.db.select().from(customerAddresses).where(eq(customerAddresses.customerId, who.customerId));
  const defaults = async (who: SignedInCustomer) => (await listAddresses(ctx(), who.customerId)).filter((a) => a.isDefault).map((a) => a.address.line1);

  let ada: SignedInCustomer;
  let bob: SignedInCustomer;
  before(async () => {
    ada = await signedInCustomer(shop, 'Ada Lovelace', 'ada@example.com');
    bob = await signedInCustomer(shop, 'Bob Babbage', 'bob@example.com');
  });

  test('the first address is kept sealed and becomes the default checkout starts from', async () => {
    const empty = await get('/account/addresses', ada);
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /Your address book is empty/);
    assert.match((await get('/account', ada)).body, /href="\/account\/addresses"/);
    const form = await get('/account/addresses/new', ada);
    assert.match(form.body, /<option value="GB">United Kingdom<\/option>/);

    const added = await post('/account/addresses', ada, home);
    assert.equal(added.statusCode, 303);
    assert.equal(added.headers.location, '/account/addresses?done=added');
    const [row] = await stored(ada);
    assert.ok(row!.isDefault);
    assert.ok(!row!.address.includes(Buffer.from('Analytical')) && !row!.address.includes(Buffer.from('Lovelace')), 'sealed at rest');
    assert.deepEqual(await defaultAddress(ctx(), ada.customerId), { recipientName: 'Ada Lovelace', line1: '12 Analytical Row', city: 'San Francisco', region: 'CA', postcode: '94105', country: 'US' });

    const page = await get('/account/addresses?done=added', ada);
    assert.match(page.body, /The address was added/);
    assert.match(page.body, /Ada Lovelace<br>12 Analytical Row<br>San Francisco CA 94105<br>United States/);
    assert.match(page.body, /<strong>Default address<\/strong>/);
    assert.equal(await defaultAddress(ctx(), bob.customerId), undefined);
  });

  test('two first addresses added at once: exactly one becomes the default', async () => {
    const carol = await signedInCustomer(shop, 'Carol Concurrent', 'carol@example.com');
    const added = await Promise.all([post('/account/addresses', carol, home), post('/account/addresses', carol, office)]);
    assert.deepEqual(added.map((r) => r.statusCode), [303, 303]);
    assert.equal((await stored(carol)).filter((r) => r.isDefault).length, 1);
  });

  test('bad input is refused beside its fields with what was typed, and nothing is written', async () => {
    const before = (await stored(ada)).length;
    const badPostcode = await post('/account/addresses', ada, { ...home, postcode: 'SW1A 1AA' });
    assert.equal(badPostcode.statusCode, 400);
    assert.match(badPostcode.body, /<span class="error" id="f-postcode-error">Enter a postcode like 94107<\/span>/);
    assert.match(badPostcode.body, /value="12 Analytical Row"/);
    assert.match(badPostcode.body, /<option value="US" selected>/);

    // As a browser sends a form left blank: every field present, the required ones empty.
    const missing = await post('/account/addresses', ada, { ...home, recipientName: '', line1: ' ', city: '', postcode: '', line2: 'Flat 2' });
    assert.equal(missing.statusCode, 400);
    for (const message of ['Enter the name of the person receiving the parcel', 'Enter the street address', 'Enter the town or city', 'Enter the postcode']) {
      assert.match(missing.body, new RegExp(message));
    }
    assert.match(missing.body, /value="Flat 2"/);

    const unknownCountry = await post('/account/addresses', ada, { ...home, country: 'ZZ', postcode: '12345' });
    assert.equal(unknownCountry.statusCode, 400);
    assert.match(unknownCountry.body, /id="f-country-error">We do not deliver to that country yet/);
    assert.match(unknownCountry.body, /value="12 Analytical Row"/);

    const [first] = await listAddresses(ctx(), ada.customerId);
    const badEdit = await post(`/account/addresses/${first!.id}`, ada, { ...home, city: '' });
    assert.equal(badEdit.statusCode, 400);
    assert.match(badEdit.body, /Enter the town or city/);
    assert.equal((await stored(ada)).length, before);
    assert.equal((await listAddresses(ctx(), ada.customerId))[0]!.address.city, 'San Francisco');
  });

  test('addresses are corrected, one is chosen as the default, and deleting the default hands it on', async () => {
    assert.equal((await post('/account/addresses', ada, office)).statusCode, 303);
    assert.deepEqual(await defaults(ada), ['12 Analytical Row'], 'a second address does not take the default');
    const officeId = (await listAddresses(ctx(), ada.customerId)).find((a) => a.address.line1 === '1 Difference Lane')!.id;

    const edit = await get(`/account/addresses/${officeId}/edit`, ada);
    assert.equal(edit.statusCode, 200);
    assert.match(edit.body, /value="1 Difference Lane"/);
    assert.match(edit.body, /value="SW1A 1AA"/);
    assert.match(edit.body, /<option value="GB" selected>/);
    const saved = await post(`/account/addresses/${officeId}`, ada, { ...office, line1: '2 Difference Lane' });
    assert.equal(saved.headers.location, '/account/addresses?done=saved');

    assert.equal((await post(`/account/addresses/${officeId}/default`, ada)).headers.location, '/account/addresses?done=default');
    assert.deepEqual(await defaults(ada), ['2 Difference Lane']);
    assert.equal((await defaultAddress(ctx(), ada.customerId))!.line2, 'Floor 3');
    assert.equal((await stored(ada)).filter((r) => r.isDefault).length, 1);

    assert.equal((await post(`/account/addresses/${officeId}/delete`, ada)).headers.location, '/account/addresses?done=deleted');
    assert.deepEqual(await defaults(ada), ['12 Analytical Row'], 'the remaining address becomes the default');
  });

  test('one customer cannot read, change or delete another’s addresses', async () => {
    const [mine] = await listAddresses(ctx(), ada.customerId);
    assert.equal((await get(`/account/addresses/${mine!.id}/edit`, bob)).statusCode, 404);
    assert.equal((await post(`/account/addresses/${mine!.id}`, bob, office)).statusCode, 404);
    assert.equal((await post(`/account/addresses/${mine!.id}/default`, bob)).statusCode, 404);
    assert.equal((await post(`/account/addresses/${mine!.id}/delete`, bob)).statusCode, 404);
    assert.equal((await post('/account/addresses/not-an-id/delete', ada)).statusCode, 404);
    assert.deepEqual(await listAddresses(ctx(), ada.customerId), [mine]);
    assert.equal((await stored(bob)).length, 0);

    assert.equal((await get('/account/addresses')).headers.location, '/account/login');
    assert.equal((await post('/account/addresses', undefined, home)).headers.location, '/account/login');
  });

  test(`the book holds at most ${MAX_ADDRESSES} addresses`, async () => {
    for (let i = (await stored(ada)).length; i < MAX_ADDRESSES; i++) {
      assert.equal((await post('/account/addresses', ada, { ...home, line1: `${i} Analytical Row` })).statusCode, 303);
    }
    const full = await post('/account/addresses', ada, { ...home, line1: 'One Too Many Street' });
    assert.equal(full.statusCode, 409);
    assert.match(full.body, /Your address book holds up to 10 addresses\. Delete one you no longer use to add another\./);
    assert.match(full.body, /value="One Too Many Street"/);
    assert.equal((await stored(ada)).length, MAX_ADDRESSES);
    assert.equal((await stored(ada)).filter((r) => r.isDefault).length, 1);
    const page = await get('/account/addresses', ada);
    assert.match(page.body, /Your address book is full/);
    assert.doesNotMatch(page.body, /href="\/account\/addresses\/new"/);
  });
});
