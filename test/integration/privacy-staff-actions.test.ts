import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { privacyExports, privacyRequestActions, privacyRequests } from '../../src/privacy/requests/schema.ts';
import { prepareExport, privacyCenterContext, requestCopy } from '../../src/shop/privacy-center/service.ts';
import { customerDetails, paidOrder, signedInStaff } from '../support/backoffice.ts';
import { signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// The privacy officer's actions on one request (/admin/privacy/:id): pausing for the person's identity (the
// deadline keeps running), one extension with a reason and never past the policy's 15 business days, refusal;
// each writes to the person where it must, and each is on the request's trail of what staff did.

forEachDatabase('privacy request staff actions', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_DSR_PROFILE: 'gdpr', PLEDGE_DSR_COUNTRY: 'US' } });
  });
  after(() => shop.stop());

  const requestRow = async (id: string) => (await shop.database.db.select().from(privacyRequests).where(eq(privacyRequests.id, id)))[0]!;
  const trail = (id: string) => shop.database.db.select().from(privacyRequestActions).where(eq(privacyRequestActions.requestId, id)).orderBy(privacyRequestActions.at);

  test('the queue shows the deadline profile and the holiday country', async () => {
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const queue = await officer.get('/admin/privacy');
    assert.match(queue.body, /<strong>gdpr<\/strong> profile, holidays of <strong>US<\/strong>/);
    assert.match(queue.body, /GDPR: one calendar month, never later than the policy’s 15 business days/);
  });

  test('pausing for identity writes to the person what is needed, keeps the due date, and the copy waits until resumed', async () => {
    shop.clock.set('2026-11-25T10:00:00Z');
    const me = await signedInCustomer(shop, 'Ines Marlow', 'ines@example.com');
    const ctx = privacyCenterContext(shop.runtime);
    const requestId = (await requestCopy(ctx, me.customerId))!;
    const before = await requestRow(requestId);
    assert.equal(before.dueAt.toISOString().slice(0, 10), '2026-12-17', 'GDPR’s month is later than 15 business days: the policy’s date holds');
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const page = `/admin/privacy/${requestId}`;

    const empty = await officer.post(`${page}/pause`, { needed: '  ' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Say what the person must send/);
    assert.equal((await officer.post(`${page}/resume`)).statusCode, 409, 'nothing to resume yet');

    const paused = await officer.post(`${page}/pause`, { needed: 'The number of your most recent order' });
    assert.equal(paused.statusCode, 303);
    const row = await requestRow(requestId);
    assert.equal(row.status, 'awaiting_identity');
    assert.equal(row.dueAt.getTime(), before.dueAt.getTime(), 'the clock keeps running');
    const [letter] = (await mailsTo(shop, 'ines@example.com')).filter((m) => m.subject.includes('confirm it is you'));
    assert.ok(letter, 'the person is asked');
    assert.match(letter.text, /The number of your most recent order/);
    assert.match(letter.text, /Send it to privacy@example\.com, quoting the reference/);
    assert.match(letter.text, /keeps running while we wait: we still answer by 2026-12-17/);
    assert.equal((await officer.post(`${page}/pause`, { needed: 'Again' })).statusCode, 409, 'already paused');

    const [pending] = await shop.database.db.select().from(privacyExports).where(eq(privacyExports.requestId, requestId));
    assert.equal(await prepareExport(ctx, pending!.id), undefined, 'a paused copy is not prepared');
    assert.match((await officer.get(page)).body, /Paused: asked the person to prove who they are/);

    assert.equal((await officer.post(`${page}/resume`)).statusCode, 303);
    assert.equal((await requestRow(requestId)).status, 'received');
    assert.ok(await prepareExport(ctx, pending!.id), 'once resumed, the copy is prepared');
    assert.equal((await requestRow(requestId)).status, 'completed');
    assert.deepEqual((await trail(requestId)).map((a) => [a.action, a.staffId]), [
      ['paused_for_identity', officer.staffId],
      ['identity_confirmed', officer.staffId],
    ]);
  });

  test('an extension needs a reason and a number of days, moves the date once, and tells the person', async () => {
    shop.clock.set('2026-12-04T10:00:00Z');
    const email = 'minor.case@example.com';
    const order = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(email));
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const flagged = await officer.post('/admin/privacy/minors', { orderNumber: order.number, note: 'Age stated in a ticket' });
    const page = flagged.headers.location as string;
    const requestId = page.split('/').at(-1)!;
    assert.equal((await requestRow(requestId)).dueAt.toISOString().slice(0, 10), '2026-12-07');

    const bad = await officer.post(`${page}/extend`, { days: 'soon', reason: '' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Enter a whole number of business days from 1 to 15/);
    assert.match(bad.body, /Give the reason/);
    assert.match(bad.body, /value="soon"/, 'the input is kept');
    assert.equal((await officer.post(`${page}/extend`, { days: '16', reason: 'x' })).statusCode, 400);

    assert.equal((await officer.post(`${page}/extend`, { days: '3', reason: 'Waiting for the parent to reply' })).statusCode, 303);
    const extended = await requestRow(requestId);
    assert.equal(extended.dueAt.toISOString().slice(0, 10), '2026-12-10', 'Mon 7 Dec + 3 business days');
    const letter = (await mailsTo(shop, email)).find((m) => m.subject.includes('more time needed'));
    assert.ok(letter);
    assert.match(letter.text, /Why: Waiting for the parent to reply/);
    assert.match(letter.text, /We will answer by 2026-12-10/);

    const again = await officer.post(`${page}/extend`, { days: '1', reason: 'Still waiting' });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /already been extended once/);
    const [action] = await trail(requestId);
    assert.equal(action!.action, 'extended');
    assert.equal(action!.note, 'Waiting for the parent to reply');
    assert.equal(action!.dueAt.toISOString().slice(0, 10), '2026-12-10');
    assert.match((await officer.get(page)).body, /Due date extended/);
  });

  test('an extension never passes 15 business days from receipt: a request already due there is refused', async () => {
    shop.clock.set('2026-11-25T10:00:00Z');
    const me = await signedInCustomer(shop, 'Otto Brandt', 'otto@example.com');
    const requestId = (await requestCopy(privacyCenterContext(shop.runtime), me.customerId))!;
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const refused = await officer.post(`/admin/privacy/${requestId}/extend`, { days: '5', reason: 'Busy season' });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /already the latest the privacy policy allows/);
    assert.equal((await requestRow(requestId)).dueAt.toISOString().slice(0, 10), '2026-12-17');
    assert.equal((await mailsTo(shop, 'otto@example.com')).filter((m) => m.subject.includes('more time')).length, 0, 'nobody is told of what did not happen');
    assert.equal((await trail(requestId)).length, 0);
  });

  test('refusal is on the trail, and a closed request takes no further action', async () => {
    const me = await signedInCustomer(shop, 'Vera Lind', 'vera@example.com');
    const requestId = (await requestCopy(privacyCenterContext(shop.runtime), me.customerId))!;
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const page = `/admin/privacy/${requestId}`;
    const blank = await officer.post(`${page}/refuse`, { note: '' });
    assert.equal(blank.statusCode, 400);
    assert.match(blank.body, /Give the reason/);
    assert.equal((await officer.post(`${page}/refuse`, { note: 'Duplicate of an earlier request' })).statusCode, 303);
    assert.deepEqual((await trail(requestId)).map((a) => [a.action, a.note]), [['refused', 'Duplicate of an earlier request']]);
    for (const [action, fields] of [['pause', { needed: 'x' }], ['extend', { days: '2', reason: 'x' }], ['refuse', { note: 'x' }], ['resume', {}]] as const) {
      assert.equal((await officer.post(`${page}/${action}`, fields)).statusCode, 409, action);
    }
    const support = await signedInStaff(shop, ['support']);
    assert.equal((await support.post(`${page}/extend`, { days: '2', reason: 'x' })).statusCode, 403, 'the privacy officer’s alone');
  });

  test('running a request is on its trail too', async () => {
    const order = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails('run.trail@example.com'));
    const officer = await signedInStaff(shop, ['privacy_officer']);
    const page = (await officer.post('/admin/privacy/minors', { orderNumber: order.number, note: 'Said they are 15' })).headers.location as string;
    assert.equal((await officer.post(`${page}/run`)).statusCode, 303);
    assert.deepEqual((await trail(page.split('/').at(-1)!)).map((a) => [a.action, a.staffId]), [['run', officer.staffId]]);
  });
});
