import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { addItem } from '../../src/shop/cart/service.ts';
import { payOrder, placeOrder } from '../../src/shop/checkout/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { cardSchema } from '../../src/shop/payments/testpay/service.ts';
import { databaseFiles, diskDatabase, foundIn, type DiskDatabase } from '../support/at-rest.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, eventually, mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// Zero plaintext personal data at rest (issue 5): after an account is registered and a guest buys and pays, the
// database's files — tables, indexes and write-ahead log — hold none of the name, e-mail, phone, street or card
// number that went in. Every value is unique to the run, so a hit cannot come from another test.

const CARD = '4242424242424242';

forEachDatabase('plaintext at rest', (kind) => {
  let shop: TestShop;
  let disk: DiskDatabase;
  const marker = randomBytes(5).toString('hex');
  const person = {
    name: `Quillon Farthingale ${marker}`,
    email: `quillon.${marker}@example.com`,
    phone: `+1 555 01${marker.slice(0, 2).replace(/\D/g, '7')}${marker.length}`,
    street: `${marker} Larkspur Crescent`,
  };

  before(async () => {
    disk = await diskDatabase(kind);
    shop = await startTestShop(kind, { database: disk.database, work: true });
  });
  after(async () => {
    await shop.stop();
    await shop.database.drop();
    if (disk.pgliteDir) fs.rmSync(disk.pgliteDir, { recursive: true, force: true });
  });

  test('registration, a guest order and its payment leave no plaintext name, e-mail, phone, street or card number', async () => {
    const { token, cookie } = await csrfFor(shop.app, '/account/register');
    const registered = await shop.app.inject({
      method: 'POST',
      url: '/account/register',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: new URLSearchParams({ _csrf: token, name: person.name, email: person.email, password: 'correct horse battery', adult: 'yes' }).toString(),
    });
    assert.equal(registered.statusCode, 200, registered.body);

    const ctx = shopContext(shop.runtime);
    const added = await addItem(ctx, { visitorToken: undefined }, { slug: 'gentle-oat-cleanser', quantity: 1 });
    assert.ok(added.ok);
    const placed = await placeOrder(
      ctx,
      { visitorToken: added.visitorToken },
      {
        email: person.email,
        address: { recipientName: person.name, line1: person.street, line2: undefined, city: 'Springfield', region: 'IL', postcode: '62701', country: 'US', phone: person.phone },
        shippingOption: 'standard',
      },
      { checkoutKey: randomUUID() },
    );
    assert.ok(placed.ok);
    const card = ctx.payments.tokenize(cardSchema(shop.clock.now()).parse({ number: CARD, expMonth: '12', expYear: '2031', cvc: '123' }));
    assert.ok((await payOrder(ctx, placed.orderId, card.token)).ok);
    // The mails were really sent (so their sealed copies went through the outbox and were released).
    await eventually(async () => (await mailsTo(shop, person.email)).length >= 2, 20_000, 'verification and confirmation mails');

    const dataDirs = await databaseFiles(shop, disk);
    const needles = [person.name, person.email, person.phone, person.street, CARD, '4242 4242 4242 4242'];
    // The check must be able to fail: the marker itself is stored nowhere, but the product bought is.
    assert.deepEqual(await foundIn(dataDirs, ['Gentle Oat Cleanser']).then((hits) => hits.length > 0), true, 'the search reads the data files');
    assert.deepEqual(await foundIn(dataDirs, needles), []);
  });
});
