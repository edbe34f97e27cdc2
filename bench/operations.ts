import { eq } from 'drizzle-orm';
import { loadConfig } from '../src/platform/config.ts';
import { subjectDocument } from '../src/privacy/requests/service.ts';
import { sweepExpired } from '../src/privacy/retention/sweep.ts';
import { openShopRuntime } from '../src/runtime.ts';
import { products } from '../src/shop/catalog/schema.ts';
import { retentionContext } from '../src/shop/privacy-center/retention.ts';
import { eraseAccount, privacyCenterContext } from '../src/shop/privacy-center/service.ts';
import { customerWithOrders, PASSWORD, timed } from './privacy-center.ts';
import { sweepProblems, writeExpiredRows } from './retention.ts';
import { pledgeEnv } from './servers.ts';

// The privacy operations of `npm run bench`, one at a time in this process on the bench's own database once its
// server has stopped: a customer's copy (the privacy center's export document) and erasure (as the customer asks for
// it, password check included), with the machinery of bench:privacy-center, and the retention sweep of expired rows
// written as bench:retention writes them, at a small scale. Each is checked to have done its work.

export type Operation = { scenario: string; what: string; perSecond: number; unit: string; p50Ms: number; p99Ms: number; count: number };
/** `orders`: the copied customer's orders; `repeats`: copies and erasures timed; `retentionScale`: of bench:retention's 1.1 million rows. */
export type OperationScale = { orders: number; ordersPerErasure: number; repeats: number; retentionScale: number };

/** The product every order of the operations buys (bench:privacy-center's). */
const BOUGHT = 'gentle-oat-cleanser';

function summary(scenario: string, what: string, unit: string, timesMs: number[], perOperation = 1): Operation {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  const totalMs = sorted.reduce((sum, ms) => sum + ms, 0);
  return { scenario, what, unit, perSecond: (sorted.length * perOperation * 1000) / totalMs, p50Ms: at(0.5), p99Ms: at(0.99), count: sorted.length };
}

export async function measureOperations(label: string, dir: string, databaseUrl: string | undefined, scale: OperationScale): Promise<Operation[]> {
  const runtime = await openShopRuntime(loadConfig(pledgeEnv(dir, databaseUrl)), { migrate: false });
  try {
    await runtime.jobs.start({ work: false });
    const ctx = privacyCenterContext(runtime);
    await ctx.db.update(products).set({ stock: 1_000_000 }).where(eq(products.slug, BOUGHT));

    console.error(`· privacy export · ${label}: a customer with ${scale.orders} orders, copied ${scale.repeats} times`);
    const subject = { customerId: await customerWithOrders(ctx, scale.orders), emailIndex: null };
    await subjectDocument(ctx, subject); // warm-up: the code paths, the plan cache, the pool
    const copies: number[] = [];
    for (let i = 0; i < scale.repeats; i++) {
      const copy = await timed(() => subjectDocument(ctx, subject));
      const orders = copy.result.units.filter((u) => u.kind === 'order').length;
      if (orders !== scale.orders) throw new Error(`the copy holds ${orders} orders, not ${scale.orders}`);
      copies.push(copy.ms);
    }

    console.error(`· erasure · ${label}: ${scale.repeats} customers with ${scale.ordersPerErasure} orders each`);
    const erasures: number[] = [];
    for (let i = 0; i < scale.repeats; i++) {
      const customerId = await customerWithOrders(ctx, scale.ordersPerErasure);
      const erasure = await timed(() => eraseAccount(ctx, customerId, PASSWORD));
      // Orders inside their legal term are held (restricted), not shredded: every one of them must be.
      if (!erasure.result.ok || erasure.result.outcome.held[0]?.count !== scale.ordersPerErasure) throw new Error('the erasure did not hold every order');
      erasures.push(erasure.ms);
    }

    const { modelOrderId, before } = await writeExpiredRows(runtime, scale.retentionScale);
    const expired = before.pageViewsExpired + before.outboxExpired + before.ordersKeyed;
    console.error(`· retention sweep · ${label}: ${expired} expired rows`);
    const sweep = await timed(() => sweepExpired(retentionContext(runtime), { trigger: 'cli' }));
    const { problems } = await sweepProblems(ctx.db, modelOrderId, before);
    if (problems.length > 0) throw new Error(`the retention sweep did not do its work:\n  ${problems.join('\n  ')}`);

    return [
      summary(`privacy export · ${label}`, `copy of a customer with ${scale.orders} orders`, 'copies/s', copies),
      summary(`erasure · ${label}`, `account with ${scale.ordersPerErasure} orders (held)`, 'erasures/s', erasures),
      summary(`retention sweep · ${label}`, `${expired} expired rows in one sweep`, 'rows/s', [sweep.ms], expired),
    ];
  } finally {
    await runtime.close();
  }
}
