import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { privacyRequests } from '../../src/privacy/requests/schema.ts';
import { unitKeys } from '../../src/privacy/vault/schema.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { privacyCenterContext, requestCopy } from '../../src/shop/privacy-center/service.ts';
import { customerDetails, paidOrder, signedInStaff } from '../support/backoffice.ts';
import { signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// The privacy officer's queue (/admin/privacy): only the privacy officer sees it; deadlines are counted in business
// days and an open request past its due date is flagged; a suspected minor's case, once confirmed, erases every
// order too, and the case stays on record without naming anyone.

forEachDatabase('privacy request queue', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind);
  });
  after(() => shop.stop());

  test('only the privacy officer opens the queue', async () => {
    const support = await signedInStaff(shop, ['support']);
    assert.equal((await support.get('/admin/privacy')).statusCode, 403);
    const signedOut = await shop.app.inject({ url: '/admin/privacy' });
    assert.equal(signedOut.statusCode, 303);
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const queue = await officer.get('/admin/privacy');
    assert.equal(queue.statusCode, 200);
    assert.match(queue.body, /Privacy requests/);
    assert.match((await officer.get('/admin')).body, /href="\/admin\/privacy"/);
  });

  test('an open request past its due date (15 business days) is flagged overdue', async () => {
    shop.clock.set('2026-11-25T10:00:00Z');
    const me = await signedInCustomer(shop, 'Mina Osei', 'mina@example.com');
    const requestId = await requestCopy(privacyCenterContext(shop.runtime), me.customerId);
    const [request] = await shop.database.db.select().from(privacyRequests).where(eq(privacyRequests.id, requestId!));
    assert.equal(request!.dueAt.toISOString().slice(0, 10), '2026-12-17', 'Thanksgiving and weekends skipped');
    const row = (body: string) => new RegExp(`<tr class="urgency-([a-z_]+)"><td><a href="/admin/privacy/${requestId}">`).exec(body)?.[1];
    // Staff sessions do not last weeks: the officer signs in on each day looked at.
    shop.clock.set('2026-12-17T20:00:00Z');
    assert.equal(row((await (await signedInStaff(shop, ['privacy_officer'])).get('/admin/privacy?open=1')).body), 'due_soon');
    shop.clock.set('2026-12-18T09:00:00Z');
    const overdue = await (await signedInStaff(shop, ['privacy_officer'])).get('/admin/privacy?open=1');
    assert.equal(row(overdue.body), 'overdue');
    assert.match(overdue.body, /OVERDUE/);
    assert.doesNotMatch(overdue.body, /Mina|mina@example\.com/, 'the queue names nobody');
  });

  test('a suspected minor, once confirmed, is erased orders and all, and the case keeps no personal data', async () => {
    const email = 'young.buyer@example.com';
    const order = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(email));
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const missing = await officer.post('/admin/privacy/minors', { orderNumber: order.number, note: '' });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /Give the reason/);
    const flagged = await officer.post('/admin/privacy/minors', { orderNumber: order.number, note: 'Said in a ticket they are 14' });
    assert.equal(flagged.statusCode, 303);
    const casePage = flagged.headers.location as string;
    const requestId = casePage.split('/').at(-1)!;
    const [open] = await shop.database.db.select().from(privacyRequests).where(eq(privacyRequests.id, requestId));
    assert.equal(open!.kind, 'minor');
    assert.equal(open!.status, 'awaiting_confirmation');
    assert.ok(open!.dueAt.getTime() - open!.receivedAt.getTime() <= 4 * 24 * 60 * 60 * 1000, 'due within one business day');

    const [{ unitId }] = (await shop.database.db.select({ unitId: orders.unitId }).from(orders).where(eq(orders.id, order.orderId))) as [{ unitId: string }];
    assert.equal((await officer.post(`${casePage}/run`)).statusCode, 303);
    assert.equal((await shop.database.db.select().from(unitKeys).where(eq(unitKeys.unitId, unitId))).length, 0, 'the order is erased, not held');
    const [closed] = await shop.database.db.select().from(privacyRequests).where(eq(privacyRequests.id, requestId));
    assert.equal(closed!.status, 'completed');
    assert.equal(closed!.customerId, null);
    assert.equal(closed!.emailIndex, null);
    assert.deepEqual(closed!.outcome!.held, []);
    assert.ok((await mailsTo(shop, email)).some((m) => m.subject.includes('has been deleted')));
    const shown = await officer.get(casePage);
    assert.match(shown.body, /Erased: Your orders/);
    assert.equal((await officer.post(`${casePage}/run`)).statusCode, 409, 'a closed case cannot run again');
  });

  test('support may flag a suspected minor for the privacy officer, and sees no queue', async () => {
    const order = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails('another.young.buyer@example.com'));
    const support = await signedInStaff(shop, ['support']);
    assert.match((await support.get('/admin')).body, /href="\/admin\/privacy\/minors"/);
    const form = await support.get('/admin/privacy/minors');
    assert.equal(form.statusCode, 200);
    assert.doesNotMatch(form.body, /href="\/admin\/privacy"/, 'no link to a queue support may not open');
    const unknown = await support.post('/admin/privacy/minors', { orderNumber: 'P999999', note: 'Wrote that they are 15' });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /No order with that number/);
    const flagged = await support.post('/admin/privacy/minors', { orderNumber: order.number, note: 'Wrote that they are 15' });
    assert.equal(flagged.statusCode, 200);
    assert.match(flagged.body, /the privacy officer reviews the case within 1 business day/);
    const [open] = await shop.database.db.select().from(privacyRequests).where(eq(privacyRequests.staffId, support.staffId));
    assert.equal(open!.kind, 'minor');
    assert.equal(open!.status, 'awaiting_confirmation');
    const fulfilment = await signedInStaff(shop, ['fulfilment']);
    assert.equal((await fulfilment.post('/admin/privacy/minors', { orderNumber: order.number, note: 'x' })).statusCode, 403);
  });

  test('refusing needs a reason and closes the request', async () => {
    const me = await signedInCustomer(shop, 'Rafe Lund', 'rafe@example.com');
    const requestId = await requestCopy(privacyCenterContext(shop.runtime), me.customerId);
    const officer = await signedInStaff(shop, ['privacy_officer']);
    assert.equal((await officer.post(`/admin/privacy/${requestId}/refuse`, { note: ' ' })).statusCode, 400);
    assert.equal((await officer.post(`/admin/privacy/${requestId}/refuse`, { note: 'Duplicate of an earlier request' })).statusCode, 303);
    const [refused] = await shop.database.db.select().from(privacyRequests).where(eq(privacyRequests.id, requestId!));
    assert.equal(refused!.status, 'refused');
    assert.equal(refused!.staffId, officer.staffId);
  });
});
