import { randomBytes } from 'node:crypto';
import { and, desc, eq, gte, isNotNull, lt, ne, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import { DAY_MS } from '../../platform/clock.ts';
import { inTransaction, queryRows, type Executor } from '../../platform/db/index.ts';
import { hmacSha256, type KeyedHash } from '../../platform/hmac.ts';
import type { Jobs } from '../../platform/jobs.ts';
import { products } from '../catalog/schema.ts';
import { analyticsSalts, pageViews } from './schema.ts';

// Counting views without knowing who viewed (seed 003 §2). The visitor key lets one day's views be grouped by
// visitor (for visits and the funnel) and nothing more: it is a keyed hash under a salt that exists for one day.

export const DESTROY_SALTS_JOB = 'analytics.destroy-salts';

/** The day's salt, held in memory by this instance for its day (the row is the shared copy), ready to key with. */
export type SaltHolder = { from?: number; until?: number; salt?: Promise<KeyedHash>; held?: KeyedHash };

export type AnalyticsContext = { db: Executor; clock: Clock; jobs: Jobs; site: string; salts: SaltHolder };

export type ViewKind = 'page' | 'product' | 'cart_add' | 'order';

export type View = {
  kind: ViewKind;
  /** The route's pattern, never the address with its query. */
  path: string;
  productSlug?: string | undefined;
  clientAddress: string;
  userAgent: string | undefined;
  referer: string | undefined;
  /** The host the request was made to: a referrer on it is a link within the shop. */
  host: string;
};

const HOUR_MS = 60 * 60 * 1000;
export const VISITOR_KEY_BYTES = 16;
const dayOf = (at: Date) => at.toISOString().slice(0, 10);
const startOfDay = (at: Date) => Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());

/** Deletes every salt but today's: after this, no key from an earlier day can be recomputed or matched. */
export async function destroyOldSalts(ctx: { db: Executor; clock: Clock }): Promise<number> {
  const deleted = await ctx.db.delete(analyticsSalts).where(ne(analyticsSalts.day, dayOf(ctx.clock.now()))).returning({ day: analyticsSalts.day });
  return deleted.length;
}

/**
 * Today's salt: made by the first view of the day (which also destroys the days before, in case the job has not
 * run yet), shared by every instance through its row, and scheduled for destruction when the day ends.
 */
export function saltOfToday(ctx: AnalyticsContext, now = ctx.clock.now()): Promise<KeyedHash> {
  const at = now.getTime();
  // One look-up per day and instance, however many views arrive while it runs.
  if (ctx.salts.salt && isToday(ctx.salts, at)) return ctx.salts.salt;
  const day = dayOf(now);
  const from = startOfDay(now);
  const until = from + DAY_MS;
  const salt = inTransaction(ctx.db, async (tx) => {
    await destroyOldSalts({ db: tx, clock: ctx.clock });
    await tx.insert(analyticsSalts).values({ day, salt: randomBytes(32) }).onConflictDoNothing();
    const [row] = await tx.select({ salt: analyticsSalts.salt }).from(analyticsSalts).where(eq(analyticsSalts.day, day));
    await ctx.jobs.send(DESTROY_SALTS_JOB, {}, { within: tx, singletonKey: day, startAfter: new Date(until) });
    return hmacSha256(row!.salt);
  });
  Object.assign(ctx.salts, { from, until, salt, held: undefined });
  const forget = () => ctx.salts.salt === salt && Object.assign(ctx.salts, { salt: undefined, held: undefined });
  // The memory copy goes when its day ends, even if no view comes to replace it; a failed look-up is not kept.
  setTimeout(forget, Math.max(0, until - at)).unref();
  salt.then((key) => ctx.salts.salt === salt && (ctx.salts.held = key), forget);
  return salt;
}

const isToday = (salts: SaltHolder, at: number) => at >= salts.from! && at < salts.until!;

/** The HMAC-SHA-256 of the visitor's site, address and browser, cut to 128 bits: ample to tell a day's visitors apart. */
export function visitorKey(salt: KeyedHash, site: string, clientAddress: string, userAgent: string | undefined): Buffer {
  return salt(`${site}\n${clientAddress}\n${userAgent ?? ''}`).subarray(0, VISITOR_KEY_BYTES);
}

export type DeviceClass = 'mobile' | 'tablet' | 'desktop' | 'bot' | 'unknown';

/** A coarse class from the user agent; the user agent itself is never kept. */
export function deviceClass(userAgent: string | undefined): DeviceClass {
  if (!userAgent) return 'unknown';
  if (/bot|crawl|spider|slurp|curl|wget/i.test(userAgent)) return 'bot';
  if (/iPad|Tablet|Android(?!.*Mobile)/i.test(userAgent)) return 'tablet';
  if (/Mobi|iPhone|Android/i.test(userAgent)) return 'mobile';
  return 'desktop';
}

/** The host a visitor came from, when it is another site; a link within the shop is no referrer. */
export function referrerHost(referer: string | undefined, ownHost: string): string | null {
  if (!referer) return null;
  try {
    const host = new URL(referer).host.toLowerCase();
    return host === ownHost.toLowerCase() ? null : host.slice(0, 253);
  } catch {
    return null;
  }
}

/** Views as they wait to be written: those alike in all but their visitor, counted, with each visitor's key once. */
type Waiting = { hour: number; kind: ViewKind; path: string; productSlug: string | null; referrerHost: string | null; deviceClass: DeviceClass; views: number; visitors: Set<string> };

/**
 * Writes a batch in one statement whose parameters are one array per column (a row's visitor keys as one text,
 * sorted), the product's id found by one join: a row of parameters and a sub-select for each had cost more to
 * build and plan than the insert itself.
 */
async function writeViews(db: Executor, rows: Waiting[]): Promise<void> {
  const column = <T>(of: (row: Waiting) => T, type: string) => sql`${sql.param(rows.map(of))}::${sql.raw(type)}[]`;
  await db.execute(sql`insert into ${pageViews} (hour, visitor_keys, kind, path, product_id, referrer_host, device_class, views)
    select v.hour, string_to_array(v.visitor_keys, ',')::bytea[], v.kind, v.path, p.id, v.referrer_host, v.device_class, v.views
    from unnest(${column((r) => new Date(r.hour).toISOString(), 'timestamptz')}, ${column((r) => [...r.visitors].sort().map((key) => `\\x${key}`).join(','), 'text')},
      ${column((r) => r.kind, 'text')}, ${column((r) => r.path, 'text')}, ${column((r) => r.productSlug, 'text')},
      ${column((r) => r.referrerHost, 'text')}, ${column((r) => r.deviceClass, 'text')}, ${column((r) => r.views, 'integer')})
      as v(hour, visitor_keys, kind, path, product_slug, referrer_host, device_class, views)
    left join ${products} p on p.slug = v.product_slug`);
}

/**
 * Each visitor behind a row of page views, once: `from page_view, ${viewers} as viewer(key)`. Rows of the release
 * before hold one visitor's whole HMAC, whose first bytes are the key this release gives the same visitor that day.
 */
export const viewers = sql`unnest(coalesce(${pageViews.visitorKeys}, array[substring(${pageViews.visitorKey} from 1 for ${sql.raw(String(VISITOR_KEY_BYTES))})]))`;

/** `record` returns at once: the first view of a day is counted once the day's salt is found, and `flush` waits for it. */
export type ViewRecorder = { record(view: View): void; flush(): Promise<void> };

/** Most views held before they are written at once, and the longest a view waits. */
const BATCH_VIEWS = 10_000;
const BATCH_WAIT_MS = 1000;

/**
 * Views are keyed and bucketed when they happen, with the salt of that moment, then counted in memory, alike ones
 * (same hour, page, product, referrer and device) together with their visitors' keys, and written once a second
 * (or every 10,000 views) in one insert: a row per view, or per visitor and page, cost the product page most of its
 * throughput, since each visitor's views are mostly of different pages. Views still waiting when the process dies
 * are lost, which statistics can afford.
 */
export function createViewRecorder(ctx: AnalyticsContext, onError: (error: Error) => void): ViewRecorder {
  let waiting = new Map<string, Waiting>();
  let views = 0;
  let timer: NodeJS.Timeout | undefined;
  // Views waiting for the day's salt.
  let keying: Promise<void> = Promise.resolve();
  async function flush() {
    await keying;
    clearTimeout(timer);
    timer = undefined;
    const rows = [...waiting.values()];
    waiting = new Map();
    views = 0;
    if (rows.length > 0) await writeViews(ctx.db, rows).catch(onError);
  }
  function count(view: View, now: Date, salt: KeyedHash) {
    const key = visitorKey(salt, ctx.site, view.clientAddress, view.userAgent).toString('hex');
    const hour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const referrer = referrerHost(view.referer, view.host);
    const device = deviceClass(view.userAgent);
    const alike = `${hour}\n${view.kind}\n${view.path}\n${view.productSlug ?? ''}\n${referrer ?? ''}\n${device}`;
    const counted = waiting.get(alike);
    if (counted) {
      counted.views += 1;
      counted.visitors.add(key);
    } else {
      waiting.set(alike, { hour, kind: view.kind, path: view.path, productSlug: view.productSlug ?? null, referrerHost: referrer, deviceClass: device, views: 1, visitors: new Set([key]) });
    }
    if (++views >= BATCH_VIEWS) void flush();
    else timer ??= setTimeout(() => void flush(), BATCH_WAIT_MS).unref();
  }
  return {
    record(view) {
      const now = ctx.clock.now();
      // Once the day's salt is in memory a view waits for nothing.
      if (ctx.salts.held && isToday(ctx.salts, now.getTime())) return count(view, now, ctx.salts.held);
      const keyed = saltOfToday(ctx, now).then((salt) => count(view, now, salt)).catch(onError);
      keying = Promise.all([keying, keyed]).then(() => undefined);
    },
    flush,
  };
}

export type DailyCount = { day: string; visits: number; views: number };
export type Ranked = { label: string; views: number };
export type Funnel = { viewed: number; addedToCart: number; ordered: number };
export type AnalyticsReport = { from: string; to: string; days: DailyCount[]; topPages: Ranked[]; topProducts: Ranked[]; funnel: Funnel; referrers: Ranked[] };

/** The last `days` days, today included. A visit is one visitor key on one day (keys are only comparable within a day). */
export async function analyticsReport(ctx: { db: Executor; clock: Clock }, days = 14): Promise<AnalyticsReport> {
  const today = Date.parse(dayOf(ctx.clock.now()));
  const from = new Date(today - (days - 1) * DAY_MS);
  const to = new Date(today + DAY_MS);
  const inRange = and(gte(pageViews.hour, from), lt(pageViews.hour, to));
  const day = sql<string>`to_char(${pageViews.hour} at time zone 'UTC', 'YYYY-MM-DD')`;
  const total = sql<number>`sum(${pageViews.views})`;
  const [daily, visits, topPages, topProducts, referrers, funnels] = await Promise.all([
    ctx.db.select({ day, views: sql<number>`coalesce(sum(${pageViews.views}) filter (where ${pageViews.kind} in ('page', 'product')), 0)` }).from(pageViews).where(inRange).groupBy(day),
    queryRows<{ day: string; visits: number | string }>(ctx.db, sql`select ${day} as day, count(distinct viewer.key) as visits from ${pageViews}, ${viewers} as viewer(key) where ${inRange} group by 1`),
    ctx.db.select({ label: pageViews.path, views: total }).from(pageViews).where(and(inRange, ne(pageViews.kind, 'cart_add'), ne(pageViews.kind, 'order'))).groupBy(pageViews.path).orderBy(desc(total), pageViews.path).limit(10),
    ctx.db.select({ label: products.name, views: total }).from(pageViews).innerJoin(products, eq(products.id, pageViews.productId)).where(and(inRange, eq(pageViews.kind, 'product'))).groupBy(products.name).orderBy(desc(total), products.name).limit(10),
    ctx.db.select({ label: sql<string>`${pageViews.referrerHost}`, views: total }).from(pageViews).where(and(inRange, isNotNull(pageViews.referrerHost))).groupBy(pageViews.referrerHost).orderBy(desc(total)).limit(10),
    queryRows<{ viewed: number | string; added: number | string; ordered: number | string }>(
      ctx.db,
      sql`select count(*) filter (where viewed) as viewed, count(*) filter (where viewed and added) as added,
            count(*) filter (where viewed and added and ordered) as ordered
          from (select bool_or(kind = 'product') as viewed, bool_or(kind = 'cart_add') as added, bool_or(kind = 'order') as ordered
                from ${pageViews}, ${viewers} as viewer(key) where ${inRange} group by ${day}, viewer.key) as visits`,
    ),
  ]);
  const viewsOn = new Map(daily.map((d) => [d.day, d.views]));
  const visitsOn = new Map(visits.map((d) => [d.day, d.visits]));
  const f = funnels[0];
  return {
    from: dayOf(from),
    to: dayOf(new Date(today)),
    days: Array.from({ length: days }, (_, i) => {
      const d = dayOf(new Date(from.getTime() + i * DAY_MS));
      return { day: d, visits: Number(visitsOn.get(d) ?? 0), views: Number(viewsOn.get(d) ?? 0) };
    }),
    topPages: topPages.map((r) => ({ label: r.label, views: Number(r.views) })),
    topProducts: topProducts.map((r) => ({ label: r.label, views: Number(r.views) })),
    referrers: referrers.map((r) => ({ label: r.label, views: Number(r.views) })),
    funnel: { viewed: Number(f?.viewed ?? 0), addedToCart: Number(f?.added ?? 0), ordered: Number(f?.ordered ?? 0) },
  };
}
