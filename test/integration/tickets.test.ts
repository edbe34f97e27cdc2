import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { asc, count, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { inTransaction } from '../../src/platform/db/index.ts';
import type { LightMyRequestResponse } from 'fastify';
import { outbox } from '../../src/platform/mail/schema.ts';
import { auditEvents } from '../../src/privacy/audit/schema.ts';
import { exportUnits, eraseUnits, unitsOf } from '../../src/privacy/units.ts';
import { blindIndex, open } from '../../src/privacy/vault/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { REMOVALS } from '../../src/shop/tickets/redaction.ts';
import { ticketMessages, tickets } from '../../src/shop/tickets/schema.ts';
import { keptAtLeastUntil, openTicket, TICKET_PASS_COOKIE } from '../../src/shop/tickets/service.ts';
import { customerDetails, nextAddress, paidOrder, postAs, signedInStaff, type StaffClient } from '../support/backoffice.ts';
import { cardNumber, ordinary, spaced } from '../support/card-numbers.ts';
import { signedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { csrfFor, linkFrom, mailsTo, startTestShop, type TestShop } from '../support/shop.ts';

// Customer service over HTTP: the contact form (validation, bot trap, rate limit), redaction before storage, the
// guest's pass and single-use reply links, the customer's own tickets, the desk's audited reads, and closing.

const CARD = '4242 4242 4242 4242';

forEachDatabase('customer service tickets', (kind) => {
  let shop: TestShop;
  let support: StaffClient;
  let officer: StaffClient;
  let fulfilment: StaffClient;
  let admin: StaffClient;
  before(async () => {
    shop = await startTestShop(kind);
    [support, officer, fulfilment, admin] = await Promise.all([
      signedInStaff(shop, ['support']),
      signedInStaff(shop, ['privacy_officer']),
      signedInStaff(shop, ['fulfilment']),
      signedInStaff(shop, ['admin']),
    ]);
  });
  after(() => shop.stop());

  const db = () => shop.database.db;
  const ticketCount = async () => (await db().select({ n: count() }).from(tickets))[0]!.n;
  const outboxCount = async () => (await db().select({ n: count() }).from(outbox))[0]!.n;
  const ticketByReference = async (reference: string) => (await db().select().from(tickets).where(eq(tickets.reference, reference)))[0]!;
  const auditOf = async (reference: string) =>
    db().select().from(auditEvents).where(eq(auditEvents.subjectUnitId, (await ticketByReference(reference)).unitId)).orderBy(asc(auditEvents.id));

  /** Posts the contact form with a valid CSRF token, from an address of its own unless given one. */
  async function contact(fields: Record<string, string>, options: { cookie?: string; address?: string } = {}): Promise<LightMyRequestResponse> {
    const csrf = await csrfFor(shop.app, '/contact');
    return shop.app.inject({
      method: 'POST',
      url: '/contact',
      remoteAddress: options.address ?? nextAddress(),
      headers: { cookie: [csrf.cookie, options.cookie].filter(Boolean).join('; ') },
      payload: { ...fields, _csrf: csrf.token },
    });
  }

  const valid = (email: string, message = 'Where is my parcel?') => ({ name: 'Ada Lovelace', email, topic: 'order_question', orderNumber: '', message });

  /** A guest's ticket: its reference and the browser cookie its pass is in. */
  async function guestTicket(email: string, fields: Record<string, string> = {}) {
    const sent = await contact({ ...valid(email), ...fields });
    assert.equal(sent.statusCode, 303, sent.body);
    const reference = /^\/tickets\/(T-\d+)\?sent=1$/.exec(sent.headers.location as string)?.[1];
    assert.ok(reference, `redirected to ${sent.headers.location}`);
    const pass = sent.cookies.find((c) => c.name === TICKET_PASS_COOKIE)!;
    return { reference, cookie: `${pass.name}=${pass.value}` };
  }

  test('the contact form shows the shop’s contact details from configuration, a CSRF token and a bot trap', async () => {
    const page = await shop.app.inject('/contact');
    assert.equal(page.statusCode, 200);
    const { contactEmail, contactPhone } = shop.runtime.config.shop;
    assert.ok(page.body.includes(contactEmail) && page.body.includes(contactPhone));
    assert.match(page.body, /name="_csrf"/);
    assert.match(page.body, /<label for="f-website">/);
    for (const name of ['name', 'email', 'topic', 'orderNumber', 'message']) assert.match(page.body, new RegExp(`<label for="f-${name}">`), name);
  });

  test('bad input on every field: 400 with the message beside the field and the input kept, nothing written', async () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ name: '' }, 'name', /Enter your name/],
      [{ name: 'x'.repeat(201) }, 'name', /too long/],
      [{ email: 'not-an-address' }, 'email', /Enter an e-mail address/],
      [{ topic: '' }, 'topic', /Choose what your message is about/],
      [{ topic: 'complaint' }, 'topic', /Choose what your message is about/],
      [{ orderNumber: 'ABC-12' }, 'orderNumber', /like P100001/],
      [{ message: '   ' }, 'message', /Write your message/],
      [{ message: 'x'.repeat(5001) }, 'message', /under 5000 characters/],
    ];
    for (const [bad, field, message] of cases) {
      const out = await contact({ ...valid('bad.input@example.com', 'kept text'), ...bad });
      assert.equal(out.statusCode, 400, field);
      assert.match(out.body, new RegExp(`id="f-${field}-error"[^>]*>[^<]*${message.source}`), field);
      if (field !== 'message') assert.match(out.body, />kept text<\/textarea>/, `${field}: the message is kept`);
    }
    const missing = await shop.app.inject({ method: 'POST', url: '/contact', remoteAddress: nextAddress(), payload: valid('no.token@example.com') });
    assert.equal(missing.statusCode, 403, 'no CSRF token');
    assert.equal(await ticketCount(), 0);
    assert.equal(await outboxCount(), 0);
  });

  test('the bot trap: a filled hidden field is thanked and writes nothing', async () => {
    const before = await ticketCount();
    const out = await contact({ ...valid('bot@example.com'), website: 'http://spam.example' });
    assert.equal(out.statusCode, 200);
    assert.match(out.body, /Thank you/);
    assert.equal(await ticketCount(), before);
    assert.equal((await mailsTo(shop, 'bot@example.com')).length, 0);
  });

  test('the form is rate-limited per sender', async () => {
    const address = nextAddress();
    const answers: number[] = [];
    for (let i = 0; i < 6; i++) answers.push((await contact({ ...valid('limit@example.com'), name: '' }, { address })).statusCode);
    assert.deepEqual(answers, [400, 400, 400, 400, 400, 429]);
  });

  test('a card number, security code and SSN are removed before storage, and the sender is told why', async () => {
    const email = 'redacted.guest@example.com';
    const text = `My card ${CARD} was charged twice, cvv 123, my SSN is 123-45-6789. Order P100001.`;
    const { reference, cookie } = await guestTicket(email, { message: text });
    const page = await shop.app.inject({ url: `/tickets/${reference}?sent=1`, headers: { cookie } });
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes(reference));
    for (const removal of Object.values(REMOVALS)) {
      assert.ok(page.body.includes(removal.marker), removal.marker);
      assert.ok(page.body.includes(removal.why), removal.why);
    }
    assert.doesNotMatch(page.body, /4242|123-45-6789|cvv 123/);
    assert.ok(page.body.includes('Order P100001.'), 'the order number is left as written');

    const ticket = await ticketByReference(reference);
    const [row] = await db().select().from(ticketMessages).where(eq(ticketMessages.ticketId, ticket.id));
    for (const plain of [CARD, '4242424242424242', '123-45-6789', REMOVALS.card_number.marker, 'charged twice']) assert.ok(!row!.body.includes(Buffer.from(plain)), `${plain} is not in the stored bytes`);
    for (const plain of [email, 'Ada Lovelace']) assert.ok(!ticket.email.includes(Buffer.from(plain)) && !ticket.name.includes(Buffer.from(plain)));
    const stored = await open(shopContext(shop.runtime), ticket.unitId, { table: 'ticket_message', column: 'body', rowId: row!.id }, row!.body);
    assert.equal(stored, `My card ${REMOVALS.card_number.marker} was charged twice, cvv ${REMOVALS.security_code.marker}, my SSN is ${REMOVALS.government_id.marker}. Order P100001.`);
    assert.deepEqual([...row!.removed].sort(), ['card_number', 'government_id', 'security_code']);

    const [mail] = await mailsTo(shop, email);
    assert.ok(mail!.subject.includes(reference));
    assert.ok(mail!.text.includes(REMOVALS.card_number.why));
    assert.doesNotMatch(mail!.text, /4242/);
  });

  test('redaction before storage, fuzzed: a Luhn-valid number in any spacing never reaches the database, everyday numbers are kept as written', async () => {
    const ctx = shopContext(shop.runtime);
    /** What the database holds of a message: the sealed bytes, and the text they open to. */
    async function stored(message: string) {
      const { ticketId } = await openTicket(ctx, { ...valid('fuzz@example.com', message), orderNumber: undefined, topic: 'order_question' }, undefined);
      const [row] = await db().select().from(ticketMessages).where(eq(ticketMessages.ticketId, ticketId));
      const [ticket] = await db().select().from(tickets).where(eq(tickets.id, ticketId));
      return { row: row!, text: await open(ctx, ticket!.unitId, { table: 'ticket_message', column: 'body', rowId: row!.id }, row!.body) };
    }
    await fc.assert(
      fc.asyncProperty(cardNumber.chain((n) => fc.tuple(fc.constant(n), spaced(n), ordinary)), async ([digits, written, everyday]) => {
        const message = `Order question: ${everyday}. My card ${written} was charged twice.`;
        const { row, text } = await stored(message);
        assert.deepEqual(row.removed, ['card_number'], message);
        assert.equal(text, `Order question: ${everyday}. My card ${REMOVALS.card_number.marker} was charged twice.`, message);
        assert.ok(!row.body.includes(Buffer.from(written)) && !row.body.includes(Buffer.from(digits)), message);
      }),
      { numRuns: 40 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(ordinary, { minLength: 1, maxLength: 5 }), async (parts) => {
        const message = `About ${parts.join(', ')}.`;
        const { row, text } = await stored(message);
        assert.deepEqual([text, row.removed], [message, []]);
      }),
      { numRuns: 20 },
    );
  });

  test('a guest reaches their ticket only with its pass: other references and other browsers get 404', async () => {
    const first = await guestTicket('pass.one@example.com');
    const second = await guestTicket('pass.two@example.com');
    assert.equal((await shop.app.inject(`/tickets/${first.reference}`)).statusCode, 404, 'no pass');
    assert.equal((await shop.app.inject({ url: `/tickets/${first.reference}`, headers: { cookie: second.cookie } })).statusCode, 404, 'another ticket’s pass');
    assert.equal((await shop.app.inject({ url: '/tickets/T-999999999', headers: { cookie: first.cookie } })).statusCode, 404, 'unknown reference');
    const reply = await postAs(shop, `/tickets/${first.reference}/reply`, { message: 'Hello?' }, second.cookie);
    assert.equal(reply.statusCode, 404);
  });

  test('every desk route: signed out is sent to sign in, other roles are refused', async () => {
    const { reference } = await guestTicket('roles@example.com');
    for (const url of ['/admin/support/tickets', `/admin/support/tickets/${reference}`]) {
      const out = await shop.app.inject(url);
      assert.equal(out.statusCode, 303, url);
      assert.equal(out.headers.location, '/admin/login');
      for (const other of [fulfilment, admin]) assert.equal((await other.get(url)).statusCode, 403, `${url} as another role`);
    }
    for (const action of ['contact', 'reply', 'note', 'assign', 'close', 'reopen']) {
      const url = `/admin/support/tickets/${reference}/${action}`;
      assert.equal((await postAs(shop, url, { message: 'x', note: 'x' })).headers.location, '/admin/login', url);
      for (const other of [fulfilment, admin]) assert.equal((await other.post(url, { message: 'x', note: 'x' })).statusCode, 403, `${url} as another role`);
    }
    assert.equal((await auditOf(reference)).length, 0, 'nothing was read');
    assert.equal((await ticketByReference(reference)).status, 'open', 'nothing changed');
  });

  test('support’s queue, audited reads of the conversation and the sender, the order link, assignment and notes', async () => {
    const order = await paidOrder(shop, { 'hyaluronic-water-gel': 1 }, customerDetails('order.owner@example.com'));
    const { reference } = await guestTicket('queue@example.com', { orderNumber: order.number.toLowerCase(), message: 'Can I change the address?' });
    const queue = await support.get('/admin/support/tickets');
    assert.equal(queue.statusCode, 200);
    assert.ok(queue.body.includes(reference));
    assert.doesNotMatch(queue.body, /queue@example\.com|Ada Lovelace|change the address/, 'the queue shows nothing personal');
    assert.match((await support.get('/admin')).body, /href="\/admin\/support\/tickets"/, 'the dashboard links the desk');

    const page = await support.get(`/admin/support/tickets/${reference}`);
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes('Can I change the address?'));
    assert.ok(page.body.includes(`href="/admin/orders/${order.number}"`), 'links the order');
    assert.doesNotMatch(page.body, /queue@example\.com|Ada Lovelace/, 'the sender is not shown until asked');
    let audit = await auditOf(reference);
    assert.equal(audit.length, 1);
    assert.deepEqual([audit[0]!.staffId, audit[0]!.fields, audit[0]!.purpose, audit[0]!.subjectKind], [support.staffId, ['ticketMessages'], 'customer_support', 'ticket']);

    const revealed = await support.post(`/admin/support/tickets/${reference}/contact`);
    assert.equal(revealed.statusCode, 200);
    assert.ok(revealed.body.includes('queue@example.com') && revealed.body.includes('Ada Lovelace'));
    audit = await auditOf(reference);
    assert.deepEqual(audit.map((a) => a.fields), [['ticketMessages'], ['ticketMessages'], ['email', 'name']]);

    assert.equal((await support.post(`/admin/support/tickets/${reference}/assign`)).statusCode, 303);
    assert.equal((await ticketByReference(reference)).assignedTo, support.staffId);
    assert.equal((await support.post(`/admin/support/tickets/${reference}/note`, { note: '' })).statusCode, 400);
    assert.equal((await support.post(`/admin/support/tickets/${reference}/note`, { note: 'Customer sounds upset; check the carrier.' })).statusCode, 303);
    const withNote = await support.get(`/admin/support/tickets/${reference}`);
    assert.ok(withNote.body.includes('check the carrier'));
    assert.ok(withNote.body.includes('Assigned</dt><dd>You'));

    const unknown = await guestTicket('unknown.order@example.com', { orderNumber: 'P999999' });
    assert.match((await support.get(`/admin/support/tickets/${unknown.reference}`)).body, /P999999 \(no such order\)/);
    const canned = await support.get(`/admin/support/tickets/${reference}?canned=card_data`);
    assert.match(canned.body, /please never send card numbers or security codes by message/);
  });

  test('privacy questions go to the privacy officer’s queue, read for a legal obligation; support does not see them', async () => {
    const { reference } = await guestTicket('privacy.q@example.com', { topic: 'privacy_question', privacyWish: 'question', message: 'Which of my data do you keep?' });
    assert.equal((await ticketByReference(reference)).desk, 'privacy_officer');
    assert.doesNotMatch((await support.get('/admin/support/tickets')).body, new RegExp(reference));
    assert.equal((await support.get(`/admin/support/tickets/${reference}`)).statusCode, 404);
    assert.ok((await officer.get('/admin/support/tickets')).body.includes(reference));
    const page = await officer.get(`/admin/support/tickets/${reference}`);
    assert.ok(page.body.includes('Which of my data do you keep?'));
    const [read] = await auditOf(reference);
    assert.deepEqual([read!.staffId, read!.purpose], [officer.staffId, 'legal_obligation']);
  });

  test('signed-in customers see and answer their own tickets in their account; another customer gets 404', async () => {
    const ada = await signedInCustomer(shop, 'Ada Account', 'ada.tickets@example.com');
    const bob = await signedInCustomer(shop, 'Bob Account', 'bob.tickets@example.com');
    const sent = await contact(valid(ada.email, 'Do you ship to Canada?'), { cookie: ada.cookie });
    assert.equal(sent.statusCode, 303);
    const reference = /^\/account\/tickets\/(T-\d+)\?sent=1$/.exec(sent.headers.location as string)?.[1];
    assert.ok(reference);
    assert.match((await shop.app.inject({ url: '/account', headers: { cookie: ada.cookie } })).body, /href="\/account\/tickets"/, 'the account page links the messages');
    const list = await shop.app.inject({ url: '/account/tickets', headers: { cookie: ada.cookie } });
    assert.ok(list.body.includes(reference));
    assert.doesNotMatch((await shop.app.inject({ url: '/account/tickets', headers: { cookie: bob.cookie } })).body, new RegExp(reference));
    assert.equal((await shop.app.inject({ url: `/account/tickets/${reference}`, headers: { cookie: bob.cookie } })).statusCode, 404);
    assert.equal((await postAs(shop, `/account/tickets/${reference}/reply`, { message: 'Mine now' }, bob.cookie)).statusCode, 404);
    assert.equal((await shop.app.inject(`/account/tickets/${reference}`)).headers.location, '/account/login');

    assert.equal((await support.post(`/admin/support/tickets/${reference}/reply`, { message: 'Yes, we do.' })).statusCode, 303);
    const mail = (await mailsTo(shop, ada.email)).at(-1)!;
    assert.ok(mail.text.includes(`/account/tickets/${reference}`), 'account holders answer in their account');
    assert.doesNotMatch(mail.text, /\/tickets\/access\//);
    assert.equal((await postAs(shop, `/account/tickets/${reference}/reply`, { message: 'Great, thanks' }, ada.cookie)).statusCode, 303);
    const thread = await shop.app.inject({ url: `/account/tickets/${reference}`, headers: { cookie: ada.cookie } });
    assert.ok(thread.body.includes('Yes, we do.') && thread.body.includes('Great, thanks'));
  });

  test('the privacy engine finds a sender’s tickets by address, copies the conversation without internal notes, and erases them', async () => {
    const email = 'erase.me@example.com';
    const { reference } = await guestTicket(email, { message: 'Please forget me after this.' });
    assert.equal((await support.post(`/admin/support/tickets/${reference}/note`, { note: 'Internal remark' })).statusCode, 303);
    const ctx = shopContext(shop.runtime);
    const subject = { customerId: null, emailIndex: blindIndex(ctx.keys, 'email', email) };
    const units = (await unitsOf(ctx, subject)).filter((u) => u.kind === 'ticket');
    assert.equal(units.length, 1);
    const [copy] = await exportUnits(ctx, units);
    assert.deepEqual(copy!.data, {
      reference,
      topic: 'order_question',
      privacyWish: null,
      status: 'open',
      orderNumber: null,
      name: 'Ada Lovelace',
      email,
      openedAt: (await ticketByReference(reference)).openedAt.toISOString(),
      closedAt: null,
      messages: [{ from: 'you', at: (await ticketByReference(reference)).openedAt.toISOString(), text: 'Please forget me after this.', removed: [] }],
    });
    const report = await inTransaction(db(), (tx) => eraseUnits({ ...ctx, db: tx }, units, { mayRestrict: true, reason: 'erasure request' }));
    assert.equal(report.erased.length, 1, 'no legal duty holds a ticket back');
    assert.equal((await db().select().from(tickets).where(eq(tickets.reference, reference))).length, 0);
    assert.equal((await support.get(`/admin/support/tickets/${reference}`)).statusCode, 404);
  });

  test('a reply is mailed with a single-use link; the guest answers through it; notes stay internal; closing keeps the ticket ≥ 12 months (last: it moves the clock a year)', async () => {
    const email = 'thread.guest@example.com';
    const { reference } = await guestTicket(email, { message: 'My order is late.' });
    assert.equal((await support.post(`/admin/support/tickets/${reference}/reply`, { message: '' })).statusCode, 400);
    assert.equal((await support.post(`/admin/support/tickets/${reference}/note`, { note: 'Internal: courier delay in Ohio' })).statusCode, 303);
    assert.equal((await support.post(`/admin/support/tickets/${reference}/reply`, { message: 'Sorry! It ships tomorrow.' })).statusCode, 303);
    assert.equal((await ticketByReference(reference)).status, 'waiting');

    const mails = await mailsTo(shop, email);
    assert.equal(mails.length, 2, 'the confirmation and the reply');
    assert.ok(mails[1]!.text.includes('Sorry! It ships tomorrow.'));
    assert.doesNotMatch(mails[1]!.text, /courier delay/);
    const link = await linkFrom(shop, email, /\/tickets\/access\//);
    const followed = await shop.app.inject(link);
    assert.equal(followed.statusCode, 303);
    assert.equal(followed.headers.location, `/tickets/${reference}`);
    assert.equal((await shop.app.inject(link)).statusCode, 404, 'the link works once');
    const pass = followed.cookies.find((c) => c.name === TICKET_PASS_COOKIE)!;
    const cookie = `${pass.name}=${pass.value}`;

    const thread = await shop.app.inject({ url: `/tickets/${reference}`, headers: { cookie } });
    assert.ok(thread.body.includes('Sorry! It ships tomorrow.'));
    assert.doesNotMatch(thread.body, /courier delay/, 'internal notes are never shown to the customer');
    assert.equal((await postAs(shop, `/tickets/${reference}/reply`, { message: '' }, cookie)).statusCode, 400);
    const answered = await postAs(shop, `/tickets/${reference}/reply`, { message: 'Thanks, card 4000-0000-0000-0002 if needed' }, cookie);
    assert.equal(answered.statusCode, 303);
    assert.equal((await ticketByReference(reference)).status, 'open');
    const after = await shop.app.inject({ url: `/tickets/${reference}`, headers: { cookie } });
    assert.ok(after.body.includes(`Thanks, card ${REMOVALS.card_number.marker} if needed`));

    const closedAt = shop.clock.now();
    assert.equal((await support.post(`/admin/support/tickets/${reference}/close`)).statusCode, 303);
    assert.equal((await support.post(`/admin/support/tickets/${reference}/close`)).statusCode, 409, 'closing twice changes nothing');
    const closed = await ticketByReference(reference);
    assert.equal(closed.status, 'closed');
    assert.equal(closed.closedAt?.getTime(), closedAt.getTime());
    assert.equal((await postAs(shop, `/tickets/${reference}/reply`, { message: 'One more thing' }, cookie)).statusCode, 409, 'a closed conversation takes no answers');
    assert.equal((await support.post(`/admin/support/tickets/${reference}/reply`, { message: 'Late reply' })).statusCode, 409);
    assert.ok((await support.get('/admin/support/tickets?status=closed')).body.includes(reference));

    // Twelve months on, the closed ticket and its messages are all still there, and say how long they are kept.
    shop.clock.advance(366 * 24 * 60 * 60 * 1000);
    const later = await signedInStaff(shop, ['support']);
    const year = await later.get(`/admin/support/tickets/${reference}`);
    assert.equal(year.statusCode, 200);
    assert.ok(year.body.includes('My order is late.') && year.body.includes('courier delay'));
    assert.ok(keptAtLeastUntil(closedAt).getTime() >= closedAt.getTime() + 365 * 24 * 60 * 60 * 1000);
    assert.ok(year.body.includes(keptAtLeastUntil(closedAt).toISOString()));
    assert.equal((await later.post(`/admin/support/tickets/${reference}/reopen`)).statusCode, 303);
    assert.equal((await ticketByReference(reference)).closedAt, null);
  });
});
