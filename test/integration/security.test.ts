import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { inTransaction } from '../../src/platform/db/index.ts';
import type { Role } from '../../src/privacy/access.ts';
import { recordRead } from '../../src/privacy/audit/service.ts';
import type { Field } from '../../src/privacy/access.ts';
import type { Purpose } from '../../src/privacy/inventory.ts';
import { incidents } from '../../src/privacy/incidents/schema.ts';
import { copyNetworks, securityAlertActions, securityAlerts, type AlertRule } from '../../src/privacy/security/schema.ts';
import { checkAccess, openIncidentFromAlert, securityContext } from '../../src/privacy/security/service.ts';
import { retentionCensus, sweepExpired } from '../../src/privacy/retention/sweep.ts';
import { staffSignInFailures } from '../../src/privacy/staff/schema.ts';
import { retentionContext } from '../../src/shop/privacy-center/retention.ts';
import { staffEmail } from '../../src/privacy/staff/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { ContactForm, openTicket } from '../../src/shop/tickets/service.ts';
import { customerDetails, paidOrder, postAs, signedInStaff, staffSession, type StaffClient } from '../support/backoffice.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// Access anomalies (/admin/security): each rule raises an alert just past its threshold and stays quiet at it,
// driven by the test clock; a new alert is mailed to the privacy officers, names no customer, is acknowledged or
// dismissed with a note on its trail, and opens an incident with the form filled in from it.

const ENV = {
  PLEDGE_SECURITY_READ_RATES: 'support=3',
  PLEDGE_SECURITY_WORKING_HOURS: 'Mon-Fri 08:00-18:00',
  PLEDGE_SECURITY_TIME_ZONE: 'Europe/Berlin',
  PLEDGE_SECURITY_UNJUSTIFIED_READS: '0',
  PLEDGE_SECURITY_FAILED_SIGN_INS: '3',
};

forEachDatabase('access anomalies', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind, { env: ENV });
  });
  after(() => shop.stop());

  const check = () => checkAccess(securityContext(shop.runtime));
  const alertsOf = (rule: AlertRule, staffId: string) => shop.database.db.select().from(securityAlerts).where(and(eq(securityAlerts.rule, rule), eq(securityAlerts.staffId, staffId)));

  async function read(at: string, staffId: string, unitId: string, options: { roles?: Role[]; fields?: Field[]; purpose?: Purpose } = {}) {
    shop.clock.set(at);
    const actor = { kind: 'staff' as const, staffId, roles: options.roles ?? ['support'] };
    await inTransaction(shop.database.db, (tx) =>
      recordRead({ clock: shop.clock }, tx, { actor, subject: { unitId, kind: 'order' }, fields: options.fields ?? ['name', 'shippingAddress'], purpose: options.purpose ?? 'customer_support' }),
    );
  }

  test('more distinct subjects an hour than the role’s rate: an alert above it, none at it, mailed to the officers and naming no one', async () => {
    shop.clock.set('2026-05-04T09:00:00Z');
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const atRate = randomUUID();
    const above = randomUUID();
    const units = Array.from({ length: 4 }, () => randomUUID());
    for (const [i, unit] of units.slice(0, 3).entries()) await read(`2026-05-04T10:0${i}:00Z`, atRate, unit);
    for (const [i, unit] of units.entries()) await read(`2026-05-04T10:1${i}:00Z`, above, unit);
    await read('2026-05-04T10:20:00Z', above, units[0]!);
    shop.clock.set('2026-05-04T11:05:00Z');
    await check();
    assert.equal((await alertsOf('read_rate', atRate)).length, 0, 'three subjects at a rate of three is normal');
    const [alert] = await alertsOf('read_rate', above);
    assert.ok(alert, 'four subjects at a rate of three raise an alert');
    assert.equal(alert.observed, 4, 'a subject read twice counts once');
    assert.equal(alert.threshold, 3);
    assert.equal(alert.setting, 'PLEDGE_SECURITY_READ_RATES support=3');
    assert.equal(alert.windowStart.toISOString(), '2026-05-04T10:00:00.000Z');
    assert.match(alert.reasoning, /read the personal data of 4 distinct subjects in the hour from 2026-05-04 12:00 GMT\+2 \(10:00 UTC\); the support role normally reads at most 3 an hour/);
    assert.ok(units.every((unit) => !JSON.stringify(alert).includes(unit)), 'the alert names none of the subjects read');

    await check();
    assert.equal((await alertsOf('read_rate', above)).length, 1, 'a second check raises it once');
    const mails = (await mailsTo(shop, (await staffEmail(shopContext(shop.runtime), officer.staffId))!)).filter((m) => /security alert/.test(m.subject));
    assert.equal(mails.filter((m) => m.text.includes(`/admin/security/${alert.id}`)).length, 1, 'each officer is mailed once');
    assert.ok(units.every((unit) => !mails.some((m) => m.text.includes(unit))));
  });

  test('reads outside working hours in their time zone, across the change to summer time', async () => {
    // Berlin, Mon-Fri 08:00-18:00: on Friday 27 March 2026 (CET) 08:00 is 07:00 UTC; on Monday 30 March (CEST), 06:00.
    const [early, atOpening, beforeClosing, atClosing, winter, summer, saturday] = Array.from({ length: 7 }, () => randomUUID());
    await read('2026-05-05T05:59:59Z', early!, randomUUID());
    await read('2026-05-05T06:00:00Z', atOpening!, randomUUID());
    await read('2026-05-05T15:59:59Z', beforeClosing!, randomUUID());
    await read('2026-05-05T16:00:00Z', atClosing!, randomUUID());
    shop.clock.set('2026-05-05T17:00:00Z');
    await check();
    assert.equal((await alertsOf('off_hours', early!)).length, 1, '07:59:59 is before opening');
    assert.equal((await alertsOf('off_hours', atOpening!)).length, 0, '08:00 is working time');
    assert.equal((await alertsOf('off_hours', beforeClosing!)).length, 0, '17:59:59 is working time');
    const [late] = await alertsOf('off_hours', atClosing!);
    assert.ok(late, '18:00 is after closing');
    assert.equal(late.setting, 'PLEDGE_SECURITY_WORKING_HOURS Mon-Fri 08:00-18:00 (Europe/Berlin)');
    assert.match(late.reasoning, /outside working hours \(Mon-Fri 08:00-18:00, Europe\/Berlin\): 1 read, the first at 2026-05-05 18:00 GMT\+2/);

    await read('2026-03-27T06:30:00Z', winter!, randomUUID());
    shop.clock.set('2026-03-27T08:00:00Z');
    await check();
    await read('2026-03-30T06:30:00Z', summer!, randomUUID());
    shop.clock.set('2026-03-30T08:00:00Z');
    await check();
    assert.equal((await alertsOf('off_hours', winter!)).length, 1, '06:30 UTC is 07:30 in winter');
    assert.equal((await alertsOf('off_hours', summer!)).length, 0, '06:30 UTC is 08:30 in summer');

    await read('2026-05-09T09:00:00Z', saturday!, randomUUID());
    shop.clock.set('2026-05-09T10:00:00Z');
    await check();
    assert.equal((await alertsOf('off_hours', saturday!)).length, 1, 'Saturday is not a working day');
  });

  test('reads with nothing on record to explain them: a paid order to ship, a ticket about the order', async () => {
    shop.clock.set('2026-06-01T08:00:00Z');
    const order = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails('explained@example.com'));
    const [row] = await shop.database.db.select({ unitId: orders.unitId, number: orders.number }).from(orders).where(eq(orders.id, order.orderId));
    const [packer, early, answering, stranger] = Array.from({ length: 4 }, () => randomUUID());
    await read('2026-06-01T08:30:00Z', packer!, row!.unitId, { roles: ['fulfilment'], fields: ['recipientName', 'shippingAddress'], purpose: 'delivery' });
    await read('2026-06-01T08:59:59Z', early!, row!.unitId);
    shop.clock.set('2026-06-01T09:00:00Z');
    const ticket = await openTicket(shopContext(shop.runtime), ContactForm.parse({ name: 'Ada', email: 'explained@example.com', topic: 'order_question', orderNumber: row!.number, message: 'Where is my parcel?' }), undefined);
    await read('2026-06-01T09:00:00Z', answering!, row!.unitId);
    await read('2026-06-01T09:05:00Z', stranger!, randomUUID());
    shop.clock.set('2026-06-01T10:00:00Z');
    await check();
    assert.equal((await alertsOf('unjustified', packer!)).length, 0, 'a paid order explains reading it to ship it');
    assert.equal((await alertsOf('unjustified', answering!)).length, 0, 'a ticket naming the order explains reading it from then on');
    assert.equal((await alertsOf('unjustified', early!)).length, 1, 'a second before the ticket, nothing explained it');
    const [unexplained] = await alertsOf('unjustified', stranger!);
    assert.ok(unexplained);
    assert.equal(unexplained.observed, 1);
    assert.equal(unexplained.threshold, 0);
    assert.match(unexplained.reasoning, /with nothing on record to explain it \(looked for: .*a ticket, a paid order, a return or a privacy request; purposes given: customer_support\)/);
    assert.ok(!JSON.stringify(unexplained).includes(ticket.reference));
  });

  test('repeated failed sign-ins: more than three in a clock hour', async () => {
    shop.clock.set('2026-07-01T10:00:00Z');
    const { staffId } = await staffSession(shop.runtime, ['support']);
    const email = (await staffEmail(shopContext(shop.runtime), staffId))!;
    const fail = async (at: string) => {
      shop.clock.set(at);
      assert.equal((await postAs(shop, '/admin/login', { email, password: 'not the password', code: '000000' })).statusCode, 401);
    };
    for (const at of ['2026-07-01T10:10:00Z', '2026-07-01T10:20:00Z', '2026-07-01T10:59:59Z', '2026-07-01T11:00:00Z', '2026-07-01T11:01:00Z', '2026-07-01T11:02:00Z']) await fail(at);
    shop.clock.set('2026-07-01T11:30:00Z');
    await check();
    assert.equal((await alertsOf('failed_sign_ins', staffId)).length, 0, 'three in each hour is at the threshold');
    await fail('2026-07-01T11:40:00Z');
    shop.clock.set('2026-07-01T11:45:00Z');
    await check();
    const [alert] = await alertsOf('failed_sign_ins', staffId);
    assert.ok(alert, 'the fourth failure in one hour raises an alert');
    assert.equal(alert.observed, 4);
    assert.equal(alert.setting, 'PLEDGE_SECURITY_FAILED_SIGN_INS 3');
    assert.equal(alert.windowStart.toISOString(), '2026-07-01T11:00:00.000Z');
  });

  test('a copy downloaded from a network its request was never seen from; the same /24 is not new', async () => {
    async function postFrom(address: string, url: string, fields: Record<string, string>) {
      const csrf = await csrfFor(shop.app, '/privacy-center');
      return shop.app.inject({ method: 'POST', url, remoteAddress: address, headers: { cookie: csrf.cookie }, payload: { ...fields, _csrf: csrf.token } });
    }
    /** A guest's copy asked for and verified from `home`, downloaded from `elsewhere`; answers the request id. */
    async function copy(email: string, home: string, elsewhere: string): Promise<string> {
      const asked = await postFrom(home, '/privacy-center/guest', { email, kind: 'access' });
      const requestId = /action="\/privacy-center\/guest\/([0-9a-f-]{36})"/.exec(asked.body)![1]!;
      const code = /verification code: (\d{6})/.exec((await mailsTo(shop, email)).at(-1)!.subject)![1]!;
      const verified = await postFrom(home, `/privacy-center/guest/${requestId}`, { email, code });
      assert.match(verified.headers.location ?? '', /^\/privacy-center\/copy\//);
      assert.equal((await postFrom(elsewhere, verified.headers.location!, { format: 'json' })).statusCode, 200);
      return requestId;
    }
    shop.clock.set('2026-08-03T09:00:00Z');
    const sameNetwork = await copy('same.network@example.com', '203.0.113.7', '203.0.113.200');
    const sameV6 = await copy('same.v6@example.com', '2001:db8:12:1::5', '2001:db8:12:ff::9');
    const newNetwork = await copy('new.network@example.com', '203.0.113.7', '198.51.100.7');
    shop.clock.set('2026-08-03T09:30:00Z');
    await check();
    const forRequest = (requestId: string) => shop.database.db.select().from(securityAlerts).where(and(eq(securityAlerts.rule, 'new_network'), eq(securityAlerts.requestId, requestId)));
    assert.equal((await forRequest(sameNetwork)).length, 0);
    assert.equal((await forRequest(sameV6)).length, 0, 'the same IPv6 /48');
    const [alert] = await forRequest(newNetwork);
    assert.ok(alert);
    assert.equal(alert.staffId, null);
    assert.match(alert.reasoning, /downloaded at 2026-08-03 11:00 GMT\+2 \(09:00 UTC\) from a network the request was never seen from: it was asked for and verified from 1 other network/);
    const kept = await shop.database.db.select().from(copyNetworks).where(eq(copyNetworks.requestId, newNetwork));
    assert.deepEqual(kept.map((k) => k.event), ['asked', 'verified', 'downloaded']);
    for (const row of kept) assert.ok(!row.networkHash.toString('latin1').includes('203.0.113') && !row.networkHash.toString('latin1').includes('198.51'), 'only a keyed hash is kept');
    assert.ok(!JSON.stringify(alert).includes('198.51.100'), 'the alert holds no address');
  });

  test('the privacy officer sees, acknowledges and dismisses alerts with a note, and opens an incident from one', async () => {
    shop.clock.set('2026-09-07T09:00:00Z');
    const suspect = randomUUID();
    const units = Array.from({ length: 5 }, () => randomUUID());
    for (const [i, unit] of units.entries()) await read(`2026-09-07T09:1${i}:00Z`, suspect, unit);
    shop.clock.set('2026-09-07T09:30:00Z');
    await check();
    const [alert] = await alertsOf('read_rate', suspect);
    const [other] = await alertsOf('unjustified', suspect);
    assert.ok(alert && other);

    const support = await signedInStaff(shop, ['support']);
    assert.equal((await support.get('/admin/security')).statusCode, 403);
    assert.equal((await shop.app.inject({ url: '/admin/security' })).statusCode, 303);
    const officer: StaffClient = await signedInStaff(shop, ['privacy_officer']);
    assert.match((await officer.get('/admin')).body, /href="\/admin\/security"/);
    const list = await officer.get('/admin/security');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, new RegExp(`href="/admin/security/${alert.id}">More subjects read than the role’s normal rate</a></td><td>${suspect}</td>`));
    assert.match(list.body, /PLEDGE_SECURITY_READ_RATES support=3,fulfilment=120,privacy_officer=30,admin=0/);
    const page = await officer.get(`/admin/security/${alert.id}`);
    assert.match(page.body, /<dt>Threshold<\/dt><dd>3 \(<code>PLEDGE_SECURITY_READ_RATES support=3<\/code>\)<\/dd>/);
    assert.match(page.body, /read the personal data of 5 distinct subjects/);

    const empty = await officer.post(`/admin/security/${alert.id}/acknowledge`, { note: ' ' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Say why/);
    assert.equal((await officer.post(`/admin/security/${alert.id}/acknowledge`, { note: 'Asking the team lead' })).statusCode, 303);
    const again = await officer.post(`/admin/security/${alert.id}/acknowledge`, { note: 'Twice' });
    assert.equal(again.statusCode, 409);
    assert.equal((await officer.post(`/admin/security/${other.id}/dismiss`, { note: 'Same cause as the other alert' })).statusCode, 303);
    const trail = await shop.database.db.select().from(securityAlertActions).where(eq(securityAlertActions.alertId, alert.id));
    assert.deepEqual(trail.map((t) => [t.action, t.staffId, t.note, t.at.toISOString()]), [['acknowledged', officer.staffId, 'Asking the team lead', '2026-09-07T09:30:00.000Z']]);

    const form = await officer.get(`/admin/incidents?alert=${alert.id}`);
    assert.match(form.body, new RegExp(`<input type="hidden" name="alertId" value="${alert.id}">`));
    assert.match(form.body, new RegExp(`name="staffIds"[^>]*>${suspect}</textarea>`));
    assert.match(form.body, /name="zone" type="text" value="Europe\/Berlin"/);
    assert.match(form.body, /name="windowStart" type="datetime-local" value="2026-09-07T11:00"/);
    assert.match(form.body, /<option value="order.shipping_address" selected>/, 'the categories the account read are chosen');
    const fields = {
      alertId: alert.id,
      summary: 'A support account read far more orders than usual',
      consequences: 'Delivery addresses may have been copied',
      columns: 'order.shipping_address',
      staffIds: suspect,
      zone: 'Europe/Berlin',
      windowStart: '2026-09-07T11:00',
      windowEnd: '2026-09-07T11:30',
      discoveredAt: '2026-09-07T11:30',
    };
    const opened = await officer.post('/admin/incidents', fields);
    assert.match(opened.headers.location ?? '', /^\/admin\/incidents\/[0-9a-f-]{36}$/, opened.body);
    const incidentId = opened.headers.location!.split('/').pop()!;
    const [marked] = await shop.database.db.select().from(securityAlerts).where(eq(securityAlerts.id, alert.id));
    assert.equal(marked!.status, 'incident');
    assert.equal(marked!.incidentId, incidentId);
    const count = async () => (await shop.database.db.select({ id: incidents.id }).from(incidents)).length;
    const before = await count();
    const twice = await officer.post('/admin/incidents', fields);
    assert.equal(twice.statusCode, 409, 'an alert opens one incident');
    assert.match(twice.body, /has opened an incident already/);
    assert.equal(await count(), before, 'nothing is written');
    const dismissed = await officer.post('/admin/incidents', { ...fields, alertId: other.id });
    assert.equal(dismissed.statusCode, 409, 'a dismissed alert opens none');
    assert.match((await officer.get(`/admin/security/${alert.id}`)).body, new RegExp(`href="/admin/incidents/${incidentId}"`));
  });

  test('alerts are kept a year unless they opened an incident; failed sign-ins and copy networks go sooner', async () => {
    shop.clock.set('2026-10-05T09:00:00Z');
    const [kept, linked] = [randomUUID(), randomUUID()];
    for (const staffId of [kept, linked]) for (const i of [0, 1, 2, 3]) await read(`2026-10-05T09:1${i}:00Z`, staffId, randomUUID());
    shop.clock.set('2026-10-05T09:30:00Z');
    await check();
    const [plain] = await alertsOf('read_rate', kept!);
    const [withIncident] = await alertsOf('read_rate', linked!);
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const form = await officer.get(`/admin/incidents?alert=${withIncident!.id}`);
    assert.equal(form.statusCode, 200);
    const opened = await openIncidentFromAlert(securityContext(shop.runtime), withIncident!.id, officer.staffId, {
      summary: 'Reads above the rate',
      consequences: 'Unknown yet',
      columns: 'order.shipping_address',
      staffIds: linked,
      zone: 'UTC',
      windowStart: '2026-10-05T09:00',
      windowEnd: '2026-10-05T09:30',
      discoveredAt: '2026-10-05T09:30',
    });
    assert.ok(opened.ok);
    assert.equal((await officer.post(`/admin/security/${plain!.id}/acknowledge`, { note: 'Looking' })).statusCode, 303);
    const ctx = retentionContext(shop.runtime);
    assert.ok((await retentionCensus(ctx)).some((c) => c.kind === 'security_alert' && c.total > 0));
    const alive = async (id: string) => (await shop.database.db.select({ id: securityAlerts.id }).from(securityAlerts).where(eq(securityAlerts.id, id))).length === 1;

    shop.clock.set('2027-10-05T09:29:59Z');
    await sweepExpired(ctx, { trigger: 'cli' });
    assert.ok(await alive(plain!.id), 'a second short of a year it stays');
    shop.clock.set('2027-10-05T09:30:00Z');
    await sweepExpired(ctx, { trigger: 'cli' });
    assert.ok(!(await alive(plain!.id)));
    assert.equal((await shop.database.db.select().from(securityAlertActions).where(eq(securityAlertActions.alertId, plain!.id))).length, 0, 'its trail goes with it');
    assert.ok(await alive(withIncident!.id), 'an alert that opened an incident stays with the incident');
    assert.equal((await shop.database.db.select().from(staffSignInFailures)).length, 0, 'failed sign-ins go after 30 days');
    assert.equal((await shop.database.db.select().from(copyNetworks)).length, 0, 'copy networks go once their copies are fetched');
  });
});

