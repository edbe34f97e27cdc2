import { integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// The outbox: every e-mail Pledge sends is first a row here, written in the same transaction as the change that
// causes it, then delivered by a job. A dedupe key makes the same message at most one row.
export const outbox = pgTable('outbox', {
  id: uuid('id').primaryKey().defaultRandom(),
  dedupeKey: text('dedupe_key').notNull().unique(),
  envelope: jsonb('envelope').$type<MailMessage>().notNull(),
  status: text('status', { enum: ['pending', 'sending', 'sent', 'failed'] }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  claimedAt: timestamp('claimed_at', { withTimezone: true }),
  sentAt: timestamp('sent_at', { withTimezone: true }),
});

export type MailMessage = { to: string; subject: string; text: string; html?: string };
