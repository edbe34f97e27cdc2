import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MIGRATIONS_DIR } from '../../src/platform/db/index.ts';

// Upgrades without downtime (deploy/README.md › Upgrades): while release N migrates, instances of release N-1 still
// serve on the same database, so every migration must *expand* what N-1 knows. Read from drizzle-kit's snapshots
// (the schema after each migration) and the SQL itself: nothing N-1 reads or writes is dropped, renamed or retyped,
// no column it inserts without naming becomes required. Dropping what no running release uses any more is a
// *contract* migration of its own: its SQL starts with `-- contract:` and says which release stopped using what.

type Column = { name: string; type: string; notNull: boolean; default?: unknown };
type Snapshot = { tables: Record<string, { columns: Record<string, Column> }> };
type Journal = { entries: { idx: number; tag: string }[] };

/** Migrations from before the first release, when no earlier version ran anywhere to be kept serving. */
const BEFORE_FIRST_RELEASE: Record<string, string> = {
  '0003_sealed_outbox': 'outbox messages became sealed; the plain-text ones of the unreleased foundation were deleted, not converted',
};

const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as Journal;
const snapshot = (idx: number) => JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, `meta/${String(idx).padStart(4, '0')}_snapshot.json`), 'utf8')) as Snapshot;
const sqlOf = (tag: string) => fs.readFileSync(path.join(MIGRATIONS_DIR, `${tag}.sql`), 'utf8');
const isContract = (sql: string) => sql.trimStart().startsWith('-- contract:');
/** The statements, comments removed, so a comment mentioning DROP is not a DROP. */
const statements = (sql: string) => sql.replace(/--.*$/gm, '').split(';').map((s) => s.replace(/\s+/g, ' ').trim()).filter(Boolean);

/** What migration `next` does to tables and columns that the schema before it (`prev`) had. */
function expandProblems(prev: Snapshot, next: Snapshot, sql: string): string[] {
  const problems: string[] = [];
  for (const [name, table] of Object.entries(prev.tables)) {
    const after = next.tables[name];
    if (!after) {
      problems.push(`drops or renames table ${name}`);
      continue;
    }
    for (const [column, before] of Object.entries(table.columns)) {
      const now = after.columns[column];
      if (!now) problems.push(`drops or renames column ${name}.${column}`);
      else if (now.type !== before.type) problems.push(`changes the type of ${name}.${column} from ${before.type} to ${now.type}`);
      else if (now.notNull && !before.notNull && now.default === undefined) problems.push(`makes ${name}.${column} required without a default`);
      else if (now.notNull && before.default !== undefined && now.default === undefined) problems.push(`drops the default of required column ${name}.${column}, which the previous release leaves out of its inserts`);
    }
    for (const [column, now] of Object.entries(after.columns)) {
      if (!table.columns[column] && now.notNull && now.default === undefined) problems.push(`adds required column ${name}.${column} without a default: the previous release's inserts would fail`);
    }
  }
  for (const statement of statements(sql)) {
    if (/\bRENAME\b/i.test(statement)) problems.push(`renames: ${statement.slice(0, 100)}`);
    if (/\bDROP (TABLE|COLUMN)\b/i.test(statement)) problems.push(`drops: ${statement.slice(0, 100)}`);
  }
  return problems;
}

test('the snapshots and SQL files follow the journal, one each', () => {
  journal.entries.forEach((entry, i) => {
    assert.equal(entry.idx, i);
    assert.ok(fs.existsSync(path.join(MIGRATIONS_DIR, `${entry.tag}.sql`)), `${entry.tag}.sql`);
    assert.ok(snapshot(i).tables, `snapshot ${i}`);
  });
});

test('every migration only expands the schema the release before it uses, unless it is a declared contract migration', () => {
  const found: string[] = [];
  for (const entry of journal.entries.slice(1)) {
    if (BEFORE_FIRST_RELEASE[entry.tag]) continue;
    const sql = sqlOf(entry.tag);
    if (isContract(sql)) continue;
    for (const problem of expandProblems(snapshot(entry.idx - 1), snapshot(entry.idx), sql)) found.push(`${entry.tag} ${problem}`);
  }
  assert.deepEqual(found, [], 'split the change: expand now (new nullable or defaulted columns, both shapes written), contract in a later release');
});

test('the check catches each way a migration can break the release still serving', () => {
  const before: Snapshot = { tables: { 'public.ticket': { columns: { id: { name: 'id', type: 'uuid', notNull: true }, note: { name: 'note', type: 'text', notNull: false }, status: { name: 'status', type: 'text', notNull: true, default: "'open'" } } } } };
  const change = (columns: Record<string, Column>): Snapshot => ({ tables: { 'public.ticket': { columns } } });
  const { id, note, status } = before.tables['public.ticket']!.columns as Record<string, Column>;
  assert.deepEqual(expandProblems(before, before, 'CREATE INDEX "ticket_note_idx" ON "ticket" ("note");'), []);
  assert.deepEqual(expandProblems(before, change({ id: id!, note: note!, status: status!, topic: { name: 'topic', type: 'text', notNull: false } }), ''), [], 'a nullable column is an expansion');
  assert.deepEqual(expandProblems(before, change({ id: id!, note: note!, status: status!, rank: { name: 'rank', type: 'integer', notNull: true, default: 0 } }), ''), [], 'so is a defaulted one');
  assert.match(expandProblems(before, change({ id: id!, status: status! }), 'ALTER TABLE "ticket" DROP COLUMN "note";').join('\n'), /drops or renames column public\.ticket\.note\n.*drops: ALTER TABLE/);
  assert.deepEqual(expandProblems(before, change({ id: id!, note: { ...note!, type: 'jsonb' }, status: status! }), ''), ['changes the type of public.ticket.note from text to jsonb']);
  assert.deepEqual(expandProblems(before, change({ id: id!, note: { ...note!, notNull: true }, status: status! }), ''), ['makes public.ticket.note required without a default']);
  assert.deepEqual(expandProblems(before, change({ id: id!, note: note!, status: { name: 'status', type: 'text', notNull: true } }), ''), ['drops the default of required column public.ticket.status, which the previous release leaves out of its inserts']);
  assert.deepEqual(expandProblems(before, change({ id: id!, note: note!, status: status!, kind: { name: 'kind', type: 'text', notNull: true } }), ''), ["adds required column public.ticket.kind without a default: the previous release's inserts would fail"]);
  assert.deepEqual(expandProblems(before, { tables: {} }, ''), ['drops or renames table public.ticket']);
  assert.deepEqual(expandProblems(before, before, 'ALTER TABLE "ticket" RENAME COLUMN "note" TO "notes";'), ['renames: ALTER TABLE "ticket" RENAME COLUMN "note" TO "notes"']);
  assert.ok(isContract('-- contract: release 0.3 stopped reading ticket.note\nALTER TABLE "ticket" DROP COLUMN "note";'));
});
