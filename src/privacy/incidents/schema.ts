import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// The incident register (GDPR Art. 33, 34): what went wrong, when it was found, the clock to the regulator, each
// step taken, the subjects affected (as retention-unit ids, never their data) and who was told when.

export const INCIDENT_STATES = ['triage', 'contained', 'notified', 'closed'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/** Per data category: how many subjects and how many ledger or audit records the finder counted. */
export type AffectedCounts = Record<string, { subjects: number; records: number }>;

export const incidents = classify(
  pgTable('incident', {
    id: uuid('id').primaryKey(),
    /** What happened, in staff's words; the form asks to keep it free of personal data. */
    summary: text('summary').notNull(),
    consequences: text('consequences').notNull(),
    /** Inventory columns (`table.column`) the incident touched. */
    columns: text('columns').array().notNull(),
    /** Processors whose receipt of the data is in question, and staff accounts whose reads are. */
    processors: text('processors').array().notNull(),
    staffIds: text('staff_ids').array().notNull(),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    windowEnd: timestamp('window_end', { withTimezone: true }).notNull(),
    discoveredAt: timestamp('discovered_at', { withTimezone: true }).notNull(),
    /** The IANA zone the times were entered in and are shown in, beside UTC. */
    zone: text('zone').notNull(),
    /** Discovery + 72 hours: the regulator's deadline. */
    notifyBy: timestamp('notify_by', { withTimezone: true }).notNull(),
    state: text('state', { enum: INCIDENT_STATES }).notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    openedBy: text('opened_by').notNull(),
    affectedUnits: uuid('affected_units').array(),
    affectedCounts: jsonb('affected_counts').$type<AffectedCounts>(),
    affectedAt: timestamp('affected_at', { withTimezone: true }),
  }, (t) => [index('incident_state_idx').on(t.state, t.notifyBy)]),
  {
    id: NOT_PERSONAL,
    summary: { personal: false, why: 'staff’s account of an incident; the form says never to write personal data' },
    consequences: { personal: false, why: 'staff’s assessment of an incident; the form says never to write personal data' },
    columns: { personal: false, why: 'names of inventory columns, never their values' },
    processors: NOT_PERSONAL,
    staffIds: { personal: false, why: 'staff account ids: whose reads are investigated, not data about a customer' },
    windowStart: NOT_PERSONAL,
    windowEnd: NOT_PERSONAL,
    discoveredAt: NOT_PERSONAL,
    zone: NOT_PERSONAL,
    notifyBy: NOT_PERSONAL,
    state: NOT_PERSONAL,
    openedAt: NOT_PERSONAL,
    openedBy: { personal: false, why: 'a staff account id: the record of who opened it' },
    affectedUnits: { personal: false, why: 'retention-unit ids; they name nothing once a unit is shredded' },
    affectedCounts: { personal: false, why: 'counts by data category only' },
    affectedAt: NOT_PERSONAL,
  },
);

/** Every step of an incident, one row each, never updated: its trail (who, when, what was done). */
export const incidentSteps = classify(
  pgTable('incident_step', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    incidentId: uuid('incident_id').notNull().references(() => incidents.id, { onDelete: 'cascade' }),
    step: text('step').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** Null when done from the command line by an operator. */
    staffId: text('staff_id'),
    note: text('note'),
  }, (t) => [index('incident_step_incident_idx').on(t.incidentId)]),
  {
    id: NOT_PERSONAL,
    incidentId: NOT_PERSONAL,
    step: NOT_PERSONAL,
    at: NOT_PERSONAL,
    staffId: { personal: false, why: 'a staff account id: the record of who acted' },
    note: { personal: false, why: 'what staff did about the incident; the form says never to write personal data' },
  },
);

/** Who was told: one row per affected unit, so a subject is written to once per incident. */
export const incidentNotices = classify(
  pgTable('incident_notice', {
    incidentId: uuid('incident_id').notNull().references(() => incidents.id, { onDelete: 'cascade' }),
    unitId: uuid('unit_id').notNull(),
    notifiedAt: timestamp('notified_at', { withTimezone: true }).notNull(),
    staffId: text('staff_id'),
    /** The outbox message; null when the unit's subject shared an address already written to, or had none left. */
    outboxId: uuid('outbox_id'),
  }, (t) => [primaryKey({ columns: [t.incidentId, t.unitId] })]),
  {
    incidentId: NOT_PERSONAL,
    unitId: { personal: false, why: 'a retention-unit id; it names nothing once the unit is shredded' },
    notifiedAt: NOT_PERSONAL,
    staffId: { personal: false, why: 'a staff account id: the record of who sent the notices' },
    outboxId: NOT_PERSONAL,
  },
);
