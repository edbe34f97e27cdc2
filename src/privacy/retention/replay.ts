import { and, asc, eq, gte, inArray, notExists, sql } from 'drizzle-orm';
import { z } from 'zod';
import { inTransaction, queryRows, type Executor } from '../../platform/db/index.ts';
import { RETENTION_UNITS, type RetentionUnitKind } from '../inventory.ts';
import { unitRestrictions } from '../requests/schema.ts';
import { eraseUnits, RESTRICTED_PREFIX, type HeldUnit } from '../units.ts';
import { erasureJournal, unitKeys } from '../vault/schema.ts';
import { shred } from '../vault/service.ts';
import { retentionClockOf, type RetentionContext } from './sweep.ts';

// Backups and erasure (DESIGN.md §3): a backup taken before someone was erased still holds their key and rows.
// The erasure journal (unit and key ids, nothing personal) is exported as JSON lines and kept apart from the
// backups; after a restore, replaying it erases again every unit the restored database still holds.

export const JournalEntry = z.object({
  unitId: z.uuid(),
  unitKind: z.string().min(1).max(40),
  keyId: z.uuid(),
  reason: z.string().max(200),
  erasedAt: z.iso.datetime({ offset: true }),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

/** The journal as JSON lines, oldest first; `since` limits it to erasures at or after that instant. */
export async function exportJournal(db: Executor, since?: Date): Promise<string> {
  const rows = await db.select().from(erasureJournal).where(since ? gte(erasureJournal.erasedAt, since) : undefined).orderBy(asc(erasureJournal.id));
  return rows.map((r) => JSON.stringify({ unitId: r.unitId, unitKind: r.unitKind, keyId: r.keyId, reason: r.reason, erasedAt: r.erasedAt.toISOString() }) + '\n').join('');
}

export class JournalError extends Error {}

/** Reads exported JSON lines; a malformed line is refused with its number, before anything is changed. */
export function parseJournal(text: string): JournalEntry[] {
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new JournalError(`line ${i + 1} is not JSON`);
    }
    const parsed = JournalEntry.safeParse(value);
    if (!parsed.success) throw new JournalError(`line ${i + 1} is not an erasure-journal entry (${parsed.error.issues[0]!.path.join('.') || 'entry'}: ${parsed.error.issues[0]!.message})`);
    return [parsed.data];
  });
}

export type ReplayReport = { entries: number; alreadyErased: number; erasedAgain: number; restrictedAgain: number; byKind: Record<string, number> };

const REPLAYED = 'erasure replayed after a restore';
const inList = (ids: readonly string[]) => sql.join(ids.map((u) => sql`${u}::uuid`), sql`, `);

/**
 * Erases again every journalled unit whose key the database still holds: its rows the way the sweep expires that
 * kind (accounts and tickets deleted, orders made anonymous), then its key; a unit that was restricted (an order
 * inside its legal term) is cut off from its subject and restricted again instead. Running it twice changes nothing.
 */
export async function replayErasures(ctx: RetentionContext, entries: readonly JournalEntry[], batchSize = 500): Promise<ReplayReport> {
  const report: ReplayReport = { entries: entries.length, alreadyErased: 0, erasedAgain: 0, restrictedAgain: 0, byKind: {} };
  const erasedIds = new Set(entries.filter((e) => !e.reason.startsWith(RESTRICTED_PREFIX)).map((e) => e.unitId));
  // A unit restricted and later shredded (its term ended) is replayed as shredded.
  const restricted = entries.filter((e) => e.reason.startsWith(RESTRICTED_PREFIX) && !erasedIds.has(e.unitId));
  const erased = entries.filter((e) => erasedIds.has(e.unitId) && !e.reason.startsWith(RESTRICTED_PREFIX));
  report.alreadyErased += entries.length - restricted.length - erased.length;
  for (let i = 0; i < restricted.length; i += batchSize) {
    const batch = restricted.slice(i, i + batchSize);
    await inTransaction(ctx.db, async (tx) => {
      const present = await tx
        .select({ unitId: unitKeys.unitId, unitKind: unitKeys.unitKind })
        .from(unitKeys)
        .where(and(inArray(unitKeys.unitId, batch.map((e) => e.unitId)), notExists(tx.select().from(unitRestrictions).where(eq(unitRestrictions.unitId, unitKeys.unitId)))));
      report.alreadyErased += batch.length - present.length;
      const units: HeldUnit[] = [];
      for (const kind of new Set(present.map((p) => p.unitKind))) {
        const clock = kind in RETENTION_UNITS ? retentionClockOf(kind as RetentionUnitKind) : undefined;
        if (!clock?.unitId) continue;
        const rows = await queryRows<{ row_id: string; unit_id: string }>(tx, sql`select (${clock.rowId})::text as row_id, (${clock.unitId})::text as unit_id from ${clock.from} where (${clock.unitId}) in (${inList(present.filter((p) => p.unitKind === kind).map((p) => p.unitId))})`);
        units.push(...rows.map((r) => ({ kind: kind as RetentionUnitKind, unitId: r.unit_id, rowId: r.row_id })));
      }
      const result = await eraseUnits({ ...ctx, db: tx }, units, { mayRestrict: true, reason: REPLAYED });
      report.restrictedAgain += result.held.length;
      report.erasedAgain += result.erased.length;
      for (const u of units) report.byKind[u.kind] = (report.byKind[u.kind] ?? 0) + 1;
    });
  }
  for (let i = 0; i < erased.length; i += batchSize) {
    const batch = erased.slice(i, i + batchSize);
    await inTransaction(ctx.db, async (tx) => {
      const present = await tx.select({ unitId: unitKeys.unitId, unitKind: unitKeys.unitKind }).from(unitKeys).where(inArray(unitKeys.unitId, batch.map((e) => e.unitId)));
      report.alreadyErased += batch.length - present.length;
      for (const kind of new Set(present.map((p) => p.unitKind))) {
        const unitIds = present.filter((p) => p.unitKind === kind).map((p) => p.unitId);
        const clock = kind in RETENTION_UNITS ? retentionClockOf(kind as RetentionUnitKind) : undefined;
        if (clock?.unitId) {
          const rows = await queryRows<{ row_id: string; unit_id: string }>(tx, sql`select (${clock.rowId})::text as row_id, (${clock.unitId})::text as unit_id from ${clock.from} where (${clock.unitId}) in (${inList(unitIds)})`);
          if (rows.length > 0) await clock.expire({ ...ctx, db: tx }, rows.map((r) => ({ rowId: r.row_id, unitId: r.unit_id })), REPLAYED);
        }
        // Messages sealed under the erased keys, whatever their kind, and the keys themselves.
        const messages = retentionClockOf('outbox_message');
        if (messages?.unitId && kind !== 'outbox_message') {
          const rows = await queryRows<{ row_id: string }>(tx, sql`select (${messages.rowId})::text as row_id from ${messages.from} where (${messages.unitId}) in (${inList(unitIds)})`);
          if (rows.length > 0) await messages.expire({ ...ctx, db: tx }, rows.map((r) => ({ rowId: r.row_id, unitId: null })), REPLAYED);
        }
        await shred({ ...ctx, db: tx }, unitIds, REPLAYED);
        await tx.delete(unitRestrictions).where(inArray(unitRestrictions.unitId, unitIds));
        report.byKind[kind] = (report.byKind[kind] ?? 0) + unitIds.length;
        report.erasedAgain += unitIds.length;
      }
    });
  }
  return report;
}
