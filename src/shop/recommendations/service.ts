import { and, inArray, isNull, sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { queryRows, type Executor } from '../../platform/db/index.ts';
import { RECENTLY_VIEWED_COOKIE } from '../../privacy/cookies.ts';
import { allows } from '../../privacy/consent/service.ts';
import { pageViews } from '../analytics/schema.ts';
import { products } from '../catalog/schema.ts';

// Recommendations (seed 003 §2). "Customers also viewed" comes from co-views: products one visitor key viewed on
// the same day, counted over visitors; a pair shows only once several visitors made it, so no one visitor's
// browsing can be read off a product page. "Recently viewed" is the visitor's own, kept in a cookie of the
// shopping-experience category and only with that consent.

export type Suggestion = { slug: string; name: string };

/** Fewest distinct visitors behind a co-view before it is shown. */
export const MIN_CO_VIEWERS = 2;
const SUGGESTIONS = 4;
export const RECENT_KEPT = 6;
const RECENT_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

/** Products on sale most often viewed on the same day by the visitors who viewed `productId`. */
export async function alsoViewed(ctx: { db: Executor }, productId: number): Promise<Suggestion[]> {
  return queryRows<Suggestion>(
    ctx.db,
    sql`select p.slug, p.name from ${pageViews} a
        join ${pageViews} b on b.visitor_key = a.visitor_key and b.kind = 'product' and b.product_id <> a.product_id
          and date_trunc('day', b.hour) = date_trunc('day', a.hour)
        join ${products} p on p.id = b.product_id and p.archived_at is null
        where a.kind = 'product' and a.product_id = ${productId}
        group by p.id, p.slug, p.name
        having count(distinct a.visitor_key) >= ${MIN_CO_VIEWERS}
        order by count(distinct a.visitor_key) desc, p.name
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

/** The recently viewed products still on sale, in the visitor's order. */
export async function recentProducts(ctx: { db: Executor }, slugs: string[]): Promise<Suggestion[]> {
  if (slugs.length === 0) return [];
  const rows = await ctx.db.select({ slug: products.slug, name: products.name }).from(products).where(and(inArray(products.slug, slugs), isNull(products.archivedAt)));
  return slugs.flatMap((slug) => rows.filter((r) => r.slug === slug));
}
