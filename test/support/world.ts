import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { eq } from 'drizzle-orm';
import { recordChoice, consentHistory } from '../../src/privacy/consent/service.ts';
import { listHolds } from '../../src/privacy/retention/holds.ts';
import { securityAlerts } from '../../src/privacy/security/schema.ts';
import type { Role } from '../../src/privacy/access.ts';
import { addAddress, deleteAddress, listAddresses, MAX_ADDRESSES } from '../../src/shop/accounts/addresses.ts';
import { signIn } from '../../src/shop/accounts/service.ts';
import { addItem, type CartOwner } from '../../src/shop/cart/service.ts';
import { categories, productImages, products } from '../../src/shop/catalog/schema.ts';
import { payOrder, placeOrder } from '../../src/shop/checkout/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { ORDER_PASS_COOKIE } from '../../src/shop/orders/service.ts';
import { cardSchema } from '../../src/shop/payments/testpay/service.ts';
import { privacyCenterContext, requestAsGuest, requestCopy } from '../../src/shop/privacy-center/service.ts';
import { requestReturn } from '../../src/shop/returns/service.ts';
import { sendContactForm, TICKET_PASS_COOKIE } from '../../src/shop/tickets/service.ts';
import { customerDetails, nextAddress, signedInStaff, staffSession } from './backoffice.ts';
import { CUSTOMER_PASSWORD, signedInCustomer, type SignedInCustomer } from './customers.ts';
import { csrfFor, type TestShop } from './shop.ts';

// A shop with someone and something behind every route, for the tests that go over all of them (the access matrix,
// the fuzzer, the security headers): two customers, A and B, with A owning an order, a return, a ticket, an address,
// a copy request and a consent record; a guest with an order and a ticket reached by their passes; a member of
// staff for each role; and what the back office works on (a product with an uploaded picture, a privacy request,
// an incident, a legal hold).

export const STAFF_ROLES = ['support', 'fulfilment', 'privacy_officer', 'admin'] as const satisfies readonly Role[];
export const ACTORS = ['visitor', 'customerA', 'customerB', ...STAFF_ROLES] as const;
export type ActorName = (typeof ACTORS)[number];

/** The secrets the world's records carry: shown to their owner and to the staff whose work they are, never to others. */
export const MARKS = { ticket: 'Where is parcel kestrel-7731?', address: '7731 Kestrel Lane', guestTicket: 'About parcel heron-5519' } as const;

export const METRICS_TOKEN = 'matrix-metrics-token-0123456789abcdef';

export type World = {
  shop: TestShop;
  a: SignedInCustomer & { orderNumber: string; orderId: string; returnId: string; ticket: string; addressId: string; copyRequestId: string; consentRecordId: string };
  b: SignedInCustomer;
  guest: { email: string; orderId: string; orderNumber: string; orderCookie: string; ticket: string; ticketCookie: string };
  product: { id: number; slug: string; picture: string };
  /** The product the back office's forms edit, archive and restock (not the one the storefront's routes show). */
  adminProductId: number;
  category: string;
  asset: string;
  mailboxId: string;
  /** Writes the dev mailbox's message (again: the mailbox can be emptied). */
  mailboxMessage(): Promise<void>;
  alertId: string;
  privacyRequestId: string;
  incidentId: string;
  holdId: string;
  /** Each actor's cookies: the session (none for the visitor) and a CSRF secret whose token is `csrfToken`. */
  cookies: Record<ActorName, string>;
  csrfToken: string;
  /** A session of its own for `actor`, for a request that ends the session it carries. */
  freshCookie(actor: ActorName): Promise<string>;
  /** Another address in A's book, for a request that deletes the one it names. */
  newAddressOfA(): Promise<string>;
};

const card = (shop: TestShop) =>
  shopContext(shop.runtime).payments.tokenize(cardSchema(shop.clock.now()).parse({ number: '4242 4242 4242 4242', expMonth: '12', expYear: String(shop.clock.now().getUTCFullYear() + 3), cvc: '123' })).token;

/** A paid order of one product for `owner`, delivered yesterday so that it can be returned. */
async function deliveredOrder(shop: TestShop, owner: CartOwner, email: string, slug: string) {
  const ctx = shopContext(shop.runtime);
  const added = await addItem(ctx, owner, { slug, quantity: 2 });
  assert.ok(added.ok, `${slug} added`);
  const cart = 'customerId' in owner ? owner : { visitorToken: added.visitorToken };
  const placed = await placeOrder(ctx, cart, customerDetails(email), { checkoutKey: randomUUID() });
  assert.ok(placed.ok, 'order placed');
  assert.ok((await payOrder(ctx, placed.orderId, card(shop))).ok, 'order paid');
  const yesterday = new Date(shop.clock.now().getTime() - 24 * 60 * 60 * 1000);
  await shop.database.db.update(orders).set({ status: 'delivered', packedAt: yesterday, shippedAt: yesterday, deliveredAt: yesterday }).where(eq(orders.id, placed.orderId));
  return placed;
}

const address = (line1: string) => ({ recipientName: 'Ada Lovelace', line1, line2: undefined, city: 'London', region: 'CA', postcode: '94105', country: 'US', phone: undefined });

export async function buildWorld(shop: TestShop): Promise<World> {
  const ctx = shopContext(shop.runtime);
  const center = privacyCenterContext(shop.runtime);
  const db = shop.database.db;
  const [gel, cream] = ['hyaluronic-water-gel', 'ceramide-barrier-cream'];
  await db.update(products).set({ stock: 10_000 });

  const a = await signedInCustomer(shop, 'Ada Lovelace', `ada.${randomUUID().slice(0, 6)}@example.com`);
  const b = await signedInCustomer(shop, 'Bob Babbage', `bob.${randomUUID().slice(0, 6)}@example.com`);
  const order = await deliveredOrder(shop, { customerId: a.customerId }, a.email, gel);
  const returned = await requestReturn(ctx, order.orderId, { reason: 'changed_mind', comment: '', items: [{ position: 0, quantity: 1 }] });
  assert.ok(returned.ok, 'return requested');
  const ticket = await sendContactForm(center, { name: 'Ada Lovelace', email: a.email, topic: 'order_question', orderNumber: order.number, message: MARKS.ticket }, a.customerId);
  const saved = await addAddress(ctx, a.customerId, address(MARKS.address));
  assert.ok(saved.ok, 'address saved');
  const copyRequestId = await requestCopy(center, a.customerId);
  assert.ok(copyRequestId, 'copy requested');
  await recordChoice(ctx, { visitorId: undefined, customerId: a.customerId, granted: ['preferences'], method: 'settings', underGpc: false });
  const [consent] = await consentHistory(ctx, { customerId: a.customerId });

  const guestEmail = `guest.${randomUUID().slice(0, 6)}@example.com`;
  const guestOrder = await deliveredOrder(shop, { visitorToken: undefined }, guestEmail, cream);
  const guestTicket = await sendContactForm(center, { name: 'Grace Hopper', email: guestEmail, topic: 'return', message: MARKS.guestTicket }, undefined);

  const [product] = await db.select({ id: products.id, slug: products.slug }).from(products).where(eq(products.slug, gel));
  const bytes = Buffer.from('an uploaded picture');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await db.insert(productImages).values({ productId: product!.id, contentType: 'image/png', bytes, width: 1, height: 1, sha256, uploadedAt: shop.clock.now() });

  const [adminProduct] = await db.select({ id: products.id }).from(products).where(eq(products.slug, 'peptide-eye-cream'));
  const [category] = await db.select({ slug: categories.slug }).from(categories).limit(1);

  const asset = /\/assets\/([^"]+\.css)"/.exec((await shop.app.inject('/')).body)?.[1];
  assert.ok(asset, 'the home page links its style sheet');
  const mailboxId = randomUUID();
  // The dev mailbox exists only where mail goes to files (not in production, which sends through SMTP).
  const mailboxMessage = async () => {
    if (shop.runtime.mail.kind === 'files') await shop.runtime.mail.send({ id: mailboxId, dedupeKey: mailboxId, to: guestEmail, from: 'shop@example.com', subject: 'Hello', text: 'A message in the dev mailbox', date: shop.clock.now() });
  };
  await mailboxMessage();

  const staff = Object.fromEntries(await Promise.all(STAFF_ROLES.map(async (role) => [role, await signedInStaff(shop, [role])] as const))) as Record<(typeof STAFF_ROLES)[number], Awaited<ReturnType<typeof signedInStaff>>>;
  const privacyRequestId = await requestAsGuest(center, 'erasure', `someone.${randomUUID().slice(0, 6)}@example.com`);
  const officer = staff.privacy_officer;
  const hoursAgo = (hours: number) => new Date(shop.clock.now().getTime() - hours * 60 * 60 * 1000).toISOString().slice(0, 16);
  const incident = await officer.post('/admin/incidents', {
    summary: 'A label printer showed parcel labels to another customer',
    consequences: 'Addresses seen by a stranger',
    columns: 'order.shipping_address',
    zone: 'UTC',
    windowStart: hoursAgo(3),
    windowEnd: hoursAgo(2),
    discoveredAt: hoursAgo(1),
  });
  assert.equal(incident.statusCode, 303, incident.body.slice(0, 500));
  const hold = await officer.post('/admin/privacy/holds', { reference: guestOrder.number, matter: 'Case 7, small claims' });
  assert.equal(hold.statusCode, 303, hold.body.slice(0, 500));
  const [held] = await listHolds(db);
  const alertId = randomUUID();
  const now = shop.clock.now();
  await db.insert(securityAlerts).values({ id: alertId, rule: 'read_rate', staffId: staff.support.staffId, windowStart: now, windowEnd: now, observed: 2, threshold: 1, setting: 'PLEDGE_SECURITY_READ_RATES support=1', reasoning: 'Two subjects read in an hour', raisedAt: now, dedupeKey: `matrix:${alertId}` });

  const csrf = await csrfFor(shop.app, '/contact');
  const withCsrf = (session: string) => [session, csrf.cookie].filter(Boolean).join('; ');
  const cookies: Record<ActorName, string> = {
    visitor: withCsrf(''),
    customerA: withCsrf(a.cookie),
    customerB: withCsrf(b.cookie),
    support: withCsrf(staff.support.cookie),
    fulfilment: withCsrf(staff.fulfilment.cookie),
    privacy_officer: withCsrf(staff.privacy_officer.cookie),
    admin: withCsrf(staff.admin.cookie),
  };

  return {
    shop,
    a: { ...a, orderNumber: order.number, orderId: order.orderId, returnId: returned.returnId, ticket: ticket.reference, addressId: saved.id, copyRequestId, consentRecordId: consent!.id },
    b,
    guest: { email: guestEmail, orderId: guestOrder.orderId, orderNumber: guestOrder.number, orderCookie: `${ORDER_PASS_COOKIE}=${guestOrder.passToken}`, ticket: guestTicket.reference, ticketCookie: `${TICKET_PASS_COOKIE}=${guestTicket.sessionToken}` },
    product: { id: product!.id, slug: product!.slug, picture: `${sha256}.png` },
    adminProductId: adminProduct!.id,
    category: category!.slug,
    asset,
    mailboxId,
    async mailboxMessage() {
      await mailboxMessage();
    },
    alertId,
    privacyRequestId,
    incidentId: incident.headers.location!.split('/').pop()!,
    holdId: held!.id,
    cookies,
    csrfToken: csrf.token,
    async freshCookie(actor) {
      if (actor === 'visitor') return cookies.visitor;
      if (actor === 'customerA' || actor === 'customerB') {
        const session = await signIn(ctx, { email: (actor === 'customerA' ? a : b).email, password: CUSTOMER_PASSWORD });
        assert.ok(session.ok);
        return withCsrf(`pledge_session=${session.token}`);
      }
      return withCsrf(`pledge_staff=${(await staffSession(shop.runtime, [actor])).token}`);
    },
    async newAddressOfA() {
      // Requests that add addresses may have filled the book: room is made, never by deleting the one A's routes name.
      const book = await listAddresses(ctx, a.customerId);
      const spare = book.find((entry) => entry.id !== saved.id);
      if (book.length >= MAX_ADDRESSES && spare) await deleteAddress(ctx, a.customerId, spare.id);
      const added = await addAddress(ctx, a.customerId, address(MARKS.address));
      assert.ok(added.ok, 'address saved');
      return added.id;
    },
  };
}

export type Call = {
  method: string;
  url: string;
  cookie: string;
  /** Form fields (values may be lists: a repeated field) or, as JSON, anything. */
  body?: Record<string, unknown>;
  /** JSON for a form route (browsers send url-encoded; the server takes both); the store API always gets JSON. */
  json?: boolean;
  /** A body sent as it is, under its own content type. */
  raw?: { type: string; payload: string };
  headers?: Record<string, string>;
};

/** Url-encoded as a browser sends a form: a list is the field repeated, anything else its text. */
function urlEncoded(fields: Record<string, unknown>): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) form.append(name, typeof one === 'string' ? one : JSON.stringify(one));
  return form.toString();
}

/**
 * One request as a browser of this shop would send it: from the shop's own origin, from an address of its own (the
 * per-client limits never bite), a form body (url-encoded, or JSON for the store API) with the CSRF token added.
 */
export function send(world: World, call: Call): Promise<LightMyRequestResponse> {
  const api = call.url.startsWith('/api/');
  const json = call.json ?? api;
  const hasBody = call.method !== 'GET' && call.method !== 'DELETE';
  const fields = api ? (call.body ?? {}) : { _csrf: world.csrfToken, ...call.body };
  const body = call.raw ?? (hasBody ? { type: json ? 'application/json' : 'application/x-www-form-urlencoded', payload: json ? JSON.stringify(fields) : urlEncoded(fields) } : undefined);
  return world.shop.app.inject({
    method: call.method as 'GET',
    url: call.url,
    remoteAddress: nextAddress(),
    headers: { origin: 'http://localhost', cookie: call.cookie, ...(body ? { 'content-type': body.type } : {}), ...call.headers },
    ...(body ? { payload: body.payload } : {}),
  });
}
