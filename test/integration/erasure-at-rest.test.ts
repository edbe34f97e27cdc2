import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { privacyExports } from '../../src/privacy/requests/schema.ts';
import { addAddress } from '../../src/shop/accounts/addresses.ts';
import { addItem } from '../../src/shop/cart/service.ts';
import { placeOrder } from '../../src/shop/checkout/service.ts';
import { eraseAccount, prepareExport, privacyCenterContext, requestCopy } from '../../src/shop/privacy-center/service.ts';
import { databaseFiles, diskDatabase, foundIn, type DiskDatabase } from '../support/at-rest.ts';
import { CUSTOMER_PASSWORD, signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { startTestShop, type TestShop } from '../support/shop.ts';

// After a customer with an address book, an order and a copy waiting to be downloaded erases their account, none of
// their values is in the database's files or in the export directory (the waiting copy is withdrawn with them).

forEachDatabase('erasure at rest', (kind) => {
  let shop: TestShop;
  let disk: DiskDatabase;
  const marker = randomBytes(5).toString('hex');
  const person = { name: `Odile Vantongeren ${marker}`, email: `odile.${marker}@example.com`, street: `${marker} Quince Terrace`, phone: `+1 555 ${marker.slice(0, 6)}` };

  before(async () => {
    disk = await diskDatabase(kind);
    shop = await startTestShop(kind, { database: disk.database });
  });
  after(async () => {
    await shop.stop();
    await shop.database.drop();
    if (disk.pgliteDir) fs.rmSync(disk.pgliteDir, { recursive: true, force: true });
  });

  test('an erased customer leaves no plaintext in the data files or the export directory', async () => {
    const ctx = privacyCenterContext(shop.runtime);
    const me = await signedInCustomer(shop, person.name, person.email);
    const address = { recipientName: person.name, line1: person.street, line2: undefined, city: 'Springfield', region: 'IL', postcode: '62701', country: 'US', phone: person.phone };
    assert.ok((await addAddress(ctx, me.customerId, address)).ok);
    const added = await addItem(ctx, { customerId: me.customerId }, { slug: 'gentle-oat-cleanser', quantity: 1 });
    assert.ok(added.ok);
    assert.ok((await placeOrder(ctx, { customerId: me.customerId }, { email: person.email, address, shippingOption: 'standard' }, { checkoutKey: randomUUID() })).ok);
    const requestId = await requestCopy(ctx, me.customerId);
    const [pending] = await shop.database.db.select().from(privacyExports).where(eq(privacyExports.requestId, requestId!));
    const prepared = await prepareExport(ctx, pending!.id);
    assert.ok(prepared);
    assert.equal(fs.existsSync(`${ctx.exportDir}/${prepared.exportId}.sealed`), true, 'a copy waits to be downloaded');

    const erased = await eraseAccount(ctx, me.customerId, CUSTOMER_PASSWORD);
    assert.ok(erased.ok);
    assert.deepEqual(fs.readdirSync(ctx.exportDir), [], 'the waiting copy is withdrawn');

    const needles = [person.name, person.email, person.street, person.phone];
    const dataDirs = await databaseFiles(shop, disk);
    // The check must be able to fail: the product bought is stored in plaintext.
    assert.ok((await foundIn(dataDirs, ['Gentle Oat Cleanser'])).length > 0, 'the search reads the data files');
    assert.deepEqual(await foundIn(dataDirs, needles), []);
  });
});
