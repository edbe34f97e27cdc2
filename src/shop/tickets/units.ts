import { asc, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { UnitKind } from '../../privacy/units.ts';
import { isErased, shred } from '../../privacy/vault/service.ts';
import { tickets } from './schema.ts';
import { ticketForSubject } from './service.ts';

// Tickets as the privacy engine sees them: found by the sender's account or address, copied with the conversation
// the customer saw, and erased on request. The 12 months after closing are the shop's promise for later questions
// (seed 000 §4), not a legal duty, so an erasure request deletes a ticket at once.

const iso = (d: Date | null) => d?.toISOString() ?? null;
const opened = <T>(value: T) => (isErased(value) ? null : value);

export const ticketUnit: UnitKind = {
  kind: 'ticket',
  label: 'Your messages to customer service',
  async find(ctx, subject, found) {
    const customerIds = [subject.customerId, ...found.filter((u) => u.kind === 'account').map((u) => u.rowId)].filter((id): id is string => id !== null);
    const matches: SQL[] = [];
    if (customerIds.length > 0) matches.push(inArray(tickets.customerId, [...new Set(customerIds)]));
    if (subject.emailIndex) matches.push(eq(tickets.emailIndex, subject.emailIndex));
    if (matches.length === 0) return [];
    const rows = await ctx.db.select({ id: tickets.id, unitId: tickets.unitId }).from(tickets).where(or(...matches)).orderBy(asc(tickets.openedAt));
    return rows.map((r) => ({ kind: 'ticket' as const, unitId: r.unitId, rowId: r.id }));
  },
  async exportUnit(ctx, unit) {
    const detail = await ticketForSubject(ctx, unit.rowId);
    if (!detail) return null;
    const { ticket: t, contact, messages } = detail;
    return {
      reference: t.reference,
      topic: t.topic,
      privacyWish: t.privacyWish,
      status: t.status,
      orderNumber: t.orderNumber,
      name: opened(contact.name),
      email: opened(contact.email),
      openedAt: iso(t.openedAt),
      closedAt: iso(t.closedAt),
      messages: messages.map((m) => ({ from: m.kind === 'customer' ? 'you' : 'customer service', at: iso(m.at), text: opened(m.text), removed: m.removed })),
    };
  },
  async erase(ctx, unit, { reason }) {
    // Messages and passes go with the row (foreign keys cascade); e-mails sealed under the key go with the key.
    await ctx.db.delete(tickets).where(eq(tickets.id, unit.rowId));
    await shred(ctx, [unit.unitId], reason);
    return { erased: true };
  },
};
