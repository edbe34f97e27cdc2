import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gte, inArray, lte } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { isTimeZone, type Clock } from '../../platform/clock.ts';
import { inTransaction, type Executor, type Tx } from '../../platform/db/index.ts';
import type { FieldErrors } from '../../platform/http/errors.ts';
import { queueMail, type MailContext } from '../../platform/mail/service.ts';
import { FIELDS, type Field, type StaffActor } from '../access.ts';
import { readForPurpose, type Subject } from '../audit/service.ts';
import { auditEvents } from '../audit/schema.ts';
import { disclosures } from '../disclosure/schema.ts';
import { CATEGORIES, inventoryReport, PROCESSORS, type Category, type Processor } from '../inventory.ts';
import { INCIDENT_STATES, incidentNotices, incidents, incidentSteps, type AffectedCounts, type IncidentState } from './schema.ts';

// The incident register: an incident opened with what happened, the inventory columns it touched and its window;
// the regulator's 72 hours counted from discovery (GDPR Art. 33); steps that only go forward; the subjects affected
// found from the disclosure ledger and the audit trail, kept as unit ids; and one notice per subject through the outbox.

export type Incident = typeof incidents.$inferSelect;
export type IncidentStep = typeof incidentSteps.$inferSelect;
export type IncidentNotice = typeof incidentNotices.$inferSelect;
export type IncidentContext = { db: Executor; clock: Clock };

export const NOTIFY_WITHIN_HOURS = 72;
const HOUR_MS = 60 * 60 * 1000;

// ── time: entered and shown in a zone, stored and counted in UTC ──────────────────────────────────────────────────

/** The zone's offset from UTC at `at`, in milliseconds (positive east of Greenwich). */
function offsetAt(at: Date, zone: string): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')!.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60 * 1000;
}

/**
 * The instant a wall-clock time (`2026-10-24T23:30`) names in `zone`. The offset is taken at the guess and again
 * at the result, so a time just after a DST change is read with the offset in force then.
 */
export function zonedTime(local: string, zone: string): Date {
  const naive = new Date(`${local}:00Z`).getTime();
  const first = naive - offsetAt(new Date(naive), zone);
  return new Date(naive - offsetAt(new Date(first), zone));
}

/** The wall-clock time `at` is in `zone`, as a form's date and time (`2026-10-24T23:30`): `zonedTime` undone. */
export function wallClockTime(at: Date, zone: string): string {
  return new Date(at.getTime() + offsetAt(at, zone)).toISOString().slice(0, 16);
}

/** `2026-10-27 11:00 CET (10:00 UTC)`: the zone's wall clock with its abbreviation, and UTC beside it. */
export function inZone(at: Date, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName} (${at.toISOString().slice(11, 16)} UTC)`;
}

/** Whole hours until the regulator's deadline, negative once it has passed. */
export function hoursLeft(incident: Pick<Incident, 'notifyBy'>, now: Date): number {
  return Math.floor((incident.notifyBy.getTime() - now.getTime()) / HOUR_MS);
}

// ── opening ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** The inventory's personal columns, `table.column`, with their category: what an incident may name. */
export function affectableColumns(): Map<string, Category> {
  return new Map(inventoryReport().map((row) => [row.column, row.category]));
}

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
const localTime = (what: string) => z.string({ error: `Enter ${what} as a date and time` }).trim().regex(LOCAL_TIME, `Enter ${what} as a date and time`);
const list = (v: unknown) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]);
const text = (what: string) => z.string({ error: what }).trim().min(1, what).max(2000, 'Use at most 2,000 characters');

const OpenForm = z
  .object({
    summary: text('Say what happened (no personal data)'),
    consequences: text('Say what the likely consequences are'),
    columns: z.preprocess(
      list,
      z.array(z.string()).min(1, 'Choose the data affected').refine((cs) => cs.every((c) => affectableColumns().has(c)), 'Choose data from the inventory'),
    ),
    processors: z.preprocess(list, z.array(z.string()).refine((ps) => ps.every((p) => p in PROCESSORS), 'Choose processors from the list')),
    staffIds: z.preprocess(
      (v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : list(v)),
      z.array(z.uuid('Enter staff account ids (one per line)')).max(50, 'Name at most 50 staff accounts'),
    ),
    zone: z.string().trim().refine(isTimeZone, 'Enter a time zone such as Europe/Berlin or America/New_York'),
    windowStart: localTime('the start of the window'),
    windowEnd: localTime('the end of the window'),
    discoveredAt: localTime('when it was discovered'),
  })
  .superRefine((form, issue) => {
    if (form.windowEnd < form.windowStart) issue.addIssue({ code: 'custom', path: ['windowEnd'], message: 'The window ends after it starts' });
  });
export type OpenIncidentInput = z.input<typeof OpenForm>;
export const OPEN_FORM_FIELDS = ['summary', 'consequences', 'columns', 'processors', 'staffIds', 'zone', 'windowStart', 'windowEnd', 'discoveredAt'] as const;

/** Done, or refused: 400 with an error per field, 404 for no such incident, 409 for a step the incident cannot take. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; status: 400 | 404 | 409; errors: FieldErrors; message?: string };

/** One message per form field: a bad item of a list (`staffIds.2`) is the list's error. */
function errorsByField(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) errors[String(issue.path[0] ?? '_')] ??= issue.message;
  return errors;
}

/** A refusal from the work `openIncident` was given to do with the new incident: nothing is opened. */
class Refused extends Error {}

/**
 * Opens an incident in triage with its 72-hour deadline; bad input answers an error per field and writes nothing.
 * `also` runs in the same transaction (an alert marked as having opened it); a message it answers refuses the
 * whole (409) and nothing is written.
 */
export async function openIncident(
  ctx: IncidentContext,
  staffId: string | null,
  input: unknown,
  also?: (tx: Tx, incident: Incident) => Promise<string | undefined>,
): Promise<Outcome<Incident>> {
  const parsed = OpenForm.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, status: 400, errors: errorsByField(parsed.error) };
  const form = parsed.data;
  const now = ctx.clock.now();
  const discoveredAt = zonedTime(form.discoveredAt, form.zone);
  if (discoveredAt > now) return { ok: false, status: 400, errors: { discoveredAt: 'The discovery cannot be in the future' } };
  const opening = inTransaction(ctx.db, async (tx) => {
    const [incident] = await tx
      .insert(incidents)
      .values({
        id: randomUUID(),
        summary: form.summary,
        consequences: form.consequences,
        columns: [...new Set(form.columns)].sort(),
        processors: [...new Set(form.processors)].sort(),
        staffIds: [...new Set(form.staffIds.map((s) => s.toLowerCase()))].sort(),
        windowStart: zonedTime(form.windowStart, form.zone),
        windowEnd: zonedTime(form.windowEnd, form.zone),
        discoveredAt,
        zone: form.zone,
        notifyBy: new Date(discoveredAt.getTime() + NOTIFY_WITHIN_HOURS * HOUR_MS),
        state: 'triage',
        openedAt: now,
        openedBy: staffId ?? 'operator',
      })
      .returning();
    await tx.insert(incidentSteps).values({ incidentId: incident!.id, step: 'triage', at: now, staffId, note: 'Opened' });
    const refusal = also && (await also(tx, incident!));
    if (refusal) throw new Refused(refusal);
    return { ok: true, value: incident! } as const;
  });
  return opening.catch((error: unknown) => {
    if (error instanceof Refused) return { ok: false, status: 409, errors: {}, message: error.message } as const;
    throw error;
  });
}

// ── steps ────────────────────────────────────────────────────────────────────────────────────────────────────────

/** The states after `state`: an incident only moves forward (a notified incident is never back in triage). */
export function nextStates(state: IncidentState): IncidentState[] {
  return INCIDENT_STATES.slice(INCIDENT_STATES.indexOf(state) + 1);
}

const AdvanceForm = z.object({
  to: z.enum(INCIDENT_STATES, 'Choose the next state'),
  note: text('Say what was done (no personal data)'),
});

/** Moves the incident forward to `to`, recording who, when and what was done; a step back or a stale form is refused. */
export async function advanceIncident(ctx: IncidentContext, id: string, staffId: string | null, input: unknown): Promise<Outcome<IncidentState>> {
  const parsed = AdvanceForm.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, status: 400, errors: errorsByField(parsed.error) };
  const { to, note } = parsed.data;
  return inTransaction(ctx.db, async (tx): Promise<Outcome<IncidentState>> => {
    const [incident] = await tx.select().from(incidents).where(eq(incidents.id, id)).for('update');
    if (!incident) return { ok: false, status: 404, errors: {}, message: 'No such incident' };
    if (!nextStates(incident.state).includes(to)) return { ok: false, status: 409, errors: { to: `An incident in ${incident.state} cannot move to ${to}` } };
    const at = ctx.clock.now();
    await tx.update(incidents).set({ state: to }).where(eq(incidents.id, id));
    await tx.insert(incidentSteps).values({ incidentId: id, step: to, at, staffId, note });
    return { ok: true, value: to };
  });
}

// ── reading ──────────────────────────────────────────────────────────────────────────────────────────────────────

export async function listIncidents(db: Executor): Promise<Incident[]> {
  return db.select().from(incidents).orderBy(desc(incidents.discoveredAt));
}

export async function findIncident(db: Executor, id: string): Promise<Incident | undefined> {
  const [row] = await db.select().from(incidents).where(eq(incidents.id, id));
  return row;
}

export async function stepsOf(db: Executor, id: string): Promise<IncidentStep[]> {
  return db.select().from(incidentSteps).where(eq(incidentSteps.incidentId, id)).orderBy(asc(incidentSteps.id));
}

export async function noticesOf(db: Executor, id: string): Promise<IncidentNotice[]> {
  return db.select().from(incidentNotices).where(eq(incidentNotices.incidentId, id)).orderBy(asc(incidentNotices.notifiedAt), asc(incidentNotices.unitId));
}

// ── the affected subjects ────────────────────────────────────────────────────────────────────────────────────────

type ProcessorField = (typeof PROCESSORS)[Processor]['fields'][number];

/** What each field a processor receives is, in the inventory's categories. */
const PROCESSOR_FIELD_CATEGORIES: Record<ProcessorField, Category> = {
  orderId: 'order_record',
  amountCents: 'order_record',
  currency: 'order_record',
  cardToken: 'payment_token',
  recipientName: 'account_contact',
  shippingAddress: 'delivery_address',
  phone: 'account_contact',
  parcelContents: 'order_record',
  parcelWeightGrams: 'order_record',
  recipient: 'account_contact',
  message: 'message_content',
};

const categoryOfField = (field: string): Category | undefined =>
  (FIELDS as Record<string, Category>)[field] ?? (PROCESSOR_FIELD_CATEGORIES as Record<string, Category>)[field];

export type AffectedSet = { units: string[]; counts: AffectedCounts };

/**
 * The subjects (their units) whose data of the incident's categories went, within its window, to one of its
 * processors (the disclosure ledger) or before the eyes of one of its staff accounts (the audit trail), with the
 * number of subjects and records per category. Only ids and counts: no personal data is opened.
 */
export async function affectedBy(db: Executor, incident: Incident): Promise<AffectedSet> {
  const columns = affectableColumns();
  const categories = new Set(incident.columns.map((c) => columns.get(c)).filter((c): c is Category => c !== undefined));
  const within = (at: AnyPgColumn) => [gte(at, incident.windowStart), lte(at, incident.windowEnd)];
  const ledger =
    incident.processors.length === 0
      ? []
      : await db.select({ unitId: disclosures.subjectUnitId, fields: disclosures.fields }).from(disclosures).where(and(inArray(disclosures.processor, incident.processors), ...within(disclosures.at)));
  const reads =
    incident.staffIds.length === 0
      ? []
      : await db.select({ unitId: auditEvents.subjectUnitId, fields: auditEvents.fields }).from(auditEvents).where(and(inArray(auditEvents.staffId, incident.staffIds), ...within(auditEvents.at)));
  const units = new Set<string>();
  const tally = new Map<Category, { subjects: Set<string>; records: number }>();
  for (const row of [...ledger, ...reads]) {
    const exposed = new Set(row.fields.map(categoryOfField).filter((c): c is Category => c !== undefined && categories.has(c)));
    if (exposed.size === 0) continue;
    units.add(row.unitId);
    for (const category of exposed) {
      const entry = tally.get(category) ?? { subjects: new Set(), records: 0 };
      entry.subjects.add(row.unitId);
      entry.records++;
      tally.set(category, entry);
    }
  }
  const counts: AffectedCounts = Object.fromEntries([...tally].sort(([a], [b]) => a.localeCompare(b)).map(([c, e]) => [c, { subjects: e.subjects.size, records: e.records }]));
  return { units: [...units].sort(), counts };
}

/** Finds the affected subjects and keeps them on the incident (unit ids and counts), as a recorded step. */
export async function recordAffected(ctx: IncidentContext, id: string, staffId: string | null): Promise<AffectedSet | undefined> {
  return inTransaction(ctx.db, async (tx) => {
    const [incident] = await tx.select().from(incidents).where(eq(incidents.id, id)).for('update');
    if (!incident) return undefined;
    const found = await affectedBy(tx, incident);
    const at = ctx.clock.now();
    await tx.update(incidents).set({ affectedUnits: found.units, affectedCounts: found.counts, affectedAt: at }).where(eq(incidents.id, id));
    await tx.insert(incidentSteps).values({ incidentId: id, step: 'affected', at, staffId, note: `${found.units.length} subjects found` });
    return found;
  });
}

// ── one affected subject, opened on purpose ──────────────────────────────────────────────────────────────────────

/** What the shop holds under a unit, for a privacy officer who opens it: which fields, and how to open them. */
export type OpenableSubject = { subject: Subject; label: string; fields: readonly Field[]; open(): Promise<Partial<Record<Field, string>>> };

/** The shop's look-up of a unit, since it owns the records; undefined when nothing is left under it. */
export type SubjectOf = (tx: Tx, unitId: string) => Promise<OpenableSubject | undefined>;

const OpenSubjectForm = z.object({
  unitId: z.uuid('Choose one of the affected subjects'),
  reason: text('Say why you open it (no personal data)'),
});

export type OpenedSubject = { unitId: string; label: string; values: Partial<Record<Field, string>> };

/**
 * The finder shows counts only; this is the one way to see an affected subject's data: a unit on the incident's
 * affected list, read for the legal obligation through the audit trail, the reason kept as a step of the incident.
 */
export async function openAffectedSubject(ctx: IncidentContext & { actor: StaffActor }, subjectOf: SubjectOf, id: string, input: unknown): Promise<Outcome<OpenedSubject>> {
  const parsed = OpenSubjectForm.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, status: 400, errors: errorsByField(parsed.error) };
  const unitId = parsed.data.unitId.toLowerCase();
  return inTransaction(ctx.db, async (tx): Promise<Outcome<OpenedSubject>> => {
    const [incident] = await tx.select().from(incidents).where(eq(incidents.id, id));
    if (!incident) return { ok: false, status: 404, errors: {}, message: 'No such incident' };
    if (!incident.affectedUnits?.includes(unitId)) return { ok: false, status: 400, errors: { unitId: 'That subject is not among those affected' } };
    const found = await subjectOf(tx, unitId);
    if (!found) return { ok: false, status: 409, errors: {}, message: 'Nothing is held under that subject any more: it was erased or has expired' };
    const values = await readForPurpose(ctx, tx, { subject: found.subject, fields: found.fields, purpose: 'legal_obligation' }, found.open);
    await tx.insert(incidentSteps).values({ incidentId: id, step: 'subject_opened', at: ctx.clock.now(), staffId: ctx.actor.staffId, note: `${unitId}: ${parsed.data.reason}` });
    return { ok: true, value: { unitId, label: found.label, values } };
  });
}

export const categoryLabel = (category: string) => (category in CATEGORIES ? CATEGORIES[category as Category].label : category);

// ── notices ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** The address of the person whose unit this is, opened by the shop, which owns the records; undefined once erased. */
export type RecipientOf = (tx: Tx, unitId: string) => Promise<string | undefined>;

export type NoticeContext = IncidentContext & MailContext & { shopName: string; contactEmail: string };

/** What sending notices takes, from the parts a server or the command line holds. */
export function noticeContext(ctx: IncidentContext, parts: Pick<MailContext, 'jobs' | 'sealer'> & { config: { shop: { name: string; contactEmail: string } } }): NoticeContext {
  return { ...ctx, jobs: parts.jobs, sealer: parts.sealer, shopName: parts.config.shop.name, contactEmail: parts.config.shop.contactEmail };
}

/** The customer's notice, in plain words (GDPR Art. 34): the same for each affected subject, naming no one. */
export function noticeMail(ctx: Pick<NoticeContext, 'shopName' | 'contactEmail'>, incident: Incident, steps: readonly IncidentStep[]): { subject: string; text: string } {
  const categories = Object.keys(incident.affectedCounts ?? {}).map((c) => `- ${categoryLabel(c)}`);
  const measures = steps.filter((s) => s.step === 'contained' || s.step === 'notified').map((s) => `- ${s.note}`);
  const day = (at: Date) => inZone(at, incident.zone);
  return {
    subject: `${ctx.shopName}: a security incident involving your data`,
    text: [
      'Hello,',
      '',
      `We are writing to tell you about a security incident at ${ctx.shopName} that involved some of your data.`,
      '',
      `What happened: ${incident.summary}`,
      `When: between ${day(incident.windowStart)} and ${day(incident.windowEnd)}. We found it on ${day(incident.discoveredAt)}.`,
      '',
      'The data concerned:',
      ...categories,
      '',
      `What this may mean for you: ${incident.consequences}`,
      '',
      'What we have done:',
      ...(measures.length > 0 ? measures : ['- We stopped the cause and are investigating.']),
      '',
      'Be wary of messages that claim to come from us and ask for passwords or payment details; we never ask for them.',
      `If you have questions, write to ${ctx.contactEmail}. You may also complain to your data protection authority.`,
      '',
      ctx.shopName,
    ].join('\n'),
  };
}

export type NoticeRun = { sent: number; alreadyNotified: number; unreachable: number };

/**
 * Writes to each affected subject once, sealed under their unit's key. Units already on the notice record are
 * skipped, and units whose address was already written to in this run are recorded without a second message, so a
 * person with an account and two orders hears once; the outbox's dedupe key keeps a retried run from sending twice.
 */
export async function sendNotices(ctx: NoticeContext, recipientOf: RecipientOf, id: string, staffId: string | null): Promise<NoticeRun | undefined> {
  return inTransaction(ctx.db, async (tx) => {
    const [incident] = await tx.select().from(incidents).where(eq(incidents.id, id)).for('update');
    if (!incident?.affectedUnits) return undefined;
    const done = new Set((await tx.select({ unitId: incidentNotices.unitId }).from(incidentNotices).where(eq(incidentNotices.incidentId, id))).map((r) => r.unitId));
    const message = noticeMail(ctx, incident, await stepsOf(tx, id));
    const now = ctx.clock.now();
    const written = new Set<string>();
    const run: NoticeRun = { sent: 0, alreadyNotified: done.size, unreachable: 0 };
    for (const unitId of incident.affectedUnits) {
      if (done.has(unitId)) continue;
      const to = await recipientOf(tx, unitId);
      const address = to?.trim().toLowerCase();
      let outboxId: string | null = null;
      if (!to || !address) run.unreachable++;
      else if (!written.has(address)) {
        written.add(address);
        outboxId = await queueMail(ctx, tx, `incident:${id}:${unitId}`, { to, subject: message.subject, text: message.text }, unitId);
        if (outboxId) run.sent++;
      }
      await tx.insert(incidentNotices).values({ incidentId: id, unitId, notifiedAt: now, staffId, outboxId });
    }
    await tx.insert(incidentSteps).values({ incidentId: id, step: 'notices', at: now, staffId, note: `${run.sent} customers written to` });
    return run;
  });
}
