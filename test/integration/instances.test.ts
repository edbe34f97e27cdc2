import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { inTransaction, queryRows } from '../../src/platform/db/index.ts';
import { DELIVER_MAIL_JOB, queueMail } from '../../src/platform/mail/service.ts';
import type { OutgoingMail } from '../../src/platform/mail/transport.ts';
import { freshDatabase, type TestDatabase } from '../support/databases.ts';
import { eventually, startTestShop, type TestShop } from '../support/shop.ts';

// Pledge scales out by running several stateless instances on one PostgreSQL: jobs and the outbox live in the
// database, so a job enqueued by one instance is handled once, by whichever instance claims it. (PGlite is one
// process's embedded database, so this is PostgreSQL only.)

describe('two instances on one PostgreSQL', () => {
  let database: TestDatabase;
  let a: TestShop;
  let b: TestShop;
  const handledBy: Record<string, string[]> = {};

  before(async () => {
    database = await freshDatabase('postgres');
    // Instances of one shop share its master key, as they share its database.
    const env = { PLEDGE_MASTER_KEY: randomBytes(32).toString('base64') };
    a = await startTestShop('postgres', { database, env, work: true });
    b = await startTestShop('postgres', { database, env, seed: false, work: true });
    for (const [name, shop] of [['a', a], ['b', b]] as const) {
      shop.runtime.mail.send = async (mail: OutgoingMail) => {
        (handledBy[mail.id] ??= []).push(name);
      };
    }
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
  });

  test('both serve the same shop', async () => {
    for (const shop of [a, b]) {
      const response = await shop.app.inject('/');
      assert.equal(response.statusCode, 200);
      assert.match(response.body, /41 products/);
    }
  });

  test('every job enqueued by one instance is handled exactly once across both', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = await inTransaction(a.database.db, (tx) =>
        queueMail({ clock: a.clock, jobs: a.runtime.jobs, sealer: a.runtime.sealer }, tx, `fan-out-${i}`, { to: `c${i}@example.com`, subject: `Message ${i}`, text: 'x' }),
      );
      ids.push(id!);
    }
    // Generous: this checks that each message is handled once, not how fast. (Jobs here once waited up to a minute:
    // with LISTEN/NOTIFY on, pg-boss polled only every 30 s; see the work options in src/platform/jobs.ts.)
    await eventually(async () => ids.every((id) => handledBy[id]), 180_000, 'all 30 messages handled').catch(async (error: Error) => {
      // Say where the jobs stand, so a failure on a busy machine can be told from a lost job.
      const states = await queryRows<{ state: string; n: number }>(database.db, sql`select state, count(*)::int as n from pgboss.job where name = ${DELIVER_MAIL_JOB} group by state`);
      const warnings = [...a.logs, ...b.logs].filter((line) => /"level":(40|50)/.test(line)).slice(-5);
      throw new Error(`${error.message}; jobs by state: ${JSON.stringify(states)}; last warnings: ${warnings.join('\n')}`);
    });
    // Let any duplicate delivery that was going to happen happen before counting.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const id of ids) assert.equal(handledBy[id]!.length, 1, `message ${id} handled ${handledBy[id]!.length} times`);
    const [completed] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from pgboss.job where name = ${DELIVER_MAIL_JOB} and state = 'completed'`);
    assert.equal(completed!.n, 30);
  });
});
