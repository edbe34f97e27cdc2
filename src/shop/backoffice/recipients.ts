import { eq } from 'drizzle-orm';
import type { Tx } from '../../platform/db/index.ts';
import type { Field } from '../../privacy/access.ts';
import type { OpenableSubject, RecipientOf, SubjectOf } from '../../privacy/incidents/service.ts';
import { isErased, openFields, type Erased, type FieldPlace, type VaultContext } from '../../privacy/vault/service.ts';
import { customers } from '../accounts/schema.ts';
import { profile } from '../accounts/service.ts';
import { addressLines } from '../orders/address.ts';
import { orders } from '../orders/schema.ts';
import { openContact, orderPlace } from '../orders/service.ts';
import { tickets } from '../tickets/schema.ts';
import { openTicketContact, ticketPlace } from '../tickets/service.ts';

// Who a unit of data is about, for an incident: the address to write the notice to, and, for a privacy officer who
// opens an affected subject on purpose, what the order, account or ticket the unit keys holds. The privacy engine
// knows units only by id; the shop knows which record each one is.

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
    return ticket && opened(ctx, unitId, ticketPlace(ticket.id, 'email'), ticket.email);
  };
}

const shown = (value: string | Erased | undefined) => (value === undefined || isErased(value) ? '(erased)' : value);

export function subjectOf(vault: VaultContext): SubjectOf {
  return async (tx: Tx, unitId: string): Promise<OpenableSubject | undefined> => {
    const ctx = { ...vault, db: tx };
    const [order] = await tx.select().from(orders).where(eq(orders.unitId, unitId));
    if (order) {
      const fields: Field[] = ['orderNumber', 'recipientName', 'email', 'phone', 'shippingAddress'];
      return {
        subject: { unitId, kind: 'order' },
        label: `Order ${order.number}`,
        fields,
        async open() {
          const contact = await openContact(ctx, order);
          const address = isErased(contact.address) ? contact.address : addressLines({ ...contact.address, recipientName: shown(contact.recipientName) }).join(', ');
          return { orderNumber: order.number, recipientName: shown(contact.recipientName), email: shown(contact.email), phone: contact.phone === undefined ? '—' : shown(contact.phone), shippingAddress: shown(address) };
        },
      };
    }
    const [account] = await tx.select({ id: customers.id }).from(customers).where(eq(customers.unitId, unitId));
    if (account) {
      return {
        subject: { unitId, kind: 'account' },
        label: 'Customer account',
        fields: ['name', 'email'],
        async open() {
          const me = await profile(ctx, account.id);
          return { name: shown(me?.name), email: shown(me?.email) };
        },
      };
    }
    const [ticket] = await tx.select().from(tickets).where(eq(tickets.unitId, unitId));
    if (!ticket) return undefined;
    return {
      subject: { unitId, kind: 'ticket' },
      label: `Ticket ${ticket.reference}`,
      fields: ['name', 'email'],
      async open() {
        const { name, email } = await openTicketContact(ctx, ticket);
        return { name: shown(name), email: shown(email) };
      },
    };
  };
}
