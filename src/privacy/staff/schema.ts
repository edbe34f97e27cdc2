import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../inventory.ts';

// Staff accounts: e-mail sealed under the staff member's own unit key (found by a blind index), argon2id password,
// TOTP secret sealed, recovery codes and session tokens stored only as hashes.

export const staffAccounts = classify(
  pgTable('staff_account', {
    id: uuid('id').primaryKey(),
    unitId: uuid('unit_id').notNull(),
    emailIndex: bytea('email_index').notNull().unique(),
    email: bytea('email').notNull(),
    roles: text('roles').array().notNull(),
    passwordHash: text('password_hash'),
    totpSecret: bytea('totp_secret').notNull(),
    setupTokenHash: bytea('setup_token_hash').unique(),
    setupExpiresAt: timestamp('setup_expires_at', { withTimezone: true }),
    failedAttempts: integer('failed_attempts').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    lastSignInAt: timestamp('last_sign_in_at', { withTimezone: true }),
  }),
  {
    id: NOT_PERSONAL,
    unitId: { personal: true, category: 'account_contact', unit: 'staff', protection: 'pseudonymous_id' },
    emailIndex: { personal: true, category: 'account_contact', unit: 'staff', protection: 'blind_index' },
    email: { personal: true, category: 'account_contact', unit: 'staff', protection: 'encrypted' },
    roles: NOT_PERSONAL,
    passwordHash: { personal: true, category: 'credentials', unit: 'staff', protection: 'hashed' },
    totpSecret: { personal: true, category: 'credentials', unit: 'staff', protection: 'encrypted' },
    setupTokenHash: { personal: true, category: 'credentials', unit: 'staff', protection: 'hashed' },
    setupExpiresAt: NOT_PERSONAL,
    failedAttempts: NOT_PERSONAL,
    lockedUntil: NOT_PERSONAL,
    createdAt: NOT_PERSONAL,
    lastSignInAt: { personal: true, category: 'device_data', unit: 'staff', protection: 'pseudonymous_id' },
  },
);

export const staffRecoveryCodes = classify(
  pgTable('staff_recovery_code', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    staffId: uuid('staff_id').notNull().references(() => staffAccounts.id, { onDelete: 'cascade' }),
    codeHash: bytea('code_hash').notNull().unique(),
    usedAt: timestamp('used_at', { withTimezone: true }),
  }),
  {
    id: NOT_PERSONAL,
    staffId: NOT_PERSONAL,
    codeHash: { personal: true, category: 'credentials', unit: 'staff', protection: 'hashed' },
    usedAt: NOT_PERSONAL,
  },
);

/** Server-side sessions: the cookie carries a random token, the database only its hash. */
export const staffSessions = classify(
  pgTable('staff_session', {
    tokenHash: bytea('token_hash').primaryKey(),
    staffId: uuid('staff_id').notNull().references(() => staffAccounts.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  }, (t) => [index('staff_session_staff_idx').on(t.staffId)]),
  {
    tokenHash: { personal: true, category: 'device_data', unit: 'staff', protection: 'hashed' },
    staffId: NOT_PERSONAL,
    createdAt: NOT_PERSONAL,
    lastSeenAt: NOT_PERSONAL,
    expiresAt: NOT_PERSONAL,
  },
);

/** Failed sign-ins to a staff account, one row each: what the repeated-failures rule counts (src/privacy/security/). */
export const staffSignInFailures = classify(
  pgTable('staff_sign_in_failure', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    staffId: uuid('staff_id').notNull().references(() => staffAccounts.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true }).notNull(),
  }, (t) => [index('staff_sign_in_failure_at_idx').on(t.at)]),
  { id: NOT_PERSONAL, staffId: NOT_PERSONAL, at: NOT_PERSONAL },
);
