import { eq } from 'drizzle-orm';
import type { Tx } from '../../platform/db/index.ts';
import type { RecipientOf } from '../../privacy/incidents/service.ts';
import { isErased, openFields, type FieldPlace, type VaultContext } from '../../privacy/vault/service.ts';
import { customers } from '../accounts/schema.ts';
import { profile } from '../accounts/service.ts';
import { orders } from '../orders/schema.ts';
import { orderPlace } from '../orders/service.ts';
import { tickets } from '../tickets/schema.ts';

// Who to write to about a unit of their data (an incident's notice): the address on the order, account or ticket
// the unit keys. The privacy engine knows units only by id; the shop knows which record each one is.

async function opened(ctx: VaultContext, unitId: string, place: FieldPlace, sealed: Buffer): Promise<string | undefined> {
  if (sealed.length === 0) return undefined;
  const [email] = await openFields(ctx, unitId, [{ place, sealed }]);
  return isErased(email) ? undefined : email;
}

export function recipientOf(vault: VaultContext): RecipientOf {
  return async (tx: Tx, unitId: string) => {
    const ctx = { ...vault, db: tx };
    const [order] = await tx.select({ id: orders.id, email: orders.email }).from(orders).where(eq(orders.unitId, unitId));
    if (order) return opened(ctx, unitId, orderPlace(order.id, 'email'), order.email);
    const [account] = await tx.select({ id: customers.id }).from(customers).where(eq(customers.unitId, unitId));
    if (account) return (await profile(ctx, account.id))?.email;
    const [ticket] = await tx.select({ id: tickets.id, email: tickets.email }).from(tickets).where(eq(tickets.unitId, unitId));
    // The ticket's seal place, as the tickets service writes it.
    return ticket && opened(ctx, unitId, { table: 'ticket', column: 'email', rowId: ticket.id }, ticket.email);
  };
}
