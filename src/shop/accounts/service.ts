import { randomUUID } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../platform/clock.ts';
import { inTransaction, type Executor, type Tx } from '../../platform/db/index.ts';
import type { Jobs } from '../../platform/jobs.ts';
import { queueMail, type MailSealer } from '../../platform/mail/service.ts';
import { attemptCounter } from '../../platform/attempts.ts';
import { hashPassword, newToken, tokenHash, verifyPassword } from '../../platform/secrets.ts';
import { sessionStore } from '../../platform/sessions.ts';
import { blindIndex, createUnit, isErased, openFields, sealFields, type VaultContext } from '../../privacy/vault/service.ts';
import { customers, customerSessions, customerTokens } from './schema.ts';

// Customer accounts (seed 000 §1 "basic account information"; §7 adults only; §8 modify). Every answer that could
// tell a stranger whether an address has an account is the same either way: registration, sign-in and password
// reset all say "check your inbox" or "did not match", and the inbox gets the truth. The work behind the answer is
// the same too (database statements and argon2 runs; test/integration/account-security.test.ts counts them), so
// its time tells no more than its words.

export type AccountContext = VaultContext & { jobs: Jobs; sealer: MailSealer; baseUrl: string; shopName: string };

export const VERIFY_VALID_MS = 24 * 60 * 60 * 1000;
export const RESET_VALID_MS = 60 * 60 * 1000;
export const SESSION_IDLE_MS = 7 * 24 * 60 * 60 * 1000;
export const SESSION_MAX_MS = 30 * 24 * 60 * 60 * 1000;
/** Ten failed sign-ins with one address within 15 minutes lock it for 15 minutes, account or not. */
export const SIGN_IN_LOCK = { max: 10, windowMs: 15 * 60 * 1000, lockMs: 15 * 60 * 1000, capacity: 100_000 };
export const SIGN_IN_LOCKED = 'Too many failed sign-ins with this address. Wait 15 minutes and try again, or choose a new password.';
export const PASSWORD_RESET_JOB = 'account.password-reset';

const sessions = sessionStore(customerSessions, { key: 'customerId', column: customerSessions.customerId }, { idleMs: SESSION_IDLE_MS, maxMs: SESSION_MAX_MS });
const place = (customerId: string, column: string) => ({ table: 'customer_account', column, rowId: customerId });

type Account = typeof customers.$inferSelect;

const failedSignIns = attemptCounter(SIGN_IN_LOCK);

async function findByIndex(ctx: VaultContext, emailIndex: Buffer): Promise<Account | undefined> {
  const [row] = await ctx.db.select().from(customers).where(eq(customers.emailIndex, emailIndex));
  return row;
}

const findByEmail = (ctx: VaultContext, email: string) => findByIndex(ctx, blindIndex(ctx.keys, 'email', email));

export type Profile = { id: string; unitId: string; name: string; email: string };

async function profileOf(ctx: VaultContext, row: Account): Promise<Profile | undefined> {
  const [name, email] = await openFields(ctx, row.unitId, [
    { place: place(row.id, 'name'), sealed: row.name },
    { place: place(row.id, 'email'), sealed: row.email },
  ]);
  if (isErased(name) || isErased(email)) return undefined;
  return { id: row.id, unitId: row.unitId, name: name!, email: email! };
}

export async function profile(ctx: VaultContext, customerId: string): Promise<Profile | undefined> {
  const [row] = await ctx.db.select().from(customers).where(eq(customers.id, customerId));
  return row && profileOf(ctx, row);
}

async function issueToken(ctx: AccountContext, tx: Tx, customerId: string, purpose: 'verify_email' | 'reset_password'): Promise<string> {
  const token = newToken();
  const valid = purpose === 'verify_email' ? VERIFY_VALID_MS : RESET_VALID_MS;
  await tx.insert(customerTokens).values({ tokenHash: tokenHash(token), customerId, purpose, expiresAt: new Date(ctx.clock.now().getTime() + valid) });
  return token;
}

async function mail(ctx: AccountContext, tx: Tx, account: Pick<Profile, 'id' | 'unitId' | 'email'>, kind: string, subject: string, text: string) {
  // The dedupe key is made of ids and a nonce, never of the address; the message is sealed under the account's key.
  await queueMail(ctx, tx, `account:${account.id}:${kind}:${randomUUID()}`, { to: account.email, subject, text }, account.unitId);
}

export type Registration = { name: string; email: string; password: string };

/**
 * Registers an account and mails a verification link; an address that already has an account gets a notice
 * instead, with a link to choose a new password. Both ways cost one look-up, one argon2 hash, and in one
 * transaction the unit's key (made, or read), the account's row (written, or its older reset links withdrawn), a
 * single-use link and the message.
 */
export async function register(ctx: AccountContext, input: Registration): Promise<void> {
  const existing = await findByEmail(ctx, input.email);
  const passwordHash = await hashPassword(input.password);
  await inTransaction(ctx.db, async (tx) => {
    const vault = { ...ctx, db: tx };
    if (existing) {
      const known = await profileOf(vault, existing);
      if (!known) return;
      const reset = await issueResetLink(ctx, tx, known.id);
      await mail(ctx, tx, known, 'already-registered', `Your ${ctx.shopName} account`,
        `Someone, perhaps you, tried to create a ${ctx.shopName} account with this address, which already has one.\n\nSign in: ${ctx.baseUrl}/account/login\nForgot your password? Choose a new one (the link works once, for one hour):\n${ctx.baseUrl}/account/reset/${reset}\n\nIf it was not you, you can ignore this message.`);
      return;
    }
    const id = randomUUID();
    const unit = await createUnit(vault, 'account');
    const email = input.email.trim();
    const [sealedEmail, sealedName] = await sealFields(vault, unit, [
      { place: place(id, 'email'), value: email },
      { place: place(id, 'name'), value: input.name.trim() },
    ]);
    const now = ctx.clock.now();
    await tx.insert(customers).values({
      id,
      unitId: unit.id,
      emailIndex: blindIndex(ctx.keys, 'email', email),
      email: sealedEmail!,
      name: sealedName!,
      passwordHash,
      adultConfirmedAt: now,
      createdAt: now,
      lastActiveAt: now,
    });
    await sendVerification(ctx, tx, { id, unitId: unit.id, email });
  });
}

async function sendVerification(ctx: AccountContext, tx: Tx, account: Pick<Profile, 'id' | 'unitId' | 'email'>) {
  const token = await issueToken(ctx, tx, account.id, 'verify_email');
  await mail(ctx, tx, account, 'verify', `Confirm your e-mail address for ${ctx.shopName}`,
    `Welcome to ${ctx.shopName}.\n\nConfirm your e-mail address to start using your account (the link works once, for 24 hours):\n${ctx.baseUrl}/account/verify/${token}\n\nIf you did not create this account, ignore this message and it will not be activated.`);
}

/** Spends a single-use token of the given purpose; returns its customer id, or undefined if unknown, used or expired. */
async function spendToken(ctx: VaultContext, tx: Tx, token: string, purpose: 'verify_email' | 'reset_password'): Promise<string | undefined> {
  const now = ctx.clock.now();
  const [row] = await tx
    .update(customerTokens)
    .set({ usedAt: now })
    .where(and(eq(customerTokens.tokenHash, tokenHash(token)), eq(customerTokens.purpose, purpose), isNull(customerTokens.usedAt), gt(customerTokens.expiresAt, now)))
    .returning({ customerId: customerTokens.customerId });
  return row?.customerId;
}

export async function verifyEmail(ctx: VaultContext, token: string): Promise<boolean> {
  return inTransaction(ctx.db, async (tx) => {
    const customerId = await spendToken({ ...ctx, db: tx }, tx, token, 'verify_email');
    if (!customerId) return false;
    await tx.update(customers).set({ emailVerifiedAt: ctx.clock.now() }).where(eq(customers.id, customerId));
    return true;
  });
}

export type SignInResult = { ok: true; token: string; customerId: string } | { ok: false; unverified?: true; locked?: true };

/**
 * A wrong password costs what an unknown address costs: one look-up and one argon2 check. Failures are counted by
 * the address's blind index, account or not, so the lock-out (SIGN_IN_LOCK) tells no one which addresses have one.
 */
export async function signIn(ctx: AccountContext, input: { email: string; password: string }): Promise<SignInResult> {
  const emailIndex = blindIndex(ctx.keys, 'email', input.email);
  const attempts = emailIndex.toString('base64');
  const now = ctx.clock.now();
  if (failedSignIns.locked(attempts, now)) return { ok: false, locked: true };
  const account = await findByIndex(ctx, emailIndex);
  if (!(await verifyPassword(account?.passwordHash, input.password)) || !account) {
    failedSignIns.failed(attempts, now);
    return { ok: false };
  }
  failedSignIns.succeeded(attempts);
  if (!account.emailVerifiedAt) {
    // Only someone who knows the password learns the account exists; they get a fresh link.
    await inTransaction(ctx.db, async (tx) => {
      const known = await profileOf({ ...ctx, db: tx }, account);
      if (known) await sendVerification(ctx, tx, known);
    });
    return { ok: false, unverified: true };
  }
  const token = await inTransaction(ctx.db, async (tx) => {
    await tx.update(customers).set({ lastActiveAt: now }).where(eq(customers.id, account.id));
    return sessions.start(tx, account.id, now);
  });
  return { ok: true, token, customerId: account.id };
}

export const SESSION_COOKIE = 'pledge_session';

/** The customer signed in on this request, if any (looked up once per request). */
export async function signedInCustomer(ctx: { db: Executor; clock: Clock }, request: FastifyRequest): Promise<string | undefined> {
  const token = request.cookies[SESSION_COOKIE];
  if (!token) return undefined;
  request.customerId ??= (await sessionCustomer(ctx, token)) ?? null;
  return request.customerId ?? undefined;
}

/** The customer whose live session `token` is: a browser's cookie, or an API client's bearer token. */
export function sessionCustomer(ctx: { db: Executor; clock: Clock }, token: string): Promise<string | undefined> {
  return sessions.owner(ctx.db, token, ctx.clock.now());
}

declare module 'fastify' {
  interface FastifyRequest {
    /** null once looked up and found signed out. */
    customerId?: string | null;
  }
}

export async function signOut(ctx: VaultContext, token: string): Promise<void> {
  await sessions.end(ctx.db, token);
}

/**
 * Asks for a reset link; the caller shows the same page either way. Known or not, the request costs one look-up
 * and one job: the job (sendPasswordReset) mails the link when there is an account.
 */
export async function requestPasswordReset(ctx: AccountContext, email: string): Promise<void> {
  const account = await findByEmail(ctx, email);
  await ctx.jobs.send(PASSWORD_RESET_JOB, { customerId: account?.id ?? null }, { within: ctx.db });
}

/** The reset job: a new single-use link, mailed to the account's address (nothing for an unknown address). */
export async function sendPasswordReset(ctx: AccountContext, customerId: string | null): Promise<void> {
  const account = customerId === null ? undefined : await profile(ctx, customerId);
  if (!account) return;
  await inTransaction(ctx.db, async (tx) => {
    const token = await issueResetLink(ctx, tx, account.id);
    await mail(ctx, tx, account, 'reset', `Reset your ${ctx.shopName} password`,
      `Someone asked to reset the password of your ${ctx.shopName} account.\n\nChoose a new password (the link works once, for one hour):\n${ctx.baseUrl}/account/reset/${token}\n\nIf it was not you, ignore this message: your password stays as it is.`);
  });
}

/** A new reset link, which withdraws the account's earlier unused ones: only the latest message's link works. */
async function issueResetLink(ctx: AccountContext, tx: Tx, customerId: string): Promise<string> {
  await tx.delete(customerTokens).where(and(eq(customerTokens.customerId, customerId), eq(customerTokens.purpose, 'reset_password'), isNull(customerTokens.usedAt)));
  return issueToken(ctx, tx, customerId, 'reset_password');
}

export async function resetTokenValid(ctx: VaultContext, token: string): Promise<boolean> {
  const [row] = await ctx.db
    .select({ id: customerTokens.customerId })
    .from(customerTokens)
    .where(and(eq(customerTokens.tokenHash, tokenHash(token)), eq(customerTokens.purpose, 'reset_password'), isNull(customerTokens.usedAt), gt(customerTokens.expiresAt, ctx.clock.now())));
  return row !== undefined;
}

/** Sets a new password with a reset link and signs out every session, since the old password may be known. */
export async function resetPassword(ctx: VaultContext, token: string, password: string): Promise<boolean> {
  const passwordHash = await hashPassword(password);
  return inTransaction(ctx.db, async (tx) => {
    const customerId = await spendToken({ ...ctx, db: tx }, tx, token, 'reset_password');
    if (!customerId) return false;
    // Following the link proves the address too.
    await tx
      .update(customers)
      .set({ passwordHash, emailVerifiedAt: sql`coalesce(${customers.emailVerifiedAt}, ${ctx.clock.now()})` })
      .where(eq(customers.id, customerId));
    await sessions.endAll(tx, customerId);
    return true;
  });
}

/** Rectification (seed 000 §8): the customer corrects their name. */
export async function updateName(ctx: VaultContext, customerId: string, name: string): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    const [row] = await tx.select({ unitId: customers.unitId }).from(customers).where(eq(customers.id, customerId));
    if (!row) return;
    const [sealed] = await sealFields({ ...ctx, db: tx }, { kind: 'account', id: row.unitId }, [{ place: place(customerId, 'name'), value: name.trim() }]);
    await tx.update(customers).set({ name: sealed! }).where(eq(customers.id, customerId));
  });
}
