import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe } from 'node:test';
import type { PGlite } from '@electric-sql/pglite';
import { MIGRATIONS_DIR, migrateDatabase, openDatabase, type Database } from '../../src/platform/db/index.ts';
import { createJobs } from '../../src/platform/jobs.ts';
import { createLog } from '../../src/platform/log.ts';
import { adminQuery, startPostgres, type PostgresServer } from './postgres.ts';

// Integration tests run every case on both engines: embedded PGlite and a real PostgreSQL server. `npm test` starts
// one PostgreSQL for the whole run and passes its URL in PLEDGE_TEST_PG_URL; a test file run on its own starts its
// own server and stops it when the file is done.
//
// Every fresh database is a copy of a migrated template (schema and job tables installed): PGlite's own start-up
// (initdb in WebAssembly) takes seconds, a copy about one.

export type DatabaseKind = 'pglite' | 'postgres';
export const DATABASE_KINDS: readonly DatabaseKind[] = ['pglite', 'postgres'];

type Server = Pick<PostgresServer, 'adminUrl'> & { stop?: () => Promise<void> };
let server: Promise<Server> | undefined;

function postgresServer(): Promise<Server> {
  server ??= (async () => {
    const shared = process.env.PLEDGE_TEST_PG_URL;
    if (shared) return { adminUrl: (database: string) => Object.assign(new URL(shared), { pathname: `/${database}` }).toString() };
    return startPostgres();
  })();
  return server;
}

/** Migrations and installed job tables: what a started shop's database holds before any data. */
async function prepare(database: Database): Promise<void> {
  await migrateDatabase(database);
  const jobs = createJobs(database, createLog('silent'));
  await jobs.start({ work: false });
  await jobs.stop();
}

function schemaFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(MIGRATIONS_DIR, { recursive: true }).map(String).sort()) {
    const full = path.join(MIGRATIONS_DIR, file);
    if (fs.statSync(full).isFile()) hash.update(file).update(fs.readFileSync(full));
  }
  const pkg = (name: string) => JSON.parse(fs.readFileSync(path.join('node_modules', name, 'package.json'), 'utf8')).version as string;
  hash.update(pkg('@electric-sql/pglite')).update(pkg('pg-boss'));
  return hash.digest('hex').slice(0, 16);
}

let pgliteTemplate: Promise<Blob> | undefined;

/** The migrated PGlite data directory as a tarball, cached on disk across test processes and runs. */
function migratedPgliteTemplate(): Promise<Blob> {
  pgliteTemplate ??= (async () => {
    const cacheDir = path.resolve('node_modules/.cache/pledge-test');
    const file = path.join(cacheDir, `pglite-${schemaFingerprint()}.tar`);
    if (fs.existsSync(file)) return new Blob([fs.readFileSync(file)]);
    const database = await openDatabase({});
    await prepare(database);
    const dump = await (database.client as PGlite).dumpDataDir('none');
    await database.close();
    fs.mkdirSync(cacheDir, { recursive: true });
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(partial, file);
    return dump;
  })();
  return pgliteTemplate;
}

let postgresTemplate: Promise<string> | undefined;

async function serverQuery(statement: string): Promise<void> {
  const { adminUrl } = await postgresServer();
  await adminQuery(adminUrl('postgres'), statement);
}

/** A migrated template database, one per test process (CREATE DATABASE … TEMPLATE needs it to be idle). */
function migratedPostgresTemplate(): Promise<string> {
  postgresTemplate ??= (async () => {
    const { adminUrl } = await postgresServer();
    const name = `pledge_tpl_${process.pid}_${randomBytes(3).toString('hex')}`;
    await serverQuery(`create database ${name}`);
    const database = await openDatabase({ databaseUrl: adminUrl(name), poolSize: 2 });
    await prepare(database);
    await database.close();
    return name;
  })();
  return postgresTemplate;
}

export type TestDatabase = Database & { url?: string; drop(): Promise<void> };

/** A new migrated database of the given kind, empty of data. */
export async function freshDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openDatabase({ loadDataDir: await migratedPgliteTemplate() });
    return Object.assign(database, { drop: () => database.close() });
  }
  const template = await migratedPostgresTemplate();
  const { adminUrl } = await postgresServer();
  const name = `pledge_t_${randomBytes(6).toString('hex')}`;
  await serverQuery(`create database ${name} template ${template}`);
  const url = adminUrl(name);
  const database = await openDatabase({ databaseUrl: url });
  return Object.assign(database, {
    url,
    async drop() {
      await database.close().catch(() => undefined);
      await serverQuery(`drop database if exists ${name} with (force)`);
    },
  });
}

/**
 * A backup of `database` that can be restored later as a database of its own: PGlite's data directory as a
 * tarball, or for PostgreSQL a copy made with CREATE DATABASE … TEMPLATE (which needs the source idle, so the
 * source is closed and a reopened handle returned in `source`).
 */
export async function backUp(kind: DatabaseKind, database: TestDatabase): Promise<{ source: TestDatabase; restore(): Promise<TestDatabase> }> {
  if (kind === 'pglite') {
    const dump = await (database.client as PGlite).dumpDataDir('none');
    return {
      source: database,
      async restore() {
        const restored = await openDatabase({ loadDataDir: dump });
        return Object.assign(restored, { drop: () => restored.close() });
      },
    };
  }
  const { adminUrl } = await postgresServer();
  const name = new URL(database.url!).pathname.slice(1);
  const copy = `${name}_backup`;
  await database.close();
  await serverQuery(`create database ${copy} template ${name}`);
  const reopen = async (db: string): Promise<TestDatabase> => {
    const opened = await openDatabase({ databaseUrl: adminUrl(db) });
    return Object.assign(opened, {
      url: adminUrl(db),
      async drop() {
        await opened.close().catch(() => undefined);
        await serverQuery(`drop database if exists ${db} with (force)`);
      },
    });
  };
  return { source: await reopen(name), restore: () => reopen(copy) };
}

/** An empty PostgreSQL database with no migrations applied, for tests of the migrator itself. */
export async function emptyPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { adminUrl } = await postgresServer();
  const name = `pledge_e_${randomBytes(6).toString('hex')}`;
  await serverQuery(`create database ${name}`);
  return { url: adminUrl(name), drop: () => serverQuery(`drop database if exists ${name} with (force)`) };
}

// A server this file started itself (run outside `npm test`) is stopped when the file is done. This module is
// loaded by the test file's top level, so the hook belongs to the file's root.
after(async () => {
  const own = server && (await server);
  await own?.stop?.();
});

/** Declares the same suite once per database engine. */
export function forEachDatabase(title: string, suite: (kind: DatabaseKind) => void): void {
  for (const kind of DATABASE_KINDS) describe(`${title} [${kind}]`, () => suite(kind));
}
