import { and, eq, inArray, lte, sql } from 'drizzle-orm';
import { inTransaction, type Executor, type Tx } from '../platform/db/index.ts';
import { AccessDenied } from './access.ts';
import type { Purpose, RetentionUnitKind } from './inventory.ts';
import { unitRestrictions } from './requests/schema.ts';
import { underHold } from './retention/holds.ts';
import { erasureJournal, unitKeys } from './vault/schema.ts';
import { shred, type VaultContext } from './vault/service.ts';

// The retention-unit registry (DESIGN.md §2): the privacy engine owns the lifecycle of personal data, the shop owns
// its meaning. Each kind of unit the shop keeps registers how to find a subject's units, how to export one and how
// to erase one; copying and erasing someone's data walks this registry and nothing else, so a kind the shop adds
// is covered the day it registers.

/** Whose data: a signed-in customer (their account id) and the address they use, as a blind index. */
export type DataSubject = { customerId: string | null; emailIndex: Buffer | null };

/** One unit of someone's data: its key's unit id and the row that holds it. */
export type HeldUnit = { kind: RetentionUnitKind; unitId: string; rowId: string };

/** Kept because law requires it: until when, and why (in words for the person). */
export type Restriction = { until: Date; why: string };

export type ErasureOptions = { mayRestrict: boolean; reason: string };

export type EraseResult = { erased: true } | { erased: false; restriction: Restriction };

export type UnitKind = {
  kind: RetentionUnitKind;
  /** What this kind holds, in the customer's words ("Your orders"). */
  label: string;
  /** The subject's units of this kind; `found` holds the units of the kinds registered before this one. */
  find(ctx: VaultContext, subject: DataSubject, found: readonly HeldUnit[]): Promise<HeldUnit[]>;
  /** Everything the unit holds, opened, as plain JSON values. */
  exportUnit(ctx: VaultContext, unit: HeldUnit): Promise<unknown>;
  /** The same for many units at once, in their order, for kinds a person may hold a thousand of (orders). */
  exportMany?(ctx: VaultContext, units: readonly HeldUnit[]): Promise<unknown[]>;
  /**
   * Erases the unit in `ctx.db` (a transaction): its rows, and its key with `shred` when the key is the unit's own.
   * When `mayRestrict` and law requires keeping it, it instead cuts the unit off from its subject and says until
   * when it is held. `mayRestrict` is false for a confirmed minor's erasure.
   */
  erase(ctx: VaultContext & { db: Tx }, unit: HeldUnit, options: ErasureOptions): Promise<EraseResult>;
  /** The same for many units at once, results in their order. */
  eraseMany?(ctx: VaultContext & { db: Tx }, units: readonly HeldUnit[], options: ErasureOptions): Promise<EraseResult[]>;
};

const registry = new Map<RetentionUnitKind, UnitKind>();

/** Called by the shop when it starts; registering a kind again replaces it (several runtimes in one process). */
export function registerUnitKind(kind: UnitKind): void {
  registry.set(kind.kind, kind);
}

export function registeredKinds(): UnitKind[] {
  return [...registry.values()];
}

export function kindOf(kind: RetentionUnitKind): UnitKind {
  const registered = registry.get(kind);
  if (!registered) throw new Error(`no retention unit of kind ${kind} is registered`);
  return registered;
}

/** Every unit of the subject's data, kind by kind in registration order. */
export async function unitsOf(ctx: VaultContext, subject: DataSubject): Promise<HeldUnit[]> {
  const found: HeldUnit[] = [];
  for (const kind of registry.values()) found.push(...(await kind.find(ctx, subject, found)));
  return found;
}

/** `work` on each item, one after another: a transaction's connection runs one statement at a time anyway. */
export async function eachInTurn<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await work(item));
  return results;
}

export type ExportedUnit = { kind: RetentionUnitKind; label: string; unitId: string; data: unknown };

export async function exportUnits(ctx: VaultContext, units: readonly HeldUnit[]): Promise<ExportedUnit[]> {
  const exported: ExportedUnit[] = [];
  for (const kind of registry.values()) {
    const own = units.filter((u) => u.kind === kind.kind);
    if (own.length === 0) continue;
    const data = kind.exportMany ? await kind.exportMany(ctx, own) : await eachInTurn(own, (unit) => kind.exportUnit(ctx, unit));
    own.forEach((unit, i) => exported.push({ kind: unit.kind, label: kind.label, unitId: unit.unitId, data: data[i] }));
  }
  return exported;
}

/** Journal entries of units restricted rather than erased start with this; their keys are still there. */
export const RESTRICTED_PREFIX = 'restricted: ';

export type ErasureReport = { erased: HeldUnit[]; held: (HeldUnit & Restriction)[] };

/**
 * Erases the subject's units in the caller's transaction: a unit law requires to keep is restricted (recorded
 * here, shredded by `shredExpiredRestrictions` when its term ends), every other one is erased by its kind.
 */
export async function eraseUnits(ctx: VaultContext & { db: Tx }, units: readonly HeldUnit[], options: ErasureOptions): Promise<ErasureReport> {
  const report: ErasureReport = { erased: [], held: [] };
  const tx = ctx.db;
  const now = ctx.clock.now();
  // Kind by kind in registration order (messages are found through, and erased after, their accounts and orders).
  for (const kind of registry.values()) {
    const own = units.filter((u) => u.kind === kind.kind);
    if (own.length === 0) continue;
    const results = kind.eraseMany ? await kind.eraseMany(ctx, own, options) : await eachInTurn(own, (unit) => kind.erase(ctx, unit, options));
    const erased = own.filter((_, i) => results[i]!.erased);
    const held = own.flatMap((unit, i) => {
      const result = results[i]!;
      return result.erased ? [] : [{ ...unit, ...result.restriction }];
    });
    if (erased.length > 0) {
      // A held unit erased after all (a minor's case) is held no more; messages under its key do not release it.
      await tx.delete(unitRestrictions).where(and(inArray(unitRestrictions.unitId, erased.map((u) => u.unitId)), eq(unitRestrictions.unitKind, kind.kind)));
    }
    if (held.length > 0) {
      await tx
        .insert(unitRestrictions)
        .values(held.map((u) => ({ unitId: u.unitId, unitKind: u.kind, rowId: u.rowId, heldUntil: u.until, why: u.why, restrictedAt: now })))
        .onConflictDoUpdate({ target: unitRestrictions.unitId, set: { heldUntil: sql`excluded.held_until`, why: sql`excluded.why` } });
      // Journalled too, so a backup restored later cuts these units off from their subject again (`pledge erasures replay`).
      const keys = await tx.select({ unitId: unitKeys.unitId, keyId: unitKeys.keyId }).from(unitKeys).where(inArray(unitKeys.unitId, held.map((u) => u.unitId)));
      if (keys.length > 0) {
        await tx.insert(erasureJournal).values(keys.map((k) => ({ unitId: k.unitId, unitKind: kind.kind, keyId: k.keyId, reason: `${RESTRICTED_PREFIX}${options.reason}`, erasedAt: now })));
      }
    }
    report.erased.push(...erased);
    report.held.push(...held);
  }
  return report;
}

/** A restricted unit may be read only to meet the legal obligation it is kept for. */
export async function assertNotRestricted(db: Executor, unitId: string, purpose: Purpose): Promise<void> {
  if (purpose === 'legal_obligation') return;
  const [held] = await db.select({ unitId: unitRestrictions.unitId }).from(unitRestrictions).where(eq(unitRestrictions.unitId, unitId.toLowerCase()));
  if (held) throw new AccessDenied('this record is held only for a legal obligation');
}

/**
 * Shreds every restricted unit whose term has ended and that no legal hold keeps: its key goes, so its sealed
 * fields read as erased from then on. The retention sweep calls this first; it is safe to run at any time and again.
 */
export async function shredExpiredRestrictions(ctx: VaultContext): Promise<number> {
  return inTransaction(ctx.db, async (tx) => {
    // A legal hold pauses the end of a restriction as it pauses any expiry.
    const due = await tx
      .delete(unitRestrictions)
      .where(and(lte(unitRestrictions.heldUntil, ctx.clock.now()), sql`not ${underHold(sql`${unitRestrictions.unitId}`)}`))
      .returning({ unitId: unitRestrictions.unitId });
    return shred({ ...ctx, db: tx }, due.map((d) => d.unitId), 'legal retention term ended');
  });
}

export async function restrictionOf(db: Executor, unitId: string): Promise<{ heldUntil: Date; why: string } | undefined> {
  const [row] = await db.select({ heldUntil: unitRestrictions.heldUntil, why: unitRestrictions.why }).from(unitRestrictions).where(eq(unitRestrictions.unitId, unitId.toLowerCase()));
  return row;
}
