import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { inTransaction } from '../../src/platform/db/index.ts';
import { auditEvents } from '../../src/privacy/audit/schema.ts';
import { recordRead } from '../../src/privacy/audit/service.ts';
import { disclose } from '../../src/privacy/disclosure/service.ts';
import { incidentNotices, incidents, incidentSteps } from '../../src/privacy/incidents/schema.ts';
import type { Processor } from '../../src/privacy/inventory.ts';
import { retentionCensus, sweepExpired } from '../../src/privacy/retention/sweep.ts';
import { securityAlerts } from '../../src/privacy/security/schema.ts';
import { checkAccess, securityContext } from '../../src/privacy/security/service.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { retentionContext } from '../../src/shop/privacy-center/retention.ts';
import { customerDetails, paidOrder, signedInStaff, type StaffClient } from '../support/backoffice.ts';
import { forEachDatabase } from '../support/databases.ts';
import { mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// The incident register (/admin/incidents): the privacy officer alone opens it; bad input is refused field by field
// with nothing written; the 72-hour clock counts real hours across a DST change; steps only go forward and are
// recorded; the affected subjects are exactly those the ledger and the audit trail show, and shown by count until
// the officer opens one on purpose (audited); each is written to once; closed incidents go at their maximum.

const LOGISTICS = { recipientName: 'x', shippingAddress: 'x', phone: 'x', parcelContents: 'x' };

forEachDatabase('incident register', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind);
  });
  after(() => shop.stop());

  const incidentCount = async () => (await shop.database.db.select({ id: incidents.id }).from(incidents)).length;

  async function open(officer: StaffClient, fields: Record<string, string>): Promise<string> {
    const opened = await officer.post('/admin/incidents', {
      summary: 'A carrier’s label printer exposed parcel labels to another customer',
      consequences: 'Delivery addresses seen by a stranger',
      columns: 'order.shipping_address',
      zone: 'UTC',
      ...fields,
    });
    assert.match(opened.headers.location ?? '', /^\/admin\/incidents\/[0-9a-f-]{36}$/, opened.body);
    return opened.headers.location!.split('/').pop()!;
  }

  async function discloseAt(at: string, processor: Processor, unitId: string, payload: Record<string, unknown>) {
    shop.clock.set(at);
    await inTransaction(shop.database.db, (tx) => disclose({ clock: shop.clock }, tx, processor, processor === 'logistics' ? 'delivery' : 'order_processing', unitId, payload));
  }

  test('only the privacy officer opens the register, linked from the back office', async () => {
    const support = await signedInStaff(shop, ['support']);
    assert.equal((await support.get('/admin/incidents')).statusCode, 403);
    assert.equal((await shop.app.inject({ url: '/admin/incidents' })).statusCode, 303);
    const officer = await signedInStaff(shop, ['privacy_officer']);
    assert.equal((await officer.get('/admin/incidents')).statusCode, 200);
    assert.match((await officer.get('/admin')).body, /href="\/admin\/incidents"/);
  });

  test('bad input is refused with a message per field and writes nothing', async () => {
    shop.clock.set('2026-03-02T12:00:00Z');
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const before = await incidentCount();
    const bad = await officer.post('/admin/incidents', {
      summary: '',
      consequences: 'Unknown yet',
      columns: 'order.favourite_colour',
      processors: 'a-stranger',
      staffIds: 'not-an-id',
      zone: 'Mars/Olympus',
      windowStart: '2026-03-01T10:00',
      windowEnd: '2026-03-01T09:00',
      discoveredAt: 'yesterday',
    });
    assert.equal(bad.statusCode, 400);
    for (const message of ['Say what happened', 'Choose data from the inventory', 'Choose processors from the list', 'Enter staff account ids', 'Enter a time zone', 'The window ends after it starts', 'Enter when it was discovered as a date and time']) {
      assert.ok(bad.body.includes(message), message);
    }
    assert.match(bad.body, />Unknown yet</, 'the input is kept');
    const future = await officer.post('/admin/incidents', { summary: 'x', consequences: 'y', columns: 'order.shipping_address', zone: 'UTC', windowStart: '2026-03-01T10:00', windowEnd: '2026-03-01T11:00', discoveredAt: '2026-03-03T10:00' });
    assert.equal(future.statusCode, 400);
    assert.match(future.body, /The discovery cannot be in the future/);
    assert.equal(await incidentCount(), before);
  });

  test('the 72-hour clock counts real hours across the EU and US changes back from summer time', async () => {
    // Europe/Berlin leaves summer time on 25 October 2026: 72 hours after noon CEST on the 24th is 11:00 CET on the 27th.
    shop.clock.set('2026-10-24T10:00:00Z');
    let officer = await signedInStaff(shop, ['privacy_officer']);
    const berlin = await open(officer, { zone: 'Europe/Berlin', windowStart: '2026-10-23T08:00', windowEnd: '2026-10-24T11:00', discoveredAt: '2026-10-24T12:00' });
    const [row] = await shop.database.db.select().from(incidents).where(eq(incidents.id, berlin));
    assert.equal(row!.discoveredAt.toISOString(), '2026-10-24T10:00:00.000Z');
    assert.equal(row!.notifyBy.toISOString(), '2026-10-27T10:00:00.000Z');
    const page = await officer.get(`/admin/incidents/${berlin}`);
    assert.match(page.body, /2026-10-27 11:00 GMT\+1 \(10:00 UTC\)/);
    assert.match(page.body, /72 hours left/);
    // New York leaves it on 1 November: 20:00 EDT on 30 October plus 72 hours is 19:00 EST on 2 November.
    shop.clock.set('2026-10-31T01:00:00Z');
    officer = await signedInStaff(shop, ['privacy_officer']);
    const newYork = await open(officer, { zone: 'America/New_York', windowStart: '2026-10-30T08:00', windowEnd: '2026-10-30T19:00', discoveredAt: '2026-10-30T20:00' });
    shop.clock.set('2026-11-02T23:00:00Z');
    officer = await signedInStaff(shop, ['privacy_officer']);
    const list = await officer.get('/admin/incidents');
    assert.match(list.body, new RegExp(`href="/admin/incidents/${newYork}">.*?</a></td><td>Triage</td><td>2026-10-30 20:00 EDT \\(00:00 UTC\\)</td><td>2026-11-02 19:00 EST \\(00:00 UTC\\)</td><td><strong>1 hour left</strong>`));
    assert.match(list.body, new RegExp(`href="/admin/incidents/${berlin}">.*?<strong>OVERDUE by 157 hours</strong>`));
  });

  test('steps only go forward, each recorded with who and when', async () => {
    shop.clock.set('2026-04-01T09:00:00Z');
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const id = await open(officer, { windowStart: '2026-03-31T10:00', windowEnd: '2026-03-31T12:00', discoveredAt: '2026-04-01T08:00' });
    const noNote = await officer.post(`/admin/incidents/${id}/advance`, { to: 'contained', note: '' });
    assert.equal(noNote.statusCode, 400);
    assert.match(noNote.body, /Say what was done/);
    const advance = async (as: StaffClient, fields: Record<string, string>) => {
      const done = await as.post(`/admin/incidents/${id}/advance`, fields);
      assert.equal(done.headers.location, `/admin/incidents/${id}`);
    };
    shop.clock.set('2026-04-01T09:20:00Z');
    await advance(officer, { to: 'contained', note: 'Printer taken offline' });
    const back = await officer.post(`/admin/incidents/${id}/advance`, { to: 'triage', note: 'Back again' });
    assert.equal(back.statusCode, 409);
    assert.match(back.body, /cannot move to triage/);
    // Staff sessions do not last a day: the officer signs in again.
    shop.clock.set('2026-04-02T09:00:00Z');
    const nextDay = await signedInStaff(shop, ['privacy_officer']);
    await advance(nextDay, { to: 'notified', note: 'Reported to the regulator, reference R-1' });
    const steps = await shop.database.db.select().from(incidentSteps).where(eq(incidentSteps.incidentId, id));
    assert.deepEqual(
      steps.map((s) => [s.step, s.at.toISOString(), s.staffId]),
      [
        ['triage', '2026-04-01T09:00:00.000Z', officer.staffId],
        ['contained', '2026-04-01T09:20:00.000Z', officer.staffId],
        ['notified', '2026-04-02T09:00:00.000Z', nextDay.staffId],
      ],
    );
    const page = await nextDay.get(`/admin/incidents/${id}`);
    assert.match(page.body, /regulator notified/);
    const report = await nextDay.get(`/admin/incidents/${id}/report`);
    assert.match(report.body, /Personal data breach notification/);
    assert.match(report.body, /Printer taken offline/);
    assert.match(report.body, /Delivery addresses seen by a stranger/);
  });

  test('the affected set is exactly the subjects the ledger and the audit trail show, counted by category', async () => {
    const [inWindow, beforeWindow, atEnd, otherProcessor, readInWindow, readOtherCategory, readByOther] = Array.from({ length: 7 }, () => randomUUID());
    const suspect = randomUUID();
    const other = randomUUID();
    await discloseAt('2026-05-10T10:00:00Z', 'logistics', inWindow!, LOGISTICS);
    await discloseAt('2026-05-10T08:59:59Z', 'logistics', beforeWindow!, LOGISTICS);
    await discloseAt('2026-05-10T17:00:00Z', 'logistics', atEnd!, { shippingAddress: 'x' });
    await discloseAt('2026-05-10T11:00:00Z', 'payment', otherProcessor!, { orderId: 'x', amountCents: 1, currency: 'EUR', cardToken: 'x' });
    const read = async (at: string, staffId: string, unitId: string, fields: ('shippingAddress' | 'name' | 'email')[]) => {
      shop.clock.set(at);
      await inTransaction(shop.database.db, (tx) => recordRead({ clock: shop.clock }, tx, { actor: { kind: 'staff', staffId, roles: ['support'] }, subject: { unitId, kind: 'order' }, fields, purpose: 'customer_support' }));
    };
    await read('2026-05-10T12:00:00Z', suspect, readInWindow!, ['shippingAddress', 'name']);
    await read('2026-05-10T12:30:00Z', suspect, readOtherCategory!, ['name', 'email']);
    await read('2026-05-10T13:00:00Z', other, readByOther!, ['shippingAddress']);
    await read('2026-05-10T13:30:00Z', suspect, inWindow!, ['shippingAddress']);

    shop.clock.set('2026-05-11T09:00:00Z');
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const id = await open(officer, { processors: 'logistics', staffIds: suspect, windowStart: '2026-05-10T09:00', windowEnd: '2026-05-10T17:00', discoveredAt: '2026-05-11T08:00' });
    assert.equal((await officer.post(`/admin/incidents/${id}/affected`)).statusCode, 303);
    const [row] = await shop.database.db.select().from(incidents).where(eq(incidents.id, id));
    assert.deepEqual(row!.affectedUnits, [inWindow!, atEnd!, readInWindow!].sort());
    // Delivery address only: the account contact fields disclosed and read are not among the incident's data.
    assert.deepEqual(row!.affectedCounts, { delivery_address: { subjects: 3, records: 4 } });
    const page = await officer.get(`/admin/incidents/${id}`);
    assert.match(page.body, /<td>Delivery address<\/td><td>3<\/td><td>4<\/td>/);
  });

  test('notices go to exactly the affected customers, once each, even sent twice', async () => {
    shop.clock.set('2026-06-01T08:00:00Z');
    const twice = 'twice.affected@example.com';
    const first = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(twice));
    const second = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(twice));
    const once = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails('once.affected@example.com'));
    const spared = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails('not.affected@example.com'));
    const unitOf = async (orderId: string) => (await shop.database.db.select({ unitId: orders.unitId }).from(orders).where(eq(orders.id, orderId)))[0]!.unitId;
    await discloseAt('2026-06-01T10:00:00Z', 'logistics', await unitOf(first.orderId), LOGISTICS);
    await discloseAt('2026-06-01T10:05:00Z', 'logistics', await unitOf(second.orderId), LOGISTICS);
    await discloseAt('2026-06-01T10:10:00Z', 'logistics', await unitOf(once.orderId), LOGISTICS);
    await discloseAt('2026-06-01T13:00:00Z', 'logistics', await unitOf(spared.orderId), LOGISTICS);

    shop.clock.set('2026-06-02T09:00:00Z');
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const id = await open(officer, { processors: 'logistics', windowStart: '2026-06-01T09:00', windowEnd: '2026-06-01T12:00', discoveredAt: '2026-06-02T08:00' });
    assert.equal((await officer.post(`/admin/incidents/${id}/notices`)).statusCode, 409, 'nothing to send before the subjects are found');
    await officer.post(`/admin/incidents/${id}/affected`);
    const preview = await officer.get(`/admin/incidents/${id}/notices`);
    assert.match(preview.body, /security incident involving your data/);
    assert.match(preview.body, /Send to 3 records not yet notified/);
    assert.doesNotMatch(preview.body, /affected@example\.com/, 'the preview names nobody');
    assert.equal((await officer.post(`/admin/incidents/${id}/notices`)).statusCode, 303);
    assert.equal((await officer.post(`/admin/incidents/${id}/notices`)).statusCode, 303);
    const [toTwice, toOnce, toSpared] = await Promise.all([mailsTo(shop, twice), mailsTo(shop, 'once.affected@example.com'), mailsTo(shop, 'not.affected@example.com')]);
    const notices = <T extends { subject: string }>(mails: T[]) => mails.filter((m) => /security incident/.test(m.subject));
    assert.equal(notices(toTwice).length, 1, 'one person with two affected orders hears once');
    assert.equal(notices(toOnce).length, 1);
    assert.equal(notices(toSpared).length, 0);
    assert.match(notices(toOnce)[0]!.text, /Delivery address/);
    const recorded = await shop.database.db.select().from(incidentNotices).where(eq(incidentNotices.incidentId, id));
    assert.equal(recorded.length, 3);
    assert.ok(recorded.every((n) => n.staffId === officer.staffId && n.notifiedAt.toISOString() === '2026-06-02T09:00:00.000Z'));
    assert.equal(recorded.filter((n) => n.outboxId).length, 2);
  });

  test('the finder shows counts, never anyone’s data, until the officer opens one affected subject on purpose (audited)', async () => {
    shop.clock.set('2026-06-10T08:00:00Z');
    const order = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails('opened.subject@example.com'));
    const [{ unitId }] = (await shop.database.db.select({ unitId: orders.unitId }).from(orders).where(eq(orders.id, order.orderId))) as [{ unitId: string }];
    await discloseAt('2026-06-10T10:00:00Z', 'logistics', unitId, LOGISTICS);
    shop.clock.set('2026-06-11T09:00:00Z');
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const id = await open(officer, { processors: 'logistics', windowStart: '2026-06-10T09:00', windowEnd: '2026-06-10T12:00', discoveredAt: '2026-06-11T08:00' });
    await officer.post(`/admin/incidents/${id}/affected`);
    const page = await officer.get(`/admin/incidents/${id}`);
    assert.match(page.body, new RegExp(`<option value="${unitId}">`));
    assert.doesNotMatch(page.body, /opened\.subject@example\.com|Grace Hopper|Harbor Way/, 'no personal data on the incident');
    const reads = async () => (await shop.database.db.select({ id: auditEvents.id }).from(auditEvents).where(eq(auditEvents.staffId, officer.staffId))).length;

    const noReason = await officer.post(`/admin/incidents/${id}/subjects`, { unitId, reason: ' ' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /Say why you open it/);
    const stranger = await officer.post(`/admin/incidents/${id}/subjects`, { unitId: randomUUID(), reason: 'Curious' });
    assert.equal(stranger.statusCode, 400);
    assert.match(stranger.body, /not among those affected/);
    assert.equal(await reads(), 0, 'a refused opening reads nothing');

    const opened = await officer.post(`/admin/incidents/${id}/subjects`, { unitId, reason: 'Checking what the notice must say' });
    assert.equal(opened.statusCode, 200);
    assert.match(opened.body, new RegExp(`Order ${order.number}`));
    assert.match(opened.body, /opened\.subject@example\.com/);
    assert.match(opened.body, /12 Harbor Way/);
    const [read] = await shop.database.db.select().from(auditEvents).where(eq(auditEvents.staffId, officer.staffId));
    assert.equal(read!.subjectUnitId, unitId);
    assert.equal(read!.purpose, 'legal_obligation');
    assert.deepEqual(read!.fields, ['email', 'orderNumber', 'phone', 'recipientName', 'shippingAddress']);
    const steps = await shop.database.db.select().from(incidentSteps).where(eq(incidentSteps.incidentId, id));
    assert.equal(steps.at(-1)!.step, 'subject_opened');
    assert.equal(steps.at(-1)!.note, `${unitId}: Checking what the notice must say`);
    const report = await officer.get(`/admin/incidents/${id}/report`);
    assert.match(report.body, /Personal data breach notification/);
    assert.doesNotMatch(report.body, new RegExp(`${unitId}|Checking what the notice must say|A subject’s data opened`), 'the regulator’s report names no subject opened');
    // An affected subject opened for the incident is explained: it raises no "read without a matching record" alert.
    await checkAccess(securityContext(shop.runtime));
    assert.equal((await shop.database.db.select().from(securityAlerts).where(eq(securityAlerts.staffId, officer.staffId))).length, 0);
  });

  test('closed incidents are kept five years, then swept with their steps, notices and alerts; open ones stay', async () => {
    shop.clock.set('2020-01-06T09:00:00Z');
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const closed = await open(officer, { windowStart: '2020-01-05T10:00', windowEnd: '2020-01-05T11:00', discoveredAt: '2020-01-06T08:00' });
    const stillOpen = await open(officer, { windowStart: '2020-01-05T10:00', windowEnd: '2020-01-05T11:00', discoveredAt: '2020-01-06T08:00' });
    shop.clock.set('2020-01-06T09:20:00Z');
    assert.equal((await officer.post(`/admin/incidents/${closed}/advance`, { to: 'closed', note: 'Done' })).headers.location, `/admin/incidents/${closed}`);
    const at = new Date('2020-01-06T09:30:00Z');
    const alertId = randomUUID();
    await shop.database.db.insert(securityAlerts).values({ id: alertId, rule: 'read_rate', staffId: randomUUID(), windowStart: at, windowEnd: at, observed: 9, threshold: 3, setting: 'x', reasoning: 'x', raisedAt: at, dedupeKey: randomUUID(), status: 'incident', incidentId: closed });
    const ctx = retentionContext(shop.runtime);
    const census = (await retentionCensus(ctx)).find((c) => c.kind === 'incident')!;
    assert.equal(census.nextExpiry?.toISOString(), '2025-01-06T09:20:00.000Z');
    assert.ok(census.notStarted >= 1, 'an open incident’s clock has not started');
    const exists = async (id: string) => (await shop.database.db.select({ id: incidents.id }).from(incidents).where(eq(incidents.id, id))).length === 1;

    shop.clock.set('2025-01-06T09:19:59Z');
    await sweepExpired(ctx, { trigger: 'cli' });
    assert.ok(await exists(closed), 'a second short of five years it stays');
    shop.clock.set('2025-01-06T09:20:00Z');
    const swept = await sweepExpired(ctx, { trigger: 'cli' });
    assert.equal(swept.counts.incident, 1);
    assert.ok(!(await exists(closed)));
    assert.ok(await exists(stillOpen));
    assert.equal((await shop.database.db.select().from(incidentSteps).where(eq(incidentSteps.incidentId, closed))).length, 0);
    assert.equal((await shop.database.db.select().from(securityAlerts).where(eq(securityAlerts.id, alertId))).length, 0, 'the alert that opened it goes with it');
  });
});
