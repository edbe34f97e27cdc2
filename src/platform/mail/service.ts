import { and, eq, lt, or, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Executor, Tx } from '../db/index.ts';
import type { Jobs } from '../jobs.ts';
import { outbox, type MailMessage } from './schema.ts';
import type { MailTransport } from './transport.ts';

export const DELIVER_MAIL_JOB = 'mail.deliver';
export const MAX_DELIVERY_ATTEMPTS = 8;
// A delivery that claimed a message and then died (crash, kill -9) releases it after this long.
const CLAIM_TIMEOUT_MS = 5 * 60 * 1000;

export type MailContext = { clock: Clock; jobs: Jobs };

/**
 * Writes the message to the outbox and enqueues its delivery, both inside `tx`. The same dedupe key queues the
 * message once: a retried request cannot send it twice. Returns the outbox id, or null for a duplicate.
 */
export async function queueMail(ctx: MailContext, tx: Tx, dedupeKey: string, message: MailMessage): Promise<string | null> {
  const [row] = await tx
    .insert(outbox)
    .values({ dedupeKey, envelope: message, createdAt: ctx.clock.now() })
    .onConflictDoNothing({ target: outbox.dedupeKey })
    .returning({ id: outbox.id });
  if (!row) return null;
  await ctx.jobs.send(DELIVER_MAIL_JOB, { outboxId: row.id }, { within: tx });
  return row.id;
}

export type DeliveryContext = { db: Executor; clock: Clock; transport: MailTransport; from: string };

export type DeliveryResult = 'sent' | 'already-handled';

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
  if (!claimed) return 'already-handled';
  try {
    await ctx.transport.send({ ...claimed.envelope, id: claimed.id, dedupeKey: claimed.dedupeKey, from: ctx.from, date: claimed.createdAt });
  } catch (error) {
    // Only the error's class and code are kept: SMTP errors can quote the recipient's address.
    const code = (error as { code?: string }).code;
    const lastError = `${(error as Error).name ?? 'Error'}${code ? ` ${code}` : ''}`;
    const failed = claimed.attempts >= MAX_DELIVERY_ATTEMPTS;
    await ctx.db.update(outbox).set({ status: failed ? 'failed' : 'pending', lastError }).where(eq(outbox.id, outboxId));
    throw error;
  }
  await ctx.db.update(outbox).set({ status: 'sent', sentAt: ctx.clock.now(), lastError: null }).where(eq(outbox.id, outboxId));
  return 'sent';
}
