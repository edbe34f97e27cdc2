import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// Every run of the conformance report, from the command line or the back office, so the privacy officer sees how
// the shop has kept its promises over time. Evidence is counts and ids only, never anyone's data.

export const CONFORMANCE_TRIGGERS = ['cli', 'web'] as const;
export type ConformanceTrigger = (typeof CONFORMANCE_TRIGGERS)[number];

/** One row of the report: a clause of the seeds, the promise in words, whether the live data keeps it, and why. */
export type ClauseResult = { clause: string; topic: string; promise: string; passed: boolean; evidence: string[] };

export const conformanceRuns = classify(
  pgTable('conformance_run', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    ranAt: timestamp('ran_at', { withTimezone: true }).notNull(),
    trigger: text('trigger', { enum: CONFORMANCE_TRIGGERS }).notNull(),
    passed: integer('passed').notNull(),
    failed: integer('failed').notNull(),
    results: jsonb('results').$type<ClauseResult[]>().notNull(),
  }, (t) => [index('conformance_run_ran_at_idx').on(t.ranAt)]),
  {
    id: NOT_PERSONAL,
    ranAt: NOT_PERSONAL,
    trigger: NOT_PERSONAL,
    passed: NOT_PERSONAL,
    failed: NOT_PERSONAL,
    results: { personal: false, why: 'clause ids, promises and evidence made of counts and ids, never values' },
  },
);
