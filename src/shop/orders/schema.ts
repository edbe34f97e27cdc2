import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, pgSequence, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../../privacy/inventory.ts';
import { customers } from '../accounts/schema.ts';
import { products } from '../catalog/schema.ts';

// Orders (seed 000 §1 "order and transaction information"). Each order is a retention unit of its own: its contact
// and delivery details are sealed under the order's key, so an order outlives its customer's account for the legal
// term and is shredded on its own schedule. Lines and totals are written once, at placement, in integer cents.

export const ORDER_STATUSES = ['placed', 'paid', 'packed', 'shipped', 'delivered', 'cancelled', 'returned'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Order numbers are a plain sequence, shown with a prefix: short enough to read over the phone, never reused. */
export const orderNumbers = pgSequence('order_number_seq', { startWith: 100001 });

/** An order number's shape: P and the sequence's digits (see the insert in checkout). */
export const ORDER_NUMBER = /^P\d{1,12}$/;

export const orders = classify(
  pgTable('order', {
    id: uuid('id').primaryKey(),
    number: text('number').notNull().unique(),
    unitId: uuid('unit_id').notNull(),
    customerId: uuid('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    /** Hash of the one-time key in the checkout form: a resubmitted form finds its order instead of placing another. */
    checkoutKey: bytea('checkout_key').notNull().unique(),
    status: text('status', { enum: ORDER_STATUSES }).notNull(),
    emailIndex: bytea('email_index').notNull(),
    email: bytea('email').notNull(),
    recipientName: bytea('recipient_name').notNull(),
    phone: bytea('phone'),
    /** Sealed JSON: line1, line2, city, region, postcode, country. */
    shippingAddress: bytea('shipping_address').notNull(),
    shippingCountry: text('shipping_country').notNull(),
    shippingOptionCode: text('shipping_option_code').notNull(),
    shippingOptionName: text('shipping_option_name').notNull(),
    currency: text('currency').notNull(),
    subtotalCents: integer('subtotal_cents').notNull(),
    shippingCents: integer('shipping_cents').notNull(),
    taxRateBasisPoints: integer('tax_rate_bp').notNull(),
    taxCents: integer('tax_cents').notNull(),
    totalCents: integer('total_cents').notNull(),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull(),
    /** An unpaid order is cancelled, and its stock released, at this time. */
    payBy: timestamp('pay_by', { withTimezone: true }).notNull(),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    packedAt: timestamp('packed_at', { withTimezone: true }),
    shippedAt: timestamp('shipped_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    returnedAt: timestamp('returned_at', { withTimezone: true }),
    carrier: text('carrier'),
    trackingNumber: text('tracking_number'),
    /** The last order or after-sales event: the retention clock runs from here (seed 000 §4). */
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }).notNull(),
  }, (t) => [
    index('order_customer_idx').on(t.customerId, t.placedAt),
    index('order_email_index_idx').on(t.emailIndex),
    index('order_status_idx').on(t.status, t.placedAt),
    index('order_last_activity_idx').on(t.lastActivityAt),
    // An incident's notices and the security check find the record a unit of data keys.
    index('order_unit_idx').on(t.unitId),
    check('order_totals_add_up', sql`${t.totalCents} = ${t.subtotalCents} + ${t.shippingCents} + ${t.taxCents}`),
  ]),
  {
    id: NOT_PERSONAL,
    number: { personal: true, category: 'order_record', unit: 'order', protection: 'pseudonymous_id' },
    unitId: { personal: true, category: 'order_record', unit: 'order', protection: 'pseudonymous_id' },
    customerId: { personal: true, category: 'order_record', unit: 'order', protection: 'pseudonymous_id' },
    checkoutKey: { personal: false, why: 'a hash of a random key issued with the checkout form' },
    status: NOT_PERSONAL,
    emailIndex: { personal: true, category: 'account_contact', unit: 'order', protection: 'blind_index' },
    email: { personal: true, category: 'account_contact', unit: 'order', protection: 'encrypted', processors: ['email_delivery'] },
    recipientName: { personal: true, category: 'account_contact', unit: 'order', protection: 'encrypted', processors: ['logistics'] },
    phone: { personal: true, category: 'account_contact', unit: 'order', protection: 'encrypted', processors: ['logistics'] },
    shippingAddress: { personal: true, category: 'delivery_address', unit: 'order', protection: 'encrypted', processors: ['logistics'] },
    shippingCountry: { personal: false, why: 'the country alone, which sets tax and carrier and identifies no one' },
    shippingOptionCode: NOT_PERSONAL,
    shippingOptionName: { personal: false, why: 'the name of a delivery service' },
    currency: NOT_PERSONAL,
    subtotalCents: NOT_PERSONAL,
    shippingCents: NOT_PERSONAL,
    taxRateBasisPoints: NOT_PERSONAL,
    taxCents: NOT_PERSONAL,
    totalCents: NOT_PERSONAL,
    placedAt: NOT_PERSONAL,
    payBy: NOT_PERSONAL,
    paidAt: NOT_PERSONAL,
    packedAt: NOT_PERSONAL,
    shippedAt: NOT_PERSONAL,
    deliveredAt: NOT_PERSONAL,
    cancelledAt: NOT_PERSONAL,
    returnedAt: NOT_PERSONAL,
    carrier: NOT_PERSONAL,
    trackingNumber: { personal: true, category: 'order_record', unit: 'order', protection: 'pseudonymous_id' },
    lastActivityAt: NOT_PERSONAL,
  },
);

/** What was bought, copied from the catalogue at placement so later catalogue edits never change an order. */
export const orderLines = classify(
  pgTable('order_line', {
    orderId: uuid('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    productId: integer('product_id').references(() => products.id, { onDelete: 'set null' }),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    variant: text('variant'),
    unitPriceCents: integer('unit_price_cents').notNull(),
    quantity: integer('quantity').notNull(),
    lineTotalCents: integer('line_total_cents').notNull(),
    /** Weight of one unit, copied for the parcel. */
    weightGrams: integer('weight_grams').notNull(),
  }, (t) => [primaryKey({ columns: [t.orderId, t.position] }), check('order_line_quantity_positive', sql`${t.quantity} > 0`)]),
  {
    orderId: NOT_PERSONAL,
    position: NOT_PERSONAL,
    productId: NOT_PERSONAL,
    slug: NOT_PERSONAL,
    name: { personal: false, why: 'the name of a product' },
    variant: NOT_PERSONAL,
    unitPriceCents: NOT_PERSONAL,
    quantity: NOT_PERSONAL,
    lineTotalCents: NOT_PERSONAL,
    weightGrams: NOT_PERSONAL,
  },
);

export const ORDER_EVENT_KINDS = [
  'placed',
  'payment_declined',
  'paid',
  'packed',
  'shipped',
  'delivered',
  'cancelled',
  'return_requested',
  'return_approved',
  'return_rejected',
  'return_received',
  'refunded',
] as const;
export type OrderEventKind = (typeof ORDER_EVENT_KINDS)[number];

/** The order's history as the customer and staff see it: what happened, when, and which staff member did it. */
export const orderEvents = classify(
  pgTable('order_event', {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    orderId: uuid('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull(),
    kind: text('kind', { enum: ORDER_EVENT_KINDS }).notNull(),
    staffId: uuid('staff_id'),
  }, (t) => [index('order_event_order_idx').on(t.orderId, t.id)]),
  { id: NOT_PERSONAL, orderId: NOT_PERSONAL, at: NOT_PERSONAL, kind: NOT_PERSONAL, staffId: NOT_PERSONAL },
);

/**
 * Passes to one order for someone without an account: `link` is the single-use link mailed to a guest who asked
 * for it by number and e-mail; `session` is what the browser holds (after checkout, or after following a link).
 */
export const orderPasses = classify(
  pgTable('order_pass', {
    tokenHash: bytea('token_hash').primaryKey(),
    orderId: uuid('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['link', 'session'] }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  }, (t) => [index('order_pass_order_idx').on(t.orderId), index('order_pass_expires_idx').on(t.expiresAt)]),
  {
    tokenHash: { personal: true, category: 'device_data', unit: 'order', protection: 'hashed' },
    orderId: NOT_PERSONAL,
    kind: NOT_PERSONAL,
    expiresAt: NOT_PERSONAL,
    usedAt: NOT_PERSONAL,
  },
);

/** Sales tax by destination country, in basis points (725 = 7.25 %), on goods and shipping. */
export const taxRates = classify(
  pgTable('tax_rate', {
    country: text('country').primaryKey(),
    name: text('name').notNull(),
    rateBasisPoints: integer('rate_bp').notNull(),
  }, (t) => [check('tax_rate_range', sql`${t.rateBasisPoints} between 0 and 10000`)]),
  { country: NOT_PERSONAL, name: { personal: false, why: 'the name of a tax' }, rateBasisPoints: NOT_PERSONAL },
);

/** Delivery services offered at checkout. */
export const shippingOptions = classify(
  pgTable('shipping_option', {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    priceCents: integer('price_cents').notNull(),
    /** Free when the subtotal reaches this; null: never free. */
    freeFromCents: integer('free_from_cents'),
    minDays: integer('min_days').notNull(),
    maxDays: integer('max_days').notNull(),
    position: integer('position').notNull(),
    active: boolean('active').notNull().default(true),
  }, (t) => [check('shipping_option_price_not_negative', sql`${t.priceCents} >= 0`), check('shipping_option_days', sql`${t.minDays} <= ${t.maxDays}`)]),
  {
    code: NOT_PERSONAL,
    name: { personal: false, why: 'the name of a delivery service' },
    description: NOT_PERSONAL,
    priceCents: NOT_PERSONAL,
    freeFromCents: NOT_PERSONAL,
    minDays: NOT_PERSONAL,
    maxDays: NOT_PERSONAL,
    position: NOT_PERSONAL,
    active: NOT_PERSONAL,
  },
);

export type Order = typeof orders.$inferSelect;
export type OrderLine = typeof orderLines.$inferSelect;
