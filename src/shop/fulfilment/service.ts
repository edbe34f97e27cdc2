import { and, asc, eq } from 'drizzle-orm';
import { inTransaction, type Tx } from '../../platform/db/index.ts';
import type { StaffActor } from '../../privacy/access.ts';
import { disclose } from '../../privacy/disclosure/service.ts';
import { isErased } from '../../privacy/vault/service.ts';
import { formatPrice } from '../catalog/service.ts';
import { markCancelled } from '../checkout/service.ts';
import type { ShopContext } from '../context.ts';
import { orderLines, orders, type Order, type OrderStatus } from '../orders/schema.ts';
import { linesText, lockForMove, orderItemCount, orderForStaff, orderLinkFor, OrderStateError, recordEvent, sendOrderMail, type OrderContact } from '../orders/service.ts';
import { payments } from '../payments/schema.ts';
import type { Carrier, Parcel } from '../shipping/carrier.ts';

// Fulfilment (role fulfilment, purpose delivery): the queue of orders to pack and ship, and the moves of an order
// from paid to delivered, or to cancelled with its refund. Every move locks the order row first (lockForMove), so
// of two clicks on the same button one moves the order and the other is told it already moved.
//
// Personal data: the queue shows none (number, dates, item count, country), so opening it writes no audit event;
// the page of one order opens the recipient's name, phone and address through orderForStaff, one audited read per
// view, while the order is still to be packed or shipped. The parcel goes to the carrier only through disclose().

export type FulfilmentContext = ShopContext & { actor: StaffActor; requestId?: string | undefined; carrier: Carrier };

/** The fields the packing page opens: what goes on the label, never the e-mail address. */
export const DELIVERY_FIELDS = ['recipientName', 'phone', 'address'] as const satisfies readonly (keyof OrderContact)[];

export type QueueRow = Pick<Order, 'id' | 'number' | 'status' | 'paidAt' | 'packedAt' | 'shippedAt' | 'shippingCountry' | 'shippingOptionName' | 'carrier' | 'trackingNumber'> & { itemCount: number };
export type Queue = Record<'paid' | 'packed' | 'shipped', QueueRow[]>;

/** How many orders of each step the queue lists, oldest first. */
export const QUEUE_LIMIT = 100;

const STEP_TIME = { paid: orders.paidAt, packed: orders.packedAt, shipped: orders.shippedAt } as const;

export async function fulfilmentQueue(ctx: Pick<ShopContext, 'db'>): Promise<Queue> {
  const step = (status: keyof Queue) =>
    ctx.db
      .select({
        id: orders.id,
        number: orders.number,
        status: orders.status,
        paidAt: orders.paidAt,
        packedAt: orders.packedAt,
        shippedAt: orders.shippedAt,
        shippingCountry: orders.shippingCountry,
        shippingOptionName: orders.shippingOptionName,
        carrier: orders.carrier,
        trackingNumber: orders.trackingNumber,
        itemCount: orderItemCount,
      })
      .from(orders)
      .where(eq(orders.status, status))
      .orderBy(asc(STEP_TIME[status]), asc(orders.number))
      .limit(QUEUE_LIMIT);
  const [paid, packed, shipped] = await Promise.all([step('paid'), step('packed'), step('shipped')]);
  return { paid, packed, shipped };
}

/** Orders whose delivery details the packing page opens: those still to be packed or shipped. */
const TO_SEND: readonly OrderStatus[] = ['paid', 'packed'];

/** One order as fulfilment sees it; the delivery details are opened (and the read audited) only while it is to be sent. */
export async function orderToFulfil(ctx: FulfilmentContext, orderId: string) {
  const [row] = await ctx.db.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
  if (!row) return undefined;
  const detail = await orderForStaff(ctx, orderId, 'delivery', TO_SEND.includes(row.status) ? DELIVERY_FIELDS : []);
  if (!detail) return undefined;
  const refund = detail.order.status === 'cancelled' ? await refundState(ctx.db, orderId) : undefined;
  return { ...detail, refund };
}

async function refundState(db: ShopContext['db'], orderId: string) {
  const [payment] = await db
    .select({ amountCents: payments.amountCents, refundedCents: payments.refundedCents })
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.status, 'succeeded')));
  return payment;
}

const now = (ctx: FulfilmentContext) => ctx.clock.now();

export async function markPacked(ctx: FulfilmentContext, orderId: string): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    await lockForMove(tx, orderId, 'packed');
    const at = now(ctx);
    await tx.update(orders).set({ status: 'packed', packedAt: at, lastActivityAt: at }).where(eq(orders.id, orderId));
    await recordEvent(tx, orderId, 'packed', at, ctx.actor.staffId);
  });
}

/** The parcel for the carrier: exactly the logistics processor's allow-list, phone only when there is one. */
async function parcelFor(ctx: FulfilmentContext, tx: Tx, orderId: string): Promise<Parcel> {
  const detail = await orderForStaff({ ...ctx, db: tx }, orderId, 'delivery', DELIVERY_FIELDS);
  const { recipientName, phone, address } = detail!.contact;
  if (recipientName === undefined || address === undefined || isErased(recipientName) || isErased(address) || isErased(phone)) {
    throw new OrderStateError(`The delivery details of order ${detail!.order.number} were erased: it cannot be shipped.`);
  }
  return {
    recipientName,
    shippingAddress: address,
    ...(phone ? { phone } : {}),
    parcelContents: detail!.lines.map((l) => ({ name: l.variant ? `${l.name} (${l.variant})` : l.name, quantity: l.quantity })),
    parcelWeightGrams: detail!.lines.reduce((sum, l) => sum + l.weightGrams * l.quantity, 0),
  };
}

/**
 * Hands a packed order to the carrier. In one transaction holding the order's lock: the delivery details are read
 * (audited), disclosed to the logistics processor (allow-list checked, ledgered), booked with the carrier under the
 * order's own key, and the tracking number, event and e-mail are written. A failure anywhere leaves the order packed
 * and nothing recorded; the retry books under the same key, so a carrier that did book answers the same parcel. (A
 * carrier over the network is called with the row locked: a concurrent click waits, then finds the order shipped.)
 */
export async function shipOrder(ctx: FulfilmentContext, orderId: string): Promise<{ carrier: string; trackingNumber: string }> {
  return inTransaction(ctx.db, async (tx) => {
    const order = await lockForMove(tx, orderId, 'shipped');
    const parcel = await disclose(ctx, tx, 'logistics', 'delivery', order.unitId, await parcelFor(ctx, tx, orderId));
    const shipment = await ctx.carrier.ship(parcel, `order:${orderId}`);
    const at = now(ctx);
    await tx
      .update(orders)
      .set({ status: 'shipped', shippedAt: at, lastActivityAt: at, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber })
      .where(eq(orders.id, orderId));
    await recordEvent(tx, orderId, 'shipped', at, ctx.actor.staffId);
    await sendOrderMail(ctx, tx, order, 'shipped', {
      subject: `Your order ${order.number} has shipped`,
      body: [
        `Your order has shipped. ${shipment.carrier} is bringing it to you.`,
        '',
        `Order ${order.number}`,
        `Carrier: ${shipment.carrier}`,
        `Tracking number: ${shipment.trackingNumber}`,
        '',
        `See your order: ${orderLinkFor(ctx, order)}`,
      ].join('\n'),
    });
    return shipment;
  });
}

export async function markDelivered(ctx: FulfilmentContext, orderId: string): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    const order = await lockForMove(tx, orderId, 'delivered');
    const at = now(ctx);
    await tx.update(orders).set({ status: 'delivered', deliveredAt: at, lastActivityAt: at }).where(eq(orders.id, orderId));
    await recordEvent(tx, orderId, 'delivered', at, ctx.actor.staffId);
    await sendOrderMail(ctx, tx, order, 'delivered', {
      subject: `Your order ${order.number} was delivered`,
      body: [
        `Your order ${order.number} was delivered. We hope you enjoy it.`,
        '',
        'If something is wrong with it, you can ask for a return from your order page:',
        orderLinkFor(ctx, order),
      ].join('\n'),
    });
  });
}

/** The provider refused a refund: the order stays cancelled with the refund outstanding. */
export class RefundFailed extends Error {
  override name = 'RefundFailed';
}

/**
 * Cancels a paid or packed order and refunds it in full. The cancellation (status, stock back on sale, event,
 * e-mail) commits first under the order's lock, so of two clicks only one cancels; then the payment provider is
 * asked for the refund, outside any transaction as it is over the network, under a key of the order's own; then
 * the refund is recorded. If the provider fails, the order stays cancelled with its refund outstanding, shown on
 * its page with a button that asks again under the same key (the provider pays a key once).
 */
export async function cancelOrder(ctx: FulfilmentContext, orderId: string): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    const order = await cancelBeforeShipping(tx, orderId, now(ctx), TO_SEND, ctx.actor.staffId);
    const lines = await tx.select().from(orderLines).where(eq(orderLines.orderId, orderId)).orderBy(asc(orderLines.position));
    await sendOrderMail(ctx, tx, order, 'cancelled', {
      subject: `Your order ${order.number} was cancelled`,
      body: [
        `We cancelled your order ${order.number} before it shipped, and we are refunding the full amount, ${formatPrice(order.totalCents)}, to the card you paid with. Banks usually show a refund within a few business days.`,
        '',
        linesText(lines),
        '',
        'We are sorry for the trouble. Reply to this message if you have any questions.',
      ].join('\n'),
    });
  });
  await refundCancelledOrder(ctx, orderId);
}

/**
 * Cancels an order in one of the statuses `from`, none of them shipped, under its lock: its stock goes back on sale
 * and the move is recorded. Answers the order as it was; the caller tells the customer and refunds.
 */
export async function cancelBeforeShipping(tx: Tx, orderId: string, at: Date, from: readonly OrderStatus[], staffId?: string): Promise<Order> {
  const order = await lockForMove(tx, orderId, 'cancelled');
  if (!from.includes(order.status)) throw new OrderStateError(`Order ${order.number} is ${order.status}: only ${from.join(' or ')} orders are cancelled here.`);
  await markCancelled(tx, orderId, at, staffId);
  return order;
}

/** Refunds a cancelled order after the cancellation commits, when no one is waiting on the provider's answer. */
export const REFUND_CANCELLED_JOB = 'orders.refund-cancelled';

/**
 * Refunds what is still unrefunded of a cancelled order's payment; safe to repeat. Throws RefundFailed. Staff
 * asking again from the order's page are recorded as the refund's actor; the refund job has none.
 */
export async function refundCancelledOrder(ctx: ShopContext & { actor?: StaffActor }, orderId: string): Promise<void> {
  const [order] = await ctx.db.select({ number: orders.number, status: orders.status }).from(orders).where(eq(orders.id, orderId));
  if (order?.status !== 'cancelled') throw new OrderStateError(order ? `Order ${order.number} is ${order.status}: only cancelled orders are refunded here.` : 'There is no such order.');
  const [payment] = await ctx.db
    .select({ id: payments.id, chargeId: payments.providerChargeId, amountCents: payments.amountCents, refundedCents: payments.refundedCents })
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.status, 'succeeded')));
  if (!payment || payment.chargeId === null || payment.refundedCents >= payment.amountCents) return;
  const refund = await ctx.payments.refund({ chargeId: payment.chargeId, amountCents: payment.amountCents - payment.refundedCents, idempotencyKey: `cancel:${orderId}` });
  if (!refund.ok) throw new RefundFailed(refund.message);
  await inTransaction(ctx.db, async (tx) => {
    const [recorded] = await tx
      .update(payments)
      .set({ refundedCents: payment.amountCents })
      .where(and(eq(payments.id, payment.id), eq(payments.refundedCents, payment.refundedCents)))
      .returning({ id: payments.id });
    if (recorded) await recordEvent(tx, orderId, 'refunded', ctx.clock.now(), ctx.actor?.staffId);
  });
}
