import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import { auditEvents } from '../../src/privacy/audit/schema.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { customerDetails, paidOrder, postAs, signedInStaff, type StaffClient } from '../support/backoffice.ts';
import { forEachDatabase } from '../support/databases.ts';
import { startTestShop, type TestShop } from '../support/shop.ts';

// Support's order look-up: by exact number, an order page without personal data, and contact details opened only
// through a form naming the purpose, recorded in the audit trail.

forEachDatabase('support order look-up', (kind) => {
  let shop: TestShop;
  let support: StaffClient;
  let fulfilment: StaffClient;
  let admin: StaffClient;
  let order: { orderId: string; number: string };
  before(async () => {
    shop = await startTestShop(kind);
    [support, fulfilment, admin] = await Promise.all([signedInStaff(shop, ['support']), signedInStaff(shop, ['fulfilment']), signedInStaff(shop, ['admin'])]);
    order = await paidOrder(shop, { 'hyaluronic-water-gel': 2 }, customerDetails('ada.support@example.com'));
  });
  after(() => shop.stop());

  const auditOf = async (orderId: string) => {
    const [row] = await shop.database.db.select({ unitId: orders.unitId }).from(orders).where(eq(orders.id, orderId));
    return shop.database.db.select().from(auditEvents).where(eq(auditEvents.subjectUnitId, row!.unitId)).orderBy(asc(auditEvents.id));
  };
  const personal = /ada\.support@example\.com|Grace Hopper|Harbor Way|555 0142/;

  test('every support route: signed out is sent to sign in, other roles are refused', async () => {
    const pages = ['/admin/orders', `/admin/orders?number=${order.number}`, `/admin/orders/${order.number}`];
    for (const url of pages) {
      const out = await shop.app.inject(url);
      assert.equal(out.statusCode, 303, url);
      assert.equal(out.headers.location, '/admin/login');
      for (const other of [fulfilment, admin]) assert.equal((await other.get(url)).statusCode, 403, `${url} as another role`);
    }
    const reveal = `/admin/orders/${order.number}/contact`;
    const out = await postAs(shop, reveal, { purpose: 'customer_support' });
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, '/admin/login');
    for (const other of [fulfilment, admin]) {
      const refused = await other.post(reveal, { purpose: 'customer_support' });
      assert.equal(refused.statusCode, 403);
      assert.doesNotMatch(refused.body, personal);
    }
    assert.equal((await auditOf(order.orderId)).length, 0, 'nothing was read');
  });

  test('the dashboard links support to the look-up', async () => {
    const home = await support.get('/admin');
    assert.match(home.body, /href="\/admin\/orders"/);
    assert.doesNotMatch(home.body, /href="\/admin\/fulfilment"|href="\/admin\/products"/);
  });

  test('look-up by exact number; an unknown number says so and keeps what was typed', async () => {
    const form = await support.get('/admin/orders');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<label for="f-number">Order number<\/label>/);
    const found = await support.get(`/admin/orders?number=${order.number}`);
    assert.equal(found.statusCode, 303);
    assert.equal(found.headers.location, `/admin/orders/${order.number}`);
    const unknown = await support.get('/admin/orders?number=P999999');
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /No order with that number/);
    assert.match(unknown.body, /value="P999999"/);
    const near = await support.get(`/admin/orders?number=${order.number}0`);
    assert.equal(near.statusCode, 404, 'no partial matches');
    const empty = await support.get('/admin/orders?number=');
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Enter an order number/);
    assert.equal((await support.get('/admin/orders/P999999')).statusCode, 404);
  });

  test('the order page shows the order and no personal data, and records nothing', async () => {
    const page = await support.get(`/admin/orders/${order.number}`);
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, new RegExp(`Order ${order.number}`));
    assert.match(page.body, /Hyaluronic Water Gel/);
    assert.match(page.body, /Paid, to pack/);
    assert.match(page.body, /Total<\/th><td>\$\d+\.\d\d/);
    assert.doesNotMatch(page.body, personal);
    assert.match(page.body, /This view is recorded/);
    assert.equal((await auditOf(order.orderId)).length, 0);
  });

  test('showing the contact details needs a purpose from the list', async () => {
    const url = `/admin/orders/${order.number}/contact`;
    const none = await support.post(url);
    assert.equal(none.statusCode, 400);
    assert.match(none.body, /Choose why you need the contact details/);
    assert.doesNotMatch(none.body, personal);
    const other = await support.post(url, { purpose: 'marketing_with_consent' });
    assert.equal(other.statusCode, 400);
    assert.doesNotMatch(other.body, personal);
    assert.equal((await auditOf(order.orderId)).length, 0);
  });

  test('revealing the contact details shows them and records who, whose, which fields and why', async () => {
    const page = await support.post(`/admin/orders/${order.number}/contact`, { purpose: 'after_sales' });
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /ada\.support@example\.com/);
    assert.match(page.body, /Grace Hopper/);
    assert.match(page.body, /12 Harbor Way/);
    assert.match(page.body, /\+1 555 0142/);
    assert.match(page.body, /This view is recorded/);
    const [event, ...more] = await auditOf(order.orderId);
    assert.equal(more.length, 0);
    assert.equal(event!.staffId, support.staffId);
    assert.deepEqual(event!.staffRoles, ['support']);
    assert.equal(event!.subjectKind, 'order');
    assert.deepEqual(event!.fields, ['email', 'phone', 'recipientName', 'shippingAddress']);
    assert.equal(event!.purpose, 'after_sales');

    await support.post(`/admin/orders/${order.number}/contact`, { purpose: 'customer_support' });
    assert.deepEqual((await auditOf(order.orderId)).map((e) => e.purpose), ['after_sales', 'customer_support'], 'every view is recorded with its own purpose');
  });
});
