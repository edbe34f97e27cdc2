import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/platform/config.ts';
import { migrateDatabase, openDatabase, type Database } from '../src/platform/db/index.ts';
import { subjectDocument } from '../src/privacy/requests/service.ts';
import { openShopRuntime } from '../src/runtime.ts';
import { customers } from '../src/shop/accounts/schema.ts';
import { register } from '../src/shop/accounts/service.ts';
import { addItem } from '../src/shop/cart/service.ts';
import { products } from '../src/shop/catalog/schema.ts';
import { seedDemoCatalog } from '../src/shop/catalog/seed.ts';
import { placeOrder } from '../src/shop/checkout/service.ts';
import { eraseAccount, privacyCenterContext, type PrivacyCenterContext } from '../src/shop/privacy-center/service.ts';
import { startPostgres } from '../test/support/postgres.ts';

// `npm run bench:privacy-center`: the copy and the erasure of a customer with 1,000 orders (target under a second
// each), as a ratio against the copy of a customer with 1 order, on PGlite and PostgreSQL in one run. Each figure is
// one run (erasure cannot be repeated on the same person); the copy is timed as the job builds it, without the file.

const MANY = 1000;
export const PASSWORD = 'a long enough password';

/** A new customer account (password PASSWORD) with `orders` orders placed through the services; its id. */
export async function customerWithOrders(ctx: PrivacyCenterContext, orders: number): Promise<string> {
  const email = `bench.${randomBytes(4).toString('hex')}@example.com`;
  await register(ctx, { name: 'Bench Customer', email, password: PASSWORD });
  const [account] = await ctx.db.select({ id: customers.id }).from(customers).orderBy(sql`${customers.createdAt} desc`).limit(1);
  const owner = { customerId: account!.id };
  const address = { recipientName: 'Bench Customer', line1: '1 Bench St', line2: undefined, city: 'Springfield', region: 'IL', postcode: '62701', country: 'US', phone: undefined };
  for (let i = 0; i < orders; i++) {
    const added = await addItem(ctx, owner, { slug: 'gentle-oat-cleanser', quantity: 1 });
    if (!added.ok) throw new Error('could not add to the cart');
    const placed = await placeOrder(ctx, owner, { email, address, shippingOption: 'standard' }, { checkoutKey: randomUUID() });
    if (!placed.ok) throw new Error(`could not place order ${i}: ${JSON.stringify(placed.problems)}`);
    if (i % 100 === 99) console.error(`  · ${i + 1} orders placed`);
  }
  return account!.id;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

async function benchDatabase(kind: string, database: Database): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-bench-dsr-'));
  const config = loadConfig({ NODE_ENV: 'test', PLEDGE_DATA_DIR: path.join(dir, 'data'), PLEDGE_MAIL_DIR: path.join(dir, 'mail'), PLEDGE_MASTER_KEY: randomBytes(32).toString('base64'), PLEDGE_LOG_LEVEL: 'warn' });
  const runtime = await openShopRuntime(config, { database, migrate: false });
  try {
    await runtime.jobs.start({ work: false });
    const ctx = privacyCenterContext(runtime);
    await seedDemoCatalog({ db: ctx.db, clock: ctx.clock });
    await ctx.db.update(products).set({ stock: 1_000_000 });
    console.error(`${kind}: placing 1 + ${MANY} orders`);
    const one = await customerWithOrders(ctx, 1);
    const many = await customerWithOrders(ctx, MANY);
    // Warm-up: the code paths, the plan cache, the pool.
    await subjectDocument(ctx, { customerId: one, emailIndex: null });
    const baseline = await timed(() => subjectDocument(ctx, { customerId: one, emailIndex: null }));
    const copy = await timed(() => subjectDocument(ctx, { customerId: many, emailIndex: null }));
    const orders = copy.result.units.filter((u) => u.kind === 'order').length;
    if (orders !== MANY) throw new Error(`the copy holds ${orders} orders, not ${MANY}`);
    const erasure = await timed(() => eraseAccount(ctx, many, PASSWORD));
    if (!erasure.result.ok || erasure.result.outcome.held[0]?.count !== MANY) throw new Error('the erasure did not hold every order');
    const row = (what: string, ms: number) => console.log(`${kind.padEnd(9)} ${what.padEnd(34)} ${ms.toFixed(0).padStart(7)} ms  ×${(ms / baseline.ms).toFixed(1)} of the 1-order copy  ${ms < 1000 ? 'under' : 'OVER'} 1 s`);
    row('copy · 1 order (baseline)', baseline.ms);
    row(`copy · ${MANY} orders`, copy.ms);
    row(`erasure · ${MANY} orders (held)`, erasure.ms);
  } finally {
    await runtime.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const pglite = await openDatabase({});
  await migrateDatabase(pglite);
  await benchDatabase('pglite', pglite);

  const postgres = await startPostgres({ durable: true });
  try {
    const database = await openDatabase({ databaseUrl: await postgres.createDatabase('pledge_bench_dsr') });
    await migrateDatabase(database);
    await benchDatabase('postgres', database);
  } finally {
    await postgres.stop();
  }
}
