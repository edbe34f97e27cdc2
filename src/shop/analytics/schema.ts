import { bigint, date, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea } from '../../platform/db/types.ts';
import { classify, NOT_PERSONAL } from '../../privacy/inventory.ts';

// Browsing analytics without identifying anyone (seed 003 §2). A visitor is a keyed hash of the site, their
// address and browser under the day's random salt; the salt row is deleted when its day ends, after which nobody,
// the shop included, can tell whether two days' views came from the same person. Neither address nor browser is
// stored. A row is the views alike in hour, page, product, referrer and device that were written together: how
// many, and the keys of the visitors who made them. Once a day is over its keys are worth nothing but the totals they
// give, so the day is sealed: its visits, funnel and co-views are counted into the two tables below, its rows of views
// are merged into one per hour and kind of view, and its keys are gone (see sealPastDays).

export const analyticsSalts = classify(
  pgTable('analytics_salt', {
    day: text('day').primaryKey(),
    salt: bytea('salt').notNull(),
  }),
  { day: NOT_PERSONAL, salt: { personal: false, why: 'a random key, destroyed at the end of its day' } },
);

export const pageViews = classify(
  pgTable('page_view', {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** The hour of the view, never the instant. */
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    /** One visitor's key, in rows written before migration 0024 (a row was then one visitor's views). */
    visitorKey: bytea('visitor_key'),
    /** The visitors' keys as releases from migration 0024's to 0025's wrote them: the HMAC's first 16 bytes. */
    visitorKeys: bytea('visitor_keys').array(),
    /**
     * Each visitor behind the row's views once, by their key (the HMAC's first 53 bits, a whole number), in the order
     * of the keys, which tells nothing of who came first; none once the day is sealed.
     */
    visitors: bigint('visitors', { mode: 'number' }).array(),
    /** `page`, `product`, `cart_add` or `order`: the steps of the funnel. */
    kind: text('kind').notNull(),
    /** The route's pattern (`/products/:slug`), never the address with its query. */
    path: text('path').notNull(),
    productId: integer('product_id'),
    referrerHost: text('referrer_host'),
    deviceClass: text('device_class').notNull(),
    /** Views alike in every other column, counted together in memory before they are written. */
    views: integer('views').notNull().default(1),
  // The hour alone is indexed (for reports and the retention sweep): an index on (product, visitor key) cost each
  // written view a fifth more, and "Customers also viewed" ran twice as fast without it, by a hash join.
  }, (t) => [index('page_view_hour_idx').on(t.hour)]),
  {
    id: NOT_PERSONAL,
    hour: NOT_PERSONAL,
    visitorKey: { personal: true, category: 'browsing_data', unit: 'analytics_day', protection: 'hashed' },
    visitorKeys: { personal: true, category: 'browsing_data', unit: 'analytics_day', protection: 'hashed' },
    visitors: { personal: true, category: 'browsing_data', unit: 'analytics_day', protection: 'hashed' },
    kind: NOT_PERSONAL,
    path: NOT_PERSONAL,
    productId: NOT_PERSONAL,
    referrerHost: NOT_PERSONAL,
    deviceClass: NOT_PERSONAL,
    views: NOT_PERSONAL,
  },
);

/** A sealed day's visits (visitors, as their keys were that day) and its funnel, counted over those visits. */
export const dayTotals = classify(
  pgTable('analytics_day_total', {
    day: date('day', { mode: 'string' }).primaryKey(),
    visits: integer('visits').notNull(),
    /** Visits that viewed a product, of those the ones that added to the cart, and of those the ones that ordered. */
    viewedProduct: integer('viewed_product').notNull(),
    addedToCart: integer('added_to_cart').notNull(),
    ordered: integer('ordered').notNull(),
  }),
  { day: NOT_PERSONAL, visits: NOT_PERSONAL, viewedProduct: NOT_PERSONAL, addedToCart: NOT_PERSONAL, ordered: NOT_PERSONAL },
);

/** How many of a sealed day's visitors viewed both products: each pair twice, once from either side, for "Customers also viewed". */
export const coViews = classify(
  pgTable('co_view', {
    productId: integer('product_id').notNull(),
    otherProductId: integer('other_product_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    viewers: integer('viewers').notNull(),
  }, (t) => [primaryKey({ columns: [t.productId, t.otherProductId, t.day] }), index('co_view_day_idx').on(t.day)]),
  { productId: NOT_PERSONAL, otherProductId: NOT_PERSONAL, day: NOT_PERSONAL, viewers: NOT_PERSONAL },
);
