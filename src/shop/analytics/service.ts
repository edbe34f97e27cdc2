import { randomBytes } from 'node:crypto';
import { and, desc, eq, gte, isNotNull, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import { DAY_MS } from '../../platform/clock.ts';
import { inTransaction, queryRows, type Executor, type Tx } from '../../platform/db/index.ts';
import { hmacSha256, type KeyedHash } from '../../platform/hmac.ts';
import type { Jobs } from '../../platform/jobs.ts';
import { products } from '../catalog/schema.ts';
import { analyticsSalts, coViews, dayTotals, pageViews } from './schema.ts';

// Counting views without knowing who viewed (seed 003 §2). The visitor key lets one day's views be grouped by
// visitor (for visits and the funnel) and nothing more: it is a keyed hash under a salt that exists for one day.

export const DESTROY_SALTS_JOB = 'analytics.destroy-salts';
export const SEAL_DAYS_JOB = 'analytics.seal-days';
/** How long after its end a day is sealed: its last views reach the database within a second or two. */
const SEAL_AFTER_MS = 10 * 60 * 1000;

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
const dayOf = (at: Date) => at.toISOString().slice(0, 10);
const startOfDay = (at: Date) => Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());

/** Deletes every salt but today's: after this, no key from an earlier day can be recomputed or matched. */
export async function destroyOldSalts(ctx: { db: Executor; clock: Clock }): Promise<number> {
  const deleted = await ctx.db.delete(analyticsSalts).where(ne(analyticsSalts.day, dayOf(ctx.clock.now()))).returning({ day: analyticsSalts.day });
  return deleted.length;
}

/**
 * Today's salt: made by the first view of the day (which also destroys the days before, in case the job has not
 * run yet), shared by every instance through its row, and scheduled for destruction when the day ends; the day's
 * views are scheduled to be sealed soon after.
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
    await ctx.jobs.send(SEAL_DAYS_JOB, {}, { within: tx, singletonKey: day, startAfter: new Date(until + SEAL_AFTER_MS) });
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

/**
 * The HMAC-SHA-256 of the visitor's site, address and browser, cut to its first 53 bits, a whole number as exact as
 * JavaScript's: ample to tell a day's visitors apart (in a day of a million visitors, two share one with odds of about one in 18,000).
 */
export function visitorKey(salt: KeyedHash, site: string, clientAddress: string, userAgent: string | undefined): number {
  const digest = salt(`${site}\n${clientAddress}\n${userAgent ?? ''}`);
  return (digest[0]! >>> 0) * 2 ** 21 + (digest[1]! >>> 11);
}

export type DeviceClass = 'mobile' | 'tablet' | 'desktop' | 'bot' | 'unknown';

const BOT = /bot|crawl|spider|slurp|curl|wget/i;
const TABLET = /iPad|Tablet|Android(?!.*Mobile)/i;
const MOBILE = /Mobi|iPhone|Android/i;
/** Any of the three: a desktop's user agent is read once, not three times. */
const NOT_DESKTOP = new RegExp([BOT, TABLET, MOBILE].map((words) => words.source).join('|'), 'i');

/** A coarse class from the user agent; the user agent itself is never kept. */
export function deviceClass(userAgent: string | undefined): DeviceClass {
  if (!userAgent) return 'unknown';
  if (!NOT_DESKTOP.test(userAgent)) return 'desktop';
  if (BOT.test(userAgent)) return 'bot';
  if (TABLET.test(userAgent)) return 'tablet';
  if (MOBILE.test(userAgent)) return 'mobile';
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

/**
 * Views as they wait to be written: those alike in all but their visitor, counted, with their visitors' keys (the
 * first `keyCount` of `keys`, a visitor's again for each of their views, made unique when written): numbers in an
 * array kept no object per view alive until the write, which a set of keys did.
 */
type Waiting = { hour: number; kind: ViewKind; path: string; productSlug: string | null; referrerHost: string | null; deviceClass: DeviceClass; views: number; keys: Float64Array; keyCount: number };

/** A row's keys in order, each once, as text: `1,5,9`. */
function keyList(row: Waiting): string {
  const keys = row.keys.subarray(0, row.keyCount).sort();
  let text = String(keys[0]);
  for (let i = 1; i < keys.length; i++) if (keys[i] !== keys[i - 1]) text += `,${keys[i]}`;
  return text;
}

/**
 * Writes a batch in one statement whose parameters are one array per column, the product's id found by one join: a
 * row of parameters and a sub-select for each had cost more to build and plan than the insert itself. The visitor
 * keys go as one plain text, a row's sorted keys after another's: as an array parameter, every key was quoted by the
 * driver and parsed again by the database's array input.
 */
async function writeViews(db: Executor, rows: Waiting[]): Promise<void> {
  const column = <T>(of: (row: Waiting) => T, type: string) => sql`${sql.param(rows.map(of))}::${sql.raw(type)}[]`;
  await db.execute(sql`insert into ${pageViews} (hour, visitors, kind, path, product_id, referrer_host, device_class, views)
    select v.hour, string_to_array(v.visitors, ',')::bigint[], v.kind, v.path, p.id, v.referrer_host, v.device_class, v.views
    from unnest(${column((r) => new Date(r.hour).toISOString(), 'timestamptz')}, string_to_array(${rows.map(keyList).join(';')}::text, ';'),
      ${column((r) => r.kind, 'text')}, ${column((r) => r.path, 'text')}, ${column((r) => r.productSlug, 'text')},
      ${column((r) => r.referrerHost, 'text')}, ${column((r) => r.deviceClass, 'text')}, ${column((r) => r.views, 'integer')})
      as v(hour, visitors, kind, path, product_slug, referrer_host, device_class, views)
    left join ${products} p on p.slug = v.product_slug`);
}

/** The first 53 bits of a key of bytes written by an earlier release: the key this release gives the same visitor that day. */
const leadingBits = (key: SQL) => sql`(('x' || encode(substring(${key} from 1 for 7), 'hex'))::bit(56)::bigint >> 3)`;

/**
 * Each visitor behind a row of page views, once: `from page_view, ${viewers} as viewer(key)`, none for a sealed row.
 * Rows of migration 0025's release and before hold a key of bytes: its first 16 bytes (0024, 0025) or all 32 (0023
 * and before).
 */
export const viewers = sql`unnest(case when ${pageViews.visitors} is not null then ${pageViews.visitors}
  when ${pageViews.visitorKeys} is not null then array(select ${leadingBits(sql`old.key`)} from unnest(${pageViews.visitorKeys}) as old(key))
  when ${pageViews.visitorKey} is not null then array[${leadingBits(sql`${pageViews.visitorKey}`)}] end)`;

/** Rows of page views that still hold their visitors' keys: today's, and a past day's until it is sealed. */
const keyed = sql`(${pageViews.visitors} is not null or ${pageViews.visitorKeys} is not null or ${pageViews.visitorKey} is not null)`;

const utcDay = sql<string>`to_char(${pageViews.hour} at time zone 'UTC', 'YYYY-MM-DD')`;

/** Each visit among the rows matching `which` (a visitor key on a day) and the steps of the funnel it took. */
const visitsIn = (which: SQL) =>
  sql`select ${utcDay} as day, viewer.key, bool_or(${pageViews.kind} = 'product') as viewed, bool_or(${pageViews.kind} = 'cart_add') as added,
        bool_or(${pageViews.kind} = 'order') as ordered
      from ${pageViews}, ${viewers} as viewer(key) where ${which} group by 1, 2`;

/** Each day's visits and funnel from its visits: a product viewed, then also an add to the cart, then also an order. */
const funnelOf = (visits: SQL) =>
  sql`select day, count(*) as visits, count(*) filter (where viewed) as viewed, count(*) filter (where viewed and added) as added,
        count(*) filter (where viewed and added and ordered) as ordered
      from (${visits}) as visit group by day`;

/** The first hour whose rows may hold keys: that of the last day sealed (which a late write may have reached), or any. */
export const keyedSince = sql`coalesce((select max(${dayTotals.day}) from ${dayTotals})::timestamp at time zone 'UTC', '-infinity'::timestamptz)`;

/** Who viewed which product on which day, among the rows of page views matching `which`: one row per visitor, product and day. */
export const productViewers = (which: SQL) =>
  sql`select distinct ${utcDay} as day, ${pageViews.productId} as product_id, viewer.key
      from ${pageViews}, ${viewers} as viewer(key) where ${pageViews.kind} = 'product' and ${pageViews.productId} is not null and ${which}`;

/**
 * Seals every day before today whose views still hold keys, oldest first, each in its own transaction: its visits and
 * funnel are added to its totals and its co-views to theirs, then its rows are merged, one per hour and kind of view,
 * without keys. From then on nothing of that day tells one visitor from another, nor which views a buyer made (a row
 * holding the key of one visitor's order had named, in a quiet hour, that visitor's browsing of the whole day).
 * Returns the days sealed; run again, it finds none, and rows written late are added to their day's totals.
 */
export async function sealPastDays(ctx: { db: Executor; clock: Clock }): Promise<string[]> {
  const today = new Date(startOfDay(ctx.clock.now()));
  const pending = await queryRows<{ day: string }>(
    ctx.db,
    sql`select distinct ${utcDay} as day from ${pageViews} where ${pageViews.hour} >= ${keyedSince} and ${lt(pageViews.hour, today)} and ${keyed} order by 1`,
  );
  for (const { day } of pending) await inTransaction(ctx.db, (tx) => sealDay(tx, day));
  return pending.map((p) => p.day);
}

async function sealDay(tx: Tx, day: string): Promise<void> {
  // One sealing at a time, so that no day's keys are counted twice by two instances.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${SEAL_DAYS_JOB}))`);
  const from = new Date(`${day}T00:00:00.000Z`);
  const ofDay = and(gte(pageViews.hour, from), lt(pageViews.hour, new Date(from.getTime() + DAY_MS)))!;
  await tx.execute(sql`insert into ${dayTotals} (day, visits, viewed_product, added_to_cart, ordered)
    select day::date, visits, viewed, added, ordered from (${funnelOf(visitsIn(ofDay))}) as totals
    on conflict (day) do update set visits = ${dayTotals.visits} + excluded.visits, viewed_product = ${dayTotals.viewedProduct} + excluded.viewed_product,
      added_to_cart = ${dayTotals.addedToCart} + excluded.added_to_cart, ordered = ${dayTotals.ordered} + excluded.ordered`);
  // Each visitor's products gathered, then paired within the visit: no join, whose plan would hang on statistics
  // that PGlite (which has no autovacuum) never gathers.
  await tx.execute(sql`insert into ${coViews} (product_id, other_product_id, day, viewers)
    select a.product_id, b.product_id, ${day}::date, count(*)
    from (select array_agg(seen.product_id) as products from (${productViewers(ofDay)}) as seen group by seen.key) as visit,
      unnest(visit.products) as a(product_id), unnest(visit.products) as b(product_id)
    where a.product_id <> b.product_id
    group by a.product_id, b.product_id
    on conflict (product_id, other_product_id, day) do update set viewers = ${coViews.viewers} + excluded.viewers`);
  await tx.execute(sql`with gone as (delete from ${pageViews} where ${ofDay} returning hour, kind, path, product_id, referrer_host, device_class, views)
    insert into ${pageViews} (hour, kind, path, product_id, referrer_host, device_class, views)
    select hour, kind, path, product_id, referrer_host, device_class, sum(views)::integer from gone group by 1, 2, 3, 4, 5, 6`);
}

/**
 * The totals and co-views of days whose views have all expired go with them: a sealed day keeps its merged rows, so
 * a day before the oldest view left has nothing left to total.
 */
export async function forgetExpiredTotals(db: Executor): Promise<void> {
  const oldest = sql`coalesce((select min(${pageViews.hour}) from ${pageViews}) at time zone 'UTC', 'infinity'::timestamp)::date`;
  await db.delete(dayTotals).where(sql`${dayTotals.day} < ${oldest}`);
  await db.delete(coViews).where(sql`${coViews.day} < ${oldest}`);
}

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
  // Rows waiting to be written, by their product's slug or, for other views, their page.
  let waiting = new Map<string, Waiting[]>();
  let views = 0;
  let timer: NodeJS.Timeout | undefined;
  // Views waiting for the day's salt.
  let keying: Promise<void> = Promise.resolve();
  // Views of this turn of the event loop, keyed together once its requests are answered: keyed one at a time, between
  // requests, each view found the hash's code and data gone from the processor's caches, at three times the cost.
  let unkeyed: { view: View; at: Date }[] = [];
  function keyUnkeyed() {
    const answered = unkeyed;
    unkeyed = [];
    for (const { view, at } of answered) keyView(view, at);
  }
  function keyView(view: View, at: Date) {
    // Once the day's salt is in memory a view waits for nothing.
    if (ctx.salts.held && isToday(ctx.salts, at.getTime())) return count(view, at, ctx.salts.held);
    const keyed = saltOfToday(ctx, at).then((salt) => count(view, at, salt)).catch(onError);
    keying = Promise.all([keying, keyed]).then(() => undefined);
  }
  async function flush() {
    keyUnkeyed();
    await keying;
    clearTimeout(timer);
    timer = undefined;
    const rows = [...waiting.values()].flat();
    waiting = new Map();
    views = 0;
    if (rows.length > 0) await writeViews(ctx.db, rows).catch(onError);
  }
  function count(view: View, now: Date, salt: KeyedHash) {
    const key = visitorKey(salt, ctx.site, view.clientAddress, view.userAgent);
    const hour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const referrer = referrerHost(view.referer, view.host);
    const device = deviceClass(view.userAgent);
    const productSlug = view.productSlug ?? null;
    // Found by its product or, for other views, its page, then among the few rows of that product or page by
    // comparing their fields: a text made of all the fields for each view to look up cost more than the rest of its counting.
    const place = productSlug ?? view.path;
    let alike = waiting.get(place);
    if (!alike) waiting.set(place, (alike = []));
    let counted = alike.find((row) => row.hour === hour && row.kind === view.kind && row.path === view.path && row.productSlug === productSlug && row.referrerHost === referrer && row.deviceClass === device);
    if (!counted) {
      counted = { hour, kind: view.kind, path: view.path, productSlug, referrerHost: referrer, deviceClass: device, views: 0, keys: new Float64Array(16), keyCount: 0 };
      alike.push(counted);
    }
    counted.views += 1;
    if (counted.keyCount === counted.keys.length) {
      const more = new Float64Array(counted.keys.length * 2);
      more.set(counted.keys);
      counted.keys = more;
    }
    counted.keys[counted.keyCount++] = key;
    if (++views >= BATCH_VIEWS) void flush();
    else timer ??= setTimeout(() => void flush(), BATCH_WAIT_MS).unref();
  }
  return {
    record(view) {
      if (unkeyed.push({ view, at: ctx.clock.now() }) === 1) setImmediate(keyUnkeyed);
    },
    flush,
  };
}

export type DailyCount = { day: string; visits: number; views: number };
export type Ranked = { label: string; views: number };
export type Funnel = { viewed: number; addedToCart: number; ordered: number };
export type AnalyticsReport = { from: string; to: string; days: DailyCount[]; topPages: Ranked[]; topProducts: Ranked[]; funnel: Funnel; referrers: Ranked[] };

/**
 * The last `days` days, today included. A visit is one visitor key on one day (keys are only comparable within a
 * day): sealed days give their totals, the others are counted from their keys, in one read of the range.
 */
export async function analyticsReport(ctx: { db: Executor; clock: Clock }, days = 14): Promise<AnalyticsReport> {
  const today = Date.parse(dayOf(ctx.clock.now()));
  const from = new Date(today - (days - 1) * DAY_MS);
  const to = new Date(today + DAY_MS);
  const inRange = and(gte(pageViews.hour, from), lt(pageViews.hour, to))!;
  const total = sql<number>`sum(${pageViews.views})`;
  type Visits = { day: string; visits: number | string; viewed: number | string; added: number | string; ordered: number | string };
  const [daily, visits, topPages, topProducts, referrers] = await Promise.all([
    ctx.db.select({ day: utcDay, views: sql<number>`coalesce(sum(${pageViews.views}) filter (where ${pageViews.kind} in ('page', 'product')), 0)` }).from(pageViews).where(inRange).groupBy(utcDay),
    queryRows<Visits>(
      ctx.db,
      sql`select day, sum(visits) as visits, sum(viewed) as viewed, sum(added) as added, sum(ordered) as ordered from (
            ${funnelOf(visitsIn(inRange))}
            union all
            select to_char(${dayTotals.day}, 'YYYY-MM-DD'), ${dayTotals.visits}, ${dayTotals.viewedProduct}, ${dayTotals.addedToCart}, ${dayTotals.ordered}
            from ${dayTotals} where ${and(gte(dayTotals.day, dayOf(from)), lt(dayTotals.day, dayOf(to)))}) as counted
          group by day`,
    ),
    ctx.db.select({ label: pageViews.path, views: total }).from(pageViews).where(and(inRange, ne(pageViews.kind, 'cart_add'), ne(pageViews.kind, 'order'))).groupBy(pageViews.path).orderBy(desc(total), pageViews.path).limit(10),
    ctx.db.select({ label: products.name, views: total }).from(pageViews).innerJoin(products, eq(products.id, pageViews.productId)).where(and(inRange, eq(pageViews.kind, 'product'))).groupBy(products.name).orderBy(desc(total), products.name).limit(10),
    ctx.db.select({ label: sql<string>`${pageViews.referrerHost}`, views: total }).from(pageViews).where(and(inRange, isNotNull(pageViews.referrerHost))).groupBy(pageViews.referrerHost).orderBy(desc(total)).limit(10),
  ]);
  const viewsOn = new Map(daily.map((d) => [d.day, d.views]));
  const visitsOn = new Map(visits.map((d) => [d.day, d.visits]));
  const sum = (of: (row: Visits) => number | string) => visits.reduce((n, row) => n + Number(of(row)), 0);
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
    funnel: { viewed: sum((r) => r.viewed), addedToCart: sum((r) => r.added), ordered: sum((r) => r.ordered) },
  };
}
