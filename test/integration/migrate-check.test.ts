import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { MIGRATIONS_DIR } from '../../src/platform/db/index.ts';
import { emptyPostgresDatabase } from '../support/databases.ts';
import { testEnv } from '../support/shop.ts';

// `pledge migrate --check` for CI and upgrades: lists what a database lacks and exits 1, changing nothing; after
// `pledge migrate` it exits 0. On a PGlite data directory and on a PostgreSQL database.

const CLI = path.resolve('src/cli.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-migrate-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const all = (JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] }).entries.map((e) => e.tag);

const pledge = (args: string[], env: Record<string, string>) => {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...testEnv(dir), ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

const engines: [string, () => Promise<{ env: Record<string, string>; done(): Promise<void> }>][] = [
  ['pglite', async () => ({ env: { PLEDGE_DATA_DIR: path.join(dir, 'data') }, done: async () => undefined })],
  ['postgres', async () => {
    const database = await emptyPostgresDatabase();
    return { env: { DATABASE_URL: database.url }, done: database.drop };
  }],
];

for (const [kind, open] of engines) {
  test(`migrate --check lists pending migrations and exits 1, then 0 once applied [${kind}]`, async () => {
    const { env, done } = await open();
    try {
      const pending = pledge(['migrate', '--check'], env);
      assert.equal(pending.code, 1, pending.stderr);
      assert.equal(pending.stdout.trim(), `${all.length} migrations pending (${kind}): ${all.join(', ')}`);
      assert.equal(pledge(['migrate', '--check'], env).code, 1, 'checking applied nothing');
      const applied = pledge(['migrate'], env);
      assert.equal(applied.code, 0, applied.stderr);
      const clean = pledge(['migrate', '--check'], env);
      assert.equal(clean.code, 0, clean.stderr);
      assert.equal(clean.stdout.trim(), `no migrations pending (${kind})`);
    } finally {
      await done();
    }
  });
}
