import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import { inTransaction, type Executor, type Tx } from '../../platform/db/index.ts';
import { newToken, TOKEN_PATTERN, tokenHash } from '../../platform/secrets.ts';
import { uploadedPictureFile } from '../catalog/images.ts';
import { products } from '../catalog/schema.ts';
import { variantLabel } from '../catalog/service.ts';
import { cartItems, carts } from './schema.ts';

// A cart holds product ids and quantities only: names and prices are read from the catalogue every time, so a
// price change shows at once, and stock that has fallen below a line's quantity is reported, never silently
// applied. Every write locks the cart's row first, so concurrent requests on one cart cannot both pass a stock
// check that only one of them should.

export type CartContext = { db: Executor; clock: Clock };

/** Whose cart: a signed-in customer's, or a visitor's by the token in their cookie (undefined: none yet). */
export type CartOwner = { customerId: string } | { visitorToken: string | undefined };

export const MAX_LINE_QUANTITY = 99;

export type CartLine = {
  slug: string;
  name: string;
  brand: string;
  /** The shade or size, "Shade: 02 Rose", for a product with variants. */
  variant: string | undefined;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
  stock: number;
  /** Set when the line cannot be bought as it is: the stock has fallen below its quantity, or the product was archived. */
  stockWarning: string | undefined;
  /** The uploaded picture's file name, null for the generated one. */
  picture: string | null;
};

export type CartView = { lines: CartLine[]; itemCount: number; subtotalCents: number };

export type CartProblem = {
  code: 'unknown_product' | 'out_of_stock' | 'not_enough_stock' | 'line_limit' | 'not_in_cart';
  message: string;
};

export type CartResult = { ok: true; visitorToken: string | undefined } | { ok: false; problem: CartProblem };

/** The shape of the tokens this shop issues; anything else in the cookie is ignored rather than looked up. */

function ownerCondition(owner: CartOwner) {
  if ('customerId' in owner) return eq(carts.customerId, owner.customerId);
  return owner.visitorToken && TOKEN_PATTERN.test(owner.visitorToken) ? eq(carts.tokenHash, tokenHash(owner.visitorToken)) : undefined;
}

/** The owner's cart id, with its row locked for the rest of the transaction. */
export async function lockCart(tx: Tx, owner: CartOwner): Promise<string | undefined> {
  const condition = ownerCondition(owner);
  if (!condition) return undefined;
  const [row] = await tx.select({ id: carts.id }).from(carts).where(condition).for('update');
  return row?.id;
}

/** Creates the owner's cart. A visitor's always gets a fresh token: a token chosen by the client is never adopted. */
async function createCart(tx: Tx, owner: CartOwner, now: Date): Promise<{ id: string; visitorToken: string | undefined }> {
  if ('customerId' in owner) {
    // Two first adds at once for one customer: the unique customer_id lets one insert win, and both use that cart.
    await tx.insert(carts).values({ id: randomUUID(), customerId: owner.customerId, createdAt: now, updatedAt: now }).onConflictDoNothing();
    return { id: (await lockCart(tx, owner))!, visitorToken: undefined };
  }
  const visitorToken = newToken();
  const id = randomUUID();
  await tx.insert(carts).values({ id, tokenHash: tokenHash(visitorToken), createdAt: now, updatedAt: now });
  return { id, visitorToken };
}

async function findProductForCart(tx: Tx, slug: string) {
  const [row] = await tx
    .select({ id: products.id, name: products.name, stock: products.stock, archivedAt: products.archivedAt })
    .from(products)
    .where(eq(products.slug, slug));
  return row;
}

async function lineQuantity(tx: Tx, cartId: string, productId: number): Promise<number> {
  const [row] = await tx
    .select({ quantity: cartItems.quantity })
    .from(cartItems)
    .where(and(eq(cartItems.cartId, cartId), eq(cartItems.productId, productId)));
  return row?.quantity ?? 0;
}

function touch(tx: Tx, cartId: string, now: Date) {
  return tx.update(carts).set({ updatedAt: now }).where(eq(carts.id, cartId));
}

/** Why `wanted` of a product cannot be in a cart, if it cannot. An archived product is as good as unknown. */
function stockProblem(product: { name: string; stock: number; archivedAt: Date | null }, wanted: number, already: number): CartProblem | undefined {
  if (product.archivedAt) return { code: 'unknown_product', message: `${product.name} is no longer sold.` };
  if (product.stock === 0) return { code: 'out_of_stock', message: `${product.name} is out of stock.` };
  if (wanted > MAX_LINE_QUANTITY) {
    return { code: 'line_limit', message: `A cart can hold at most ${MAX_LINE_QUANTITY} of one product; yours already has ${already} ${product.name}.` };
  }
  if (wanted > product.stock) {
    const inCart = already > 0 ? ` and your cart already has ${already}` : '';
    return { code: 'not_enough_stock', message: `Only ${product.stock} ${product.name} ${product.stock === 1 ? 'is' : 'are'} in stock${inCart}: you cannot have ${wanted}.` };
  }
  return undefined;
}

/**
 * Adds `quantity` of a product, creating the cart on the first add. Refused, with nothing written, when the
 * product does not exist or the cart would then hold more than is in stock. `visitorToken` in the result is the
 * token of a visitor's cart (new or found), for the cookie.
 */
export function addItem(ctx: CartContext, owner: CartOwner, item: { slug: string; quantity: number }): Promise<CartResult> {
  return inTransaction(ctx.db, async (tx) => {
    const product = await findProductForCart(tx, item.slug);
    if (!product) return { ok: false, problem: { code: 'unknown_product', message: `There is no product “${item.slug}” in the shop.` } };
    let cartId = await lockCart(tx, owner);
    const already = cartId ? await lineQuantity(tx, cartId, product.id) : 0;
    const problem = stockProblem(product, already + item.quantity, already);
    if (problem) return { ok: false, problem };
    const now = ctx.clock.now();
    let visitorToken = 'visitorToken' in owner ? owner.visitorToken : undefined;
    if (cartId) {
      await touch(tx, cartId, now);
    } else {
      ({ id: cartId, visitorToken } = await createCart(tx, owner, now));
    }
    await tx
      .insert(cartItems)
      .values({ cartId, productId: product.id, quantity: item.quantity, addedAt: now })
      .onConflictDoUpdate({ target: [cartItems.cartId, cartItems.productId], set: { quantity: sql`${cartItems.quantity} + excluded.quantity` } });
    return { ok: true, visitorToken };
  });
}

const notInCart = (slug: string): CartProblem => ({ code: 'not_in_cart', message: `“${slug}” is not in your cart.` });

/** Sets a line's quantity; 0 removes the line. The new quantity must be in stock. */
export function setQuantity(ctx: CartContext, owner: CartOwner, item: { slug: string; quantity: number }): Promise<CartResult> {
  if (item.quantity === 0) return removeItem(ctx, owner, item.slug);
  return inTransaction(ctx.db, async (tx) => {
    const cartId = await lockCart(tx, owner);
    const product = cartId ? await findProductForCart(tx, item.slug) : undefined;
    const current = cartId && product ? await lineQuantity(tx, cartId, product.id) : 0;
    if (!cartId || !product || current === 0) return { ok: false, problem: notInCart(item.slug) };
    const problem = stockProblem(product, item.quantity, current);
    if (problem) return { ok: false, problem };
    await tx.update(cartItems).set({ quantity: item.quantity }).where(and(eq(cartItems.cartId, cartId), eq(cartItems.productId, product.id)));
    await touch(tx, cartId, ctx.clock.now());
    return { ok: true, visitorToken: 'visitorToken' in owner ? owner.visitorToken : undefined };
  });
}

export function removeItem(ctx: CartContext, owner: CartOwner, slug: string): Promise<CartResult> {
  return inTransaction(ctx.db, async (tx) => {
    const cartId = await lockCart(tx, owner);
    const product = cartId ? await findProductForCart(tx, slug) : undefined;
    const removed = cartId && product
      ? await tx.delete(cartItems).where(and(eq(cartItems.cartId, cartId), eq(cartItems.productId, product.id))).returning({ productId: cartItems.productId })
      : [];
    if (!cartId || removed.length === 0) return { ok: false, problem: notInCart(slug) };
    await touch(tx, cartId, ctx.clock.now());
    return { ok: true, visitorToken: 'visitorToken' in owner ? owner.visitorToken : undefined };
  });
}

function stockWarning(name: string, stock: number, quantity: number, archivedAt: Date | null): string | undefined {
  if (archivedAt) return `${name} is no longer sold. Remove it to go on.`;
  if (stock >= quantity) return undefined;
  if (stock === 0) return `${name} has sold out since you added it. Remove it to go on.`;
  return `Only ${stock} ${name} ${stock === 1 ? 'is' : 'are'} left since you added ${quantity}. Lower the quantity to go on.`;
}

/** The owner's cart with live names, prices and stock, in the order lines were added. Empty when there is none. */
export async function viewCart(ctx: CartContext, owner: CartOwner): Promise<CartView> {
  const condition = ownerCondition(owner);
  const rows = condition
    ? await ctx.db
        .select({
          slug: products.slug,
          name: products.name,
          brand: products.brand,
          optionName: products.optionName,
          optionValue: products.optionValue,
          unitPriceCents: products.priceCents,
          stock: products.stock,
          archivedAt: products.archivedAt,
          quantity: cartItems.quantity,
          picture: uploadedPictureFile(products.id),
        })
        .from(carts)
        .innerJoin(cartItems, eq(cartItems.cartId, carts.id))
        .innerJoin(products, eq(products.id, cartItems.productId))
        .where(condition)
        .orderBy(asc(cartItems.addedAt), asc(products.id))
    : [];
  const lines = rows.map(({ optionName, optionValue, archivedAt, ...r }) => ({
    ...r,
    variant: variantLabel({ optionName, optionValue }),
    lineTotalCents: r.unitPriceCents * r.quantity,
    stockWarning: stockWarning(r.name, r.stock, r.quantity, archivedAt),
  }));
  return {
    lines,
    itemCount: lines.reduce((n, l) => n + l.quantity, 0),
    subtotalCents: lines.reduce((n, l) => n + l.lineTotalCents, 0),
  };
}

export function cartForCustomer(ctx: CartContext, customerId: string): Promise<CartView> {
  return viewCart(ctx, { customerId });
}

/**
 * On sign-in, moves a visitor's cart into the customer's, inside the sign-in transaction: quantities of the same
 * product add up, capped at the stock (a product out of stock is dropped) and at the line limit, though a customer
 * line already above the stock is left for its warning to explain. The visitor's cart is deleted.
 */
export async function mergeVisitorCart(ctx: CartContext, tx: Tx, visitorToken: string, customerId: string): Promise<void> {
  const visitorCartId = await lockCart(tx, { visitorToken });
  if (!visitorCartId) return;
  const now = ctx.clock.now();
  const customer = { customerId };
  const customerCartId = (await lockCart(tx, customer)) ?? (await createCart(tx, customer, now)).id;
  const incoming = await tx
    .select({ productId: cartItems.productId, quantity: cartItems.quantity, addedAt: cartItems.addedAt, stock: products.stock })
    .from(cartItems)
    .innerJoin(products, eq(products.id, cartItems.productId))
    .where(and(eq(cartItems.cartId, visitorCartId), isNull(products.archivedAt)));
  for (const line of incoming) {
    const existing = await lineQuantity(tx, customerCartId, line.productId);
    const merged = Math.max(existing, Math.min(existing + line.quantity, line.stock, MAX_LINE_QUANTITY));
    if (merged === existing) continue;
    await tx
      .insert(cartItems)
      .values({ cartId: customerCartId, productId: line.productId, quantity: merged, addedAt: line.addedAt })
      .onConflictDoUpdate({ target: [cartItems.cartId, cartItems.productId], set: { quantity: merged } });
  }
  await tx.delete(carts).where(eq(carts.id, visitorCartId));
  await touch(tx, customerCartId, now);
}
