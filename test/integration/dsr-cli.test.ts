import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { inTransaction } from '../../src/platform/db/index.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { privacyRequests } from '../../src/privacy/requests/schema.ts';
import { openRequest } from '../../src/privacy/requests/service.ts';
import { openShopRuntime } from '../../src/runtime.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { register } from '../../src/shop/accounts/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { pledge } from '../support/cli.ts';
import { testEnv } from '../support/shop.ts';

// `pledge dsr list|show|run` on the configured (PGlite) database: the operator sees the queue without anyone's
// data, and runs an erasure that waits in it.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-dsr-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const env = testEnv(dir);

const run = (args: string[]) => pledge(args, env);

test('dsr list, show and run', async () => {
  const runtime = await openShopRuntime(loadConfig(env));
  let requestId: string;
  try {
    await runtime.jobs.start({ work: false });
    const ctx = shopContext(runtime);
    await register(ctx, { name: 'Nell Ashby', email: 'nell@example.com', password: 'a long enough password' });
    const [account] = await runtime.database.db.select().from(customers);
    requestId = (await inTransaction(runtime.database.db, (tx) => openRequest(ctx, tx, { kind: 'erasure', status: 'received', subject: { customerId: account!.id, emailIndex: account!.emailIndex } }))).id;
  } finally {
    await runtime.close();
  }

  assert.equal(run(['dsr']).code, 2);
  assert.equal(run(['dsr', 'show', 'not-an-id']).code, 2);
  const listed = run(['dsr', 'list', '--open']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`${requestId} {2}erasure +received`));
  assert.match(listed.stdout, /15 business days left/);
  assert.doesNotMatch(listed.stdout, /Nell|nell@/);
  const shown = run(['dsr', 'show', requestId]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).subject, 'account');

  const ran = run(['dsr', 'run', requestId]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /Your account/);
  assert.equal(run(['dsr', 'run', requestId]).code, 1, 'a done request does not run again');

  const reopened = await openShopRuntime(loadConfig(env));
  try {
    assert.equal((await reopened.database.db.select().from(customers)).length, 0);
    const [request] = await reopened.database.db.select().from(privacyRequests).where(eq(privacyRequests.id, requestId));
    assert.equal(request!.status, 'completed');
  } finally {
    await reopened.close();
  }
});
