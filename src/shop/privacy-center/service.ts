import { randomInt, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { and, asc, eq, gt, inArray, lte } from 'drizzle-orm';
import { inTransaction, type Tx } from '../../platform/db/index.ts';
import { queueMail } from '../../platform/mail/service.ts';
import { newToken, TOKEN_PATTERN, tokenHash, verifyPassword } from '../../platform/secrets.ts';
import { privacyExports, privacyRequests, type RequestOutcome } from '../../privacy/requests/schema.ts';
import {
  confirmIdentity,
  eraseForRequest,
  extendRequest,
  flagSuspectedMinor,
  openRequest,
  pauseForIdentity,
  recordAction,
  runnable,
  subjectDocument,
  subjectOf,
  type ExportDocument,
  type PrivacyRequest,
  type RequestAction,
  type StaffAction,
} from '../../privacy/requests/service.ts';
import type { QueueActions } from '../../privacy/requests/routes.ts';
import { unitsOf, type HeldUnit } from '../../privacy/units.ts';
import { noteCopyDownload, noteCopyNetwork } from '../../privacy/security/networks.ts';
import { requestSla, type RequestSla } from '../../privacy/requests/sla.ts';
import { orders, type OrderStatus } from '../orders/schema.ts';
import { cancelBeforeShipping, REFUND_CANCELLED_JOB } from '../fulfilment/service.ts';
import { formatPrice } from '../catalog/service.ts';
import { findOrderByNumber, orderPlace } from '../orders/service.ts';
import { blindIndex, createUnit, isErased, open, openJson, sealJson, shred, type FieldPlace, type VaultContext } from '../../privacy/vault/service.ts';
import { customers } from '../accounts/schema.ts';
import { profile } from '../accounts/service.ts';
import { shopContext, type ShopContext } from '../context.ts';
import type { Platform } from '../../platform/http/app.ts';

// The customer's side of the privacy center (seed 000 §8, seed 003 §3): a copy of everything held about them,
// prepared by a job and fetched once through a link that lasts three days, and erasure of the account with an
// e-mail saying what went and what law makes us keep.

export type PrivacyCenterContext = ShopContext & { exportDir: string; sla: RequestSla; contactEmail: string };

export function privacyCenterContext(platform: Platform): PrivacyCenterContext {
  const { config } = platform;
  return { ...shopContext(platform), exportDir: path.join(config.dataDir, 'exports'), sla: requestSla(config.dsr), contactEmail: config.shop.contactEmail };
}

export const PREPARE_EXPORT_JOB = 'privacy.export.prepare';
export const EXPIRE_EXPORT_JOB = 'privacy.export.expire';
export const EXPORT_VALID_MS = 3 * 24 * 60 * 60 * 1000;

const filePlace = (exportId: string): FieldPlace => ({ table: 'privacy_export', column: 'file', rowId: exportId });
const fileOf = (ctx: { exportDir: string }, exportId: string) => path.join(ctx.exportDir, `${exportId}.sealed`);

async function accountSubject(tx: Tx, customerId: string) {
  const [row] = await tx.select({ id: customers.id, emailIndex: customers.emailIndex }).from(customers).where(eq(customers.id, customerId));
  return row && { customerId: row.id, emailIndex: row.emailIndex };
}

/**
 * A signed-in customer asks for a copy: the request is recorded and a job prepares the file. `from` is the client's
 * address, whose network (a keyed hash of it) the download is compared with.
 */
export async function requestCopy(ctx: PrivacyCenterContext, customerId: string, from?: string): Promise<string | undefined> {
  return inTransaction(ctx.db, async (tx) => {
    const subject = await accountSubject(tx, customerId);
    if (!subject) return undefined;
    const request = await openRequest(ctx, tx, { kind: 'access', status: 'received', subject });
    await noteCopyNetwork(ctx, tx, request.id, 'asked', from);
    await startExport(ctx, tx, request.id);
    return request.id;
  });
}

/** `prepareAfter`: when the job may prepare the copy, for a request that prepares it itself and needs the job only as a backstop. */
export async function startExport(ctx: PrivacyCenterContext, tx: Tx, requestId: string, prepareAfter?: Date): Promise<string> {
  const unit = await createUnit({ ...ctx, db: tx }, 'export_file');
  const now = ctx.clock.now();
  // The link's token is minted when the file is ready; until then the row holds the hash of one never given out.
  const [row] = await tx
    .insert(privacyExports)
    .values({ id: unit.id, requestId, unitId: unit.id, tokenHash: tokenHash(newToken()), status: 'pending', createdAt: now, expiresAt: new Date(now.getTime() + EXPORT_VALID_MS) })
    .returning({ id: privacyExports.id });
  await ctx.jobs.send(PREPARE_EXPORT_JOB, { exportId: row!.id }, { within: tx, ...(prepareAfter ? { startAfter: prepareAfter } : {}) });
  return row!.id;
}

export type CopyStatus = { requestId: string; status: 'preparing' | 'ready' | 'downloaded' | 'expired'; receivedAt: Date; readyAt: Date | null; expiresAt: Date | null };

/** Where a customer's copy request stands; another customer's request, or none, is undefined. */
export async function copyStatus(ctx: PrivacyCenterContext, customerId: string, requestId: string): Promise<CopyStatus | undefined> {
  const [row] = await ctx.db
    .select({ request: privacyRequests, export: privacyExports })
    .from(privacyRequests)
    .leftJoin(privacyExports, eq(privacyExports.requestId, privacyRequests.id))
    .where(and(eq(privacyRequests.id, requestId), eq(privacyRequests.customerId, customerId), eq(privacyRequests.kind, 'access')));
  if (!row) return undefined;
  const file = row.export;
  const status = !file || file.status === 'pending' ? 'preparing' : file.status === 'ready' && file.expiresAt <= ctx.clock.now() ? 'expired' : file.status;
  return { requestId, status, receivedAt: row.request.receivedAt, readyAt: file?.readyAt ?? null, expiresAt: file && file.status !== 'pending' ? file.expiresAt : null };
}

export type PreparedCopy = { exportId: string; token: string; requestId: string };

/**
 * The job: assembles the document, writes it sealed under the export's own key, and mails the single-use link to
 * the account's address (or the guest's, who has just typed it). A request whose subject is gone yields nothing.
 */
export async function prepareExport(ctx: PrivacyCenterContext, exportId: string, guestEmail?: string): Promise<PreparedCopy | undefined> {
  // The row stays locked while the file is written: a guest's own request and the job that backs it up cannot
  // both mint a link; whichever comes second finds the copy ready and leaves it.
  return inTransaction(ctx.db, async (tx) => {
    const [row] = await tx
      .select({ export: privacyExports, request: privacyRequests })
      .from(privacyExports)
      .innerJoin(privacyRequests, eq(privacyRequests.id, privacyExports.requestId))
      // A request paused for the person's identity is prepared once staff confirm it (see `resumeRequest`).
      .where(and(eq(privacyExports.id, exportId), eq(privacyExports.status, 'pending'), eq(privacyRequests.status, 'received')))
      .for('update');
    if (!row) return undefined;
    const vault = { ...ctx, db: tx };
    const document = await subjectDocument(vault, { customerId: row.request.customerId, emailIndex: row.request.emailIndex });
    const sealed = await sealJson(vault, { kind: 'export_file', id: row.export.unitId }, filePlace(exportId), document);
    await fs.promises.mkdir(ctx.exportDir, { recursive: true, mode: 0o700 });
    await fs.promises.writeFile(fileOf(ctx, exportId), sealed, { mode: 0o600 });
    const token = newToken();
    const now = ctx.clock.now();
    const expiresAt = new Date(now.getTime() + EXPORT_VALID_MS);
    await tx.update(privacyExports).set({ status: 'ready', tokenHash: tokenHash(token), readyAt: now, expiresAt }).where(eq(privacyExports.id, exportId));
    // A guest's request keeps no trace of the address once answered; a customer's stays listed in their center.
    await tx.update(privacyRequests).set({ status: 'completed', completedAt: now, emailIndex: row.request.customerId ? row.request.emailIndex : null }).where(eq(privacyRequests.id, row.request.id));
    const me = row.request.customerId ? await profile(vault, row.request.customerId) : undefined;
    const to = guestEmail ?? me?.email;
    if (to) await mailCopyLink(ctx, tx, to, token);
    await ctx.jobs.send(EXPIRE_EXPORT_JOB, { exportId }, { within: tx, startAfter: expiresAt });
    return { exportId, token, requestId: row.request.id };
  });
}

async function mailCopyLink(ctx: PrivacyCenterContext, tx: Tx, to: string, token: string): Promise<void> {
  // Sealed under a key of its own, not the account's: the link must reach the person even if they erase meanwhile.
  await queueMail(ctx, tx, `privacy-copy:${token.slice(0, 16)}`, {
    to,
    subject: `Your copy of your ${ctx.shopName} data is ready`,
    text: `The copy of the data ${ctx.shopName} holds about you is ready.\n\nDownload it once, within 3 days (as JSON, as CSV files in a zip, or as a readable page):\n${ctx.baseUrl}/privacy-center/copy/${token}\n\nAfter that the file is deleted. If you did not ask for it, tell us at once by replying to this message.`,
  });
}

/** Whether a copy link can still be used (for the page that offers the formats). */
export async function copyReady(ctx: PrivacyCenterContext, token: string): Promise<boolean> {
  if (!TOKEN_PATTERN.test(token)) return false;
  const [row] = await ctx.db
    .select({ id: privacyExports.id })
    .from(privacyExports)
    .where(and(eq(privacyExports.tokenHash, tokenHash(token)), eq(privacyExports.status, 'ready'), gt(privacyExports.expiresAt, ctx.clock.now())));
  return row !== undefined;
}

/** Spends the link: answers the document once, then deletes the file and shreds its key; `from` as for `requestCopy`. */
export async function downloadCopy(ctx: PrivacyCenterContext, token: string, from?: string): Promise<ExportDocument | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const document = await inTransaction(ctx.db, async (tx) => {
    const now = ctx.clock.now();
    const [spent] = await tx
      .update(privacyExports)
      .set({ status: 'downloaded', downloadedAt: now })
      .where(and(eq(privacyExports.tokenHash, tokenHash(token)), eq(privacyExports.status, 'ready'), gt(privacyExports.expiresAt, now)))
      .returning();
    if (!spent) return undefined;
    await noteCopyDownload(ctx, tx, spent.requestId, from);
    const vault = { ...ctx, db: tx };
    const opened = await openJson<ExportDocument>(vault, spent.unitId, filePlace(spent.id), await fs.promises.readFile(fileOf(ctx, spent.id)));
    await shred(vault, [spent.unitId], 'copy downloaded');
    return { id: spent.id, opened };
  });
  if (!document) return undefined;
  await fs.promises.rm(fileOf(ctx, document.id), { force: true });
  return isErased(document.opened) ? undefined : document.opened;
}

/** Deletes copies not fetched in time (their files, their keys): all of them, or those of `exportIds`. */
export async function expireCopies(ctx: VaultContext & { exportDir: string }, exportIds?: string[]): Promise<number> {
  const gone = await inTransaction(ctx.db, async (tx) => {
    const rows = await tx
      .update(privacyExports)
      .set({ status: 'expired' })
      .where(and(lte(privacyExports.expiresAt, ctx.clock.now()), eq(privacyExports.status, 'ready'), exportIds ? inArray(privacyExports.id, exportIds) : undefined))
      .returning({ id: privacyExports.id, unitId: privacyExports.unitId });
    await shred({ ...ctx, db: tx }, rows.map((r) => r.unitId), 'copy expired');
    return rows;
  });
  for (const { id } of gone) await fs.promises.rm(fileOf(ctx, id), { force: true });
  return gone.length;
}

// ── erasure ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** An order the person was still waiting for, cancelled by their erasure. */
export type CancelledOrder = { number: string; totalCents: number; refunded: boolean };
/** What an erasure did: the engine's account of units erased and held, and the orders it cancelled. */
export type ErasureOutcome = RequestOutcome & { cancelled: CancelledOrder[] };

export type ErasureResult = { ok: true; requestId: string; outcome: ErasureOutcome } | { ok: false; field: 'password'; message: string };

/** The customer erases their account: confirmed by their password, done at once, told by e-mail what was kept. */
export async function eraseAccount(ctx: PrivacyCenterContext, customerId: string, password: string): Promise<ErasureResult> {
  const [account] = await ctx.db.select({ passwordHash: customers.passwordHash }).from(customers).where(eq(customers.id, customerId));
  if (!account || !(await verifyPassword(account.passwordHash, password))) return { ok: false, field: 'password', message: 'That is not your password.' };
  const result = await inTransaction(ctx.db, async (tx) => {
    const subject = await accountSubject(tx, customerId);
    const me = await profile({ ...ctx, db: tx }, customerId);
    if (!subject || !me) return undefined;
    const request = await openRequest(ctx, tx, { kind: 'erasure', status: 'received', subject });
    const outcome = await completeErasure(ctx, tx, request, me.email, { mayRestrict: true });
    return { requestId: request.id, outcome };
  });
  return result ? { ok: true, ...result } : { ok: false, field: 'password', message: 'That is not your password.' };
}

/**
 * Runs an erasure request in `tx`: copies being prepared for the subject are withdrawn, every unit erased or
 * restricted, and the confirmation mailed to `email` (under a key of its own, as the subject's keys are gone).
 */
export async function completeErasure(ctx: PrivacyCenterContext, tx: Tx, request: PrivacyRequest, email: string, options: { mayRestrict: boolean }): Promise<ErasureOutcome> {
  const earlier = request.customerId
    ? await tx.select({ id: privacyRequests.id }).from(privacyRequests).where(eq(privacyRequests.customerId, request.customerId))
    : [];
  const copies = earlier.length > 0
    ? await tx.select({ id: privacyExports.id, unitId: privacyExports.unitId }).from(privacyExports).where(and(inArray(privacyExports.requestId, earlier.map((r) => r.id)), inArray(privacyExports.status, ['pending', 'ready'])))
    : [];
  if (copies.length > 0) {
    await tx.update(privacyExports).set({ status: 'expired' }).where(inArray(privacyExports.id, copies.map((c) => c.id)));
    await shred({ ...ctx, db: tx }, copies.map((c) => c.unitId), 'subject erased');
  }
  const outcome = await eraseSubject(ctx, tx, request, options);
  await queueMail(ctx, tx, `privacy-erasure:${request.id}`, { to: email, subject: `Your ${ctx.shopName} data has been deleted`, text: erasureLetter(ctx, request.id, outcome) });
  // The files of withdrawn copies read as nothing now; removing them is tidiness, not erasure.
  for (const { id } of copies) await fs.promises.rm(fileOf(ctx, id), { force: true });
  return outcome;
}

const UNSHIPPED: readonly OrderStatus[] = ['placed', 'paid', 'packed'];

/**
 * Orders not yet shipped could not be delivered once their details are erased or restricted, so an erasure cancels
 * them first (their stock goes back on sale); those paid are refunded in full by a job once the erasure commits, as
 * the payment provider is not asked inside a transaction.
 */
async function cancelUnshipped(ctx: PrivacyCenterContext, tx: Tx, units: HeldUnit[]): Promise<CancelledOrder[]> {
  const ids = units.filter((u) => u.kind === 'order').map((u) => u.rowId);
  if (ids.length === 0) return [];
  const waiting = await tx.select({ id: orders.id }).from(orders).where(and(inArray(orders.id, ids), inArray(orders.status, UNSHIPPED))).orderBy(asc(orders.placedAt), asc(orders.number));
  const cancelled: CancelledOrder[] = [];
  for (const { id } of waiting) {
    const order = await cancelBeforeShipping(tx, id, ctx.clock.now(), UNSHIPPED);
    const paid = order.status !== 'placed';
    if (paid) await ctx.jobs.send(REFUND_CANCELLED_JOB, { orderId: id }, { within: tx });
    cancelled.push({ number: order.number, totalCents: order.totalCents, refunded: paid });
  }
  return cancelled;
}

/** Cancels what the person still waits for, then erases (or restricts) every unit of theirs: the orders are those the erasure finds. */
async function eraseSubject(ctx: PrivacyCenterContext, tx: Tx, request: PrivacyRequest, options: { mayRestrict: boolean }): Promise<ErasureOutcome> {
  const vault = { ...ctx, db: tx };
  const units = await unitsOf(vault, subjectOf(request));
  const cancelled = await cancelUnshipped(ctx, tx, units);
  return { ...(await eraseForRequest(vault, request, options, units)), cancelled };
}

/** How the confirmation names a cancelled order, on the page and in the e-mail. */
export function cancelledText(order: CancelledOrder): string {
  return `Order ${order.number} (${formatPrice(order.totalCents)}): ${order.refunded ? 'refunded in full to the card you paid with' : 'it was not paid, so nothing is charged'}`;
}

export function erasureLetter(ctx: Pick<ShopContext, 'shopName'>, requestId: string, outcome: ErasureOutcome): string {
  const deleted = outcome.erased.map((e) => `  - ${e.label} (${e.count})`);
  const held = outcome.held.map((h) => `  - ${h.label} (${h.count}), until ${h.until}: ${h.why}`);
  return [
    `As you asked, ${ctx.shopName} has deleted your data.`,
    '',
    ...(outcome.cancelled.length > 0 ? ['Cancelled, as they had not been sent yet and could no longer be delivered to you:', ...outcome.cancelled.map((o) => `  - ${cancelledText(o)}`), ''] : []),
    'Deleted now:',
    ...(deleted.length > 0 ? deleted : ['  - nothing else was held about you']),
    '',
    ...(held.length > 0
      ? [
          'Kept because the law requires it:',
          ...held,
          '  Their personal details stay encrypted, cannot be seen by our staff, can be read only by our privacy officer to meet that obligation, and are destroyed on that date.',
          '',
        ]
      : []),
    'You have been signed out everywhere and this address no longer has an account with us.',
    `Your request's reference: ${requestId}`,
  ].join('\n');
}

// ── guests ───────────────────────────────────────────────────────────────────────────────────────────────────────

export const GUEST_CODE_VALID_MS = 30 * 60 * 1000;
export const GUEST_CODE_ATTEMPTS = 5;
const codeHash = (requestId: string, code: string) => tokenHash(`${requestId}:${code}`);

/**
 * Someone without an account asks for a copy or erasure of what is held under an address. A 6-digit code goes to
 * that address whether or not anything is held, and the answer is the same: the form tells a stranger nothing.
 */
export async function requestAsGuest(ctx: PrivacyCenterContext, kind: 'access' | 'erasure', email: string, from?: string): Promise<string> {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  return inTransaction(ctx.db, async (tx) => {
    const request = await openRequest(ctx, tx, { kind, status: 'awaiting_verification', subject: { customerId: null, emailIndex: blindIndex(ctx.keys, 'email', email) } });
    if (kind === 'access') await noteCopyNetwork(ctx, tx, request.id, 'asked', from);
    await tx.update(privacyRequests).set({ codeHash: codeHash(request.id, code), codeExpiresAt: new Date(ctx.clock.now().getTime() + GUEST_CODE_VALID_MS) }).where(eq(privacyRequests.id, request.id));
    const what = kind === 'access' ? 'a copy of the data we hold about' : 'the deletion of the data we hold about';
    await queueMail(ctx, tx, `privacy-code:${request.id}`, {
      to: email.trim(),
      subject: `Your ${ctx.shopName} verification code: ${code}`,
      text: `Someone, perhaps you, asked for ${what} this address.\n\nYour code is ${code}. Enter it on the page where you asked; it works for 30 minutes.\n\nIf it was not you, ignore this message: nothing will happen.`,
    });
    return request.id;
  });
}

export type GuestResult =
  | { ok: true; kind: 'access'; token: string | undefined }
  | { ok: true; kind: 'erasure'; outcome: ErasureOutcome }
  | { ok: false; message: string };

const GUEST_BACKSTOP_MS = 5 * 60 * 1000;
const WRONG_CODE = 'That code is not right, or it has expired. Check the latest message we sent, or start again.';

/**
 * The guest enters the code with their address. A right code runs the request at once: the copy is prepared and
 * its link shown and mailed; erasure runs, and its confirmation is mailed. Five wrong codes end the request.
 */
export async function verifyGuest(ctx: PrivacyCenterContext, requestId: string, email: string, code: string, from?: string): Promise<GuestResult> {
  const now = ctx.clock.now();
  const verified = await inTransaction(ctx.db, async (tx) => {
    const [request] = await tx.select().from(privacyRequests).where(and(eq(privacyRequests.id, requestId), eq(privacyRequests.status, 'awaiting_verification'))).for('update');
    if (!request?.codeHash || !request.emailIndex || !request.codeExpiresAt || request.codeExpiresAt <= now || request.codeAttempts >= GUEST_CODE_ATTEMPTS) return undefined;
    const right = timingSafeEqual(request.codeHash, codeHash(request.id, code)) && timingSafeEqual(request.emailIndex, blindIndex(ctx.keys, 'email', email));
    if (!right) {
      await tx.update(privacyRequests).set({ codeAttempts: request.codeAttempts + 1 }).where(eq(privacyRequests.id, request.id));
      return undefined;
    }
    const [updated] = await tx.update(privacyRequests).set({ status: 'received', verifiedAt: now, codeHash: null }).where(eq(privacyRequests.id, request.id)).returning();
    if (updated!.kind === 'erasure') return { kind: 'erasure' as const, outcome: await completeErasure(ctx, tx, updated!, email.trim(), { mayRestrict: true }) };
    await noteCopyNetwork(ctx, tx, updated!.id, 'verified', from);
    // The job could mail no link (the guest's address is not kept), so it must not win the race with the preparation
    // below: it waits, and finds the copy ready.
    return { kind: 'access' as const, exportId: await startExport(ctx, tx, updated!.id, new Date(now.getTime() + GUEST_BACKSTOP_MS)) };
  });
  if (!verified) return { ok: false, message: WRONG_CODE };
  if (verified.kind === 'erasure') return { ok: true, kind: 'erasure', outcome: verified.outcome };
  // A guest's copy is small and they are waiting for it: it is prepared now, and the job finds it done.
  const prepared = await prepareExport(ctx, verified.exportId, email.trim());
  return { ok: true, kind: 'access', token: prepared?.token };
}

// ── the privacy officer's queue ─────────────────────────────────────────────────────────────────────────────────

/** Where to tell the subject: their account's address, or the address on one of their orders. */
async function subjectEmail(ctx: PrivacyCenterContext, tx: Tx, request: PrivacyRequest): Promise<string | undefined> {
  const vault = { ...ctx, db: tx };
  const me = request.customerId ? await profile(vault, request.customerId) : undefined;
  if (me) return me.email;
  if (!request.emailIndex) return undefined;
  const [order] = await tx.select({ id: orders.id, unitId: orders.unitId, email: orders.email }).from(orders).where(eq(orders.emailIndex, request.emailIndex)).limit(1);
  if (!order) return undefined;
  const email = await open(vault, order.unitId, orderPlace(order.id, 'email'), order.email);
  return isErased(email) ? undefined : email;
}

/**
 * Runs an erasure or a confirmed minor's case from the queue or the command line. A minor's orders are erased too,
 * not held: keeping a child's data is not what the order-keeping laws ask for.
 */
export async function runRequest(ctx: PrivacyCenterContext, requestId: string, staffId: string | null): Promise<RequestAction> {
  return inTransaction(ctx.db, async (tx) => {
    const [request] = await tx.select().from(privacyRequests).where(eq(privacyRequests.id, requestId)).for('update');
    if (!request || !runnable(request)) return { ok: false, message: 'This request cannot be run: it is done, refused or waits for the person.' };
    if (staffId) await tx.update(privacyRequests).set({ staffId }).where(eq(privacyRequests.id, requestId));
    await recordAction(ctx, tx, request, { kind: 'run', staffId });
    const email = await subjectEmail(ctx, tx, request);
    const mayRestrict = request.kind !== 'minor';
    if (email) await completeErasure(ctx, tx, request, email, { mayRestrict });
    else await eraseSubject(ctx, tx, request, { mayRestrict });
    return { ok: true };
  });
}

/** Staff flag the person behind an order as a suspected minor; the privacy officer confirms from the queue. */
export async function flagMinorByOrder(ctx: PrivacyCenterContext, orderNumber: string, staffId: string, note: string): Promise<string | undefined> {
  const order = await findOrderByNumber(ctx.db, orderNumber);
  if (!order) return undefined;
  return inTransaction(ctx.db, async (tx) => (await flagSuspectedMinor(ctx, tx, { customerId: order.customerId, emailIndex: order.emailIndex }, staffId, note)).id);
}

const dayOf = (at: Date) => at.toISOString().slice(0, 10);

/** A staff action that must reach the person: done and mailed in one transaction, or not at all. */
async function actAndTell(
  ctx: PrivacyCenterContext,
  act: (tx: Tx) => Promise<StaffAction>,
  letter: (request: PrivacyRequest) => { key: string; subject: string; text: string },
): Promise<RequestAction> {
  return inTransaction(ctx.db, async (tx): Promise<RequestAction> => {
    const done = await act(tx);
    if (!done.ok) return done;
    const to = await subjectEmail(ctx, tx, done.request);
    if (!to) throw new NoAddress();
    const { key, ...message } = letter(done.request);
    await queueMail(ctx, tx, key, { to, ...message });
    return { ok: true };
  }).catch((error: unknown): RequestAction => {
    if (error instanceof NoAddress) return { ok: false, message: 'We have no address to write to the person at, so they could not be told.' };
    throw error;
  });
}

class NoAddress extends Error {}

/** Asks the person to prove who they are; the deadline keeps running, and the letter says so. */
export function pauseRequest(ctx: PrivacyCenterContext, requestId: string, staffId: string, needed: string): Promise<RequestAction> {
  return actAndTell(ctx, (tx) => pauseForIdentity(ctx, tx, requestId, staffId, needed), (request) => ({
    key: `privacy-identity:${request.id}`,
    subject: `${ctx.shopName}: we need to confirm it is you`,
    text: [
      `Before we go on with your privacy request (reference ${request.id}), we need to be sure it comes from you.`,
      '',
      `What we need: ${needed}`,
      '',
      `Send it to ${ctx.contactEmail}, quoting the reference. Nothing is shown or deleted until then.`,
      `The time we have to answer keeps running while we wait: we still answer by ${dayOf(request.dueAt)}.`,
    ].join('\n'),
  }));
}

/**
 * Staff have confirmed the person's identity: the request goes on. A copy waiting to be prepared is prepared now
 * (its job found the request paused and left it).
 */
export async function resumeRequest(ctx: PrivacyCenterContext, requestId: string, staffId: string): Promise<RequestAction> {
  return inTransaction(ctx.db, async (tx) => {
    const done = await confirmIdentity(ctx, tx, requestId, staffId);
    if (!done.ok) return done;
    const pending = await tx.select({ id: privacyExports.id }).from(privacyExports).where(and(eq(privacyExports.requestId, requestId), eq(privacyExports.status, 'pending')));
    for (const { id } of pending) await ctx.jobs.send(PREPARE_EXPORT_JOB, { exportId: id }, { within: tx });
    return { ok: true };
  });
}

/** Moves the due date once, for a reason the person is told with the new date. */
export function extendDueDate(ctx: PrivacyCenterContext, requestId: string, staffId: string, extension: { days: number; reason: string }): Promise<RequestAction> {
  return actAndTell(ctx, (tx) => extendRequest(ctx, tx, requestId, staffId, extension), (request) => ({
    key: `privacy-extension:${request.id}`,
    subject: `${ctx.shopName}: more time needed for your privacy request`,
    text: [
      `We need more time to answer your privacy request (reference ${request.id}).`,
      '',
      `Why: ${extension.reason}`,
      '',
      `We will answer by ${dayOf(request.dueAt)}.`,
    ].join('\n'),
  }));
}

/** What the privacy engine's queue asks of the shop, bound to this platform. */
export function privacyQueueActions(platform: Platform): QueueActions {
  const ctx = privacyCenterContext(platform);
  return {
    run: (requestId, staffId) => runRequest(ctx, requestId, staffId),
    flagMinor: (number, staffId, note) => flagMinorByOrder(ctx, number, staffId, note),
    pause: (requestId, staffId, needed) => pauseRequest(ctx, requestId, staffId, needed),
    resume: (requestId, staffId) => resumeRequest(ctx, requestId, staffId),
    extend: (requestId, staffId, extension) => extendDueDate(ctx, requestId, staffId, extension),
  };
}
