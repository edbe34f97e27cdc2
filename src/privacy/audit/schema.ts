import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// The audit trail of staff reads of personal data: who read which fields of whose data, and why. Rows are
// hash-chained and numbered without gaps (see service.ts), so an edited, removed or reordered row shows.
export const auditEvents = classify(
  pgTable('audit_event', {
    /** 1, 2, 3…: assigned under the append lock, never by a sequence, so a gap means a removed row. */
    id: integer('id').primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    staffId: text('staff_id').notNull(),
    /** The reader's roles at the time of the read; roles change, the record must not. */
    staffRoles: text('staff_roles').array().notNull(),
    subjectUnitId: uuid('subject_unit_id').notNull(),
    subjectKind: text('subject_kind').notNull(),
    fields: text('fields').array().notNull(),
    purpose: text('purpose').notNull(),
    requestId: text('request_id'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  }, (t) => [index('audit_event_subject_idx').on(t.subjectUnitId), index('audit_event_at_idx').on(t.at)]),
  {
    id: NOT_PERSONAL,
    at: NOT_PERSONAL,
    staffId: { personal: false, why: 'a staff account id: the record of who read, not data about a customer' },
    staffRoles: NOT_PERSONAL,
    subjectUnitId: { personal: false, why: 'a retention-unit id; it names nothing once the unit is shredded' },
    subjectKind: NOT_PERSONAL,
    fields: { personal: false, why: 'the names of the fields read, never their values' },
    purpose: NOT_PERSONAL,
    requestId: NOT_PERSONAL,
    prevHash: NOT_PERSONAL,
    hash: NOT_PERSONAL,
  },
);

// The chain's last link, updated in the transaction of every append. A chain cannot show rows cut from its end;
// comparing it with this row can.
export const auditHead = classify(
  pgTable('audit_head', {
    id: integer('id').primaryKey(),
    lastId: integer('last_id').notNull(),
    lastHash: text('last_hash').notNull(),
  }, (t) => [check('audit_head_single_row', sql`${t.id} = 1`)]),
  { id: NOT_PERSONAL, lastId: NOT_PERSONAL, lastHash: NOT_PERSONAL },
);
