import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { pgTable, text } from 'drizzle-orm/pg-core';
import { queryRows } from '../../src/platform/db/index.ts';
import '../../src/schema.ts';
import { classificationOf, classify, CATEGORIES, FORBIDDEN_CATEGORIES, inventoryProblems, LOOKS_PERSONAL, NOT_PERSONAL } from '../../src/privacy/inventory.ts';
import { forEachDatabase, freshDatabase, type TestDatabase } from '../support/databases.ts';

// Every column of every table the migrations create is classified where its table is declared.
// Importing src/schema.ts loads every schema module, so the registry is complete here.

forEachDatabase('data inventory', (kind) => {
  let database: TestDatabase;
  before(async () => {
    database = await freshDatabase(kind);
  });
  after(() => database.drop());

  test('every column of every table in the database is classified', async () => {
    const columns = await queryRows<{ table_name: string; column_name: string }>(
      database.db,
      sql`select table_name, column_name from information_schema.columns where table_schema = 'public' order by 1, 2`,
    );
    assert.ok(columns.length > 0);
    const missing = columns.filter((c) => !classificationOf(c.table_name)?.columns[c.column_name]).map((c) => `${c.table_name}.${c.column_name}`);
    assert.deepEqual(missing, [], 'unclassified columns');
  });

  test('a column that looks personal but is declared not personal must say why', async () => {
    const columns = await queryRows<{ table_name: string; column_name: string }>(database.db, sql`select table_name, column_name from information_schema.columns where table_schema = 'public'`);
    const unexplained = columns
      .filter((c) => LOOKS_PERSONAL.test(c.column_name))
      .filter((c) => {
        const cls = classificationOf(c.table_name)?.columns[c.column_name];
        return cls && !cls.personal && !cls.why;
      })
      .map((c) => `${c.table_name}.${c.column_name}`);
    assert.deepEqual(unexplained, []);
  });
});

test('personal columns are sealed or hashed, never stored as plain text', () => {
  assert.deepEqual(inventoryProblems(), []);
  const outbox = classificationOf('outbox')!;
  assert.equal(outbox.columns.envelope?.personal && outbox.columns.envelope.protection, 'encrypted');
});

test('a table with a column left out does not compile, and a sensitive category is refused', () => {
  const probe = pgTable('probe_table', { nickname: text('nickname'), note: text('note') });
  // @ts-expect-error: `note` is missing, so this does not type-check; at run time it registers what it was given.
  classify(probe, { nickname: NOT_PERSONAL });
  assert.equal(classificationOf('probe_table')!.columns.note, undefined);
  assert.ok(!('biometric' in CATEGORIES) && !('government_id' in CATEGORIES) && !('health' in CATEGORIES));
  classify(probe, { nickname: NOT_PERSONAL, note: { personal: true, category: 'health' as never, unit: 'account', protection: 'encrypted' } });
  assert.ok(inventoryProblems().some((p) => p.includes('probe_table.note') && p.includes('health')));
  assert.ok(FORBIDDEN_CATEGORIES.includes('health'));
});
