import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { customers } from '../../src/shop/accounts/schema.ts';
import { privacyRequests } from '../../src/privacy/requests/schema.ts';
import { requestQueue } from '../../src/privacy/requests/service.ts';
import { blindIndex } from '../../src/privacy/vault/service.ts';
import { privacyCenterContext } from '../../src/shop/privacy-center/service.ts';
import { CENTER_NOTICES } from '../../src/shop/privacy-center/views.ts';
import { ticketMessages, tickets } from '../../src/shop/tickets/schema.ts';
import { TICKET_PASS_COOKIE } from '../../src/shop/tickets/service.ts';
import { customerDetails, nextAddress, paidOrder, postAs, signedInStaff, type StaffClient } from '../support/backoffice.ts';
import { signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { codeFrom, csrfFor, startTestShop, type TestShop } from '../support/shop.ts';

// Privacy questions sent through the contact form: a copy or deletion opens the privacy center's own request
// (verified by a mailed code for anyone not signed in as the address's owner), a correction or anything else is a
// ticket for the privacy officer. The message is kept once, as the ticket, which names the request.

forEachDatabase('privacy questions from the contact form', (kind) => {
  let shop: TestShop;
  let officer: StaffClient;
  before(async () => {
    shop = await startTestShop(kind);
    officer = await signedInStaff(shop, ['privacy_officer']);
  });
  after(() => shop.stop());

  const db = () => shop.database.db;
  const ctx = () => privacyCenterContext(shop.runtime);
  let n = 0;
  const address = (name: string) => `${name}.${++n}@example.com`;
  const ticketCount = async () => (await db().select({ n: count() }).from(tickets))[0]!.n;
  const requestCount = async () => (await db().select({ n: count() }).from(privacyRequests))[0]!.n;
  const ticketByReference = async (reference: string) => (await db().select().from(tickets).where(eq(tickets.reference, reference)))[0];
  const requestsFor = async (email: string) => {
    const index = blindIndex(ctx().keys, 'email', email);
    return (await requestQueue(ctx())).filter((r) => r.emailIndex?.equals(index));
  };

  async function contact(fields: Record<string, string>, cookie?: string): Promise<LightMyRequestResponse> {
    const csrf = await csrfFor(shop.app, '/contact');
    return shop.app.inject({
      method: 'POST',
      url: '/contact',
      remoteAddress: nextAddress(),
      headers: { cookie: [csrf.cookie, cookie].filter(Boolean).join('; ') },
      payload: { ...fields, _csrf: csrf.token },
    });
  }

  const privacy = (email: string, privacyWish: string | undefined, message = 'About my data, please.') => ({
    name: 'Rosa Quill',
    email,
    topic: 'privacy_question',
    orderNumber: '',
    message,
    ...(privacyWish === undefined ? {} : { privacyWish }),
  });

  /** The reference on a confirmation, and the request its code form verifies. */
  const codePage = (body: string) => ({
    reference: /reference is <strong>(T-\d+)<\/strong>/.exec(body)?.[1],
    requestId: /action="\/privacy-center\/guest\/([0-9a-f-]{36})"/.exec(body)?.[1],
  });

  test('the form asks, for privacy questions, what the person would like: a fieldset of radio buttons', async () => {
    const page = await shop.app.inject('/contact');
    assert.match(page.body, /<fieldset[^>]*>\s*<legend>For a privacy question: what would you like\?<\/legend>/);
    for (const [value, label] of [['copy', 'A copy of my data'], ['deletion', 'To delete my data'], ['correction', 'To correct my data'], ['question', 'Something else / a question']]) {
      assert.match(page.body, new RegExp(`<label><input type="radio" name="privacyWish" value="${value}"[^>]*> ${label}</label>`), value);
    }
    assert.doesNotMatch(page.body, /name="privacyWish"[^>]* checked/, 'nothing is chosen for the person');
  });

  test('a privacy question without a choice, or with an unknown one: 400, the message beside the field, input kept, nothing written', async () => {
    for (const wish of [undefined, '', 'everything']) {
      const out = await contact(privacy('no.choice@example.com', wish, 'kept text'));
      assert.equal(out.statusCode, 400, String(wish));
      assert.match(out.body, /id="f-privacyWish-error"[^>]*>Choose what you would like us to do with your data</, String(wish));
      assert.match(out.body, /<option value="privacy_question" selected>/);
      assert.match(out.body, />kept text<\/textarea>/);
      assert.match(out.body, /value="no\.choice@example\.com"/);
    }
    const both = await contact({ ...privacy('both@example.com', undefined), name: '' });
    assert.equal(both.statusCode, 400);
    assert.match(both.body, /id="f-name-error"/);
    assert.match(both.body, /id="f-privacyWish-error"/, 'told at once, beside the other fields’ errors');
    const kept = await contact({ ...privacy('kept.choice@example.com', 'deletion'), message: '' });
    assert.equal(kept.statusCode, 400);
    assert.match(kept.body, /value="deletion" checked/, 'the choice is kept');
    assert.equal(await ticketCount(), 0);
    assert.equal(await requestCount(), 0);
  });

  test('other topics ignore the choice, whatever was sent', async () => {
    for (const wish of ['deletion', 'bogus']) {
      const out = await contact({ ...privacy(address('order.q'), wish), topic: 'order_question' });
      assert.equal(out.statusCode, 303, wish);
      const reference = /^\/tickets\/(T-\d+)\?sent=1$/.exec(out.headers.location as string)?.[1];
      const ticket = await ticketByReference(reference!);
      assert.deepEqual([ticket?.desk, ticket?.privacyWish, ticket?.privacyRequestId], ['support', null, null]);
    }
    assert.equal(await requestCount(), 0, 'no privacy request was opened');
  });

  test('a guest’s “copy”: an unverified access request, a code by e-mail, a page saying so; an unknown address is answered alike', async () => {
    const known = address('copy.known');
    const unknown = address('copy.unknown');
    await paidOrder(shop, { 'hyaluronic-water-gel': 1 }, customerDetails(known));
    const message = 'Please send me everything you hold, including my old orders.';
    const pages = [await contact(privacy(known, 'copy', message)), await contact(privacy(unknown, 'copy', message))];
    for (const page of pages) assert.equal(page.statusCode, 200);
    const strip = (body: string) => body.replace(/T-\d+/g, 'REF').replace(/[0-9a-f-]{36}/g, 'ID').replace(/value="[^"]*"/g, 'value=""');
    assert.equal(strip(pages[0]!.body), strip(pages[1]!.body), 'the same answer whether or not anything is held');

    const { reference, requestId } = codePage(pages[0]!.body);
    assert.ok(reference && requestId, pages[0]!.body);
    assert.match(pages[0]!.body, /<h1>Enter your code<\/h1>/);
    assert.match(pages[0]!.body, /we check that the address is yours/);
    assert.match(pages[0]!.body, new RegExp(`href="/tickets/${reference}"`));
    const [request] = await requestsFor(known);
    assert.deepEqual([request?.id, request?.kind, request?.status, request?.customerId, request?.verifiedAt], [requestId, 'access', 'awaiting_verification', null, null]);
    assert.ok(await codeFrom(shop, known), 'a code went to the address');
    assert.ok(await codeFrom(shop, unknown), 'a code went to the unknown address too');
    assert.equal((await requestsFor(unknown))[0]?.status, 'awaiting_verification');

    // The message is kept once, as a ticket on the privacy officer's desk that names the request.
    const ticket = (await ticketByReference(reference))!;
    assert.deepEqual([ticket.desk, ticket.topic, ticket.privacyWish, ticket.privacyRequestId], ['privacy_officer', 'privacy_question', 'copy', requestId]);
    assert.equal((await db().select({ n: count() }).from(ticketMessages).where(eq(ticketMessages.ticketId, ticket.id)))[0]!.n, 1);
    const pass = pages[0]!.cookies.find((c) => c.name === TICKET_PASS_COOKIE)!;
    assert.ok((await shop.app.inject({ url: `/tickets/${reference}`, headers: { cookie: `${pass.name}=${pass.value}` } })).body.includes(message));
    const desk = await officer.get(`/admin/support/tickets/${reference}`);
    assert.match(desk.body, /<dt>Asked for<\/dt><dd>A copy of my data — <a href="\/admin\/privacy\/([0-9a-f-]{36})">its privacy request<\/a>/);
    assert.ok(desk.body.includes(`/admin/privacy/${requestId}`));
    assert.ok(desk.body.includes(message));

    // The code page is the privacy center's own: the right code prepares the copy, which holds the message too.
    const verified = await postAs(shop, `/privacy-center/guest/${requestId}`, { email: known, code: (await codeFrom(shop, known))! });
    assert.equal(verified.statusCode, 303);
    const copy = await postAs(shop, verified.headers.location as string, { format: 'json' });
    const document = JSON.parse(copy.body) as { units: { kind: string; data: { reference?: string } }[] };
    assert.ok(document.units.some((u) => u.kind === 'order'), 'the order under the address');
    assert.equal(document.units.find((u) => u.kind === 'ticket')?.data.reference, reference);
  });

  test('a guest’s “delete”: an unverified erasure request and a code; once the code is entered, the message goes with the rest', async () => {
    const email = address('delete.guest');
    await paidOrder(shop, { 'hyaluronic-water-gel': 1 }, customerDetails(email));
    const page = await contact(privacy(email, 'deletion', 'Delete everything about me.'));
    assert.equal(page.statusCode, 200);
    const { reference, requestId } = codePage(page.body);
    const [request] = await requestsFor(email);
    assert.deepEqual([request?.id, request?.kind, request?.status], [requestId, 'erasure', 'awaiting_verification']);
    const code = await codeFrom(shop, email);
    assert.ok(code);
    assert.equal((await ticketByReference(reference!))?.privacyWish, 'deletion');
    assert.ok(await ticketByReference(reference!), 'nothing is deleted before the code');

    const done = await postAs(shop, `/privacy-center/guest/${requestId}`, { email, code });
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /Your data has been deleted/);
    assert.equal(await ticketByReference(reference!), undefined, 'the ticket holding the message is erased with the rest');
    assert.equal((await officer.get(`/admin/support/tickets/${reference}`)).statusCode, 404);
  });

  test('a signed-in customer’s “copy” of their own address: prepared as the privacy center’s button does, and told where it comes', async () => {
    const me = await signedInCustomer(shop, 'Cora Signed', address('cora'));
    const sent = await contact(privacy(me.email, 'copy'), me.cookie);
    assert.equal(sent.statusCode, 303);
    const reference = /^\/account\/tickets\/(T-\d+)\?sent=copy$/.exec(sent.headers.location as string)?.[1];
    assert.ok(reference, sent.headers.location as string);
    const page = await shop.app.inject({ url: sent.headers.location as string, headers: { cookie: me.cookie } });
    assert.ok(page.body.includes(CENTER_NOTICES.copy));
    assert.match(page.body, /href="\/privacy-center"/);
    assert.ok(page.body.includes(reference));

    const mine = (await requestQueue(ctx())).filter((r) => r.customerId === me.customerId);
    assert.deepEqual(mine.map((r) => [r.kind, r.status]), [['access', 'received']], 'no code: the account is already proved');
    assert.equal((await ticketByReference(reference))?.privacyRequestId, mine[0]!.id);
    assert.equal((await codeFrom(shop, me.email)), undefined, 'no code was sent');
    assert.match((await shop.app.inject({ url: '/privacy-center', headers: { cookie: me.cookie } })).body, /A copy of your data/);
  });

  test('a signed-in customer’s “delete”: nothing is erased without the password; they are sent to their privacy center', async () => {
    const me = await signedInCustomer(shop, 'Dan Signed', address('dan'));
    const sent = await contact(privacy(me.email, 'deletion'), me.cookie);
    assert.equal(sent.statusCode, 303);
    const reference = /^\/account\/tickets\/(T-\d+)\?sent=deletion$/.exec(sent.headers.location as string)?.[1];
    assert.ok(reference, sent.headers.location as string);
    const page = await shop.app.inject({ url: sent.headers.location as string, headers: { cookie: me.cookie } });
    assert.match(page.body, /Nothing has been deleted yet: deleting your account needs your password, so it is done in <a href="\/privacy-center">your privacy center<\/a>/);
    assert.equal((await requestQueue(ctx())).filter((r) => r.customerId === me.customerId).length, 0);
    assert.equal((await db().select().from(customers).where(eq(customers.id, me.customerId))).length, 1, 'the account is still there');
    const desk = await officer.get(`/admin/support/tickets/${reference}`);
    assert.match(desk.body, /<dt>Asked for<\/dt><dd>To delete my data — the customer was sent to their privacy center/);
  });

  test('a signed-in customer asking about another address is treated as anyone would be: a code to that address', async () => {
    const me = await signedInCustomer(shop, 'Eve Signed', address('eve'));
    const other = address('eve.other');
    const page = await contact(privacy(other, 'copy'), me.cookie);
    assert.equal(page.statusCode, 200);
    const { reference, requestId } = codePage(page.body);
    assert.match(page.body, new RegExp(`href="/account/tickets/${reference}"`));
    const [request] = await requestsFor(other);
    assert.deepEqual([request?.id, request?.customerId, request?.status], [requestId, null, 'awaiting_verification']);
    assert.ok(await codeFrom(shop, other));
  });

  test('“correct” and “something else” are tickets on the privacy officer’s desk, with the choice shown to the officer', async () => {
    const before = await requestCount();
    for (const [wish, label] of [['correction', 'To correct my data'], ['question', 'Something else / a question']] as const) {
      const sent = await contact(privacy(address(wish), wish, `My ${wish}: my name is misspelt.`));
      assert.equal(sent.statusCode, 303);
      const reference = /^\/tickets\/(T-\d+)\?sent=1$/.exec(sent.headers.location as string)![1]!;
      const ticket = (await ticketByReference(reference))!;
      assert.deepEqual([ticket.desk, ticket.privacyWish, ticket.privacyRequestId], ['privacy_officer', wish, null]);
      const queue = await officer.get('/admin/support/tickets');
      assert.ok(queue.body.includes(`${reference}</a></td><td>A privacy question (your data, this policy): ${label.toLowerCase()}</td>`), wish);
      const desk = await officer.get(`/admin/support/tickets/${reference}`);
      assert.ok(desk.body.includes(`<dt>Asked for</dt><dd>${label}</dd>`), wish);
      assert.ok(desk.body.includes(`My ${wish}: my name is misspelt.`));
    }
    assert.equal(await requestCount(), before, 'no privacy request was opened');
  });
});
