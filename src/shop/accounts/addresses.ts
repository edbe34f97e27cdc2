import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, sql } from 'drizzle-orm';
import { inTransaction, type Tx } from '../../platform/db/index.ts';
import { isErased, openFields, sealFields, type FieldPlace, type VaultContext } from '../../privacy/vault/service.ts';
import type { ShippingAddress } from '../orders/address.ts';
import { taxRates } from '../orders/schema.ts';
import { customerAddresses, customers } from './schema.ts';

// The address book (seed 000 §8: the customer keeps, corrects and deletes their own data). Each address is sealed
// whole under the account's key, so erasing the account shreds them all. Changes to one customer's book take a lock
// on their account row, so the limit and "exactly one default" hold when two changes race.

export const MAX_ADDRESSES = 10;

export type SavedAddress = { id: string; address: ShippingAddress; isDefault: boolean };

export type AddressProblem = { code: 'country' | 'limit' | 'unknown_address'; message: string; field?: 'country' };
export type AddressResult = { ok: true; id: string } | { ok: false; problem: AddressProblem };

const place = (id: string): FieldPlace => ({ table: 'customer_address', column: 'address', rowId: id });

const UNKNOWN: AddressResult = { ok: false, problem: { code: 'unknown_address', message: 'There is no such address in your address book.' } };

type Row = { id: string; address: Buffer; isDefault: boolean; unitId: string };

async function rows(ctx: VaultContext, customerId: string, only?: { id?: string; isDefault?: true }): Promise<Row[]> {
  return ctx.db
    .select({ id: customerAddresses.id, address: customerAddresses.address, isDefault: customerAddresses.isDefault, unitId: customers.unitId })
    .from(customerAddresses)
    .innerJoin(customers, eq(customers.id, customerAddresses.customerId))
    .where(
      and(
        eq(customerAddresses.customerId, customerId),
        only?.id ? eq(customerAddresses.id, only.id) : undefined,
        only?.isDefault ? eq(customerAddresses.isDefault, true) : undefined,
      ),
    )
    .orderBy(desc(customerAddresses.isDefault), asc(customerAddresses.createdAt), asc(customerAddresses.id));
}

/** Opens the rows (all under one account key); an erased account has no addresses to show. */
async function opened(ctx: VaultContext, found: Row[]): Promise<SavedAddress[]> {
  if (found.length === 0) return [];
  const values = await openFields(ctx, found[0]!.unitId, found.map((r) => ({ place: place(r.id), sealed: r.address })));
  return found.flatMap((r, i) => {
    const value = values[i]!;
    return isErased(value) ? [] : [{ id: r.id, address: JSON.parse(value) as ShippingAddress, isDefault: r.isDefault }];
  });
}

/** The customer's addresses, the default first, then in the order they were added. */
export async function listAddresses(ctx: VaultContext, customerId: string): Promise<SavedAddress[]> {
  return opened(ctx, await rows(ctx, customerId));
}

/** The address checkout starts from, if the customer has one. */
export async function defaultAddress(ctx: VaultContext, customerId: string): Promise<ShippingAddress | undefined> {
  const [found] = await opened(ctx, await rows(ctx, customerId, { isDefault: true }));
  return found?.address;
}

export async function findAddress(ctx: VaultContext, customerId: string, id: string): Promise<SavedAddress | undefined> {
  const [found] = await opened(ctx, await rows(ctx, customerId, { id }));
  return found;
}

async function lockAccount(tx: Tx, customerId: string): Promise<{ unitId: string } | undefined> {
  const [account] = await tx.select({ unitId: customers.unitId }).from(customers).where(eq(customers.id, customerId)).for('no key update');
  return account;
}

/** The shop delivers where it has a tax rate (as checkout checks); the address book offers the same countries. */
async function shipsTo(ctx: VaultContext, country: string): Promise<boolean> {
  const [rate] = await ctx.db.select({ country: taxRates.country }).from(taxRates).where(eq(taxRates.country, country));
  return rate !== undefined;
}

const COUNTRY_PROBLEM: AddressResult = { ok: false, problem: { code: 'country', field: 'country', message: 'We do not deliver to that country yet.' } };

async function sealAddress(ctx: VaultContext, tx: Tx, unitId: string, id: string, address: ShippingAddress): Promise<Buffer> {
  const [sealed] = await sealFields({ ...ctx, db: tx }, { kind: 'account', id: unitId }, [{ place: place(id), value: JSON.stringify(address) }]);
  return sealed!;
}

/** Adds an address; the first one becomes the default. */
export async function addAddress(ctx: VaultContext, customerId: string, address: ShippingAddress): Promise<AddressResult> {
  if (!(await shipsTo(ctx, address.country))) return COUNTRY_PROBLEM;
  return inTransaction(ctx.db, async (tx) => {
    const account = await lockAccount(tx, customerId);
    if (!account) return UNKNOWN;
    const [kept] = await tx.select({ n: count() }).from(customerAddresses).where(eq(customerAddresses.customerId, customerId));
    if (kept!.n >= MAX_ADDRESSES) {
      return { ok: false, problem: { code: 'limit', message: `Your address book holds up to ${MAX_ADDRESSES} addresses. Delete one you no longer use to add another.` } } as const;
    }
    const id = randomUUID();
    await tx.insert(customerAddresses).values({ id, customerId, address: await sealAddress(ctx, tx, account.unitId, id, address), isDefault: kept!.n === 0, createdAt: ctx.clock.now() });
    return { ok: true, id } as const;
  });
}

/** Rectification: replaces an address with its corrected version. */
export async function updateAddress(ctx: VaultContext, customerId: string, id: string, address: ShippingAddress): Promise<AddressResult> {
  if (!(await shipsTo(ctx, address.country))) return COUNTRY_PROBLEM;
  return inTransaction(ctx.db, async (tx) => {
    const account = await lockAccount(tx, customerId);
    if (!account) return UNKNOWN;
    const sealed = await sealAddress(ctx, tx, account.unitId, id, address);
    const [changed] = await tx
      .update(customerAddresses)
      .set({ address: sealed })
      .where(and(eq(customerAddresses.id, id), eq(customerAddresses.customerId, customerId)))
      .returning({ id: customerAddresses.id });
    return changed ? ({ ok: true, id } as const) : UNKNOWN;
  });
}

export async function makeDefaultAddress(ctx: VaultContext, customerId: string, id: string): Promise<AddressResult> {
  return inTransaction(ctx.db, async (tx) => {
    if (!(await lockAccount(tx, customerId))) return UNKNOWN;
    const [target] = await tx.select({ id: customerAddresses.id }).from(customerAddresses).where(and(eq(customerAddresses.id, id), eq(customerAddresses.customerId, customerId)));
    if (!target) return UNKNOWN;
    await tx.update(customerAddresses).set({ isDefault: sql`${customerAddresses.id} = ${id}` }).where(eq(customerAddresses.customerId, customerId));
    return { ok: true, id } as const;
  });
}

/** Deletes an address; if it was the default, the oldest remaining one takes its place. */
export async function deleteAddress(ctx: VaultContext, customerId: string, id: string): Promise<AddressResult> {
  return inTransaction(ctx.db, async (tx) => {
    if (!(await lockAccount(tx, customerId))) return UNKNOWN;
    const [deleted] = await tx
      .delete(customerAddresses)
      .where(and(eq(customerAddresses.id, id), eq(customerAddresses.customerId, customerId)))
      .returning({ isDefault: customerAddresses.isDefault });
    if (!deleted) return UNKNOWN;
    if (deleted.isDefault) {
      const [next] = await tx
        .select({ id: customerAddresses.id })
        .from(customerAddresses)
        .where(eq(customerAddresses.customerId, customerId))
        .orderBy(asc(customerAddresses.createdAt), asc(customerAddresses.id))
        .limit(1);
      if (next) await tx.update(customerAddresses).set({ isDefault: true }).where(eq(customerAddresses.id, next.id));
    }
    return { ok: true, id } as const;
  });
}
