import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, beforeEach, test } from 'node:test';
import { and, arrayContains, eq, inArray, sql } from 'drizzle-orm';
import { outbox } from '../../src/platform/mail/schema.ts';
import { recordChoice } from '../../src/privacy/consent/service.ts';
import { consentRecords } from '../../src/privacy/consent/schema.ts';
import { placeHold, releaseHold } from '../../src/privacy/retention/holds.ts';
import { addSpan } from '../../src/privacy/retention/rules.ts';
import { retentionSweeps } from '../../src/privacy/retention/schema.ts';
import { previewSweep, registerRetentionClock, retentionCensus, retentionClockOf, sweepExpired, SWEEP_REASON, type RetentionContext } from '../../src/privacy/retention/sweep.ts';
import { erasureJournal, unitKeys } from '../../src/privacy/vault/schema.ts';
import { eraseUnits } from '../../src/privacy/units.ts';
import { inTransaction } from '../../src/platform/db/index.ts';
import { LEGAL_HOLD_WHY } from '../../src/shop/privacy-center/units.ts';
import { pageViews } from '../../src/shop/analytics/schema.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { orderLines, orders } from '../../src/shop/orders/schema.ts';
import { retentionContext } from '../../src/shop/privacy-center/retention.ts';
import { tickets } from '../../src/shop/tickets/schema.ts';
import { openTicket } from '../../src/shop/tickets/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { customerDetails, paidOrder, signedInStaff } from '../support/backoffice.ts';
import { signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// The retention engine with the clock moved across years: every kind is kept for its minimum, gone by its
// maximum, legal holds pause it, the e-mails sealed under a unit go with it, and an interrupted sweep is finished by
// the next one.

const DAY = 24 * 60 * 60 * 1000;

forEachDatabase('retention', (kind) => {
  let shop: TestShop;
  let ctx: RetentionContext;
  const start = new Date('2026-01-05T09:00:00Z');

  before(async () => {
    shop = await startTestShop(kind);
    ctx = retentionContext(shop.runtime);
  });
  after(() => shop.stop());
  beforeEach(() => shop.clock.set(start));

  const sweep = () => sweepExpired(ctx, { trigger: 'cli' });
  const hasKey = async (unitId: string) => (await shop.database.db.select().from(unitKeys).where(eq(unitKeys.unitId, unitId))).length === 1;
  const order = async (id: string) => (await shop.database.db.select().from(orders).where(eq(orders.id, id)))[0]!;
  const mark = () => randomBytes(4).toString('hex');

  test('an order is kept for its 3-year minimum, then only its anonymous sales record stays', async () => {
    const email = `ada.${mark()}@example.com`;
    const placed = await paidOrder(shop, { 'gentle-oat-cleanser': 2 }, customerDetails(email));
    const before = await order(placed.orderId);
    assert.ok((await mailsTo(shop, email)).length > 0, 'the confirmation waits in the outbox');

    shop.clock.set(new Date(addSpan(before.lastActivityAt, { amount: 3, unit: 'years' }).getTime() - DAY));
    await sweep();
    assert.equal(await hasKey(before.unitId), true, 'a day before its maximum the order is whole');

    shop.clock.advance(2 * DAY);
    const result = await sweep();
    assert.ok((result.counts.order ?? 0) >= 1);
    const after = await order(placed.orderId);
    assert.equal(await hasKey(before.unitId), false, 'its key is shredded');
    assert.equal(after.email.length, 0);
    assert.equal(after.recipientName.length, 0);
    assert.equal(after.shippingAddress.length, 0);
    assert.equal(after.customerId, null);
    assert.notDeepEqual(after.emailIndex, before.emailIndex, 'it can no longer be found by address');
    assert.equal(after.totalCents, before.totalCents, 'the totals stay');
    assert.equal(after.shippingCountry, 'US', 'so does the destination country');
    assert.equal((await shop.database.db.select().from(orderLines).where(eq(orderLines.orderId, placed.orderId))).length, 1, 'and the lines');
    assert.deepEqual(await mailsTo(shop, email), [], 'the e-mails about it are gone');
    const journal = await shop.database.db.select().from(erasureJournal).where(eq(erasureJournal.unitId, before.unitId));
    assert.equal(journal[0]?.reason, SWEEP_REASON);

    const again = await sweep();
    assert.equal(again.counts.order, 0, 'a second sweep finds nothing more');
  });

  test('a legal hold keeps an order past its maximum until it is released', async () => {
    const held = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(`held.${mark()}@example.com`));
    const row = await order(held.orderId);
    const staff = await signedInStaff(shop, ['privacy_officer']);
    const { hold } = await placeHold({ db: shop.database.db, clock: shop.clock }, { unitId: row.unitId, unitKind: 'order', rowId: row.id, label: `order ${row.number}` }, 'Case 2026-17, county court', staff.staffId);

    shop.clock.set(addSpan(row.lastActivityAt, { amount: 4, unit: 'years' }));
    await sweep();
    assert.equal(await hasKey(row.unitId), true, 'held past its maximum');
    const census = (await retentionCensus(ctx)).find((c) => c.kind === 'order')!;
    assert.equal(census.overdue, 0, 'a held order is not overdue');
    assert.ok(census.held >= 1);

    assert.equal(await releaseHold({ db: shop.database.db, clock: shop.clock }, hold.id, staff.staffId), true);
    await sweep();
    assert.equal(await hasKey(row.unitId), false, 'released, it goes with the next sweep');
  });

  test('an erasure request for an order under a legal hold past its term restricts it until the hold is released', async () => {
    const placed = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(`dispute.${mark()}@example.com`));
    const row = await order(placed.orderId);
    const staff = await signedInStaff(shop, ['privacy_officer']);
    const { hold } = await placeHold({ db: shop.database.db, clock: shop.clock }, { unitId: row.unitId, unitKind: 'order', rowId: row.id, label: `order ${row.number}` }, 'Chargeback dispute 8812', staff.staffId);
    shop.clock.set(new Date(addSpan(row.lastActivityAt, { amount: 3, unit: 'years' }).getTime() + DAY));
    const report = await inTransaction(shop.database.db, (tx) => eraseUnits({ ...ctx, db: tx }, [{ kind: 'order', unitId: row.unitId, rowId: row.id }], { mayRestrict: true, reason: 'erasure request' }));
    assert.equal(report.held.length, 1);
    assert.equal(report.held[0]!.why, LEGAL_HOLD_WHY);
    assert.equal((await order(placed.orderId)).customerId, null, 'cut off from its subject all the same');
    await sweep();
    assert.equal(await hasKey(row.unitId), true, 'the hold keeps it past the end of its restriction');
    await releaseHold({ db: shop.database.db, clock: shop.clock }, hold.id, staff.staffId);
    await sweep();
    assert.equal(await hasKey(row.unitId), false, 'released, it is shredded');
  });

  test('a closed ticket is kept 12 months and gone after 24; an open one waits', async () => {
    const tctx = shopContext(shop.runtime);
    const closed = await openTicket(tctx, { name: 'Lin Ko', email: `lin.${mark()}@example.com`, topic: 'order_question', message: 'Where is my parcel?' }, undefined);
    const open = await openTicket(tctx, { name: 'Lin Ko', email: `lin.${mark()}@example.com`, topic: 'other', message: 'Still waiting.' }, undefined);
    await shop.database.db.update(tickets).set({ status: 'closed', closedAt: shop.clock.now() }).where(eq(tickets.id, closed.ticketId));

    shop.clock.set(addSpan(start, { amount: 23, unit: 'months' }));
    await sweep();
    assert.equal((await shop.database.db.select().from(tickets).where(eq(tickets.id, closed.ticketId))).length, 1, 'kept within its maximum');

    shop.clock.set(new Date(addSpan(start, { amount: 24, unit: 'months' }).getTime() + DAY));
    const census = (await retentionCensus(ctx)).find((c) => c.kind === 'ticket')!;
    assert.ok(census.overdue >= 1, 'the report shows it overdue before the sweep');
    await sweep();
    assert.equal((await shop.database.db.select().from(tickets).where(eq(tickets.id, closed.ticketId))).length, 0, 'gone by its maximum');
    assert.equal((await shop.database.db.select().from(tickets).where(eq(tickets.id, open.ticketId))).length, 1, 'an open ticket’s clock has not started');
  });

  test('an inactive account is warned 30 days ahead and erased after; signing in keeps it', async () => {
    const idle = await signedInCustomer(shop, 'Ida Idle', `ida.${mark()}@example.com`);
    const back = await signedInCustomer(shop, 'Ben Back', `ben.${mark()}@example.com`);
    const [row] = await shop.database.db.select().from(customers).where(eq(customers.id, idle.customerId));

    shop.clock.set(new Date(addSpan(start, { amount: 3, unit: 'years' }).getTime() - 20 * DAY));
    await sweep();
    const warning = (await mailsTo(shop, idle.email)).find((m) => /will be deleted/.test(m.subject));
    assert.ok(warning, 'the warning went out');
    assert.match(warning.text, /sign in before then/i);
    assert.ok((await mailsTo(shop, back.email)).some((m) => /will be deleted/.test(m.subject)));
    await sweep();
    assert.equal((await mailsTo(shop, idle.email)).filter((m) => /will be deleted/.test(m.subject)).length, 1, 'warned once');

    // Ben signs in again; Ida does not.
    await shop.database.db.update(customers).set({ lastActiveAt: shop.clock.now() }).where(eq(customers.id, back.customerId));
    shop.clock.advance(10 * DAY);
    await sweep();
    assert.equal((await shop.database.db.select().from(customers).where(eq(customers.id, idle.customerId))).length, 1, 'not erased within 30 days of the warning');

    shop.clock.advance(21 * DAY);
    await sweep();
    assert.equal((await shop.database.db.select().from(customers).where(eq(customers.id, idle.customerId))).length, 0, 'erased after the warning period');
    assert.equal(await hasKey(row!.unitId), false);
    assert.equal((await shop.database.db.select().from(customers).where(eq(customers.id, back.customerId))).length, 1, 'the returning customer stays');
  });

  test('analytics days, replaced cookie choices and sent e-mails go at their maximum', async () => {
    const db = shop.database.db;
    const visitor = randomInt(2 ** 47);
    const old = addSpan(start, { amount: -14, unit: 'months' });
    await db.insert(pageViews).values([
      { hour: old, visitors: [visitor], kind: 'page', path: '/', deviceClass: 'desktop' },
      { hour: start, visitors: [visitor], kind: 'page', path: '/', deviceClass: 'desktop' },
    ]);
    const first = await recordChoice(ctx, { granted: ['performance'], method: 'banner', underGpc: false });
    shop.clock.advance(30 * DAY);
    await recordChoice(ctx, { visitorId: first.visitorId, granted: [], method: 'settings', underGpc: false });
    shop.clock.advance(30 * DAY);
    await recordChoice(ctx, { visitorId: first.visitorId, granted: ['experience'], method: 'settings', underGpc: false });
    const reader = await signedInCustomer(shop, 'Rita Reader', `rita.${mark()}@example.com`);
    const [mail] = await db.select().from(outbox).innerJoin(customers, eq(customers.unitId, outbox.unitId)).where(eq(customers.id, reader.customerId)).limit(1);
    await db.update(outbox).set({ status: 'sent', sentAt: shop.clock.now() }).where(eq(outbox.id, mail!.outbox.id));

    const census = (await retentionCensus(ctx)).find((c) => c.kind === 'analytics_day')!;
    assert.ok(census.overdue >= 1 && census.byAge.reduce((n, b) => n + b.count, 0) === census.total);
    await sweep();
    const hours = (await db.select({ hour: pageViews.hour }).from(pageViews).where(arrayContains(pageViews.visitors, [visitor]))).map((r) => r.hour.toISOString());
    assert.deepEqual(hours, [start.toISOString()], 'views older than 13 months are gone, newer ones stay');

    // Choices made at day 0, 30 and 60: the first is replaced at day 30, the second at day 60, the third is in force.
    const choicesOf = async () => (await db.select({ at: consentRecords.recordedAt }).from(consentRecords).innerJoin(unitKeys, eq(unitKeys.unitId, consentRecords.unitId))).map((r) => r.at.getTime());
    shop.clock.set(new Date(addSpan(start, { amount: 3, unit: 'years' }).getTime() + 45 * DAY));
    await sweep();
    const left = await choicesOf();
    assert.equal(left.includes(start.getTime()), false, 'the first choice went 3 years after it was replaced');
    assert.ok(left.includes(start.getTime() + 30 * DAY) && left.includes(start.getTime() + 60 * DAY), 'the later ones stay until 3 years after theirs');
    assert.equal((await db.select().from(outbox).where(eq(outbox.id, mail!.outbox.id))).length, 0, 'an e-mail goes 90 days after it was written');
  });

  test('a sweep interrupted mid-way leaves whole batches, and the next one finishes the work', async () => {
    const placed = [];
    for (let i = 0; i < 5; i++) placed.push(await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(`batch${i}.${mark()}@example.com`)));
    const ids = placed.map((p) => p.orderId);
    const withKey = async () => (await shop.database.db.select({ id: orders.id }).from(orders).innerJoin(unitKeys, eq(unitKeys.unitId, orders.unitId)).where(inArray(orders.id, ids))).length;
    shop.clock.set(new Date(addSpan(start, { amount: 3, unit: 'years' }).getTime() + 2 * DAY));

    const ordersClock = retentionClockOf('order')!;
    let batches = 0;
    registerRetentionClock({
      ...ordersClock,
      async expire(c, rows, reason) {
        if (++batches === 2) throw new Error('power cut');
        return ordersClock.expire(c, rows, reason);
      },
    });
    try {
      await assert.rejects(sweepExpired(ctx, { trigger: 'cli', batchSize: 2 }), /power cut/);
    } finally {
      registerRetentionClock(ordersClock);
    }
    assert.equal(await withKey(), 3, 'the first batch of two is done, the failed one rolled back whole');
    const [failed] = await shop.database.db.select().from(retentionSweeps).where(eq(retentionSweeps.status, 'failed'));
    assert.equal(failed?.error, 'Error');
    assert.equal(failed?.counts.order, 2, 'its recorded progress matches what was committed');

    const preview = (await previewSweep(ctx)).find((p) => p.kind === 'order')!;
    assert.equal(preview.overdue, 3);
    assert.match(preview.examples[0]!.label, /^order P\d+$/);
    assert.match(preview.why, /3 years after the last activity/);
    assert.equal(await withKey(), 3, 'a dry run changes nothing');

    const finished = await sweepExpired(ctx, { trigger: 'cli', batchSize: 2 });
    assert.equal(finished.counts.order, 3);
    assert.equal(await withKey(), 0);
    const [status] = await shop.database.db.select({ n: sql<number>`count(*)::int` }).from(retentionSweeps).where(and(eq(retentionSweeps.id, finished.sweepId), eq(retentionSweeps.status, 'finished')));
    assert.equal(status!.n, 1);
  });

  test('expired sessions, passes and guest carts are purged as derived copies', async () => {
    const me = await signedInCustomer(shop, 'Sam Session', `sam.${mark()}@example.com`);
    shop.clock.set(addSpan(start, { amount: 1, unit: 'years' }));
    const result = await sweep();
    assert.ok((result.counts['customer sessions'] ?? 0) >= 1, 'the year-old session is purged');
    const page = await shop.app.inject({ url: '/account', headers: { cookie: me.cookie } });
    assert.notEqual(page.statusCode, 200, 'and no longer signs anyone in');
  });

  test('the privacy officer sees the retention report and places and releases legal holds', async () => {
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const support = await signedInStaff(shop, ['support']);
    assert.equal((await support.get('/admin/privacy/retention')).statusCode, 403);
    assert.equal((await shop.app.inject({ url: '/admin/privacy/holds' })).statusCode, 303);

    const report = await officer.get('/admin/privacy/retention');
    assert.equal(report.statusCode, 200);
    assert.match(report.body, /the last activity on the order/);
    assert.match(report.body, /Recent sweeps/);

    const placed = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(`court.${mark()}@example.com`));
    assert.equal((await officer.post('/admin/privacy/holds', { reference: '', matter: 'x' })).statusCode, 400);
    const unknown = await officer.post('/admin/privacy/holds', { reference: 'P999999999', matter: 'Case 12' });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /Nothing with that reference/);
    assert.equal((await officer.post('/admin/privacy/holds', { reference: placed.number, matter: 'Case 12, small claims' })).statusCode, 303);
    assert.equal((await officer.post('/admin/privacy/holds', { reference: placed.number, matter: 'Case 12, small claims' })).statusCode, 409);
    const holds = await officer.get('/admin/privacy/holds');
    assert.match(holds.body, new RegExp(`order ${placed.number}`));
    assert.match(holds.body, /Case 12, small claims/);
    const holdId = /\/admin\/privacy\/holds\/([0-9a-f-]{36})\/release/.exec(holds.body)![1]!;
    assert.equal((await officer.post(`/admin/privacy/holds/${holdId}/release`)).statusCode, 303);
    assert.equal((await officer.post(`/admin/privacy/holds/${holdId}/release`)).statusCode, 409);
    assert.match((await officer.get('/admin/privacy/holds')).body, /Released/);
  });
});
