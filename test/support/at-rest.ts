import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrateDatabase, openDatabase, queryRows } from '../../src/platform/db/index.ts';
import { freshDatabase, type DatabaseKind, type TestDatabase } from './databases.ts';
import type { TestShop } from './shop.ts';

// Searching a database's files for plaintext: a PGlite database on disk (not in memory, so there are files), or
// the PostgreSQL database's own directory and write-ahead log.

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.promises.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Which of `needles` occur in any file under `dirs`, as UTF-8 bytes. */
export async function foundIn(dirs: string[], needles: string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const dir of dirs) {
    for (const file of await filesUnder(dir)) {
      // A running PostgreSQL removes files as it goes (the relation cache's pg_internal.init): a file gone holds nothing.
      const bytes = await fs.promises.readFile(file).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? Buffer.alloc(0) : Promise.reject(error)));
      for (const needle of needles) if (bytes.includes(Buffer.from(needle))) found.add(`${needle} in ${path.relative(dir, file)}`);
    }
  }
  return [...found];
}

export type DiskDatabase = { database: TestDatabase; pgliteDir: string | undefined };

/** A database whose files can be searched; the caller drops it and removes `pgliteDir`. */
export async function diskDatabase(kind: DatabaseKind): Promise<DiskDatabase> {
  if (kind === 'postgres') return { database: await freshDatabase('postgres'), pgliteDir: undefined };
  const pgliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-at-rest-'));
  const opened = await openDatabase({ dataDir: pgliteDir });
  await migrateDatabase(opened);
  return { database: Object.assign(opened, { drop: () => opened.close() }), pgliteDir };
}

/** The directories holding the shop's database files, with everything written out; a PGlite shop is stopped. */
export async function databaseFiles(shop: TestShop, disk: DiskDatabase): Promise<string[]> {
  if (disk.pgliteDir) {
    await shop.stop();
    return [disk.pgliteDir];
  }
  // Written pages reach the files at a checkpoint; the write-ahead log has them already.
  await queryRows(shop.database.db, sql`checkpoint`);
  const [{ dir }] = (await queryRows<{ dir: string }>(shop.database.db, sql`select current_setting('data_directory') as dir`)) as [{ dir: string }];
  const [{ oid }] = (await queryRows<{ oid: number }>(shop.database.db, sql`select oid from pg_database where datname = current_database()`)) as [{ oid: number }];
  return [path.join(dir, 'base', String(oid)), path.join(dir, 'pg_wal')];
}
