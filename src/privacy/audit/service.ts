import { createHash } from 'node:crypto';
import { asc, eq, gt, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import { inTransaction, type Db, type Executor, type Tx } from '../../platform/db/index.ts';
import { assertMayReadField, type Actor, type Field, type StaffActor } from '../access.ts';
import type { Purpose, RetentionUnitKind } from '../inventory.ts';
import { assertNotRestricted } from '../units.ts';
import { auditEvents, auditHead } from './schema.ts';

// Appending to the audit chain. Each event's hash covers its content and the previous event's hash, and ids run
// 1, 2, 3… without gaps; the head row holds the last link. Appends are serialised by a transaction-scoped advisory
// lock, so two transactions can never chain onto the same event (the id primary key would refuse it anyway).

/** Whose data was read: the retention unit holding it. */
export type Subject = { unitId: string; kind: RetentionUnitKind };

const GENESIS = '0'.repeat(64);
// Two-key form: its lock space is apart from the one-key form that migrations and pg-boss use. "pldg", "audt".
const AUDIT_LOCK = sql`select pg_advisory_xact_lock(${0x706c6467}::int, ${0x61756474}::int)`;

type ChainedContent = {
  id: number;
  at: Date;
  staffId: string;
  staffRoles: readonly string[];
  subjectUnitId: string;
  subjectKind: string;
  fields: readonly string[];
  purpose: string;
  requestId: string | null;
  prevHash: string;
};

/**
 * SHA-256 of a JSON array with a version tag and every column but `hash`, in a fixed order. An array, not an
 * object, so key order cannot vary; the time as ISO 8601 in UTC with milliseconds, which timestamptz keeps exactly;
 * roles and fields are stored sorted, so the same read always serialises the same way.
 */
export function auditHash(row: ChainedContent): string {
  const canonical = JSON.stringify([
    'pledge-audit/1',
    row.id,
    row.at.toISOString(),
    row.staffId,
    row.staffRoles,
    row.subjectUnitId,
    row.subjectKind,
    row.fields,
    row.purpose,
    row.requestId,
    row.prevHash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export type ReadRecord = { actor: StaffActor; subject: Subject; fields: readonly Field[]; purpose: Purpose; requestId?: string | undefined };

/** Appends one event in the caller's transaction: it commits or rolls back with the read it records. */
export async function recordRead(ctx: { clock: Clock }, tx: Tx, read: ReadRecord): Promise<number> {
  await tx.execute(AUDIT_LOCK);
  const [head] = await tx.select().from(auditHead).where(eq(auditHead.id, 1));
  const content: ChainedContent = {
    id: (head?.lastId ?? 0) + 1,
    at: ctx.clock.now(),
    staffId: read.actor.staffId,
    staffRoles: [...new Set(read.actor.roles)].sort(),
    // PostgreSQL answers uuids in lower case; hash what verification will read back.
    subjectUnitId: read.subject.unitId.toLowerCase(),
    subjectKind: read.subject.kind,
    fields: [...new Set(read.fields)].sort(),
    purpose: read.purpose,
    requestId: read.requestId ?? null,
    prevHash: head?.lastHash ?? GENESIS,
  };
  const hash = auditHash(content);
  await tx.insert(auditEvents).values({ ...content, staffRoles: [...content.staffRoles], fields: [...content.fields], hash });
  await tx
    .insert(auditHead)
    .values({ id: 1, lastId: content.id, lastHash: hash })
    .onConflictDoUpdate({ target: auditHead.id, set: { lastId: content.id, lastHash: hash } });
  return content.id;
}

export type ReadContext = { clock: Clock; actor: Actor; requestId?: string | undefined };

/**
 * The one way to read personal data for a purpose: every field is checked against the actor's access (a unit
 * restricted after its subject's erasure only for the legal obligation), `read` runs, and a staff reader leaves
 * an audit event, all in `tx`.
 */
export async function readForPurpose<T>(
  ctx: ReadContext,
  tx: Tx,
  request: { subject: Subject; fields: readonly Field[]; purpose: Purpose },
  read: () => Promise<T>,
): Promise<T> {
  if (request.fields.length === 0) throw new Error('readForPurpose: name the fields to be read');
  for (const field of request.fields) assertMayReadField(ctx.actor, field, request.purpose);
  await assertNotRestricted(tx, request.subject.unitId, request.purpose);
  const result = await read();
  if (ctx.actor.kind === 'staff') {
    await recordRead(ctx, tx, { actor: ctx.actor, subject: request.subject, fields: request.fields, purpose: request.purpose, requestId: ctx.requestId });
  }
  return result;
}

export type ChainReport = { ok: true; count: number } | { ok: false; brokenAt: number; reason: string };

const BATCH = 1000;

/** Walks the chain in id order, in one snapshot so appends running meanwhile cannot look like tampering. */
export async function verifyAuditChain(db: Db): Promise<ChainReport> {
  return inTransaction(db, async (tx) => {
    await tx.execute(sql`set transaction isolation level repeatable read, read only`);
    let expected = 1;
    let prevHash = GENESIS;
    for (;;) {
      const batch = await tx.select().from(auditEvents).where(gt(auditEvents.id, expected - 1)).orderBy(asc(auditEvents.id)).limit(BATCH);
      for (const row of batch) {
        if (row.id !== expected) return { ok: false, brokenAt: row.id, reason: `event ${expected} is missing` };
        if (row.prevHash !== prevHash) return { ok: false, brokenAt: row.id, reason: 'its prev_hash is not the hash of the event before it' };
        if (auditHash(row) !== row.hash) return { ok: false, brokenAt: row.id, reason: 'its content does not match its hash' };
        prevHash = row.hash;
        expected++;
      }
      if (batch.length < BATCH) break;
    }
    const count = expected - 1;
    const [head] = await tx.select().from(auditHead).where(eq(auditHead.id, 1));
    const headId = head?.lastId ?? 0;
    if (headId > count) return { ok: false, brokenAt: count + 1, reason: `the head records ${headId} events but the chain ends at ${count}: events were removed from the end` };
    if (headId < count) return { ok: false, brokenAt: headId + 1, reason: `the head records ${headId} events but the chain has ${count}: events were added without the head` };
    if (count > 0 && head!.lastHash !== prevHash) return { ok: false, brokenAt: count, reason: 'the last event is not the one the head records' };
    return { ok: true, count };
  });
}

export type ReadEvent = { id: number; at: Date; staffId: string; staffRoles: string[]; fields: string[]; purpose: string };

/** The staff reads of one subject's data, oldest first: the customer's "who has seen my data". */
export async function listReadsOf(db: Executor, subject: Pick<Subject, 'unitId'>): Promise<ReadEvent[]> {
  return db
    .select({ id: auditEvents.id, at: auditEvents.at, staffId: auditEvents.staffId, staffRoles: auditEvents.staffRoles, fields: auditEvents.fields, purpose: auditEvents.purpose })
    .from(auditEvents)
    .where(eq(auditEvents.subjectUnitId, subject.unitId.toLowerCase()))
    .orderBy(asc(auditEvents.id));
}
