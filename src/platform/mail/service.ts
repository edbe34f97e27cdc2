import { randomUUID } from 'node:crypto';
import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Executor, Tx } from '../db/index.ts';
import type { Jobs } from '../jobs.ts';
import { outbox, type MailMessage } from './schema.ts';
import type { MailTransport } from './transport.ts';

export const DELIVER_MAIL_JOB = 'mail.deliver';
export const MAX_DELIVERY_ATTEMPTS = 8;
/**
 * A delivery that claimed a message and then died (crash, kill -9) releases it after this long. A second attempt
 * at one message's job runs only once the first stopped beating (jobs.ts, HEARTBEAT_SECONDS), so a claim this old
 * belongs to a dead attempt.
 */
export const CLAIM_TIMEOUT_MS = 30 * 1000;

/**
 * Seals messages at rest. The platform owns the outbox; the privacy engine owns keys, so it supplies this: a
 * message is sealed under its subject's retention unit when it has one (erasing the subject erases the message),
 * otherwise under a key of its own that is shredded once the message is sent.
 */
export type MailSealer = {
  seal(tx: Tx, outboxId: string, message: MailMessage, subjectUnitId?: string): Promise<{ unitId: string; envelope: Buffer }>;
  /** The message, or undefined when its unit has been erased. */
  open(db: Executor, outboxId: string, unitId: string, envelope: Buffer): Promise<MailMessage | undefined>;
  /** Called after delivery, and for a message that was never queued: a message's own key is shredded then. */
  release(db: Executor, unitId: string): Promise<void>;
};

export type MailContext = { clock: Clock; jobs: Jobs; sealer: MailSealer };

/**
 * Writes the sealed message to the outbox and enqueues its delivery, both inside `tx`. The same dedupe key queues
 * the message once: a retried request cannot send it twice. Returns the outbox id, or null for a duplicate.
 */
export async function queueMail(ctx: MailContext, tx: Tx, dedupeKey: string, message: MailMessage, subjectUnitId?: string): Promise<string | null> {
  const id = randomUUID();
  const { unitId, envelope } = await ctx.sealer.seal(tx, id, message, subjectUnitId);
  const [row] = await tx
    .insert(outbox)
    .values({ id, dedupeKey, unitId, envelope, createdAt: ctx.clock.now() })
    .onConflictDoNothing({ target: outbox.dedupeKey })
    .returning({ id: outbox.id });
  if (!row) {
    await ctx.sealer.release(tx, unitId);
    return null;
  }
  await ctx.jobs.send(DELIVER_MAIL_JOB, { outboxId: row.id }, { within: tx });
  return row.id;
}

export type DeliveryContext = { db: Executor; clock: Clock; transport: MailTransport; from: string; sealer: MailSealer };

/** `claimed`: another delivery holds the message; the job must be tried again later, not counted as done. */
export type DeliveryResult = 'sent' | 'already-handled' | 'erased' | 'claimed';

/**
 * Delivers one outbox message at least once. A claim (status `sending`) keeps two workers from sending it at the
 * same time; a message already sent is skipped, so a job that runs twice sends once. A failure returns the message
 * to `pending` and rethrows so the job system retries it with backoff.
 */
export async function deliverOutboxMessage(ctx: DeliveryContext, outboxId: string): Promise<DeliveryResult> {
  const now = ctx.clock.now();
  const [claimed] = await ctx.db
    .update(outbox)
    .set({ status: 'sending', claimedAt: now, attempts: sql`${outbox.attempts} + 1` })
    .where(
      and(
        eq(outbox.id, outboxId),
        or(
          eq(outbox.status, 'pending'),
          and(eq(outbox.status, 'sending'), lt(outbox.claimedAt, new Date(now.getTime() - CLAIM_TIMEOUT_MS))),
        ),
      ),
    )
    .returning();
  if (!claimed) {
    // A claim still held may be a delivery that died holding it: its job must come back once the claim runs out.
    const [held] = await ctx.db.select({ status: outbox.status }).from(outbox).where(eq(outbox.id, outboxId));
    return held?.status === 'sending' ? 'claimed' : 'already-handled';
  }
  const message = await ctx.sealer.open(ctx.db, claimed.id, claimed.unitId, claimed.envelope);
  if (!message) {
    // Its subject was erased before it went out: there is nothing left to send, and nobody to send it to.
    await ctx.db.update(outbox).set({ status: 'cancelled', lastError: 'erased' }).where(eq(outbox.id, outboxId));
    return 'erased';
  }
  try {
    await ctx.transport.send({ ...message, id: claimed.id, dedupeKey: claimed.dedupeKey, from: ctx.from, date: claimed.createdAt });
  } catch (error) {
    // Only the error's class and code are kept: SMTP errors can quote the recipient's address.
    const code = (error as { code?: string }).code;
    const lastError = `${(error as Error).name ?? 'Error'}${code ? ` ${code}` : ''}`;
    const failed = claimed.attempts >= MAX_DELIVERY_ATTEMPTS;
    await ctx.db.update(outbox).set({ status: failed ? 'failed' : 'pending', lastError }).where(eq(outbox.id, outboxId));
    throw error;
  }
  await ctx.db.update(outbox).set({ status: 'sent', sentAt: ctx.clock.now(), lastError: null }).where(eq(outbox.id, outboxId));
  await ctx.sealer.release(ctx.db, claimed.unitId);
  return 'sent';
}
