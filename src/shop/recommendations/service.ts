import { isNull, sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { queryRows, type Executor } from '../../platform/db/index.ts';
import { RECENTLY_VIEWED_COOKIE } from '../../privacy/cookies.ts';
import { allows } from '../../privacy/consent/service.ts';
import { coViews, pageViews } from '../analytics/schema.ts';
import { keyedSince, productViewers } from '../analytics/service.ts';
import { products } from '../catalog/schema.ts';

// Recommendations (seed 003 §2). "Customers also viewed" comes from co-views: products one visitor key viewed on
// the same day, counted over visitors (a sealed day's from its counts); a pair shows only once several visitors made
// it, so no one visitor's browsing can be read off a product page. "Recently viewed" and "Picked for you" are the visitor's own: worked out
// on each request from a cookie of the shopping-experience category, only with that consent, and never stored on
// the shop's side, so there is nothing of them to erase but the cookie.

export type Suggestion = { slug: string; name: string };

/** Fewest distinct visitors behind a co-view before it is shown. */
export const MIN_CO_VIEWERS = 2;
const SUGGESTIONS = 4;
export const RECENT_KEPT = 6;
const RECENT_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

/**
 * Products on sale most often viewed on the same day by the visitors who viewed `productId`: sealed days' co-views
 * by their counts, and those of the days since (today, and a day not sealed yet) from their keys, each visit's
 * products gathered and counted without a join. A join of this product's viewers to the others' had the planner,
 * without statistics (PGlite gathers none), loop over one side for each row of the other: 15–29 s for a day of
 * 20,000 visitors who viewed ten products each, against 0.9 s.
 */
export async function alsoViewed(ctx: { db: Executor }, productId: number): Promise<Suggestion[]> {
  return queryRows<Suggestion>(
    ctx.db,
    sql`with visit as (
          select array_agg(seen.product_id) as products from (${productViewers(sql`${pageViews.hour} >= ${keyedSince}`)}) as seen
          group by seen.day, seen.key having bool_or(seen.product_id = ${productId})),
        counted as (
          select other.product_id, count(*) as viewers from visit, unnest(visit.products) as other(product_id) where other.product_id <> ${productId} group by 1
          union all
          select ${coViews.otherProductId}, sum(${coViews.viewers}) from ${coViews} where ${coViews.productId} = ${productId} group by 1)
        select p.slug, p.name from counted
        join ${products} p on p.id = counted.product_id and p.archived_at is null
        group by p.id, p.slug, p.name
        having sum(counted.viewers) >= ${MIN_CO_VIEWERS}
        order by sum(counted.viewers) desc, p.name
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
