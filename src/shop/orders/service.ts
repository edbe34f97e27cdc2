import { and, asc, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import { inTransaction, type Executor, type Tx } from '../../platform/db/index.ts';
import { queueMail, type MailContext } from '../../platform/mail/service.ts';
import { newToken, TOKEN_PATTERN, tokenHash } from '../../platform/secrets.ts';
import type { Field } from '../../privacy/access.ts';
import { readForPurpose, type ReadContext } from '../../privacy/audit/service.ts';
import type { Purpose } from '../../privacy/inventory.ts';
import { blindIndex, isErased, openFields, type Erased, type FieldPlace, type VaultContext } from '../../privacy/vault/service.ts';
import { formatPrice } from '../catalog/service.ts';
import { addressLines, type ShippingAddress } from './address.ts';
import { ORDER_NUMBER, orderEvents, orderLines, orderPasses, orders, type Order, type OrderEventKind, type OrderLine, type OrderStatus } from './schema.ts';
import { payments } from '../payments/schema.ts';

// Orders after placement: who may see one, its history, its e-mails and the moves of its state machine. Contact
// and delivery details are opened from the vault only when a page or a message needs them; staff opening them goes
// through readForPurpose, which checks the role's field view and writes the audit event.

export type OrderContext = VaultContext & MailContext & { baseUrl: string; shopName: string };

export const orderPlace = (orderId: string, column: string): FieldPlace => ({ table: 'order', column, rowId: orderId });

export async function recordEvent(tx: Tx, orderId: string, kind: OrderEventKind, at: Date, staffId?: string): Promise<void> {
  await tx.insert(orderEvents).values({ orderId, kind, at, staffId: staffId ?? null });
}

/** placed → paid → packed → shipped → delivered; unpaid or unshipped orders may be cancelled; delivered ones returned. */
export const NEXT_STATUSES: Record<OrderStatus, readonly OrderStatus[]> = {
  placed: ['paid', 'cancelled'],
  paid: ['packed', 'cancelled'],
  packed: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: ['returned'],
  cancelled: [],
  returned: [],
};

export class OrderStateError extends Error {
  readonly statusCode = 409;
  readonly code = 'order_state';
  override name = 'OrderStateError';
}

/** Locks the order row and checks that it may move to `to`; the caller then writes the move. */
export async function lockForMove(tx: Tx, orderId: string, to: OrderStatus): Promise<Order> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  if (!order) throw new OrderStateError('There is no such order.');
  if (!NEXT_STATUSES[order.status].includes(to)) throw new OrderStateError(`Order ${order.number} is ${order.status} and cannot become ${to}.`);
  return order;
}

// ── passes: how someone without an account reaches their order ─────────────────────────────────────────────────

export const ORDER_PASS_COOKIE = 'pledge_order';
export const PASS_VALID_MS = { link: 7 * 24 * 60 * 60 * 1000, session: 24 * 60 * 60 * 1000 } as const;

export async function issueOrderPass(ctx: { clock: Clock }, tx: Tx, orderId: string, kind: 'link' | 'session'): Promise<string> {
  const token = newToken();
  await tx.insert(orderPasses).values({ tokenHash: tokenHash(token), orderId, kind, expiresAt: new Date(ctx.clock.now().getTime() + PASS_VALID_MS[kind]) });
  return token;
}

/** The order a browser's session pass opens, if it is valid. */
export async function orderIdForPass(ctx: { db: Executor; clock: Clock }, token: string | undefined): Promise<string | undefined> {
  if (!token || !TOKEN_PATTERN.test(token)) return undefined;
  const [row] = await ctx.db
    .select({ orderId: orderPasses.orderId })
    .from(orderPasses)
    .where(and(eq(orderPasses.tokenHash, tokenHash(token)), eq(orderPasses.kind, 'session'), gt(orderPasses.expiresAt, ctx.clock.now())));
  return row?.orderId;
}

/** Spends a mailed single-use link and answers a session pass for the browser that followed it. */
export async function spendOrderLink(ctx: { db: Executor; clock: Clock }, token: string): Promise<{ orderId: string; number: string; sessionToken: string } | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  return inTransaction(ctx.db, async (tx) => {
    const now = ctx.clock.now();
    const [spent] = await tx
      .update(orderPasses)
      .set({ usedAt: now })
      .where(and(eq(orderPasses.tokenHash, tokenHash(token)), eq(orderPasses.kind, 'link'), isNull(orderPasses.usedAt), gt(orderPasses.expiresAt, now)))
      .returning({ orderId: orderPasses.orderId });
    if (!spent) return undefined;
    const [order] = await tx.select({ number: orders.number }).from(orders).where(eq(orders.id, spent.orderId));
    return { orderId: spent.orderId, number: order!.number, sessionToken: await issueOrderPass(ctx, tx, spent.orderId, 'session') };
  });
}

export const ORDER_LINK_JOB = 'order.link';

/**
 * A guest asks for their order by number and e-mail. When both match, a single-use link goes to that address;
 * the caller answers the same either way, so the form tells a stranger nothing. Matched or not, the request costs
 * one look-up and one job: the job (sendOrderLink) mails the link when there is an order.
 */
export async function requestOrderLink(ctx: OrderContext, number: string, email: string): Promise<void> {
  const [order] = await ctx.db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.number, number.trim().toUpperCase()), eq(orders.emailIndex, blindIndex(ctx.keys, 'email', email))));
  await ctx.jobs.send(ORDER_LINK_JOB, { orderId: order?.id ?? null }, { within: ctx.db });
}

/** The look-up's job: a single-use link to the order, mailed to the address on it (nothing when nothing matched). */
export async function sendOrderLink(ctx: OrderContext, orderId: string | null): Promise<void> {
  const [order] = orderId === null ? [] : await ctx.db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) return;
  await inTransaction(ctx.db, async (tx) => {
    const token = await issueOrderPass(ctx, tx, order.id, 'link');
    await sendOrderMail(ctx, tx, order, `link:${token.slice(0, 16)}`, {
      subject: `Your ${ctx.shopName} order ${order.number}`,
      body: `You asked to see order ${order.number}. This link opens it once, within 7 days:\n${ctx.baseUrl}/orders/access/${token}\n\nIf you did not ask, ignore this message.`,
    });
  });
}

// ── reading an order ───────────────────────────────────────────────────────────────────────────────────────────

export type OrderContact = { email: string | Erased; recipientName: string | Erased; phone: string | Erased | undefined; address: Omit<ShippingAddress, 'recipientName' | 'phone'> | Erased };

export async function openContact(ctx: VaultContext, order: Order): Promise<OrderContact> {
  const sealed = [
    { place: orderPlace(order.id, 'email'), sealed: order.email },
    { place: orderPlace(order.id, 'recipient_name'), sealed: order.recipientName },
    { place: orderPlace(order.id, 'shipping_address'), sealed: order.shippingAddress },
    ...(order.phone ? [{ place: orderPlace(order.id, 'phone'), sealed: order.phone }] : []),
  ];
  const [email, recipientName, address, phone] = await openFields(ctx, order.unitId, sealed);
  return {
    email: email!,
    recipientName: recipientName!,
    phone,
    address: isErased(address) ? address! : (JSON.parse(address!) as OrderContact['address']),
  };
}

export type CardOnFile = { brand: string; last4: string } | undefined;

async function paymentCard(ctx: VaultContext, order: Order): Promise<CardOnFile> {
  const [row] = await ctx.db.select().from(payments).where(and(eq(payments.orderId, order.id), eq(payments.status, 'succeeded')));
  if (!row) return undefined;
  const at = (column: string) => ({ table: 'payment', column, rowId: row.id });
  const [brand, last4] = await openFields(ctx, order.unitId, [
    { place: at('card_brand'), sealed: row.cardBrand },
    { place: at('card_last4'), sealed: row.cardLast4 },
  ]);
  return isErased(brand) || isErased(last4) ? undefined : { brand: brand!, last4: last4! };
}

export type OrderEvent = { at: Date; kind: OrderEventKind };
export type OrderDetail = { order: Order; lines: OrderLine[]; events: OrderEvent[]; contact: OrderContact; card: CardOnFile };

async function linesAndEvents(db: Executor, orderId: string) {
  const [lines, events] = await Promise.all([
    db.select().from(orderLines).where(eq(orderLines.orderId, orderId)).orderBy(asc(orderLines.position)),
    db.select({ at: orderEvents.at, kind: orderEvents.kind }).from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.id)),
  ]);
  return { lines, events };
}

/** The whole order, for its own customer or the holder of its pass (the subject reading their own data). */
export async function orderForSubject(ctx: VaultContext, orderId: string): Promise<OrderDetail | undefined> {
  const [order] = await ctx.db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) return undefined;
  const [{ lines, events }, contact, card] = await Promise.all([linesAndEvents(ctx.db, orderId), openContact(ctx, order), paymentCard(ctx, order)]);
  return { order, lines, events, contact, card };
}

export async function findCustomerOrder(ctx: VaultContext, customerId: string, number: string): Promise<OrderDetail | undefined> {
  const [order] = await ctx.db.select({ id: orders.id }).from(orders).where(and(eq(orders.customerId, customerId), eq(orders.number, number.toUpperCase())));
  return order && orderForSubject(ctx, order.id);
}

/** How many items an order holds, as a column of an order query (one statement for a whole list). */
export const orderItemCount = sql<number>`(select coalesce(sum(${orderLines.quantity}), 0) from ${orderLines} where ${orderLines.orderId} = ${orders.id})`.mapWith(Number);

export type OrderSummary = Pick<Order, 'id' | 'number' | 'status' | 'placedAt' | 'totalCents' | 'currency' | 'trackingNumber'> & { itemCount: number };

export async function listCustomerOrders(ctx: { db: Executor }, customerId: string): Promise<OrderSummary[]> {
  return ctx.db
    .select({
      id: orders.id,
      number: orders.number,
      status: orders.status,
      placedAt: orders.placedAt,
      totalCents: orders.totalCents,
      currency: orders.currency,
      trackingNumber: orders.trackingNumber,
      itemCount: orderItemCount,
    })
    .from(orders)
    .where(eq(orders.customerId, customerId))
    .orderBy(desc(orders.placedAt));
}

/** Staff find an order by its number; nothing personal is opened. */
export async function findOrderByNumber(db: Executor, number: string): Promise<Order | undefined> {
  const wanted = number.trim().toUpperCase();
  // Anything typed that is not a number's shape names no order, and is not sent to the database (which refuses NUL).
  if (!ORDER_NUMBER.test(wanted)) return undefined;
  const [order] = await db.select().from(orders).where(eq(orders.number, wanted));
  return order;
}

/** Which order fields a staff view opens, in the access module's logical names. */
const CONTACT_FIELDS = { email: 'email', recipientName: 'recipientName', phone: 'phone', address: 'shippingAddress' } as const satisfies Record<keyof OrderContact, Field>;

/**
 * An order as a member of staff may see it for `purpose`: `fields` must be within the role's view (fulfilment: no
 * e-mail), and the read is audited in the same transaction. Fields not asked for are absent.
 */
export async function orderForStaff(
  ctx: VaultContext & ReadContext,
  orderId: string,
  purpose: Purpose,
  fields: readonly (keyof OrderContact)[],
): Promise<{ order: Order; lines: OrderLine[]; events: OrderEvent[]; contact: Partial<OrderContact> } | undefined> {
  return inTransaction(ctx.db, async (tx) => {
    const [order] = await tx.select().from(orders).where(eq(orders.id, orderId));
    if (!order) return undefined;
    const { lines, events } = await linesAndEvents(tx, orderId);
    if (fields.length === 0) return { order, lines, events, contact: {} };
    const contact = await readForPurpose(
      ctx,
      tx,
      { subject: { unitId: order.unitId, kind: 'order' }, fields: fields.map((f) => CONTACT_FIELDS[f]), purpose },
      async () => {
        const all = await openContact({ ...ctx, db: tx }, order);
        return Object.fromEntries(fields.map((f) => [f, all[f]])) as Partial<OrderContact>;
      },
    );
    return { order, lines, events, contact };
  });
}

// ── e-mails ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** Queues a message to the order's address, sealed under the order's key; `kind` makes it once-only per order. */
export async function sendOrderMail(ctx: OrderContext, tx: Tx, order: Order, kind: string, message: { subject: string; body: string }): Promise<void> {
  const [email] = await openFields({ ...ctx, db: tx }, order.unitId, [{ place: orderPlace(order.id, 'email'), sealed: order.email }]);
  if (isErased(email)) return;
  await queueMail(ctx, tx, `order:${order.id}:${kind}`, { to: email!, subject: message.subject, text: message.body }, order.unitId);
}

/** Where the customer sees the order: their account, or (for a guest) the look-up form that mails a link. */
export function orderLinkFor(ctx: Pick<OrderContext, 'baseUrl'>, order: Pick<Order, 'customerId' | 'number'>): string {
  return order.customerId ? `${ctx.baseUrl}/account/orders/${order.number}` : `${ctx.baseUrl}/orders/lookup?number=${order.number}`;
}

export function linesText(lines: readonly Pick<OrderLine, 'name' | 'variant' | 'quantity' | 'lineTotalCents'>[]): string {
  return lines.map((l) => `  ${l.quantity} × ${l.name}${l.variant ? ` (${l.variant})` : ''}  ${formatPrice(l.lineTotalCents)}`).join('\n');
}

/** The order confirmation, sent once the payment succeeded. Answers what it read, so the payer is shown it without reading it again. */
export async function sendConfirmation(ctx: OrderContext, tx: Tx, order: Order): Promise<Pick<OrderDetail, 'lines' | 'events' | 'contact'>> {
  const { lines, events } = await linesAndEvents(tx, order.id);
  const contact = await openContact({ ...ctx, db: tx }, order);
  const address = isErased(contact.address) || isErased(contact.recipientName) ? [] : addressLines({ ...contact.address, recipientName: contact.recipientName });
  await sendOrderMail(ctx, tx, order, 'confirmation', {
    subject: `Order ${order.number} confirmed — thank you`,
    body: [
      `Thank you for your order. We have received your payment and will let you know when it ships.`,
      '',
      `Order ${order.number}`,
      linesText(lines),
      '',
      `Subtotal  ${formatPrice(order.subtotalCents)}`,
      `${order.shippingOptionName}  ${order.shippingCents === 0 ? 'Free' : formatPrice(order.shippingCents)}`,
      `Tax (${(order.taxRateBasisPoints / 100).toFixed(2)} %)  ${formatPrice(order.taxCents)}`,
      `Total  ${formatPrice(order.totalCents)}`,
      '',
      'Delivering to:',
      ...address.map((l) => `  ${l}`),
      '',
      `See your order: ${orderLinkFor(ctx, order)}`,
    ].join('\n'),
  });
  return { lines, events, contact };
}

/** The order a browser's session pass opens, if it is the one numbered `number`; anything else reads as no order. */
export async function findPassOrder(ctx: VaultContext, passToken: string | undefined, number: string): Promise<OrderDetail | undefined> {
  const orderId = await orderIdForPass(ctx, passToken);
  if (!orderId) return undefined;
  const [order] = await ctx.db.select({ id: orders.id }).from(orders).where(and(eq(orders.id, orderId), eq(orders.number, number.toUpperCase())));
  return order && orderForSubject(ctx, order.id);
}
