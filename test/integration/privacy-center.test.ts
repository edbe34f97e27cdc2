import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { eq, inArray, sql } from 'drizzle-orm';
import { inTransaction, queryRows } from '../../src/platform/db/index.ts';
import { AccessDenied, type StaffActor } from '../../src/privacy/access.ts';
import { consentHistory, recordChoice } from '../../src/privacy/consent/service.ts';
import { disclose } from '../../src/privacy/disclosure/service.ts';
import { privacyExports, privacyRequests } from '../../src/privacy/requests/schema.ts';
import { subjectDocument } from '../../src/privacy/requests/service.ts';
import { RESTRICTED_PREFIX, shredExpiredRestrictions } from '../../src/privacy/units.ts';
import { erasureJournal, unitKeys } from '../../src/privacy/vault/schema.ts';
import { isErased } from '../../src/privacy/vault/service.ts';
import { addAddress } from '../../src/shop/accounts/addresses.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { signIn } from '../../src/shop/accounts/service.ts';
import { addItem, type CartOwner } from '../../src/shop/cart/service.ts';
import { payOrder, placeOrder } from '../../src/shop/checkout/service.ts';
import { products } from '../../src/shop/catalog/schema.ts';
import { REFUND_CANCELLED_JOB, refundCancelledOrder } from '../../src/shop/fulfilment/service.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { payments } from '../../src/shop/payments/schema.ts';
import { orderForStaff } from '../../src/shop/orders/service.ts';
import { cardSchema } from '../../src/shop/payments/testpay/service.ts';
import { downloadCopy, eraseAccount, expireCopies, PREPARE_EXPORT_JOB, prepareExport, privacyCenterContext, requestAsGuest, requestCopy, verifyGuest } from '../../src/shop/privacy-center/service.ts';
import { CUSTOMER_PASSWORD, signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { codeFrom, mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// The privacy center's services (issue 7): a copy holds every unit of its subject and nothing of anyone else's,
// with the disclosure ledger and the staff reads; erasure leaves nothing readable but orders inside their legal
// term, which only the privacy officer may open, and which become unreadable the day the term ends.

const DAY = 24 * 60 * 60 * 1000;

forEachDatabase('privacy center', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind);
  });
  after(() => shop.stop());

  const ctx = () => privacyCenterContext(shop.runtime);
  const support: StaffActor = { kind: 'staff', staffId: randomUUID(), roles: ['support'] };
  const officer: StaffActor = { kind: 'staff', staffId: randomUUID(), roles: ['privacy_officer'] };

  const person = (who: string) => {
    const marker = randomBytes(4).toString('hex');
    return { name: `${who} Quennell ${marker}`, email: `${who.toLowerCase()}.${marker}@example.com`, street: `${marker} Juniper Row`, phone: `+1 555 ${marker}` };
  };
  type Person = ReturnType<typeof person>;

  async function buy(owner: CartOwner | 'guest', p: Person, pay = true): Promise<string> {
    const added = await addItem(ctx(), owner === 'guest' ? { visitorToken: undefined } : owner, { slug: 'gentle-oat-cleanser', quantity: 1 });
    assert.ok(added.ok);
    const placed = await placeOrder(
      ctx(),
      owner === 'guest' ? { visitorToken: added.visitorToken } : owner,
      { email: p.email, address: { recipientName: p.name, line1: p.street, line2: undefined, city: 'Springfield', region: 'IL', postcode: '62701', country: 'US', phone: p.phone }, shippingOption: 'standard' },
      { checkoutKey: randomUUID() },
    );
    assert.ok(placed.ok, JSON.stringify(placed));
    if (pay) {
      const card = ctx().payments.tokenize(cardSchema(shop.clock.now()).parse({ number: '4242424242424242', expMonth: '12', expYear: '2035', cvc: '123' }));
      assert.ok((await payOrder(ctx(), placed.orderId, card.token)).ok);
    }
    return placed.orderId;
  }

  async function copyFor(customerId: string) {
    const requestId = await requestCopy(ctx(), customerId);
    assert.ok(requestId);
    const [pending] = await shop.database.db.select().from(privacyExports).where(eq(privacyExports.requestId, requestId));
    const prepared = await prepareExport(ctx(), pending!.id);
    assert.ok(prepared);
    return prepared;
  }

  const unitOf = async (orderId: string) => (await shop.database.db.select({ unitId: orders.unitId }).from(orders).where(eq(orders.id, orderId)))[0]!.unitId;

  test('a copy holds every unit of its subject, the disclosures and staff reads, and nothing of anyone else', async () => {
    const ann = person('Ann');
    const bob = person('Bob');
    const annAccount = await signedInCustomer(shop, ann.name, ann.email);
    const bobAccount = await signedInCustomer(shop, bob.name, bob.email);
    await addAddress(ctx(), annAccount.customerId, { recipientName: ann.name, line1: `${ann.street} (home)`, line2: undefined, city: 'Springfield', region: 'IL', postcode: '62701', country: 'US', phone: undefined });
    const annOrders = [await buy({ customerId: annAccount.customerId }, ann), await buy({ customerId: annAccount.customerId }, ann, false), await buy('guest', ann)];
    await buy({ customerId: bobAccount.customerId }, bob);
    await buy('guest', bob);

    await recordChoice(ctx(), { customerId: annAccount.customerId, granted: ['performance'], method: 'banner', underGpc: false });
    await recordChoice(ctx(), { customerId: bobAccount.customerId, granted: [], method: 'banner', underGpc: false });
    // Support read Ann's first order; its parcel went to the carrier.
    await orderForStaff({ ...ctx(), actor: support }, annOrders[0]!, 'customer_support', ['recipientName']);
    const firstUnit = await unitOf(annOrders[0]!);
    await inTransaction(shop.database.db, (tx) => disclose({ clock: shop.clock }, tx, 'logistics', 'delivery', firstUnit, { recipientName: ann.name }));

    const prepared = await copyFor(annAccount.customerId);
    const link = (await mailsTo(shop, ann.email)).map((m) => m.text).find((t) => t.includes(`/privacy-center/copy/${prepared.token}`));
    assert.ok(link, 'the link is mailed to the account’s address');
    const copy = await downloadCopy(ctx(), prepared.token);
    assert.ok(copy);
    const kinds = copy.units.map((u) => u.kind);
    assert.equal(kinds.filter((k) => k === 'account').length, 1);
    assert.equal(kinds.filter((k) => k === 'order').length, 3, 'both account orders and the guest order under the same address');
    assert.ok(kinds.filter((k) => k === 'outbox_message').length >= 3, 'the e-mails sent to Ann');
    const consent = copy.units.find((u) => u.kind === 'consent_record');
    assert.deepEqual((consent?.data as { choice: { granted: string[] } }[]).map((c) => c.choice.granted), [['performance']]);
    const text = JSON.stringify(copy);
    for (const value of [ann.name, ann.email, ann.street, `${ann.street} (home)`, ann.phone, '4242']) assert.ok(text.includes(value), `the copy holds ${value}`);
    for (const value of [bob.name, bob.email, bob.street]) assert.ok(!text.includes(value), `the copy holds nothing of Bob's (${value})`);
    const disclosed = copy.disclosures.map((d) => `${d.recipient}: ${d.fields.join(', ')}`).sort();
    assert.deepEqual(disclosed, [
      'Logistics provider (TestShip): recipientName',
      'Payment provider (TestPay): amountCents, cardToken, currency, orderId',
      'Payment provider (TestPay): amountCents, cardToken, currency, orderId',
    ], 'the carrier, and the payment provider for each paid order');
    assert.deepEqual(copy.reads.map((r) => [r.staffRoles, r.fields, r.purpose]), [[['support'], ['recipientName'], 'Customer support']]);

    // Single use: the file and its key are gone.
    assert.equal(await downloadCopy(ctx(), prepared.token), undefined);
    assert.equal(fs.existsSync(`${ctx().exportDir}/${prepared.exportId}.sealed`), false);
    assert.equal((await shop.database.db.select().from(unitKeys).where(eq(unitKeys.unitId, prepared.exportId))).length, 0);
  });

  test('two preparations of one copy at once, a guest’s own and its job’s: one link is minted, and it opens the copy', async () => {
    const di = person('Di');
    const account = await signedInCustomer(shop, di.name, di.email);
    const requestId = await requestCopy(ctx(), account.customerId);
    assert.ok(requestId);
    const [pending] = await shop.database.db.select().from(privacyExports).where(eq(privacyExports.requestId, requestId));
    const both = await Promise.all([prepareExport(ctx(), pending!.id), prepareExport(ctx(), pending!.id)]);
    const minted = both.filter((p) => p !== undefined);
    assert.equal(minted.length, 1, 'the second finds the copy ready');
    const links = (await mailsTo(shop, di.email)).filter((m) => m.text.includes('/privacy-center/copy/'));
    assert.equal(links.length, 1, 'one link is mailed');
    const copy = await downloadCopy(ctx(), minted[0]!.token);
    assert.ok(copy, 'the link shown is the link that works');
    assert.ok(JSON.stringify(copy).includes(di.email));
  });

  test('a guest’s copy is prepared by their own request; its job, which could mail no link, waits five minutes', async () => {
    const eve = person('Eve');
    await buy('guest', eve);
    const requestId = await requestAsGuest(ctx(), 'access', eve.email);
    const code = (await codeFrom(shop, eve.email))!;
    const verifiedAt = shop.clock.now().getTime();
    const result = await verifyGuest(ctx(), requestId, eve.email, code);
    assert.ok(result.ok && result.kind === 'access' && result.token, 'the guest is given the link at once');
    const [job] = await queryRows<{ start_after: string | Date }>(shop.database.db, sql`select start_after from pgboss.job j join ${privacyExports} e on e.id::text = j.data->>'exportId' where j.name = ${PREPARE_EXPORT_JOB} and e.request_id = ${requestId}`);
    assert.ok(job, 'the job is there as a backstop');
    assert.ok(Math.abs(new Date(job.start_after).getTime() - (verifiedAt + 5 * 60 * 1000)) < 1000, 'due five minutes after the code was entered');
    assert.ok(await downloadCopy(ctx(), result.token), 'the link shown opens the copy');
  });

  test('a copy not fetched within 3 days is deleted with its key', async () => {
    const cy = person('Cy');
    const account = await signedInCustomer(shop, cy.name, cy.email);
    const prepared = await copyFor(account.customerId);
    shop.clock.advance(3 * DAY - 1000);
    assert.equal(await expireCopies(ctx()), 0, 'still valid a second before three days');
    shop.clock.advance(2000);
    assert.equal(await expireCopies(ctx()), 1);
    assert.equal(await downloadCopy(ctx(), prepared.token), undefined);
    assert.equal(fs.existsSync(`${ctx().exportDir}/${prepared.exportId}.sealed`), false);
    assert.equal((await shop.database.db.select().from(unitKeys).where(eq(unitKeys.unitId, prepared.exportId))).length, 0);
  });

  test('erasure: nothing readable is left but the orders inside their legal term, and those go the day it ends', async () => {
    const dee = person('Dee');
    const account = await signedInCustomer(shop, dee.name, dee.email);
    const [paid, unpaid] = [await buy({ customerId: account.customerId }, dee), await buy({ customerId: account.customerId }, dee, false)];
    const orderUnits = [await unitOf(paid), await unitOf(unpaid)];
    await recordChoice(ctx(), { customerId: account.customerId, granted: ['experience'], method: 'settings', underGpc: false });
    const [{ unitId: accountUnit }] = (await shop.database.db.select({ unitId: customers.unitId }).from(customers).where(eq(customers.id, account.customerId))) as [{ unitId: string }];

    const wrong = await eraseAccount(ctx(), account.customerId, 'not the password');
    assert.deepEqual(wrong, { ok: false, field: 'password', message: 'That is not your password.' });

    const erased = await eraseAccount(ctx(), account.customerId, CUSTOMER_PASSWORD);
    assert.ok(erased.ok);
    const until = new Date(shop.clock.now().getTime());
    until.setUTCFullYear(until.getUTCFullYear() + 3);
    assert.deepEqual(erased.outcome.held.map((h) => [h.kind, h.count, h.until]), [['order', 2, until.toISOString().slice(0, 10)]]);
    assert.ok(erased.outcome.erased.some((e) => e.kind === 'account' && e.count === 1));
    assert.ok(erased.outcome.erased.some((e) => e.kind === 'consent_record' && e.count === 1));
    assert.deepEqual(await consentHistory(ctx(), { customerId: account.customerId }), []);

    const letter = (await mailsTo(shop, dee.email)).find((m) => m.subject.includes('has been deleted'));
    assert.ok(letter, 'the confirmation e-mail went out');
    assert.match(letter.text, /Deleted now:\n {2}- Your account/);
    assert.match(letter.text, new RegExp(`Your orders[^\\n]*\\(2\\), until ${until.toISOString().slice(0, 10)}: Tax and commercial law`));

    // Signing in fails, a copy shows nothing, support cannot open the orders.
    assert.deepEqual(await signIn(ctx(), { email: dee.email, password: CUSTOMER_PASSWORD }), { ok: false });
    const after = await subjectDocument(ctx(), { customerId: account.customerId, emailIndex: null });
    assert.deepEqual(after.units, []);
    await assert.rejects(orderForStaff({ ...ctx(), actor: support }, paid, 'customer_support', ['recipientName']), AccessDenied);
    const [row] = await shop.database.db.select({ customerId: orders.customerId }).from(orders).where(eq(orders.id, paid));
    assert.equal(row!.customerId, null);
    const [request] = await shop.database.db.select().from(privacyRequests).where(eq(privacyRequests.id, erased.requestId));
    assert.equal(request!.status, 'completed');
    assert.equal(request!.customerId, null, 'the request no longer names the customer');

    // The account's key is gone and journalled; the orders' keys are held.
    assert.equal((await shop.database.db.select().from(unitKeys).where(eq(unitKeys.unitId, accountUnit))).length, 0);
    assert.equal((await shop.database.db.select().from(erasureJournal).where(eq(erasureJournal.unitId, accountUnit))).length, 1);
    assert.equal((await shop.database.db.select().from(unitKeys).where(inArray(unitKeys.unitId, orderUnits))).length, 2);

    // Only the privacy officer, for the legal obligation, opens a held order.
    const held = await orderForStaff({ ...ctx(), actor: officer }, paid, 'legal_obligation', ['recipientName', 'address']);
    assert.equal(held!.contact.recipientName, dee.name);

    // The day before the term ends nothing changes; the day it ends the keys go.
    shop.clock.set(new Date(until.getTime() - DAY));
    assert.equal(await shredExpiredRestrictions(ctx()), 0);
    shop.clock.set(new Date(until.getTime() + 1000));
    assert.equal(await shredExpiredRestrictions(ctx()), 2);
    const gone = await orderForStaff({ ...ctx(), actor: officer }, paid, 'legal_obligation', ['recipientName']);
    assert.ok(isErased(gone!.contact.recipientName));
    const journalled = await shop.database.db.select().from(erasureJournal).where(inArray(erasureJournal.unitId, orderUnits));
    assert.equal(journalled.filter((j) => j.reason.startsWith(RESTRICTED_PREFIX)).length, 2, 'the restrictions were journalled');
    assert.equal(journalled.filter((j) => !j.reason.startsWith(RESTRICTED_PREFIX)).length, 2, 'and so were the shreddings');
    assert.equal((await shop.database.db.select().from(unitKeys).where(inArray(unitKeys.unitId, orderUnits))).length, 0);
  });

  test('erasure cancels the orders not sent yet, puts their stock back and refunds the paid one by a job', async () => {
    const eve = person('Eve');
    const account = await signedInCustomer(shop, eve.name, eve.email);
    const stockOf = async () => (await shop.database.db.select({ stock: products.stock }).from(products).where(eq(products.slug, 'gentle-oat-cleanser')))[0]!.stock;
    const before = await stockOf();
    const [paid, unpaid] = [await buy({ customerId: account.customerId }, eve), await buy({ customerId: account.customerId }, eve, false)];
    assert.equal(await stockOf(), before - 2);

    const erased = await eraseAccount(ctx(), account.customerId, CUSTOMER_PASSWORD);
    assert.ok(erased.ok);
    const numbers = await shop.database.db.select({ id: orders.id, number: orders.number, status: orders.status, totalCents: orders.totalCents }).from(orders).where(inArray(orders.id, [paid, unpaid]));
    assert.deepEqual(numbers.map((o) => o.status), ['cancelled', 'cancelled']);
    const numberOf = (id: string) => numbers.find((o) => o.id === id)!;
    assert.deepEqual(erased.outcome.cancelled, [
      { number: numberOf(paid).number, totalCents: numberOf(paid).totalCents, refunded: true },
      { number: numberOf(unpaid).number, totalCents: numberOf(unpaid).totalCents, refunded: false },
    ]);
    assert.equal(await stockOf(), before, 'the stock is back on sale');
    const letter = (await mailsTo(shop, eve.email)).find((m) => m.subject.includes('has been deleted'));
    assert.match(letter!.text, new RegExp(`Cancelled, as they had not been sent yet[^\\n]*\\n {2}- Order ${numberOf(paid).number} \\(\\$[\\d.]+\\): refunded in full to the card you paid with\\n {2}- Order ${numberOf(unpaid).number} [^\\n]*not paid`));

    // The refund waits for the erasure to commit, then the job asks the provider once, however often it runs.
    const [job] = await queryRows<{ data: { orderId: string } }>(shop.database.db, sql`select data from pgboss.job where name = ${REFUND_CANCELLED_JOB} and data->>'orderId' = ${paid}`);
    assert.ok(job, 'a refund job was queued for the paid order only');
    assert.equal((await queryRows(shop.database.db, sql`select 1 from pgboss.job where name = ${REFUND_CANCELLED_JOB} and data->>'orderId' = ${unpaid}`)).length, 0);
    await refundCancelledOrder(ctx(), paid);
    await refundCancelledOrder(ctx(), paid);
    const [payment] = await shop.database.db.select({ amountCents: payments.amountCents, refundedCents: payments.refundedCents }).from(payments).where(eq(payments.orderId, paid));
    assert.equal(payment!.refundedCents, payment!.amountCents);
  });

  test('a guest erasure by an account’s address cancels the account’s unsent orders, whatever address they went to', async () => {
    const fay = person('Fay');
    const account = await signedInCustomer(shop, fay.name, fay.email);
    const gift = await buy({ customerId: account.customerId }, { ...fay, email: `gift.${fay.email}` });
    const requestId = await requestAsGuest(ctx(), 'erasure', fay.email);
    const code = (await codeFrom(shop, fay.email))!;
    const result = await verifyGuest(ctx(), requestId, fay.email, code);
    assert.ok(result.ok && result.kind === 'erasure');
    const [order] = await shop.database.db.select({ number: orders.number, status: orders.status }).from(orders).where(eq(orders.id, gift));
    assert.equal(order!.status, 'cancelled', 'the erasure found it through the account, and so does the cancelling');
    assert.deepEqual(result.outcome.cancelled.map((c) => c.number), [order!.number]);
  });
});
