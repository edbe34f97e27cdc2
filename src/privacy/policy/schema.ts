import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { classify, NOT_PERSONAL } from '../inventory.ts';
import type { PolicyFacts } from './facts.ts';

// The privacy policy as data (seed 000 §9): published versions, never changed once written, each with its prose
// sections, the live facts as they stood when it was published, and the date it takes effect; the one draft the
// privacy officer is editing; and which customers have accepted which version by using the shop after it took effect.

export type PolicySection = { id: string; heading: string; prose: string };

export const POLICY_KINDS = ['minor', 'significant'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export const policyVersions = classify(
  pgTable('policy_version', {
    number: integer('number').primaryKey(),
    kind: text('kind', { enum: POLICY_KINDS }).notNull(),
    summary: text('summary').notNull(),
    sections: jsonb('sections').$type<PolicySection[]>().notNull(),
    facts: jsonb('facts').$type<PolicyFacts>().notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull(),
    effectiveAt: timestamp('effective_at', { withTimezone: true }).notNull(),
    /** Null for the first version, written by the shop when it first started. */
    publishedBy: uuid('published_by'),
  }, (t) => [index('policy_version_effective_idx').on(t.effectiveAt)]),
  {
    number: NOT_PERSONAL,
    kind: NOT_PERSONAL,
    summary: NOT_PERSONAL,
    sections: NOT_PERSONAL,
    facts: { personal: false, why: 'the shop’s inventory, rules and published contact details, nothing about a customer' },
    publishedAt: NOT_PERSONAL,
    effectiveAt: NOT_PERSONAL,
    publishedBy: { personal: false, why: 'the id of a member of staff' },
  },
);

export const policyDrafts = classify(
  pgTable('policy_draft', {
    /** Always 1: there is one draft at a time. */
    id: integer('id').primaryKey(),
    summary: text('summary').notNull(),
    sections: jsonb('sections').$type<PolicySection[]>().notNull(),
    /** Counts saves, so publishing can tell the draft was changed after its preview was shown. */
    revision: integer('revision').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    updatedBy: uuid('updated_by').notNull(),
  }),
  {
    id: NOT_PERSONAL,
    summary: NOT_PERSONAL,
    sections: NOT_PERSONAL,
    revision: NOT_PERSONAL,
    updatedAt: NOT_PERSONAL,
    updatedBy: { personal: false, why: 'the id of a member of staff' },
  },
);

export const policyAcceptances = classify(
  pgTable('policy_acceptance', {
    customerId: uuid('customer_id').notNull(),
    version: integer('version').notNull().references(() => policyVersions.number),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }).notNull(),
  }, (t) => [primaryKey({ columns: [t.customerId, t.version] })]),
  {
    customerId: { personal: true, category: 'consent_record', unit: 'account', protection: 'pseudonymous_id' },
    version: NOT_PERSONAL,
    acceptedAt: NOT_PERSONAL,
  },
);
