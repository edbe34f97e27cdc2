import { integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// Security alerts raised from the audit trail: a member of staff whose reading of personal data looks unlike their
// role's normal work. The alert keeps the numbers and the reasoning, never whose data was read.

export const securityAlerts = classify(
  pgTable('security_alert', {
    id: uuid('id').primaryKey(),
    rule: text('rule').notNull(),
    staffId: text('staff_id').notNull(),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    windowEnd: timestamp('window_end', { withTimezone: true }).notNull(),
    observed: integer('observed').notNull(),
    threshold: integer('threshold').notNull(),
    reasoning: text('reasoning').notNull(),
    raisedAt: timestamp('raised_at', { withTimezone: true }).notNull(),
  }, (t) => [uniqueIndex('security_alert_once_idx').on(t.rule, t.staffId, t.windowStart)]),
  {
    id: NOT_PERSONAL,
    rule: NOT_PERSONAL,
    staffId: { personal: false, why: 'a staff account id: whose reading raised the alert, not data about a customer' },
    windowStart: NOT_PERSONAL,
    windowEnd: NOT_PERSONAL,
    observed: NOT_PERSONAL,
    threshold: NOT_PERSONAL,
    reasoning: { personal: false, why: 'counts, roles and times only, written by the rule' },
    raisedAt: NOT_PERSONAL,
  },
);
