import { eq, or } from 'drizzle-orm';
import { anyOf, type Executor } from '../../platform/db/index.ts';
import { privacyRequests } from '../../privacy/requests/schema.ts';
import { explainedBy, registerJustification, type AuditedRead } from '../../privacy/security/justifications.ts';
import { orders } from '../orders/schema.ts';
import { returnRequests } from '../returns/schema.ts';
import { tickets } from '../tickets/schema.ts';

// What in the shop explains a staff read of someone's data, for the "reads without a matching record" rule: the
// ticket being read, a paid order being shipped, an order a ticket or a return is about, or a privacy request of
// the order's customer. Each must exist by the time of the read.

type Reason = { unitId: string; at: Date; purposes: readonly string[] };

const SUPPORT = ['customer_support', 'after_sales'];
const OFFICER = ['legal_obligation', 'identity_verification'];

async function reasons(db: Executor, unitIds: readonly string[]): Promise<Reason[]> {
  const ownTickets = await db.select({ unitId: tickets.unitId, at: tickets.openedAt }).from(tickets).where(anyOf(tickets.unitId, unitIds, 'uuid'));
  const paid = await db.select({ unitId: orders.unitId, at: orders.paidAt }).from(orders).where(anyOf(orders.unitId, unitIds, 'uuid'));
  const askedAbout = await db.select({ unitId: orders.unitId, at: tickets.openedAt }).from(orders).innerJoin(tickets, eq(tickets.orderNumber, orders.number)).where(anyOf(orders.unitId, unitIds, 'uuid'));
  const returned = await db.select({ unitId: orders.unitId, at: returnRequests.requestedAt }).from(orders).innerJoin(returnRequests, eq(returnRequests.orderId, orders.id)).where(anyOf(orders.unitId, unitIds, 'uuid'));
  const requested = await db
    .select({ unitId: orders.unitId, at: privacyRequests.receivedAt })
    .from(orders)
    .innerJoin(privacyRequests, or(eq(privacyRequests.customerId, orders.customerId), eq(privacyRequests.emailIndex, orders.emailIndex)))
    .where(anyOf(orders.unitId, unitIds, 'uuid'));
  return [
    ...ownTickets.map((t) => ({ ...t, purposes: [...SUPPORT, ...OFFICER] })),
    ...paid.flatMap((o) => (o.at ? [{ unitId: o.unitId, at: o.at, purposes: ['delivery'] }] : [])),
    ...askedAbout.map((t) => ({ ...t, purposes: SUPPORT })),
    ...returned.map((r) => ({ ...r, purposes: SUPPORT })),
    ...requested.map((r) => ({ ...r, purposes: OFFICER })),
  ];
}

/** Registers the shop's records with the engine's rule, at start. */
export function registerShopJustifications(): void {
  registerJustification({
    name: 'shop records',
    label: 'a ticket, a paid order, a return or a privacy request',
    async justified(db, reads: readonly AuditedRead[]) {
      const found = await reasons(db, [...new Set(reads.map((r) => r.subjectUnitId))]);
      return explainedBy(reads, found, (reason, read) => reason.purposes.includes(read.purpose));
    },
  });
}
