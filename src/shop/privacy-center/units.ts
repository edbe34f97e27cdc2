import { and, asc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { outbox } from '../../platform/mail/schema.ts';
import { consentRecords } from '../../privacy/consent/schema.ts';
import { policyAcceptances } from '../../privacy/policy/schema.ts';
import { acceptances } from '../../privacy/policy/service.ts';
import { underHold } from '../../privacy/retention/holds.ts';
import { addSpan, DEFAULT_RULES, describeSpan, ruleFor, type RetentionRule, type Span } from '../../privacy/retention/rules.ts';
import { eachInTurn, registerUnitKind, type EraseResult, type ErasureOptions, type HeldUnit, type UnitKind } from '../../privacy/units.ts';
import { outboxPlace } from '../../privacy/vault/mail.ts';
import { anyOf, type Tx } from '../../platform/db/index.ts';
import { isErased, openFields, openJson, shred, type VaultContext } from '../../privacy/vault/service.ts';
import { listAddresses } from '../accounts/addresses.ts';
import { customers, customerSessions } from '../accounts/schema.ts';
import { profile } from '../accounts/service.ts';
import { payments } from '../payments/schema.ts';
import { orderEvents, orderLines, orderPasses, orders } from '../orders/schema.ts';
import { openContact } from '../orders/service.ts';
import { returnRequests } from '../returns/schema.ts';
import { reasonPlace } from '../returns/service.ts';
import { ticketUnit } from '../tickets/units.ts';

// The shop's retention units, registered with the privacy engine at start: the account (profile, address book,
// sessions), each order (contact, delivery, payment card, returns) and the e-mails sent under either. The engine
// finds, copies and erases someone's data through these and nothing else.

/** Orders are kept for tax and commercial law for the order rule's minimum after their last activity (seed 000 §4). */
let orderTerm: Span = DEFAULT_RULES.order.minimum!;

export function orderLegalTerm(): string {
  return describeSpan(orderTerm);
}

const orderHeldWhy = () => `Tax and commercial law require us to keep order records for ${orderLegalTerm()} after the last activity on the order.`;

export const LEGAL_HOLD_WHY = 'A legal matter (a dispute or an authority’s inquiry) requires us to keep this order until it is closed.';

export function orderTermEnds(lastActivityAt: Date): Date {
  return addSpan(lastActivityAt, orderTerm);
}

const iso = (d: Date | null) => d?.toISOString() ?? null;
const opened = <T>(value: T) => (isErased(value) ? null : value);

const account: UnitKind = {
  kind: 'account',
  label: 'Your account: profile, address book and sign-in sessions',
  async find(ctx, subject) {
    const matches: SQL[] = [];
    if (subject.customerId) matches.push(eq(customers.id, subject.customerId));
    if (subject.emailIndex) matches.push(eq(customers.emailIndex, subject.emailIndex));
    if (matches.length === 0) return [];
    const rows = await ctx.db.select({ id: customers.id, unitId: customers.unitId }).from(customers).where(or(...matches));
    return rows.map((r) => ({ kind: 'account' as const, unitId: r.unitId, rowId: r.id }));
  },
  async exportUnit(ctx, unit) {
    const [row] = await ctx.db.select().from(customers).where(eq(customers.id, unit.rowId));
    const person = await profile(ctx, unit.rowId);
    if (!row || !person) return null;
    const sessions = await ctx.db
      .select({ createdAt: customerSessions.createdAt, lastSeenAt: customerSessions.lastSeenAt, expiresAt: customerSessions.expiresAt })
      .from(customerSessions)
      .where(eq(customerSessions.customerId, unit.rowId))
      .orderBy(asc(customerSessions.createdAt));
    return {
      name: person.name,
      email: person.email,
      createdAt: iso(row.createdAt),
      emailVerifiedAt: iso(row.emailVerifiedAt),
      adultConfirmedAt: iso(row.adultConfirmedAt),
      lastActiveAt: iso(row.lastActiveAt),
      addresses: (await listAddresses(ctx, unit.rowId)).map((a) => ({ ...a.address, isDefault: a.isDefault })),
      sessions: sessions.map((s) => ({ createdAt: iso(s.createdAt), lastSeenAt: iso(s.lastSeenAt), expiresAt: iso(s.expiresAt) })),
      privacyPolicyAccepted: (await acceptances(ctx, unit.rowId)).map((a) => ({ version: a.version, acceptedAt: iso(a.acceptedAt) })),
    };
  },
  async erase(ctx, unit, { reason }) {
    await deleteAccounts(ctx.db, [unit.rowId]);
    await shred(ctx, [unit.unitId], reason);
    return { erased: true };
  },
};

/**
 * Deletes accounts: sessions, tokens, the cart and the address book go with the rows (foreign keys cascade), the
 * policy acceptances too; orders and cookie choices, which have terms of their own, are cut loose.
 */
export async function deleteAccounts(tx: Tx, customerIds: string[]): Promise<void> {
  await tx.update(consentRecords).set({ customerId: null }).where(inArray(consentRecords.customerId, customerIds));
  await tx.delete(policyAcceptances).where(inArray(policyAcceptances.customerId, customerIds));
  await tx.delete(customers).where(inArray(customers.id, customerIds));
}

/** Orders with everything they hold, opened: a handful of statements for any number of orders. */
async function exportOrders(ctx: VaultContext, units: readonly HeldUnit[]): Promise<unknown[]> {
  const ids = units.map((u) => u.rowId);
  const rows = await ctx.db.select().from(orders).where(inArray(orders.id, ids));
  const lines = await ctx.db.select().from(orderLines).where(inArray(orderLines.orderId, ids)).orderBy(asc(orderLines.position));
  const events = await ctx.db.select().from(orderEvents).where(inArray(orderEvents.orderId, ids)).orderBy(asc(orderEvents.id));
  const cards = await ctx.db.select().from(payments).where(and(inArray(payments.orderId, ids), eq(payments.status, 'succeeded')));
  const returns = await ctx.db.select().from(returnRequests).where(inArray(returnRequests.orderId, ids)).orderBy(asc(returnRequests.requestedAt));
  const of = <T extends { orderId: string }>(list: T[], orderId: string) => list.filter((x) => x.orderId === orderId);
  return eachInTurn(ids, async (id) => {
    const o = rows.find((r) => r.id === id);
    if (!o) return null;
    const contact = await openContact(ctx, o);
    const paid = of(cards, id)[0];
    const card = paid
      ? await openFields(ctx, o.unitId, [
          { place: { table: 'payment', column: 'card_brand', rowId: paid.id }, sealed: paid.cardBrand },
          { place: { table: 'payment', column: 'card_last4', rowId: paid.id }, sealed: paid.cardLast4 },
        ])
      : undefined;
    return {
      number: o.number,
      status: o.status,
      placedAt: iso(o.placedAt),
      email: opened(contact.email),
      recipientName: opened(contact.recipientName),
      phone: contact.phone === undefined ? null : opened(contact.phone),
      shippingAddress: opened(contact.address),
      shippingOption: o.shippingOptionName,
      card: card ? { brand: opened(card[0]), last4: opened(card[1]) } : null,
      currency: o.currency,
      subtotalCents: o.subtotalCents,
      shippingCents: o.shippingCents,
      taxCents: o.taxCents,
      totalCents: o.totalCents,
      lines: of(lines, id).map((l) => ({ name: l.name, variant: l.variant, quantity: l.quantity, unitPriceCents: l.unitPriceCents, lineTotalCents: l.lineTotalCents })),
      events: of(events, id).map((e) => ({ at: iso(e.at), kind: e.kind })),
      returns: await eachInTurn(of(returns, id), async (r) => ({
        status: r.status,
        items: r.items,
        reason: opened(await openJson(ctx, o.unitId, reasonPlace(r.id), r.reason)),
        refundCents: r.refundCents,
        requestedAt: iso(r.requestedAt),
      })),
    };
  });
}

/**
 * Either way an order no longer leads to its person: no account, no look-up by address (the blind index becomes a
 * random value), no guest pass. Inside its legal term it is held; past it, its key is shredded, and its lines and
 * totals stay as anonymous sales records.
 */
export async function eraseOrders(
  ctx: VaultContext & { db: Tx },
  units: readonly HeldUnit[],
  { mayRestrict, reason }: ErasureOptions,
  // At their retention maximum the sealed bytes go too, in the same statement (the key alone would make them unreadable).
  { blank = false }: { blank?: boolean } = {},
): Promise<EraseResult[]> {
  const ids = units.map((u) => u.rowId);
  const blanked = blank ? { email: Buffer.alloc(0), recipientName: Buffer.alloc(0), phone: null, shippingAddress: Buffer.alloc(0), trackingNumber: null } : {};
  const rows = await ctx.db
    .update(orders)
    .set({ customerId: null, emailIndex: sql`sha256(convert_to(${orders.id}::text || random()::text, 'UTF8'))`, ...blanked })
    .where(anyOf(orders.id, ids, 'uuid'))
    .returning({ id: orders.id, lastActivityAt: orders.lastActivityAt, held: underHold(sql`${orders.unitId}`) });
  await ctx.db.delete(orderPasses).where(anyOf(orderPasses.orderId, ids, 'uuid'));
  const now = ctx.clock.now();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const results = units.map((unit): EraseResult => {
    const row = byId.get(unit.rowId);
    const until = row && orderTermEnds(row.lastActivityAt);
    if (!mayRestrict || !row || !until) return { erased: true };
    // Under a legal hold past its term, it is kept until the hold is released (the restriction ends with it).
    if (row.held && until <= now) return { erased: false, restriction: { until: now, why: LEGAL_HOLD_WHY } };
    return until > now ? { erased: false, restriction: { until, why: orderHeldWhy() } } : { erased: true };
  });
  await shred(ctx, units.filter((_, i) => results[i]!.erased).map((u) => u.unitId), reason);
  return results;
}

const order: UnitKind = {
  kind: 'order',
  label: 'Your orders: contact and delivery details, payment card, history and returns',
  async find(ctx, subject, found) {
    const customerIds = [subject.customerId, ...found.filter((u) => u.kind === 'account').map((u) => u.rowId)].filter((id): id is string => id !== null);
    const matches: SQL[] = [];
    if (customerIds.length > 0) matches.push(inArray(orders.customerId, [...new Set(customerIds)]));
    if (subject.emailIndex) matches.push(eq(orders.emailIndex, subject.emailIndex));
    if (matches.length === 0) return [];
    const rows = await ctx.db.select({ id: orders.id, unitId: orders.unitId }).from(orders).where(or(...matches)).orderBy(asc(orders.placedAt));
    return rows.map((r) => ({ kind: 'order' as const, unitId: r.unitId, rowId: r.id }));
  },
  async exportUnit(ctx, unit) {
    return (await exportOrders(ctx, [unit]))[0];
  },
  exportMany: exportOrders,
  async erase(ctx, unit, options) {
    return (await eraseOrders(ctx, [unit], options))[0]!;
  },
  eraseMany: eraseOrders,
};

/** Cookie and marketing choices, one unit per browser the person chose on; found through their account. */
const consents: UnitKind = {
  kind: 'consent_record',
  label: 'Your cookie choices',
  async find(ctx, subject, found) {
    const customerIds = [subject.customerId, ...found.filter((u) => u.kind === 'account').map((u) => u.rowId)].filter((id): id is string => id !== null);
    if (customerIds.length === 0) return [];
    const rows = await ctx.db.selectDistinct({ unitId: consentRecords.unitId }).from(consentRecords).where(inArray(consentRecords.customerId, [...new Set(customerIds)]));
    return rows.map((r) => ({ kind: 'consent_record' as const, unitId: r.unitId, rowId: r.unitId }));
  },
  async exportUnit(ctx, unit) {
    const rows = await ctx.db.select().from(consentRecords).where(eq(consentRecords.unitId, unit.unitId)).orderBy(asc(consentRecords.recordedAt));
    return eachInTurn(rows, async (r) => ({
      recordedAt: iso(r.recordedAt),
      policyRevision: r.policyRevision,
      choice: opened(await openJson(ctx, r.unitId, { table: 'consent_record', column: 'choice', rowId: r.id }, r.choice)),
    }));
  },
  async erase(ctx, unit, { reason }) {
    // The choices of the browser as a whole go, those made before signing in too: it was the same person.
    await ctx.db.delete(consentRecords).where(eq(consentRecords.unitId, unit.unitId));
    await shred(ctx, [unit.unitId], reason);
    return { erased: true };
  },
};

/** A message is sealed under its account's or order's key: deleting the row is enough, the key is theirs. */
async function eraseMessages(ctx: VaultContext & { db: Tx }, units: readonly HeldUnit[]): Promise<EraseResult[]> {
  await ctx.db.delete(outbox).where(inArray(outbox.id, units.map((u) => u.rowId)));
  return units.map(() => ({ erased: true }));
}

async function exportMessages(ctx: VaultContext, units: readonly HeldUnit[]): Promise<unknown[]> {
  const rows = await ctx.db.select().from(outbox).where(inArray(outbox.id, units.map((u) => u.rowId)));
  return eachInTurn(units, async (unit) => {
    const row = rows.find((r) => r.id === unit.rowId);
    if (!row) return null;
    const message = await openJson<{ to: string; subject: string; text: string }>(ctx, row.unitId, outboxPlace(row.id), row.envelope);
    if (isErased(message)) return null;
    return { to: message.to, subject: message.subject, text: message.text, status: row.status, createdAt: iso(row.createdAt), sentAt: iso(row.sentAt) };
  });
}

const messages: UnitKind = {
  kind: 'outbox_message',
  label: 'E-mails we sent you',
  async find(ctx, _subject, found) {
    if (found.length === 0) return [];
    const rows = await ctx.db
      .select({ id: outbox.id, unitId: outbox.unitId })
      .from(outbox)
      .where(inArray(outbox.unitId, found.map((u) => u.unitId)))
      .orderBy(asc(outbox.createdAt));
    return rows.map((r) => ({ kind: 'outbox_message' as const, unitId: r.unitId, rowId: r.id }));
  },
  async exportUnit(ctx, unit) {
    return (await exportMessages(ctx, [unit]))[0];
  },
  exportMany: exportMessages,
  async erase(ctx, unit) {
    return (await eraseMessages(ctx, [unit]))[0]!;
  },
  eraseMany: eraseMessages,
};

/** Registers the shop's units with the privacy engine; messages last, as they are found through the others. */
export function registerShopUnits(rules: readonly RetentionRule[]): void {
  orderTerm = ruleFor(rules, 'order').minimum ?? { amount: 0, unit: 'days' };
  for (const kind of [account, order, ticketUnit, consents, messages]) registerUnitKind(kind);
}
