import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { addItem, type CartOwner } from '../../src/shop/cart/service.ts';
import { payOrder, placeOrder } from '../../src/shop/checkout/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { cardSchema } from '../../src/shop/payments/testpay/service.ts';
import { customerDetails, signedInStaff, type StaffClient } from '../support/backoffice.ts';
import { signedInCustomer, type SignedInCustomer } from '../support/customers.ts';
import { forEachDatabase } from '../support/databases.ts';
import { startTestShop, type TestShop } from '../support/shop.ts';

// No N+1 queries (issue 5): every page that lists things is asked for with one thing and with five, and must send
// the same number of statements both times, within a stated budget. A page that looked each line up on its own
// would grow with the list and fail here.

const PRODUCTS = ['gentle-oat-cleanser', 'hyaluronic-water-gel', 'ceramide-barrier-cream', 'niacinamide-clarifying-toner', 'peptide-eye-cream'];

/** Pages to measure: what each costs with one thing and with five, and the most it may cost. */
const BUDGETS = {
  cart: 2,
  checkout: 3,
  payPage: 7,
  customerOrder: 8,
  customerOrders: 2,
  // The audited read: the order, its lines and events, whether it is held for a legal obligation only, and the
  // audit chain's lock, head and new event.
  fulfilmentOrder: 15,
  fulfilmentQueue: 5,
  apiOrders: 2,
  // A guest's whole order through the store API: placing it (cart, lines, stock, key, order, job), TestPay's charge,
  // and recording the payment with its disclosure, event, confirmation e-mail and job; the answer reads nothing more.
  // 26 statements, and on PostgreSQL the begin and commit of its three transactions.
  apiCheckout: 32,
} as const;

forEachDatabase('query budget', (kind) => {
  let shop: TestShop;
  let customer: SignedInCustomer;
  let fulfilment: StaffClient;
  before(async () => {
    shop = await startTestShop(kind, { env: { PLEDGE_FORM_RATE_LIMIT: '100000' } });
    customer = await signedInCustomer(shop, 'Katherine Johnson', `katherine.${randomUUID().slice(0, 6)}@example.com`);
    fulfilment = await signedInStaff(shop, ['fulfilment']);
  });
  after(() => shop.stop());

  const ctx = () => shopContext(shop.runtime);

  async function statements(url: string, cookie: string): Promise<number> {
    const before = shop.database.queries.count;
    const response = await shop.app.inject({ url, headers: { cookie } });
    assert.equal(response.statusCode, 200, `${url}: ${response.body.slice(0, 300)}`);
    return shop.database.queries.count - before;
  }

  async function fill(owner: CartOwner, lines: number): Promise<string | undefined> {
    let token = 'visitorToken' in owner ? owner.visitorToken : undefined;
    for (const slug of PRODUCTS.slice(0, lines)) {
      const added = await addItem(ctx(), token ? { visitorToken: token } : owner, { slug, quantity: 1 });
      assert.ok(added.ok);
      token = added.visitorToken ?? token;
    }
    return token;
  }

  async function customerOrder(lines: number, pay = true): Promise<string> {
    await fill({ customerId: customer.customerId }, lines);
    const placed = await placeOrder(ctx(), { customerId: customer.customerId }, customerDetails(customer.email), { checkoutKey: randomUUID() });
    assert.ok(placed.ok);
    if (pay) {
      const card = cardSchema(shop.clock.now()).parse({ number: '4242424242424242', expMonth: '12', expYear: '2040', cvc: '123' });
      assert.ok((await payOrder(ctx(), placed.orderId, ctx().payments.tokenize(card).token)).ok);
    }
    return placed.number;
  }

  /** Measures `page` for one thing and for five; both must cost the same, within the budget. */
  async function holds(name: keyof typeof BUDGETS, measure: (count: 1 | 5) => Promise<number>) {
    const one = await measure(1);
    const five = await measure(5);
    assert.equal(five, one, `${name}: ${one} statements for one, ${five} for five`);
    assert.ok(one <= BUDGETS[name], `${name}: ${one} statements, budget ${BUDGETS[name]}`);
  }

  test('the cart and checkout pages cost the same for one line as for five', async () => {
    for (const page of ['/cart', '/checkout'] as const) {
      await holds(page === '/cart' ? 'cart' : 'checkout', async (count) => {
        const token = await fill({ visitorToken: undefined }, count);
        return statements(page, `pledge_cart=${token}`);
      });
    }
  });

  test('the pay page and the customer’s order page cost the same for one line as for five', async () => {
    await holds('payPage', async (count) => statements(`/checkout/pay/${await customerOrder(count, false)}`, customer.cookie));
    await holds('customerOrder', async (count) => statements(`/account/orders/${await customerOrder(count)}`, customer.cookie));
  });

  test('a store API checkout stays within its budget', async () => {
    const added = await shop.app.inject({ method: 'POST', url: '/api/store/cart/items', payload: { slug: PRODUCTS[0], quantity: 1 } });
    assert.equal(added.statusCode, 201, added.body);
    const card = cardSchema(shop.clock.now()).parse({ number: '4242424242424242', expMonth: '12', expYear: '2040', cvc: '123' });
    const before = shop.database.queries.count;
    const response = await shop.app.inject({
      method: 'POST',
      url: '/api/store/checkout',
      headers: { 'x-cart-token': String(added.headers['x-cart-token']), 'idempotency-key': randomUUID() },
      payload: { ...customerDetails('guest@example.com'), cardToken: ctx().payments.tokenize(card).token },
    });
    assert.equal(response.statusCode, 201, response.body);
    const sent = shop.database.queries.count - before;
    assert.ok(sent <= BUDGETS.apiCheckout, `store API checkout: ${sent} statements, budget ${BUDGETS.apiCheckout}`);
  });

  test('order lists cost the same for one order as for five more', async () => {
    // Each measurement adds orders to the customer's history; the second has five more than the first.
    const measureList = (url: string) => async (count: 1 | 5) => {
      for (let i = 0; i < count; i++) await customerOrder(1);
      return statements(url, customer.cookie);
    };
    await holds('customerOrders', measureList('/account/orders'));
    await holds('apiOrders', measureList('/api/store/orders'));
    await holds('fulfilmentQueue', async (count) => {
      for (let i = 0; i < count; i++) await customerOrder(2);
      return statements('/admin/fulfilment', fulfilment.cookie);
    });
    await holds('fulfilmentOrder', async (count) => statements(`/admin/fulfilment/${await customerOrder(count)}`, fulfilment.cookie));
  });
});
