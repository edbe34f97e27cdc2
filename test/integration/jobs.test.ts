import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/platform/db/index.ts';
import { createJobs, HEARTBEAT_SECONDS } from '../../src/platform/jobs.ts';
import { createLog } from '../../src/platform/log.ts';
import { forEachDatabase, freshDatabase } from '../support/databases.ts';
import { eventually } from '../support/shop.ts';

// A job whose worker dies with it (kill -9, out of memory) must run again soon, not sit `active` until it expires
// a quarter of an hour later: every queue carries a heartbeat, also a queue made before heartbeats existed.

const JOB = 'test.crash-resume';

forEachDatabase('jobs after a crash', (kind) => {
  test('a queue made by an earlier version gets the heartbeat when the job system starts', async () => {
    const database = await freshDatabase(kind);
    try {
      const earlier = createJobs(database, createLog('silent'));
      earlier.define({ name: JOB, handler: async () => undefined });
      await earlier.start({ work: false });
      await earlier.boss.updateQueue(JOB, { heartbeatSeconds: null });
      assert.equal((await earlier.boss.getQueue(JOB))!.heartbeatSeconds, null);
      await earlier.stop();

      const now = createJobs(database, createLog('silent'));
      now.define({ name: JOB, handler: async () => undefined });
      await now.start({ work: false });
      assert.equal((await now.boss.getQueue(JOB))!.heartbeatSeconds, HEARTBEAT_SECONDS);
      await now.stop();
    } finally {
      await database.drop();
    }
  });

  test('a job taken by a worker that died is run again by the next one', async () => {
    const database = await freshDatabase(kind);
    try {
      const dead = createJobs(database, createLog('silent'));
      dead.define({ name: JOB, handler: async () => undefined });
      await dead.start({ work: false });
      const id = await dead.send(JOB, { order: 'P1001' });
      // The worker takes the job and is gone before it finishes: nothing completes or fails it.
      const [taken] = await dead.boss.fetch(JOB);
      assert.equal(taken?.id, id);
      await dead.stop();

      const handled: object[] = [];
      const next = createJobs(database, createLog('silent'), { pollingIntervalSeconds: 0.5 });
      next.define<{ order: string }>({ name: JOB, handler: async (data) => void handled.push(data) });
      await next.start();
      try {
        // Generous: the heartbeat must lapse and the supervisor see it, on a machine the whole suite shares.
        await eventually(async () => handled.length > 0, 180_000, 'the job to run again');
        assert.deepEqual(handled, [{ order: 'P1001' }]);
        const [job] = await eventually(async () => {
          const rows = await queryRows<{ state: string; retries: number }>(database.db, sql`select state::text as state, retry_count as retries from pgboss.job where id = ${id}`);
          return rows[0]?.state === 'completed' && rows;
        }, 30_000, 'the job to complete');
        assert.equal(job!.retries, 1, 'run once more, after the dead attempt');
      } finally {
        await next.stop();
      }
    } finally {
      await database.drop();
    }
  });
});
