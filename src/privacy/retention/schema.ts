import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// Legal holds pause a unit's expiry (a dispute, an investigation); sweep runs record what each retention sweep did,
// batch by batch, so an interrupted sweep is visible and the next one simply carries on.

export const legalHolds = classify(
  pgTable('legal_hold', {
    id: uuid('id').primaryKey(),
    unitId: uuid('unit_id').notNull(),
    unitKind: text('unit_kind').notNull(),
    /** The held row (an order's or ticket's id), to show what is held. */
    rowId: text('row_id').notNull(),
    /** The matter, as the privacy officer describes it: a case or authority reference, never personal details. */
    matter: text('matter').notNull(),
    placedBy: uuid('placed_by').notNull(),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull(),
    releasedBy: uuid('released_by'),
    releasedAt: timestamp('released_at', { withTimezone: true }),
  }, (t) => [index('legal_hold_unit_idx').on(t.unitId, t.releasedAt)]),
  {
    id: NOT_PERSONAL,
    unitId: { personal: false, why: 'a retention-unit id; it names nothing once the unit is shredded' },
    unitKind: NOT_PERSONAL,
    rowId: { personal: false, why: 'the id of the held row, not data about anyone' },
    matter: { personal: false, why: 'a case or authority reference; the form asks for no personal details' },
    placedBy: { personal: false, why: 'the id of a member of staff' },
    placedAt: NOT_PERSONAL,
    releasedBy: { personal: false, why: 'the id of a member of staff' },
    releasedAt: NOT_PERSONAL,
  },
);

export type SweepCounts = Record<string, number>;

export const retentionSweeps = classify(
  pgTable('retention_sweep', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    /** `schedule` (the daily job) or `cli` (`pledge retention sweep`). */
    trigger: text('trigger').notNull(),
    status: text('status', { enum: ['running', 'finished', 'failed'] }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** Per unit kind and derived copy: how many were erased, anonymised, warned or deleted so far. */
    counts: jsonb('counts').$type<SweepCounts>().notNull(),
    batches: integer('batches').notNull().default(0),
    error: text('error'),
  }, (t) => [index('retention_sweep_started_idx').on(t.startedAt)]),
  {
    id: NOT_PERSONAL,
    trigger: NOT_PERSONAL,
    status: NOT_PERSONAL,
    startedAt: NOT_PERSONAL,
    finishedAt: NOT_PERSONAL,
    counts: NOT_PERSONAL,
    batches: NOT_PERSONAL,
    error: { personal: false, why: 'an error class and code, never a message that could quote data' },
  },
);
