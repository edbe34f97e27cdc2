import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { anyOf, type Executor, type Tx } from '../../platform/db/index.ts';
import { deriveKey } from '../../platform/keys.ts';
import type { RetentionUnitKind } from '../inventory.ts';
import { erasureJournal, unitKeys } from './schema.ts';

// Envelope encryption (DESIGN.md §3). The master key (KEK) wraps one data key per retention unit; personal values
// are AES-256-GCM under their unit's data key, bound to their place (table, column, row) as associated data, so a
// sealed value copied into another row or column does not open. Data keys are never cached beyond the transaction
// that read them: once a unit is shredded, no instance can read its values again.

export type Keyring = { kek: Buffer; kekId: string; indexKey: Buffer };

/** The master key's fingerprint names it in `unit_key.kek_id`, so rotation knows what each row was wrapped with. */
export function keyringFrom(masterKey: Buffer): Keyring {
  return {
    kek: deriveKey(masterKey, 'vault-kek'),
    kekId: createHash('sha256').update(deriveKey(masterKey, 'vault-kek-id')).digest('hex').slice(0, 16),
    indexKey: deriveKey(masterKey, 'blind-index'),
  };
}

export type VaultContext = { db: Executor; clock: Clock; keys: Keyring };

export type UnitRef = { kind: RetentionUnitKind; id: string };

/** Where a sealed value lives; it is authenticated with the value, so it only opens in that place. */
export type FieldPlace = { table: string; column: string; rowId: string | number };

/** What reading a shredded value yields: a marker, never an exception or garbage. */
export const ERASED = Object.freeze({ erased: true as const });
export type Erased = typeof ERASED;
export function isErased(value: unknown): value is Erased {
  return value === ERASED;
}

const FORMAT = 1; // first byte of every sealed value, so the format can change without guessing
const IV_BYTES = 12;
const TAG_BYTES = 16;

function gcmSeal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT), iv, cipher.getAuthTag(), body]);
}

function gcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT) throw new Error('not a sealed value');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(aad).setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
}

const wrapAad = (unitId: string, keyId: string) => Buffer.from(`unit-key:${unitId}:${keyId}`);
const fieldAad = (unitId: string, place: FieldPlace) => Buffer.from(`${place.table}.${place.column}:${place.rowId}:${unitId}`);

/** A new retention unit with its own data key. Call inside the transaction that creates the unit's first row. */
export async function createUnit(ctx: VaultContext, kind: RetentionUnitKind, id: string = randomUUID()): Promise<UnitRef> {
  const keyId = randomUUID();
  const dataKey = randomBytes(32);
  await ctx.db.insert(unitKeys).values({
    unitId: id,
    unitKind: kind,
    keyId,
    wrappedKey: gcmSeal(ctx.keys.kek, dataKey, wrapAad(id, keyId)),
    kekId: ctx.keys.kekId,
    createdAt: ctx.clock.now(),
  });
  transactionKeys(ctx.db)?.set(id, dataKey);
  return { kind, id };
}

// One action (placing an order, sending its mail) seals and opens the same unit several times in one transaction;
// the key is read once per transaction. Any shredding anywhere in this process starts every cache afresh.
const keysOfTransaction = new WeakMap<Tx, { generation: number; keys: Map<string, Buffer> }>();
let shredGeneration = 0;

function transactionKeys(db: Executor): Map<string, Buffer> | undefined {
  if (!(db instanceof PgTransaction)) return undefined;
  let cache = keysOfTransaction.get(db);
  if (!cache || cache.generation !== shredGeneration) {
    cache = { generation: shredGeneration, keys: new Map() };
    keysOfTransaction.set(db, cache);
  }
  return cache.keys;
}

async function dataKeyOf(ctx: VaultContext, unitId: string): Promise<Buffer | undefined> {
  const cached = transactionKeys(ctx.db)?.get(unitId);
  if (cached) return cached;
  const [row] = await ctx.db.select().from(unitKeys).where(eq(unitKeys.unitId, unitId));
  if (!row) return undefined;
  if (row.kekId !== ctx.keys.kekId) {
    throw new Error(`unit ${unitId} is wrapped by master key ${row.kekId}, not the configured one (${ctx.keys.kekId}); run \`pledge keys rotate\``);
  }
  const key = gcmOpen(ctx.keys.kek, row.wrappedKey, wrapAad(row.unitId, row.keyId));
  transactionKeys(ctx.db)?.set(unitId, key);
  return key;
}

/**
 * Reads many units' keys in one statement into the transaction's cache, for work that opens many units at once (a
 * copy of someone's data). Outside a transaction there is no cache, so it does nothing.
 */
export async function loadKeys(ctx: VaultContext, unitIds: readonly string[]): Promise<void> {
  const cache = transactionKeys(ctx.db);
  const missing = [...new Set(unitIds)].filter((id) => !cache?.has(id));
  if (!cache || missing.length === 0) return;
  for (const row of await ctx.db.select().from(unitKeys).where(inArray(unitKeys.unitId, missing))) {
    if (row.kekId !== ctx.keys.kekId) continue; // dataKeyOf reports it when the unit is opened
    cache.set(row.unitId, gcmOpen(ctx.keys.kek, row.wrappedKey, wrapAad(row.unitId, row.keyId)));
  }
}

/** Seals values for one unit (one key look-up for all of them). A shredded or unknown unit cannot take new data. */
export async function sealFields(ctx: VaultContext, unit: UnitRef, fields: { place: FieldPlace; value: string }[]): Promise<Buffer[]> {
  const key = await dataKeyOf(ctx, unit.id);
  if (!key) throw new Error(`unit ${unit.kind}/${unit.id} has no key (never created, or erased)`);
  return fields.map(({ place, value }) => gcmSeal(key, Buffer.from(value, 'utf8'), fieldAad(unit.id, place)));
}

export async function seal(ctx: VaultContext, unit: UnitRef, place: FieldPlace, value: string): Promise<Buffer> {
  const [sealed] = await sealFields(ctx, unit, [{ place, value }]);
  return sealed!;
}

/** Opens values of one unit; every value of a shredded unit reads as ERASED. */
export async function openFields(ctx: VaultContext, unitId: string, fields: { place: FieldPlace; sealed: Buffer }[]): Promise<(string | Erased)[]> {
  const key = await dataKeyOf(ctx, unitId);
  if (!key) return fields.map(() => ERASED);
  return fields.map(({ place, sealed }) => gcmOpen(key, sealed, fieldAad(unitId, place)).toString('utf8'));
}

export async function open(ctx: VaultContext, unitId: string, place: FieldPlace, sealed: Buffer): Promise<string | Erased> {
  const [value] = await openFields(ctx, unitId, [{ place, sealed }]);
  return value!;
}

/** Seals a whole JSON document (an e-mail, a job payload) under a unit's key. */
export async function sealJson(ctx: VaultContext, unit: UnitRef, place: FieldPlace, value: unknown): Promise<Buffer> {
  return seal(ctx, unit, place, JSON.stringify(value));
}

export async function openJson<T>(ctx: VaultContext, unitId: string, place: FieldPlace, sealed: Buffer): Promise<T | Erased> {
  const text = await open(ctx, unitId, place, sealed);
  return isErased(text) ? text : (JSON.parse(text) as T);
}

/**
 * Crypto-shredding: deletes the units' keys and journals their ids (nothing personal), in the caller's
 * transaction. Every value sealed under those keys, in any table or copy, is unreadable from then on.
 */
export async function shred(ctx: VaultContext, unitIds: string[], reason: string): Promise<number> {
  if (unitIds.length === 0) return 0;
  shredGeneration++;
  const removed = await ctx.db.delete(unitKeys).where(anyOf(unitKeys.unitId, unitIds, 'uuid')).returning();
  if (removed.length > 0) {
    const erasedAt = ctx.clock.now();
    await ctx.db.insert(erasureJournal).values(removed.map((r) => ({ unitId: r.unitId, unitKind: r.unitKind, keyId: r.keyId, reason, erasedAt })));
  }
  return removed.length;
}

/** Keyed hash for exact look-ups of a sealed value (e.g. sign-in by e-mail) without storing the value. */
export function blindIndex(keys: Keyring, kind: string, value: string): Buffer {
  return createHmac('sha256', keys.indexKey).update(`${kind}:${normalise(kind, value)}`).digest();
}

function normalise(kind: string, value: string): string {
  const trimmed = value.normalize('NFC').trim();
  return kind === 'email' ? trimmed.toLowerCase() : trimmed;
}

/**
 * Re-wraps every data key wrapped by `from` under `to`, in batches, without touching any sealed value. Safe to
 * re-run after an interruption: rows already re-wrapped are skipped.
 */
export async function rotateMasterKey(db: Executor, from: Keyring, to: Keyring, onProgress?: (done: number) => void): Promise<number> {
  let done = 0;
  for (;;) {
    const batch = await db.select().from(unitKeys).where(eq(unitKeys.kekId, from.kekId)).limit(500);
    if (batch.length === 0) return done;
    for (const row of batch) {
      const dataKey = gcmOpen(from.kek, row.wrappedKey, wrapAad(row.unitId, row.keyId));
      await db
        .update(unitKeys)
        .set({ wrappedKey: gcmSeal(to.kek, dataKey, wrapAad(row.unitId, row.keyId)), kekId: to.kekId })
        .where(eq(unitKeys.unitId, row.unitId));
    }
    done += batch.length;
    onProgress?.(done);
  }
}
