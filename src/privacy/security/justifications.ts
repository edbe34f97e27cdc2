import { and, isNull, sql } from 'drizzle-orm';
import { anyOf, queryRows, type Executor } from '../../platform/db/index.ts';
import type { auditEvents } from '../audit/schema.ts';
import { incidents } from '../incidents/schema.ts';
import { legalHolds } from '../retention/schema.ts';

// What explains a staff read of someone's data: a ticket being answered, an order being shipped, a privacy request
// being handled. The engine knows its own reasons (an incident the subject is affected by, a legal hold); the shop
// registers a look-up for its records at start, as it registers its retention units. A read no look-up explains
// is what the "reads without a matching record" rule counts.

export type AuditedRead = Pick<typeof auditEvents.$inferSelect, 'id' | 'at' | 'staffId' | 'staffRoles' | 'subjectUnitId' | 'subjectKind' | 'fields' | 'purpose'>;

export type Justification = {
  name: string;
  /** What it looks for, in the reasoning's words ("a ticket, a paid order, a return or a privacy request"). */
  label: string;
  /** The ids of those of `reads` one of its records explains, each existing by the time of the read. */
  justified(db: Executor, reads: readonly AuditedRead[]): Promise<ReadonlySet<number>>;
};

/**
 * The ids of the reads that a reason of their unit explains: one there by the time of the read, and, when `fits` is
 * given, fitting the read otherwise (its purpose). Reasons are grouped by unit first: there may be many of both.
 */
export function explainedBy<R extends { unitId: string; at: Date }>(reads: readonly AuditedRead[], reasons: readonly R[], fits: (reason: R, read: AuditedRead) => boolean = () => true): Set<number> {
  const byUnit = Map.groupBy(reasons, (r) => r.unitId);
  return new Set(reads.filter((read) => (byUnit.get(read.subjectUnitId) ?? []).some((x) => x.at <= read.at && fits(x, read))).map((r) => r.id));
}

/** The privacy officer's reads for the legal obligation of a unit on an incident's affected list, or under a hold. */
const ENGINE_REASONS: Justification = {
  name: 'incidents and holds',
  label: 'an incident or a legal hold',
  async justified(db, reads) {
    const legal = reads.filter((r) => r.purpose === 'legal_obligation');
    if (legal.length === 0) return new Set();
    const units = [...new Set(legal.map((r) => r.subjectUnitId))];
    const affected = await queryRows<{ unit_id: string; at: string | Date }>(
      db,
      sql`select u.unit_id::text as unit_id, ${incidents.affectedAt} as at from ${incidents} cross join lateral unnest(${incidents.affectedUnits}) as u(unit_id)
          where ${anyOf(sql`u.unit_id`, units, 'uuid')}`,
    );
    const held = await db.select({ unitId: legalHolds.unitId, at: legalHolds.placedAt }).from(legalHolds).where(and(anyOf(legalHolds.unitId, units, 'uuid'), isNull(legalHolds.releasedAt)));
    const reasons = [...affected.map((a) => ({ unitId: a.unit_id, at: new Date(a.at) })), ...held];
    return explainedBy(legal, reasons);
  },
};

const registry = new Map<string, Justification>();

/** Called by the shop when it starts; registering a name again replaces it (several runtimes in one process). */
export function registerJustification(justification: Justification): void {
  registry.set(justification.name, justification);
}

export function justifications(): Justification[] {
  return [ENGINE_REASONS, ...registry.values()];
}

/** The reads no registered look-up explains. */
export async function unexplained(db: Executor, reads: readonly AuditedRead[]): Promise<AuditedRead[]> {
  if (reads.length === 0) return [];
  const explained = new Set<number>();
  for (const justification of justifications()) for (const id of await justification.justified(db, reads)) explained.add(id);
  return reads.filter((r) => !explained.has(r.id));
}
