import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI, pledge } from '../support/cli.ts';
import { emptyPostgresDatabase } from '../support/databases.ts';
import { testEnv } from '../support/shop.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-cli-'));
  dirs.push(dir);
  return dir;
}

describe('pledge CLI: usage', () => {
  test('no command prints usage and fails; --help succeeds', () => {
    const none = pledge([]);
    assert.equal(none.code, 2);
    assert.match(none.stdout, /usage: pledge <command>/);
    const help = pledge(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['migrate', 'seed', 'serve']) assert.match(help.stdout, new RegExp(`\\n  ${command} `));
  });

  test('every command has --help', () => {
    for (const command of ['migrate', 'seed', 'serve']) {
      const result = pledge([command, '--help']);
      assert.equal(result.code, 0, command);
      assert.match(result.stdout, new RegExp(`^usage: pledge ${command}`));
    }
  });

  test('unknown commands and flags exit non-zero with a usage line', () => {
    const unknown = pledge(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const flag = pledge(['seed', '--bogus']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /Unknown option '--bogus'/);
    assert.match(flag.stderr, /usage: pledge seed/);
    const positional = pledge(['migrate', 'now']);
    assert.equal(positional.code, 2);
  });

  test('bad flag values are refused before anything runs', () => {
    for (const value of ['-5', 'abc', '2000000', '1.5']) {
      const result = pledge(['seed', `--products=${value}`], testEnv(tempDir()));
      assert.equal(result.code, 2, value);
      assert.match(result.stderr, /--products must be a whole number from 0 to 1000000/);
    }
    const port = pledge(['serve', '--port', 'http'], testEnv(tempDir()));
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be a whole number/);
  });

  test('a bad setting stops the command with one line naming the variable', () => {
    const result = pledge(['migrate'], { ...testEnv(tempDir()), PORT: 'abc' });
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim(), 'pledge: PORT must be a whole number (got "abc")');
  });
});

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`pledge CLI: migrate, seed and serve [${kind}]`, () => {
    test('migrate and seed, then a second seed leaves the catalogue alone', async () => {
      const database = kind === 'postgres' ? await emptyPostgresDatabase() : undefined;
      try {
        const env = testEnv(tempDir(), database ? { DATABASE_URL: database.url } : {});
        const migrate = pledge(['migrate'], env);
        assert.equal(migrate.code, 0, migrate.stderr);
        assert.match(migrate.stdout, new RegExp(`migrations applied \\(${kind}\\)`));
        const seed = pledge(['seed', '--products', '100'], env);
        assert.equal(seed.code, 0, seed.stderr);
        assert.match(seed.stderr, /seeded 6 categories and 154 products/);
        assert.doesNotMatch(seed.stderr, /\[#/, 'no progress bar when not on a terminal');
        const again = pledge(['seed'], env);
        assert.equal(again.code, 0);
        assert.match(again.stderr, /already has products; nothing seeded/);
      } finally {
        await database?.drop();
      }
    });
  });
}

describe('pledge inventory and keys', () => {
  test('inventory lists every personal column with its category, purposes, unit and processors', () => {
    const text = pledge(['inventory'], testEnv(tempDir()));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^outbox\.envelope$/m);
    const json = pledge(['inventory', '--json'], testEnv(tempDir()));
    const inventory = JSON.parse(json.stdout);
    const envelope = inventory.columns.find((c: { column: string }) => c.column === 'outbox.envelope');
    assert.deepEqual({ encrypted: envelope.encrypted, unit: envelope.unit, processors: envelope.processors }, { encrypted: true, unit: 'outbox_message', processors: ['email_delivery'] });
    assert.ok(envelope.purposes.includes('order_notifications'));
    assert.ok(inventory.purposes.legal_obligation);
  });

  test('keys rotate replaces the development key file after re-wrapping, and needs the old key in production', () => {
    const dir = tempDir();
    const env = testEnv(dir);
    delete (env as Record<string, string | undefined>).PLEDGE_MASTER_KEY;
    assert.equal(pledge(['keys', 'rotate'], env).code, 0);
    const keyFile = path.join(dir, 'data', 'master.key');
    const before = fs.readFileSync(keyFile, 'utf8');
    const rotated = pledge(['keys', 'rotate'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stderr, /re-wrapped \d+ data keys/);
    assert.notEqual(fs.readFileSync(keyFile, 'utf8'), before);
    assert.ok(!fs.existsSync(`${keyFile}.next`));
    const production = pledge(['keys', 'rotate'], testEnv(tempDir()));
    assert.equal(production.code, 1);
    assert.match(production.stderr, /PLEDGE_PREVIOUS_MASTER_KEY/);
    assert.equal(pledge(['keys', 'spin'], env).code, 2);
  });
});

describe('pledge staff', () => {
  test('staff create prints a one-time set-up link; bad roles, bad addresses and duplicates are refused', () => {
    const env = testEnv(tempDir(), { PLEDGE_BASE_URL: 'https://shop.example.com' });
    const created = pledge(['staff', 'create', '--email', 'officer@example.com', '--role', 'privacy_officer', '--role', 'support'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^https:\/\/shop\.example\.com\/admin\/setup\/[A-Za-z0-9_-]{43}$/m);
    const duplicate = pledge(['staff', 'create', '--email', 'Officer@Example.com', '--role', 'support'], env);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /already exists/);
    const role = pledge(['staff', 'create', '--email', 'x@example.com', '--role', 'boss'], env);
    assert.equal(role.code, 2);
    assert.match(role.stderr, /unknown role boss; roles are support, fulfilment, privacy_officer, admin/);
    assert.equal(pledge(['staff', 'create', '--email', 'nope', '--role', 'support'], env).code, 2);
    assert.equal(pledge(['staff', 'create', '--email', 'x@example.com'], env).code, 2);
    assert.equal(pledge(['staff', 'fire'], env).code, 2);
  });
});

describe('pledge serve', () => {
  async function serveOnce(env: Record<string, string>): Promise<{ home: string; exitCode: number | null }> {
    const child = spawn(process.execPath, [CLI, 'serve', '--seed-if-empty'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      const url = `http://127.0.0.1:${env.PORT}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const response = await fetch(`${url}/healthz`).catch(() => undefined);
        if (response?.ok) break;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const home = await (await fetch(url)).text();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      return { home, exitCode: await exited };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

  test('serves the demo shop, stops cleanly on SIGTERM, and a second start reuses the data', async () => {
    const { freePort } = await import('../support/postgres.ts');
    const dir = tempDir();
    const env = testEnv(dir, { PORT: String(await freePort()), HOST: '127.0.0.1', NODE_ENV: 'development', PLEDGE_LOG_LEVEL: 'warn' });
    delete (env as Record<string, string | undefined>).PLEDGE_MASTER_KEY; // development creates its own key file
    const first = await serveOnce(env);
    assert.match(first.home, /41 products/);
    assert.equal(first.exitCode, 0);
    const keyFile = path.join(dir, 'data', 'master.key');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600, 'the development key file is private to its owner');
    const key = fs.readFileSync(keyFile, 'utf8');
    const second = await serveOnce(env);
    assert.match(second.home, /41 products/, 'not seeded twice');
    assert.equal(fs.readFileSync(keyFile, 'utf8'), key, 'the key is reused');
  });
});
