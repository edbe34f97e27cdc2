import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, type TestDatabase } from '../support/databases.ts';
import { adminQuery, freePort } from '../support/postgres.ts';
import { eventually } from '../support/shop.ts';

// `pledge serve` with NODE_ENV=production, as a real process on PostgreSQL: it refuses to start without each
// setting production needs, and once started it sends HSTS and Secure cookies, has no dev mailbox and shows no stack.

const CLI = path.resolve('src/cli.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-production-'));

const production = (databaseUrl: string, port: number) => ({
  PATH: process.env.PATH ?? '',
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: String(port),
  DATABASE_URL: databaseUrl,
  PLEDGE_MASTER_KEY: randomBytes(32).toString('base64'),
  PLEDGE_BASE_URL: 'https://shop.example.com',
  // Nothing is mailed in this test; the transport only connects when a message goes out.
  SMTP_URL: 'smtp://127.0.0.1:2525',
  PLEDGE_DATA_DIR: path.join(dir, 'data'),
  PLEDGE_LOG_LEVEL: 'warn',
});

describe('production mode on PostgreSQL', () => {
  let database: TestDatabase;
  let server: ChildProcess | undefined;
  let base: string;

  before(async () => {
    database = await freshDatabase('postgres');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [CLI, 'serve'], { env: production(database.url!, port), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(
      async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok,
      60_000,
      'the production server to answer',
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${output}`);
    });
  });
  after(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('refuses to start without each setting production needs, naming it in one line', () => {
    const complete = production('postgres://shop:secret@127.0.0.1:1/shop', 0);
    const cases: [Partial<Record<keyof typeof complete, string>>, RegExp][] = [
      [{ PLEDGE_MASTER_KEY: '' }, /PLEDGE_MASTER_KEY is required when NODE_ENV=production/],
      [{ DATABASE_URL: '' }, /DATABASE_URL \(a PostgreSQL URL\) is required when NODE_ENV=production: PGlite is for development and small shops/],
      [{ PLEDGE_BASE_URL: 'http://shop.example.com' }, /PLEDGE_BASE_URL must be the shop's https:\/\/ address/],
      [{ SMTP_URL: '' }, /SMTP_URL is required when NODE_ENV=production/],
    ];
    for (const [change, message] of cases) {
      const run = spawnSync(process.execPath, [CLI, 'serve'], { env: { ...complete, ...change }, encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 2, `${Object.keys(change)[0]}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, 'one line');
    }
  });

  test('sends HSTS and marks cookies Secure', async () => {
    const response = await fetch(`${base}/account/login`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('strict-transport-security') ?? '', /max-age=31536000; includeSubDomains/);
    const cookies = response.headers.getSetCookie();
    assert.ok(cookies.length > 0, 'the sign-in form sets its CSRF cookie');
    for (const cookie of cookies) assert.match(cookie, /; Secure/i, cookie);
    assert.match(cookies.join('\n'), /^__Host-csrf=/m);
  });

  test('has no dev mailbox', async () => {
    const response = await fetch(`${base}/dev/mailbox`);
    assert.equal(response.status, 404);
  });

  test('a failure shows a reference, never a stack', async () => {
    // The catalogue's table taken away: the home page fails on our side.
    await adminQuery(database.url!, 'alter table product rename to product_away');
    try {
      const response = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
      const body = await response.text();
      assert.equal(response.status, 500);
      assert.match(body, /Something went wrong on our side/);
      assert.match(body, /Reference: [0-9a-f-]{36}/);
      assert.doesNotMatch(body, /class="stack"|\.ts:\d+|node_modules/);
    } finally {
      await adminQuery(database.url!, 'alter table product_away rename to product');
    }
  });
});
