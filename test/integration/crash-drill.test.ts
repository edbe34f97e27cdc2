import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crashDrill, reportTable } from '../../bench/crash-drill.ts';
import { forEachDatabase, freshDatabase } from '../support/databases.ts';

// The crash drill of `npm run drill:crash` with smaller numbers: checkouts through the store API, the server killed
// with SIGKILL half-way and started again, every unanswered request sent again with its Idempotency-Key; then one
// order and one charge per key, one confirmation e-mail per order, nothing stuck in the outbox or the job queues.

const ORDERS = 24;
const CONCURRENCY = 6;

forEachDatabase('crash drill', (kind) => {
  // Generous: two server starts, the checkouts, and a crashed job's heartbeat running out, on a shared machine.
  test('a kill -9 mid-checkout loses, doubles and leaves stuck nothing', { timeout: 15 * 60_000 }, async () => {
    const database = kind === 'postgres' ? await freshDatabase('postgres') : undefined;
    try {
      // The drill's servers and its checks open their own connections.
      await database?.close();
      const report = await crashDrill({ engine: kind, orders: ORDERS, concurrency: CONCURRENCY, databaseUrl: database?.url });
      assert.deepEqual(report.checks.filter((c) => !c.ok), [], reportTable(report));
      assert.ok(report.figures.retried > 0, `the kill left requests without an answer, and they were sent again\n${reportTable(report)}`);
      assert.equal(report.checks.length, 14);
    } finally {
      await database?.drop();
    }
  });
});
