import { asc, eq, sql } from 'drizzle-orm';
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
