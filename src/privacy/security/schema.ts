import { boolean, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { incidents } from '../incidents/schema.ts';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// Security alerts raised from the audit trail, failed staff sign-ins and copy downloads: a member of staff whose
// reading of personal data looks unlike their role's normal work, or a copy fetched from a network its request never
// came from. An alert keeps the numbers, the setting in force and the reasoning, never whose data was read.

export const ALERT_RULES = ['read_rate', 'off_hours', 'unjustified', 'failed_sign_ins', 'new_network'] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/** new → acknowledged → dismissed; an incident can be opened from a new or acknowledged alert. */
export const ALERT_STATUSES = ['new', 'acknowledged', 'dismissed', 'incident'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const securityAlerts = classify(
  pgTable('security_alert', {
    id: uuid('id').primaryKey(),
    rule: text('rule', { enum: ALERT_RULES }).notNull(),
    /** Whose reading or signing in raised it; null for a copy's download. */
    staffId: text('staff_id'),
    /** The privacy request whose copy was downloaded (new_network only). */
    requestId: uuid('request_id'),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    windowEnd: timestamp('window_end', { withTimezone: true }).notNull(),
    observed: integer('observed').notNull(),
    threshold: integer('threshold').notNull(),
    /** The setting the threshold came from, with its value then (`PLEDGE_SECURITY_READ_RATES support=60`). */
    setting: text('setting').notNull(),
    reasoning: text('reasoning').notNull(),
    raisedAt: timestamp('raised_at', { withTimezone: true }).notNull(),
    /** One alert per rule, subject (staff account or copy) and window: a check run again finds it already raised. */
    dedupeKey: text('dedupe_key').notNull().unique(),
    status: text('status', { enum: ALERT_STATUSES }).notNull().default('new'),
    // An alert that opened an incident is kept as its evidence, and goes with it.
    incidentId: uuid('incident_id').references(() => incidents.id, { onDelete: 'cascade' }),
  }, (t) => [index('security_alert_raised_idx').on(t.raisedAt), index('security_alert_incident_idx').on(t.incidentId)]),
  {
    id: NOT_PERSONAL,
    rule: NOT_PERSONAL,
    staffId: { personal: false, why: 'a staff account id: whose reading raised the alert, not data about a customer' },
    requestId: { personal: false, why: 'the id of a privacy request, which holds no personal data once answered' },
    windowStart: NOT_PERSONAL,
    windowEnd: NOT_PERSONAL,
    observed: NOT_PERSONAL,
    threshold: NOT_PERSONAL,
    setting: NOT_PERSONAL,
    reasoning: { personal: false, why: 'counts, roles and times only, written by the rule' },
    raisedAt: NOT_PERSONAL,
    dedupeKey: { personal: false, why: 'the rule, a staff account or request id and a time' },
    status: NOT_PERSONAL,
    incidentId: NOT_PERSONAL,
  },
);

export const ALERT_ACTIONS = ['acknowledged', 'dismissed', 'incident'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** What the privacy officer did with an alert, one row each, never updated: its trail (who, when, why). */
export const securityAlertActions = classify(
  pgTable('security_alert_action', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    alertId: uuid('alert_id').notNull().references(() => securityAlerts.id, { onDelete: 'cascade' }),
    action: text('action', { enum: ALERT_ACTIONS }).notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    staffId: text('staff_id').notNull(),
    note: text('note').notNull(),
  }, (t) => [index('security_alert_action_alert_idx').on(t.alertId)]),
  {
    id: NOT_PERSONAL,
    alertId: NOT_PERSONAL,
    action: NOT_PERSONAL,
    at: NOT_PERSONAL,
    staffId: { personal: false, why: 'a staff account id: the record of who acted' },
    note: { personal: false, why: 'the privacy officer’s reasons; the form says never to write personal data' },
  },
);

export const COPY_NETWORK_EVENTS = ['asked', 'verified', 'downloaded'] as const;

/**
 * The networks a privacy request's copy was asked for, verified and downloaded from: a keyed hash of the network
 * (an IPv4 /24 or IPv6 /48), never the address. A download says whether its network had been seen for the request.
 */
export const copyNetworks = classify(
  pgTable('copy_network', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    requestId: uuid('request_id').notNull(),
    event: text('event', { enum: COPY_NETWORK_EVENTS }).notNull(),
    networkHash: bytea('network_hash').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** Downloads only: whether the request had been seen from this network before. */
    known: boolean('known'),
  }, (t) => [index('copy_network_request_idx').on(t.requestId), index('copy_network_at_idx').on(t.event, t.at)]),
  {
    id: NOT_PERSONAL,
    requestId: NOT_PERSONAL,
    event: NOT_PERSONAL,
    networkHash: { personal: true, category: 'device_data', unit: 'export_file', protection: 'blind_index' },
    at: NOT_PERSONAL,
    known: NOT_PERSONAL,
  },
);
