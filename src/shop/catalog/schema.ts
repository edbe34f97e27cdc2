import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../../privacy/inventory.ts';

// The catalogue holds no personal data: products, their categories and stock.

const CATALOGUE_NAME = { personal: false, why: 'the name of a product or category, not of a person' } as const;

export const categories = classify(
  pgTable('category', {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    position: integer('position').notNull(),
  }),
  { id: NOT_PERSONAL, slug: NOT_PERSONAL, name: CATALOGUE_NAME, description: NOT_PERSONAL, position: NOT_PERSONAL },
);

export const products = classify(pgTable(
  'product',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    brand: text('brand').notNull(),
    categoryId: integer('category_id')
      .notNull()
      .references(() => categories.id),
    summary: text('summary').notNull(),
    description: text('description').notNull(),
    priceCents: integer('price_cents').notNull(),
    stock: integer('stock').notNull(),
    /** Colour of the generated product picture (hex, e.g. #d9a38b). */
    swatch: text('swatch').notNull(),
    /** Position in the storefront listing: lower first. */
    position: integer('position').notNull(),
    /** Shipping weight of one unit, for the parcel handed to the carrier. */
    weightGrams: integer('weight_grams').notNull().default(100),
    /**
     * Variants (a shade, a size) are products of their own, each with its price and stock, sharing a group key.
     * The listing shows one product per group (`listed`); its page offers the others by `optionName`/`optionValue`.
     */
    variantGroup: text('variant_group'),
    optionName: text('option_name'),
    optionValue: text('option_value'),
    listed: boolean('listed').notNull().default(true),
    /** Archived products leave the storefront and carts but stay for the orders that name them. */
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('product_category_position_idx').on(t.categoryId, t.position),
    index('product_position_idx').on(t.position),
    index('product_variant_group_idx').on(t.variantGroup),
    check('product_price_not_negative', sql`${t.priceCents} >= 0`),
    check('product_stock_not_negative', sql`${t.stock} >= 0`),
  ],
), {
  id: NOT_PERSONAL,
  slug: NOT_PERSONAL,
  name: CATALOGUE_NAME,
  brand: NOT_PERSONAL,
  categoryId: NOT_PERSONAL,
  summary: NOT_PERSONAL,
  description: NOT_PERSONAL,
  priceCents: NOT_PERSONAL,
  stock: NOT_PERSONAL,
  swatch: NOT_PERSONAL,
  position: NOT_PERSONAL,
  weightGrams: NOT_PERSONAL,
  variantGroup: NOT_PERSONAL,
  optionName: CATALOGUE_NAME,
  optionValue: NOT_PERSONAL,
  listed: NOT_PERSONAL,
  archivedAt: NOT_PERSONAL,
  createdAt: NOT_PERSONAL,
});

const PRODUCT_PICTURE = { personal: false, why: 'a picture of a product uploaded by the shop, not of a person' } as const;

/** A picture the administrator uploaded in place of the generated one: at most one per product. */
export const productImages = classify(
  pgTable('product_image', {
    productId: integer('product_id')
      .primaryKey()
      .references(() => products.id),
    contentType: text('content_type').notNull(),
    bytes: bytea('bytes').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    /** Hex SHA-256 of the bytes: the picture's file name and ETag, so a new upload gets a new address. */
    sha256: text('sha256').notNull(),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }).notNull(),
  }, (t) => [index('product_image_sha256_idx').on(t.sha256)]),
  { productId: NOT_PERSONAL, contentType: NOT_PERSONAL, bytes: PRODUCT_PICTURE, width: NOT_PERSONAL, height: NOT_PERSONAL, sha256: NOT_PERSONAL, uploadedAt: NOT_PERSONAL },
);

export type Category = typeof categories.$inferSelect;
export type Product = typeof products.$inferSelect;

/**
 * One row counting catalogue changes, bumped by triggers on the catalogue tables. Every instance keeps rendered
 * catalogue pages in memory and drops them when it sees the number move, so a change made on one instance (or
 * straight in the database) reaches all of them.
 */
export const catalogVersion = classify(
  pgTable('catalog_version', {
    id: integer('id').primaryKey(),
    version: bigint('version', { mode: 'number' }).notNull(),
  }),
  { id: NOT_PERSONAL, version: NOT_PERSONAL },
);
