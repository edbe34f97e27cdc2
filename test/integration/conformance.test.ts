import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { DAY_MS } from '../../src/platform/clock.ts';
import { inTransaction, migrateDatabase, openDatabase } from '../../src/platform/db/index.ts';
import { recordChoice, recordMarketingChoice } from '../../src/privacy/consent/service.ts';
import { conformanceRuns } from '../../src/privacy/conformance/schema.ts';
import { conformanceContext, failingClauses, runConformance, type ConformanceRun } from '../../src/privacy/conformance/service.ts';
import { disclosures } from '../../src/privacy/disclosure/schema.ts';
import { policyVersions } from '../../src/privacy/policy/schema.ts';
import { privacyRequests } from '../../src/privacy/requests/schema.ts';
import { openRequest } from '../../src/privacy/requests/service.ts';
import { retentionCensus } from '../../src/privacy/retention/sweep.ts';
import { shred } from '../../src/privacy/vault/service.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { pageViews } from '../../src/shop/analytics/schema.ts';
import { register } from '../../src/shop/accounts/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { orders } from '../../src/shop/orders/schema.ts';
import { retentionContext } from '../../src/shop/privacy-center/retention.ts';
import { tickets } from '../../src/shop/tickets/schema.ts';
import { openTicket } from '../../src/shop/tickets/service.ts';
import { customerDetails, paidOrder, signedInStaff } from '../support/backoffice.ts';
import { pledge as runPledge } from '../support/cli.ts';
import { forEachDatabase, freshDatabase, type TestDatabase } from '../support/databases.ts';
import { startTestShop, testEnv, type TestShop } from '../support/shop.ts';

// The conformance report: on the demo shop (catalogue, a paid order, a ticket, a cookie choice) every clause
// passes; breaking one promise behind the shop's back fails that clause, and only that one, with evidence that
// names no one. The command exits 0 or 1 accordingly, 2 on bad flags; the privacy officer's page shows the runs.

const EMAIL = 'grace@example.com';
const DESIGN_CLAUSES = ['000-1', '000-2', '000-3', '000-4.1', '000-4.2', '000-4.3', '000-5', '000-6', '000-7', '000-8', '000-9', '000-10', '003-1', '003-2', '003-3'];

forEachDatabase('conformance report', (kind) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-conformance-'));
  const env = testEnv(dir);
  let database: TestDatabase;
  let shop: TestShop | undefined;
  let order: { orderId: string; number: string };

  const live = () => shop!;
  const run = () => runConformance(conformanceContext(live().runtime, () => retentionCensus(retentionContext(live().runtime))), 'cli');
  const pledge = (args: string[]) => runPledge(args, { ...env, ...(database.url ? { DATABASE_URL: database.url } : {}) });

  before(async () => {
    // On disk (PGlite) or by URL (PostgreSQL), so that the command can open the same database as the shop.
    if (kind === 'pglite') {
      const opened = await openDatabase({ dataDir: path.join(env.PLEDGE_DATA_DIR!, 'pglite') });
      await migrateDatabase(opened);
      database = Object.assign(opened, { drop: () => opened.close() });
    } else {
      database = await freshDatabase('postgres');
    }
    shop = await startTestShop(kind, { database, env: { PLEDGE_MASTER_KEY: env.PLEDGE_MASTER_KEY! } });
    // The command runs on the system clock: the demo data is made today.
    shop.clock.set(new Date());
    const ctx = shopContext(shop.runtime);
    order = await paidOrder(shop, { 'gentle-oat-cleanser': 1 }, customerDetails(EMAIL));
    await openTicket(ctx, { name: 'Grace Hopper', email: EMAIL, topic: 'order_question', orderNumber: order.number, message: 'Where is my parcel?' }, undefined);
    await recordChoice(ctx, { granted: ['performance'], method: 'banner', underGpc: false });
    await register(ctx, { name: 'Grace Hopper', email: EMAIL, password: 'a long enough password' });
    const [account] = await shop.database.db.select({ id: customers.id }).from(customers);
    await recordMarketingChoice(ctx, account!.id, true);
  });
  after(async () => {
    if (shop) {
      await shop.stop();
      await database.drop();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Breaks a promise, runs the report, and puts things back whatever happened. */
  async function broken(breakIt: () => Promise<unknown>, repair: () => Promise<unknown>): Promise<ConformanceRun> {
    await breakIt();
    try {
      return await run();
    } finally {
      await repair();
    }
  }

  const resultOf = (r: ConformanceRun, clause: string) => r.results.filter((c) => c.clause === clause);
  const noPersonalData = (r: ConformanceRun) => {
    const text = JSON.stringify(r.results);
    assert.doesNotMatch(text, /grace|Hopper|Harbor|555 0142|parcel/i, 'evidence names no one');
  };

  test('every clause passes on the demo shop, with live evidence, and the run is saved', async () => {
    const result = await run();
    assert.deepEqual(failingClauses(result), [], JSON.stringify(result.results.filter((r) => !r.passed), null, 1));
    assert.deepEqual([...new Set(result.results.map((r) => r.clause))].filter((c) => DESIGN_CLAUSES.includes(c)), DESIGN_CLAUSES);
    assert.equal(result.failed, 0);
    assert.equal(result.passed, result.results.length);
    const evidence = (clause: string) => resultOf(result, clause).flatMap((r) => r.evidence).join('\n');
    assert.match(evidence('000-3'), /1 disclosure in the ledger \(payment 1\)/);
    assert.match(evidence('000-4.1'), /1 order, 0 of them anonymous/);
    assert.match(evidence('000-4.2'), /1 ticket, 0 closed/);
    assert.match(evidence('000-6'), /2 consent records, .*the newest 2 opened/);
    assert.match(evidence('003-3'), /audit chain intact: 0 events/);
    assert.match(evidence('000-5'), /encrypted columns, \d+ values, all in the vault’s sealed format/);
    noPersonalData(result);
    const [saved] = await live().database.db.select().from(conformanceRuns).where(eq(conformanceRuns.id, result.id));
    assert.equal(saved!.trigger, 'cli');
    assert.deepEqual(saved!.results, result.results);
  });

  test('a disclosure with a field outside its processor’s allow-list fails 000-3', async () => {
    const db = live().database.db;
    const [{ unitId }] = (await db.select({ unitId: orders.unitId }).from(orders).where(eq(orders.id, order.orderId))) as [{ unitId: string }];
    let id = 0;
    const result = await broken(
      async () => {
        [{ id }] = (await db.insert(disclosures).values({ at: live().clock.now(), processor: 'payment', purpose: 'order_processing', fields: ['email', 'orderId'], subjectUnitId: unitId }).returning({ id: disclosures.id })) as [{ id: number }];
      },
      () => db.delete(disclosures).where(eq(disclosures.id, id)),
    );
    assert.deepEqual(failingClauses(result), ['000-3']);
    assert.match(resultOf(result, '000-3')[0]!.evidence[0]!, new RegExp(`disclosures ${id} \\(payment\\): email outside the allow-list`));
  });

  test('a plain value written into an encrypted column fails 000-5', async () => {
    const db = live().database.db;
    const [before] = await db.select({ recipientName: orders.recipientName }).from(orders).where(eq(orders.id, order.orderId));
    const result = await broken(
      () => db.update(orders).set({ recipientName: Buffer.from('Grace Hopper') }).where(eq(orders.id, order.orderId)),
      () => db.update(orders).set({ recipientName: before!.recipientName }).where(eq(orders.id, order.orderId)),
    );
    assert.deepEqual(failingClauses(result), ['000-5']);
    assert.match(resultOf(result, '000-5')[0]!.evidence[0]!, /^order\.recipient_name: 1 value not sealed by the vault$/);
    noPersonalData(result);
  });

  test('a privacy request left open past its due date fails 000-4.3', async () => {
    const db = live().database.db;
    const started = live().clock.now();
    const request = await inTransaction(db, (tx) => openRequest(live().runtime, tx, { kind: 'erasure', status: 'received', subject: { customerId: null, emailIndex: null } }));
    try {
      assert.deepEqual(failingClauses(await run()), [], 'on time while within 15 business days');
      live().clock.set(new Date(request.dueAt.getTime() + DAY_MS));
      const late = await run();
      assert.deepEqual(failingClauses(late), ['000-4.3']);
      assert.equal(resultOf(late, '000-4.3')[0]!.evidence[0], `open requests past their due date: ${request.id}`);
    } finally {
      live().clock.set(started);
      await db.delete(privacyRequests).where(eq(privacyRequests.id, request.id));
    }
  });

  test('a suspected minor’s case left open past its 1 business day fails 000-7', async () => {
    const db = live().database.db;
    const started = live().clock.now();
    const minor = await inTransaction(db, (tx) => openRequest(live().runtime, tx, { kind: 'minor', status: 'awaiting_confirmation', subject: { customerId: null, emailIndex: null } }));
    try {
      live().clock.set(new Date(minor.dueAt.getTime() + 60_000));
      const late = await run();
      assert.deepEqual(failingClauses(late), ['000-7']);
      assert.equal(resultOf(late, '000-7')[0]!.evidence[0], `cases open past their deadline: ${minor.id}`);
    } finally {
      live().clock.set(started);
      await db.delete(privacyRequests).where(eq(privacyRequests.id, minor.id));
    }
  });

  test('an order shredded by retention before its 3 years fails 000-4.1', async () => {
    const early = await paidOrder(live(), { 'gentle-oat-cleanser': 1 }, customerDetails('early@example.com'));
    const db = live().database.db;
    const [{ unitId }] = (await db.select({ unitId: orders.unitId }).from(orders).where(eq(orders.id, early.orderId))) as [{ unitId: string }];
    const result = await broken(
      () => inTransaction(db, (tx) => shred({ ...shopContext(live().runtime), db: tx }, [unitId], 'retention maximum reached')),
      // An erasure the customer asked for is not retention: the shop may erase early when no law holds the order.
      () => db.execute(sql`update erasure_journal set reason = 'erasure request' where unit_id = ${unitId}`),
    );
    assert.deepEqual(failingClauses(result), ['000-4.1']);
    assert.equal(resultOf(result, '000-4.1')[0]!.evidence[0], `orders shredded by retention before their minimum: ${early.number}`);
    assert.deepEqual(failingClauses(await run()), []);
  });

  test('a ticket closed 3 years ago and left behind fails 000-4.2', async () => {
    const db = live().database.db;
    const now = live().clock.now();
    const [ticket] = await db.select({ id: tickets.id }).from(tickets).limit(1);
    const result = await broken(
      () => db.update(tickets).set({ status: 'closed', closedAt: new Date(Date.UTC(now.getUTCFullYear() - 3, now.getUTCMonth(), 1)) }).where(eq(tickets.id, ticket!.id)),
      () => db.update(tickets).set({ status: 'open', closedAt: null }).where(eq(tickets.id, ticket!.id)),
    );
    assert.deepEqual(failingClauses(result), ['000-4.2']);
    assert.equal(resultOf(result, '000-4.2')[0]!.evidence[0], '1 ticket past the maximum (24 months) and not under a legal hold');
    noPersonalData(result);
  });

  test('a past day whose views still hold their visitor keys (not sealed) fails 003-2', async () => {
    const db = live().database.db;
    const twoDaysAgo = new Date(Date.parse(live().clock.now().toISOString().slice(0, 10)) - 2 * DAY_MS);
    const row = { hour: twoDaysAgo, kind: 'page', path: '/', deviceClass: 'desktop' };
    const result = await broken(
      () => db.insert(pageViews).values({ ...row, visitors: [7] }),
      () => db.delete(pageViews).where(eq(pageViews.hour, twoDaysAgo)),
    );
    assert.deepEqual(failingClauses(result), ['003-2']);
    const browsing = resultOf(result, '003-2').find((c) => c.topic === 'browsing data not identifying');
    assert.equal(browsing!.evidence[0], `visitor keys of past days still kept (days not sealed): ${twoDaysAgo.toISOString().slice(0, 10)}`);
    // Sealed, the same day's view passes: counted, without a key.
    await db.insert(pageViews).values(row);
    try {
      assert.deepEqual(failingClauses(await run()), []);
    } finally {
      await db.delete(pageViews).where(eq(pageViews.hour, twoDaysAgo));
    }
  });

  test('a published policy whose facts no longer match the code fails 000-9', async () => {
    const db = live().database.db;
    const [published] = await db.select().from(policyVersions);
    const result = await broken(
      () => db.update(policyVersions).set({ facts: { ...published!.facts, processors: published!.facts.processors.map((p) => (p.key === 'payment' ? { ...p, fields: ['order id'] } : p)) } }),
      () => db.update(policyVersions).set({ facts: published!.facts }),
    );
    assert.deepEqual(failingClauses(result), ['000-9']);
    assert.equal(resultOf(result, '000-9')[0]!.evidence[0], 'the policy in force differs from the code and configuration in processors/payment');
  });

  test('a table whose columns nobody classified fails 000-1', async () => {
    const db = live().database.db;
    const result = await broken(
      () => db.execute(sql`create table stray_notes (id integer primary key, note text)`),
      () => db.execute(sql`drop table stray_notes`),
    );
    assert.deepEqual(failingClauses(result), ['000-1']);
    assert.equal(resultOf(result, '000-1')[0]!.evidence[0], 'unclassified columns: stray_notes.id, stray_notes.note');
  });

  test('/admin/conformance: the privacy officer sees the results and the history, and runs it again', async () => {
    const visitor = await live().app.inject({ url: '/admin/conformance' });
    assert.equal(visitor.statusCode, 303);
    assert.equal(visitor.headers.location, '/admin/login');
    const support = await signedInStaff(live(), ['support', 'fulfilment', 'admin']);
    assert.equal((await support.get('/admin/conformance')).statusCode, 403);
    assert.equal((await support.post('/admin/conformance/run')).statusCode, 403);

    const officer = await signedInStaff(live(), ['privacy_officer']);
    assert.match((await officer.get('/admin')).body, /href="\/admin\/conformance"/);
    const before = (await live().database.db.select().from(conformanceRuns)).length;
    const ran = await officer.post('/admin/conformance/run');
    assert.equal(ran.statusCode, 303);
    assert.equal(ran.headers.location, '/admin/conformance');
    const runs = await live().database.db.select().from(conformanceRuns);
    assert.equal(runs.length, before + 1);
    assert.equal(runs.at(-1)!.trigger, 'web');

    const page = await officer.get('/admin/conformance');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /All \d+ clauses pass\./);
    assert.match(page.body, /<th scope="row">000-4\.3<\/th><td><strong>pass<\/strong><\/td>/);
    assert.match(page.body, /<form method="post" action="\/admin\/conformance\/run"><input type="hidden" name="_csrf" value="[^"]+"><button type="submit">Run now<\/button>/);
    assert.match(page.body, /<svg class="chart"[^>]*role="img" aria-labelledby="failures-title failures-desc">\s*<title id="failures-title">Failing clauses per run<\/title>\s*<desc id="failures-desc">/);
    // The history: one row per run, the failing runs of the earlier tests among them, by clause.
    for (const clause of ['000-1', '000-3', '000-4.1', '000-4.2', '000-4.3', '000-5', '000-7', '000-9']) assert.match(page.body, new RegExp(`<td>1</td><td>${clause.replace('.', '\\.')}</td></tr>`));
    assert.match(page.body, /<td>back office<\/td><td>\d+<\/td><td>0<\/td><td>—<\/td>/);
    assert.doesNotMatch(page.body, /<script/);
    const noToken = await live().app.inject({ method: 'POST', url: '/admin/conformance/run', headers: { cookie: officer.cookie } });
    assert.equal(noToken.statusCode, 403, 'a post without the CSRF token is refused');
  });

  test('pledge conformance exits 0 when every clause passes, 1 naming the failing clause, 2 on bad flags', async () => {
    assert.equal(pledge(['conformance', '--verbose']).code, 2);
    assert.equal(pledge(['conformance', 'now']).code, 2);
    const help = pledge(['conformance', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: pledge conformance \[--json\]/);

    const db = live().database.db;
    const [{ unitId }] = (await db.select({ unitId: orders.unitId }).from(orders).where(eq(orders.id, order.orderId))) as [{ unitId: string }];
    const passing = async () => {
      const result = pledge(['conformance']);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^000-3 +pass {2}sharing within each processor’s allow-list/m);
      assert.match(result.stdout, /all \d+ clauses pass \(run \d+/);
    };
    if (kind === 'pglite') {
      // PGlite on disk is one process's at a time: the shop lets go of it for the commands.
      await shop!.stop();
      await database.drop();
      shop = undefined;
      await passing();
      const reopened = await openDatabase({ dataDir: path.join(env.PLEDGE_DATA_DIR!, 'pglite') });
      await reopened.db.insert(disclosures).values({ at: new Date(), processor: 'logistics', purpose: 'delivery', fields: ['email'], subjectUnitId: unitId });
      await reopened.close();
    } else {
      await passing();
      await db.insert(disclosures).values({ at: new Date(), processor: 'logistics', purpose: 'delivery', fields: ['email'], subjectUnitId: unitId });
    }
    const failing = pledge(['conformance']);
    assert.equal(failing.code, 1);
    assert.match(failing.stdout, /^000-3 +FAIL/m);
    assert.match(failing.stdout, /1 of \d+ clauses FAIL: 000-3/);
    const json = pledge(['conformance', '--json']);
    assert.equal(json.code, 1);
    const parsed = JSON.parse(json.stdout) as { failed: number; trigger: string; results: { clause: string; passed: boolean; evidence: string[] }[] };
    assert.equal(parsed.failed, 1);
    assert.equal(parsed.trigger, 'cli');
    const sharing = parsed.results.find((r) => r.clause === '000-3')!;
    assert.equal(sharing.passed, false);
    assert.match(sharing.evidence[0]!, /\(logistics\): email outside the allow-list/);
  });
});
