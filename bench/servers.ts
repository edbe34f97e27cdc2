import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { systemClock } from '../src/platform/clock.ts';
import { migrateDatabase, openDatabase } from '../src/platform/db/index.ts';
import { deriveKey } from '../src/platform/keys.ts';
import { products } from '../src/shop/catalog/schema.ts';
import { seedDemoCatalog } from '../src/shop/catalog/seed.ts';
import { testPay } from '../src/shop/payments/testpay/service.ts';
import { freePort, startPostgres } from '../test/support/postgres.ts';

// The servers the benchmarks and drills run against: each a child process (so that on a small machine the server
// and the load generator each get a core) on loopback only, started with settings of its own and never outliving
// the process that started it.

export const ROOT = path.dirname(import.meta.dirname);
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
export const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;
/** Bought by every checkout of a bench or drill; it gets stock enough for any run (see prepareDatabase). */
export const CHECKOUT_PRODUCT = 'hyaluronic-water-gel';
/** Its stock in a prepared database: enough that no run sells out. */
export const CHECKOUT_STOCK = 100_000_000;
/** The servers' master key, so that this process can make TestPay tokens they accept (see cardToken). */
const MASTER_KEY = randomBytes(32);

export type Exit = { code: number | null; signal: NodeJS.Signals | null };
export type Server = { name: string; process: ChildProcess; base: string; alive(): boolean; output(): string; exited: Promise<Exit> };

// Whatever ends this process, no server it started outlives it and no temporary directory is left behind.
const children = new Set<ChildProcess>();
const tempDirs: string[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // a SIGKILLed child may still be writing; a leftover directory in the OS temp dir is harmless
    }
  }
});

/** A temporary directory, removed when this process exits. */
export function tempDir(prefix = 'pledge-bench-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function launch(name: string, args: string[], env: Record<string, string> = {}, base = ''): Server {
  // Settings from the caller's shell (a DATABASE_URL above all) must not leak into the servers under test.
  const inherited = Object.entries(process.env).filter(([key]) => !/^(PLEDGE_|DATABASE_URL$|SMTP_URL$|PORT$|HOST$|NODE_ENV$)/.test(key));
  const child = spawn(NODE, args, { cwd: ROOT, env: { ...Object.fromEntries(inherited), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let running = true;
  let output = '';
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      children.delete(child);
      resolve({ code, signal });
    });
  });
  child.once('error', (error) => {
    output += `\n${error.message}`;
  });
  // The pipes must be drained or a chatty child blocks; only the tail is kept, to show when the server fails.
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { name, process: child, base, alive: () => running, output: () => output, exited };
}

/** The settings every Pledge server of a bench or drill runs with: its own data and mail directories. */
export function pledgeEnv(dir: string, databaseUrl?: string): Record<string, string> {
  return {
    PLEDGE_DATA_DIR: path.join(dir, 'data'),
    PLEDGE_MAIL_DIR: path.join(dir, 'mail'),
    PLEDGE_LOG_LEVEL: 'warn',
    // production would demand a master key and more; development serves the same pages.
    NODE_ENV: 'development',
    // Every request comes from this one address: the per-client limit on forms and API writes would stop the run.
    PLEDGE_FORM_RATE_LIMIT: '100000000',
    PLEDGE_MASTER_KEY: MASTER_KEY.toString('base64'),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
}

export function launchPledge(port: number, dir: string, databaseUrl?: string, env: Record<string, string> = {}): Server {
  return launch(`Pledge on ${databaseUrl ? 'PostgreSQL' : 'PGlite'}`, ['src/cli.ts', 'serve', '--seed-if-empty', '--port', String(port)], { ...pledgeEnv(dir, databaseUrl), HOST, ...env }, `http://${HOST}:${port}`);
}

/** Resolves once `urlPath` answers 200; fails with the server's output if it exits or takes over 60 s. */
export async function waitFor200(server: Server, urlPath: string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (!server.alive()) throw new Error(`${server.name} exited before GET ${urlPath} answered 200. Its output:\n${server.output()}`);
    if (Date.now() > deadline) throw new Error(`${server.name} did not answer 200 on GET ${urlPath} within ${START_TIMEOUT_MS / 1000} s. Its output:\n${server.output()}`);
    const status = await fetch(server.base + urlPath, { signal: AbortSignal.timeout(2000) }).then(
      async (response) => (await response.arrayBuffer(), response.status),
      () => 0, // not listening yet
    );
    if (status === 200) return;
    await sleep(intervalMs);
  }
}

/** Stops a server with SIGTERM (SIGKILL after `graceMs`, so one that ignores it cannot hang the run); its exit. */
export async function stop(server: Server, graceMs = 10_000): Promise<Exit> {
  if (server.alive()) server.process.kill('SIGTERM');
  const timer = setTimeout(() => server.process.kill('SIGKILL'), graceMs);
  const exit = await server.exited;
  clearTimeout(timer);
  return exit;
}

/** Starts a server, runs `body` against it and stops it again, even when `body` fails. */
export async function withServer<T>(start: (port: number) => Server, readyPath: string, body: (server: Server) => Promise<T>, intervalMs?: number): Promise<T> {
  const server = start(await freePort());
  try {
    await waitFor200(server, readyPath, intervalMs);
    return await body(server);
  } finally {
    await stop(server);
  }
}

/** A durable embedded PostgreSQL for the length of `body`, which is given the URL of a new database `name`. */
export async function withPostgres<T>(name: string, body: (databaseUrl: string) => Promise<T>): Promise<T> {
  const postgres = await startPostgres({ durable: true });
  try {
    return await body(await postgres.createDatabase(name));
  } finally {
    await postgres.stop();
  }
}

/**
 * The resident memory of a process in MB, read from /proc: now (VmRSS) or the peak of its life (VmHWM); null where
 * there is none (not Linux, or gone).
 */
export function rssMb(pid: number | undefined, which: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | null {
  try {
    const kb = new RegExp(`^${which}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

/**
 * A card token as TestPay's endpoint would answer it. In production the card is tokenized by the provider's
 * servers, not the shop's, so benchmarks and drills make tokens themselves and measure only what the shop does.
 */
const tokenizer = testPay({ db: undefined as never, clock: systemClock, secret: deriveKey(MASTER_KEY, 'testpay-token-signing') });
export const cardToken = () => tokenizer.tokenize({ number: '4242424242424242', expMonth: 12, expYear: 2040, cvc: '123' }).token;

/** A guest's checkout details; `email` lets a drill tell its buyers apart. */
export function buyer(email = 'buyer@example.com') {
  return {
    email,
    address: { recipientName: 'Bench Buyer', line1: '1 Example Street', city: 'Springfield', region: 'IL', postcode: '62701', country: 'US', phone: '+1 555 0100' },
    shippingOption: 'standard',
  };
}

/**
 * Migrates and seeds the database before the server starts, with stock enough that checkouts never run out during
 * a run (the demo's realistic stock would sell out in seconds). PGlite lives in `dir`, as the servers expect it.
 */
export async function prepareDatabase(dir: string, databaseUrl: string | undefined): Promise<void> {
  const database = await openDatabase({ databaseUrl, dataDir: path.join(dir, 'data', 'pglite') });
  try {
    await migrateDatabase(database);
    await seedDemoCatalog({ db: database.db, clock: systemClock });
    await database.db.update(products).set({ stock: CHECKOUT_STOCK }).where(eq(products.slug, CHECKOUT_PRODUCT));
  } finally {
    await database.close();
  }
}
