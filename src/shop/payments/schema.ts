import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../../privacy/inventory.ts';
import { orders } from '../orders/schema.ts';

// Payments as Pledge keeps them (seed 003 §2 "payment information"): the provider's token, the card brand and its
// last four digits, sealed under the order's key. The card number never reaches Pledge: the card form posts to the
// provider, which answers with a token.

export const PAYMENT_STATUSES = ['succeeded', 'declined'] as const;

export const payments = classify(
  pgTable('payment', {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    /** The key sent to the provider with the charge; a repeated submit reuses it, so the card is charged once. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    status: text('status', { enum: PAYMENT_STATUSES }).notNull(),
    amountCents: integer('amount_cents').notNull(),
    currency: text('currency').notNull(),
    providerChargeId: text('provider_charge_id'),
    declineCode: text('decline_code'),
    cardToken: bytea('card_token').notNull(),
    cardBrand: bytea('card_brand').notNull(),
    cardLast4: bytea('card_last4').notNull(),
    refundedCents: integer('refunded_cents').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  }, (t) => [
    index('payment_order_idx').on(t.orderId),
    check('payment_refund_within_amount', sql`${t.refundedCents} between 0 and ${t.amountCents}`),
  ]),
  {
    id: NOT_PERSONAL,
    orderId: NOT_PERSONAL,
    provider: NOT_PERSONAL,
    idempotencyKey: { personal: false, why: 'a random key made by Pledge for one payment attempt' },
    status: NOT_PERSONAL,
    amountCents: NOT_PERSONAL,
    currency: NOT_PERSONAL,
    providerChargeId: { personal: true, category: 'payment_token', unit: 'order', protection: 'pseudonymous_id', processors: ['payment'] },
    declineCode: NOT_PERSONAL,
    cardToken: { personal: true, category: 'payment_token', unit: 'order', protection: 'encrypted', processors: ['payment'] },
    cardBrand: { personal: true, category: 'payment_token', unit: 'order', protection: 'encrypted' },
    cardLast4: { personal: true, category: 'payment_token', unit: 'order', protection: 'encrypted' },
    refundedCents: NOT_PERSONAL,
    createdAt: NOT_PERSONAL,
  },
);

/**
 * TestPay's own books: it stands for a remote provider, so it keeps what a provider keeps about a charge, and no
 * card data at all. Its tokens are signed and carry brand and last four themselves; only a hash of each charged
 * token is kept, so a token pays once.
 */
export const testpayCharges = classify(
  pgTable('testpay_charge', {
    id: text('id').primaryKey(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    tokenHash: bytea('token_hash').notNull(),
    /** The merchant's reference (Pledge's order id). */
    reference: text('reference').notNull(),
    amountCents: integer('amount_cents').notNull(),
    currency: text('currency').notNull(),
    outcome: text('outcome', { enum: ['succeeded', 'declined'] }).notNull(),
    refundedCents: integer('refunded_cents').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  }, (t) => [index('testpay_charge_token_idx').on(t.tokenHash)]),
  {
    id: NOT_PERSONAL,
    idempotencyKey: NOT_PERSONAL,
    tokenHash: { personal: true, category: 'payment_token', unit: 'order', protection: 'hashed' },
    reference: NOT_PERSONAL,
    amountCents: NOT_PERSONAL,
    currency: NOT_PERSONAL,
    outcome: NOT_PERSONAL,
    refundedCents: NOT_PERSONAL,
    createdAt: NOT_PERSONAL,
  },
);

/** TestPay's refunds: one row per refund key, so a retried refund returns the first answer instead of paying twice. */
export const testpayRefunds = classify(
  pgTable('testpay_refund', {
    id: text('id').primaryKey(),
    chargeId: text('charge_id').notNull().references(() => testpayCharges.id),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    amountCents: integer('amount_cents').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  }),
  { id: NOT_PERSONAL, chargeId: NOT_PERSONAL, idempotencyKey: NOT_PERSONAL, amountCents: NOT_PERSONAL, createdAt: NOT_PERSONAL },
);
