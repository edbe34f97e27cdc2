import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../platform/db/index.ts';
import type { Clock } from '../../platform/clock.ts';
import type { RetentionUnitKind } from '../inventory.ts';
import { legalHolds } from './schema.ts';

// Legal holds: the privacy officer pauses a unit's expiry while a dispute or an authority's inquiry needs it. The
// sweep passes held units by; releasing the hold lets the next sweep take them if they are past their maximum.

export type HoldContext = { db: Executor; clock: Clock };

/** What the shop found for a reference the officer typed (an order number, a ticket reference). */
export type Holdable = { unitId: string; unitKind: RetentionUnitKind; rowId: string; label: string };

export type Hold = typeof legalHolds.$inferSelect;

/** SQL true when the unit (a column or expression holding its unit id) is under an active hold. */
export function underHold(unitId: SQL): SQL<boolean> {
  return sql<boolean>`exists (select 1 from ${legalHolds} where ${legalHolds.unitId} = ${unitId} and ${legalHolds.releasedAt} is null)`;
}

export async function placeHold(ctx: HoldContext, unit: Holdable, matter: string, staffId: string): Promise<{ placed: boolean; hold: Hold }> {
  const [active] = await ctx.db.select().from(legalHolds).where(and(eq(legalHolds.unitId, unit.unitId), isNull(legalHolds.releasedAt)));
  if (active) return { placed: false, hold: active };
  const [hold] = await ctx.db
    .insert(legalHolds)
    .values({ id: randomUUID(), unitId: unit.unitId, unitKind: unit.unitKind, rowId: unit.rowId, matter, placedBy: staffId, placedAt: ctx.clock.now() })
    .returning();
  return { placed: true, hold: hold! };
}

export async function releaseHold(ctx: HoldContext, holdId: string, staffId: string): Promise<boolean> {
  const released = await ctx.db
    .update(legalHolds)
    .set({ releasedAt: ctx.clock.now(), releasedBy: staffId })
    .where(and(eq(legalHolds.id, holdId), isNull(legalHolds.releasedAt)))
    .returning({ id: legalHolds.id });
  return released.length > 0;
}

/** Active holds first, newest first; the released ones after, for the record. */
export async function listHolds(db: Executor): Promise<Hold[]> {
  return db.select().from(legalHolds).orderBy(sql`${legalHolds.releasedAt} is not null`, desc(legalHolds.placedAt)).limit(500);
}
