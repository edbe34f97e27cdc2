import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { and, asc, eq } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import { auditEvents } from '../../src/privacy/audit/schema.ts';
import { disclosures } from '../../src/privacy/disclosure/schema.ts';
import type { Role } from '../../src/privacy/access.ts';
import { completeSetup, createStaff, findSetup, signIn as staffSignIn } from '../../src/privacy/staff/service.ts';
import { register, signIn as customerSignIn, verifyEmail } from '../../src/shop/accounts/service.ts';
import { addItem, type CartOwner } from '../../src/shop/cart/service.ts';
import { products } from '../../src/shop/catalog/schema.ts';
import { payOrder, placeOrder, taxOn, type CheckoutDetails } from '../../src/shop/checkout/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { orderEvents, orderLines, orders } from '../../src/shop/orders/schema.ts';
import { payments, testpayCharges, testpayRefunds } from '../../src/shop/payments/schema.ts';
import { cardSchema } from '../../src/shop/payments/testpay/service.ts';
import { returnRequests } from '../../src/shop/returns/schema.ts';
import { REFUND_CLAIM_MS, returnsForOrder } from '../../src/shop/returns/service.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, linkFrom, mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// Returns over HTTP: customers and guests ask, support decides, receives and refunds through TestPay. Orders are
// placed and paid through the services, then marked delivered in the database (delivery has pages of its own).

const DAY_MS = 24 * 60 * 60 * 1000;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const GEL = 'hyaluronic-water-gel';
const CLEANSER = 'gentle-oat-cleanser';

const detailsFor = (email: string): CheckoutDetails => ({
  email,
  address: { recipientName: 'Ada Lovelace', line1: '1 Market St', line2: undefined, city: 'San Francisco', region: 'CA', postcode: '94105', country: 'US', phone: undefined },
  shippingOption: 'express',
});

type Delivered = { orderId: string; number: string; email: string; cookie: string };

forEachDatabase('returns', (kind) => {
  let shop: TestShop;
  before(async () => {
    // Many forms are posted from one address here; the per-client limit is tested elsewhere.
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000' } });
    await shop.database.db.update(products).set({ stock: 500 });
  });
  after(() => shop.stop());

  const ctx = () => shopContext(shop.runtime);
  const db = () => shop.database.db;
  const card = () => ctx().payments.tokenize(cardSchema(shop.clock.now()).parse({ number: '4242424242424242', expMonth: '12', expYear: '2030', cvc: '123' })).token;

  /** A paid order of `lines`, delivered `deliveredDaysAgo` days ago (null: paid, not delivered yet). */
  async function paidOrder(owner: CartOwner, email: string, lines: Record<string, number>, deliveredDaysAgo: number | null = 1): Promise<Omit<Delivered, 'cookie'> & { passToken: string | undefined }> {
    let cart = owner;
    for (const [slug, quantity] of Object.entries(lines)) {
      shop.clock.advance(1000); // order lines come in the order they were added to the cart
      const added = await addItem(ctx(), cart, { slug, quantity });
      assert.ok(added.ok);
      if ('visitorToken' in cart) cart = { visitorToken: added.visitorToken };
    }
    const placed = await placeOrder(ctx(), cart, detailsFor(email), { checkoutKey: randomUUID() });
    assert.ok(placed.ok);
    assert.ok((await payOrder(ctx(), placed.orderId, card())).ok);
    if (deliveredDaysAgo !== null) {
      const deliveredAt = new Date(shop.clock.now().getTime() - deliveredDaysAgo * DAY_MS);
      await db().update(orders).set({ status: 'delivered', packedAt: deliveredAt, shippedAt: deliveredAt, deliveredAt }).where(eq(orders.id, placed.orderId));
    }
    return { orderId: placed.orderId, number: placed.number, email, passToken: placed.passToken };
  }

  async function guestOrder(lines: Record<string, number>, deliveredDaysAgo?: number | null): Promise<Delivered> {
    const email = `guest-${randomUUID().slice(0, 8)}@example.com`;
    const order = await paidOrder({ visitorToken: undefined }, email, lines, deliveredDaysAgo);
    return { ...order, cookie: `pledge_order=${order.passToken}` };
  }

  async function customerOrder(lines: Record<string, number>, deliveredDaysAgo?: number | null): Promise<Delivered & { customerId: string }> {
    const email = `customer-${randomUUID().slice(0, 8)}@example.com`;
    const password = 'rose hip seed oil';
    await register(ctx(), { name: 'Grace Hopper', email, password });
    assert.ok(await verifyEmail(ctx(), (await linkFrom(shop, email, /\/account\/verify\//)).split('/').pop()!));
    const session = await customerSignIn(ctx(), { email, password });
    assert.ok(session.ok);
    const order = await paidOrder({ customerId: session.customerId }, email, lines, deliveredDaysAgo);
    return { ...order, customerId: session.customerId, cookie: `pledge_session=${session.token}` };
  }

  const staffAccounts = new Map<Role, { email: string; password: string; secret: string }>();

  /** A fresh session cookie for a staff member with `role` (sessions go idle after 30 minutes of test time). */
  async function staffCookie(role: Role): Promise<string> {
    let account = staffAccounts.get(role);
    const code = (secret: string) => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: shop.clock.now().getTime() });
    if (!account) {
      const email = `${role}@pledge.example`;
      const { setupToken } = await createStaff(ctx(), { email, roles: [role] });
      const setup = await findSetup(ctx(), setupToken);
      account = { email, password: 'correct horse battery staple', secret: setup!.secret };
      assert.ok('recoveryCodes' in (await completeSetup(ctx(), setupToken, { password: account.password, code: code(account.secret) }))!);
      staffAccounts.set(role, account);
    }
    const session = await staffSignIn(ctx(), { email: account.email, password: account.password, code: code(account.secret) });
    assert.ok(session.ok);
    return `pledge_staff=${session.token}`;
  }

  /** A page with forms, and the CSRF token and cookies to post them with. */
  async function formPage(url: string, cookie: string) {
    const page = await shop.app.inject({ url, headers: { cookie } });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    return { page, token: token ?? '', cookie: [cookie, ...page.cookies.map((c) => `${c.name}=${c.value}`)].join('; ') };
  }

  function post(url: string, cookie: string, fields: Record<string, string>) {
    return shop.app.inject({ method: 'POST', url, headers: { ...FORM, cookie }, payload: new URLSearchParams(fields).toString() });
  }

  /** Posts the return form of `url` as its page hands it out. */
  async function askReturn(url: string, cookie: string, fields: Record<string, string>) {
    const form = await formPage(url, cookie);
    return post(url, form.cookie, { ...fields, _csrf: form.token });
  }

  /** Posts with a valid CSRF token taken from the staff sign-in page, which anyone may load: for pages without a form. */
  async function postForm(url: string, cookie: string, fields: Record<string, string> = {}) {
    const csrf = await csrfFor(shop.app, '/admin/login');
    return post(url, [csrf.cookie, cookie].filter(Boolean).join('; '), { ...fields, _csrf: csrf.token });
  }

  const returnsOf = (orderId: string) => db().select().from(returnRequests).where(eq(returnRequests.orderId, orderId)).orderBy(asc(returnRequests.requestedAt));
  const orderRow = async (orderId: string) => (await db().select().from(orders).where(eq(orders.id, orderId)))[0]!;
  const linesOf = (orderId: string) => db().select().from(orderLines).where(eq(orderLines.orderId, orderId)).orderBy(asc(orderLines.position));
  const subjects = async (email: string) => (await mailsTo(shop, email)).map((m) => m.subject);

  test('a customer returns part of a delivered order: the reason is sealed, the order notes it, a mail confirms it', async () => {
    const order = await customerOrder({ [GEL]: 2, [CLEANSER]: 1 });
    const url = `/account/orders/${order.number}/return`;
    const page = await shop.app.inject({ url, headers: { cookie: order.cookie } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /name="qty_0"[^>]*max="2"/);
    assert.match(page.body, /<select id="f-reason" name="reason"/);
    assert.match(page.body, /<option value="allergic_reaction">I had an allergic reaction<\/option>/);
    assert.match(page.body, /Please don&#39;t include medical details/);

    shop.clock.advance(60_000);
    const comment = 'Redness on both cheeks after the first use';
    const sent = await askReturn(url, order.cookie, { qty_0: '1', qty_1: '0', reason: 'allergic_reaction', comment });
    assert.equal(sent.statusCode, 303, sent.body);
    assert.equal(sent.headers.location, `/account/orders/${order.number}`);

    const [request] = await returnsOf(order.orderId);
    const [gel] = await linesOf(order.orderId);
    assert.equal(request!.status, 'requested');
    assert.deepEqual(request!.items, [{ position: 0, quantity: 1 }]);
    assert.equal(request!.refundCents, gel!.unitPriceCents + taxOn(gel!.unitPriceCents, 725));
    for (const plain of [comment, 'Redness', 'allergic_reaction']) assert.ok(!request!.reason.includes(Buffer.from(plain)), `no plaintext "${plain}" in the stored reason`);

    const stored = await orderRow(order.orderId);
    assert.equal(stored.lastActivityAt.getTime(), shop.clock.now().getTime());
    const events = await db().select({ kind: orderEvents.kind }).from(orderEvents).where(eq(orderEvents.orderId, order.orderId));
    assert.ok(events.some((e) => e.kind === 'return_requested'));
    const mails = await mailsTo(shop, order.email);
    const received = mails.find((m) => /We received your return request/.test(m.subject));
    assert.ok(received, 'the customer is told the request arrived');
    assert.match(received.text, /1 × Hyaluronic/i);
    assert.ok(!received.text.includes(comment), 'the mail does not repeat the reason');

    const summaries = await returnsForOrder(ctx(), order.orderId);
    assert.deepEqual(summaries.map((s) => [s.status, s.items.map((i) => [i.name, i.quantity]), s.refundCents]), [['requested', [[gel!.name, 1]], request!.refundCents]]);

    const stranger = await customerOrder({ [GEL]: 1 });
    assert.equal((await shop.app.inject({ url, headers: { cookie: stranger.cookie } })).statusCode, 404, 'another customer’s order is no order');

    // One open request at a time: the page says where it stands, and a second request is refused.
    const again = await shop.app.inject({ url, headers: { cookie: order.cookie } });
    assert.match(again.body, /waiting for our answer/);
    assert.doesNotMatch(again.body, /name="reason"/);
    const second = await postForm(url, order.cookie, { qty_1: '1', reason: 'damaged' });
    assert.equal(second.statusCode, 409);
    assert.match(second.body, /waiting for our answer/);
    assert.equal((await returnsOf(order.orderId)).length, 1);
  });

  test('a guest returns the whole order with the pass from checkout, shipping included; others get a 404', async () => {
    const order = await guestOrder({ [GEL]: 1, [CLEANSER]: 2 });
    const other = await guestOrder({ [GEL]: 1 });
    const url = `/orders/${order.number}/return`;
    assert.equal((await shop.app.inject({ url })).statusCode, 404, 'no pass');
    assert.equal((await shop.app.inject({ url, headers: { cookie: other.cookie } })).statusCode, 404, 'the pass of another order');
    assert.equal((await shop.app.inject({ url: '/orders/P999999/return', headers: { cookie: order.cookie } })).statusCode, 404);
    const signedOut = await shop.app.inject({ url: `/account/orders/${order.number}/return` });
    assert.equal(signedOut.statusCode, 303);
    assert.equal(signedOut.headers.location, '/account/login');

    const sent = await askReturn(url, order.cookie, { qty_0: '1', qty_1: '2', reason: 'changed_mind' });
    assert.equal(sent.statusCode, 303, sent.body);
    assert.equal(sent.headers.location, `/orders/${order.number}`);
    const [request] = await returnsOf(order.orderId);
    assert.equal(request!.refundCents, (await orderRow(order.orderId)).totalCents, 'a full return refunds everything paid, shipping and tax included');
    assert.ok((await subjects(order.email)).some((s) => /We received your return request/.test(s)));
  });

  test('orders not delivered yet, or delivered more than 30 days ago, cannot be returned', async () => {
    const fields = { qty_0: '1', reason: 'damaged' };
    const paid = await guestOrder({ [GEL]: 1 }, null);
    const notYet = await shop.app.inject({ url: `/orders/${paid.number}/return`, headers: { cookie: paid.cookie } });
    assert.equal(notYet.statusCode, 200);
    assert.match(notYet.body, /has not been delivered yet/);
    assert.doesNotMatch(notYet.body, /name="reason"/);
    const refused = await postForm(`/orders/${paid.number}/return`, paid.cookie, fields);
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /has not been delivered yet/);

    const late = await guestOrder({ [GEL]: 1 }, 31);
    const lateUrl = `/orders/${late.number}/return`;
    const closed = await shop.app.inject({ url: lateUrl, headers: { cookie: late.cookie } });
    assert.match(closed.body, /30-day return window for this order closed on/);
    assert.doesNotMatch(closed.body, /name="reason"/);
    assert.equal((await postForm(lateUrl, late.cookie, fields)).statusCode, 409);

    // A form loaded in the window's last hour and posted after it closed is refused too.
    const inTime = await guestOrder({ [GEL]: 1 }, 30 - 1 / 24);
    const inTimeUrl = `/orders/${inTime.number}/return`;
    const open = await formPage(inTimeUrl, inTime.cookie);
    assert.match(open.page.body, /name="reason"/);
    shop.clock.advance(2 * 60 * 60 * 1000);
    const tooLate = await post(inTimeUrl, open.cookie, { ...fields, _csrf: open.token });
    assert.equal(tooLate.statusCode, 409);
    assert.match(tooLate.body, /return window for this order closed/);
    assert.equal((await returnsOf(inTime.orderId)).length, 0);
    assert.equal((await returnsOf(paid.orderId)).length, 0);
    assert.equal((await returnsOf(late.orderId)).length, 0);
  });

  test('quantities beyond what was bought and every other bad input get 400 with messages, and write nothing', async () => {
    const order = await guestOrder({ [GEL]: 2 });
    const url = `/orders/${order.number}/return`;
    const form = await formPage(url, order.cookie);
    const send = (fields: Record<string, string>) => post(url, form.cookie, { ...fields, _csrf: form.token });

    const tooMany = await send({ qty_0: '3', reason: 'damaged' });
    assert.equal(tooMany.statusCode, 400);
    assert.match(tooMany.body, /Enter a whole number from 0 to 2/);
    assert.match(tooMany.body, /name="qty_0"[^>]*value="3"/, 'what was typed is kept');
    assert.match(tooMany.body, /<option value="damaged" selected>/);

    const cases: [Record<string, string>, RegExp][] = [
      [{ qty_0: 'two', reason: 'damaged' }, /Enter a whole number from 0 to 2/],
      [{ qty_0: '-1', reason: 'damaged' }, /Enter a whole number from 0 to 2/],
      [{ qty_0: '1' }, /Choose the reason for the return/],
      [{ qty_0: '1', reason: 'too_expensive' }, /Choose the reason for the return/],
      [{ qty_0: '1', reason: 'damaged', comment: 'x'.repeat(1001) }, /Use at most 1000 characters/],
      [{ qty_0: '0', reason: 'damaged' }, /Enter how many of at least one item you are returning/],
      [{ reason: 'damaged' }, /Enter how many of at least one item you are returning/],
    ];
    for (const [fields, message] of cases) {
      const response = await send(fields);
      assert.equal(response.statusCode, 400, JSON.stringify(fields));
      assert.match(response.body, message);
    }
    const noToken = await post(url, form.cookie, { qty_0: '1', reason: 'damaged' });
    assert.equal(noToken.statusCode, 403);
    assert.equal((await returnsOf(order.orderId)).length, 0);
    assert.ok(!(await subjects(order.email)).some((s) => /return/i.test(s)));
  });

  test('support approves, receives and refunds a full return: one refund however often it is clicked, and the order is returned', async () => {
    const order = await guestOrder({ [GEL]: 1, [CLEANSER]: 1 });
    const comment = 'The pump of the cleanser was broken on arrival';
    assert.equal((await askReturn(`/orders/${order.number}/return`, order.cookie, { qty_0: '1', qty_1: '1', reason: 'damaged', comment })).statusCode, 303);
    const [request] = await returnsOf(order.orderId);
    const { id } = request!;
    const support = await staffCookie('support');

    const queue = await shop.app.inject({ url: '/admin/returns', headers: { cookie: support } });
    assert.equal(queue.statusCode, 200);
    assert.match(queue.body, new RegExp(`${order.number}[\\s\\S]*href="/admin/returns/${id}"`));

    const auditBefore = (await db().select().from(auditEvents)).length;
    const detail = await shop.app.inject({ url: `/admin/returns/${id}`, headers: { cookie: support } });
    assert.equal(detail.statusCode, 200);
    assert.match(detail.body, /It arrived damaged/);
    assert.match(detail.body, /The pump of the cleanser was broken on arrival/);
    const audit = await db().select().from(auditEvents).orderBy(asc(auditEvents.id));
    assert.equal(audit.length, auditBefore + 1, 'reading the reason is audited');
    const unitId = (await orderRow(order.orderId)).unitId;
    assert.deepEqual(
      { subject: audit.at(-1)!.subjectUnitId, kind: audit.at(-1)!.subjectKind, fields: audit.at(-1)!.fields, purpose: audit.at(-1)!.purpose, roles: audit.at(-1)!.staffRoles },
      { subject: unitId.toLowerCase(), kind: 'order', fields: ['ticketMessages'], purpose: 'after_sales', roles: ['support'] },
    );

    const approvals = await Promise.all([postForm(`/admin/returns/${id}/approve`, support), postForm(`/admin/returns/${id}/approve`, support)]);
    assert.deepEqual(approvals.map((r) => r.statusCode).sort(), [303, 409]);
    assert.match(approvals.find((r) => r.statusCode === 409)!.body, /This return is already approved: nothing was changed/);
    const approved = (await mailsTo(shop, order.email)).filter((m) => /is approved/.test(m.subject));
    assert.equal(approved.length, 1);
    assert.match(approved[0]!.text, /Pledge Cosmetics\n {2}Returns department\n {2}1 Example Street/, 'the configured returns address');

    assert.equal((await postForm(`/admin/returns/${id}/refund`, support)).statusCode, 409, 'no refund before the parcel is back');
    assert.equal((await postForm(`/admin/returns/${id}/receive`, support)).statusCode, 303);
    assert.ok((await subjects(order.email)).some((s) => /has arrived/.test(s)));

    const refunds = await Promise.all([postForm(`/admin/returns/${id}/refund`, support), postForm(`/admin/returns/${id}/refund`, support)]);
    assert.deepEqual(refunds.map((r) => r.statusCode).sort(), [303, 409]);
    const total = (await orderRow(order.orderId)).totalCents;
    const atProvider = await db().select().from(testpayRefunds).where(eq(testpayRefunds.idempotencyKey, `return:${id}`));
    assert.equal(atProvider.length, 1);
    assert.equal(atProvider[0]!.amountCents, total);
    const [done] = await returnsOf(order.orderId);
    assert.equal(done!.status, 'refunded');
    assert.equal(done!.providerRefundId, atProvider[0]!.id);
    const [payment] = await db().select().from(payments).where(and(eq(payments.orderId, order.orderId), eq(payments.status, 'succeeded')));
    assert.equal(payment!.refundedCents, total);
    const returned = await orderRow(order.orderId);
    assert.equal(returned.status, 'returned');
    assert.ok(returned.returnedAt);
    const kinds = (await db().select({ kind: orderEvents.kind }).from(orderEvents).where(eq(orderEvents.orderId, order.orderId)).orderBy(asc(orderEvents.id))).map((e) => e.kind);
    assert.deepEqual(kinds.slice(-4), ['return_requested', 'return_approved', 'return_received', 'refunded']);
    assert.equal((await subjects(order.email)).filter((s) => s === 'Your refund is on its way').length, 1);
    const ledger = await db().select().from(disclosures).where(and(eq(disclosures.subjectUnitId, unitId.toLowerCase()), eq(disclosures.purpose, 'after_sales')));
    assert.deepEqual(ledger.map((d) => [d.processor, d.fields]), [['payment', ['amountCents']]]);

    assert.equal((await postForm(`/admin/returns/${id}/refund`, support)).statusCode, 409, 'a later click changes nothing');
    const page = await shop.app.inject({ url: `/orders/${order.number}/return`, headers: { cookie: order.cookie } });
    assert.match(page.body, /Everything in this order has been returned and refunded/);
  });

  test('partial returns refund the goods and their tax; the one that completes the order refunds the rest of the total', async () => {
    const order = await customerOrder({ [GEL]: 2 });
    const url = `/account/orders/${order.number}/return`;
    const support = await staffCookie('support');
    const settle = async () => {
      const [open] = (await returnsOf(order.orderId)).filter((r) => r.status === 'requested');
      for (const step of ['approve', 'receive', 'refund']) assert.equal((await postForm(`/admin/returns/${open!.id}/${step}`, support)).statusCode, 303, step);
      return open!;
    };
    assert.equal((await askReturn(url, order.cookie, { qty_0: '1', reason: 'changed_mind' })).statusCode, 303);
    const first = await settle();
    assert.equal((await orderRow(order.orderId)).status, 'delivered', 'half the order is still with the customer');

    const page = await formPage(url, order.cookie);
    assert.match(page.page.body, /name="qty_0"[^>]*max="1"/, 'only what is left can be returned');
    const tooMany = await post(url, page.cookie, { qty_0: '2', reason: 'changed_mind', _csrf: page.token });
    assert.equal(tooMany.statusCode, 400);
    assert.match(tooMany.body, /Enter a whole number from 0 to 1/);

    assert.equal((await post(url, page.cookie, { qty_0: '1', reason: 'changed_mind', _csrf: page.token })).statusCode, 303);
    const second = await settle();
    const stored = await orderRow(order.orderId);
    assert.equal(second.refundCents, stored.totalCents - first.refundCents);
    assert.equal(stored.status, 'returned');
    const [payment] = await db().select().from(payments).where(eq(payments.orderId, order.orderId));
    assert.equal(payment!.refundedCents, stored.totalCents);
    const summaries = await returnsForOrder(ctx(), order.orderId);
    assert.deepEqual(summaries.map((s) => s.status), ['refunded', 'refunded']);
    assert.ok(summaries.every((s) => s.refundedAt !== null));
  });

  test('a refund already under way, or one the provider refuses, changes nothing and can be made later', async () => {
    const order = await guestOrder({ [GEL]: 1 });
    assert.equal((await askReturn(`/orders/${order.number}/return`, order.cookie, { qty_0: '1', reason: 'damaged' })).statusCode, 303);
    const { id } = (await returnsOf(order.orderId))[0]!;
    const support = await staffCookie('support');
    for (const step of ['approve', 'receive']) assert.equal((await postForm(`/admin/returns/${id}/${step}`, support)).statusCode, 303);
    const refund = () => postForm(`/admin/returns/${id}/refund`, support);
    const atProvider = () => db().select().from(testpayRefunds).where(eq(testpayRefunds.idempotencyKey, `return:${id}`));

    // Another click's refund is under way (or the server stopped half-way through one): this click is turned away
    // until that claim lapses.
    await db().update(returnRequests).set({ refundedAt: shop.clock.now() }).where(eq(returnRequests.id, id));
    const busy = await refund();
    assert.equal(busy.statusCode, 409);
    assert.match(busy.body, /A refund for this return is already being made/);
    shop.clock.advance(REFUND_CLAIM_MS + 1000);

    const [payment] = await db().select().from(payments).where(eq(payments.orderId, order.orderId));
    const chargeRefunded = (cents: number) => db().update(testpayCharges).set({ refundedCents: cents }).where(eq(testpayCharges.id, payment!.providerChargeId!));
    await chargeRefunded(payment!.amountCents);
    const refused = await refund();
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /The payment provider refused the refund/);
    const [after] = await returnsOf(order.orderId);
    assert.deepEqual([after!.status, after!.refundedAt, after!.providerRefundId], ['received', null, null]);
    assert.equal((await atProvider()).length, 0);
    assert.equal((await orderRow(order.orderId)).status, 'delivered');

    await chargeRefunded(0);
    assert.equal((await refund()).statusCode, 303);
    assert.equal((await atProvider()).length, 1);
    assert.equal((await returnsOf(order.orderId))[0]!.status, 'refunded');
  });

  test('support declines with a message the customer receives; an empty message is refused', async () => {
    const order = await guestOrder({ [GEL]: 1 });
    assert.equal((await askReturn(`/orders/${order.number}/return`, order.cookie, { qty_0: '1', reason: 'wrong_item' })).statusCode, 303);
    const [request] = await returnsOf(order.orderId);
    const support = await staffCookie('support');

    const detail = await formPage(`/admin/returns/${request!.id}`, support);
    const empty = await post(`/admin/returns/${request!.id}/reject`, detail.cookie, { message: '   ', _csrf: detail.token });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Write why the return is declined/);
    const long = await post(`/admin/returns/${request!.id}/reject`, detail.cookie, { message: 'y'.repeat(1001), _csrf: detail.token });
    assert.equal(long.statusCode, 400);
    assert.match(long.body, /Use at most 1000 characters/);
    assert.equal((await returnsOf(order.orderId))[0]!.status, 'requested');

    const message = 'Our photos show the item you ordered was the one we packed.';
    assert.equal((await post(`/admin/returns/${request!.id}/reject`, detail.cookie, { message, _csrf: detail.token })).statusCode, 303);
    assert.equal((await returnsOf(order.orderId))[0]!.status, 'rejected');
    const mail = (await mailsTo(shop, order.email)).find((m) => /About your return request/.test(m.subject));
    assert.ok(mail?.text.includes(message));
    assert.equal((await postForm(`/admin/returns/${request!.id}/approve`, support)).statusCode, 409, 'a declined return cannot be approved');

    // A declined request settles it: the items may be asked for again.
    const page = await shop.app.inject({ url: `/orders/${order.number}/return`, headers: { cookie: order.cookie } });
    assert.match(page.body, /name="qty_0"[^>]*max="1"/);
    assert.match(page.body, /declined/);
  });

  test('only support reaches returns: fulfilment and admin get 403, the signed-out get the sign-in page', async () => {
    const order = await guestOrder({ [GEL]: 1 });
    assert.equal((await askReturn(`/orders/${order.number}/return`, order.cookie, { qty_0: '1', reason: 'damaged' })).statusCode, 303);
    const [request] = await returnsOf(order.orderId);
    const auditBefore = (await db().select().from(auditEvents)).length;

    for (const role of ['fulfilment', 'admin'] as const) {
      const cookie = await staffCookie(role);
      assert.equal((await shop.app.inject({ url: '/admin/returns', headers: { cookie } })).statusCode, 403, role);
      assert.equal((await shop.app.inject({ url: `/admin/returns/${request!.id}`, headers: { cookie } })).statusCode, 403, role);
      assert.equal((await postForm(`/admin/returns/${request!.id}/approve`, cookie)).statusCode, 403, role);
    }
    for (const url of ['/admin/returns', `/admin/returns/${request!.id}`]) {
      const response = await shop.app.inject({ url });
      assert.equal(response.statusCode, 303);
      assert.equal(response.headers.location, '/admin/login');
    }
    const signedOut = await postForm(`/admin/returns/${request!.id}/approve`, '');
    assert.equal(signedOut.statusCode, 303);
    assert.equal(signedOut.headers.location, '/admin/login');

    assert.equal((await returnsOf(order.orderId))[0]!.status, 'requested');
    assert.equal((await db().select().from(auditEvents)).length, auditBefore, 'nobody read the reason');
    const support = await staffCookie('support');
    assert.equal((await shop.app.inject({ url: `/admin/returns/${randomUUID()}`, headers: { cookie: support } })).statusCode, 404);
    assert.equal((await shop.app.inject({ url: '/admin/returns/not-an-id', headers: { cookie: support } })).statusCode, 404);
  });
});
