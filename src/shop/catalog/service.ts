import { asc, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import type { Executor } from '../../platform/db/index.ts';
import { categories, products, type Category, type Product } from './schema.ts';

export type CatalogContext = { db: Executor; clock: Clock };

export type ProductCard = Pick<Product, 'id' | 'slug' | 'name' | 'brand' | 'summary' | 'priceCents' | 'stock' | 'swatch'> & {
  categorySlug: string;
  categoryName: string;
};

export type ProductPage = { products: ProductCard[]; total: number; page: number; perPage: number };

const cardColumns = {
  id: products.id,
  slug: products.slug,
  name: products.name,
  brand: products.brand,
  summary: products.summary,
  priceCents: products.priceCents,
  stock: products.stock,
  swatch: products.swatch,
  categorySlug: categories.slug,
  categoryName: categories.name,
};

/** One page of the storefront listing, optionally within a category, in one query (the total rides along). */
export async function listProducts(
  ctx: CatalogContext,
  { page, perPage, categoryId }: { page: number; perPage: number; categoryId?: number },
): Promise<ProductPage> {
  const rows = await ctx.db
    .select({ ...cardColumns, total: sql<number>`count(*) over ()`.mapWith(Number) })
    .from(products)
    .innerJoin(categories, eq(products.categoryId, categories.id))
    .where(categoryId === undefined ? undefined : eq(products.categoryId, categoryId))
    .orderBy(asc(products.position), asc(products.id))
    .limit(perPage)
    .offset((page - 1) * perPage);
  const total = rows[0]?.total ?? (page > 1 ? await countProducts(ctx, categoryId) : 0);
  return { products: rows.map(({ total: _total, ...card }) => card), total, page, perPage };
}

async function countProducts(ctx: CatalogContext, categoryId?: number): Promise<number> {
  const [row] = await ctx.db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(products)
    .where(categoryId === undefined ? undefined : eq(products.categoryId, categoryId));
  return row?.n ?? 0;
}

/** Longest query accepted, in characters: longer ones are not searches a shopper types. */
export const SEARCH_MAX_LENGTH = 100;
export const SEARCH_SORTS = ['relevance', 'price-asc', 'price-desc', 'name'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

/** Resemblance (pg_trgm word similarity) a misspelt word needs to count; the same as in products_named_like. */
const RESEMBLANCE = 0.4;
/** With fewer full-text matches than this (none, or the one product named), resemblances are shown after them. */
const FEW_MATCHES = 2;

/**
 * One page of products matching `q`, in one query (the total rides along). Full-text search over the weighted
 * document (name A, brand and category B, summary C, description D) decides what matches and, for `relevance`, the
 * order; when it finds few products (a typo: "concieler"), products whose name or category resembles the words
 * (pg_trgm) are added after them. Candidates come from indexes: the GIN document index, the trigram index on the
 * name (through products_named_like, migration 0007) and the categories the query names or resembles.
 */
export async function searchProducts(
  ctx: CatalogContext,
  { q, sort, page, perPage }: { q: string; sort: SearchSort; page: number; perPage: number },
): Promise<ProductPage> {
  const words = q.toLowerCase();
  const query = sql`websearch_to_tsquery('english', ${q})`;
  const productDocument = sql`product_search_document(${products.name}, ${products.brand}, ${products.summary}, ${products.description})`;
  const document = sql`(${productDocument} || setweight(to_tsvector('english', ${categories.name}), 'B'))`;
  // Categories that share a word with the query or resemble it: their products are candidates, rechecked below
  // against the whole document, so "matte lips" finds the lipstick in Lips.
  const relatedCategories = sql`array(select related.id from ${categories} related
    where tsvector_to_array(to_tsvector('english', related.name)) && tsvector_to_array(to_tsvector('english', ${q}))
       or word_similarity(${words}, lower(related.name)) >= ${RESEMBLANCE})`;
  const matches = ctx.db.$with('matches').as(
    ctx.db
      .select({
        ...cardColumns,
        // Both tables have a slug and a name: a CTE's columns need names of their own.
        categorySlug: sql<string>`${categories.slug}`.as('category_slug'),
        categoryName: sql<string>`${categories.name}`.as('category_name'),
        position: sql<number>`${products.position}`.as('position'),
        matched: sql<boolean>`${document} @@ ${query}`.as('matched'),
        rank: sql<number>`ts_rank(${document}, ${query})`.as('rank'),
        resemblance: sql<number>`greatest(word_similarity(${words}, lower(${products.name})), word_similarity(${words}, lower(${categories.name})))`.as('resemblance'),
      })
      .from(products)
      .innerJoin(categories, eq(products.categoryId, categories.id))
      .where(sql`${productDocument} @@ ${query}
        or ${products.id} = any(array(select products_named_like(${words})))
        or ${products.categoryId} = any(${relatedCategories})`),
  );
  const m = {
    matched: sql`${matches.matched}`,
    rank: sql`${matches.rank}`,
    resemblance: sql`${matches.resemblance}`,
    price: sql`${matches.priceCents}`,
    name: sql`${matches.name}`,
  };
  const order: SQL[] = {
    relevance: [desc(m.matched), desc(m.rank), desc(m.resemblance)],
    'price-asc': [asc(m.price)],
    'price-desc': [desc(m.price)],
    name: [asc(m.name)],
  }[sort];
  const rows = await ctx.db
    .with(matches)
    .select({
      id: matches.id,
      slug: matches.slug,
      name: matches.name,
      brand: matches.brand,
      summary: matches.summary,
      priceCents: matches.priceCents,
      stock: matches.stock,
      swatch: matches.swatch,
      categorySlug: matches.categorySlug,
      categoryName: matches.categoryName,
      total: sql<number>`count(*) over ()`.mapWith(Number),
    })
    .from(matches)
    .where(sql`${m.matched} or (${m.resemblance} >= ${RESEMBLANCE} and (select count(*) from ${matches} where ${m.matched}) < ${FEW_MATCHES})`)
    .orderBy(...order, desc(m.matched), desc(m.rank), asc(sql`${matches.position}`), asc(matches.id))
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

export async function findProduct(ctx: CatalogContext, slug: string): Promise<(Product & { categorySlug: string; categoryName: string }) | undefined> {
  const [row] = await ctx.db
    .select({ product: products, categorySlug: categories.slug, categoryName: categories.name })
    .from(products)
    .innerJoin(categories, eq(products.categoryId, categories.id))
    .where(eq(products.slug, slug));
  return row ? { ...row.product, categorySlug: row.categorySlug, categoryName: row.categoryName } : undefined;
}

export async function findProductSwatch(ctx: CatalogContext, slug: string): Promise<{ swatch: string; categorySlug: string } | undefined> {
  const [row] = await ctx.db
    .select({ swatch: products.swatch, categorySlug: categories.slug })
    .from(products)
    .innerJoin(categories, eq(products.categoryId, categories.id))
    .where(eq(products.slug, slug));
  return row;
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function formatPrice(cents: number): string {
  return usd.format(cents / 100);
}
