import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNull, ne, or, type SQL } from 'drizzle-orm';
import { inTransaction, type Executor, type Tx } from '../../platform/db/index.ts';
import { auditEvents } from '../audit/schema.ts';
import { disclosures as disclosureLedger } from '../disclosure/schema.ts';
import { PROCESSORS, PURPOSES, type Processor, type Purpose } from '../inventory.ts';
import { eraseUnits, exportUnits, kindOf, unitsOf, type DataSubject, type ErasureReport, type ExportedUnit, type HeldUnit } from '../units.ts';
import { loadKeys, type VaultContext } from '../vault/service.ts';
import { privacyRequestActions, privacyRequests, type RequestActionKind, type RequestKind, type RequestOutcome, type RequestStatus } from './schema.ts';
import { DEFAULT_SLA, deadlinesFor, extendedDue, urgencyOf, type RequestSla, type Urgency } from './sla.ts';

// Data-subject requests: the record of each one with its business-day deadlines, the copy of a subject's data
// assembled from every registered unit plus the disclosure ledger and the audit trail, and erasure through the
// units' erasers. The shop's pages and the operator's command call these.

export type PrivacyRequest = typeof privacyRequests.$inferSelect;

/** What the request functions need besides the database: the clock and the deadline rules in force. */
export type RequestContext = Pick<VaultContext, 'db' | 'clock'> & { sla: RequestSla };

/** Records a request with its deadlines under `ctx.sla` (the shop passes the configured rules; without, the policy's with US holidays). */
export async function openRequest(
  ctx: Pick<RequestContext, 'clock'> & Partial<Pick<RequestContext, 'sla'>>,
  tx: Executor,
  request: { kind: RequestKind; status: RequestStatus; subject: DataSubject; note?: string; staffId?: string },
): Promise<PrivacyRequest> {
  const receivedAt = ctx.clock.now();
  const { targetAt, dueAt } = deadlinesFor(receivedAt, request.kind === 'minor' ? 'minor' : 'standard', ctx.sla ?? DEFAULT_SLA);
  const [row] = await tx
    .insert(privacyRequests)
    .values({
      id: randomUUID(),
      kind: request.kind,
      status: request.status,
      customerId: request.subject.customerId,
      emailIndex: request.subject.emailIndex,
      receivedAt,
      verifiedAt: request.status === 'awaiting_verification' ? null : receivedAt,
      targetAt,
      dueAt,
      note: request.note ?? null,
      staffId: request.staffId ?? null,
    })
    .returning();
  return row!;
}

export function subjectOf(request: Pick<PrivacyRequest, 'customerId' | 'emailIndex'>): DataSubject {
  return { customerId: request.customerId, emailIndex: request.emailIndex };
}

// ── the copy ─────────────────────────────────────────────────────────────────────────────────────────────────────

export const EXPORT_FORMAT = 'pledge-export/1';

export type ExportDocument = {
  format: typeof EXPORT_FORMAT;
  generatedAt: string;
  units: ExportedUnit[];
  disclosures: { at: string; recipient: string; purpose: string; fields: string[]; unitId: string }[];
  reads: { at: string; staffRoles: string[]; fields: string[]; purpose: string; unitId: string }[];
};

const stamp = { type: 'string', format: 'date-time' } as const;
const names = { type: 'array', items: { type: 'string' } } as const;

/** The copy's documented format, served beside the privacy center; `data` is each unit kind's own record. */
export const EXPORT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'A copy of the data Pledge holds about one person',
  type: 'object',
  required: ['format', 'generatedAt', 'units', 'disclosures', 'reads'],
  properties: {
    format: { const: EXPORT_FORMAT },
    generatedAt: stamp,
    units: {
      description: 'One entry per record kept under its own key: the account, each order, each e-mail sent.',
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'label', 'unitId', 'data'],
        properties: {
          kind: { enum: ['account', 'order', 'outbox_message', 'ticket', 'consent_record'] },
          label: { type: 'string', description: 'What the record is, in words.' },
          unitId: { type: 'string', format: 'uuid' },
          data: { description: 'The record with every personal value opened: account (name, email, addresses, sessions…), order (number, contact, shippingAddress, card, lines, events, returns…), e-mail (to, subject, text, sentAt).' },
        },
      },
    },
    disclosures: {
      description: 'Every time details left Pledge: to which company or authority, why, and which fields (names, not values).',
      type: 'array',
      items: { type: 'object', properties: { at: stamp, recipient: { type: 'string' }, purpose: { type: 'string' }, fields: names, unitId: { type: 'string' } } },
    },
    reads: {
      description: 'Every time a member of staff opened the data: their role, why, and which fields.',
      type: 'array',
      items: { type: 'object', properties: { at: stamp, staffRoles: names, purpose: { type: 'string' }, fields: names, unitId: { type: 'string' } } },
    },
  },
} as const;

const purposeWords = (purpose: string) => PURPOSES[purpose as Purpose] ?? purpose;

/** Everything held about the subject, opened: each unit's export, who received which fields, and which staff read them. */
export async function subjectDocument(ctx: VaultContext, subject: DataSubject): Promise<ExportDocument> {
  // One snapshot, and one transaction so that every unit's key is read once, all of them in one statement.
  return inTransaction(ctx.db, async (tx) => {
    const vault = { ...ctx, db: tx };
    const units = await unitsOf(vault, subject);
    await loadKeys(vault, units.map((u) => u.unitId));
    const keyed = [...new Set(units.filter((u) => u.kind !== 'outbox_message').map((u) => u.unitId.toLowerCase()))];
    const disclosed = keyed.length === 0 ? [] : await tx.select().from(disclosureLedger).where(inArray(disclosureLedger.subjectUnitId, keyed)).orderBy(asc(disclosureLedger.id));
    const read = keyed.length === 0 ? [] : await tx.select().from(auditEvents).where(inArray(auditEvents.subjectUnitId, keyed)).orderBy(asc(auditEvents.id));
    return {
      format: EXPORT_FORMAT,
      generatedAt: ctx.clock.now().toISOString(),
      units: await exportUnits(vault, units),
      disclosures: disclosed.map((d) => ({
        at: d.at.toISOString(),
        recipient: d.processor ? PROCESSORS[d.processor as Processor].label : `${d.authority} (${d.legalBasis})`,
        purpose: purposeWords(d.purpose),
        fields: d.fields,
        unitId: d.subjectUnitId,
      })),
      reads: read.map((r) => ({ at: r.at.toISOString(), staffRoles: r.staffRoles, fields: r.fields, purpose: purposeWords(r.purpose), unitId: r.subjectUnitId })),
    };
  });
}

// ── erasure ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** Counts per kind of what was erased and what is held, until when and why: the request's outcome and the e-mail. */
export function outcomeOf(report: ErasureReport): RequestOutcome {
  const erased = new Map<string, RequestOutcome['erased'][number]>();
  for (const unit of report.erased) {
    const entry = erased.get(unit.kind) ?? { kind: unit.kind, label: kindOf(unit.kind).label, count: 0 };
    entry.count++;
    erased.set(unit.kind, entry);
  }
  const held = new Map<string, RequestOutcome['held'][number]>();
  for (const unit of report.held) {
    const until = unit.until.toISOString().slice(0, 10);
    const key = `${unit.kind}:${until}:${unit.why}`;
    const entry = held.get(key) ?? { kind: unit.kind, label: kindOf(unit.kind).label, count: 0, until, why: unit.why };
    entry.count++;
    held.set(key, entry);
  }
  return { erased: [...erased.values()], held: [...held.values()].sort((a, b) => a.until.localeCompare(b.until)) };
}

/**
 * Erases the subject of `request` in the caller's transaction and closes the request: the outcome is recorded,
 * and every request naming the subject forgets who it was about. `units`: the subject's, when the caller has found
 * them already (to act on some first).
 */
export async function eraseForRequest(ctx: VaultContext & { db: Tx }, request: PrivacyRequest, options: { mayRestrict: boolean }, units?: HeldUnit[]): Promise<RequestOutcome> {
  const subject = subjectOf(request);
  units ??= await unitsOf(ctx, subject);
  const outcome = outcomeOf(await eraseUnits(ctx, units, { mayRestrict: options.mayRestrict, reason: `${request.kind} request ${request.id}` }));
  await ctx.db.update(privacyRequests).set({ status: 'completed', completedAt: ctx.clock.now(), outcome }).where(eq(privacyRequests.id, request.id));
  await forgetSubject(ctx.db, subject);
  return outcome;
}

async function forgetSubject(tx: Tx, subject: DataSubject): Promise<void> {
  const matches: SQL[] = [];
  if (subject.customerId) matches.push(eq(privacyRequests.customerId, subject.customerId));
  if (subject.emailIndex) matches.push(eq(privacyRequests.emailIndex, subject.emailIndex));
  if (matches.length === 0) return;
  await tx.update(privacyRequests).set({ customerId: null, emailIndex: null, codeHash: null }).where(or(...matches));
}

// ── the queue ────────────────────────────────────────────────────────────────────────────────────────────────────

export type QueueEntry = PrivacyRequest & { daysLeft: number; urgency: Urgency };

export type QueueFilter = { kind?: RequestKind | undefined; open?: boolean | undefined };

/** Requests by due date, each with its business days left and urgency on the clock's today. */
export async function requestQueue(ctx: RequestContext, filter: QueueFilter = {}): Promise<QueueEntry[]> {
  const rows = await ctx.db
    .select()
    .from(privacyRequests)
    .where(
      and(
        filter.kind ? eq(privacyRequests.kind, filter.kind) : undefined,
        filter.open ? and(isNull(privacyRequests.completedAt), ne(privacyRequests.status, 'refused')) : undefined,
      ),
    )
    .orderBy(asc(privacyRequests.dueAt), asc(privacyRequests.receivedAt));
  const now = ctx.clock.now();
  return rows.map((r) => ({ ...r, ...urgencyOf(r, now, ctx.sla) }));
}

export async function findRequest(ctx: RequestContext, id: string): Promise<QueueEntry | undefined> {
  const [row] = await ctx.db.select().from(privacyRequests).where(eq(privacyRequests.id, id));
  return row && { ...row, ...urgencyOf(row, ctx.clock.now(), ctx.sla) };
}

export type RequestActionRecord = typeof privacyRequestActions.$inferSelect;

/** What staff did with a request, oldest first. */
export async function actionsOf(db: Executor, requestId: string): Promise<RequestActionRecord[]> {
  return db.select().from(privacyRequestActions).where(eq(privacyRequestActions.requestId, requestId)).orderBy(asc(privacyRequestActions.at), asc(privacyRequestActions.id));
}

export async function requestsOfCustomer(db: Executor, customerId: string): Promise<PrivacyRequest[]> {
  return db.select().from(privacyRequests).where(eq(privacyRequests.customerId, customerId)).orderBy(asc(privacyRequests.receivedAt));
}

// ── the privacy officer's actions ───────────────────────────────────────────────────────────────────────────────

export type RequestAction = { ok: true } | { ok: false; message: string };

/** Staff suspect a minor (seed 000 §7): a case awaiting the privacy officer's confirmation, due in 1 business day. */
export async function flagSuspectedMinor(ctx: Pick<RequestContext, 'clock' | 'sla'>, tx: Executor, subject: DataSubject, staffId: string, note: string): Promise<PrivacyRequest> {
  return openRequest(ctx, tx, { kind: 'minor', status: 'awaiting_confirmation', subject, note, staffId });
}

/** Appends to the request's trail, in the caller's transaction, what staff did, with the due date after it. */
export async function recordAction(
  ctx: Pick<VaultContext, 'clock'>,
  tx: Executor,
  request: Pick<PrivacyRequest, 'id' | 'dueAt'>,
  action: { kind: RequestActionKind; staffId: string | null; note?: string | undefined },
): Promise<void> {
  await tx.insert(privacyRequestActions).values({ id: randomUUID(), requestId: request.id, action: action.kind, at: ctx.clock.now(), staffId: action.staffId, note: action.note ?? null, dueAt: request.dueAt });
}

const isOpen = (request: Pick<PrivacyRequest, 'completedAt' | 'status'>) => request.completedAt === null && request.status !== 'refused';

/** The request, locked for a staff action, if it is in a state the action applies to. */
async function lockFor(tx: Tx, id: string, applies: (request: PrivacyRequest) => boolean): Promise<PrivacyRequest | undefined> {
  const [row] = await tx.select().from(privacyRequests).where(eq(privacyRequests.id, id)).for('update');
  return row && applies(row) ? row : undefined;
}

export type StaffAction<T = PrivacyRequest> = { ok: true; request: T } | { ok: false; message: string };

/** Refuses an open request with the reason, recorded with who refused it. */
export async function refuseRequest(ctx: RequestContext, id: string, staffId: string, note: string): Promise<RequestAction> {
  return inTransaction(ctx.db, async (tx) => {
    const request = await lockFor(tx, id, isOpen);
    if (!request) return { ok: false, message: 'This request is already closed.' };
    await tx.update(privacyRequests).set({ status: 'refused', completedAt: ctx.clock.now(), note, staffId, codeHash: null }).where(eq(privacyRequests.id, id));
    await recordAction(ctx, tx, request, { kind: 'refused', staffId, note });
    return { ok: true };
  });
}

/**
 * Pauses a request received but not yet answered until the person proves who they are. Its deadline does not
 * move: the clock keeps running while we wait. The caller writes to the person, in the same transaction.
 */
export async function pauseForIdentity(ctx: Pick<RequestContext, 'clock'>, tx: Tx, id: string, staffId: string, needed: string): Promise<StaffAction> {
  const request = await lockFor(tx, id, (r) => isOpen(r) && r.status === 'received' && r.kind !== 'minor');
  if (!request) return { ok: false, message: 'Only a copy or erasure request that is in progress can wait for the person’s identity.' };
  const [paused] = await tx.update(privacyRequests).set({ status: 'awaiting_identity', note: needed, staffId }).where(eq(privacyRequests.id, id)).returning();
  await recordAction(ctx, tx, paused!, { kind: 'paused_for_identity', staffId, note: needed });
  return { ok: true, request: paused! };
}

/** The person has proved who they are: the request goes on, still against its original deadline. */
export async function confirmIdentity(ctx: Pick<RequestContext, 'clock'>, tx: Tx, id: string, staffId: string): Promise<StaffAction> {
  const request = await lockFor(tx, id, (r) => isOpen(r) && r.status === 'awaiting_identity');
  if (!request) return { ok: false, message: 'This request is not waiting for the person’s identity.' };
  const [resumed] = await tx.update(privacyRequests).set({ status: 'received', staffId }).where(eq(privacyRequests.id, id)).returning();
  await recordAction(ctx, tx, resumed!, { kind: 'identity_confirmed', staffId });
  return { ok: true, request: resumed! };
}

/**
 * Extends an open request's due date by `days` business days, once, for the reason given, but never past the
 * latest date the policy and the profile allow (`latestDue`). The caller tells the person, in the same transaction.
 */
export async function extendRequest(ctx: Pick<RequestContext, 'clock' | 'sla'>, tx: Tx, id: string, staffId: string, extension: { days: number; reason: string }): Promise<StaffAction> {
  const request = await lockFor(tx, id, isOpen);
  if (!request) return { ok: false, message: 'This request is already closed.' };
  const [earlier] = await tx.select({ id: privacyRequestActions.id }).from(privacyRequestActions).where(and(eq(privacyRequestActions.requestId, id), eq(privacyRequestActions.action, 'extended'))).limit(1);
  if (earlier) return { ok: false, message: 'This request has already been extended once; it cannot be extended again.' };
  const dueAt = extendedDue(request, extension.days, ctx.sla);
  if (dueAt <= request.dueAt) return { ok: false, message: 'The due date is already the latest the privacy policy allows (15 business days from receipt, or sooner under the profile): it cannot move.' };
  const [extended] = await tx.update(privacyRequests).set({ dueAt, note: extension.reason, staffId }).where(eq(privacyRequests.id, id)).returning();
  await recordAction(ctx, tx, extended!, { kind: 'extended', staffId, note: extension.reason });
  return { ok: true, request: extended! };
}

/** The requests staff may run now: an erasure received but not done, a minor's case awaiting confirmation. */
export function runnable(request: Pick<PrivacyRequest, 'kind' | 'status'>): boolean {
  return (request.kind === 'erasure' && request.status === 'received') || (request.kind === 'minor' && request.status === 'awaiting_confirmation');
}
