import { eq, sql, type SQL } from 'drizzle-orm';
import type { MailContext } from '../../platform/mail/service.ts';
import { inTransaction, queryRows, type Executor, type Tx } from '../../platform/db/index.ts';
import type { RetentionUnitKind } from '../inventory.ts';
import { shredExpiredRestrictions } from '../units.ts';
import type { VaultContext } from '../vault/service.ts';
import { underHold } from './holds.ts';
import { addSpan, describeSpan, type RetentionRule } from './rules.ts';
import { retentionSweeps, type SweepCounts } from './schema.ts';

// The retention sweep: every unit kind tells the engine where its units' clocks start (as SQL, so "which are past
// their maximum" is one indexed query and counts for the report are another), and how to expire a batch of them.
// The engine runs the batches, each in its own transaction with its progress, so a sweep interrupted by a crash
// loses at most the batch in flight, and the next sweep simply finds what is still due.

/** The vault, the outbox (warnings go by e-mail), the rules in force, and where prepared copies of data are kept. */
export type RetentionContext = VaultContext & MailContext & { rules: readonly RetentionRule[]; baseUrl: string; shopName: string; exportDir: string };

/** One unit the sweep may expire: the row to act on and the unit's key id (the row's own id for analytics rows). */
export type DueRow = { rowId: string; unitId: string | null };

export type RetentionClock = {
  kind: RetentionUnitKind;
  /** The rows still holding the units' personal data, e.g. sql`"order" o join unit_key k on k.unit_id = o.unit_id`. */
  from: SQL;
  /** When a unit's clock started; null while it has not (an open ticket, an e-mail not yet sent). */
  startedAt: SQL;
  /** The expression giving the unit id, for legal holds and replayed erasures; null for rows of no unit (analytics). */
  unitId: SQL | null;
  rowId: SQL;
  /** How a due unit is named in a dry run ("order P100001"); must not be personal data. */
  label: SQL;
  /** Rows per batch when expiring one is cheap (analytics rows, e-mails); the sweep's batch size otherwise. */
  batchSize?: number;
  /** A further condition for expiry at `now` (accounts: warned at least 30 days before). */
  dueAlso?: (now: Date) => SQL;
  /** Expires the rows in `ctx.db` (the batch's transaction); returns how many units went. */
  expire(ctx: VaultContext & { db: Tx }, rows: readonly DueRow[], reason: string): Promise<number>;
  /** Sends warnings ahead of expiry (inactive accounts); returns how many went out. */
  warn?(ctx: RetentionContext, rule: RetentionRule & { maximum: NonNullable<RetentionRule['maximum']> }): Promise<number>;
};

/** Derived copies with a lifetime of their own: sessions, sign-in links, passes, prepared copies of data. */
export type DerivedCopy = {
  name: string;
  /** In the customer's words, for the report and the policy page. */
  label: string;
  /** Deletes every copy past its lifetime at `ctx.clock.now()`; returns how many. */
  purge(ctx: RetentionContext): Promise<number>;
};

const clocks = new Map<RetentionUnitKind, RetentionClock>();
const copies = new Map<string, DerivedCopy>();

/** Called by the shop at start, beside `registerUnitKind`; registering again replaces (several runtimes per process). */
export function registerRetentionClock(clock: RetentionClock): void {
  clocks.set(clock.kind, clock);
}

export function retentionClockOf(kind: RetentionUnitKind): RetentionClock | undefined {
  return clocks.get(kind);
}

export function registerDerivedCopy(copy: DerivedCopy): void {
  copies.set(copy.name, copy);
}

export function derivedCopies(): DerivedCopy[] {
  return [...copies.values()];
}

/** The reason journalled for every key the sweep shreds; the conformance report tells it from erasure requests. */
export const SWEEP_REASON = 'retention maximum reached';

type Swept = { clock: RetentionClock; rule: RetentionRule & { maximum: NonNullable<RetentionRule['maximum']> } };

function sweptKinds(rules: readonly RetentionRule[]): Swept[] {
  return rules.flatMap((rule) => {
    const clock = clocks.get(rule.kind);
    return clock && rule.maximum ? [{ clock, rule: { ...rule, maximum: rule.maximum } }] : [];
  });
}

function dueCondition(clock: RetentionClock, cutoff: Date, now: Date): SQL {
  const parts = [sql`(${clock.startedAt}) <= ${cutoff.toISOString()}::timestamptz`];
  if (clock.unitId) parts.push(sql`not ${underHold(clock.unitId)}`);
  if (clock.dueAlso) parts.push(clock.dueAlso(now));
  return sql.join(parts, sql` and `);
}

async function dueRows(db: Executor, clock: RetentionClock, cutoff: Date, now: Date, limit: number): Promise<(DueRow & { label: string; startedAt: Date })[]> {
  const rows = await queryRows<{ row_id: string; unit_id: string | null; label: string; started_at: string | Date }>(
    db,
    sql`select (${clock.rowId})::text as row_id, ${clock.unitId ?? sql`null`}::text as unit_id, (${clock.label}) as label, (${clock.startedAt}) as started_at
        from ${clock.from} where ${dueCondition(clock, cutoff, now)}
        order by 4 limit ${limit}`,
  );
  return rows.map((r) => ({ rowId: r.row_id, unitId: r.unit_id, label: r.label, startedAt: new Date(r.started_at) }));
}

// ── census and report ────────────────────────────────────────────────────────────────────────────────────────────

export const AGE_BANDS = [
  { label: 'under 30 days', back: { amount: 30, unit: 'days' } },
  { label: '30 days to 1 year', back: { amount: 1, unit: 'years' } },
  { label: '1 to 2 years', back: { amount: 2, unit: 'years' } },
  { label: '2 to 3 years', back: { amount: 3, unit: 'years' } },
] as const;
export const OLDEST_BAND = 'over 3 years';

export type KindCensus = {
  kind: RetentionUnitKind;
  rule: RetentionRule;
  /** Units still holding personal data. */
  total: number;
  /** Of those, units whose clock has not started yet (open tickets, unsent e-mails). */
  notStarted: number;
  /** By how long ago their clock started: the bands of AGE_BANDS, then OLDEST_BAND. */
  byAge: { label: string; count: number }[];
  /** Past their maximum and not under a legal hold: what the next sweep takes (0 after a sweep). */
  overdue: number;
  /** Past their maximum but kept under a legal hold. */
  held: number;
  /** When the next unit not yet due reaches its maximum; null if none is waiting. */
  nextExpiry: Date | null;
};

/** Every swept unit kind with counts by age, overdue and held units and the next expiry: `pledge retention report`. */
export async function retentionCensus(ctx: RetentionContext): Promise<KindCensus[]> {
  const now = ctx.clock.now();
  const result: KindCensus[] = [];
  for (const { clock, rule } of sweptKinds(ctx.rules)) {
    const cutoff = addSpan(now, rule.maximum, -1);
    const started = sql`(${clock.startedAt})`;
    // Each band counts the clocks started after its far edge and not after its near one (the previous band's edge).
    const edges = AGE_BANDS.map((band) => addSpan(now, band.back, -1).toISOString());
    const bands = edges.map((edge, i) =>
      i === 0
        ? sql`count(*) filter (where ${started} > ${edge}::timestamptz)::int`
        : sql`count(*) filter (where ${started} > ${edge}::timestamptz and ${started} <= ${edges[i - 1]}::timestamptz)::int`,
    );
    const held = clock.unitId ? sql`count(*) filter (where ${started} <= ${cutoff.toISOString()}::timestamptz and ${underHold(clock.unitId)})::int` : sql`0`;
    const [row] = await queryRows<{ total: number; started: number; bands: number[]; overdue: number; held: number; next_start: string | Date | null }>(
      ctx.db,
      sql`select count(*)::int as total, count(${started})::int as started, array[${sql.join(bands, sql`, `)}] as bands,
            count(*) filter (where ${dueCondition(clock, cutoff, now)})::int as overdue, ${held} as held,
            min(${started}) filter (where ${started} > ${cutoff.toISOString()}::timestamptz) as next_start
          from ${clock.from}`,
    );
    const bandCounts = row!.bands.map(Number);
    const total = Number(row!.total);
    const running = Number(row!.started);
    result.push({
      kind: rule.kind,
      rule,
      total,
      notStarted: total - running,
      byAge: [...AGE_BANDS.map((band, i) => ({ label: band.label, count: bandCounts[i]! })), { label: OLDEST_BAND, count: running - bandCounts.reduce((a, b) => a + b, 0) }],
      overdue: Number(row!.overdue),
      held: Number(row!.held),
      nextExpiry: row!.next_start ? addSpan(new Date(row!.next_start as string), rule.maximum) : null,
    });
  }
  return result;
}

// ── dry run ──────────────────────────────────────────────────────────────────────────────────────────────────────

export type DuePreview = { kind: RetentionUnitKind; overdue: number; examples: { label: string; startedAt: Date; dueAt: Date }[]; why: string };

/** What a sweep would take now and why, without changing anything: `pledge retention sweep --dry-run`. */
export async function previewSweep(ctx: RetentionContext, examplesPerKind = 10): Promise<DuePreview[]> {
  const now = ctx.clock.now();
  const census = await retentionCensus(ctx);
  const previews: DuePreview[] = [];
  for (const { clock, rule } of sweptKinds(ctx.rules)) {
    const rows = await dueRows(ctx.db, clock, addSpan(now, rule.maximum, -1), now, examplesPerKind);
    previews.push({
      kind: rule.kind,
      overdue: census.find((c) => c.kind === rule.kind)!.overdue,
      examples: rows.map((r) => ({ label: r.label, startedAt: r.startedAt, dueAt: addSpan(r.startedAt, rule.maximum) })),
      why: `kept at most ${describeSpan(rule.maximum)} after ${rule.startsAt}; then ${rule.atMaximum}`,
    });
  }
  return previews;
}

// ── the sweep ────────────────────────────────────────────────────────────────────────────────────────────────────

export const RETENTION_SWEEP_JOB = 'retention-sweep';

export type SweepProgress = { step: string; counts: SweepCounts };
export type SweepResult = { sweepId: number; counts: SweepCounts; batches: number };

// Batches of concurrent sweeps (the daily job and a CLI run) take turns on this lock, so no unit is expired twice.
const SWEEP_LOCK = 0x706c6467;

/**
 * Expires everything past its maximum, in batches: restricted units whose legal term ended, inactive accounts
 * (after their warning), then each kind's units, then derived copies. Safe to interrupt and to run again.
 */
export async function sweepExpired(
  ctx: RetentionContext,
  options: { trigger: 'schedule' | 'cli'; batchSize?: number; onProgress?: (progress: SweepProgress) => void },
): Promise<SweepResult> {
  const batchSize = options.batchSize ?? 1000;
  const counts: SweepCounts = {};
  const [run] = await ctx.db.insert(retentionSweeps).values({ trigger: options.trigger, status: 'running', startedAt: ctx.clock.now(), counts }).returning({ id: retentionSweeps.id });
  const sweepId = run!.id;
  let batches = 0;
  const record = async (db: Executor, step: string, n: number) => {
    counts[step] = (counts[step] ?? 0) + n;
    batches++;
    await db.update(retentionSweeps).set({ counts, batches }).where(eq(retentionSweeps.id, sweepId));
    options.onProgress?.({ step, counts: { ...counts } });
  };
  try {
    await record(ctx.db, 'restrictions ended', await shredExpiredRestrictions(ctx));
    for (const { clock, rule } of sweptKinds(ctx.rules)) {
      if (clock.warn) await record(ctx.db, `${rule.kind} warned`, await clock.warn(ctx, rule));
      const size = clock.batchSize ?? batchSize;
      for (;;) {
        const done = await inTransaction(ctx.db, async (tx) => {
          await tx.execute(sql`select pg_advisory_xact_lock(${SWEEP_LOCK})`);
          const now = ctx.clock.now();
          const rows = await dueRows(tx, clock, addSpan(now, rule.maximum, -1), now, size);
          const expired = rows.length === 0 ? 0 : await clock.expire({ ...ctx, db: tx }, rows, SWEEP_REASON);
          await record(tx, rule.kind, expired);
          return rows.length < size;
        });
        if (done) break;
      }
    }
    for (const copy of copies.values()) await record(ctx.db, copy.name, await copy.purge(ctx));
    await ctx.db.update(retentionSweeps).set({ status: 'finished', finishedAt: ctx.clock.now() }).where(eq(retentionSweeps.id, sweepId));
    return { sweepId, counts, batches };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const summary = `${(error as Error).name ?? 'Error'}${typeof code === 'string' ? ` ${code}` : ''}`;
    await ctx.db.update(retentionSweeps).set({ status: 'failed', finishedAt: ctx.clock.now(), error: summary }).where(eq(retentionSweeps.id, sweepId));
    throw error;
  }
}

export async function recentSweeps(db: Executor, limit = 20) {
  return db.select().from(retentionSweeps).orderBy(sql`${retentionSweeps.startedAt} desc`).limit(limit);
}
