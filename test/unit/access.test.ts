import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import {
  AccessDenied,
  assertMayRead,
  assertMayReadField,
  FIELD_VIEWS,
  FIELDS,
  mayRead,
  requireAccess,
  ROLE_GRANTS,
  ROLES,
  viewFor,
  type Actor,
  type Role,
} from '../../src/privacy/access.ts';
import { installErrorHandling } from '../../src/platform/http/errors.ts';
import { CATEGORIES, PURPOSES, purposeAllowed, type Category, type Purpose } from '../../src/privacy/inventory.ts';

const staff = (...roles: Role[]): Actor => ({ kind: 'staff', staffId: 'staff-1', roles });
const categories = Object.keys(CATEGORIES) as Category[];
const purposes = Object.keys(PURPOSES) as Purpose[];

const order = {
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  phone: '+1 555 0199',
  recipientName: 'Ada Lovelace',
  shippingAddress: '12 St James Square, London',
  orderNumber: '1001',
  items: [{ sku: 'LIP-01', quantity: 2 }],
  paymentToken: 'tok_visa_4242',
  cardBrand: 'visa',
  cardLast4: '4242',
};

test('a fulfilment user may read the parcel fields for delivery but never an e-mail address', () => {
  for (const field of ['recipientName', 'shippingAddress', 'phone', 'items'] as const) assertMayReadField(staff('fulfilment'), field, 'delivery');
  assert.throws(() => assertMayReadField(staff('fulfilment'), 'email', 'delivery'), (error: unknown) => {
    assert.ok(error instanceof AccessDenied);
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 'access_denied');
    assert.match(error.message, /email/);
    return true;
  });
  assert.throws(() => assertMayReadField(staff('fulfilment'), 'recipientName', 'customer_support'), AccessDenied);
});

test('support reads contact details for a ticket, but never a payment token', () => {
  assert.ok(mayRead(staff('support'), 'account_contact', 'customer_support'));
  assert.ok(mayRead(staff('support'), 'customer_service_record', 'after_sales'));
  assertMayReadField(staff('support'), 'email', 'customer_support');
  for (const purpose of purposes) assert.equal(mayRead(staff('support'), 'payment_token', purpose), false, purpose);
  assert.throws(() => assertMayRead(staff('support'), 'payment_token', 'after_sales'), AccessDenied);
  assert.throws(() => assertMayReadField(staff('support'), 'cardLast4', 'after_sales'), AccessDenied);
  assert.equal(mayRead(staff('support'), 'account_contact', 'marketing_with_consent'), false);
});

test('admin reads no personal category for any purpose', () => {
  for (const category of categories) {
    for (const purpose of purposes) assert.equal(mayRead(staff('admin'), category, purpose), false, `${category} for ${purpose}`);
  }
  assert.deepEqual(viewFor(staff('admin'), order), {});
});

test('the privacy officer reads every category the inventory allows for legal obligations, nothing for marketing', () => {
  for (const category of categories) {
    assert.equal(mayRead(staff('privacy_officer'), category, 'legal_obligation'), purposeAllowed(category, 'legal_obligation'), category);
    assert.equal(mayRead(staff('privacy_officer'), category, 'marketing_with_consent'), false, category);
  }
});

test('a purpose outside a category’s list is refused for everyone, even a customer reading their own data', () => {
  const everyone: Actor[] = [{ kind: 'customer', customerId: 'c-1' }, { kind: 'system', job: 'deliver-mail' }, ...ROLES.map((role) => staff(role)), staff(...ROLES)];
  for (const actor of everyone) {
    assert.equal(mayRead(actor, 'payment_token', 'marketing_with_consent'), false);
    assert.equal(mayRead(actor, 'browsing_data', 'customer_support'), false);
    assert.throws(() => assertMayRead(actor, 'delivery_address', 'service_optimisation'), /delivery_address may not be used for service_optimisation/);
  }
  assert.ok(mayRead({ kind: 'customer', customerId: 'c-1' }, 'payment_token', 'order_processing'));
  assert.equal(mayRead({ kind: 'visitor' }, 'account_contact', 'order_processing'), false);
});

test('no role’s grants or field view reach beyond what the inventory allows', () => {
  for (const role of ROLES) {
    const { categories: granted, purposes: grantedPurposes } = ROLE_GRANTS[role];
    for (const field of FIELD_VIEWS[role]) assert.ok(granted.includes(FIELDS[field]), `${role} is shown ${field} outside its categories`);
    for (const purpose of grantedPurposes) assert.ok(granted.some((category) => purposeAllowed(category, purpose)), `${role}: ${purpose} serves none of its categories`);
  }
});

test('viewFor keeps only the fields the actor’s roles may see', () => {
  assert.deepEqual(viewFor(staff('fulfilment'), order), {
    phone: order.phone,
    recipientName: order.recipientName,
    shippingAddress: order.shippingAddress,
    orderNumber: order.orderNumber,
    items: order.items,
  });
  const support = viewFor(staff('support'), order);
  assert.equal(support.email, order.email);
  assert.equal('paymentToken' in support || 'cardLast4' in support || 'cardBrand' in support, false);
  const both = viewFor(staff('fulfilment', 'support'), order);
  assert.equal(both.email, order.email, 'roles add up');
  assert.deepEqual(viewFor({ kind: 'customer', customerId: 'c-1' }, order), order);
  assert.deepEqual(viewFor({ kind: 'visitor' }, order), {});
});

test('requireAccess answers 403 for a wrong role or no staff session, and passes the right one', async () => {
  // Staff sessions do not exist yet: the test's actor lookup reads a header.
  const getActor = (request: { headers: Record<string, string | string[] | undefined> }): Actor => {
    const roles = request.headers['x-test-roles'];
    if (typeof roles === 'string') return staff(...(roles.split(',').filter(Boolean) as Role[]));
    const customer = request.headers['x-test-customer'];
    return typeof customer === 'string' ? { kind: 'customer', customerId: customer } : { kind: 'visitor' };
  };
  const app = Fastify();
  installErrorHandling(app, { page: ({ title }) => `<h1>${title}</h1>` }, false); // the shop's own error pages
  app.get('/admin/orders/:number/parcel', { preHandler: requireAccess({ allow: ['fulfilment'], purpose: 'delivery' }, getActor) }, async () => ({ shown: true }));
  app.get('/account', { preHandler: requireAccess({ allow: 'customer' }, getActor) }, async () => ({ shown: true }));
  app.get('/catalog', { preHandler: requireAccess({ allow: 'public' }, getActor) }, async () => ({ shown: true }));
  try {
    const get = (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers: { accept: 'application/json', ...headers } });
    const parcel = '/admin/orders/1001/parcel';
    assert.equal((await get(parcel, { 'x-test-roles': 'fulfilment' })).statusCode, 200);
    const wrongRole = await get(parcel, { 'x-test-roles': 'admin,support' });
    assert.equal(wrongRole.statusCode, 403);
    assert.deepEqual(wrongRole.json(), { error: { code: 'access_denied', message: 'this page is for staff with the role fulfilment' } });
    const page = await app.inject({ url: parcel, headers: { accept: 'text/html', 'x-test-roles': 'support' } });
    assert.equal(page.statusCode, 403);
    assert.match(page.body, /Not allowed/);
    assert.equal((await get(parcel, { 'x-test-customer': 'c-1' })).statusCode, 403);
    assert.equal((await get(parcel)).statusCode, 403);
    assert.equal((await get('/account', { 'x-test-customer': 'c-1' })).statusCode, 200);
    assert.equal((await get('/account', { 'x-test-roles': 'privacy_officer' })).statusCode, 403);
    assert.equal((await get('/catalog')).statusCode, 200);
  } finally {
    await app.close();
  }
});

test('a route declaring a purpose none of its roles may use is refused when it is declared', () => {
  const nobody = () => ({ kind: 'visitor' }) as const;
  assert.throws(() => requireAccess({ allow: ['admin'], purpose: 'customer_support' }, nobody), /none of admin may act for customer_support/);
  assert.throws(() => requireAccess({ allow: [] }, nobody), /names no role/);
});

test('the CLI lists the same staff roles as the access rules', async () => {
  const { STAFF_ROLES } = await import('../../src/cli.ts');
  const { ROLES } = await import('../../src/privacy/access.ts');
  assert.deepEqual([...STAFF_ROLES], [...ROLES]);
});
