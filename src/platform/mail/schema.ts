import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { classifyColumns, NOT_PERSONAL } from '../db/classification.ts';
import { bytea } from '../db/types.ts';

// The outbox: every e-mail Pledge sends is first a row here, written in the same transaction as the change that
// causes it, then delivered by a job. A dedupe key makes the same message at most one row. The message itself
// (recipient, subject, text) is sealed under a retention unit's key: its subject's, so erasing the subject erases
// the message, or a key of its own, shredded once the message is sent.
export const outbox = classifyColumns(
  pgTable('outbox', {
    id: uuid('id').primaryKey().defaultRandom(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    unitId: uuid('unit_id').notNull(),
    envelope: bytea('envelope').notNull(),
    status: text('status', { enum: ['pending', 'sending', 'sent', 'failed', 'cancelled'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  }, (t) => [index('outbox_created_idx').on(t.createdAt), index('outbox_unit_idx').on(t.unitId)]),
  {
    id: NOT_PERSONAL,
    dedupeKey: { personal: false, why: 'built from ids and message kinds, never from personal values' },
    unitId: { personal: true, category: 'message_content', unit: 'outbox_message', protection: 'pseudonymous_id' },
    envelope: { personal: true, category: 'message_content', unit: 'outbox_message', protection: 'encrypted', processors: ['email_delivery'] },
    status: NOT_PERSONAL,
    attempts: NOT_PERSONAL,
    lastError: { personal: false, why: 'only an error class and code are kept; SMTP texts can quote addresses' },
    createdAt: NOT_PERSONAL,
    claimedAt: NOT_PERSONAL,
    sentAt: NOT_PERSONAL,
  },
);

export type MailMessage = { to: string; subject: string; text: string; html?: string };
