import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eq } from 'drizzle-orm';
import { blindIndex } from '../../src/privacy/vault/service.ts';
import { exportJournal, parseJournal, replayErasures } from '../../src/privacy/retention/replay.ts';
import { unitRestrictions } from '../../src/privacy/requests/schema.ts';
import { unitKeys } from '../../src/privacy/vault/schema.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { shopContext } from '../../src/shop/context.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { eraseAccount, privacyCenterContext } from '../../src/shop/privacy-center/service.ts';
import { retentionContext } from '../../src/shop/privacy-center/retention.ts';
import { customerDetails, paidOrder } from '../support/backoffice.ts';
import { signedInCustomer } from '../support/customers.ts';
import { backUp, forEachDatabase, freshDatabase } from '../support/databases.ts';
import { startTestShop } from '../support/shop.ts';

// A backup taken before a customer erased their account still holds them. Restoring it and replaying the erasure
// journal (exported from the live shop, ids only) erases them again: the account and its key go, the order kept
// for its legal term is cut off from them and restricted again, and the customer who did not ask stays.

const DAY = 24 * 60 * 60 * 1000;

forEachDatabase('erasure replay after a restore', (kind) => {
  test('a restored backup forgets whoever was erased after it was taken', async () => {
    const database = await freshDatabase(kind);
    const first = await startTestShop(kind, { database });
    const erin = await signedInCustomer(first, 'Erin Restore', 'erin.restore@example.com');
    const yuri = await signedInCustomer(first, 'Yuri Stays', 'yuri.stays@example.com');
    const order = await paidOrder(first, { 'gentle-oat-cleanser': 1 }, customerDetails(erin.email));
    const masterKey = first.runtime.config.masterKey!;
    await first.stop();

    const backup = await backUp(kind, database);
    const live = await startTestShop(kind, { database: backup.source, seed: false, env: { PLEDGE_MASTER_KEY: masterKey } });
    live.clock.advance(DAY);
    assert.ok((await eraseAccount(privacyCenterContext(live.runtime), erin.customerId, 'a long enough password')).ok);
    const journal = await exportJournal(live.database.db);
    await live.stop();
    await backup.source.drop();

    const restored = await backup.restore();
    const shop = await startTestShop(kind, { database: restored, seed: false, env: { PLEDGE_MASTER_KEY: masterKey } });
    try {
      const db = shop.database.db;
      const keys = shopContext(shop.runtime).keys;
      const [account] = await db.select().from(customers).where(eq(customers.id, erin.customerId));
      assert.ok(account, 'the backup still holds the erased customer');
      const [placed] = await db.select().from(orders).where(eq(orders.id, order.orderId));

      const entries = parseJournal(journal);
      assert.ok(entries.length >= 2, 'the journal lists the account’s erasure and the order’s restriction');
      const report = await replayErasures(retentionContext(shop.runtime), entries);
      assert.ok(report.erasedAgain >= 1);
      assert.equal(report.restrictedAgain, 1);

      assert.equal((await db.select().from(customers).where(eq(customers.id, erin.customerId))).length, 0, 'the account is gone again');
      assert.equal((await db.select().from(unitKeys).where(eq(unitKeys.unitId, account.unitId))).length, 0, 'and its key');
      const [after] = await db.select().from(orders).where(eq(orders.id, order.orderId));
      assert.equal(after!.customerId, null);
      assert.notDeepEqual(after!.emailIndex, blindIndex(keys, 'email', erin.email), 'the order no longer leads to her address');
      assert.equal((await db.select().from(unitRestrictions).where(eq(unitRestrictions.unitId, placed!.unitId))).length, 1, 'it is restricted for its legal term');
      assert.equal((await db.select().from(customers).where(eq(customers.id, yuri.customerId))).length, 1, 'the other customer stays');

      const again = await replayErasures(retentionContext(shop.runtime), entries);
      assert.equal(again.erasedAgain + again.restrictedAgain, 0, 'replaying twice changes nothing more');
    } finally {
      await shop.stop();
      await restored.drop();
    }
  });
});
