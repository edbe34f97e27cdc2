import { createHash, randomUUID } from 'node:crypto';
import { and, asc, eq, gte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { inTransaction, type Tx } from '../../platform/db/index.ts';
import type { MailContext } from '../../platform/mail/service.ts';
import { tokenHash } from '../../platform/secrets.ts';
import { disclose } from '../../privacy/disclosure/service.ts';
import { blindIndex, createUnit, sealFields, type VaultContext } from '../../privacy/vault/service.ts';
import { lockCart, type CartOwner } from '../cart/service.ts';
import { cartItems, carts } from '../cart/schema.ts';
import { products } from '../catalog/schema.ts';
import { ShippingAddress } from '../orders/address.ts';
import { issueOrderPass, orderPlace, recordEvent, sendConfirmation, type OrderDetail } from '../orders/service.ts';
import { orderLines, orders, shippingOptions, taxRates, type Order } from '../orders/schema.ts';
import type { PaymentProvider } from '../payments/provider.ts';
import { payments } from '../payments/schema.ts';

// Checkout (seed 003 §2: name, e-mail, delivery address, payment information; nothing else). Placing an order is
// one transaction: the stock is taken with conditional updates (two buyers of the last item: one order), the lines
// and totals are fixed, the contact and delivery details are sealed under the new order's own key, and the cart is
// emptied. Paying is a second step, because the card goes to the provider first and comes back as a token.

export type CheckoutContext = VaultContext & MailContext & { payments: PaymentProvider; baseUrl: string; shopName: string };

export const CURRENCY = 'USD';
/** An order not paid within this time is cancelled and its stock goes back on sale. */
export const PAY_WITHIN_MS = 60 * 60 * 1000;
export const EXPIRE_UNPAID_JOB = 'orders.expire-unpaid';

export const CheckoutDetails = z.object({
  email: z.string().trim().pipe(z.email('Enter an e-mail address, like name@example.com').max(254, 'That address is too long')),
  address: ShippingAddress,
  shippingOption: z.string().trim().min(1, 'Choose a delivery option').max(40),
});
export type CheckoutDetails = z.output<typeof CheckoutDetails>;

export type CheckoutProblem = { code: 'empty_cart' | 'stock' | 'price_changed' | 'shipping_option' | 'country'; message: string; field?: string };

export type PlaceResult =
  | { ok: true; orderId: string; number: string; totalCents: number; passToken: string | undefined; repeated: boolean }
  | { ok: false; problems: CheckoutProblem[] };

export type ShippingChoice = typeof shippingOptions.$inferSelect & { costCents: number };

export async function shippingChoices(ctx: Pick<CheckoutContext, 'db'>, subtotalCents: number): Promise<ShippingChoice[]> {
  const rows = await ctx.db.select().from(shippingOptions).where(eq(shippingOptions.active, true)).orderBy(asc(shippingOptions.position));
  return rows.map((o) => ({ ...o, costCents: o.freeFromCents !== null && subtotalCents >= o.freeFromCents ? 0 : o.priceCents }));
}

export async function shippingCountries(ctx: Pick<CheckoutContext, 'db'>): Promise<(typeof taxRates.$inferSelect)[]> {
  return ctx.db.select().from(taxRates).orderBy(asc(taxRates.country));
}

/** Tax on goods and shipping, rounded half up to the cent. */
export function taxOn(amountCents: number, rateBasisPoints: number): number {
  return Math.floor((amountCents * rateBasisPoints + 5000) / 10000);
}

export type Totals = { subtotalCents: number; shippingCents: number; taxRateBasisPoints: number; taxCents: number; totalCents: number };

export function totalsFor(subtotalCents: number, shippingCents: number, taxRateBasisPoints: number): Totals {
  const taxCents = taxOn(subtotalCents + shippingCents, taxRateBasisPoints);
  return { subtotalCents, shippingCents, taxRateBasisPoints, taxCents, totalCents: subtotalCents + shippingCents + taxCents };
}

/** Thrown inside the placing transaction to roll everything back and answer the problems instead. */
class CheckoutRefused extends Error {
  readonly problems: CheckoutProblem[];
  constructor(problems: CheckoutProblem[]) {
    super('checkout refused');
    this.problems = problems;
  }
}

/**
 * `sessionPass: false` for a client that keeps no browser session (the store API): a guest's order then gets no
 * session pass, which only a browser could hold.
 */
type CheckoutForm = { checkoutKey: string; expectedSubtotalCents?: number | undefined; sessionPass?: boolean };

const wantsPass = (owner: CartOwner, form: CheckoutForm) => !('customerId' in owner) && form.sessionPass !== false;

const keyHash = (checkoutKey: string) => createHash('sha256').update(`checkout:${checkoutKey}`).digest();

/**
 * Places an order from the owner's cart. `checkoutKey` is the one-time key of the form the customer submitted: the
 * same key twice finds the first order (double submit). `expectedSubtotalCents` is the subtotal the customer was
 * shown; if prices changed since, nothing is placed and the customer is asked to look again.
 */
export async function placeOrder(
  ctx: CheckoutContext,
  owner: CartOwner,
  details: CheckoutDetails,
  form: CheckoutForm,
): Promise<PlaceResult> {
  try {
    return await inTransaction(ctx.db, async (tx) => {
      // The cart lock comes first: a concurrent submit of the same form waits here, then sees the order it placed.
      const cartId = await lockCart(tx, owner);
      const [earlier] = await tx.select({ id: orders.id, number: orders.number, totalCents: orders.totalCents }).from(orders).where(eq(orders.checkoutKey, keyHash(form.checkoutKey)));
      if (earlier) {
        const passToken = wantsPass(owner, form) ? await issueOrderPass(ctx, tx, earlier.id, 'session') : undefined;
        return { ok: true, orderId: earlier.id, number: earlier.number, totalCents: earlier.totalCents, passToken, repeated: true } as const;
      }
      return placeFromCart(ctx, tx, cartId, owner, details, form);
    });
  } catch (error) {
    if (error instanceof CheckoutRefused) return { ok: false, problems: error.problems };
    throw error;
  }
}

async function placeFromCart(
  ctx: CheckoutContext,
  tx: Tx,
  cartId: string | undefined,
  owner: CartOwner,
  details: CheckoutDetails,
  form: CheckoutForm,
): Promise<PlaceResult> {
  const lines = cartId
    ? await tx
        .select({
          productId: products.id,
          slug: products.slug,
          name: products.name,
          optionName: products.optionName,
          optionValue: products.optionValue,
          priceCents: products.priceCents,
          weightGrams: products.weightGrams,
          quantity: cartItems.quantity,
          archivedAt: products.archivedAt,
        })
        .from(cartItems)
        .innerJoin(products, eq(products.id, cartItems.productId))
        .where(eq(cartItems.cartId, cartId))
        .orderBy(asc(cartItems.addedAt), asc(products.id))
    : [];
  if (lines.length === 0) throw new CheckoutRefused([{ code: 'empty_cart', message: 'Your cart is empty.' }]);

  // The cart page warns about a product withdrawn from sale; checkout refuses it rather than dropping it unseen.
  const problems: CheckoutProblem[] = lines
    .filter((l) => l.archivedAt !== null)
    .map((l) => ({ code: 'stock', message: `${l.name} is no longer sold. Remove it from your cart to go on.` }));
  const subtotalCents = lines.reduce((sum, l) => sum + l.priceCents * l.quantity, 0);
  if (form.expectedSubtotalCents !== undefined && form.expectedSubtotalCents !== subtotalCents) {
    problems.push({ code: 'price_changed', message: 'Prices in your cart changed while you were checking out. Check the new total and place the order again.' });
  }
  const [option] = (await shippingChoices({ db: tx }, subtotalCents)).filter((o) => o.code === details.shippingOption);
  if (!option) problems.push({ code: 'shipping_option', field: 'shippingOption', message: 'Choose one of the delivery options shown.' });
  const [tax] = await tx.select().from(taxRates).where(eq(taxRates.country, details.address.country));
  if (!tax) problems.push({ code: 'country', field: 'country', message: 'We do not deliver to that country yet.' });

  if (problems.length > 0 || !option || !tax) throw new CheckoutRefused([...problems, ...(await takeStock(tx, lines))]);
  const now = ctx.clock.now();
  const totals = totalsFor(subtotalCents, option.costCents, tax.rateBasisPoints);
  const orderId = randomUUID();
  const vault = { ...ctx, db: tx };
  const unit = await createUnit(vault, 'order');
  const { recipientName, phone, ...postal } = details.address;
  const email = details.email;
  const place = (column: string) => orderPlace(orderId, column);
  const sealed = await sealFields(vault, unit, [
    { place: place('email'), value: email },
    { place: place('recipient_name'), value: recipientName },
    { place: place('shipping_address'), value: JSON.stringify(postal) },
    ...(phone ? [{ place: place('phone'), value: phone }] : []),
  ]);
  // The number is drawn in the insert itself: one statement fewer per order.
  const [placed] = await tx
    .insert(orders)
    .values({
      id: orderId,
      number: sql`'P' || nextval('order_number_seq')::text`,
      unitId: unit.id,
      customerId: 'customerId' in owner ? owner.customerId : null,
      checkoutKey: keyHash(form.checkoutKey),
      status: 'placed',
      emailIndex: blindIndex(ctx.keys, 'email', email),
      email: sealed[0]!,
      recipientName: sealed[1]!,
      shippingAddress: sealed[2]!,
      phone: sealed[3] ?? null,
      shippingCountry: details.address.country,
      shippingOptionCode: option.code,
      shippingOptionName: option.name,
      currency: CURRENCY,
      ...totals,
      placedAt: now,
      payBy: new Date(now.getTime() + PAY_WITHIN_MS),
      lastActivityAt: now,
    })
    .returning({ number: orders.number });
  const number = placed!.number;
  await tx.insert(orderLines).values(
    lines.map((l, position) => ({
      orderId,
      position,
      productId: l.productId,
      slug: l.slug,
      name: l.name,
      variant: l.optionName && l.optionValue ? `${l.optionName}: ${l.optionValue}` : null,
      unitPriceCents: l.priceCents,
      quantity: l.quantity,
      lineTotalCents: l.priceCents * l.quantity,
      weightGrams: l.weightGrams,
    })),
  );
  await recordEvent(tx, orderId, 'placed', now);
  await tx.delete(carts).where(eq(carts.id, cartId!));
  await ctx.jobs.send(EXPIRE_UNPAID_JOB, { orderId }, { within: tx, startAfter: new Date(now.getTime() + PAY_WITHIN_MS) });
  const passToken = wantsPass(owner, form) ? await issueOrderPass(ctx, tx, orderId, 'session') : undefined;
  // The stock is taken last. From its update to the commit, every other checkout of the product waits on its row, so
  // the row is held for that and no more: taken first, it queued a sale of one product behind whole transactions.
  const short = await takeStock(tx, lines);
  if (short.length > 0) throw new CheckoutRefused(short);
  return { ok: true, orderId, number, totalCents: totals.totalCents, passToken, repeated: false };
}

/**
 * Takes each line's quantity from its product's stock, with conditional updates (two buyers of the last item: one
 * order); the problems of the lines whose stock was short. Run inside the placing transaction, which a problem rolls
 * back. Products are taken in id order, so two checkouts sharing products cannot deadlock on each other.
 */
async function takeStock(tx: Tx, lines: readonly { productId: number; name: string; quantity: number; archivedAt: Date | null }[]): Promise<CheckoutProblem[]> {
  const problems: CheckoutProblem[] = [];
  for (const line of lines.filter((l) => l.archivedAt === null).sort((a, b) => a.productId - b.productId)) {
    const [taken] = await tx
      .update(products)
      .set({ stock: sql`${products.stock} - ${line.quantity}` })
      .where(and(eq(products.id, line.productId), gte(products.stock, line.quantity)))
      .returning({ id: products.id });
    if (!taken) {
      const [left] = await tx.select({ stock: products.stock }).from(products).where(eq(products.id, line.productId));
      const stock = left?.stock ?? 0;
      problems.push({
        code: 'stock',
        message: stock === 0 ? `${line.name} has sold out. Remove it from your cart to go on.` : `Only ${stock} ${line.name} left: lower the quantity in your cart to go on.`,
      });
    }
  }
  return problems;
}

export type PayResult =
  /** `paid` is the order as this payment left it (absent when it was paid before), so the payer sees it without another read. */
  | { ok: true; alreadyPaid: boolean; paid?: OrderDetail }
  | { ok: false; code: 'declined' | 'not_payable'; message: string };

/** The idempotency key of paying `orderId` with `token`: the same submit twice is the same charge. */
export function paymentKey(orderId: string, token: string): string {
  return `order:${orderId}:${tokenHash(token).toString('base64url').slice(0, 32)}`;
}

/**
 * Pays a placed order with a provider token. The provider is called outside the transaction, as a real one is
 * over the network; its idempotency key makes a retry (or a double submit) return the same charge, and the order
 * row lock decides which of two concurrent submits records it. A charge that ends up recorded for nothing — the
 * order was paid meanwhile with another card, or ran out of time while the provider answered — is refunded at once.
 */
export async function payOrder(ctx: CheckoutContext, orderId: string, token: string): Promise<PayResult> {
  const [order] = await ctx.db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) return { ok: false, code: 'not_payable', message: 'There is no such order.' };
  if (order.status === 'placed' && order.payBy <= ctx.clock.now()) await expireUnpaidOrder(ctx, orderId);
  if (order.status !== 'placed' || order.payBy <= ctx.clock.now()) return notPayable({ status: order.status === 'placed' ? 'cancelled' : order.status });
  const card = ctx.payments.describeToken(token);
  if (!card) return { ok: false, code: 'declined', message: 'The card details were not recognised. Enter the card again.' };
  const idempotencyKey = paymentKey(orderId, token);
  const charge = await ctx.payments.charge({ amountCents: order.totalCents, currency: order.currency, token, idempotencyKey, reference: orderId });

  const { result, unrecorded } = await inTransaction(ctx.db, async (tx) => {
    const [current] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    const [recorded] = await tx.select({ status: payments.status }).from(payments).where(eq(payments.idempotencyKey, idempotencyKey));
    if (recorded) {
      // This very charge was recorded by an earlier submit: answer what it did.
      const answer: PayResult = recorded.status === 'succeeded' ? { ok: true, alreadyPaid: true } : { ok: false, code: 'declined', message: charge.ok ? 'The card was declined.' : charge.message };
      return { result: answer, unrecorded: false };
    }
    const now = ctx.clock.now();
    if (current!.status !== 'placed' || current!.payBy <= now) return { result: notPayable(current!.status === 'placed' ? { status: 'cancelled' } : current!), unrecorded: charge.ok };
    await disclose(ctx, tx, 'payment', 'order_processing', order.unitId, { orderId, amountCents: order.totalCents, currency: order.currency, cardToken: token });
    const vault = { ...ctx, db: tx };
    const paymentId = randomUUID();
    const at = (column: string) => ({ table: 'payment', column, rowId: paymentId });
    const [sealedToken, sealedBrand, sealedLast4] = await sealFields(vault, { kind: 'order', id: order.unitId }, [
      { place: at('card_token'), value: token },
      { place: at('card_brand'), value: card.brand },
      { place: at('card_last4'), value: card.last4 },
    ]);
    await tx.insert(payments).values({
      id: paymentId,
      orderId,
      provider: ctx.payments.name,
      idempotencyKey,
      status: charge.ok ? 'succeeded' : 'declined',
      amountCents: order.totalCents,
      currency: order.currency,
      providerChargeId: charge.ok ? charge.chargeId : null,
      declineCode: charge.ok ? null : charge.code,
      cardToken: sealedToken!,
      cardBrand: sealedBrand!,
      cardLast4: sealedLast4!,
      createdAt: now,
    });
    if (!charge.ok) {
      await recordEvent(tx, orderId, 'payment_declined', now);
      return { result: { ok: false, code: 'declined', message: charge.message } as const, unrecorded: false };
    }
    await tx.update(orders).set({ status: 'paid', paidAt: now, lastActivityAt: now }).where(eq(orders.id, orderId));
    await recordEvent(tx, orderId, 'paid', now);
    const paidOrder = { ...current!, status: 'paid', paidAt: now, lastActivityAt: now } as const;
    const shown = await sendConfirmation(ctx, tx, paidOrder);
    return { result: { ok: true, alreadyPaid: false, paid: { order: paidOrder, ...shown, card: { brand: card.brand, last4: card.last4 } } } as const, unrecorded: false };
  });
  if (unrecorded && charge.ok) {
    const refund = await ctx.payments.refund({ chargeId: charge.chargeId, amountCents: order.totalCents, idempotencyKey: `void:${idempotencyKey}` });
    if (!refund.ok) throw new Error(`payOrder: could not refund the unrecorded charge for order ${order.number}`);
    await expireUnpaidOrder(ctx, orderId);
  }
  return result;
}

function notPayable(order: Pick<Order, 'status'>): PayResult {
  const message =
    order.status === 'cancelled'
      ? 'This order was cancelled because it was not paid in time. Its items are back on sale: add them to your cart again.'
      : 'This order is already paid.';
  return order.status === 'cancelled' ? { ok: false, code: 'not_payable', message } : { ok: true, alreadyPaid: true };
}

/** Cancels an order still unpaid at its pay-by time and puts its stock back. Run by a job; safe to run twice. */
export async function expireUnpaidOrder(ctx: CheckoutContext, orderId: string): Promise<boolean> {
  return inTransaction(ctx.db, async (tx) => {
    const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    const now = ctx.clock.now();
    if (!order || order.status !== 'placed' || order.payBy > now) return false;
    await markCancelled(tx, orderId, now);
    return true;
  });
}

/** Cancels an order the caller has locked and found cancellable: its stock goes back on sale, the event is recorded. */
export async function markCancelled(tx: Tx, orderId: string, at: Date, staffId?: string): Promise<void> {
  await releaseStock(tx, orderId);
  await tx.update(orders).set({ status: 'cancelled', cancelledAt: at, lastActivityAt: at }).where(eq(orders.id, orderId));
  await recordEvent(tx, orderId, 'cancelled', at, staffId);
}

/** Puts an order's quantities back on the products it took them from (products since deleted are skipped). */
async function releaseStock(tx: Tx, orderId: string): Promise<void> {
  const lines = await tx.select({ productId: orderLines.productId, quantity: orderLines.quantity }).from(orderLines).where(eq(orderLines.orderId, orderId));
  const byProduct = new Map<number, number>();
  for (const l of lines) if (l.productId !== null) byProduct.set(l.productId, (byProduct.get(l.productId) ?? 0) + l.quantity);
  for (const [productId, quantity] of [...byProduct].sort((a, b) => a[0] - b[0])) {
    await tx.update(products).set({ stock: sql`${products.stock} + ${quantity}` }).where(eq(products.id, productId));
  }
}
