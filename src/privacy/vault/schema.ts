import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../inventory.ts';

export { bytea };

// One data key per retention unit (an account, an order, a ticket…), stored wrapped by the master key. Deleting
// the row is crypto-shredding: every value sealed under the key becomes unreadable, wherever a copy of it sits.
export const unitKeys = classify(
  pgTable('unit_key', {
    unitId: uuid('unit_id').primaryKey(),
    unitKind: text('unit_kind').notNull(),
    keyId: uuid('key_id').notNull().unique(),
    wrappedKey: bytea('wrapped_key').notNull(),
    /** Fingerprint of the master key that wrapped this key; rotation re-wraps row by row. */
    kekId: text('kek_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  }, (t) => [index('unit_key_kek_idx').on(t.kekId)]),
  {
    unitId: NOT_PERSONAL,
    unitKind: NOT_PERSONAL,
    keyId: NOT_PERSONAL,
    wrappedKey: { personal: false, why: 'a key, not data about anyone' },
    kekId: NOT_PERSONAL,
    createdAt: NOT_PERSONAL,
  },
);

// What was erased and when: unit and key ids only, nothing personal. It outlives the data so that a restored
// backup can be erased again (`pledge erasures replay`).
export const erasureJournal = classify(
  pgTable('erasure_journal', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    unitId: uuid('unit_id').notNull(),
    unitKind: text('unit_kind').notNull(),
    keyId: uuid('key_id').notNull(),
    reason: text('reason').notNull(),
    erasedAt: timestamp('erased_at', { withTimezone: true }).notNull(),
  }, (t) => [index('erasure_journal_unit_idx').on(t.unitId)]),
  { id: NOT_PERSONAL, unitId: NOT_PERSONAL, unitKind: NOT_PERSONAL, keyId: NOT_PERSONAL, reason: NOT_PERSONAL, erasedAt: NOT_PERSONAL },
);
