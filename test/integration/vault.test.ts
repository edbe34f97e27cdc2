import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { testClock } from '../../src/platform/clock.ts';
import { inTransaction, migrateDatabase, openDatabase } from '../../src/platform/db/index.ts';
import { erasureJournal, unitKeys } from '../../src/privacy/vault/schema.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import {
  blindIndex,
  createUnit,
  ERASED,
  keyringFrom,
  open,
  openFields,
  rotateMasterKey,
  seal,
  shred,
  type VaultContext,
} from '../../src/privacy/vault/service.ts';
import { forEachDatabase, freshDatabase, type TestDatabase } from '../support/databases.ts';

const place = (rowId: string, column = 'email') => ({ table: 'customer', column, rowId });

forEachDatabase('vault', (kind) => {
  let database: TestDatabase;
  let ctx: VaultContext;
  before(async () => {
    database = await freshDatabase(kind);
    ctx = { db: database.db, clock: testClock(), keys: keyringFrom(randomBytes(32)) };
  });
  after(() => database.drop());

  test('a value sealed under a unit opens again, and only in its own place', async () => {
    const unit = await createUnit(ctx, 'account');
    const sealed = await seal(ctx, unit, place('1'), 'ada@example.com');
    assert.ok(!sealed.includes(Buffer.from('ada@example.com')), 'ciphertext holds no plaintext');
    assert.equal(await open(ctx, unit.id, place('1'), sealed), 'ada@example.com');
    await assert.rejects(open(ctx, unit.id, place('2'), sealed), 'copied into another row, it does not open');
    await assert.rejects(open(ctx, unit.id, place('1', 'phone'), sealed), 'copied into another column, it does not open');
    const other = await createUnit(ctx, 'account');
    await assert.rejects(open(ctx, other.id, place('1'), sealed), 'another unit’s key does not open it');
    const twice = await seal(ctx, unit, place('1'), 'ada@example.com');
    assert.notDeepEqual(twice, sealed, 'a fresh IV every time');
  });

  test('a key read once in a transaction is reused there, and shredding inside the transaction still erases', async () => {
    const unit = await createUnit(ctx, 'order');
    const sealed = await seal(ctx, unit, place('7'), 'Grace Hopper');
    await inTransaction(database.db, async (tx) => {
      const inTx = { ...ctx, db: tx };
      const before = database.queries.count;
      assert.equal(await open(inTx, unit.id, place('7'), sealed), 'Grace Hopper');
      assert.equal(await open(inTx, unit.id, place('7'), sealed), 'Grace Hopper');
      assert.equal(database.queries.count - before, 1, 'one key look-up for two opens');
      await shred(inTx, [unit.id], 'erasure request');
      assert.equal(await open(inTx, unit.id, place('7'), sealed), ERASED);
    });
    assert.equal(await open(ctx, unit.id, place('7'), sealed), ERASED);
  });

  test('shredding a unit makes every value under it read as erased, and journals the key id', async () => {
    const unit = await createUnit(ctx, 'order');
    const [keyRow] = await ctx.db.select().from(unitKeys).where(eq(unitKeys.unitId, unit.id));
    const values = await Promise.all(['Ada Lovelace', '12 Analytical Row'].map((v, i) => seal(ctx, unit, place('9', `c${i}`), v)));
    const shredded = await inTransaction(database.db, (tx) => shred({ ...ctx, db: tx }, [unit.id], 'erasure request'));
    assert.equal(shredded, 1);
    const opened = await openFields(ctx, unit.id, values.map((sealed, i) => ({ place: place('9', `c${i}`), sealed })));
    assert.deepEqual(opened, [ERASED, ERASED]);
    assert.equal((await ctx.db.select().from(unitKeys).where(eq(unitKeys.unitId, unit.id))).length, 0, 'key gone');
    const [journal] = await ctx.db.select().from(erasureJournal).where(eq(erasureJournal.unitId, unit.id));
    assert.equal(journal!.keyId, keyRow!.keyId);
    assert.equal(journal!.unitKind, 'order');
    assert.equal(journal!.reason, 'erasure request');
    await assert.rejects(seal(ctx, unit, place('9'), 'new data'), /has no key/, 'an erased unit takes no new data');
    assert.equal(await shred(ctx, [unit.id], 'again'), 0, 'shredding twice is harmless');
  });

  test('rotating the master key re-wraps data keys without touching sealed values', async () => {
    const unit = await createUnit(ctx, 'account');
    const sealed = await seal(ctx, unit, place('r1'), 'grace@example.com');
    const next = keyringFrom(randomBytes(32));
    await assert.rejects(open({ ...ctx, keys: next }, unit.id, place('r1'), sealed), /run `pledge keys rotate`/);
    const rotated = await rotateMasterKey(ctx.db, ctx.keys, next);
    assert.ok(rotated >= 1);
    assert.equal(await open({ ...ctx, keys: next }, unit.id, place('r1'), sealed), 'grace@example.com');
    assert.equal(await rotateMasterKey(ctx.db, ctx.keys, next), 0, 'a second run finds nothing left');
    ctx = { ...ctx, keys: next };
  });

  test('blind indexes match normalised e-mail addresses and reveal nothing without the key', () => {
    const a = blindIndex(ctx.keys, 'email', ' Ada@Example.com ');
    assert.deepEqual(a, blindIndex(ctx.keys, 'email', 'ada@example.com'));
    assert.notDeepEqual(a, blindIndex(ctx.keys, 'phone', 'ada@example.com'), 'scoped by kind');
    assert.notDeepEqual(a, blindIndex(keyringFrom(randomBytes(32)), 'email', 'ada@example.com'), 'keyed');
    assert.equal(a.length, 32);
  });
});

test('the PGlite data directory (tables and WAL) holds no plaintext of a value written through the vault', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-plaintext-'));
  const unique = `plaintext-probe-${randomUUID()}@example.com`;
  try {
    const database = await openDatabase({ dataDir: dir });
    await migrateDatabase(database);
    const ctx: VaultContext = { db: database.db, clock: testClock(), keys: keyringFrom(randomBytes(32)) };
    // Written as the shop writes a customer: sealed e-mail and name, blind index for look-ups.
    await inTransaction(database.db, async (tx) => {
      const vault = { ...ctx, db: tx };
      const unit = await createUnit(vault, 'account');
      const id = randomUUID();
      const place = (column: string) => ({ table: 'customer_account', column, rowId: id });
      const now = new Date();
      await tx.insert(customers).values({
        id,
        unitId: unit.id,
        emailIndex: blindIndex(ctx.keys, 'email', unique),
        email: await seal(vault, unit, place('email'), unique),
        name: await seal(vault, unit, place('name'), 'Probe Person'),
        passwordHash: 'not-a-real-hash',
        adultConfirmedAt: now,
        createdAt: now,
        lastActiveAt: now,
      });
    });
    await database.close();
    const needles = [Buffer.from(unique), Buffer.from(unique, 'utf16le'), Buffer.from('Probe Person')];
    for (const file of fs.readdirSync(dir, { recursive: true }).map(String)) {
      const full = path.join(dir, file);
      if (!fs.statSync(full).isFile()) continue;
      const bytes = fs.readFileSync(full);
      for (const needle of needles) assert.ok(!bytes.includes(needle), `plaintext found in ${file}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
