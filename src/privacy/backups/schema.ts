import { integer, pgTable, timestamp } from 'drizzle-orm/pg-core';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// Written into a restored database before anything else touches it and removed once every erasure recorded after the
// backup was taken has been replayed: while it is there, the shop answers 503 instead of showing erased customers.

export const restorePending = classify(
  pgTable('restore_pending', {
    /** Always 1: one restore at a time. */
    id: integer('id').primaryKey(),
    backupTakenAt: timestamp('backup_taken_at', { withTimezone: true }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  }),
  { id: NOT_PERSONAL, backupTakenAt: NOT_PERSONAL, startedAt: NOT_PERSONAL },
);
