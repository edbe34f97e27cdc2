import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq, gt, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import { inTransaction } from '../../platform/db/index.ts';
import { hashPassword, newToken, tokenHash, verifyPassword } from '../../platform/secrets.ts';
import { sessionStore } from '../../platform/sessions.ts';
import type { Role, StaffActor } from '../access.ts';
import { blindIndex, createUnit, isErased, open, seal, type VaultContext } from '../vault/service.ts';
import { staffAccounts, staffRecoveryCodes, staffSessions, staffSignInFailures } from './schema.ts';

// Staff sign in with an argon2id password and a TOTP code (or a single-use recovery code). Accounts are created
// by an operator (`pledge staff create`), who hands over a one-time set-up link.

export const SETUP_VALID_MS = 24 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;
export const LOCK_AFTER_FAILURES = 5;
export const LOCK_MS = 15 * 60 * 1000;
export const RECOVERY_CODES = 10;
const ISSUER = 'Pledge';

const sessions = sessionStore(staffSessions, { key: 'staffId', column: staffSessions.staffId }, { idleMs: SESSION_IDLE_MS, maxMs: SESSION_MAX_MS });
const place = (staffId: string, column: string) => ({ table: 'staff_account', column, rowId: staffId });

export class StaffError extends Error {
  override name = 'StaffError';
}

/** Creates an account that cannot sign in until its owner follows the set-up link. */
export async function createStaff(ctx: VaultContext, input: { email: string; roles: readonly Role[] }): Promise<{ staffId: string; setupToken: string }> {
  const emailIndex = blindIndex(ctx.keys, 'email', input.email);
  return inTransaction(ctx.db, async (tx) => {
    const vault = { ...ctx, db: tx };
    const [taken] = await tx.select({ id: staffAccounts.id }).from(staffAccounts).where(eq(staffAccounts.emailIndex, emailIndex));
    if (taken) throw new StaffError('a staff account with that e-mail address already exists');
    const staffId = randomUUID();
    const unit = await createUnit(vault, 'staff');
    const setupToken = newToken();
    const secret = new OTPAuth.Secret({ size: 20 }).base32;
    await tx.insert(staffAccounts).values({
      id: staffId,
      unitId: unit.id,
      emailIndex,
      email: await seal(vault, unit, place(staffId, 'email'), input.email.trim()),
      roles: [...input.roles],
      totpSecret: await seal(vault, unit, place(staffId, 'totp_secret'), secret),
      setupTokenHash: tokenHash(setupToken),
      setupExpiresAt: new Date(ctx.clock.now().getTime() + SETUP_VALID_MS),
      createdAt: ctx.clock.now(),
    });
    return { staffId, setupToken };
  });
}

function totpFor(email: string, secret: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: ISSUER, label: email, secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
}

export type PendingSetup = { staffId: string; email: string; secret: string; otpauthUri: string };

export async function findSetup(ctx: VaultContext, token: string): Promise<PendingSetup | undefined> {
  const [row] = await ctx.db
    .select()
    .from(staffAccounts)
    .where(and(eq(staffAccounts.setupTokenHash, tokenHash(token)), gt(staffAccounts.setupExpiresAt, ctx.clock.now())));
  if (!row) return undefined;
  const email = await open(ctx, row.unitId, place(row.id, 'email'), row.email);
  const secret = await open(ctx, row.unitId, place(row.id, 'totp_secret'), row.totpSecret);
  if (isErased(email) || isErased(secret)) return undefined;
  return { staffId: row.id, email, secret, otpauthUri: totpFor(email, secret).toString() };
}

function codeMatches(email: string, secret: string, code: string, at: Date): boolean {
  return totpFor(email, secret).validate({ token: code, timestamp: at.getTime(), window: 1 }) !== null;
}

/** Sets the password once the owner proves the authenticator works; returns the recovery codes, shown once. */
export async function completeSetup(ctx: VaultContext, token: string, input: { password: string; code: string }): Promise<{ recoveryCodes: string[] } | { codeRejected: true } | undefined> {
  const pending = await findSetup(ctx, token);
  if (!pending) return undefined;
  if (!codeMatches(pending.email, pending.secret, input.code, ctx.clock.now())) return { codeRejected: true };
  const passwordHash = await hashPassword(input.password);
  const recoveryCodes = Array.from({ length: RECOVERY_CODES }, () => {
    const raw = randomBytes(5).toString('hex');
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
  await inTransaction(ctx.db, async (tx) => {
    await tx.update(staffAccounts).set({ passwordHash, setupTokenHash: null, setupExpiresAt: null }).where(eq(staffAccounts.id, pending.staffId));
    await tx.delete(staffRecoveryCodes).where(eq(staffRecoveryCodes.staffId, pending.staffId));
    await tx.insert(staffRecoveryCodes).values(recoveryCodes.map((code) => ({ staffId: pending.staffId, codeHash: tokenHash(code) })));
  });
  return { recoveryCodes };
}

export type SignInResult = { ok: true; token: string; actor: StaffActor } | { ok: false };

/**
 * One answer for every failure — unknown e-mail, wrong password, wrong code, locked account — so the form tells
 * an attacker nothing. Five failures lock the account for fifteen minutes. A wrong password costs the same work
 * whether or not the address has an account: one look-up, one argon2 check, one failure count.
 */
export async function signIn(ctx: VaultContext, input: { email: string; password: string; code: string }): Promise<SignInResult> {
  const now = ctx.clock.now();
  const emailIndex = blindIndex(ctx.keys, 'email', input.email);
  const [row] = await ctx.db.select().from(staffAccounts).where(eq(staffAccounts.emailIndex, emailIndex));
  const passwordOk = await verifyPassword(row?.passwordHash, input.password);
  const locked = row?.lockedUntil != null && row.lockedUntil > now;
  const secondFactor = row && passwordOk && !locked ? await secondFactorOf(ctx, row, input.code, now) : undefined;
  if (!row || !secondFactor) {
    await countFailure(ctx, emailIndex, now);
    // Kept as an event too, against a locked account as well: the repeated-failures rule counts them (src/privacy/security/).
    // Written by one statement that finds the account itself, so an unknown address costs the same (nothing is written).
    // drizzle's insert … select wants every column, the generated id too, so the statement is written out.
    const into = sql`${staffSignInFailures} (${sql.identifier(staffSignInFailures.staffId.name)}, ${sql.identifier(staffSignInFailures.at.name)})`;
    await ctx.db.execute(sql`insert into ${into} select ${staffAccounts.id}, ${now.toISOString()}::timestamptz from ${staffAccounts} where ${activeAccount(emailIndex)}`);
    return { ok: false };
  }
  const token = await inTransaction(ctx.db, async (tx) => {
    if (secondFactor.recoveryCodeId !== undefined) await tx.update(staffRecoveryCodes).set({ usedAt: now }).where(eq(staffRecoveryCodes.id, secondFactor.recoveryCodeId));
    await tx.update(staffAccounts).set({ failedAttempts: 0, lockedUntil: null, lastSignInAt: now }).where(eq(staffAccounts.id, row.id));
    return sessions.start(tx, row.id, now);
  });
  return { ok: true, token, actor: { kind: 'staff', staffId: row.id, roles: row.roles as Role[] } };
}

/** The TOTP code or an unused recovery code, checked; undefined when neither matches. */
async function secondFactorOf(ctx: VaultContext, row: typeof staffAccounts.$inferSelect, code: string, now: Date): Promise<{ recoveryCodeId?: number } | undefined> {
  const email = await open(ctx, row.unitId, place(row.id, 'email'), row.email);
  const secret = await open(ctx, row.unitId, place(row.id, 'totp_secret'), row.totpSecret);
  if (isErased(email) || isErased(secret)) return undefined;
  if (/^\d{6}$/.test(code)) return codeMatches(email, secret, code, now) ? {} : undefined;
  // Looked up by hash: the comparison never touches the code itself.
  const [recovery] = await ctx.db
    .select({ id: staffRecoveryCodes.id })
    .from(staffRecoveryCodes)
    .where(and(eq(staffRecoveryCodes.staffId, row.id), eq(staffRecoveryCodes.codeHash, tokenHash(code.trim().toLowerCase())), isNull(staffRecoveryCodes.usedAt)));
  return recovery && { recoveryCodeId: recovery.id };
}

/**
 * One failure counted against the address, in one statement whether or not it has an account (for an unknown one
 * it changes nothing), and counted in the database so that simultaneous attempts cannot slip past the lock. A
 * locked account counts nothing more until the lock ends.
 */
async function countFailure(ctx: VaultContext, emailIndex: Buffer, now: Date): Promise<void> {
  const reachesLock = sql`${staffAccounts.failedAttempts} + 1 >= ${LOCK_AFTER_FAILURES}`;
  await ctx.db
    .update(staffAccounts)
    .set({
      failedAttempts: sql`case when ${reachesLock} then 0 else ${staffAccounts.failedAttempts} + 1 end`,
      lockedUntil: sql`case when ${reachesLock} then ${new Date(now.getTime() + LOCK_MS).toISOString()}::timestamptz else ${staffAccounts.lockedUntil} end`,
    })
    .where(and(activeAccount(emailIndex), or(isNull(staffAccounts.lockedUntil), lte(staffAccounts.lockedUntil, now))));
}

/** The account of an address, once its owner has set a password. */
const activeAccount = (emailIndex: Buffer) => and(eq(staffAccounts.emailIndex, emailIndex), isNotNull(staffAccounts.passwordHash));

/** The signed-in staff member behind a session token, or undefined when it is unknown, idle too long or expired. */
export async function sessionActor(ctx: VaultContext, token: string): Promise<StaffActor | undefined> {
  const staffId = await sessions.owner(ctx.db, token, ctx.clock.now());
  if (!staffId) return undefined;
  const [row] = await ctx.db.select({ roles: staffAccounts.roles }).from(staffAccounts).where(eq(staffAccounts.id, staffId));
  return row && { kind: 'staff', staffId, roles: row.roles as Role[] };
}

export async function signOut(ctx: VaultContext, token: string): Promise<void> {
  await sessions.end(ctx.db, token);
}

/** The staff member's own e-mail, for their own screen. */
export async function staffEmail(ctx: VaultContext, staffId: string): Promise<string | undefined> {
  const [row] = await ctx.db.select({ unitId: staffAccounts.unitId, email: staffAccounts.email }).from(staffAccounts).where(eq(staffAccounts.id, staffId));
  if (!row) return undefined;
  const email = await open(ctx, row.unitId, place(staffId, 'email'), row.email);
  return isErased(email) ? undefined : email;
}
