import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'drizzle-orm';
import { inTransaction, queryRows } from '../../src/platform/db/index.ts';
import { createJobs, HEARTBEAT_SECONDS } from '../../src/platform/jobs.ts';
import { createLog } from '../../src/platform/log.ts';
import { forEachDatabase, freshDatabase } from '../support/databases.ts';
import { eventually } from '../support/shop.ts';

// A job whose worker dies with it (kill -9, out of memory) must run again soon, not sit `active` until it expires
// a quarter of an hour later: every queue carries a heartbeat, also a queue made before heartbeats existed. Workers
// take jobs in batches, and each job is settled on its own.

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

  test('a job that fails in a batch is retried alone: the others in the batch complete once', async () => {
    const database = await freshDatabase(kind);
    const runs: string[] = [];
    const jobs = createJobs(database, createLog('silent'), { pollingIntervalSeconds: 0.5 });
    let failuresLeft = 1;
    jobs.define<{ name: string }>({
      name: JOB,
      handler: async ({ name }) => {
        runs.push(name);
        if (name === 'b' && failuresLeft-- > 0) throw Object.assign(new Error('the mail server refused'), { code: 'EENVELOPE' });
      },
    });
    try {
      await jobs.start();
      // One transaction: the three fall due together, and the worker takes them in one batch.
      const ids = new Map<string, string>();
      await inTransaction(database.db, async (tx) => {
        for (const name of ['a', 'b', 'c']) ids.set(name, (await jobs.send(JOB, { name }, { within: tx }))!);
      });
      const states = async () => new Map((await queryRows<{ id: string; state: string; retries: number }>(database.db, sql`select id::text as id, state::text as state, retry_count as retries from pgboss.job where name = ${JOB}`)).map((r) => [r.id, r] as const));
      const done = await eventually(async () => {
        const now = await states();
        return [...ids.values()].every((id) => now.get(id)?.state === 'completed') && now;
      }, 120_000, 'every job to complete');
      assert.deepEqual([...ids].map(([name, id]) => [name, done.get(id)!.retries]), [['a', 0], ['b', 1], ['c', 0]]);
      assert.deepEqual(runs.toSorted(), ['a', 'b', 'b', 'c']);
    } finally {
      await jobs.stop();
      await database.drop();
    }
  });
});
