import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createStaff } from '../../src/privacy/staff/service.ts';
import { register, sendPasswordReset } from '../../src/shop/accounts/service.ts';
import { addItem } from '../../src/shop/cart/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { sendOrderLink } from '../../src/shop/orders/service.ts';
import { privacyCenterContext, requestAsGuest, verifyGuest } from '../../src/shop/privacy-center/service.ts';
import { CUSTOMER_PASSWORD, signedInCustomer } from './customers.ts';
import { linkFrom, mailsTo } from './shop.ts';
import { MARKS, METRICS_TOKEN, send, STAFF_ROLES, type ActorName, type Call, type World } from './world.ts';

// Every route of the shop: who may use it, and the request that shows it. Read by the access matrix (each route
// asked by every actor: allowed or refused), the fuzzer (each route's inputs attacked as the actor it is for) and
// the security-header checks. A route the app serves that is missing here fails those tests, named.

/** 'pass': none of the actors by who they are; only whoever holds the link, pass, code or token (`pass` makes one). */
export type Gate = readonly ActorName[] | 'everyone' | 'pass';

export type Pass = { path?: string; cookie?: string; headers?: Record<string, string>; body?: Record<string, unknown> };

export type RouteCase = {
  allow: Gate;
  /** The address asked for, with A's (or the world's) records in it; default: the route's path. */
  path?: (w: World) => string | Promise<string>;
  /** A body that reaches the route's gate and ownership checks (form fields, or the store API's JSON). */
  body?: (w: World) => Record<string, unknown>;
  /** What opens a 'pass' route; made afresh for each use, since many passes work once. */
  pass?: (w: World) => Promise<Pass>;
  /** The request ends the session it carries: each actor sends a session of its own. */
  endsSession?: true;
  /** Puts in place what the request works on (a line in the caller's cart); may answer a cookie to send. */
  prepare?: (w: World, actor: ActorName) => Promise<string | undefined>;
  /** The handler itself answers 401 to credentials that do not match (sign-in forms): that is not the gate. */
  checksCredentials?: true;
  /** A wrong code is answered 400 with the form again, to everyone alike (the code is the gate). */
  codeGate?: true;
  /** Text from A's records that only these actors may be shown. */
  shows?: { to: readonly ActorName[]; text: (w: World) => string };
};

const CUSTOMERS = ['customerA', 'customerB'] as const;
const A = ['customerA'] as const;
const STAFF = STAFF_ROLES;
const OFFICER = ['privacy_officer'] as const;
const ADMIN = ['admin'] as const;
const SUPPORT = ['support'] as const;
const FULFILMENT = ['fulfilment'] as const;

const NOBODY = 'nobody@example.com';
const US_ADDRESS = { recipientName: 'Ada Lovelace', line1: MARKS.address, city: 'Arlington', region: 'VA', postcode: '22201', country: 'US' };
const CART_SLUG = 'gentle-oat-cleanser';

/** A line of CART_SLUG in the actor's cart: the account's for a customer, else a visitor cart of its own (its cookie). */
async function lineInCart(w: World, actor: ActorName): Promise<string | undefined> {
  const ctx = shopContext(w.shop.runtime);
  const customerId = actor === 'customerA' ? w.a.customerId : actor === 'customerB' ? w.b.customerId : undefined;
  const added = await addItem(ctx, customerId ? { customerId } : { visitorToken: undefined }, { slug: CART_SLUG, quantity: 1 });
  assert.ok(added.ok, 'line added');
  return customerId ? undefined : `pledge_cart=${added.visitorToken}`;
}

/** The dev mailbox's message, written again: another request may have emptied the mailbox. */
async function rewriteMail(w: World): Promise<undefined> {
  await w.mailboxMessage();
  return undefined;
}

/** A guest request for a fresh address, and the code mailed to it. */
async function guestCode(w: World): Promise<{ id: string; email: string; code: string }> {
  const email = `guest.${randomUUID().slice(0, 8)}@example.com`;
  const id = await requestAsGuest(privacyCenterContext(w.shop.runtime), 'access', email);
  const code = /code: (\d{6})/.exec((await mailsTo(w.shop, email)).at(-1)!.subject)![1]!;
  return { id, email, code };
}

/** A fresh customer's password-reset link (the reset job's work, done here). */
async function resetLink(w: World): Promise<string> {
  const c = await signedInCustomer(w.shop, 'Carol Reset', `carol.${randomUUID().slice(0, 8)}@example.com`);
  w.shop.clock.advance(1);
  await sendPasswordReset(shopContext(w.shop.runtime), c.customerId);
  return linkFrom(w.shop, c.email, /\/account\/reset\//);
}

const passes = {
  order: async (w: World): Promise<Pass> => ({ cookie: w.guest.orderCookie }),
  ticket: async (w: World): Promise<Pass> => ({ cookie: w.guest.ticketCookie }),
  code: async (w: World): Promise<Pass> => {
    const { id, email, code } = await guestCode(w);
    return { path: `/privacy-center/guest/${id}`, body: { email, code } };
  },
  copy: async (w: World): Promise<Pass> => {
    const { id, email, code } = await guestCode(w);
    const verified = await verifyGuest(privacyCenterContext(w.shop.runtime), id, email, code);
    assert.ok(verified.ok && verified.kind === 'access' && verified.token, 'copy prepared');
    return { path: `/privacy-center/copy/${verified.token}`, body: { format: 'json' } };
  },
  reset: async (w: World): Promise<Pass> => ({ path: await resetLink(w), body: { password: 'a brand new password', confirm: 'a brand new password' } }),
  setup: async (w: World): Promise<Pass> => {
    const { setupToken } = await createStaff(shopContext(w.shop.runtime), { email: `new.${randomUUID().slice(0, 8)}@staff.example.com`, roles: ['support'] });
    return { path: `/admin/setup/${setupToken}`, body: { password: 'short', confirm: 'short', code: '1' } };
  },
};

/** A token of the right shape that opens nothing. */
const MADE_UP_TOKEN = 'A'.repeat(43);
const byToken = (prefix: string) => () => `${prefix}/${MADE_UP_TOKEN}`;

export const ROUTE_TABLE: Record<string, RouteCase> = {
  // ── platform ──
  'GET /healthz': { allow: 'everyone' },
  'GET /assets/:file': { allow: 'everyone', path: (w) => `/assets/${w.asset}` },
  'GET /metrics': { allow: 'pass', pass: async () => ({ headers: { authorization: `Bearer ${METRICS_TOKEN}` } }) },
  'GET /dev/mailbox': { allow: 'everyone' },
  'GET /dev/mailbox/:id': { allow: 'everyone', path: (w) => `/dev/mailbox/${w.mailboxId}`, prepare: rewriteMail },
  'GET /dev/mailbox/:id/raw': { allow: 'everyone', path: (w) => `/dev/mailbox/${w.mailboxId}/raw`, prepare: rewriteMail },
  'POST /dev/mailbox/clear': { allow: 'everyone' },

  // ── consent, policy ──
  'GET /.well-known/gpc.json': { allow: 'everyone' },
  'GET /privacy/cookies': { allow: 'everyone' },
  'POST /privacy/cookies': { allow: 'everyone', body: () => ({ from: 'settings', answer: 'reject' }) },
  'GET /privacy/cookies/receipt': { allow: 'everyone', shows: { to: A, text: (w) => w.a.consentRecordId } },
  'GET /privacy/cookies/receipt.json': { allow: 'everyone', shows: { to: A, text: (w) => w.a.consentRecordId } },
  'GET /privacy': { allow: 'everyone' },
  'GET /privacy/versions': { allow: 'everyone' },
  'GET /privacy/versions/:number': { allow: 'everyone', path: () => '/privacy/versions/1' },
  'GET /admin/policy': { allow: OFFICER },
  'POST /admin/policy/draft': { allow: OFFICER },
  'POST /admin/policy/draft/discard': { allow: OFFICER },
  'GET /admin/policy/preview': { allow: OFFICER },
  'POST /admin/policy/publish': { allow: OFFICER },
  'GET /admin/analytics': { allow: ADMIN },

  // ── staff ──
  'GET /admin/login': { allow: 'everyone' },
  'POST /admin/login': { allow: 'everyone', checksCredentials: true, body: () => ({ email: NOBODY, password: 'not the password', code: '123456' }) },
  'POST /admin/logout': { allow: 'everyone', endsSession: true },
  'GET /admin/setup/:token': { allow: 'pass', path: byToken('/admin/setup'), pass: passes.setup },
  'POST /admin/setup/:token': { allow: 'pass', path: byToken('/admin/setup'), pass: passes.setup, body: () => ({ password: 'short', confirm: 'short', code: '1' }) },
  'GET /admin': { allow: STAFF },

  // ── accounts ──
  'GET /account/register': { allow: 'everyone' },
  'POST /account/register': { allow: 'everyone' },
  'GET /account/verify/:token': {
    allow: 'pass',
    path: byToken('/account/verify'),
    pass: async (w) => {
      const email = `dora.${randomUUID().slice(0, 8)}@example.com`;
      await register(shopContext(w.shop.runtime), { name: 'Dora Verify', email, password: CUSTOMER_PASSWORD });
      return { path: await linkFrom(w.shop, email, /\/account\/verify\//) };
    },
  },
  'GET /account/login': { allow: 'everyone' },
  'POST /account/login': { allow: 'everyone', checksCredentials: true, body: () => ({ email: NOBODY, password: 'not the password' }) },
  'POST /account/logout': { allow: 'everyone', endsSession: true },
  'GET /account/reset': { allow: 'everyone' },
  'POST /account/reset': { allow: 'everyone', body: () => ({ email: NOBODY }) },
  'GET /account/reset/:token': { allow: 'pass', path: byToken('/account/reset'), pass: passes.reset },
  'POST /account/reset/:token': { allow: 'pass', path: byToken('/account/reset'), pass: passes.reset, body: () => ({ password: 'a brand new password', confirm: 'a brand new password' }) },
  'GET /account': { allow: CUSTOMERS, shows: { to: A, text: (w) => w.a.email } },
  'POST /account/profile': { allow: CUSTOMERS, body: () => ({ name: 'Ada Lovelace' }) },
  'GET /account/addresses': { allow: CUSTOMERS, shows: { to: A, text: () => MARKS.address } },
  'GET /account/addresses/new': { allow: CUSTOMERS },
  'POST /account/addresses': { allow: CUSTOMERS, body: () => US_ADDRESS },
  'GET /account/addresses/:id/edit': { allow: A, path: (w) => `/account/addresses/${w.a.addressId}/edit`, shows: { to: A, text: () => MARKS.address } },
  'POST /account/addresses/:id': { allow: A, path: (w) => `/account/addresses/${w.a.addressId}`, body: () => US_ADDRESS },
  'POST /account/addresses/:id/default': { allow: A, path: (w) => `/account/addresses/${w.a.addressId}/default` },
  'POST /account/addresses/:id/delete': { allow: A, path: async (w) => `/account/addresses/${await w.newAddressOfA()}/delete` },

  // ── catalogue, cart ──
  'GET /': { allow: 'everyone' },
  'GET /categories/:slug': { allow: 'everyone', path: (w) => `/categories/${w.category}` },
  'GET /products/:slug': { allow: 'everyone', path: (w) => `/products/${w.product.slug}` },
  'GET /search': { allow: 'everyone', path: () => '/search?q=gel' },
  'GET /images/products/:file': { allow: 'everyone', path: (w) => `/images/products/${w.product.slug}.svg` },
  'GET /images/products/uploads/:file': { allow: 'everyone', path: (w) => `/images/products/uploads/${w.product.picture}` },
  'GET /cart': { allow: 'everyone' },
  'POST /cart/items': { allow: 'everyone', body: () => ({ slug: CART_SLUG, quantity: '1' }) },
  'POST /cart/items/:slug': { allow: 'everyone', path: () => `/cart/items/${CART_SLUG}`, body: () => ({ quantity: '1' }), prepare: lineInCart },
  'POST /cart/items/:slug/remove': { allow: 'everyone', path: () => `/cart/items/${CART_SLUG}/remove`, prepare: lineInCart },

  // ── store API ──
  'GET /api/openapi.json': { allow: 'everyone' },
  'GET /api/store/products': { allow: 'everyone' },
  'GET /api/store/search': { allow: 'everyone', path: () => '/api/store/search?q=gel' },
  'GET /api/store/products/:slug': { allow: 'everyone', path: (w) => `/api/store/products/${w.product.slug}` },
  'GET /api/store/categories': { allow: 'everyone' },
  'GET /api/store/cart': { allow: 'everyone' },
  'POST /api/store/cart/items': { allow: 'everyone', body: () => ({ slug: CART_SLUG, quantity: 1 }) },
  'PATCH /api/store/cart/items/:slug': { allow: 'everyone', path: () => `/api/store/cart/items/${CART_SLUG}`, body: () => ({ quantity: 1 }), prepare: lineInCart },
  'DELETE /api/store/cart/items/:slug': { allow: 'everyone', path: () => `/api/store/cart/items/${CART_SLUG}`, prepare: lineInCart },
  'POST /api/store/customers': { allow: 'everyone' },
  'POST /api/store/sessions': { allow: 'everyone', checksCredentials: true, body: () => ({ email: NOBODY, password: 'not the password' }) },
  'DELETE /api/store/sessions/current': { allow: CUSTOMERS, endsSession: true },
  'GET /api/store/me': { allow: CUSTOMERS, shows: { to: A, text: (w) => w.a.email } },
  'PATCH /api/store/me': { allow: CUSTOMERS, body: () => ({ name: 'Ada Lovelace' }) },
  'GET /api/store/checkout/options': { allow: 'everyone' },
  'POST /api/store/checkout': { allow: 'everyone' },
  'GET /api/store/orders': { allow: CUSTOMERS, shows: { to: A, text: (w) => w.a.orderNumber } },
  'GET /api/store/orders/:number': { allow: A, path: (w) => `/api/store/orders/${w.a.orderNumber}` },
  'GET /api/store/privacy/requests': { allow: CUSTOMERS, shows: { to: A, text: (w) => w.a.copyRequestId } },
  'POST /api/store/privacy/copies': { allow: CUSTOMERS },
  'GET /api/store/privacy/copies/:id': { allow: A, path: (w) => `/api/store/privacy/copies/${w.a.copyRequestId}` },
  'POST /api/store/privacy/erasure': { allow: CUSTOMERS, body: () => ({ password: 'not the password' }) },
  'POST /api/store/privacy/guest-requests': { allow: 'everyone', body: () => ({ email: NOBODY, kind: 'access' }) },
  'POST /api/store/privacy/guest-requests/:id/verification': {
    allow: 'pass',
    codeGate: true,
    path: (w) => `/api/store/privacy/guest-requests/${w.privacyRequestId}/verification`,
    body: () => ({ email: NOBODY, code: '000000' }),
    pass: async (w) => {
      const { id, email, code } = await guestCode(w);
      return { path: `/api/store/privacy/guest-requests/${id}/verification`, body: { email, code } };
    },
  },

  // ── orders, checkout, returns ──
  'GET /account/orders': { allow: CUSTOMERS, shows: { to: A, text: (w) => w.a.orderNumber } },
  'GET /account/orders/:number': { allow: A, path: (w) => `/account/orders/${w.a.orderNumber}` },
  'GET /orders/lookup': { allow: 'everyone' },
  'POST /orders/lookup': { allow: 'everyone', body: () => ({ number: 'P100001', email: NOBODY }) },
  'GET /orders/access/:token': {
    allow: 'pass',
    path: byToken('/orders/access'),
    // The look-up job's work, done here.
    pass: async (w) => {
      w.shop.clock.advance(1);
      await sendOrderLink(shopContext(w.shop.runtime), w.guest.orderId);
      return { path: await linkFrom(w.shop, w.guest.email, /\/orders\/access\//) };
    },
  },
  'GET /orders/:number': { allow: 'pass', path: (w) => `/orders/${w.guest.orderNumber}`, pass: passes.order },
  'GET /checkout': { allow: 'everyone' },
  'POST /checkout': { allow: 'everyone' },
  'GET /checkout/pay/:number': { allow: A, path: (w) => `/checkout/pay/${w.a.orderNumber}` },
  'GET /checkout/pay/:number/review': { allow: A, path: (w) => `/checkout/pay/${w.a.orderNumber}/review` },
  'POST /checkout/pay/:number': { allow: A, path: (w) => `/checkout/pay/${w.a.orderNumber}` },
  'POST /testpay/tokens': { allow: 'everyone' },
  'GET /account/orders/:number/return': { allow: A, path: (w) => `/account/orders/${w.a.orderNumber}/return` },
  'POST /account/orders/:number/return': { allow: A, path: (w) => `/account/orders/${w.a.orderNumber}/return` },
  'GET /orders/:number/return': { allow: 'pass', path: (w) => `/orders/${w.guest.orderNumber}/return`, pass: passes.order },
  'POST /orders/:number/return': { allow: 'pass', path: (w) => `/orders/${w.guest.orderNumber}/return`, pass: passes.order },
  'GET /admin/returns': { allow: SUPPORT, shows: { to: SUPPORT, text: (w) => w.a.orderNumber } },
  'GET /admin/returns/:id': { allow: SUPPORT, path: (w) => `/admin/returns/${w.a.returnId}` },
  'POST /admin/returns/:id/approve': { allow: SUPPORT, path: (w) => `/admin/returns/${w.a.returnId}/approve` },
  'POST /admin/returns/:id/reject': { allow: SUPPORT, path: (w) => `/admin/returns/${w.a.returnId}/reject` },
  'POST /admin/returns/:id/receive': { allow: SUPPORT, path: (w) => `/admin/returns/${w.a.returnId}/receive` },
  'POST /admin/returns/:id/refund': { allow: SUPPORT, path: (w) => `/admin/returns/${w.a.returnId}/refund` },

  // ── the administrator's back office ──
  'GET /admin/products': { allow: ADMIN },
  'GET /admin/products/new': { allow: ADMIN },
  'POST /admin/products': { allow: ADMIN },
  'GET /admin/products/:id': { allow: ADMIN, path: (w) => `/admin/products/${w.adminProductId}` },
  'POST /admin/products/:id': { allow: ADMIN, path: (w) => `/admin/products/${w.adminProductId}` },
  'POST /admin/products/:id/archive': { allow: ADMIN, path: (w) => `/admin/products/${w.adminProductId}/archive` },
  'POST /admin/products/:id/unarchive': { allow: ADMIN, path: (w) => `/admin/products/${w.adminProductId}/unarchive` },
  'POST /admin/products/:id/image': { allow: ADMIN, path: (w) => `/admin/products/${w.adminProductId}/image` },
  'POST /admin/products/:id/image/remove': { allow: ADMIN, path: (w) => `/admin/products/${w.adminProductId}/image/remove` },
  'POST /admin/products/:id/stock': { allow: ADMIN, path: (w) => `/admin/products/${w.adminProductId}/stock` },
  'GET /admin/shipping': { allow: ADMIN },
  'GET /admin/shipping/new': { allow: ADMIN },
  'POST /admin/shipping': { allow: ADMIN },
  'GET /admin/shipping/:code': { allow: ADMIN, path: () => '/admin/shipping/standard' },
  'POST /admin/shipping/:code': { allow: ADMIN, path: () => '/admin/shipping/standard' },
  'GET /admin/tax': { allow: ADMIN },
  'POST /admin/tax': { allow: ADMIN },
  'POST /admin/tax/:country': { allow: ADMIN, path: () => '/admin/tax/US' },

  // ── fulfilment and support ──
  'GET /admin/fulfilment': { allow: FULFILMENT },
  'GET /admin/fulfilment/:number': { allow: FULFILMENT, path: (w) => `/admin/fulfilment/${w.a.orderNumber}` },
  'POST /admin/fulfilment/:number/pack': { allow: FULFILMENT, path: (w) => `/admin/fulfilment/${w.a.orderNumber}/pack` },
  'POST /admin/fulfilment/:number/ship': { allow: FULFILMENT, path: (w) => `/admin/fulfilment/${w.a.orderNumber}/ship` },
  'POST /admin/fulfilment/:number/deliver': { allow: FULFILMENT, path: (w) => `/admin/fulfilment/${w.a.orderNumber}/deliver` },
  'POST /admin/fulfilment/:number/cancel': { allow: FULFILMENT, path: (w) => `/admin/fulfilment/${w.a.orderNumber}/cancel` },
  'POST /admin/fulfilment/:number/refund': { allow: FULFILMENT, path: (w) => `/admin/fulfilment/${w.a.orderNumber}/refund` },
  'GET /admin/orders': { allow: SUPPORT, path: (w) => `/admin/orders?number=${w.a.orderNumber}` },
  'GET /admin/orders/:number': { allow: SUPPORT, path: (w) => `/admin/orders/${w.a.orderNumber}` },
  'POST /admin/orders/:number/contact': { allow: SUPPORT, path: (w) => `/admin/orders/${w.a.orderNumber}/contact`, body: () => ({ purpose: 'customer_support' }), shows: { to: SUPPORT, text: () => 'Grace Hopper' } },

  // ── the privacy center and the privacy officer ──
  'GET /privacy-center': { allow: 'everyone' },
  'GET /privacy-center/export-format': { allow: 'everyone' },
  'GET /privacy-center/export-format.json': { allow: 'everyone' },
  'POST /privacy-center/copy': { allow: CUSTOMERS },
  'POST /privacy-center/marketing': { allow: CUSTOMERS },
  'POST /privacy-center/erase': { allow: CUSTOMERS, body: () => ({ password: 'not the password', confirm: 'yes' }) },
  'POST /privacy-center/guest': { allow: 'everyone', body: () => ({ email: NOBODY, kind: 'access' }) },
  'POST /privacy-center/guest/:id': { allow: 'pass', codeGate: true, path: (w) => `/privacy-center/guest/${w.privacyRequestId}`, body: () => ({ email: NOBODY, code: '000000' }), pass: passes.code },
  'GET /privacy-center/copy/:token': { allow: 'pass', path: byToken('/privacy-center/copy'), pass: passes.copy },
  'POST /privacy-center/copy/:token': { allow: 'pass', path: byToken('/privacy-center/copy'), pass: passes.copy, body: () => ({ format: 'json' }) },
  'GET /admin/privacy': { allow: OFFICER },
  'GET /admin/privacy/:id': { allow: OFFICER, path: (w) => `/admin/privacy/${w.privacyRequestId}` },
  'POST /admin/privacy/:id/run': { allow: OFFICER, path: (w) => `/admin/privacy/${w.privacyRequestId}/run` },
  'POST /admin/privacy/:id/refuse': { allow: OFFICER, path: (w) => `/admin/privacy/${w.privacyRequestId}/refuse` },
  'POST /admin/privacy/:id/pause': { allow: OFFICER, path: (w) => `/admin/privacy/${w.privacyRequestId}/pause` },
  'POST /admin/privacy/:id/resume': { allow: OFFICER, path: (w) => `/admin/privacy/${w.privacyRequestId}/resume` },
  'POST /admin/privacy/:id/extend': { allow: OFFICER, path: (w) => `/admin/privacy/${w.privacyRequestId}/extend` },
  'GET /admin/privacy/minors': { allow: ['support', 'privacy_officer'] },
  'POST /admin/privacy/minors': { allow: ['support', 'privacy_officer'] },
  'GET /admin/privacy/retention': { allow: OFFICER },
  'POST /admin/privacy/retention/sweep': { allow: OFFICER },
  'GET /admin/privacy/holds': { allow: OFFICER },
  'POST /admin/privacy/holds': { allow: OFFICER },
  'POST /admin/privacy/holds/:id/release': { allow: OFFICER, path: (w) => `/admin/privacy/holds/${w.holdId}/release` },
  'GET /admin/conformance': { allow: OFFICER },
  'POST /admin/conformance/run': { allow: OFFICER },
  'GET /admin/incidents': { allow: OFFICER },
  'POST /admin/incidents': { allow: OFFICER },
  'GET /admin/incidents/:id': { allow: OFFICER, path: (w) => `/admin/incidents/${w.incidentId}` },
  'POST /admin/incidents/:id/advance': { allow: OFFICER, path: (w) => `/admin/incidents/${w.incidentId}/advance` },
  'POST /admin/incidents/:id/affected': { allow: OFFICER, path: (w) => `/admin/incidents/${w.incidentId}/affected` },
  'POST /admin/incidents/:id/subjects': { allow: OFFICER, path: (w) => `/admin/incidents/${w.incidentId}/subjects` },
  'GET /admin/incidents/:id/notices': { allow: OFFICER, path: (w) => `/admin/incidents/${w.incidentId}/notices` },
  'POST /admin/incidents/:id/notices': { allow: OFFICER, path: (w) => `/admin/incidents/${w.incidentId}/notices` },
  'GET /admin/incidents/:id/report': { allow: OFFICER, path: (w) => `/admin/incidents/${w.incidentId}/report` },
  'GET /admin/security': { allow: OFFICER },
  'GET /admin/security/:id': { allow: OFFICER, path: (w) => `/admin/security/${w.alertId}` },
  'POST /admin/security/:id/acknowledge': { allow: OFFICER, path: (w) => `/admin/security/${w.alertId}/acknowledge` },
  'POST /admin/security/:id/dismiss': { allow: OFFICER, path: (w) => `/admin/security/${w.alertId}/dismiss` },

  // ── customer service ──
  'GET /contact': { allow: 'everyone' },
  'POST /contact': { allow: 'everyone' },
  'GET /account/tickets': { allow: CUSTOMERS, shows: { to: A, text: (w) => w.a.ticket } },
  'GET /tickets/access/:token': {
    allow: 'pass',
    path: byToken('/tickets/access'),
    pass: async (w) => {
      w.shop.clock.advance(1);
      const replied = await send(w, { method: 'POST', url: `/admin/support/tickets/${w.guest.ticket}/reply`, cookie: w.cookies.support, body: { message: 'We are looking into it.' } });
      assert.equal(replied.statusCode, 303, 'support replied');
      return { path: await linkFrom(w.shop, w.guest.email, /\/tickets\/access\//) };
    },
  },
  'GET /account/tickets/:reference': { allow: A, path: (w) => `/account/tickets/${w.a.ticket}`, shows: { to: A, text: () => MARKS.ticket } },
  'POST /account/tickets/:reference/reply': { allow: A, path: (w) => `/account/tickets/${w.a.ticket}/reply`, body: () => ({ message: 'Thank you.' }) },
  'GET /tickets/:reference': { allow: 'pass', path: (w) => `/tickets/${w.guest.ticket}`, pass: passes.ticket },
  'POST /tickets/:reference/reply': { allow: 'pass', path: (w) => `/tickets/${w.guest.ticket}/reply`, pass: passes.ticket, body: () => ({ message: 'Thank you.' }) },
  'GET /admin/support/tickets': { allow: ['support', 'privacy_officer'] },
  // A's ticket is an order question: support's desk, not the privacy officer's.
  'GET /admin/support/tickets/:reference': { allow: SUPPORT, path: (w) => `/admin/support/tickets/${w.a.ticket}`, shows: { to: SUPPORT, text: () => MARKS.ticket } },
  'POST /admin/support/tickets/:reference/contact': { allow: SUPPORT, path: (w) => `/admin/support/tickets/${w.a.ticket}/contact` },
  'POST /admin/support/tickets/:reference/reply': { allow: SUPPORT, path: (w) => `/admin/support/tickets/${w.a.ticket}/reply` },
  'POST /admin/support/tickets/:reference/note': { allow: SUPPORT, path: (w) => `/admin/support/tickets/${w.a.ticket}/note` },
  'POST /admin/support/tickets/:reference/assign': { allow: SUPPORT, path: (w) => `/admin/support/tickets/${w.a.ticket}/assign` },
  'POST /admin/support/tickets/:reference/close': { allow: SUPPORT, path: (w) => `/admin/support/tickets/${w.a.ticket}/close` },
  'POST /admin/support/tickets/:reference/reopen': { allow: SUPPORT, path: (w) => `/admin/support/tickets/${w.a.ticket}/reopen` },
};

/** The served routes the table does not cover, and the table's entries the app no longer serves. */
export function tableGaps(served: readonly string[]): { missing: string[]; stale: string[] } {
  return { missing: served.filter((r) => !(r in ROUTE_TABLE)).sort(), stale: Object.keys(ROUTE_TABLE).filter((r) => !served.includes(r)).sort() };
}

export const isAllowed = (gate: Gate, actor: ActorName) => gate === 'everyone' || (gate !== 'pass' && gate.includes(actor));

/** The request for route `key` as `actor`, with its case's address, body and preparation; `pass` opens a pass route. */
export async function requestFor(w: World, key: string, actor: ActorName, pass?: Pass): Promise<Call> {
  const entry = ROUTE_TABLE[key]!;
  const [method, pattern] = key.split(' ') as [string, string];
  const prepared = await entry.prepare?.(w, actor);
  const session = entry.endsSession ? await w.freshCookie(actor) : w.cookies[actor];
  const url = pass?.path ?? (entry.path ? await entry.path(w) : pattern);
  return { method, url, cookie: [session, prepared, pass?.cookie].filter(Boolean).join('; '), body: pass?.body ?? entry.body?.(w) ?? {}, headers: pass?.headers ?? {} };
}

export async function askAs(w: World, key: string, actor: ActorName, pass?: Pass) {
  return send(w, await requestFor(w, key, actor, pass));
}

/** The gate said no: sent to sign in, 401, 403, or the same 404 (or 410) as for something that does not exist. */
export function refused(entry: RouteCase, response: { statusCode: number; headers: Record<string, unknown> }): boolean {
  const { statusCode } = response;
  // Signing out sends the browser to sign in again: that is the route's answer, not its refusal.
  if (statusCode === 303 && /^\/(account|admin)\/login$/.test(String(response.headers.location ?? ''))) return !entry.endsSession;
  if (statusCode === 401) return !entry.checksCredentials;
  if (statusCode === 400) return entry.codeGate === true;
  return statusCode === 403 || statusCode === 404 || statusCode === 410;
}
