import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { inTransaction, type Executor, type Tx } from '../../platform/db/index.ts';
import type { StaffActor } from '../../privacy/access.ts';
import { readForPurpose } from '../../privacy/audit/service.ts';
import { disclose } from '../../privacy/disclosure/service.ts';
import { isErased, open, sealFields, type Erased, type FieldPlace } from '../../privacy/vault/service.ts';
import { formatPrice } from '../catalog/service.ts';
import { taxOn } from '../checkout/service.ts';
import { orderLines, orders, type Order, type OrderEventKind, type OrderLine } from '../orders/schema.ts';
import { linesText, lockForMove, orderIdForPass, orderLinkFor, recordEvent, sendOrderMail, type OrderContext } from '../orders/service.ts';
import type { PaymentProvider } from '../payments/provider.ts';
import { payments } from '../payments/schema.ts';
import { returnRequests, type ReturnItem, type ReturnStatus } from './schema.ts';

// Returns (seed 000 §2, after-sales service). A customer asks to return delivered items within the return window;
// support approves or declines, marks the parcel received and refunds through the payment provider. The customer's
// reason is sealed under the order's key and staff open it only through readForPurpose, so every reading is
// audited. Every move locks the return row first: a double click makes one move, and the second is told so.

/** `returnsAddress`: where parcels go back to, one line per element (PLEDGE_RETURNS_ADDRESS). */
export type ReturnsContext = OrderContext & { payments: PaymentProvider; returnsAddress: readonly string[] };

export const RETURN_WINDOW_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export const RETURN_REASONS = {
  damaged: 'It arrived damaged',
  wrong_item: 'I received the wrong item',
  changed_mind: 'I changed my mind',
  allergic_reaction: 'I had an allergic reaction',
} as const;
export type ReturnReason = keyof typeof RETURN_REASONS;
export const COMMENT_MAX = 1000;

/** Requests still being handled: an order has at most one of these at a time. */
const OPEN_STATUSES: readonly ReturnStatus[] = ['requested', 'approved', 'received'];

type ReturnRow = typeof returnRequests.$inferSelect;

/** A move refused because of the return's state (already done, or done by someone else meanwhile). */
export class ReturnStateError extends Error {
  readonly statusCode: number;
  readonly code = 'return_state';
  override name = 'ReturnStateError';
  constructor(message: string, statusCode = 409) {
    super(message);
    this.statusCode = statusCode;
  }
}

export const reasonPlace = (returnId: string): FieldPlace => ({ table: 'return_request', column: 'reason', rowId: returnId });

const dateOnly = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' });
const day = (at: Date) => dateOnly.format(at);

// ── what may be returned ─────────────────────────────────────────────────────────────────────────────────────────

export type ReturnableLine = OrderLine & { returnable: number };
export type ReturnOptions = {
  order: Order;
  lines: ReturnableLine[];
  returns: ReturnSummary[];
  /** Why no return can be asked for now, in words for the customer; undefined when one can. */
  refusal: string | undefined;
};

async function returnRows(db: Executor, orderId: string): Promise<ReturnRow[]> {
  return db.select().from(returnRequests).where(eq(returnRequests.orderId, orderId)).orderBy(asc(returnRequests.requestedAt), asc(returnRequests.id));
}

/** Bought, less what every request not declined has asked to return. */
function returnableLines(lines: OrderLine[], returns: ReturnRow[]): ReturnableLine[] {
  const claimed = new Map<number, number>();
  for (const request of returns) {
    if (request.status === 'rejected') continue;
    for (const item of request.items) claimed.set(item.position, (claimed.get(item.position) ?? 0) + item.quantity);
  }
  return lines.map((line) => ({ ...line, returnable: Math.max(0, line.quantity - (claimed.get(line.position) ?? 0)) }));
}

/** A return's state in the customer's words. */
export const RETURN_STATUS_WORDS: Record<ReturnStatus, string> = {
  requested: 'waiting for our answer',
  approved: 'approved, waiting for your parcel',
  rejected: 'declined',
  received: 'parcel received, refund to follow',
  refunded: 'refunded',
};

/** A return's state in the back office's words. */
export const STAFF_RETURN_STATUS_WORDS: Record<ReturnStatus, string> = {
  requested: 'requested',
  approved: 'approved',
  rejected: 'declined',
  received: 'received',
  refunded: 'refunded',
};

function refusalFor(order: Order, lines: ReturnableLine[], returns: ReturnRow[], now: Date): string | undefined {
  if (order.status === 'returned') return 'Everything in this order has been returned and refunded.';
  if (order.status === 'cancelled') return 'This order was cancelled, so there is nothing to return.';
  if (order.status !== 'delivered' || !order.deliveredAt) {
    return `This order has not been delivered yet, so it cannot be returned. Once it arrives you have ${RETURN_WINDOW_DAYS} days to ask for a return.`;
  }
  const closes = new Date(order.deliveredAt.getTime() + RETURN_WINDOW_DAYS * DAY_MS);
  if (now > closes) return `The ${RETURN_WINDOW_DAYS}-day return window for this order closed on ${day(closes)}. If something is wrong with it, please contact us.`;
  const open = returns.find((r) => OPEN_STATUSES.includes(r.status));
  if (open) return `You asked to return items from this order on ${day(open.requestedAt)}, and that return is ${RETURN_STATUS_WORDS[open.status]}. You can ask for another once it is settled.`;
  if (lines.every((l) => l.returnable === 0)) return 'Everything in this order has already been returned.';
  return undefined;
}

async function optionsFor(ctx: Pick<OrderContext, 'clock'>, db: Executor, order: Order): Promise<ReturnOptions> {
  const [lines, returns] = await Promise.all([
    db.select().from(orderLines).where(eq(orderLines.orderId, order.id)).orderBy(asc(orderLines.position)),
    returnRows(db, order.id),
  ]);
  const returnable = returnableLines(lines, returns);
  return { order, lines: returnable, returns: summarise(returns, lines), refusal: refusalFor(order, returnable, returns, ctx.clock.now()) };
}

/**
 * The return form's order, for its signed-in owner or for the browser holding its pass; undefined for any other
 * order, so a stranger cannot tell an order they may not see from one that does not exist.
 */
export async function findReturnOptions(
  ctx: Pick<OrderContext, 'db' | 'clock'>,
  holder: { customerId: string } | { passToken: string | undefined },
  number: string,
): Promise<ReturnOptions | undefined> {
  const passOrderId = 'passToken' in holder ? await orderIdForPass(ctx, holder.passToken) : undefined;
  if ('passToken' in holder && !passOrderId) return undefined;
  const owned = 'customerId' in holder ? eq(orders.customerId, holder.customerId) : eq(orders.id, passOrderId!);
  const [order] = await ctx.db.select().from(orders).where(and(owned, eq(orders.number, number.toUpperCase())));
  return order && optionsFor(ctx, ctx.db, order);
}

const quantityField = (line: ReturnableLine) => {
  const message = line.returnable === 0 ? 'Nothing more of this item can be returned' : `Enter a whole number from 0 to ${line.returnable}`;
  return z
    .string({ error: message })
    .trim()
    .regex(/^\d{0,3}$/, message)
    .transform((v) => Number(v || '0'))
    .pipe(z.number().max(line.returnable, message))
    .optional()
    .transform((v) => v ?? 0);
};

export const quantityName = (position: number) => `qty_${position}`;

/** The return form for these lines: a quantity per line (blank is none), a reason, and an optional comment. */
export function returnForm(lines: readonly ReturnableLine[]) {
  return z
    .object({
      reason: z.enum(Object.keys(RETURN_REASONS) as [ReturnReason, ...ReturnReason[]], { error: 'Choose the reason for the return' }),
      comment: z.string({ error: 'Write the comment as text' }).trim().max(COMMENT_MAX, `Use at most ${COMMENT_MAX} characters`).optional().transform((v) => v ?? ''),
      ...Object.fromEntries(lines.map((line) => [quantityName(line.position), quantityField(line)])),
    })
    .transform((form) => ({
      reason: form.reason,
      comment: form.comment,
      items: lines
        .map((line) => ({ position: line.position, quantity: (form as Record<string, unknown>)[quantityName(line.position)] as number }))
        .filter((item) => item.quantity > 0),
    }))
    .refine((form) => form.items.length > 0, { path: ['_'], message: 'Enter how many of at least one item you are returning' });
}
export type ReturnRequestInput = { reason: ReturnReason; comment: string; items: ReturnItem[] };

/**
 * The goods at the prices paid plus their tax. The return that completes the order refunds the rest of what was
 * paid, shipping included, so the refunds of an order always add up to exactly its total.
 */
function refundFor(order: Order, lines: ReturnableLine[], returns: ReturnSummary[], items: ReturnItem[]): number {
  const asked = (position: number) => items.find((i) => i.position === position)?.quantity ?? 0;
  if (lines.every((line) => asked(line.position) === line.returnable)) {
    return order.totalCents - returns.filter((r) => r.status !== 'rejected').reduce((sum, r) => sum + r.refundCents, 0);
  }
  const goods = lines.reduce((sum, line) => sum + line.unitPriceCents * asked(line.position), 0);
  return goods + taxOn(goods, order.taxRateBasisPoints);
}

/** Marks an after-sales step on the order: its history, and the retention clock (seed 000 §4). */
async function touchOrder(tx: Tx, orderId: string, kind: OrderEventKind, at: Date, staffId?: string): Promise<void> {
  await recordEvent(tx, orderId, kind, at, staffId);
  await tx.update(orders).set({ lastActivityAt: at }).where(eq(orders.id, orderId));
}

function itemsText(lines: readonly OrderLine[], items: readonly ReturnItem[]): string {
  return linesText(
    items.flatMap((item) => {
      const line = lines.find((l) => l.position === item.position);
      return line ? [{ ...line, quantity: item.quantity, lineTotalCents: line.unitPriceCents * item.quantity }] : [];
    }),
  );
}

export type RequestResult = { ok: true; returnId: string } | { ok: false; message: string };

/**
 * Records a return request. Runs under the order's row lock, so two requests for one order (two tabs) cannot both
 * pass the checks; the quantities are checked again here against what is returnable now.
 */
export async function requestReturn(ctx: ReturnsContext, orderId: string, input: ReturnRequestInput): Promise<RequestResult> {
  return inTransaction(ctx.db, async (tx) => {
    const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
    if (!order) return { ok: false, message: 'There is no such order.' };
    const options = await optionsFor(ctx, tx, order);
    if (options.refusal) return { ok: false, message: options.refusal };
    const fits = input.items.every((item) => {
      const line = options.lines.find((l) => l.position === item.position);
      return line !== undefined && item.quantity > 0 && item.quantity <= line.returnable;
    });
    if (!fits || input.items.length === 0) return { ok: false, message: 'Those quantities are more than can be returned from this order. Check them and try again.' };

    const now = ctx.clock.now();
    const id = randomUUID();
    const [reason] = await sealFields({ ...ctx, db: tx }, { kind: 'order', id: order.unitId }, [
      { place: reasonPlace(id), value: JSON.stringify({ reason: input.reason, comment: input.comment }) },
    ]);
    const refundCents = refundFor(order, options.lines, options.returns, input.items);
    await tx.insert(returnRequests).values({ id, orderId, status: 'requested', items: input.items, reason: reason!, refundCents, requestedAt: now });
    await touchOrder(tx, orderId, 'return_requested', now);
    await sendOrderMail(ctx, tx, order, `return:${id}:requested`, {
      subject: `We received your return request for order ${order.number}`,
      body: [
        `We received your request to return these items from order ${order.number}:`,
        itemsText(options.lines, input.items),
        '',
        `Refund once the items are back with us: ${formatPrice(refundCents)}`,
        '',
        'We will look at your request and e-mail you. Please do not send anything back until we have approved the return and sent you the address.',
        '',
        `See your order: ${orderLinkFor(ctx, order)}`,
      ].join('\n'),
    });
    return { ok: true, returnId: id };
  });
}

// ── the return as the customer sees it ─────────────────────────────────────────────────────────────────────────

export type ReturnSummary = {
  id: string;
  status: ReturnStatus;
  items: (ReturnItem & Pick<OrderLine, 'name' | 'variant' | 'unitPriceCents'>)[];
  refundCents: number;
  requestedAt: Date;
  decidedAt: Date | null;
  receivedAt: Date | null;
  refundedAt: Date | null;
};

function summarise(returns: ReturnRow[], lines: OrderLine[]): ReturnSummary[] {
  return returns
    .map((r) => ({
      id: r.id,
      status: r.status,
      items: r.items.flatMap((item) => {
        const line = lines.find((l) => l.position === item.position);
        return line ? [{ ...item, name: line.name, variant: line.variant, unitPriceCents: line.unitPriceCents }] : [];
      }),
      refundCents: r.refundCents,
      requestedAt: r.requestedAt,
      decidedAt: r.decidedAt,
      receivedAt: r.receivedAt,
      // While a refund is under way the column holds its claim (see refundReturn), which is no refund yet.
      refundedAt: r.status === 'refunded' ? r.refundedAt : null,
    }))
    .reverse();
}

/** The order's returns, newest first, with the items' names: for the order page. Nothing personal is opened. */
export async function returnsForOrder(ctx: { db: Executor }, orderId: string): Promise<ReturnSummary[]> {
  const [lines, returns] = await Promise.all([ctx.db.select().from(orderLines).where(eq(orderLines.orderId, orderId)), returnRows(ctx.db, orderId)]);
  return summarise(returns, lines);
}

// ── the back office ─────────────────────────────────────────────────────────────────────────────────────────────

/** What support works on: new requests, approved returns whose parcel is awaited, and parcels to refund. */
const QUEUE_STATUSES: readonly ReturnStatus[] = ['requested', 'approved', 'received'];

export type QueueRow = Pick<ReturnRow, 'id' | 'status' | 'items' | 'refundCents' | 'requestedAt'> & { orderNumber: string };

export async function returnQueue(ctx: { db: Executor }): Promise<QueueRow[]> {
  return ctx.db
    .select({
      id: returnRequests.id,
      status: returnRequests.status,
      items: returnRequests.items,
      refundCents: returnRequests.refundCents,
      requestedAt: returnRequests.requestedAt,
      orderNumber: orders.number,
    })
    .from(returnRequests)
    .innerJoin(orders, eq(orders.id, returnRequests.orderId))
    .where(inArray(returnRequests.status, [...QUEUE_STATUSES]))
    .orderBy(asc(returnRequests.requestedAt), asc(returnRequests.id));
}

export type CustomerReason = { reason: ReturnReason; comment: string };
export type ReturnForStaff = { request: ReturnSummary; order: Order; reason: CustomerReason | Erased };

export type StaffContext = ReturnsContext & { actor: StaffActor; requestId?: string | undefined };

/** One return with the customer's reason, opened for after-sales and audited in the same transaction. */
export async function returnForStaff(ctx: StaffContext, id: string): Promise<ReturnForStaff | undefined> {
  return inTransaction(ctx.db, async (tx) => {
    const [request] = await tx.select().from(returnRequests).where(eq(returnRequests.id, id));
    if (!request) return undefined;
    const [order] = await tx.select().from(orders).where(eq(orders.id, request.orderId));
    const lines = await tx.select().from(orderLines).where(eq(orderLines.orderId, request.orderId));
    const reason = await readForPurpose(ctx, tx, { subject: { unitId: order!.unitId, kind: 'order' }, fields: ['ticketMessages'], purpose: 'after_sales' }, async () => {
      const text = await open({ ...ctx, db: tx }, order!.unitId, reasonPlace(id), request.reason);
      return isErased(text) ? text : (JSON.parse(text) as CustomerReason);
    });
    return { request: summarise([request], lines)[0]!, order: order!, reason };
  });
}

/** Locks the return row and checks it is at `from`; a second click finds it moved on and is told what happened. */
async function lockReturn(tx: Tx, id: string, from: ReturnStatus): Promise<{ request: ReturnRow; order: Order; lines: OrderLine[] }> {
  const [request] = await tx.select().from(returnRequests).where(eq(returnRequests.id, id)).for('update');
  if (!request) throw new ReturnStateError('There is no such return.', 404);
  if (request.status !== from) throw new ReturnStateError(`This return is already ${STAFF_RETURN_STATUS_WORDS[request.status]}: nothing was changed.`);
  const [order] = await tx.select().from(orders).where(eq(orders.id, request.orderId));
  const lines = await tx.select().from(orderLines).where(eq(orderLines.orderId, request.orderId)).orderBy(asc(orderLines.position));
  return { request, order: order!, lines };
}

type Move = {
  from: ReturnStatus;
  to: ReturnStatus;
  event: OrderEventKind;
  stamp: (now: Date, staff: StaffActor) => Partial<ReturnRow>;
  mail: (ctx: ReturnsContext, moved: { request: ReturnRow; order: Order; lines: OrderLine[] }) => { subject: string; body: string };
};

async function move(ctx: StaffContext, id: string, step: Move): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    const moved = await lockReturn(tx, id, step.from);
    const now = ctx.clock.now();
    await tx.update(returnRequests).set({ status: step.to, ...step.stamp(now, ctx.actor) }).where(eq(returnRequests.id, id));
    await touchOrder(tx, moved.order.id, step.event, now, ctx.actor.staffId);
    await sendOrderMail(ctx, tx, moved.order, `return:${id}:${step.to}`, step.mail(ctx, moved));
  });
}

export function approveReturn(ctx: StaffContext, id: string): Promise<void> {
  return move(ctx, id, {
    from: 'requested',
    to: 'approved',
    event: 'return_approved',
    stamp: (now, staff) => ({ decidedAt: now, decidedBy: staff.staffId }),
    mail: ({ shopName, returnsAddress }, { request, order, lines }) => ({
      subject: `Your return for order ${order.number} is approved`,
      body: [
        `We have approved your return of these items from order ${order.number}:`,
        itemsText(lines, request.items),
        '',
        'Pack them safely, write the order number on the parcel and send it to:',
        ...[shopName, ...returnsAddress].map((line) => `  ${line}`),
        '',
        `Once the parcel is with us we refund ${formatPrice(request.refundCents)} to the card you paid with.`,
      ].join('\n'),
    }),
  });
}

export const RejectForm = z.object({
  message: z.string({ error: 'Write why the return is declined' }).trim().min(1, 'Write why the return is declined: the customer reads this').max(COMMENT_MAX, `Use at most ${COMMENT_MAX} characters`),
});

export function rejectReturn(ctx: StaffContext, id: string, message: string): Promise<void> {
  return move(ctx, id, {
    from: 'requested',
    to: 'rejected',
    event: 'return_rejected',
    stamp: (now, staff) => ({ decidedAt: now, decidedBy: staff.staffId }),
    mail: (_ctx, { request, order, lines }) => ({
      subject: `About your return request for order ${order.number}`,
      body: [
        `We are sorry: we cannot accept the return of these items from order ${order.number}:`,
        itemsText(lines, request.items),
        '',
        message,
        '',
        'Please do not send these items back. If you have questions, reply to our customer service.',
      ].join('\n'),
    }),
  });
}

export function receiveReturn(ctx: StaffContext, id: string): Promise<void> {
  return move(ctx, id, {
    from: 'approved',
    to: 'received',
    event: 'return_received',
    stamp: (now) => ({ receivedAt: now }),
    mail: (_ctx, { request, order }) => ({
      subject: `Your returned parcel for order ${order.number} has arrived`,
      body: `Your returned parcel for order ${order.number} has arrived. We are checking it and will refund ${formatPrice(request.refundCents)} to the card you paid with.`,
    }),
  });
}

/** How long a refund in progress keeps others off the same return; after it, a retry may try again. */
export const REFUND_CLAIM_MS = 5 * 60 * 1000;

/**
 * Refunds a received return. The provider is called outside any transaction, as a real one is over the network;
 * before that, the return is claimed under its row lock (refunded_at set while the status is still `received`),
 * so a double click calls the provider once and the second click is told a refund is under way. The idempotency
 * key makes a retry after a crash return the first refund instead of paying twice.
 */
export async function refundReturn(ctx: StaffContext, id: string): Promise<void> {
  const claim = await inTransaction(ctx.db, async (tx) => {
    const { request, order } = await lockReturn(tx, id, 'received');
    const now = ctx.clock.now();
    if (request.refundedAt && now.getTime() - request.refundedAt.getTime() < REFUND_CLAIM_MS) {
      throw new ReturnStateError('A refund for this return is already being made. Reload the page in a moment to see it.');
    }
    const [payment] = await tx.select().from(payments).where(and(eq(payments.orderId, order.id), eq(payments.status, 'succeeded')));
    if (!payment?.providerChargeId) throw new ReturnStateError('This order has no payment to refund.');
    await tx.update(returnRequests).set({ refundedAt: now }).where(eq(returnRequests.id, id));
    return { paymentId: payment.id, chargeId: payment.providerChargeId, amountCents: request.refundCents };
  });

  const refund = await ctx.payments.refund({ chargeId: claim.chargeId, amountCents: claim.amountCents, idempotencyKey: `return:${id}` });
  if (!refund.ok) {
    await ctx.db.update(returnRequests).set({ refundedAt: null }).where(and(eq(returnRequests.id, id), eq(returnRequests.status, 'received')));
    throw new ReturnStateError(`The payment provider refused the refund: ${refund.message}`);
  }

  await inTransaction(ctx.db, async (tx) => {
    const { request, order, lines } = await lockReturn(tx, id, 'received');
    const now = ctx.clock.now();
    await disclose(ctx, tx, 'payment', 'after_sales', order.unitId, { amountCents: claim.amountCents });
    await tx.update(returnRequests).set({ status: 'refunded', providerRefundId: refund.refundId, refundedAt: now }).where(eq(returnRequests.id, id));
    await tx.update(payments).set({ refundedCents: sql`${payments.refundedCents} + ${claim.amountCents}` }).where(eq(payments.id, claim.paymentId));
    await touchOrder(tx, order.id, 'refunded', now, ctx.actor.staffId);
    const refunded = (await returnRows(tx, order.id)).filter((r) => r.status === 'refunded');
    if (returnableLines(lines, refunded).every((line) => line.returnable === 0)) {
      await lockForMove(tx, order.id, 'returned');
      await tx.update(orders).set({ status: 'returned', returnedAt: now }).where(eq(orders.id, order.id));
    }
    await sendOrderMail(ctx, tx, order, `return:${id}:refunded`, {
      subject: 'Your refund is on its way',
      body: [
        `We have refunded ${formatPrice(request.refundCents)} for these items from order ${order.number}:`,
        itemsText(lines, request.items),
        '',
        'The money goes back to the card you paid with; your bank may take a few days to show it.',
      ].join('\n'),
    });
  });
}
