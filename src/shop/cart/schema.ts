import { check, index, integer, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../../privacy/inventory.ts';
import { products } from '../catalog/schema.ts';
import { customers } from '../accounts/schema.ts';

// Carts: a visitor's is found by the hash of an opaque token in an essential cookie; a signed-in customer's by
// their account. Nothing in a cart says who the visitor is.

export const carts = classify(
  pgTable('cart', {
    id: uuid('id').primaryKey(),
    tokenHash: bytea('token_hash').unique(),
    customerId: uuid('customer_id').unique().references(() => customers.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  }, (t) => [index('cart_updated_idx').on(t.updatedAt)]),
  {
    id: NOT_PERSONAL,
    tokenHash: { personal: true, category: 'device_data', unit: 'account', protection: 'hashed' },
    customerId: NOT_PERSONAL,
    createdAt: NOT_PERSONAL,
    updatedAt: NOT_PERSONAL,
  },
);

export const cartItems = classify(
  pgTable('cart_item', {
    cartId: uuid('cart_id').notNull().references(() => carts.id, { onDelete: 'cascade' }),
    productId: integer('product_id').notNull().references(() => products.id),
    quantity: integer('quantity').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull(),
  }, (t) => [primaryKey({ columns: [t.cartId, t.productId] }), check('cart_item_quantity_positive', sql`${t.quantity} > 0`)]),
  { cartId: NOT_PERSONAL, productId: NOT_PERSONAL, quantity: NOT_PERSONAL, addedAt: NOT_PERSONAL },
);
