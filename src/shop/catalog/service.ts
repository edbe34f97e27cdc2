import { and, asc, desc, eq, isNull, sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import { inTransaction, type Executor } from '../../platform/db/index.ts';
import { uploadedPictureFile } from './images.ts';
import { categories, productImages, products, type Category, type Product } from './schema.ts';

export type CatalogContext = { db: Executor; clock: Clock };

export type ProductCard = Pick<Product, 'id' | 'slug' | 'name' | 'brand' | 'summary' | 'priceCents' | 'stock' | 'swatch' | 'optionName' | 'optionValue'> & {
  categorySlug: string;
  categoryName: string;
  /** How many products of its variant group are on sale, itself included (0 when it has no group). */
  variantCount: number;
  /** The uploaded picture's file name, null for the generated one. */
  picture: string | null;
};

export type ProductPage = { products: ProductCard[]; total: number; page: number; perPage: number };

// Archived products stay in the table for the orders that name them, and are nowhere in the storefront.
const onSale = isNull(products.archivedAt);
/** What listings show: the one product of each variant group that stands for it, and products without variants. */
const shownInListings = and(eq(products.listed, true), onSale);

/** The number of products on sale in the variant group `group` (0 for none). */
const variantsOnSale = (group: AnyColumn | SQL) =>
  sql<number>`(select count(*) from ${products} sibling where sibling.variant_group = ${group} and sibling.archived_at is null)`.mapWith(Number);

/** A product card's own columns, read by listings and by the search's ranked matches alike. */
const cardProductColumns = {
  id: products.id,
  slug: products.slug,
  name: products.name,
  brand: products.brand,
  summary: products.summary,
  priceCents: products.priceCents,
  stock: products.stock,
  swatch: products.swatch,
  optionName: products.optionName,
  optionValue: products.optionValue,
};

const cardColumns = {
  ...cardProductColumns,
  categorySlug: categories.slug,
  categoryName: categories.name,
  variantCount: variantsOnSale(products.variantGroup),
  picture: uploadedPictureFile(products.id),
};

/** Orders of the listing: the shop's own (`featured`, by position), by price or by name. */
export const LISTING_SORTS = ['featured', 'price-asc', 'price-desc', 'name'] as const;
export type ListingSort = (typeof LISTING_SORTS)[number];
const LISTING_ORDER: Record<ListingSort, SQL[]> = {
  featured: [],
  'price-asc': [asc(products.priceCents)],
  'price-desc': [desc(products.priceCents)],
  name: [asc(products.name)],
};

/**
 * One page of the storefront listing, optionally within a category, in one query (the total rides along): one
 * product per variant group, nothing archived.
 */
export async function listProducts(
  ctx: CatalogContext,
  { page, perPage, categoryId, sort = 'featured' }: { page: number; perPage: number; categoryId?: number; sort?: ListingSort },
): Promise<ProductPage> {
  const rows = await ctx.db
    .select({ ...cardColumns, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(products)
    .innerJoin(categories, eq(products.categoryId, categories.id))
    .where(and(shownInListings, categoryId === undefined ? undefined : eq(products.categoryId, categoryId)))
    .orderBy(...LISTING_ORDER[sort], asc(products.position), asc(products.id))
    .limit(perPage)
    .offset((page - 1) * perPage);
  const total = rows[0]?.total ?? (page > 1 ? await countProducts(ctx, categoryId) : 0);
  return { products: rows.map(({ total: _total, ...card }) => card), total, page, perPage };
}

async function countProducts(ctx: CatalogContext, categoryId?: number): Promise<number> {
  const [row] = await ctx.db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(products)
    .where(and(shownInListings, categoryId === undefined ? undefined : eq(products.categoryId, categoryId)));
  return row?.n ?? 0;
}

/** Longest query accepted, in characters: longer ones are not searches a shopper types. */
export const SEARCH_MAX_LENGTH = 100;
export const SEARCH_SORTS = ['relevance', 'price-asc', 'price-desc', 'name'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

/** Resemblance (pg_trgm word similarity) a misspelt word needs to count; the same as in products_named_like. */
const RESEMBLANCE = 0.4;
/**
 * With fewer full-text matches than this (none, or the one product named; a variant group counts once),
 * resemblances are shown after them.
 */
const FEW_MATCHES = 2;

/**
 * One page of products matching `q`, in one query (the total rides along). Full-text search over the weighted
 * document (name and option value A, brand and category B, summary C, description D) decides what matches and, for
 * `relevance`, the order; when it finds few products (a typo: "concieler"), products whose name or category
 * resembles the words (pg_trgm) are added after them. Candidates come from indexes: the GIN document index, the
 * trigram index on the name (through products_named_like, migration 0007), the categories the query names or
 * resembles, and the variants whose option value shares a word with it.
 *
 * A variant group shows once, as its best match: the variant whose option the query names ("rose" shows the lipstick
 * in 02 Rose, linking straight to that shade), otherwise the group's listed product. Archived products never match.
 */
export async function searchProducts(
  ctx: CatalogContext,
  { q, sort, page, perPage }: { q: string; sort: SearchSort; page: number; perPage: number },
): Promise<ProductPage> {
  const words = q.toLowerCase();
  const query = sql`websearch_to_tsquery('english', ${q})`;
  const queryWords = sql`tsvector_to_array(to_tsvector('english', ${q}))`;
  const productDocument = sql`product_search_document(${products.name}, ${products.brand}, ${products.summary}, ${products.description})`;
  const document = sql`(${productDocument} || setweight(to_tsvector('english', ${categories.name}), 'B')
    || setweight(to_tsvector('english', coalesce(${products.optionValue}, '')), 'A'))`;
  // Categories that share a word with the query or resemble it: their products are candidates, rechecked below
  // against the whole document, so "matte lips" finds the lipstick in Lips.
  const relatedCategories = sql`array(select related.id from ${categories} related
    where tsvector_to_array(to_tsvector('english', related.name)) && ${queryWords}
       or word_similarity(${words}, lower(related.name)) >= ${RESEMBLANCE})`;
  const matches = ctx.db.$with('matches').as(
    ctx.db
      .select({
        ...cardProductColumns,
        variantGroup: products.variantGroup,
        listed: products.listed,
        picture: uploadedPictureFile(products.id).as('picture'),
        // Both tables have a slug and a name: a CTE's columns need names of their own.
        categorySlug: sql<string>`${categories.slug}`.as('category_slug'),
        categoryName: sql<string>`${categories.name}`.as('category_name'),
        position: sql<number>`${products.position}`.as('position'),
        groupKey: sql<string>`coalesce(${products.variantGroup}, ${products.id}::text)`.as('group_key'),
        matched: sql<boolean>`${document} @@ ${query}`.as('matched'),
        rank: sql<number>`ts_rank(${document}, ${query})`.as('rank'),
        resemblance: sql<number>`greatest(word_similarity(${words}, lower(${products.name})), word_similarity(${words}, lower(${categories.name})))`.as('resemblance'),
      })
      .from(products)
      .innerJoin(categories, eq(products.categoryId, categories.id))
      .where(and(onSale, sql`(${productDocument} @@ ${query}
        or ${products.id} = any(array(select products_named_like(${words})))
        or ${products.categoryId} = any(${relatedCategories})
        or (${products.variantGroup} is not null and tsvector_to_array(to_tsvector('english', ${products.optionValue})) && ${queryWords}))`)),
  );
  // One row per variant group (a product without variants is a group of its own), the best match of each.
  const shown = ctx.db.$with('shown').as(
    ctx.db
      .selectDistinctOn([matches.groupKey])
      .from(matches)
      .where(sql`${matches.matched} or (${matches.resemblance} >= ${RESEMBLANCE}
        and (select count(distinct ${matches.groupKey}) from ${matches} where ${matches.matched}) < ${FEW_MATCHES})`)
      .orderBy(matches.groupKey, desc(matches.matched), desc(matches.rank), desc(matches.listed), asc(matches.position), asc(matches.id)),
  );
  const order: SQL[] = {
    relevance: [desc(shown.matched), desc(shown.rank), desc(shown.resemblance)],
    'price-asc': [asc(shown.priceCents)],
    'price-desc': [desc(shown.priceCents)],
    name: [asc(shown.name)],
  }[sort];
  const rows = await ctx.db
    .with(matches, shown)
    .select({
      id: shown.id,
      slug: shown.slug,
      name: shown.name,
      brand: shown.brand,
      summary: shown.summary,
      priceCents: shown.priceCents,
      stock: shown.stock,
      swatch: shown.swatch,
      optionName: shown.optionName,
      optionValue: shown.optionValue,
      categorySlug: shown.categorySlug,
      categoryName: shown.categoryName,
      // Qualified: inside the count, a bare variant_group would be the sibling's.
      variantCount: variantsOnSale(sql`${sql.identifier('shown')}.variant_group`),
      picture: shown.picture,
      total: sql<number>`count(*) over ()`.mapWith(Number),
    })
    .from(shown)
    .orderBy(...order, desc(shown.matched), desc(shown.rank), asc(shown.position), asc(shown.id))
    .limit(perPage)
    .offset((page - 1) * perPage);
  return { products: rows.map(({ total: _total, ...card }) => card), total: rows[0]?.total ?? 0, page, perPage };
}

export async function listCategories(ctx: CatalogContext): Promise<Category[]> {
  return ctx.db.select().from(categories).orderBy(asc(categories.position));
}

export async function findCategory(ctx: CatalogContext, slug: string): Promise<Category | undefined> {
  const [row] = await ctx.db.select().from(categories).where(eq(categories.slug, slug));
  return row;
}

/** A product on sale, by slug (listed or not: a variant's page is reached from its group's); archived ones are not found. */
export async function findProduct(
  ctx: CatalogContext,
  slug: string,
): Promise<(Product & { categorySlug: string; categoryName: string; picture: string | null }) | undefined> {
  const [row] = await ctx.db
    .select({ product: products, categorySlug: categories.slug, categoryName: categories.name, picture: uploadedPictureFile(products.id) })
    .from(products)
    .innerJoin(categories, eq(products.categoryId, categories.id))
    .where(and(eq(products.slug, slug), onSale));
  return row ? { ...row.product, categorySlug: row.categorySlug, categoryName: row.categoryName, picture: row.picture } : undefined;
}

export type Variant = Pick<Product, 'slug' | 'optionName' | 'optionValue' | 'priceCents' | 'stock' | 'swatch'> & { picture: string | null };

/** The products on sale in a variant group, in the shop's order, in one query: what a product page offers. */
export async function listVariants(ctx: CatalogContext, variantGroup: string): Promise<Variant[]> {
  return ctx.db
    .select({
      slug: products.slug,
      optionName: products.optionName,
      optionValue: products.optionValue,
      priceCents: products.priceCents,
      stock: products.stock,
      swatch: products.swatch,
      picture: uploadedPictureFile(products.id),
    })
    .from(products)
    .where(and(eq(products.variantGroup, variantGroup), onSale))
    .orderBy(asc(products.position), asc(products.id));
}

/**
 * Takes a product off sale for good: it leaves listings, search, its page and carts, and stays in the table for the
 * orders that name it. When it stood for its variant group in listings, the group's next product on sale takes its
 * place. False when no product on sale has that slug.
 */
export function archiveProduct(ctx: CatalogContext, slug: string): Promise<boolean> {
  return inTransaction(ctx.db, async (tx) => {
    const [product] = await tx
      .select({ id: products.id, variantGroup: products.variantGroup, listed: products.listed })
      .from(products)
      .where(and(eq(products.slug, slug), onSale))
      .for('update');
    if (!product) return false;
    await tx.update(products).set({ archivedAt: ctx.clock.now(), listed: false }).where(eq(products.id, product.id));
    if (product.listed && product.variantGroup !== null) {
      const [next] = await tx
        .select({ id: products.id })
        .from(products)
        .where(and(eq(products.variantGroup, product.variantGroup), onSale))
        .orderBy(asc(products.position), asc(products.id))
        .limit(1)
        .for('update');
      if (next) await tx.update(products).set({ listed: true }).where(eq(products.id, next.id));
    }
    return true;
  });
}

export async function findProductSwatch(ctx: CatalogContext, slug: string): Promise<{ swatch: string; categorySlug: string } | undefined> {
  const [row] = await ctx.db
    .select({ swatch: products.swatch, categorySlug: categories.slug })
    .from(products)
    .innerJoin(categories, eq(products.categoryId, categories.id))
    .where(eq(products.slug, slug));
  return row;
}

/** A variant's option as the shop shows it, "Shade: 02 Rose"; undefined for a product without variants. */
export function variantLabel(product: Pick<Product, 'optionName' | 'optionValue'>): string | undefined {
  return product.optionName && product.optionValue ? `${product.optionName}: ${product.optionValue}` : undefined;
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function formatPrice(cents: number): string {
  return usd.format(cents / 100);
}

/** An uploaded picture by the hash in its address; any product's, since two may share one. */
export async function findUploadedPicture(ctx: CatalogContext, sha256: string): Promise<{ contentType: string; bytes: Buffer } | undefined> {
  const [row] = await ctx.db
    .select({ contentType: productImages.contentType, bytes: productImages.bytes })
    .from(productImages)
    .where(eq(productImages.sha256, sha256))
    .limit(1);
  return row;
}
