import { boolean, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../../privacy/inventory.ts';

// Customer accounts. Name and e-mail are sealed under the account's own unit key (erasing the account shreds
// them); sign-in finds the account by a blind index of the e-mail. Tokens and sessions are stored as hashes.

export const customers = classify(
  pgTable('customer_account', {
    id: uuid('id').primaryKey(),
    unitId: uuid('unit_id').notNull(),
    emailIndex: bytea('email_index').notNull().unique(),
    email: bytea('email').notNull(),
    name: bytea('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    /** Seed 000 §7: sign-up requires confirming that the person is an adult. */
    adultConfirmedAt: timestamp('adult_confirmed_at', { withTimezone: true }).notNull(),
    emailVerifiedAt: timestamp('email_verified_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    lastActiveAt: timestamp('last_active_at', { withTimezone: true }).notNull(),
    /** When the inactivity warning went out; erasure waits until 30 days after it. */
    inactivityWarnedAt: timestamp('inactivity_warned_at', { withTimezone: true }),
  }, (t) => [index('customer_account_last_active_idx').on(t.lastActiveAt), index('customer_account_unit_idx').on(t.unitId)]),
  {
    id: { personal: true, category: 'account_contact', unit: 'account', protection: 'pseudonymous_id' },
    unitId: { personal: true, category: 'account_contact', unit: 'account', protection: 'pseudonymous_id' },
    emailIndex: { personal: true, category: 'account_contact', unit: 'account', protection: 'blind_index' },
    email: { personal: true, category: 'account_contact', unit: 'account', protection: 'encrypted', processors: ['email_delivery'] },
    name: { personal: true, category: 'account_contact', unit: 'account', protection: 'encrypted' },
    passwordHash: { personal: true, category: 'credentials', unit: 'account', protection: 'hashed' },
    adultConfirmedAt: { personal: true, category: 'consent_record', unit: 'account', protection: 'pseudonymous_id' },
    emailVerifiedAt: { personal: false, why: 'when the address was confirmed, not the address' },
    createdAt: NOT_PERSONAL,
    lastActiveAt: { personal: true, category: 'device_data', unit: 'account', protection: 'pseudonymous_id' },
    inactivityWarnedAt: NOT_PERSONAL,
  },
);

/** Single-use links sent by e-mail: verify the address, reset the password. */
export const customerTokens = classify(
  pgTable('customer_token', {
    tokenHash: bytea('token_hash').primaryKey(),
    customerId: uuid('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['verify_email', 'reset_password'] }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  }, (t) => [index('customer_token_customer_idx').on(t.customerId)]),
  {
    tokenHash: { personal: true, category: 'credentials', unit: 'account', protection: 'hashed' },
    customerId: NOT_PERSONAL,
    purpose: NOT_PERSONAL,
    expiresAt: NOT_PERSONAL,
    usedAt: NOT_PERSONAL,
  },
);

export const customerSessions = classify(
  pgTable('customer_session', {
    tokenHash: bytea('token_hash').primaryKey(),
    customerId: uuid('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  }, (t) => [index('customer_session_customer_idx').on(t.customerId)]),
  {
    tokenHash: { personal: true, category: 'device_data', unit: 'account', protection: 'hashed' },
    customerId: NOT_PERSONAL,
    createdAt: NOT_PERSONAL,
    lastSeenAt: NOT_PERSONAL,
    expiresAt: NOT_PERSONAL,
  },
);

/** The address book: each address sealed whole (JSON) under the account's key; erasing the account shreds them. */
export const customerAddresses = classify(
  pgTable('customer_address', {
    id: uuid('id').primaryKey(),
    customerId: uuid('customer_id').notNull().references(() => customers.id, { onDelete: 'cascade' }),
    /** Sealed JSON: recipientName, line1, line2, city, region, postcode, country, phone. */
    address: bytea('address').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  }, (t) => [index('customer_address_customer_idx').on(t.customerId)]),
  {
    id: NOT_PERSONAL,
    customerId: NOT_PERSONAL,
    address: { personal: true, category: 'delivery_address', unit: 'account', protection: 'encrypted' },
    isDefault: NOT_PERSONAL,
    createdAt: NOT_PERSONAL,
  },
);
