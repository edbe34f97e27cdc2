import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/platform/config.ts';
import { openShopRuntime } from '../../src/runtime.ts';
import { pageViews } from '../../src/shop/analytics/schema.ts';
import { register } from '../../src/shop/accounts/service.ts';
import { customers } from '../../src/shop/accounts/schema.ts';
import { shopContext } from '../../src/shop/context.ts';
import { eraseAccount, privacyCenterContext } from '../../src/shop/privacy-center/service.ts';
import { pledge } from '../support/cli.ts';
import { testEnv } from '../support/shop.ts';

// `pledge retention report|sweep [--dry-run]` and `pledge erasures export|replay` on the configured (PGlite)
// database, against the real clock: rows from two years ago are past their maximum today.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pledge-retention-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const env = testEnv(dir);

const run = (args: string[]) => pledge(args, env);

type Census = { kind: string; total: number; overdue: number; byAge: { label: string; count: number }[]; nextExpiry: string | null };
const report = (): Census[] => {
  const reported = run(['retention', 'report', '--json']);
  assert.equal(reported.code, 0, reported.stderr);
  return JSON.parse(reported.stdout) as Census[];
};
const analytics = (census: Census[]) => census.find((c) => c.kind === 'analytics_day')!;

test('retention report, dry run and sweep; usage errors', async () => {
  const runtime = await openShopRuntime(loadConfig(env));
  try {
    const twoYearsAgo = new Date(Date.now() - 2 * 365 * 24 * 60 * 60 * 1000);
    await runtime.database.db.insert(pageViews).values([
      { hour: twoYearsAgo, visitors: [randomInt(2 ** 47)], kind: 'page', path: '/', deviceClass: 'desktop' },
      { hour: new Date(), visitors: [randomInt(2 ** 47)], kind: 'page', path: '/', deviceClass: 'mobile' },
    ]);
  } finally {
    await runtime.close();
  }

  const refused = pledge(['retention', 'report'], { ...env, PLEDGE_RETENTION: 'ticket.max=6mo' });
  assert.equal(refused.code, 2, 'a maximum below its minimum stops the command before it starts');
  assert.match(refused.stderr, /the maximum for ticket \(6 months\) is below its minimum \(12 months\)/);
  assert.equal(run(['retention']).code, 2);
  assert.equal(run(['retention', 'purge']).code, 2);
  const mixed = run(['retention', 'report', '--dry-run']);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /--dry-run goes with sweep/);

  const before = analytics(report());
  assert.equal(before.total, 2);
  assert.equal(before.overdue, 1);
  assert.equal(before.byAge.find((b) => b.label === 'under 30 days')!.count, 1);
  const text = run(['retention', 'report']);
  assert.match(text.stdout, /analytics_day: 2 held \(kept at least none, at most 13 months after the day of the page views\)/);

  const dry = run(['retention', 'sweep', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /analytics_day: 1 would go \(kept at most 13 months after the day of the page views; then the day’s views are deleted\)/);
  assert.match(dry.stdout, /page views of \d{4}-\d{2}-\d{2}: clock started/);
  assert.match(dry.stdout, /nothing was changed/);
  assert.equal(analytics(report()).overdue, 1, 'a dry run leaves everything');

  const swept = run(['retention', 'sweep']);
  assert.equal(swept.code, 0, swept.stderr);
  assert.match(swept.stderr, /sweep \d+ finished in \d+ batches: .*analytics_day 1/);
  const after = analytics(report());
  assert.equal(after.total, 1);
  assert.equal(after.overdue, 0);
});

test('erasures export and replay, with bad files refused', async () => {
  const runtime = await openShopRuntime(loadConfig(env));
  try {
    await runtime.jobs.start({ work: false });
    await register(shopContext(runtime), { name: 'Jo Journal', email: 'jo.journal@example.com', password: 'a long enough password' });
    const [account] = await runtime.database.db.select().from(customers);
    assert.ok((await eraseAccount(privacyCenterContext(runtime), account!.id, 'a long enough password')).ok);
  } finally {
    await runtime.close();
  }
  const journal = path.join(dir, 'journal.jsonl');
  assert.equal(run(['erasures', 'export']).code, 2, 'export needs --out');
  assert.equal(run(['erasures', 'export', '--out', journal, '--since', 'yesterday']).code, 2);
  const exported = run(['erasures', 'export', '--out', journal]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stdout, /^[1-9]\d* erasures written/);
  const lines = fs.readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(lines.some((l) => l.unitKind === 'account'));
  assert.doesNotMatch(fs.readFileSync(journal, 'utf8'), /jo\.journal|Jo Journal/, 'ids only');

  const replayed = run(['erasures', 'replay', '--from', journal]);
  assert.equal(replayed.code, 0, replayed.stderr);
  assert.match(replayed.stdout, new RegExp(`${lines.length} journal entries: ${lines.length} already erased here, 0 erased again`));

  const broken = path.join(dir, 'broken.jsonl');
  fs.writeFileSync(broken, `${JSON.stringify(lines[0])}\n{"unitId": "nope"}\n`);
  const refused = run(['erasures', 'replay', '--from', broken]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /line 2 is not an erasure-journal entry/);
  assert.equal(run(['erasures', 'replay', '--from', path.join(dir, 'missing.jsonl')]).code, 1);
  assert.equal(run(['erasures', 'replay']).code, 2);
});
