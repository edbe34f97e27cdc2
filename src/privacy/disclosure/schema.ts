import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// The disclosure ledger: every time personal data leaves Pledge, to a processor or to an authority, which fields
// went, about whom and why. Field names only, never values.
export const disclosures = classify(
  pgTable('disclosure', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** A processor from the inventory; null for a legal disclosure, whose recipient is `authority`. */
    processor: text('processor'),
    purpose: text('purpose').notNull(),
    fields: text('fields').array().notNull(),
    subjectUnitId: uuid('subject_unit_id').notNull(),
    legalBasis: text('legal_basis'),
    authority: text('authority'),
    /** The staff member who made the disclosure; null when the shop's own code sent it (an order to a carrier). */
    staffId: text('staff_id'),
  }, (t) => [
    index('disclosure_subject_idx').on(t.subjectUnitId),
    check('disclosure_one_recipient', sql`(${t.processor} is null) = (${t.authority} is not null and ${t.legalBasis} is not null)`),
  ]),
  {
    id: NOT_PERSONAL,
    at: NOT_PERSONAL,
    processor: NOT_PERSONAL,
    purpose: NOT_PERSONAL,
    fields: { personal: false, why: 'the names of the fields disclosed, never their values' },
    subjectUnitId: { personal: false, why: 'a retention-unit id; it names nothing once the unit is shredded' },
    legalBasis: NOT_PERSONAL,
    authority: { personal: false, why: 'the public body that asked, not a private person' },
    staffId: { personal: false, why: 'a staff account id: the record of who disclosed, not data about a customer' },
  },
);
