import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../../privacy/inventory.ts';
import { orders } from '../orders/schema.ts';

// Returns (seed 000 §2 "after-sales service"): the customer asks, staff approve or refuse, receive the parcel and
// refund through the payment provider. The reason is the customer's own words, sealed under the order's key.

export const RETURN_STATUSES = ['requested', 'approved', 'rejected', 'received', 'refunded'] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

export type ReturnItem = { position: number; quantity: number };

export const returnRequests = classify(
  pgTable('return_request', {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    status: text('status', { enum: RETURN_STATUSES }).notNull(),
    /** Order line positions and quantities to return. */
    items: jsonb('items').$type<ReturnItem[]>().notNull(),
    reason: bytea('reason').notNull(),
    refundCents: integer('refund_cents').notNull(),
    providerRefundId: text('provider_refund_id'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }),
    refundedAt: timestamp('refunded_at', { withTimezone: true }),
    decidedBy: uuid('decided_by'),
  }, (t) => [index('return_request_order_idx').on(t.orderId), index('return_request_status_idx').on(t.status, t.requestedAt)]),
  {
    id: NOT_PERSONAL,
    orderId: NOT_PERSONAL,
    status: NOT_PERSONAL,
    items: NOT_PERSONAL,
    reason: { personal: true, category: 'customer_service_record', unit: 'order', protection: 'encrypted' },
    refundCents: NOT_PERSONAL,
    providerRefundId: { personal: true, category: 'payment_token', unit: 'order', protection: 'pseudonymous_id', processors: ['payment'] },
    requestedAt: NOT_PERSONAL,
    decidedAt: NOT_PERSONAL,
    receivedAt: NOT_PERSONAL,
    refundedAt: NOT_PERSONAL,
    decidedBy: NOT_PERSONAL,
  },
);
