import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, type TestDatabase } from '../support/databases.ts';
import { freePort } from '../support/postgres.ts';
import { eventually, testEnv } from '../support/shop.ts';

// Two `pledge serve` processes on one PostgreSQL behind a balancer that does what the nginx and Caddy examples in
// deploy/ do: round robin, and a request whose connection fails is tried on the other instance. One instance is
// stopped (SIGTERM) in the middle of the traffic: it finishes what it has, exits cleanly, and every request is
// answered.

const CLI = path.resolve('src/cli.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-failover-'));
const REQUESTS = 240;
const CONCURRENCY = 8;

type Instance = { name: string; url: string; process: ChildProcess; down: boolean; output: string; exited: Promise<number | null> };

async function startInstance(name: string, env: Record<string, string>, args: string[] = []): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const instance: Instance = { name, url: `http://127.0.0.1:${port}`, process: child, down: false, output: '', exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (chunk: Buffer) => (instance.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (instance.output += chunk.toString()));
  await eventually(async () => (await fetch(`${instance.url}/healthz`).catch(() => undefined))?.ok, 90_000, `instance ${name} to answer`).catch((error: Error) => {
    throw new Error(`${error.message}: ${instance.output}`);
  });
  return instance;
}

describe('two instances on one PostgreSQL, one stopped mid-traffic', () => {
  let database: TestDatabase;
  let a: Instance;
  let b: Instance;

  before(async () => {
    database = await freshDatabase('postgres');
    // One shop: the same database and the same master key.
    const env = { ...testEnv(dir, { PLEDGE_LOG_LEVEL: 'warn' }), DATABASE_URL: database.url!, PLEDGE_MASTER_KEY: randomBytes(32).toString('base64') };
    a = await startInstance('a', env, ['--seed-if-empty']);
    b = await startInstance('b', env);
  });
  after(async () => {
    for (const instance of [a, b]) {
      if (instance && instance.process.exitCode === null) {
        instance.process.kill('SIGTERM');
        await instance.exited;
      }
    }
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('no request is lost, and the stopped instance drains and exits cleanly', async () => {
    const served: Record<string, number> = { a: 0, b: 0 };
    let retried = 0;
    let next = 0;
    const balance = async (url: string): Promise<number> => {
      const order = next++ % 2 === 0 ? [a, b] : [b, a];
      for (const target of order) {
        if (target.down) continue;
        try {
          const response = await fetch(`${target.url}${url}`);
          await response.text();
          served[target.name]!++;
          return response.status;
        } catch {
          // A connection refused or closed: the balancer takes the instance out and tries the other.
          target.down = true;
          retried++;
        }
      }
      throw new Error(`no instance answered ${url}`);
    };

    const statuses: number[] = [];
    let sent = 0;
    let stopped: Promise<number | null> | undefined;
    const worker = async () => {
      while (sent < REQUESTS) {
        const i = sent++;
        if (i === REQUESTS / 3) {
          a.process.kill('SIGTERM');
          stopped = a.exited;
        }
        statuses.push(await balance(i % 2 === 0 ? '/' : '/products/gentle-oat-cleanser'));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    assert.equal(statuses.length, REQUESTS);
    assert.deepEqual([...new Set(statuses)], [200], 'every request answered');
    assert.ok(served.a! > 0 && served.b! > served.a!, `a served ${served.a}, b ${served.b}`);
    assert.equal(await stopped, 0, `the stopped instance exits cleanly: ${a.output}`);
    assert.ok(retried <= CONCURRENCY + 1, `only requests racing the stop were tried again (${retried})`);
    const after = await fetch(`${b.url}/healthz`);
    assert.equal(after.status, 200, 'the other instance serves on');
  });
});
