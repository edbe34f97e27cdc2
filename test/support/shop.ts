import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asc, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { outbox, type MailMessage } from '../../src/platform/mail/schema.ts';
import { createShopApp } from '../../src/app.ts';
import { testClock, type TestClock } from '../../src/platform/clock.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { queryRows } from '../../src/platform/db/index.ts';
import type { Runtime } from '../../src/platform/runtime.ts';
import { openShopRuntime } from '../../src/runtime.ts';
import { seedDemoCatalog } from '../../src/shop/catalog/seed.ts';
import { freshDatabase, type DatabaseKind, type TestDatabase } from './databases.ts';

// A whole shop for one test: its own database, data and mail directories, a test clock and captured logs.

export type TestShop = {
  runtime: Runtime;
  app: FastifyInstance;
  database: TestDatabase;
  clock: TestClock;
  dir: string;
  /** Every log line the shop wrote, as JSON text. */
  logs: string[];
  stop(): Promise<void>;
};

export type TestShopOptions = {
  env?: Record<string, string>;
  /** Share a database between shops (several instances on one PostgreSQL). */
  database?: TestDatabase;
  seed?: boolean;
  /** Start the job workers (mail delivery). */
  work?: boolean;
};

export function testEnv(dir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    PLEDGE_DATA_DIR: path.join(dir, 'data'),
    PLEDGE_MAIL_DIR: path.join(dir, 'mailbox'),
    PLEDGE_MASTER_KEY: randomBytes(32).toString('base64'),
    PLEDGE_LOG_LEVEL: 'info',
    ...env,
  };
}

export async function startTestShop(kind: DatabaseKind, options: TestShopOptions = {}): Promise<TestShop> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-test-'));
  const config = loadConfig(testEnv(dir, options.env));
  const ownDatabase = !options.database;
  const database = options.database ?? (await freshDatabase(kind));
  const logs: string[] = [];
  const clock = testClock();
  const runtime = await openShopRuntime(config, {
    database,
    clock,
    migrate: false,
    logDestination: { write: (line: string) => void logs.push(line) },
    jobPollingIntervalSeconds: 0.5,
  });
  if (options.seed !== false) await seedDemoCatalog({ db: database.db, clock });
  await runtime.jobs.start({ work: options.work ?? false });
  const app = await createShopApp(runtime);
  await app.ready();
  return {
    runtime,
    app,
    database,
    clock,
    dir,
    logs,
    async stop() {
      await app.close();
      await runtime.jobs.stop();
      runtime.mail.close();
      if (ownDatabase) await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until no job named `name` is waiting or running (the shop's job workers must be on). */
export async function jobsSettled(shop: TestShop, name: string): Promise<void> {
  await eventually(async () => {
    const [row] = await queryRows<{ pending: number }>(shop.database.db, sql`select count(*)::int as pending from pgboss.job where name = ${name} and state in ('created', 'retry', 'active')`);
    return row!.pending === 0;
  }, 15_000, `${name} jobs to finish`);
}

/** Fetches a page with a form and returns its CSRF token and the cookie that goes with it. */
export async function csrfFor(app: FastifyInstance, url: string): Promise<{ token: string; cookie: string }> {
  const response = await app.inject({ method: 'GET', url });
  const token = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
  if (!token) throw new Error(`no CSRF token on ${url}`);
  const cookie = response.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  return { token, cookie };
}

/** Every outbox message addressed to `to`, opened with the shop's sealer (erased ones are left out), oldest first. */
export async function mailsTo(shop: TestShop, to: string): Promise<MailMessage[]> {
  const rows = await shop.database.db.select().from(outbox).orderBy(asc(outbox.createdAt));
  const opened = await Promise.all(rows.map((r) => shop.runtime.sealer.open(shop.database.db, r.id, r.unitId, r.envelope)));
  return opened.filter((m): m is MailMessage => m !== undefined && m.to === to);
}

/** The code in the first verification e-mail to `to` (a guest's privacy request), or undefined when none was sent. */
export async function codeFrom(shop: TestShop, to: string): Promise<string | undefined> {
  const message = (await mailsTo(shop, to)).find((m) => m.subject.includes('verification code'));
  return /code is (\d{6})/.exec(message?.text ?? '')?.[1];
}

/** The first link in the newest message to `to` whose URL matches `pattern`. */
export async function linkFrom(shop: TestShop, to: string, pattern: RegExp): Promise<string> {
  const messages = await mailsTo(shop, to);
  for (const message of messages.reverse()) {
    const link = message.text.match(/https?:\/\/\S+/g)?.find((url) => pattern.test(url));
    if (link) return new URL(link).pathname;
  }
  throw new Error(`no mail to ${to} with a link matching ${pattern}`);
}
