import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import { AccessDenied } from '../../src/privacy/access.ts';
import { auditEvents } from '../../src/privacy/audit/schema.ts';
import { disclosures } from '../../src/privacy/disclosure/schema.ts';
import { products } from '../../src/shop/catalog/schema.ts';
import { shopContext } from '../../src/shop/context.ts';
import { orderEvents, orders } from '../../src/shop/orders/schema.ts';
import { orderForStaff } from '../../src/shop/orders/service.ts';
import { payments, testpayRefunds } from '../../src/shop/payments/schema.ts';
import { luhnValid } from '../../src/shop/payments/testpay/service.ts';
import { cancelOrder, RefundFailed } from '../../src/shop/fulfilment/service.ts';
import { testShip } from '../../src/shop/shipping/testship.ts';
import { customerDetails, paidOrder, postAs, signedInStaff, type StaffClient } from '../support/backoffice.ts';
import { forEachDatabase } from '../support/databases.ts';
import { mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// Fulfilment: the queue without personal data, the audited packing page, pack → ship (the parcel disclosed to
// TestShip with exactly the logistics allow-list) → deliver, cancellations refunded at TestPay, and one move for
// two clicks.

forEachDatabase('fulfilment', (kind) => {
  let shop: TestShop;
  let fulfilment: StaffClient;
  let support: StaffClient;
  let admin: StaffClient;
  before(async () => {
    shop = await startTestShop(kind);
    [fulfilment, support, admin] = await Promise.all([signedInStaff(shop, ['fulfilment']), signedInStaff(shop, ['support']), signedInStaff(shop, ['admin'])]);
  });
  after(() => shop.stop());

  const db = () => shop.database.db;
  const orderRow = async (orderId: string) => (await db().select().from(orders).where(eq(orders.id, orderId)))[0]!;
  const auditOf = async (orderId: string) => db().select().from(auditEvents).where(eq(auditEvents.subjectUnitId, (await orderRow(orderId)).unitId)).orderBy(asc(auditEvents.id));
  const ledgerOf = async (orderId: string) => db().select().from(disclosures).where(eq(disclosures.subjectUnitId, (await orderRow(orderId)).unitId));
  const eventsOf = async (orderId: string) => (await db().select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.id))).map((e) => e.kind);
  const stockOf = async (slug: string) => (await db().select({ stock: products.stock }).from(products).where(eq(products.slug, slug)))[0]!.stock;

  test('every fulfilment route: signed out is sent to sign in, other roles are refused', async () => {
    const { number } = await paidOrder(shop, { 'hyaluronic-water-gel': 1 }, customerDetails('routes@example.com'));
    const pages = ['/admin/fulfilment', `/admin/fulfilment/${number}`];
    const moves = ['pack', 'ship', 'deliver', 'cancel', 'refund'].map((m) => `/admin/fulfilment/${number}/${m}`);
    for (const url of pages) {
      const out = await shop.app.inject(url);
      assert.equal(out.statusCode, 303, url);
      assert.equal(out.headers.location, '/admin/login');
      for (const other of [support, admin]) assert.equal((await other.get(url)).statusCode, 403, `${url} as another role`);
      assert.equal((await fulfilment.get(url)).statusCode, 200, url);
    }
    for (const url of moves) {
      const out = await postAs(shop, url);
      assert.equal(out.statusCode, 303, url);
      assert.equal(out.headers.location, '/admin/login');
      for (const other of [support, admin]) assert.equal((await other.post(url)).statusCode, 403, `${url} as another role`);
    }
    assert.equal((await orderRow((await db().select().from(orders).where(eq(orders.number, number)))[0]!.id)).status, 'paid', 'nothing moved');
    const missingToken = await shop.app.inject({ method: 'POST', url: moves[0]!, headers: { cookie: fulfilment.cookie } });
    assert.equal(missingToken.statusCode, 403, 'a form without its CSRF token is refused');
    assert.equal((await fulfilment.get('/admin/fulfilment/P999999999')).statusCode, 404);
    assert.equal((await fulfilment.post('/admin/fulfilment/P999999999/pack')).statusCode, 404);
  });

  test('the dashboard links fulfilment to its queue and nothing else', async () => {
    const home = await fulfilment.get('/admin');
    assert.match(home.body, /href="\/admin\/fulfilment"/);
    assert.doesNotMatch(home.body, /href="\/admin\/products"|href="\/admin\/orders"/);
  });

  test('queue → pack → ship → deliver: audited reads, one ledgered disclosure to TestShip, tracking number and e-mails', async () => {
    const email = 'grace@example.com';
    const { orderId, number } = await paidOrder(shop, { 'hyaluronic-water-gel': 2, 'ceramide-barrier-cream': 1 }, customerDetails(email));

    const queue = await fulfilment.get('/admin/fulfilment');
    assert.equal(queue.statusCode, 200);
    assert.match(queue.body, new RegExp(`href="/admin/fulfilment/${number}"`));
    assert.doesNotMatch(queue.body, /Grace Hopper|Harbor Way|555 0142|grace@example/, 'the queue shows no personal data');
    assert.equal((await auditOf(orderId)).length, 0, 'so opening it records nothing');

    const packing = await fulfilment.get(`/admin/fulfilment/${number}`);
    assert.equal(packing.statusCode, 200);
    assert.match(packing.body, /Grace Hopper/);
    assert.match(packing.body, /12 Harbor Way/);
    assert.match(packing.body, /\+1 555 0142/);
    assert.match(packing.body, /This view is recorded/);
    assert.doesNotMatch(packing.body, /grace@example\.com/, 'fulfilment never sees the e-mail address');
    const [read] = await auditOf(orderId);
    assert.deepEqual({ staffId: read!.staffId, fields: read!.fields, purpose: read!.purpose }, { staffId: fulfilment.staffId, fields: ['phone', 'recipientName', 'shippingAddress'], purpose: 'delivery' });

    const packed = await fulfilment.post(`/admin/fulfilment/${number}/pack`);
    assert.equal(packed.statusCode, 303);
    assert.equal(packed.headers.location, `/admin/fulfilment/${number}`);
    assert.equal((await orderRow(orderId)).status, 'packed');

    const shipped = await fulfilment.post(`/admin/fulfilment/${number}/ship`);
    assert.equal(shipped.statusCode, 303);
    const order = await orderRow(orderId);
    assert.equal(order.status, 'shipped');
    assert.equal(order.carrier, 'TestShip');
    assert.match(order.trackingNumber!, /^TS\d{10}$/);
    assert.ok(luhnValid(order.trackingNumber!.slice(2)), 'the last digit checks the others');

    const ledger = await ledgerOf(orderId);
    const logistics = ledger.filter((d) => d.processor === 'logistics');
    assert.equal(logistics.length, 1);
    assert.deepEqual(logistics[0]!.fields, ['parcelContents', 'parcelWeightGrams', 'phone', 'recipientName', 'shippingAddress']);
    assert.equal(logistics[0]!.purpose, 'delivery');
    assert.equal(logistics[0]!.staffId, fulfilment.staffId);

    const shippedMail = (await mailsTo(shop, email)).find((m) => /has shipped/.test(m.subject));
    assert.ok(shippedMail, 'the customer is told');
    assert.match(shippedMail.text, new RegExp(order.trackingNumber!));
    assert.match(shippedMail.text, /TestShip/);

    const reads = await auditOf(orderId);
    assert.equal(reads.length, 2, 'the page view and the read that built the parcel');
    assert.ok(reads.every((r) => r.purpose === 'delivery' && !r.fields.includes('email')));

    const page = await fulfilment.get(`/admin/fulfilment/${number}`);
    assert.match(page.body, new RegExp(order.trackingNumber!));
    assert.doesNotMatch(page.body, /Grace Hopper/, 'once shipped, the page no longer opens the delivery details');
    assert.equal((await auditOf(orderId)).length, 2);

    assert.equal((await fulfilment.post(`/admin/fulfilment/${number}/deliver`)).statusCode, 303);
    assert.equal((await orderRow(orderId)).status, 'delivered');
    assert.ok((await mailsTo(shop, email)).some((m) => /was delivered/.test(m.subject)));
    assert.deepEqual(await eventsOf(orderId), ['placed', 'paid', 'packed', 'shipped', 'delivered']);
    const staffed = await db().select().from(orderEvents).where(eq(orderEvents.orderId, orderId));
    assert.ok(staffed.filter((e) => ['packed', 'shipped', 'delivered'].includes(e.kind)).every((e) => e.staffId === fulfilment.staffId));
  });

  test('a parcel without a phone number discloses no phone field', async () => {
    const { orderId, number } = await paidOrder(shop, { 'hyaluronic-water-gel': 1 }, customerDetails('nophone@example.com', null));
    assert.equal((await fulfilment.post(`/admin/fulfilment/${number}/pack`)).statusCode, 303);
    assert.equal((await fulfilment.post(`/admin/fulfilment/${number}/ship`)).statusCode, 303);
    const [row] = await ledgerOf(orderId).then((rows) => rows.filter((d) => d.processor === 'logistics'));
    assert.deepEqual(row!.fields, ['parcelContents', 'parcelWeightGrams', 'recipientName', 'shippingAddress']);
  });

  test('two clicks on Ship: one shipment, the other click gets a 409 page', async () => {
    const { orderId, number } = await paidOrder(shop, { 'ceramide-barrier-cream': 1 }, customerDetails('twice@example.com'));
    assert.equal((await fulfilment.post(`/admin/fulfilment/${number}/pack`)).statusCode, 303);
    const answers = await Promise.all([fulfilment.post(`/admin/fulfilment/${number}/ship`), fulfilment.post(`/admin/fulfilment/${number}/ship`)]);
    assert.deepEqual(answers.map((a) => a.statusCode).sort(), [303, 409]);
    const refused = answers.find((a) => a.statusCode === 409)!;
    assert.match(refused.body, new RegExp(`Order ${number} was not changed`));
    assert.match(refused.body, /is shipped and cannot become shipped/);
    assert.equal((await ledgerOf(orderId)).filter((d) => d.processor === 'logistics').length, 1);
    assert.equal((await eventsOf(orderId)).filter((k) => k === 'shipped').length, 1);
    assert.equal((await mailsTo(shop, 'twice@example.com')).filter((m) => /has shipped/.test(m.subject)).length, 1);
    const again = await fulfilment.post(`/admin/fulfilment/${number}/ship`);
    assert.equal(again.statusCode, 409, 'and a later click too');
    assert.equal((await fulfilment.post(`/admin/fulfilment/${number}/cancel`)).statusCode, 409, 'a shipped order is not cancelled');
  });

  test('cancelling a paid order refunds it in full at TestPay and puts the stock back, once', async () => {
    const email = 'cancel@example.com';
    const before = await stockOf('peptide-eye-cream');
    const { orderId, number, totalCents } = await paidOrder(shop, { 'peptide-eye-cream': 3 }, customerDetails(email));
    assert.equal(await stockOf('peptide-eye-cream'), before - 3);
    const answers = await Promise.all([fulfilment.post(`/admin/fulfilment/${number}/cancel`), fulfilment.post(`/admin/fulfilment/${number}/cancel`)]);
    assert.deepEqual(answers.map((a) => a.statusCode).sort(), [303, 409]);
    assert.equal((await orderRow(orderId)).status, 'cancelled');
    assert.equal(await stockOf('peptide-eye-cream'), before, 'the stock is back on sale, once');

    const [payment] = await db().select().from(payments).where(eq(payments.orderId, orderId));
    assert.equal(payment!.refundedCents, totalCents);
    const refunds = await db().select().from(testpayRefunds).where(eq(testpayRefunds.chargeId, payment!.providerChargeId!));
    assert.equal(refunds.length, 1);
    assert.equal(refunds[0]!.amountCents, totalCents);
    assert.deepEqual(await eventsOf(orderId), ['placed', 'paid', 'cancelled', 'refunded']);
    const mail = (await mailsTo(shop, email)).find((m) => /was cancelled/.test(m.subject));
    assert.ok(mail);
    assert.match(mail.text, /refunding the full amount/);

    const page = await fulfilment.get(`/admin/fulfilment/${number}`);
    assert.match(page.body, /Refunded \$/);
    assert.equal((await fulfilment.post(`/admin/fulfilment/${number}/refund`)).statusCode, 303, 'asking again changes nothing');
    assert.equal((await db().select().from(testpayRefunds).where(eq(testpayRefunds.chargeId, payment!.providerChargeId!))).length, 1);
  });

  test('a refund the provider refuses leaves the order cancelled with the refund outstanding; asking again pays it', async () => {
    const { orderId, number, totalCents } = await paidOrder(shop, { 'hyaluronic-water-gel': 1 }, customerDetails('outstanding@example.com'));
    const ctx = shopContext(shop.runtime);
    const down = { ...ctx, payments: { ...ctx.payments, refund: async () => ({ ok: false as const, message: 'TestPay is unavailable.' }) } };
    const actor = { kind: 'staff' as const, staffId: fulfilment.staffId, roles: ['fulfilment' as const] };
    await assert.rejects(cancelOrder({ ...down, actor, carrier: testShip() }, orderId), RefundFailed);
    assert.equal((await orderRow(orderId)).status, 'cancelled', 'the cancellation stands');
    const [payment] = await db().select().from(payments).where(eq(payments.orderId, orderId));
    assert.equal(payment!.refundedCents, 0);
    const page = await fulfilment.get(`/admin/fulfilment/${number}`);
    assert.match(page.body, /Refund outstanding/);
    assert.match(page.body, new RegExp(`action="/admin/fulfilment/${number}/refund"`));
    assert.equal((await fulfilment.post(`/admin/fulfilment/${number}/refund`)).statusCode, 303);
    assert.equal((await db().select().from(payments).where(eq(payments.orderId, orderId)))[0]!.refundedCents, totalCents);
    assert.equal((await db().select().from(testpayRefunds).where(eq(testpayRefunds.chargeId, payment!.providerChargeId!))).length, 1);
    assert.deepEqual(await eventsOf(orderId), ['placed', 'paid', 'cancelled', 'refunded']);
  });

  test('a packed order can be cancelled too; a paid one cannot be shipped before it is packed', async () => {
    const { orderId, number } = await paidOrder(shop, { 'hyaluronic-water-gel': 1 }, customerDetails('packed@example.com'));
    const early = await fulfilment.post(`/admin/fulfilment/${number}/ship`);
    assert.equal(early.statusCode, 409);
    assert.match(early.body, /is paid and cannot become shipped/);
    assert.equal((await ledgerOf(orderId)).length, 1, 'only the payment was disclosed');
    assert.equal((await fulfilment.post(`/admin/fulfilment/${number}/pack`)).statusCode, 303);
    assert.equal((await fulfilment.post(`/admin/fulfilment/${number}/cancel`)).statusCode, 303);
    assert.equal((await orderRow(orderId)).status, 'cancelled');
  });

  test('fulfilment cannot open the e-mail address, by any route', async () => {
    const { orderId, number } = await paidOrder(shop, { 'hyaluronic-water-gel': 1 }, customerDetails('hidden@example.com'));
    const ctx = { ...shopContext(shop.runtime), actor: { kind: 'staff' as const, staffId: fulfilment.staffId, roles: ['fulfilment' as const] } };
    await assert.rejects(orderForStaff(ctx, orderId, 'delivery', ['email']), AccessDenied);
    await assert.rejects(orderForStaff(ctx, orderId, 'customer_support', ['recipientName']), AccessDenied, 'nor read for another purpose');
    assert.equal((await auditOf(orderId)).length, 0, 'a refused read records nothing and reads nothing');
    assert.equal((await fulfilment.post(`/admin/orders/${number}/contact`, { purpose: 'customer_support' })).statusCode, 403);
    assert.equal((await fulfilment.get(`/admin/orders/${number}`)).statusCode, 403);
  });
});
