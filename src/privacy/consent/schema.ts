import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// Consent records (ISO/IEC 27560 in spirit): one row per choice a visitor made, never updated, so the history is
// the proof. The visitor is known only by the hash of an opaque id in the essential consent cookie, and a signed-in
// customer also by their account id; what was chosen is sealed under the visitor's own unit key.
export const consentRecords = classify(
  pgTable('consent_record', {
    id: uuid('id').primaryKey(),
    unitId: uuid('unit_id').notNull(),
    visitorHash: bytea('visitor_hash').notNull(),
    customerId: uuid('customer_id'),
    policyRevision: text('policy_revision').notNull(),
    /** Sealed JSON: categories granted and refused, and how the choice was made (banner, settings page, GPC). */
    choice: bytea('choice').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
  }, (t) => [index('consent_record_visitor_idx').on(t.visitorHash, t.recordedAt), index('consent_record_customer_idx').on(t.customerId), index('consent_record_unit_idx').on(t.unitId, t.recordedAt)]),
  {
    id: NOT_PERSONAL,
    unitId: NOT_PERSONAL,
    visitorHash: { personal: true, category: 'consent_record', unit: 'consent_record', protection: 'hashed' },
    customerId: { personal: true, category: 'consent_record', unit: 'consent_record', protection: 'pseudonymous_id' },
    policyRevision: NOT_PERSONAL,
    choice: { personal: true, category: 'consent_record', unit: 'consent_record', protection: 'encrypted' },
    recordedAt: NOT_PERSONAL,
  },
);
