import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import { testClock } from '../../src/platform/clock.ts';
import { inTransaction, migrateDatabase, openDatabase, type Db } from '../../src/platform/db/index.ts';
import { AccessDenied, type Actor, type StaffActor } from '../../src/privacy/access.ts';
import { auditEvents, auditHead } from '../../src/privacy/audit/schema.ts';
import { auditHash, listReadsOf, readForPurpose, recordRead, verifyAuditChain, type Subject } from '../../src/privacy/audit/service.ts';
import { forEachDatabase, freshDatabase, type TestDatabase } from '../support/databases.ts';

const clock = testClock();
const fulfilment: StaffActor = { kind: 'staff', staffId: 'staff-ship-1', roles: ['fulfilment'] };
const officer: StaffActor = { kind: 'staff', staffId: 'staff-po-1', roles: ['privacy_officer'] };
const order = (): Subject => ({ unitId: randomUUID(), kind: 'order' });

/** Appends `n` staff reads, one transaction each, a second apart. */
async function appendReads(db: Db, n: number, subject: Subject = order()): Promise<void> {
  for (let i = 0; i < n; i++) {
    await inTransaction(db, (tx) => recordRead({ clock }, tx, { actor: officer, subject, fields: ['email', 'name'], purpose: 'legal_obligation', requestId: `req-${i}` }));
    clock.advance(1000);
  }
}

const CLI = path.resolve('src/cli.ts');
const dirs: string[] = [];
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function cliEnv(env: Record<string, string> = {}): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-audit-'));
  dirs.push(dir);
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    PLEDGE_DATA_DIR: path.join(dir, 'data'),
    PLEDGE_MAIL_DIR: path.join(dir, 'mailbox'),
    PLEDGE_MASTER_KEY: randomBytes(32).toString('base64'),
    PLEDGE_LOG_LEVEL: 'silent',
    ...env,
  };
}

/** Runs the CLI without blocking this process's event loop (the test's own database keeps answering). */
function pledge(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

forEachDatabase('audit trail', (kind) => {
  const databases: TestDatabase[] = [];
  after(() => Promise.all(databases.map((database) => database.drop())));
  // Tampering tests wreck their chain, so each gets its own database.
  async function fresh(): Promise<Db> {
    const database = await freshDatabase(kind);
    databases.push(database);
    return database.db;
  }

  test('appended reads form a chain that verifies, and each subject lists its own reads', async () => {
    const db = await fresh();
    assert.deepEqual(await verifyAuditChain(db), { ok: true, count: 0 });
    const ada = order();
    const grace = order();
    await appendReads(db, 3, ada);
    await appendReads(db, 2, grace);
    assert.deepEqual(await verifyAuditChain(db), { ok: true, count: 5 });
    const reads = await listReadsOf(db, ada);
    assert.deepEqual(reads.map((r) => r.id), [1, 2, 3]);
    assert.deepEqual(reads[0], { id: 1, at: reads[0]!.at, staffId: 'staff-po-1', staffRoles: ['privacy_officer'], fields: ['email', 'name'], purpose: 'legal_obligation' });
    assert.ok(reads[0]!.at instanceof Date);
    const [first, second] = await db.select().from(auditEvents).orderBy(asc(auditEvents.id)).limit(2);
    assert.equal(first!.prevHash, '0'.repeat(64));
    assert.equal(second!.prevHash, first!.hash);
    assert.match(first!.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(await db.select().from(auditHead), [{ id: 1, lastId: 5, lastHash: (await db.select().from(auditEvents).where(eq(auditEvents.id, 5)))[0]!.hash }]);
  });

  test('an edited row is detected at its id; re-hashing it moves the break to the next row', async () => {
    const db = await fresh();
    await appendReads(db, 5);
    await db.update(auditEvents).set({ fields: ['name'] }).where(eq(auditEvents.id, 3));
    assert.deepEqual(await verifyAuditChain(db), { ok: false, brokenAt: 3, reason: 'its content does not match its hash' });
    const [edited] = await db.select().from(auditEvents).where(eq(auditEvents.id, 3));
    await db.update(auditEvents).set({ hash: auditHash(edited!) }).where(eq(auditEvents.id, 3));
    assert.deepEqual(await verifyAuditChain(db), { ok: false, brokenAt: 4, reason: 'its prev_hash is not the hash of the event before it' });
  });

  test('a row deleted from the middle is detected', async () => {
    const db = await fresh();
    await appendReads(db, 5);
    await db.delete(auditEvents).where(eq(auditEvents.id, 3));
    assert.deepEqual(await verifyAuditChain(db), { ok: false, brokenAt: 4, reason: 'event 3 is missing' });
  });

  test('two rows with their contents swapped are detected', async () => {
    const db = await fresh();
    await appendReads(db, 4);
    const [two, three] = await db.select().from(auditEvents).where(eq(auditEvents.id, 2)).union(db.select().from(auditEvents).where(eq(auditEvents.id, 3))).orderBy(asc(auditEvents.id));
    const contentOf = ({ id: _id, ...content }: typeof auditEvents.$inferSelect) => content;
    await inTransaction(db, async (tx) => {
      await tx.update(auditEvents).set(contentOf(three!)).where(eq(auditEvents.id, 2));
      await tx.update(auditEvents).set(contentOf(two!)).where(eq(auditEvents.id, 3));
    });
    const report = await verifyAuditChain(db);
    assert.equal(report.ok, false);
    assert.equal(!report.ok && report.brokenAt, 2);
  });

  test('rows cut from the end are detected through the head', async () => {
    const db = await fresh();
    await appendReads(db, 5);
    await db.delete(auditEvents).where(eq(auditEvents.id, 5));
    assert.deepEqual(await verifyAuditChain(db), {
      ok: false,
      brokenAt: 5,
      reason: 'the head records 5 events but the chain ends at 4: events were removed from the end',
    });
    await db.delete(auditEvents);
    assert.equal((await verifyAuditChain(db)).ok, false, 'an emptied table is not an empty chain');
  });

  test('20 concurrent transactions appending keep one valid chain without gaps', async () => {
    const db = await fresh();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        inTransaction(db, async (tx) => {
          const id = await recordRead({ clock }, tx, { actor: fulfilment, subject: order(), fields: ['recipientName'], purpose: 'delivery', requestId: `c-${i}` });
          // Hold the transaction open a moment, so the appends really overlap on PostgreSQL.
          await new Promise((resolve) => setTimeout(resolve, 5));
          return id;
        }),
      ),
    );
    assert.deepEqual(await verifyAuditChain(db), { ok: true, count: 20 });
    const rows = await db.select({ id: auditEvents.id, requestId: auditEvents.requestId }).from(auditEvents);
    assert.equal(new Set(rows.map((r) => r.requestId)).size, 20);
  });

  test('readForPurpose checks every field, audits staff reads in the transaction, and not customers’ own', async () => {
    const db = await fresh();
    const subject = order();
    const parcel = { recipientName: 'Ada Lovelace', phone: '+1 555 0199' };
    const ctx = { clock, actor: fulfilment as Actor, requestId: 'req-ship-1' };
    const result = await inTransaction(db, (tx) => readForPurpose(ctx, tx, { subject, fields: ['recipientName', 'phone'], purpose: 'delivery' }, async () => parcel));
    assert.equal(result, parcel);
    const [event] = await db.select().from(auditEvents);
    assert.deepEqual(
      { staffId: event!.staffId, roles: event!.staffRoles, unit: event!.subjectUnitId, kind: event!.subjectKind, fields: event!.fields, purpose: event!.purpose, requestId: event!.requestId },
      { staffId: 'staff-ship-1', roles: ['fulfilment'], unit: subject.unitId, kind: 'order', fields: ['phone', 'recipientName'], purpose: 'delivery', requestId: 'req-ship-1' },
    );

    let ran = false;
    const readEmail = () => inTransaction(db, (tx) => readForPurpose(ctx, tx, { subject, fields: ['recipientName', 'email'], purpose: 'delivery' }, async () => (ran = true)));
    await assert.rejects(readEmail(), AccessDenied);
    assert.equal(ran, false, 'a refused read never runs');

    await assert.rejects(
      inTransaction(db, async (tx) => {
        await readForPurpose(ctx, tx, { subject, fields: ['items'], purpose: 'delivery' }, async () => []);
        throw new Error('the shipment failed');
      }),
      /the shipment failed/,
    );
    const customer: Actor = { kind: 'customer', customerId: 'c-1' };
    await inTransaction(db, (tx) => readForPurpose({ clock, actor: customer }, tx, { subject, fields: ['email'], purpose: 'account_management' }, async () => 'ada@example.com'));
    assert.deepEqual(await verifyAuditChain(db), { ok: true, count: 1 }, 'a rolled-back read and a customer’s own read leave no event');
  });

  test('pledge audit verify reports an intact chain, and the event where it breaks', async () => {
    let env: Record<string, string>;
    let db: Db;
    let close = async () => undefined as unknown;
    if (kind === 'postgres') {
      const database = await freshDatabase(kind);
      databases.push(database);
      env = cliEnv({ DATABASE_URL: database.url! });
      db = database.db;
    } else {
      // The CLI opens the PGlite directory itself, so this test may not hold it open meanwhile.
      env = cliEnv();
      const database = await openDatabase({ dataDir: path.join(env.PLEDGE_DATA_DIR!, 'pglite') });
      await migrateDatabase(database);
      db = database.db;
      close = () => database.close();
    }
    await appendReads(db, 3);
    await close();
    const intact = await pledge(['audit', 'verify'], env);
    assert.equal(intact.code, 0, intact.stderr);
    assert.equal(intact.stdout.trim(), 'audit chain intact: 3 events');

    if (kind === 'pglite') {
      const database = await openDatabase({ dataDir: path.join(env.PLEDGE_DATA_DIR!, 'pglite') });
      await database.db.update(auditEvents).set({ purpose: 'delivery' }).where(eq(auditEvents.id, 2));
      await database.close();
    } else {
      await db.update(auditEvents).set({ purpose: 'delivery' }).where(eq(auditEvents.id, 2));
    }
    const broken = await pledge(['audit', 'verify'], env);
    assert.equal(broken.code, 1);
    assert.equal(broken.stderr.trim(), 'audit chain broken at event 2: its content does not match its hash');
  });
});

describe('pledge audit: usage', () => {
  test('a missing or unknown subcommand exits 2 with the usage line; --help succeeds', async () => {
    const env = cliEnv();
    const [none, unknown, extra, help] = await Promise.all([['audit'], ['audit', 'frobnicate'], ['audit', 'verify', 'now'], ['audit', '--help']].map((args) => pledge(args, env)));
    for (const result of [none!, unknown!, extra!]) {
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /usage: pledge audit verify/);
    }
    assert.match(unknown!.stderr, /unknown subcommand "frobnicate"/);
    assert.equal(help!.code, 0);
    assert.match(help!.stdout, /^usage: pledge audit verify/);
  });
});
