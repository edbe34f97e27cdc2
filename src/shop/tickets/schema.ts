import { index, pgSequence, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../../privacy/inventory.ts';
import { privacyRequests } from '../../privacy/requests/schema.ts';
import { customers } from '../accounts/schema.ts';

// Customer service (seed 000 §1 "customer service communication records", §2 "providing customer support").
// Each ticket is a retention unit of its own: the sender's name, address and every message are sealed under the
// ticket's key, so it is kept at least 12 months after closing (seed 000 §4) and shredded on its own schedule.

export const TICKET_TOPICS = ['order_question', 'return', 'privacy_question', 'other'] as const;
export type TicketTopic = (typeof TICKET_TOPICS)[number];

/** open: support's turn; waiting: the customer's turn; closed: done (kept for the retention term). */
export const TICKET_STATUSES = ['open', 'waiting', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/**
 * What a privacy question asks for. A copy or a deletion also opens a privacy-center request; a correction or
 * anything else is the privacy officer's to answer from the ticket.
 */
export const PRIVACY_WISHES = ['copy', 'deletion', 'correction', 'question'] as const;
export type PrivacyWish = (typeof PRIVACY_WISHES)[number];

/** Which desk answers: privacy questions go to the privacy officer. */
export const TICKET_DESKS = ['support', 'privacy_officer'] as const;
export type TicketDesk = (typeof TICKET_DESKS)[number];

/** References are a sequence shown as T-100001: short enough to read over the phone; they open nothing by themselves. */
export const ticketReferences = pgSequence('ticket_reference_seq', { startWith: 100001 });

export const tickets = classify(
  pgTable('ticket', {
    id: uuid('id').primaryKey(),
    reference: text('reference').notNull().unique(),
    unitId: uuid('unit_id').notNull(),
    customerId: uuid('customer_id').references(() => customers.id, { onDelete: 'set null' }),
    topic: text('topic', { enum: TICKET_TOPICS }).notNull(),
    /** Only on privacy questions. */
    privacyWish: text('privacy_wish', { enum: PRIVACY_WISHES }),
    /** The privacy-center request a copy or deletion opened, so the officer reading the message can find it. */
    privacyRequestId: uuid('privacy_request_id').references(() => privacyRequests.id, { onDelete: 'set null' }),
    desk: text('desk', { enum: TICKET_DESKS }).notNull(),
    status: text('status', { enum: TICKET_STATUSES }).notNull(),
    /** As the customer gave it, normalised (P100001); the order may not exist. */
    orderNumber: text('order_number'),
    emailIndex: bytea('email_index').notNull(),
    email: bytea('email').notNull(),
    name: bytea('name').notNull(),
    assignedTo: uuid('assigned_to'),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }).notNull(),
    /** The retention clock runs from here: kept at least 12 months after closing (seed 000 §4). */
    closedAt: timestamp('closed_at', { withTimezone: true }),
  }, (t) => [
    index('ticket_queue_idx').on(t.desk, t.status, t.lastActivityAt),
    index('ticket_customer_idx').on(t.customerId, t.lastActivityAt),
    index('ticket_email_index_idx').on(t.emailIndex),
    index('ticket_closed_idx').on(t.closedAt),
    index('ticket_unit_idx').on(t.unitId),
  ]),
  {
    id: NOT_PERSONAL,
    reference: { personal: true, category: 'customer_service_record', unit: 'ticket', protection: 'pseudonymous_id' },
    unitId: { personal: true, category: 'customer_service_record', unit: 'ticket', protection: 'pseudonymous_id' },
    customerId: { personal: true, category: 'customer_service_record', unit: 'ticket', protection: 'pseudonymous_id' },
    topic: NOT_PERSONAL,
    privacyWish: NOT_PERSONAL,
    privacyRequestId: { personal: true, category: 'customer_service_record', unit: 'ticket', protection: 'pseudonymous_id' },
    desk: NOT_PERSONAL,
    status: NOT_PERSONAL,
    orderNumber: { personal: true, category: 'order_record', unit: 'ticket', protection: 'pseudonymous_id' },
    emailIndex: { personal: true, category: 'account_contact', unit: 'ticket', protection: 'blind_index' },
    email: { personal: true, category: 'account_contact', unit: 'ticket', protection: 'encrypted', processors: ['email_delivery'] },
    name: { personal: true, category: 'account_contact', unit: 'ticket', protection: 'encrypted' },
    assignedTo: { personal: false, why: 'the id of a member of staff' },
    openedAt: NOT_PERSONAL,
    lastActivityAt: NOT_PERSONAL,
    closedAt: NOT_PERSONAL,
  },
);

/** customer: from the customer; reply: from support, mailed to the customer; note: internal, never shown to them. */
export const MESSAGE_KINDS = ['customer', 'reply', 'note'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const ticketMessages = classify(
  pgTable('ticket_message', {
    id: uuid('id').primaryKey(),
    ticketId: uuid('ticket_id').notNull().references(() => tickets.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: MESSAGE_KINDS }).notNull(),
    staffId: uuid('staff_id'),
    /** Sealed, after redaction: card numbers, security codes and id numbers never reach the database. */
    body: bytea('body').notNull(),
    /** What redaction removed (kinds only, never the values), so the customer can be told why. */
    removed: text('removed').array().notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  }, (t) => [index('ticket_message_ticket_idx').on(t.ticketId, t.at)]),
  {
    id: NOT_PERSONAL,
    ticketId: NOT_PERSONAL,
    kind: NOT_PERSONAL,
    staffId: { personal: false, why: 'the id of a member of staff' },
    body: { personal: true, category: 'customer_service_record', unit: 'ticket', protection: 'encrypted' },
    removed: { personal: false, why: 'the kinds of data removed, never the data' },
    at: NOT_PERSONAL,
  },
);

/**
 * Passes to one ticket for someone without an account, as for orders: `link` is the single-use link in each reply
 * e-mail; `session` is what the browser holds after sending the form or following a link.
 */
export const ticketPasses = classify(
  pgTable('ticket_pass', {
    tokenHash: bytea('token_hash').primaryKey(),
    ticketId: uuid('ticket_id').notNull().references(() => tickets.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['link', 'session'] }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  }, (t) => [index('ticket_pass_ticket_idx').on(t.ticketId), index('ticket_pass_expires_idx').on(t.expiresAt)]),
  {
    tokenHash: { personal: true, category: 'device_data', unit: 'ticket', protection: 'hashed' },
    ticketId: NOT_PERSONAL,
    kind: NOT_PERSONAL,
    expiresAt: NOT_PERSONAL,
    usedAt: NOT_PERSONAL,
  },
);

export type Ticket = typeof tickets.$inferSelect;
export type TicketMessage = typeof ticketMessages.$inferSelect;
