import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { MIGRATIONS_DIR, queryRows, type Database } from './index.ts';

// Which migrations a database still lacks, without applying them: `pledge migrate --check` for CI and for an
// upgrade's first step. Drizzle records each applied migration with its folder time (`when` in the journal) and
// applies those newer than the last it recorded; this asks the same question.

type JournalEntry = { tag: string; when: number };

export async function pendingMigrations(database: Database): Promise<string[]> {
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] };
  const [table] = await queryRows<{ present: boolean }>(database.db, sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  const [last] = table?.present
    ? await queryRows<{ at: string | number | null }>(database.db, sql`select max(created_at)::text as at from drizzle.__drizzle_migrations`)
    : [];
  const appliedUpTo = last?.at === null || last?.at === undefined ? -Infinity : Number(last.at);
  return journal.entries.filter((e) => e.when > appliedUpTo).map((e) => e.tag);
}
