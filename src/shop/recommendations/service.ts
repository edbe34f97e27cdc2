import { isNull, sql, type SQL } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { queryRows, type Executor } from '../../platform/db/index.ts';
import { RECENTLY_VIEWED_COOKIE } from '../../privacy/cookies.ts';
import { allows } from '../../privacy/consent/service.ts';
import { pageViews } from '../analytics/schema.ts';
import { viewers } from '../analytics/service.ts';
import { products } from '../catalog/schema.ts';

// Recommendations (seed 003 §2). "Customers also viewed" comes from co-views: products one visitor key viewed on
// the same day, counted over visitors; a pair shows only once several visitors made it, so no one visitor's
// browsing can be read off a product page. "Recently viewed" and "Picked for you" are the visitor's own: worked out
// on each request from a cookie of the shopping-experience category, only with that consent, and never stored on
// the shop's side, so there is nothing of them to erase but the cookie.

export type Suggestion = { slug: string; name: string };

/** Fewest distinct visitors behind a co-view before it is shown. */
export const MIN_CO_VIEWERS = 2;
const SUGGESTIONS = 4;
export const RECENT_KEPT = 6;
const RECENT_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

/** Who viewed which product on which day, among the rows of page views matching `which`: one row per visitor, product and day. */
const productViewers = (which: SQL) =>
  sql`select distinct date_trunc('day', ${pageViews.hour}) as day, ${pageViews.productId} as product_id, viewer.key
      from ${pageViews}, ${viewers} as viewer(key) where ${pageViews.kind} = 'product' and ${which}`;

/**
 * Products on sale most often viewed on the same day by the visitors who viewed `productId`. Both sides are
 * unnested before they are joined (materialized), the other products' side only for those visitors: joined as rows
 * first, each pair of rows on a day had its keys unnested and matched again, which took minutes over a month of
 * views (now 0.2 s for 600,000).
 */
export async function alsoViewed(ctx: { db: Executor }, productId: number): Promise<Suggestion[]> {
  return queryRows<Suggestion>(
    ctx.db,
    sql`with a as materialized (${productViewers(sql`${pageViews.productId} = ${productId}`)}),
          b as materialized (${productViewers(sql`${pageViews.productId} <> ${productId} and viewer.key in (select key from a)`)})
        select p.slug, p.name from a
        join b on b.key = a.key and b.day = a.day
        join ${products} p on p.id = b.product_id and p.archived_at is null
        group by p.id, p.slug, p.name
        having count(distinct a.key) >= ${MIN_CO_VIEWERS}
        order by count(distinct a.key) desc, p.name
        limit ${SUGGESTIONS}`,
  );
}

const SLUG = /^[a-z0-9-]{1,160}$/;

/** The slugs in the visitor's recently-viewed cookie, newest first; empty without experience consent. */
export function recentlyViewed(request: FastifyRequest): string[] {
  if (!allows(request, 'experience')) return [];
  const raw = request.cookies[RECENTLY_VIEWED_COOKIE] ?? '';
  return [...new Set(raw.split('~').filter((slug) => SLUG.test(slug)))].slice(0, RECENT_KEPT);
}

/** Puts `slug` first in the recently-viewed cookie, with experience consent only. */
export function rememberView(request: FastifyRequest, reply: FastifyReply, slug: string, secure: boolean) {
  if (!allows(request, 'experience')) return;
  const kept = [slug, ...recentlyViewed(request).filter((s) => s !== slug)].slice(0, RECENT_KEPT);
  reply.setCookie(RECENTLY_VIEWED_COOKIE, kept.join('~'), { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: RECENT_MAX_AGE_SECONDS });
}

/** A visitor's own suggestions: what they viewed (still on sale), and picks from those products' categories and brands. */
export type Personal = { recent: Suggestion[]; picks: Suggestion[] };

/** A product on sale as the picks see it. */
type Candidate = Suggestion & { brand: string; categoryId: number; variantGroup: string | null; position: number; pickable: boolean };

/**
 * What the visitor's own suggestions are made from: every product on sale by slug, and those that may be picked
 * (listed, in stock) by category and brand, in storefront order. It is the same for everyone, so it is cached with
 * the catalogue's pages (and dropped with them when the catalogue changes): a query per private page had cost more
 * than all the rest of the page.
 */
export type SuggestionIndex = { bySlug: Map<string, Candidate>; byCategory: Map<number, Candidate[]>; byBrand: Map<string, Candidate[]> };

export async function suggestionIndex(ctx: { db: Executor }): Promise<SuggestionIndex> {
  const rows = await ctx.db
    .select({
      slug: products.slug,
      name: products.name,
      brand: products.brand,
      categoryId: products.categoryId,
      variantGroup: products.variantGroup,
      position: products.position,
      pickable: sql<boolean>`${products.listed} and ${products.stock} > 0`,
    })
    .from(products)
    .where(isNull(products.archivedAt))
    .orderBy(products.position, products.name);
  const index: SuggestionIndex = { bySlug: new Map(), byCategory: new Map(), byBrand: new Map() };
  const add = <K>(map: Map<K, Candidate[]>, key: K, row: Candidate) => void (map.get(key)?.push(row) ?? map.set(key, [row]));
  for (const row of rows) {
    index.bySlug.set(row.slug, row);
    if (!row.pickable) continue;
    add(index.byCategory, row.categoryId, row);
    add(index.byBrand, row.brand, row);
  }
  return index;
}

/**
 * `viewing` is the product on screen: it counts among what the visitor viewed (it is the latest) but is not listed
 * again. A pick is a listed product in stock sharing a category or a brand with the viewed products, scored by how
 * many of them it shares each with (then in storefront order), and never one of them or a variant of one.
 */
export function personalSuggestions(index: SuggestionIndex, viewing: string, recent: string[]): Personal {
  const seen = [viewing, ...recent].flatMap((slug) => index.bySlug.get(slug) ?? []);
  const tally = <K>(keys: K[]) => keys.reduce((counts, key) => counts.set(key, (counts.get(key) ?? 0) + 1), new Map<K, number>());
  const categories = tally(seen.map((s) => s.categoryId));
  const brands = tally(seen.map((s) => s.brand));
  const seenSlugs = new Set(seen.map((s) => s.slug));
  const seenGroups = new Set(seen.flatMap((s) => s.variantGroup ?? []));
  const scored = new Map<Candidate, number>();
  const consider = (candidates: Candidate[] | undefined) => {
    for (const c of candidates ?? []) {
      if (scored.has(c) || seenSlugs.has(c.slug) || (c.variantGroup !== null && seenGroups.has(c.variantGroup))) continue;
      scored.set(c, (categories.get(c.categoryId) ?? 0) + (brands.get(c.brand) ?? 0));
    }
  };
  for (const id of categories.keys()) consider(index.byCategory.get(id));
  for (const brand of brands.keys()) consider(index.byBrand.get(brand));
  const picks = [...scored].sort(([a, x], [b, y]) => y - x || a.position - b.position).slice(0, SUGGESTIONS);
  return {
    recent: recent.flatMap((slug) => index.bySlug.get(slug) ?? []).map(({ slug, name }) => ({ slug, name })),
    picks: picks.map(([{ slug, name }]) => ({ slug, name })),
  };
}

/** Erasing a visitor's data reaches their browser too: the list of products they viewed is expired. */
export function forgetViews(reply: FastifyReply) {
  reply.clearCookie(RECENTLY_VIEWED_COOKIE, { path: '/' });
}
