import { desc } from 'drizzle-orm';
import type { Platform } from '../../platform/http/app.ts';
import type { Executor } from '../../platform/db/index.ts';
import { liveFacts } from '../policy/facts.ts';
import { requestSla } from '../requests/sla.ts';
import { retentionRules } from '../retention/rules.ts';
import type { KindCensus } from '../retention/sweep.ts';
import { keyringFrom } from '../vault/service.ts';
import { CHECKS, type ConformanceContext, type Finding } from './checks.ts';
import { conformanceRuns, type ClauseResult, type ConformanceTrigger } from './schema.ts';

// Running the conformance report: every check against the live database, one after another, and the run saved
// with its results so the back office can show how the shop has kept its promises over time.

export type ConformanceRun = typeof conformanceRuns.$inferSelect;

/** `census`: the retention engine's census over the shop's clocks, handed in by the shop (the engine never imports it). */
export function conformanceContext(platform: Pick<Platform, 'config' | 'database' | 'clock' | 'masterKey'>, census: () => Promise<KindCensus[]>): ConformanceContext {
  const { config, database, clock, masterKey } = platform;
  return {
    db: database.db,
    clock,
    keys: keyringFrom(masterKey),
    rules: retentionRules(config.retention),
    contact: { email: config.shop.contactEmail, phone: config.shop.contactPhone },
    production: config.env === 'production',
    sla: requestSla(config.dsr),
    baseUrl: config.baseUrl,
    facts: liveFacts(config, config.policyNoticeDays),
    census,
  };
}

/** A check that throws fails its clause; the evidence names the error's code, never its message (it may quote data). */
async function runCheck(ctx: ConformanceContext, check: (typeof CHECKS)[number]): Promise<Finding> {
  try {
    return await check.run(ctx);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { passed: false, evidence: [`the check could not run (${typeof code === 'string' ? code : error instanceof Error ? error.name : 'error'})`] };
  }
}

/** Runs every check and saves the run. */
export async function runConformance(ctx: ConformanceContext, trigger: ConformanceTrigger): Promise<ConformanceRun> {
  const results: ClauseResult[] = [];
  for (const check of CHECKS) results.push({ clause: check.clause, topic: check.topic, promise: check.promise, ...(await runCheck(ctx, check)) });
  const passed = results.filter((r) => r.passed).length;
  const [run] = await ctx.db.insert(conformanceRuns).values({ ranAt: ctx.clock.now(), trigger, passed, failed: results.length - passed, results }).returning();
  return run!;
}

/** The newest runs first (in the order they were made, whatever a test's clock said). */
export async function recentRuns(db: Executor, limit = 30): Promise<ConformanceRun[]> {
  return db.select().from(conformanceRuns).orderBy(desc(conformanceRuns.id)).limit(limit);
}

/** The clause ids that failed in a run, each once. */
export function failingClauses(run: Pick<ConformanceRun, 'results'>): string[] {
  return [...new Set(run.results.filter((r) => !r.passed).map((r) => r.clause))];
}

/** The run as text for the terminal: a line per clause, its evidence beneath. */
export function runAsText(run: ConformanceRun): string {
  const lines = run.results.flatMap((r) => [`${r.clause.padEnd(8)} ${r.passed ? 'pass' : 'FAIL'}  ${r.topic}: ${r.promise}`, ...r.evidence.map((e) => `${' '.repeat(15)}- ${e}`)]);
  const verdict = run.failed === 0 ? `all ${run.results.length} clauses pass` : `${run.failed} of ${run.results.length} clauses FAIL: ${failingClauses(run).join(', ')}`;
  return `${lines.join('\n')}\n\n${verdict} (run ${run.id}, ${run.ranAt.toISOString()})`;
}

export function runAsJson(run: ConformanceRun): string {
  // jsonb keeps keys in its own order; the clause comes first for a reader.
  const results = run.results.map(({ clause, topic, passed, promise, evidence }) => ({ clause, topic, passed, promise, evidence }));
  return JSON.stringify({ run: run.id, ranAt: run.ranAt.toISOString(), trigger: run.trigger, passed: run.passed, failed: run.failed, results }, null, 2);
}
