import path from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ConfigError, loadConfig, type Config } from './platform/config.ts';
import type { Database } from './platform/db/index.ts';
import { fasterImports } from './platform/imports.ts';
import { progressBar } from './platform/progress.ts';

// The `pledge` command: `npm run pledge -- <command> [options]`. Each command loads what it needs when it runs,
// so usage errors and --help answer at once.

type Values = Record<string, string | boolean | string[] | undefined>;

type Command = {
  summary: string;
  usage: string;
  options: ParseArgsOptionsConfig;
  /** Commands with subcommands (`audit verify`) take positionals; the rest refuse them. */
  allowPositionals?: boolean;
  run(config: Config, values: Values, positionals: string[]): Promise<number>;
};

class UsageError extends Error {}

// Kept in step with ROLES in src/privacy/access.ts by a test; written out so `--help` needs no imports.
export const STAFF_ROLES = ['support', 'fulfilment', 'privacy_officer', 'admin'] as const;

function wholeNumber(name: string, value: Values[string], min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

/** Opens and migrates (unless told not to) the configured database for one command's work, and closes it whatever happens. */
async function withDatabase<T>(config: Config, work: (database: Database) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const { migrateDatabase, openDatabase } = await import('./platform/db/index.ts');
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: path.join(config.dataDir, 'pglite') });
  try {
    if (options.migrate !== false) await migrateDatabase(database);
    return await work(database);
  } finally {
    await database.close();
  }
}

/** For commands with subcommands: the one positional must be `expected`. */
function expectSubcommand(positionals: string[], expected: string): void {
  if (positionals.length === 1 && positionals[0] === expected) return;
  throw new UsageError(positionals.length === 0 ? 'name a subcommand' : `unknown subcommand ${JSON.stringify(positionals.join(' '))}`);
}

const commands: Record<string, Command> = {
  migrate: {
    summary: 'apply pending database migrations (--check: list them and exit 1 if there are any, changing nothing)',
    usage: 'pledge migrate [--check]',
    options: { check: { type: 'boolean' } },
    async run(config, values) {
      if (values.check) {
        const { pendingMigrations } = await import('./platform/db/pending.ts');
        const { kind, pending } = await withDatabase(config, async (database) => ({ kind: database.kind, pending: await pendingMigrations(database) }), { migrate: false });
        console.log(pending.length === 0 ? `no migrations pending (${kind})` : `${pending.length} migrations pending (${kind}): ${pending.join(', ')}`);
        return pending.length === 0 ? 0 : 1;
      }
      const kind = await withDatabase(config, async (database) => database.kind);
      console.log(`migrations applied (${kind})`);
      return 0;
    },
  },
  seed: {
    summary: 'fill an empty catalogue with the demo products',
    usage: 'pledge seed [--products N]   N extra generated products for load tests (default 0)',
    options: { products: { type: 'string' } },
    async run(config, values) {
      const extraProducts = wholeNumber('products', values.products, 0, 1_000_000) ?? 0;
      const { seedDemoCatalog } = await import('./shop/catalog/seed.ts');
      const { systemClock } = await import('./platform/clock.ts');
      const bar = progressBar('seeding products');
      const result = await withDatabase(config, (database) => seedDemoCatalog({ db: database.db, clock: systemClock }, { extraProducts, onProgress: bar.update }));
      bar.finish(result.seeded ? `seeded ${result.categories} categories and ${result.products} products` : 'the catalogue already has products; nothing seeded');
      return 0;
    },
  },
  serve: {
    summary: 'run the shop (migrates first)',
    usage: 'pledge serve [--seed-if-empty] [--port N]',
    options: { 'seed-if-empty': { type: 'boolean' }, port: { type: 'string' } },
    async run(config, values) {
      const port = wholeNumber('port', values.port, 0, 65535);
      const started = Date.now();
      const effective = port === undefined ? config : loadConfig({ ...process.env, PORT: String(port) });
      const { startShop } = await import('./server.ts');
      const shop = await startShop(effective, { seedIfEmpty: values['seed-if-empty'] === true });
      shop.runtime.log.info({ url: shop.url, startupMs: Date.now() - started, database: shop.runtime.database.kind }, 'Pledge is serving');
      console.log(`${effective.shop.name} is open at ${shop.url}`);
      await new Promise<void>((resolve) => {
        const shutdown = () => {
          process.off('SIGINT', shutdown);
          process.off('SIGTERM', shutdown);
          shop.stop().then(resolve, resolve);
        };
        process.on('SIGINT', shutdown);
        process.on('SIGTERM', shutdown);
      });
      return 0;
    },
  },
  inventory: {
    summary: 'print the data inventory: every personal column, its category, purposes, unit and processors',
    usage: 'pledge inventory [--json]',
    options: { json: { type: 'boolean' } },
    async run(_config, values) {
      await import('./schema.ts'); // every table registers its classification
      const { CATEGORIES, inventoryReport, PROCESSORS, PURPOSES, RETENTION_UNITS } = await import('./privacy/inventory.ts');
      const columns = inventoryReport();
      if (values.json) {
        console.log(JSON.stringify({ purposes: PURPOSES, categories: CATEGORIES, retentionUnits: RETENTION_UNITS, processors: PROCESSORS, columns }, null, 2));
        return 0;
      }
      for (const c of columns) {
        console.log(`${c.column}\n  category:   ${c.category} (${CATEGORIES[c.category].label})\n  purposes:   ${c.purposes.join(', ')}\n  unit:       ${c.unit}\n  kept as:    ${c.protection}\n  processors: ${c.processors.join(', ') || 'none'}`);
      }
      console.log(`\n${columns.length} personal columns; every other column is classified as not personal.`);
      return 0;
    },
  },
  keys: {
    summary: 'manage encryption keys',
    usage: 'pledge keys rotate   re-wrap every data key under a new master key (see README: The pledge command)',
    options: {},
    allowPositionals: true,
    async run(config, _values, positionals) {
      expectSubcommand(positionals, 'rotate');
      const { planRotation, runRotation } = await import('./privacy/vault/rotation.ts');
      const plan = planRotation(config, process.env);
      const bar = progressBar('re-wrapping data keys');
      const done = await withDatabase(config, (database) => runRotation(database.db, plan, (n) => bar.update(n, n)));
      bar.finish(`re-wrapped ${done} data keys under the new master key`);
      return 0;
    },
  },
  staff: {
    summary: 'manage staff accounts',
    usage: `pledge staff create --email ADDRESS --role ROLE [--role ROLE …]   roles: ${STAFF_ROLES.join(', ')}`,
    options: { email: { type: 'string' }, role: { type: 'string', multiple: true } },
    allowPositionals: true,
    async run(config, values, positionals) {
      expectSubcommand(positionals, 'create');
      const { z } = await import('zod');
      const email = z.email().max(254).safeParse(values.email);
      if (!email.success) throw new UsageError('--email must be an e-mail address');
      const roles = (values.role as string[] | undefined) ?? [];
      if (roles.length === 0) throw new UsageError('give at least one --role');
      const unknown = roles.filter((r) => !(STAFF_ROLES as readonly string[]).includes(r));
      if (unknown.length > 0) throw new UsageError(`unknown role ${unknown.join(', ')}; roles are ${STAFF_ROLES.join(', ')}`);
      const { createStaff, StaffError } = await import('./privacy/staff/service.ts');
      const { keyringFrom } = await import('./privacy/vault/service.ts');
      const { loadMasterKey } = await import('./platform/keys.ts');
      const { systemClock } = await import('./platform/clock.ts');
      const keys = keyringFrom(loadMasterKey(config));
      try {
        const { setupToken } = await withDatabase(config, (database) =>
          createStaff({ db: database.db, clock: systemClock, keys }, { email: email.data, roles: [...new Set(roles)] as (typeof STAFF_ROLES)[number][] }),
        );
        console.log(`Staff account created. Send this one-time set-up link to its owner (valid for 24 hours):\n${config.baseUrl}/admin/setup/${setupToken}`);
        return 0;
      } catch (error) {
        if (error instanceof StaffError) {
          console.error(`pledge staff: ${error.message}`);
          return 1;
        }
        throw error;
      }
    },
  },
  audit: {
    summary: 'check the audit trail of staff reads of personal data',
    usage: 'pledge audit verify   check that no audit event was edited, removed or reordered',
    options: {},
    allowPositionals: true,
    async run(config, _values, positionals) {
      expectSubcommand(positionals, 'verify');
      const { verifyAuditChain } = await import('./privacy/audit/service.ts');
      const report = await withDatabase(config, (database) => verifyAuditChain(database.db));
      if (report.ok) {
        console.log(`audit chain intact: ${report.count} events`);
        return 0;
      }
      console.error(`audit chain broken at event ${report.brokenAt}: ${report.reason}`);
      return 1;
    },
  },
  conformance: {
    summary: 'check every clause of the privacy policies against the live database (exit 1 if any fails)',
    usage: 'pledge conformance [--json]',
    options: { json: { type: 'boolean' } },
    async run(config, values) {
      await import('./schema.ts'); // every table registers its classification, which the report checks
      const { openShopRuntime } = await import('./runtime.ts');
      const { conformanceContext, runAsJson, runAsText, runConformance } = await import('./privacy/conformance/service.ts');
      const { retentionCensus } = await import('./privacy/retention/sweep.ts');
      const { retentionContext } = await import('./shop/privacy-center/retention.ts');
      const runtime = await openShopRuntime(config);
      try {
        const run = await runConformance(conformanceContext(runtime, () => retentionCensus(retentionContext(runtime))), 'cli');
        console.log(values.json ? runAsJson(run) : runAsText(run));
        return run.failed === 0 ? 0 : 1;
      } finally {
        await runtime.close();
      }
    },
  },
  retention: {
    summary: 'retention: sweep what is past its maximum (or --dry-run: show what would go and why), or report',
    usage: 'pledge retention sweep [--dry-run] | pledge retention report [--json]',
    options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
    allowPositionals: true,
    async run(config, values, positionals) {
      const sub = positionals[0];
      if (positionals.length !== 1 || (sub !== 'sweep' && sub !== 'report')) {
        throw new UsageError(positionals.length === 0 ? 'name a subcommand: sweep or report' : `unknown subcommand ${JSON.stringify(positionals.join(' '))}`);
      }
      if (sub === 'sweep' && values.json) throw new UsageError('--json goes with report');
      if (sub === 'report' && values['dry-run']) throw new UsageError('--dry-run goes with sweep');
      const { openShopRuntime } = await import('./runtime.ts');
      const { retentionContext } = await import('./shop/privacy-center/retention.ts');
      const { previewSweep, retentionCensus, sweepExpired } = await import('./privacy/retention/sweep.ts');
      const { describeSpan } = await import('./privacy/retention/rules.ts');
      const runtime = await openShopRuntime(config);
      try {
        const ctx = retentionContext(runtime);
        const day = (d: Date | null) => d?.toISOString().slice(0, 10) ?? '-';
        if (sub === 'report') {
          const census = await retentionCensus(ctx);
          if (values.json) {
            console.log(JSON.stringify(census.map((c) => ({ ...c, nextExpiry: c.nextExpiry?.toISOString() ?? null })), null, 2));
            return 0;
          }
          for (const c of census) {
            const min = c.rule.minimum ? describeSpan(c.rule.minimum) : 'none';
            console.log(`${c.kind}: ${c.total} held (kept at least ${min}, at most ${describeSpan(c.rule.maximum!)} after ${c.rule.startsAt})`);
            console.log(`  by age: ${c.byAge.map((b) => `${b.label} ${b.count}`).join(', ')}${c.notStarted > 0 ? `; clock not started ${c.notStarted}` : ''}`);
            console.log(`  past maximum: ${c.overdue}${c.held > 0 ? `, under legal hold ${c.held}` : ''}; next expiry ${day(c.nextExpiry)}`);
          }
          return 0;
        }
        if (values['dry-run']) {
          for (const p of await previewSweep(ctx)) {
            console.log(`${p.kind}: ${p.overdue} would go (${p.why})`);
            for (const e of p.examples) console.log(`  ${e.label}: clock started ${day(e.startedAt)}, due ${day(e.dueAt)}`);
            if (p.overdue > p.examples.length) console.log(`  … and ${p.overdue - p.examples.length} more`);
          }
          console.log('dry run: nothing was changed');
          return 0;
        }
        await runtime.jobs.start({ work: false });
        const total = (await retentionCensus(ctx)).reduce((sum, c) => sum + c.overdue, 0);
        const bar = progressBar('sweeping');
        const kinds = new Set(ctx.rules.map((r) => r.kind as string));
        const result = await sweepExpired(ctx, {
          trigger: 'cli',
          onProgress: ({ counts }) => bar.update(Object.entries(counts).filter(([step]) => kinds.has(step)).reduce((sum, [, n]) => sum + n, 0), total),
        });
        bar.finish(`sweep ${result.sweepId} finished in ${result.batches} batches: ${Object.entries(result.counts).map(([step, n]) => `${step} ${n}`).join(', ')}`);
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
  erasures: {
    summary: 'the erasure journal: export it (ids only) to keep beside backups, or replay it on a restored database',
    usage: 'pledge erasures export --out FILE [--since YYYY-MM-DD] | pledge erasures replay --from FILE',
    options: { out: { type: 'string' }, since: { type: 'string' }, from: { type: 'string' } },
    allowPositionals: true,
    async run(config, values, positionals) {
      const sub = positionals[0];
      if (positionals.length !== 1 || (sub !== 'export' && sub !== 'replay')) {
        throw new UsageError(positionals.length === 0 ? 'name a subcommand: export or replay' : `unknown subcommand ${JSON.stringify(positionals.join(' '))}`);
      }
      const fs = await import('node:fs');
      const { exportJournal, JournalError, parseJournal, replayErasures } = await import('./privacy/retention/replay.ts');
      if (sub === 'export') {
        if (typeof values.out !== 'string') throw new UsageError('export needs --out FILE');
        if (values.from !== undefined) throw new UsageError('--from goes with replay');
        const since = values.since === undefined ? undefined : new Date(`${String(values.since)}T00:00:00Z`);
        if (since && (!/^\d{4}-\d{2}-\d{2}$/.test(String(values.since)) || Number.isNaN(since.getTime()))) throw new UsageError('--since must be a date: YYYY-MM-DD');
        const lines = await withDatabase(config, (database) => exportJournal(database.db, since));
        fs.writeFileSync(values.out, lines, { mode: 0o600 });
        console.log(`${lines === '' ? 0 : lines.trimEnd().split('\n').length} erasures written to ${values.out}`);
        return 0;
      }
      if (typeof values.from !== 'string') throw new UsageError('replay needs --from FILE (made by pledge erasures export)');
      if (values.out !== undefined || values.since !== undefined) throw new UsageError('--out and --since go with export');
      let entries;
      try {
        entries = parseJournal(fs.readFileSync(values.from, 'utf8'));
      } catch (error) {
        if (error instanceof JournalError || (error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') {
          console.error(`pledge erasures: ${values.from}: ${error instanceof JournalError ? error.message : 'cannot be read'}`);
          return 1;
        }
        throw error;
      }
      const { openShopRuntime } = await import('./runtime.ts');
      const { retentionContext } = await import('./shop/privacy-center/retention.ts');
      const runtime = await openShopRuntime(config);
      try {
        await runtime.jobs.start({ work: false });
        const report = await replayErasures(retentionContext(runtime), entries);
        console.log(`${report.entries} journal entries: ${report.alreadyErased} already erased here, ${report.erasedAgain} erased again${Object.keys(report.byKind).length > 0 ? ` (${Object.entries(report.byKind).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`);
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
  backup: {
    summary: 'write an encrypted backup of the database, its erasure journal beside it',
    usage: 'pledge backup [--out FILE]   FILE defaults to a new file in PLEDGE_BACKUP_DIR; FILE.erasures.jsonl is written beside it',
    options: { out: { type: 'string' } },
    async run(config, values) {
      const { backupKey, newBackupFile, takeBackup } = await import('./privacy/backups/service.ts');
      const { loadMasterKey } = await import('./platform/keys.ts');
      const { systemClock } = await import('./platform/clock.ts');
      if (typeof values.out !== 'string' && !config.backupDir) throw new UsageError('give --out FILE, or set PLEDGE_BACKUP_DIR');
      const out = typeof values.out === 'string' ? values.out : newBackupFile(config.backupDir!, systemClock.now());
      const key = backupKey(config, loadMasterKey(config));
      const header = await withDatabase(config, (database) => takeBackup({ database, databaseUrl: config.databaseUrl, clock: systemClock, key }, out));
      console.log(`backup of the ${header.engine} database as of ${header.takenAt} written to ${out}, encrypted under ${header.key}; its erasure journal is ${out}.erasures.jsonl`);
      return 0;
    },
  },
  restore: {
    summary: 'restore a backup, then erase again everyone erased since it was taken (the shop answers 503 until then)',
    usage: 'pledge restore --from FILE [--journal FILE …]   journals from `pledge erasures export` on the live shop; FILE.erasures.jsonl and the database being replaced are read too',
    options: { from: { type: 'string' }, journal: { type: 'string', multiple: true } },
    async run(config, values) {
      if (typeof values.from !== 'string') throw new UsageError('give --from FILE (made by pledge backup)');
      const { restoreBackup } = await import('./privacy/backups/service.ts');
      const { replayErasures } = await import('./privacy/retention/replay.ts');
      const { loadMasterKey } = await import('./platform/keys.ts');
      const { systemClock } = await import('./platform/clock.ts');
      const { openShopRuntime } = await import('./runtime.ts');
      const { retentionContext } = await import('./shop/privacy-center/retention.ts');
      const restored = await restoreBackup(config, loadMasterKey(config), systemClock, values.from, { journals: (values.journal as string[] | undefined) ?? [] });
      console.log(`restored the backup as of ${restored.header.takenAt}; the shop answers 503 until its erasures are replayed`);
      const runtime = await openShopRuntime(config, { database: restored.database });
      try {
        await runtime.jobs.start({ work: false });
        const report = await replayErasures(retentionContext(runtime), restored.entries);
        await restored.finish();
        console.log(`${report.entries} erasures since the backup (from ${restored.sources.join(', ')}): ${report.erasedAgain} erased again, ${report.restrictedAgain} restricted again, ${report.alreadyErased} already gone; the shop may serve again`);
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
  dsr: {
    summary: 'data-subject requests: list the queue, show one, run an erasure or a confirmed minor’s case',
    usage: 'pledge dsr list [--open] | pledge dsr show ID | pledge dsr run ID',
    options: { open: { type: 'boolean' } },
    allowPositionals: true,
    async run(config, values, positionals) {
      const [sub, id, ...extra] = positionals;
      if (extra.length > 0 || !['list', 'show', 'run'].includes(sub ?? '') || (sub === 'list') !== (id === undefined)) {
        throw new UsageError(positionals.length === 0 ? 'name a subcommand' : `unknown subcommand ${JSON.stringify(positionals.join(' '))}`);
      }
      const { z } = await import('zod');
      if (id !== undefined && !z.uuid().safeParse(id).success) throw new UsageError('ID must be a request id (a UUID)');
      const { openShopRuntime } = await import('./runtime.ts');
      const { findRequest, requestQueue } = await import('./privacy/requests/service.ts');
      const { requestSla } = await import('./privacy/requests/sla.ts');
      const runtime = await openShopRuntime(config);
      const requests = { db: runtime.database.db, clock: runtime.clock, sla: requestSla(config.dsr) };
      try {
        const day = (at: Date | null) => at?.toISOString().slice(0, 10) ?? '-';
        if (sub === 'list') {
          const queue = await requestQueue(requests, { open: values.open === true });
          for (const r of queue) console.log(`${r.id}  ${r.kind.padEnd(8)} ${r.status.padEnd(22)} received ${day(r.receivedAt)}  due ${day(r.dueAt)}  ${r.completedAt ? 'done' : `${r.daysLeft} business days left`}  ${r.urgency}`);
          console.log(`${queue.length} requests`);
          return 0;
        }
        const found = await findRequest(requests, id!);
        if (!found) {
          console.error(`pledge dsr: no request ${id}`);
          return 1;
        }
        if (sub === 'show') {
          const { customerId, emailIndex, codeHash, ...shown } = found;
          console.log(JSON.stringify({ ...shown, subject: customerId ? 'account' : emailIndex ? 'guest address' : 'forgotten', codeSent: codeHash !== null }, null, 2));
          return 0;
        }
        await runtime.jobs.start({ work: false });
        const { privacyCenterContext, runRequest } = await import('./shop/privacy-center/service.ts');
        const result = await runRequest(privacyCenterContext(runtime), id!, null);
        if (!result.ok) {
          console.error(`pledge dsr: ${result.message}`);
          return 1;
        }
        console.log(`request ${id} run: ${JSON.stringify((await findRequest(requests, id!))!.outcome)}`);
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
  incident: {
    summary: 'the incident register: list incidents with their 72-hour clock, show one with its trail; open one, move it on, find its affected subjects, send the notices',
    usage: [
      'pledge incident list | pledge incident show ID',
      '  | pledge incident open --summary TEXT --consequences TEXT --column TABLE.COLUMN … [--processor NAME …] [--staff ID …] [--zone ZONE] --from YYYY-MM-DDTHH:MM --until YYYY-MM-DDTHH:MM --discovered YYYY-MM-DDTHH:MM',
      '  | pledge incident step ID --to contained|notified|closed --note TEXT | pledge incident affected ID | pledge incident notify ID',
    ].join('\n'),
    options: {
      summary: { type: 'string' },
      consequences: { type: 'string' },
      column: { type: 'string', multiple: true },
      processor: { type: 'string', multiple: true },
      staff: { type: 'string', multiple: true },
      zone: { type: 'string' },
      from: { type: 'string' },
      until: { type: 'string' },
      discovered: { type: 'string' },
      to: { type: 'string' },
      note: { type: 'string' },
    },
    allowPositionals: true,
    async run(config, values, positionals) {
      const [sub, id, ...extra] = positionals;
      // Each subcommand's options; the form's field each one fills, for its error messages.
      const flags: Record<string, Record<string, string>> = {
        list: {},
        show: {},
        affected: {},
        notify: {},
        open: { summary: 'summary', consequences: 'consequences', column: 'columns', processor: 'processors', staff: 'staffIds', zone: 'zone', from: 'windowStart', until: 'windowEnd', discovered: 'discoveredAt' },
        step: { to: 'to', note: 'note' },
      };
      const own = sub === undefined ? undefined : flags[sub];
      if (extra.length > 0 || !own || (sub === 'list' || sub === 'open') !== (id === undefined)) {
        throw new UsageError(positionals.length === 0 ? 'name a subcommand' : `unknown subcommand ${JSON.stringify(positionals.join(' '))}`);
      }
      const stray = Object.keys(values).find((flag) => flag !== 'help' && values[flag] !== undefined && !(flag in own));
      if (stray) throw new UsageError(`--${stray} goes with ${Object.keys(flags).find((s) => stray in flags[s]!)}`);
      const { z } = await import('zod');
      if (id !== undefined && !z.uuid().safeParse(id).success) throw new UsageError('ID must be an incident id (a UUID)');
      const { openShopRuntime } = await import('./runtime.ts');
      const incidents = await import('./privacy/incidents/service.ts');
      const { clockWords } = await import('./privacy/incidents/views.ts');
      const runtime = await openShopRuntime(config);
      const { db } = runtime.database;
      const ctx = { db, clock: runtime.clock };
      /** A refused form: its messages under the flags that fill the fields (exit 2), or what the incident cannot do (exit 1). */
      const flagOf = (field: string) => Object.keys(own).find((flag) => own[flag] === field);
      /** The subcommand's form, each field filled from its flag. */
      const fields = () => Object.fromEntries(Object.entries(own).map(([flag, field]) => [field, values[flag]]));
      const refused = (outcome: { status: number; errors: Record<string, string>; message?: string | undefined }): number => {
        const byFlag = Object.entries(outcome.errors).map(([field, message]) => `${flagOf(field) ? `--${flagOf(field)}` : field}: ${message}`);
        if (outcome.status === 400) throw new UsageError(byFlag.join('; '));
        console.error(`pledge incident: ${outcome.message ?? byFlag.join('; ')}`);
        return 1;
      };
      const missing = () => {
        console.error(`pledge incident: no incident ${id}`);
        return 1;
      };
      try {
        const now = runtime.clock.now();
        if (sub === 'list') {
          const all = await incidents.listIncidents(db);
          for (const i of all) console.log(`${i.id}  ${i.state.padEnd(9)} discovered ${incidents.inZone(i.discoveredAt, i.zone)}  notify by ${incidents.inZone(i.notifyBy, i.zone)}  ${clockWords(i, now)}`);
          console.log(`${all.length} incidents`);
          return 0;
        }
        if (sub === 'open') {
          const opened = await incidents.openIncident(ctx, null, { ...fields(), zone: values.zone ?? 'UTC' });
          if (!opened.ok) return refused(opened);
          console.log(`incident ${opened.value.id} opened in triage; notify the regulator by ${incidents.inZone(opened.value.notifyBy, opened.value.zone)}`);
          return 0;
        }
        const incident = await incidents.findIncident(db, id!);
        if (!incident) return missing();
        if (sub === 'step') {
          const moved = await incidents.advanceIncident(ctx, incident.id, null, fields());
          if (!moved.ok) return refused(moved);
          console.log(`incident ${incident.id} is ${moved.value}`);
          return 0;
        }
        if (sub === 'affected') {
          const found = (await incidents.recordAffected(ctx, incident.id, null))!;
          console.log(`${found.units.length} subjects found`);
          for (const [category, c] of Object.entries(found.counts)) console.log(`  ${incidents.categoryLabel(category)}: ${c.subjects} subjects, ${c.records} records`);
          return 0;
        }
        if (sub === 'notify') {
          await runtime.jobs.start({ work: false });
          const { recipientOf } = await import('./shop/backoffice/recipients.ts');
          const { shopContext } = await import('./shop/context.ts');
          const run = await incidents.sendNotices(incidents.noticeContext(ctx, runtime), recipientOf(shopContext(runtime)), incident.id, null);
          if (!run) {
            console.error(`pledge incident: find the affected subjects first (pledge incident affected ${incident.id})`);
            return 1;
          }
          console.log(`${run.sent} customers written to; ${run.alreadyNotified} records notified before; ${run.unreachable} with no address left`);
          return 0;
        }
        const notices = await incidents.noticesOf(db, incident.id);
        const steps = (await incidents.stepsOf(db, incident.id)).map(({ step, at, staffId, note }) => ({ step, at, by: staffId ?? 'operator', note }));
        const { affectedUnits, ...shown } = incident;
        console.log(JSON.stringify({ ...shown, clock: clockWords(incident, now), affectedSubjects: affectedUnits?.length ?? null, customersWritten: notices.filter((n) => n.outboxId).length, steps }, null, 2));
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: pledge <command> [options]\n\ncommands:\n${lines.join('\n')}\n\npledge <command> --help shows a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`pledge: unknown command ${JSON.stringify(name)}\n${usage()}`);
    return 2;
  }
  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: command.allowPositionals === true });
    values = parsed.values as Values;
    positionals = parsed.positionals;
  } catch (error) {
    console.error(`pledge ${name}: ${(error as Error).message}\nusage: ${command.usage}`);
    return 2;
  }
  if (values.help) {
    console.log(`usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    return await command.run(loadConfig(), values, positionals);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`pledge: ${error.message}`);
      return 2;
    }
    if (error instanceof UsageError) {
      console.error(`pledge ${name}: ${error.message}\nusage: ${command.usage}`);
      return 2;
    }
    console.error(`pledge ${name}: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  fasterImports();
  process.exitCode = await main(process.argv.slice(2));
}
