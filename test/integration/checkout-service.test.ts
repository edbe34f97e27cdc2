import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { startTestShop, type TestShop } from '../support/shop.ts';
import { forEachDatabase } from '../support/databases.ts';
import { addItem } from '../../src/shop/cart/service.ts';
import { catalogVersion, products } from '../../src/shop/catalog/schema.ts';
import { archiveProduct } from '../../src/shop/catalog/service.ts';
import { expireUnpaidOrder, payOrder, placeOrder, type CheckoutDetails } from '../../src/shop/checkout/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { orderForSubject } from '../../src/shop/orders/service.ts';
import { payments, testpayCharges } from '../../src/shop/payments/schema.ts';
import { cardSchema } from '../../src/shop/payments/testpay/service.ts';

// The checkout services without HTTP: stock races, idempotent placing and paying, declines, expiry.

const details: CheckoutDetails = {
  email: 'ada@example.com',
  address: { recipientName: 'Ada Lovelace', line1: '1 Market St', line2: undefined, city: 'San Francisco', region: 'CA', postcode: '94105', country: 'US', phone: '+1 555 0100' },
  shippingOption: 'standard',
};

forEachDatabase('checkout service', (kind) => {
  let shop: TestShop;
  before(async () => {
    shop = await startTestShop(kind);
  });
  after(() => shop.stop());

  const ctx = () => shopContext(shop.runtime);
  const visitorWith = async (slug: string, quantity: number) => {
    const added = await addItem(ctx(), { visitorToken: undefined }, { slug, quantity });
    assert.ok(added.ok);
    return { visitorToken: added.visitorToken };
  };
  const card = (number: string) => ctx().payments.tokenize(cardSchema(shop.clock.now()).parse({ number, expMonth: '12', expYear: '2030', cvc: '123' })).token;
  const setStock = (slug: string, stock: number) => shop.database.db.update(products).set({ stock }).where(eq(products.slug, slug));

  test('two buyers of the last item: exactly one order, and the stock never goes negative', async () => {
    await setStock('gentle-oat-cleanser', 1);
    const buyers = [await visitorWith('gentle-oat-cleanser', 1), await visitorWith('gentle-oat-cleanser', 1)];
    const results = await Promise.all(buyers.map((owner) => placeOrder(ctx(), owner, details, { checkoutKey: randomUUID() })));
    assert.equal(results.filter((r) => r.ok).length, 1);
    const refused = results.find((r) => !r.ok);
    assert.ok(refused && !refused.ok && refused.problems[0]!.code === 'stock');
    const [product] = await shop.database.db.select().from(products).where(eq(products.slug, 'gentle-oat-cleanser'));
    assert.equal(product!.stock, 0);
  });

  test('the same checkout key twice is one order; paying twice with one token is one charge', async () => {
    await setStock('hyaluronic-water-gel', 50);
    const owner = await visitorWith('hyaluronic-water-gel', 2);
    const key = randomUUID();
    const [first, second] = await Promise.all([placeOrder(ctx(), owner, details, { checkoutKey: key }), placeOrder(ctx(), owner, details, { checkoutKey: key })]);
    assert.ok(first.ok && second.ok);
    assert.equal(first.orderId, second.orderId);
    const token = card('4242 4242 4242 4242');
    const paid = await Promise.all([payOrder(ctx(), first.orderId, token), payOrder(ctx(), first.orderId, token)]);
    assert.ok(paid.every((p) => p.ok));
    const charges = await shop.database.db.select().from(testpayCharges).where(eq(testpayCharges.reference, first.orderId));
    assert.equal(charges.length, 1);
    const recorded = await shop.database.db.select().from(payments).where(eq(payments.orderId, first.orderId));
    assert.equal(recorded.length, 1);
    const detail = await orderForSubject(ctx(), first.orderId);
    assert.equal(detail!.order.status, 'paid');
    assert.deepEqual(detail!.card, { brand: 'Visa', last4: '4242' });
    assert.equal(detail!.contact.email, 'ada@example.com');
    assert.equal(detail!.order.totalCents, detail!.order.subtotalCents + detail!.order.shippingCents + detail!.order.taxCents);
  });

  test('a declined card leaves the order payable; another card then pays it', async () => {
    const owner = await visitorWith('hyaluronic-water-gel', 1);
    const placed = await placeOrder(ctx(), owner, details, { checkoutKey: randomUUID() });
    assert.ok(placed.ok);
    const declined = await payOrder(ctx(), placed.orderId, card('4000 0000 0000 0002'));
    assert.ok(!declined.ok && declined.code === 'declined');
    const [order] = await shop.database.db.select().from(orders).where(eq(orders.id, placed.orderId));
    assert.equal(order!.status, 'placed');
    assert.ok((await payOrder(ctx(), placed.orderId, card('4242424242424242'))).ok);
  });

  test('two cards paying one order at once: one payment is kept, the other charge is refunded', async () => {
    const placed = await placeOrder(ctx(), await visitorWith('hyaluronic-water-gel', 1), details, { checkoutKey: randomUUID() });
    assert.ok(placed.ok);
    const results = await Promise.all([payOrder(ctx(), placed.orderId, card('4242424242424242')), payOrder(ctx(), placed.orderId, card('5555 5555 5555 4444'))]);
    assert.ok(results.every((r) => r.ok), 'both buyers see a paid order');
    const charges = await shop.database.db.select().from(testpayCharges).where(eq(testpayCharges.reference, placed.orderId));
    const kept = await shop.database.db.select().from(payments).where(eq(payments.orderId, placed.orderId));
    assert.equal(kept.length, 1);
    const refunded = charges.filter((c) => c.refundedCents > 0);
    assert.equal(refunded.length, charges.length - 1, 'every charge but the recorded one is refunded in full');
    for (const c of refunded) assert.equal(c.refundedCents, c.amountCents);
  });

  test('a changed price refuses the order and writes nothing', async () => {
    const owner = await visitorWith('hyaluronic-water-gel', 1);
    const before = await shop.database.db.select().from(orders);
    const placed = await placeOrder(ctx(), owner, details, { checkoutKey: randomUUID(), expectedSubtotalCents: 1 });
    assert.ok(!placed.ok && placed.problems.some((p) => p.code === 'price_changed'));
    assert.equal((await shop.database.db.select().from(orders)).length, before.length);
  });

  test('a sale changes the catalogue version only when the stock note on the page changes', async () => {
    const version = async () => (await shop.database.db.select().from(catalogVersion))[0]!.version;
    await setStock('hyaluronic-water-gel', 40);
    const start = await version();
    const owner = await visitorWith('hyaluronic-water-gel', 2);
    assert.ok((await placeOrder(ctx(), owner, details, { checkoutKey: randomUUID() })).ok);
    assert.equal(await version(), start, '40 → 38 still reads "In stock": cached pages stay');
    await setStock('hyaluronic-water-gel', 10);
    const atTen = await version();
    assert.ok((await placeOrder(ctx(), await visitorWith('hyaluronic-water-gel', 1), details, { checkoutKey: randomUUID() })).ok);
    assert.ok((await version()) > atTen, '10 → 9 reads "Only 9 left": cached pages are rebuilt');
  });

  test('a product withdrawn from sale after it was added refuses the order instead of dropping the line', async () => {
    const owner = await visitorWith('peptide-eye-cream', 1);
    await archiveProduct(ctx(), 'peptide-eye-cream');
    const placed = await placeOrder(ctx(), owner, details, { checkoutKey: randomUUID() });
    assert.ok(!placed.ok);
    assert.match(placed.problems.map((p) => p.message).join(' '), /no longer sold/);
  });

  test('an unpaid order expires and its stock goes back', async () => {
    await setStock('hyaluronic-water-gel', 10);
    const owner = await visitorWith('hyaluronic-water-gel', 3);
    const placed = await placeOrder(ctx(), owner, details, { checkoutKey: randomUUID() });
    assert.ok(placed.ok);
    assert.equal(await expireUnpaidOrder(ctx(), placed.orderId), false, 'not before its pay-by time');
    shop.clock.advance(61 * 60 * 1000);
    assert.equal(await expireUnpaidOrder(ctx(), placed.orderId), true);
    const [product] = await shop.database.db.select().from(products).where(eq(products.slug, 'hyaluronic-water-gel'));
    assert.equal(product!.stock, 10);
    const result = await payOrder(ctx(), placed.orderId, card('4242424242424242'));
    assert.ok(!result.ok && result.code === 'not_payable');
  });
});
