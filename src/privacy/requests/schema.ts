import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// Data-subject requests (seed 000 §4, §7, §8; seed 003 §3): a copy of one's data, erasure, or a suspected minor's
// case. Each is tracked against business-day deadlines. Once a request is done, the columns that could lead back to
// the person (account id, e-mail index, code) are cleared: the case stays on record without personal data.

export const REQUEST_KINDS = ['access', 'erasure', 'minor'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export const REQUEST_STATUSES = ['awaiting_verification', 'received', 'awaiting_identity', 'awaiting_confirmation', 'completed', 'refused'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** What an erasure did, per kind of unit: nothing personal, only counts, dates and reasons. */
export type RequestOutcome = {
  erased: { kind: string; label: string; count: number }[];
  held: { kind: string; label: string; count: number; until: string; why: string }[];
};

export const privacyRequests = classify(
  pgTable('privacy_request', {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: REQUEST_KINDS }).notNull(),
    status: text('status', { enum: REQUEST_STATUSES }).notNull(),
    /** The signed-in customer who asked; null for a guest, and cleared once the request is done. */
    customerId: uuid('customer_id'),
    /** Blind index of the address a guest asked for; cleared once the request is done. */
    emailIndex: bytea('email_index'),
    /** Hash of the 6-digit code mailed to a guest. */
    codeHash: bytea('code_hash'),
    codeExpiresAt: timestamp('code_expires_at', { withTimezone: true }),
    codeAttempts: integer('code_attempts').notNull().default(0),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    targetAt: timestamp('target_at', { withTimezone: true }).notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /** Why staff refused, extended or flagged: staff's words about the case, never the person's data. */
    note: text('note'),
    outcome: jsonb('outcome').$type<RequestOutcome>(),
    staffId: uuid('staff_id'),
  }, (t) => [index('privacy_request_queue_idx').on(t.status, t.dueAt), index('privacy_request_customer_idx').on(t.customerId)]),
  {
    id: NOT_PERSONAL,
    kind: NOT_PERSONAL,
    status: NOT_PERSONAL,
    customerId: { personal: true, category: 'account_contact', unit: 'account', protection: 'pseudonymous_id' },
    emailIndex: { personal: true, category: 'account_contact', unit: 'account', protection: 'blind_index' },
    codeHash: { personal: true, category: 'credentials', unit: 'account', protection: 'hashed' },
    codeExpiresAt: NOT_PERSONAL,
    codeAttempts: NOT_PERSONAL,
    receivedAt: NOT_PERSONAL,
    verifiedAt: NOT_PERSONAL,
    targetAt: NOT_PERSONAL,
    dueAt: NOT_PERSONAL,
    completedAt: NOT_PERSONAL,
    note: { personal: false, why: 'staff notes on the handling of a case; the form says never to write personal data' },
    outcome: { personal: false, why: 'counts, kinds of data, dates and reasons only' },
    staffId: NOT_PERSONAL,
  },
);

export const REQUEST_ACTIONS = ['paused_for_identity', 'identity_confirmed', 'extended', 'refused', 'run'] as const;
export type RequestActionKind = (typeof REQUEST_ACTIONS)[number];

/**
 * What staff did with a request, one row per action, never updated: the case's audit trail. `dueAt` is the due
 * date once the action was taken (an extension's new date).
 */
export const privacyRequestActions = classify(
  pgTable('privacy_request_action', {
    id: uuid('id').primaryKey(),
    requestId: uuid('request_id').notNull().references(() => privacyRequests.id, { onDelete: 'cascade' }),
    action: text('action', { enum: REQUEST_ACTIONS }).notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** Null when run from the command line by an operator. */
    staffId: uuid('staff_id'),
    note: text('note'),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
  }, (t) => [index('privacy_request_action_request_idx').on(t.requestId, t.at)]),
  {
    id: NOT_PERSONAL,
    requestId: NOT_PERSONAL,
    action: NOT_PERSONAL,
    at: NOT_PERSONAL,
    staffId: NOT_PERSONAL,
    note: { personal: false, why: 'staff notes on the handling of a case; the form says never to write personal data' },
    dueAt: NOT_PERSONAL,
  },
);

/**
 * A prepared copy of someone's data. The file sits in the data directory sealed under a key of its own (`unitId`);
 * it is deleted and its key shredded once downloaded or expired, so a leftover file reads as nothing.
 */
export const privacyExports = classify(
  pgTable('privacy_export', {
    id: uuid('id').primaryKey(),
    requestId: uuid('request_id').notNull().references(() => privacyRequests.id, { onDelete: 'cascade' }),
    unitId: uuid('unit_id').notNull(),
    tokenHash: bytea('token_hash').notNull().unique(),
    status: text('status', { enum: ['pending', 'ready', 'downloaded', 'expired'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    readyAt: timestamp('ready_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    downloadedAt: timestamp('downloaded_at', { withTimezone: true }),
  }, (t) => [index('privacy_export_request_idx').on(t.requestId), index('privacy_export_expires_idx').on(t.status, t.expiresAt)]),
  {
    id: NOT_PERSONAL,
    requestId: NOT_PERSONAL,
    unitId: { personal: false, why: 'the id of the export file’s own key' },
    tokenHash: { personal: true, category: 'credentials', unit: 'account', protection: 'hashed' },
    status: NOT_PERSONAL,
    createdAt: NOT_PERSONAL,
    readyAt: NOT_PERSONAL,
    expiresAt: NOT_PERSONAL,
    downloadedAt: NOT_PERSONAL,
  },
);

/**
 * Units held after their subject asked for erasure because law requires keeping them (an order inside its legal
 * term): their personal fields stay sealed, readable only by the privacy officer for the legal obligation, and the
 * unit is shredded when `heldUntil` passes.
 */
export const unitRestrictions = classify(
  pgTable('unit_restriction', {
    unitId: uuid('unit_id').primaryKey(),
    unitKind: text('unit_kind').notNull(),
    rowId: text('row_id').notNull(),
    heldUntil: timestamp('held_until', { withTimezone: true }).notNull(),
    why: text('why').notNull(),
    restrictedAt: timestamp('restricted_at', { withTimezone: true }).notNull(),
  }, (t) => [index('unit_restriction_until_idx').on(t.heldUntil)]),
  {
    unitId: { personal: false, why: 'a retention-unit id; it names nothing once the unit is shredded' },
    unitKind: NOT_PERSONAL,
    rowId: { personal: false, why: 'the id of the held row (an order id), not data about anyone' },
    heldUntil: NOT_PERSONAL,
    why: NOT_PERSONAL,
    restrictedAt: NOT_PERSONAL,
  },
);
