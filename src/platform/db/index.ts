import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

// One schema and one migration history for both engines: PGlite (embedded, the default) and PostgreSQL.

export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>;
export type Tx = PgTransaction<PgQueryResultHKT, Record<string, never>>;
export type Executor = Db | Tx;

export type Database = {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** The raw client, for pg-boss's adapter and for tools that need the driver itself. */
  client: PGlite | pg.Pool;
  /** Statements sent since the database was opened; tests hold pages to a query budget with it. */
  queries: { count: number };
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
};

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../drizzle');

const insideTransaction = new AsyncLocalStorage<true>();

// A query on the root handle from inside a transaction callback deadlocks PGlite (one connection, held by the
// transaction) and silently escapes the transaction on PostgreSQL. Both are the same bug, so both fail loudly.
function guardRootQueries<T extends object>(client: T, methods: (keyof T)[]): void {
  for (const method of methods) {
    const original = client[method] as (...args: unknown[]) => unknown;
    Object.defineProperty(client, method, {
      value(this: unknown, ...args: unknown[]) {
        if (insideTransaction.getStore()) {
          throw new Error('query on the root database inside a transaction: use the transaction handle (tx)');
        }
        return original.apply(this, args);
      },
    });
  }
}

/**
 * PostgreSQL's default 128 MB of shared buffers is touched as PGlite starts, and so resident in the process from its
 * first second: the largest part of its memory. An embedded shop's database is a few megabytes and the files it reads
 * stay in the OS page cache: 16 MB took ~130 MB off the server's resident memory (measured on the seeded demo shop).
 */
const PGLITE_SHARED_BUFFERS = '16MB';

export type OpenOptions = {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  poolSize?: number;
  /** PGlite only: start from a dumped data directory (tests start from a migrated template this way). */
  loadDataDir?: Blob;
};

/** Opens PostgreSQL when a URL is given, otherwise PGlite in `dataDir` (or in memory when neither is given). */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const queries = { count: 0 };
  const logger = { logQuery: () => void queries.count++ };
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    pool.on('error', () => undefined); // an idle client dropped by the server is replaced on next use
    guardRootQueries(pool, ['query']);
    const db = drizzlePg(pool, { logger }) as unknown as Db;
    return {
      kind: 'postgres',
      db,
      client: pool,
      queries,
      ping: (timeoutMs) => ping(db, timeoutMs),
      close: () => pool.end(),
    };
  }
  const releaseLock = options.dataDir ? lockDataDir(options.dataDir) : () => undefined;
  let client: PGlite;
  try {
    // PGlite loads extensions only when asked at start; product search needs pg_trgm (migration 0007).
    client = await PGlite.create(options.dataDir, {
      extensions: { pg_trgm },
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    });
  } catch (error) {
    releaseLock();
    throw error;
  }
  guardRootQueries(client, ['query', 'exec']);
  const db = drizzlePglite(client, { logger }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    client,
    queries,
    ping: (timeoutMs) => ping(db, timeoutMs),
    close: () => client.close().finally(releaseLock),
  };
}

export const LOCK_FILE = 'pledge.lock';

/**
 * PGlite is a database inside one process: two processes on one data directory would each write the same files
 * and corrupt them. A lock file naming the owning process keeps a second one out (a CLI command while the server
 * runs, a second server); a lock left by a process that no longer exists is taken over.
 */
function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
        throw new Error(
          `the PGlite data directory ${dir} is in use by process ${owner} (a running Pledge server?). PGlite serves one process at a time: stop that process first, or use PostgreSQL (DATABASE_URL) to share a database`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock the PGlite data directory ${dir}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ping(db: Db, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    return await Promise.race([db.execute(sql`select 1`).then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

const MIGRATION_LOCK = 0x706c6467; // "pldg": one migrator at a time when several instances start together

/** Applies every pending migration. Safe to call from several instances at once on PostgreSQL. */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.client instanceof PGlite) {
    await migratePglite(database.db as never, { migrationsFolder: MIGRATIONS_DIR });
    return;
  }
  const client = await database.client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock detected

/**
 * Runs `work` as if no transaction were open: for code started from inside one that lives on after it (a job
 * handler woken by a send made in a transaction must query the root database like any other).
 */
export function outsideTransaction<T>(work: () => T): T {
  return insideTransaction.exit(work);
}

/**
 * Runs `work` in a transaction (a savepoint when already inside one). On PostgreSQL a serialization failure or
 * deadlock retries the whole unit of work; PGlite has one connection, so neither can happen there.
 */
export async function inTransaction<T>(db: Executor, work: (tx: Tx) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await insideTransaction.run(true, () => db.transaction((tx) => work(tx as Tx)));
    } catch (error) {
      const code = (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
      if (attempt >= attempts || !code || !RETRYABLE.has(code)) throw error;
    }
  }
}

/** Rows of a raw SQL query; both drivers answer `{ rows }`. */
export async function queryRows<T>(db: Executor, query: SQL): Promise<T[]> {
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
}

/**
 * `column = any($1)` with the ids as one array parameter: the same plan for 1 id or 5,000, where `IN (…)` sends and
 * plans one parameter per id (the retention sweep's batches spent more time building and planning lists than deleting).
 */
export function anyOf(column: SQLWrapper, ids: readonly (string | number)[], type: 'uuid' | 'bigint'): SQL {
  return sql`${column} = any(${sql.param(ids)}::${sql.raw(type)}[])`;
}
