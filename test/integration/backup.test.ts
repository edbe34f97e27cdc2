import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { createShopApp } from '../../src/app.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { loadMasterKey } from '../../src/platform/keys.ts';
import { backupKey, newBackupFile, refreshJournals, restoreBackup, restoreIsPending, takeBackup } from '../../src/privacy/backups/service.ts';
import { replayErasures } from '../../src/privacy/retention/replay.ts';
import { derivedCopies } from '../../src/privacy/retention/sweep.ts';
import { openShopRuntime } from '../../src/runtime.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { register } from '../../src/shop/accounts/service.ts';
import { shopContext } from '../../src/shop/context.ts';
import { eraseAccount, privacyCenterContext } from '../../src/shop/privacy-center/service.ts';
import { retentionContext } from '../../src/shop/privacy-center/retention.ts';
import { freshDatabase } from '../support/databases.ts';
import { eventually, testEnv } from '../support/shop.ts';

// pledge backup and pledge restore on a PGlite shop: a backup taken before a customer erased their account is
// restored, the shop answers 503 while it still remembers her, and once the erasures recorded since the backup are
// replayed she is gone again and the shop serves. Backups older than PLEDGE_BACKUP_DAYS leave with the sweep.

const CLI = path.resolve('src/cli.ts');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-backup-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const backups = path.join(dir, 'backups');
const env = testEnv(dir, { PLEDGE_BACKUP_DIR: backups, PLEDGE_LOG_LEVEL: 'warn' });
const config = loadConfig(env);

const pledge = (args: string[], extra: Record<string, string> = {}) => {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env, ...extra }, encoding: 'utf8', timeout: 180_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

const PASSWORD = 'a long enough password';

test('back up, erase a customer, restore: she stays erased, and the shop serves no one until she is', async () => {
  let erin: string;
  let yuri: string;
  {
    const runtime = await openShopRuntime(config);
    try {
      await runtime.jobs.start({ work: false });
      await register(shopContext(runtime), { name: 'Erin Backup', email: 'erin.backup@example.com', password: PASSWORD });
      await register(shopContext(runtime), { name: 'Yuri Backup', email: 'yuri.backup@example.com', password: PASSWORD });
      const rows = await runtime.database.db.select({ id: customers.id, createdAt: customers.createdAt }).from(customers).orderBy(customers.createdAt);
      [erin, yuri] = [rows[0]!.id, rows[1]!.id];
    } finally {
      await runtime.close();
    }
  }

  const file = path.join(backups, 'before.pledge-backup');
  const taken = pledge(['backup', '--out', file]);
  assert.equal(taken.code, 0, taken.stderr);
  assert.match(taken.stdout, /backup of the pglite database as of .* written to .*before\.pledge-backup, encrypted under PLEDGE_MASTER_KEY/);
  const bytes = fs.readFileSync(file);
  assert.match(bytes.subarray(0, 16).toString(), /^PLEDGE-BACKUP 1\n/);
  assert.equal(bytes.indexOf('PG_VERSION'), -1, 'the data directory is encrypted, not a readable tarball');
  assert.equal(fs.readFileSync(`${file}.erasures.jsonl`, 'utf8'), '', 'no one erased since the backup yet');

  // Erin erases her account after the backup was taken; the shop rewrites the journal beside the backup.
  {
    const runtime = await openShopRuntime(config);
    try {
      await runtime.jobs.start({ work: false });
      assert.ok((await eraseAccount(privacyCenterContext(runtime), erin!, PASSWORD)).ok);
      assert.equal(await refreshJournals(runtime.database.db, backups), 1);
    } finally {
      await runtime.close();
    }
  }
  const journal = fs.readFileSync(`${file}.erasures.jsonl`, 'utf8');
  assert.match(journal, new RegExp(`"unitKind":"account"`));
  assert.doesNotMatch(journal, /erin|Backup/i, 'ids only');

  const wrongKey = pledge(['restore', '--from', file], { PLEDGE_BACKUP_KEY: randomBytes(32).toString('base64') });
  assert.equal(wrongKey.code, 1);
  assert.match(wrongKey.stderr, /cannot be decrypted: it was encrypted under PLEDGE_MASTER_KEY/);
  assert.equal(pledge(['restore']).code, 2, 'restore needs --from');

  // The restore puts the backup in place marked as waiting for its replay: the shop serves no one.
  const restored = await restoreBackup(config, loadMasterKey(config), { now: () => new Date() }, file, { journals: [] });
  assert.ok(restored.entries.some((e) => e.unitKind === 'account'));
  const runtime = await openShopRuntime(config, { database: restored.database });
  try {
    await runtime.jobs.start({ work: false });
    const app = await createShopApp(runtime);
    const db = runtime.database.db;
    assert.equal((await db.select().from(customers).where(eq(customers.id, erin!))).length, 1, 'the backup remembers Erin');
    for (const url of ['/', '/healthz', '/account/login']) {
      const response = await app.inject(url);
      assert.equal(response.statusCode, 503, url);
      assert.equal(response.headers['retry-after'], '30');
    }
    assert.match((await app.inject('/')).body, /being restored from a backup/);
    assert.equal((await app.inject({ url: '/api/products', headers: { accept: 'application/json' } })).json().error.code, 'restoring');

    const report = await replayErasures(retentionContext(runtime), restored.entries);
    assert.ok(report.erasedAgain >= 1);
    await restored.finish();
    assert.equal(await restoreIsPending(db), false);
    await eventually(async () => (await app.inject('/')).statusCode === 200, 15_000, 'the shop to serve again');
    assert.equal((await db.select().from(customers).where(eq(customers.id, erin!))).length, 0, 'Erin is erased again');
    assert.equal((await db.select().from(customers).where(eq(customers.id, yuri!))).length, 1, 'Yuri stays');
    await app.close();
  } finally {
    await runtime.close();
  }
  assert.equal(fs.existsSync(path.join(config.dataDir, 'pglite.before-restore')), false, 'the replaced database goes once the replay is done');

  // The command does the same in one go, reading the journal beside the backup and the database it replaces.
  const cli = pledge(['restore', '--from', file]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /erasures since the backup \(from .*before\.pledge-backup\.erasures\.jsonl, the database being replaced\): [1-9]\d* erased again/);
  const after = await openShopRuntime(config);
  try {
    assert.equal((await after.database.db.select().from(customers).where(eq(customers.id, erin!))).length, 0, 'still erased after the command');
    assert.equal(await restoreIsPending(after.database.db), false);
  } finally {
    await after.close();
  }

  const missing = pledge(['restore', '--from', file, '--journal', path.join(dir, 'nowhere.jsonl')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nowhere\.jsonl: cannot be read/);
});

test('backups in PLEDGE_BACKUP_DIR leave with the retention sweep after PLEDGE_BACKUP_DAYS', async () => {
  const runtime = await openShopRuntime(config);
  try {
    const copy = derivedCopies().find((c) => c.name === 'backup');
    assert.ok(copy, 'backups are a derived copy with a lifetime');
    assert.match(copy.label, /kept 35 days/);
    const ctx = retentionContext(runtime);
    await takeBackup({ database: runtime.database, databaseUrl: undefined, clock: runtime.clock, key: backupKey(config, runtime.masterKey) }, newBackupFile(backups, runtime.clock.now()));
    const files = () => fs.readdirSync(backups).filter((f) => f.endsWith('.pledge-backup')).length;
    const kept = files();
    assert.ok(kept >= 1);
    assert.equal(await copy.purge({ ...ctx, clock: { now: () => new Date(Date.now() + 34 * 86_400_000) } }), 0, 'kept for 35 days');
    assert.equal(await copy.purge({ ...ctx, clock: { now: () => new Date(Date.now() + 36 * 86_400_000) } }), kept);
    assert.equal(files(), 0);
    assert.deepEqual(fs.readdirSync(backups).filter((f) => f.endsWith('.erasures.jsonl')), [], 'their journals go with them');
  } finally {
    await runtime.close();
  }
});

test('a PostgreSQL backup without pg_dump on the PATH says what to install', async () => {
  const database = await freshDatabase('postgres');
  try {
    const run = spawnSync(process.execPath, [CLI, 'backup', '--out', path.join(dir, 'pg.pledge-backup')], {
      env: { ...env, PATH: path.dirname(process.execPath), DATABASE_URL: database.url! },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /pg_dump and restored with pg_restore, which are not on this machine’s PATH: install the PostgreSQL client tools/);
    assert.equal(fs.existsSync(path.join(dir, 'pg.pledge-backup')), false);
  } finally {
    await database.drop();
  }
});
