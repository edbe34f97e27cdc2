import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Clock } from '../../platform/clock.ts';
import { inTransaction, queryRows, type Executor, type Tx } from '../../platform/db/index.ts';
import { queueMail, type MailContext } from '../../platform/mail/service.ts';
import { newToken, TOKEN_PATTERN, tokenHash } from '../../platform/secrets.ts';
import type { StaffActor } from '../../privacy/access.ts';
import { readForPurpose, type ReadContext } from '../../privacy/audit/service.ts';
import type { Purpose } from '../../privacy/inventory.ts';
import { blindIndex, createUnit, isErased, openFields, sealFields, type Erased, type FieldPlace, type VaultContext } from '../../privacy/vault/service.ts';
import { customers } from '../accounts/schema.ts';
import { CheckoutDetails } from '../checkout/service.ts';
import { findOrderByNumber } from '../orders/service.ts';
import { requestAsGuest, requestCopy, type PrivacyCenterContext } from '../privacy-center/service.ts';
import { redact, REMOVALS, type Redacted, type Removal } from './redaction.ts';
import {
  PRIVACY_WISHES,
  TICKET_TOPICS,
  ticketMessages,
  ticketPasses,
  tickets,
  type MessageKind,
  type PrivacyWish,
  type Ticket,
  type TicketDesk,
  type TicketStatus,
  type TicketTopic,
} from './schema.ts';
import { ORDER_NUMBER } from '../orders/schema.ts';

// Customer service: anyone writes through the contact form, which opens a ticket; support (or, for privacy
// questions, the privacy officer) answers by e-mail through the outbox; the customer answers from their account or,
// without one, through the single-use link in each reply. Every message is redacted, then sealed under the ticket's
// own key. Staff opening the messages or the sender's details is an audited read for the desk's purpose.

export type TicketContext = VaultContext & MailContext & { baseUrl: string; shopName: string };
export type StaffTicketContext = TicketContext & ReadContext & { actor: StaffActor };

export const TOPIC_LABELS: Record<TicketTopic, string> = {
  order_question: 'A question about an order',
  return: 'A return',
  privacy_question: 'A privacy question (your data, this policy)',
  other: 'Something else',
};

export const WISH_LABELS: Record<PrivacyWish, string> = {
  copy: 'A copy of my data',
  deletion: 'To delete my data',
  correction: 'To correct my data',
  question: 'Something else / a question',
};

export const STATUS_LABELS: Record<TicketStatus, string> = { open: 'Open', waiting: 'Waiting on the customer', closed: 'Closed' };

/** Each desk reads tickets for its own purpose: support helps customers, the privacy officer answers privacy rights. */
export const DESK_PURPOSES: Record<TicketDesk, Purpose> = { support: 'customer_support', privacy_officer: 'legal_obligation' };

/** The desks a member of staff works at: their roles, where a role is a desk. */
export function desksOf(staff: StaffActor): TicketDesk[] {
  return (['support', 'privacy_officer'] as const).filter((desk) => staff.roles.includes(desk));
}

/** Closed tickets are kept at least this long (seed 000 §4); the retention engine shreds them later, never sooner. */
export const KEEP_AFTER_CLOSING_MONTHS = 12;

export function keptAtLeastUntil(closedAt: Date): Date {
  const until = new Date(closedAt);
  until.setUTCMonth(until.getUTCMonth() + KEEP_AFTER_CLOSING_MONTHS);
  return until;
}

export const MESSAGE_MAX = 5000;

const Message = z
  .string({ error: 'Write your message' })
  .trim()
  .min(1, 'Write your message')
  .max(MESSAGE_MAX, `Keep it under ${MESSAGE_MAX} characters`);

const ORDER_NUMBER_MESSAGE = 'Enter the order number from your confirmation, like P100001, or leave it empty';
const WISH_MESSAGE = 'Choose what you would like us to do with your data';

export const ContactForm = z.object({
  name: z.string({ error: 'Enter your name' }).trim().min(1, 'Enter your name').max(200, 'That name is too long'),
  email: CheckoutDetails.shape.email,
  topic: z.enum(TICKET_TOPICS, { error: 'Choose what your message is about' }),
  // People copy order numbers with or without the P, or with a leading #.
  orderNumber: z
    .string({ error: ORDER_NUMBER_MESSAGE })
    .trim()
    .toUpperCase()
    .transform((n) => n.replace(/^#/, '').replace(/^(?=\d)/, 'P'))
    .pipe(z.union([z.literal(''), z.string().regex(ORDER_NUMBER, ORDER_NUMBER_MESSAGE)]))
    .transform((n) => n || undefined)
    .optional(),
  // Asked only of privacy questions: required for them below, ignored (whatever was sent) for other topics.
  privacyWish: z.enum(PRIVACY_WISHES).optional().catch(undefined),
  message: Message,
})
  .refine((v) => v.topic !== 'privacy_question' || v.privacyWish !== undefined, {
    path: ['privacyWish'],
    message: WISH_MESSAGE,
    // Checked beside the other fields' errors, but only once the topic itself is a valid one.
    when: (payload) => payload.issues.every((issue) => issue.path?.[0] !== 'topic'),
  })
  .transform((v) => (v.topic === 'privacy_question' ? v : { ...v, privacyWish: undefined }));
export type ContactInput = z.infer<typeof ContactForm>;

export const ReplyForm = z.object({ message: Message });

/** A small fixed set of answers support starts from; the text is edited before it is sent. */
export const CANNED_REPLIES = {
  thanks: { label: 'Thanks, we are on it', text: 'Thank you for your message. We are looking into it and will get back to you within two business days.' },
  order_status: { label: 'Where is my order', text: 'Your order is on its way. You can follow it from the order page linked in your confirmation e-mail.' },
  return_how: { label: 'How to return', text: 'You can ask for a return from your order page within 30 days of delivery. We will send you the address once it is approved.' },
  card_data: { label: 'Never send card numbers', text: 'For your safety, please never send card numbers or security codes by message or e-mail: we never need them, and our system removes them.' },
} as const;
export type CannedReply = keyof typeof CANNED_REPLIES;

/** Where a ticket's sealed field is bound. */
export const ticketPlace = (ticketId: string, column: string): FieldPlace => ({ table: 'ticket', column, rowId: ticketId });
const messagePlace = (messageId: string): FieldPlace => ({ table: 'ticket_message', column: 'body', rowId: messageId });

// ── passes: how someone without an account reaches their ticket ─────────────────────────────────────────────────

export const TICKET_PASS_COOKIE = 'pledge_ticket';
export const TICKET_PASS_VALID_MS = { link: 14 * 24 * 60 * 60 * 1000, session: 24 * 60 * 60 * 1000 } as const;

async function issuePass(ctx: { clock: Clock }, tx: Tx, ticketId: string, kind: 'link' | 'session'): Promise<string> {
  const token = newToken();
  await tx.insert(ticketPasses).values({ tokenHash: tokenHash(token), ticketId, kind, expiresAt: new Date(ctx.clock.now().getTime() + TICKET_PASS_VALID_MS[kind]) });
  return token;
}

/** Spends a mailed single-use link and answers a session pass for the browser that followed it. */
export async function spendTicketLink(ctx: { db: Executor; clock: Clock }, token: string): Promise<{ reference: string; sessionToken: string } | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  return inTransaction(ctx.db, async (tx) => {
    const now = ctx.clock.now();
    const [spent] = await tx
      .update(ticketPasses)
      .set({ usedAt: now })
      .where(and(eq(ticketPasses.tokenHash, tokenHash(token)), eq(ticketPasses.kind, 'link'), isNull(ticketPasses.usedAt), gt(ticketPasses.expiresAt, now)))
      .returning({ ticketId: ticketPasses.ticketId });
    if (!spent) return undefined;
    const [ticket] = await tx.select({ reference: tickets.reference }).from(tickets).where(eq(tickets.id, spent.ticketId));
    return { reference: ticket!.reference, sessionToken: await issuePass(ctx, tx, spent.ticketId, 'session') };
  });
}

// ── writing ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** Redacts and seals one message under the ticket's key; answers the text as kept and what redaction removed. */
async function addMessage(ctx: TicketContext, tx: Tx, ticket: Pick<Ticket, 'id' | 'unitId'>, kind: MessageKind, text: string, staffId?: string): Promise<Redacted> {
  const { text: clean, removed } = redact(text);
  const id = randomUUID();
  const [body] = await sealFields({ ...ctx, db: tx }, { kind: 'ticket', id: ticket.unitId }, [{ place: messagePlace(id), value: clean }]);
  await tx.insert(ticketMessages).values({ id, ticketId: ticket.id, kind, staffId: staffId ?? null, body: body!, removed, at: ctx.clock.now() });
  return { text: clean, removed };
}

async function mailTicket(ctx: TicketContext, tx: Tx, ticket: Ticket, kind: string, message: { subject: string; body: string }): Promise<void> {
  const [email] = await openFields({ ...ctx, db: tx }, ticket.unitId, [{ place: ticketPlace(ticket.id, 'email'), sealed: ticket.email }]);
  if (isErased(email)) return;
  await queueMail(ctx, tx, `ticket:${ticket.id}:${kind}`, { to: email!, subject: message.subject, text: message.body }, ticket.unitId);
}

const removalNotes = (removed: readonly Removal[]) => removed.map((r) => REMOVALS[r].why);

export type Opened = { ticketId: string; reference: string; sessionToken: string; removed: Removal[] };

/**
 * Opens a ticket from the contact form, mails its confirmation, and gives the sender's browser a pass to it.
 * `privacyRequestId` is the privacy-center request the same message opened, if any.
 */
export async function openTicket(ctx: TicketContext, input: ContactInput, customerId: string | undefined, privacyRequestId?: string): Promise<Opened> {
  return inTransaction(ctx.db, async (tx) => {
    const [row] = await queryRows<{ n: string }>(tx, sql`select 'T-' || nextval('ticket_reference_seq')::text as n`);
    const reference = row!.n;
    const id = randomUUID();
    const unit = await createUnit({ ...ctx, db: tx }, 'ticket');
    const [email, name] = await sealFields({ ...ctx, db: tx }, unit, [
      { place: ticketPlace(id, 'email'), value: input.email },
      { place: ticketPlace(id, 'name'), value: input.name },
    ]);
    const now = ctx.clock.now();
    const [ticket] = await tx
      .insert(tickets)
      .values({
        id,
        reference,
        unitId: unit.id,
        customerId: customerId ?? null,
        topic: input.topic,
        privacyWish: input.privacyWish ?? null,
        privacyRequestId: privacyRequestId ?? null,
        desk: input.topic === 'privacy_question' ? 'privacy_officer' : 'support',
        status: 'open',
        orderNumber: input.orderNumber ?? null,
        emailIndex: blindIndex(ctx.keys, 'email', input.email),
        email: email!,
        name: name!,
        openedAt: now,
        lastActivityAt: now,
      })
      .returning();
    const { removed } = await addMessage(ctx, tx, ticket!, 'customer', input.message);
    const sessionToken = await issuePass(ctx, tx, id, 'session');
    await mailTicket(ctx, tx, ticket!, 'received', {
      subject: `We received your message (${reference})`,
      body: [
        `Thank you for writing to ${ctx.shopName}. Your reference is ${reference}; we will answer by e-mail.`,
        ...removalNotes(removed).map((note) => `\n${note}`),
        ...(customerId ? ['', `Your messages: ${ctx.baseUrl}/account/tickets/${reference}`] : []),
      ].join('\n'),
    });
    return { ticketId: id, reference, sessionToken, removed };
  });
}

/**
 * What the sender is shown next: `answer`, their ticket (we answer by e-mail); `code`, the privacy center's code
 * page, as the address must be proved theirs before anything is shown or deleted; `copy`, their account's copy is
 * being prepared; `deletion`, their account is deleted in the privacy center, where its password confirms it.
 */
export type Sent = Opened & ({ next: 'answer' | 'copy' | 'deletion' } | { next: 'code'; requestId: string });

/**
 * The contact form sent. A privacy question asking for a copy or a deletion opens the privacy center's request as
 * its own buttons would: for the signed-in owner of the address given, a copy at once (erasing an account takes
 * its password, so that is left to the privacy center); for anyone else, the guest request whose code goes to
 * the address, answered the same whether or not anything is held under it. The message itself is kept once, as
 * the ticket on the privacy officer's desk, which names the request. `from` is the sender's address, as for
 * `requestCopy`.
 */
export async function sendContactForm(ctx: PrivacyCenterContext, input: ContactInput, customerId: string | undefined, from?: string): Promise<Sent> {
  const wish = input.privacyWish;
  if (wish !== 'copy' && wish !== 'deletion') return { ...(await openTicket(ctx, input, customerId)), next: 'answer' };
  return inTransaction(ctx.db, async (tx) => {
    const inTx = { ...ctx, db: tx };
    const [account] = customerId ? await tx.select({ emailIndex: customers.emailIndex }).from(customers).where(eq(customers.id, customerId)) : [];
    const own = customerId !== undefined && account !== undefined && account.emailIndex.equals(blindIndex(ctx.keys, 'email', input.email));
    if (own && wish === 'deletion') return { ...(await openTicket(inTx, input, customerId)), next: 'deletion' };
    if (own) return { ...(await openTicket(inTx, input, customerId, await requestCopy(inTx, customerId, from))), next: 'copy' };
    const requestId = await requestAsGuest(inTx, wish === 'copy' ? 'access' : 'erasure', input.email, from);
    return { ...(await openTicket(inTx, input, customerId, requestId)), next: 'code', requestId };
  });
}

export class TicketStateError extends Error {
  readonly statusCode = 409;
  readonly code = 'ticket_state';
  override name = 'TicketStateError';
}

async function lockTicket(tx: Tx, ticketId: string): Promise<Ticket> {
  const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, ticketId)).for('update');
  if (!ticket) throw new TicketStateError('There is no such ticket.');
  return ticket;
}

/** The customer answers: the ticket is support's turn again. A closed conversation takes no more messages. */
export async function customerReply(ctx: TicketContext, ticketId: string, message: string): Promise<Removal[]> {
  return inTransaction(ctx.db, async (tx) => {
    const ticket = await lockTicket(tx, ticketId);
    if (ticket.status === 'closed') throw new TicketStateError('This conversation is closed. To ask something else, write to us again from the contact page.');
    const { removed } = await addMessage(ctx, tx, ticket, 'customer', message);
    await tx.update(tickets).set({ status: 'open', lastActivityAt: ctx.clock.now() }).where(eq(tickets.id, ticketId));
    return removed;
  });
}

/** Support answers: the message joins the thread and goes out by e-mail, with a way back in for the customer. */
export async function staffReply(ctx: StaffTicketContext, ticketId: string, message: string): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    const ticket = await lockTicket(tx, ticketId);
    if (ticket.status === 'closed') throw new TicketStateError(`Ticket ${ticket.reference} is closed; reopen it to reply.`);
    const { text } = await addMessage(ctx, tx, ticket, 'reply', message, ctx.actor.staffId);
    await tx.update(tickets).set({ status: 'waiting', lastActivityAt: ctx.clock.now() }).where(eq(tickets.id, ticketId));
    const way = ticket.customerId
      ? `Read and answer in your account: ${ctx.baseUrl}/account/tickets/${ticket.reference}`
      : `To answer, follow this link (it works once, within 14 days):\n${ctx.baseUrl}/tickets/access/${await issuePass(ctx, tx, ticket.id, 'link')}`;
    await mailTicket(ctx, tx, ticket, `reply:${randomUUID()}`, { subject: `Re: your message (${ticket.reference})`, body: `${text}\n\n— ${ctx.shopName} customer service\n\n${way}` });
  });
}

/** An internal note: for staff only, never shown or sent to the customer. */
export async function addNote(ctx: StaffTicketContext, ticketId: string, note: string): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    const ticket = await lockTicket(tx, ticketId);
    await addMessage(ctx, tx, ticket, 'note', note, ctx.actor.staffId);
  });
}

export async function assignToSelf(ctx: StaffTicketContext, ticketId: string): Promise<void> {
  await ctx.db.update(tickets).set({ assignedTo: ctx.actor.staffId }).where(eq(tickets.id, ticketId));
}

/** Closing starts the retention clock (closedAt); reopening stops it again. */
export async function closeTicket(ctx: StaffTicketContext, ticketId: string, close: boolean): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    const ticket = await lockTicket(tx, ticketId);
    if ((ticket.status === 'closed') === close) throw new TicketStateError(`Ticket ${ticket.reference} is already ${close ? 'closed' : 'open'}.`);
    const now = ctx.clock.now();
    await tx
      .update(tickets)
      .set(close ? { status: 'closed', closedAt: now, lastActivityAt: now } : { status: 'open', closedAt: null, lastActivityAt: now })
      .where(eq(tickets.id, ticketId));
  });
}

// ── reading ──────────────────────────────────────────────────────────────────────────────────────────────────────

export type ThreadMessage = { kind: MessageKind; text: string | Erased; removed: Removal[]; at: Date; staffId: string | null };
export type Thread = { ticket: Ticket; messages: ThreadMessage[] };

async function openMessages(ctx: VaultContext, ticket: Ticket, kinds: readonly MessageKind[]): Promise<ThreadMessage[]> {
  const rows = await ctx.db
    .select()
    .from(ticketMessages)
    .where(and(eq(ticketMessages.ticketId, ticket.id), inArray(ticketMessages.kind, [...kinds])))
    .orderBy(asc(ticketMessages.at), asc(ticketMessages.kind));
  const texts = await openFields(ctx, ticket.unitId, rows.map((r) => ({ place: messagePlace(r.id), sealed: r.body })));
  return rows.map((r, i) => ({ kind: r.kind, text: texts[i]!, removed: r.removed as Removal[], at: r.at, staffId: r.staffId }));
}

/** The conversation as its customer sees it: their messages and the replies, never the internal notes. */
async function threadFor(ctx: VaultContext, ticket: Ticket | undefined): Promise<Thread | undefined> {
  return ticket && { ticket, messages: await openMessages(ctx, ticket, ['customer', 'reply']) };
}

export async function findCustomerTicket(ctx: VaultContext, customerId: string, reference: string): Promise<Thread | undefined> {
  const [ticket] = await ctx.db.select().from(tickets).where(and(eq(tickets.customerId, customerId), eq(tickets.reference, reference)));
  return threadFor(ctx, ticket);
}

/** The ticket a browser's session pass opens, if it is the one named `reference`; anything else reads as none. */
export async function findPassTicket(ctx: VaultContext, passToken: string | undefined, reference: string): Promise<Thread | undefined> {
  if (!passToken || !TOKEN_PATTERN.test(passToken)) return undefined;
  const [row] = await ctx.db
    .select({ ticket: tickets })
    .from(ticketPasses)
    .innerJoin(tickets, eq(tickets.id, ticketPasses.ticketId))
    .where(and(eq(ticketPasses.tokenHash, tokenHash(passToken)), eq(ticketPasses.kind, 'session'), gt(ticketPasses.expiresAt, ctx.clock.now()), eq(tickets.reference, reference)));
  return threadFor(ctx, row?.ticket);
}

export type TicketSummary = Pick<Ticket, 'id' | 'reference' | 'topic' | 'privacyWish' | 'status' | 'openedAt' | 'lastActivityAt' | 'assignedTo' | 'desk'>;
const summary = { id: tickets.id, reference: tickets.reference, topic: tickets.topic, privacyWish: tickets.privacyWish, status: tickets.status, openedAt: tickets.openedAt, lastActivityAt: tickets.lastActivityAt, assignedTo: tickets.assignedTo, desk: tickets.desk };

export async function listCustomerTickets(ctx: { db: Executor }, customerId: string): Promise<TicketSummary[]> {
  return ctx.db.select(summary).from(tickets).where(eq(tickets.customerId, customerId)).orderBy(desc(tickets.lastActivityAt));
}

/** A desk's queue in one status, oldest activity first (the longest waiting at the top); nothing personal. */
export async function ticketQueue(ctx: { db: Executor }, desks: readonly TicketDesk[], status: TicketStatus): Promise<TicketSummary[]> {
  if (desks.length === 0) return [];
  return ctx.db
    .select(summary)
    .from(tickets)
    .where(and(inArray(tickets.desk, [...desks]), eq(tickets.status, status)))
    .orderBy(status === 'closed' ? desc(tickets.lastActivityAt) : asc(tickets.lastActivityAt))
    .limit(200);
}

/** A ticket of one of `staff`'s desks, by reference; nothing opened. */
export async function findDeskTicket(ctx: { db: Executor }, staff: StaffActor, reference: string): Promise<Ticket | undefined> {
  const desks = desksOf(staff);
  if (desks.length === 0) return undefined;
  const [ticket] = await ctx.db.select().from(tickets).where(and(eq(tickets.reference, reference), inArray(tickets.desk, desks)));
  return ticket;
}

export type TicketContact = { name: string | Erased; email: string | Erased };

export async function openTicketContact(ctx: VaultContext, ticket: Ticket): Promise<TicketContact> {
  const [name, email] = await openFields(ctx, ticket.unitId, [
    { place: ticketPlace(ticket.id, 'name'), sealed: ticket.name },
    { place: ticketPlace(ticket.id, 'email'), sealed: ticket.email },
  ]);
  return { name: name!, email: email! };
}

/** The whole ticket as its subject may have it, for a copy of their data: their details and the conversation. */
export async function ticketForSubject(ctx: VaultContext, ticketId: string): Promise<(Thread & { contact: TicketContact }) | undefined> {
  const [ticket] = await ctx.db.select().from(tickets).where(eq(tickets.id, ticketId));
  const thread = await threadFor(ctx, ticket);
  return thread && { ...thread, contact: await openTicketContact(ctx, thread.ticket) };
}

export type StaffTicket = Thread & { orderNumber: string | undefined; contact: TicketContact | undefined };

/**
 * A ticket as its desk works on it: the whole thread with internal notes, read for the desk's purpose and
 * recorded. The sender's name and address open only when `withContact`, as a second recorded field set.
 */
export async function ticketForStaff(ctx: StaffTicketContext, ticket: Ticket, withContact: boolean): Promise<StaffTicket> {
  return inTransaction(ctx.db, async (tx) => {
    const vault = { ...ctx, db: tx };
    const subject = { unitId: ticket.unitId, kind: 'ticket' as const };
    const purpose = DESK_PURPOSES[ticket.desk];
    const messages = await readForPurpose(ctx, tx, { subject, fields: ['ticketMessages'], purpose }, () => openMessages(vault, ticket, ['customer', 'reply', 'note']));
    const contact = withContact
      ? await readForPurpose(ctx, tx, { subject, fields: ['name', 'email'], purpose }, () => openTicketContact(vault, ticket))
      : undefined;
    // The order is linked only when the number the customer gave is a real order.
    const order = ticket.orderNumber ? await findOrderByNumber(tx, ticket.orderNumber) : undefined;
    return { ticket, messages, orderNumber: order?.number, contact };
  });
}
