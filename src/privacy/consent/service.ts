import { randomUUID } from 'node:crypto';
import { and, desc, eq, ne, or, sql, type SQL } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { inTransaction, type Executor } from '../../platform/db/index.ts';
import { newToken, tokenHash, TOKEN_PATTERN } from '../../platform/secrets.ts';
import { COOKIE_POLICY_REVISION, COOKIES, CONSENT_COOKIE, isDeclaredCookie, OPTIONAL_CATEGORIES, type OptionalCategory } from '../cookies.ts';
import { createUnit, isErased, openJson, sealJson, type VaultContext } from '../vault/service.ts';
import { consentRecords } from './schema.ts';

// Cookie consent (seed 000 §6). A visitor's choice lives in the essential consent cookie, signed so it cannot be
// forged, and every choice is also recorded server-side. Reading the choice costs no query, so pages cached for
// everyone stay cached: they only differ by whether the banner is shown.

export type ConsentMethod = 'banner' | 'settings' | 'gpc';
export const CONSENT_METHODS: Record<ConsentMethod, string> = {
  banner: 'the cookie banner',
  settings: 'the cookie settings page',
  gpc: 'your browser’s Global Privacy Control signal',
};

/** `underGpc`: made while the browser sent a GPC signal, so an opt-in in it is the visitor's own, later, word. */
export type Choice = { visitorId: string; revision: string; granted: OptionalCategory[]; method: ConsentMethod; underGpc: boolean };

const CONSENT_MAX_AGE_SECONDS = 180 * 24 * 60 * 60;

/** A Global Privacy Control signal (https://privacycg.github.io/gpc-spec/). */
export function sendsGpc(request: FastifyRequest): boolean {
  return request.headers['sec-gpc'] === '1';
}

function encodeChoice(choice: Choice): string {
  return [choice.visitorId, choice.revision, choice.granted.join('+') || '-', choice.method, choice.underGpc ? 'g' : '-'].join('.');
}

/** The choice a cookie value holds, or undefined for anything malformed. */
export function decodeChoice(value: string): Choice | undefined {
  const [visitorId, revision, granted, method, gpc, ...rest] = value.split('.');
  if (rest.length > 0 || (gpc !== 'g' && gpc !== '-') || !visitorId || !TOKEN_PATTERN.test(visitorId) || !revision || !granted || !method || !(method in CONSENT_METHODS)) return undefined;
  const categories = granted === '-' ? [] : granted.split('+');
  if (!categories.every((c) => (OPTIONAL_CATEGORIES as readonly string[]).includes(c))) return undefined;
  return { visitorId, revision, granted: categories as OptionalCategory[], method: method as ConsentMethod, underGpc: gpc === 'g' };
}

// The choice in force for a request: the one just made on it, else its cookie's, checked once per request.
const choices = new WeakMap<FastifyRequest, Choice | null>();

// A visitor sends the same signed cookie with every page, and checking its signature is an HMAC: the last cookie
// values each server found valid (signature included, so an altered one is checked afresh) keep the choice they
// hold, an opaque id and categories, nothing else. Only cookies the shop signed are kept, so an entry stays small
// whatever a client sends; a map is emptied when full.
const checkedBy = new WeakMap<object, Map<string, Choice>>();
const CHECKED_KEPT = 10_000;

function cookieChoice(request: FastifyRequest): Choice | undefined {
  const raw = request.cookies[CONSENT_COOKIE];
  if (!raw) return undefined;
  let checked = checkedBy.get(request.server);
  if (!checked) checkedBy.set(request.server, (checked = new Map()));
  const known = checked.get(raw);
  if (known) return known;
  const unsigned = request.unsignCookie(raw);
  const choice = unsigned.valid && unsigned.value ? decodeChoice(unsigned.value) : undefined;
  if (!choice) return undefined;
  if (checked.size >= CHECKED_KEPT) checked.clear();
  checked.set(raw, choice);
  return choice;
}

/** The visitor's choice, whatever revision it was made under (the receipt finds their records by its id). */
export function storedChoice(request: FastifyRequest): Choice | undefined {
  let choice = choices.get(request);
  if (choice === undefined) choices.set(request, (choice = cookieChoice(request) ?? null));
  return choice ?? undefined;
}

/** The choice that counts: one made under the current cookie list (a new revision asks again). */
export function currentChoice(request: FastifyRequest, revision = COOKIE_POLICY_REVISION): Choice | undefined {
  const choice = storedChoice(request);
  return choice?.revision === revision ? choice : undefined;
}

/** A GPC signal overrides any choice made without it: only an opt-in made while sending it counts. */
export function gpcOverrides(request: FastifyRequest, choice: Choice | undefined): boolean {
  return sendsGpc(request) && !(choice?.underGpc ?? false);
}

/** Whether a non-essential category is allowed: only by a choice under the current list, and never against GPC. */
export function allows(request: FastifyRequest, category: OptionalCategory): boolean {
  const choice = currentChoice(request);
  return !gpcOverrides(request, choice) && (choice?.granted.includes(category) ?? false);
}

/** True while the visitor has made no choice under the current list and sent no GPC signal: the banner shows. */
export function mustAsk(request: FastifyRequest): boolean {
  return !currentChoice(request) && !sendsGpc(request);
}

/** Puts a choice into force for this response and the visitor's next requests. */
export function rememberChoice(request: FastifyRequest, reply: FastifyReply, choice: Choice, secure: boolean) {
  choices.set(request, choice);
  reply.setCookie(CONSENT_COOKIE, encodeChoice(choice), { path: '/', httpOnly: true, sameSite: 'lax', secure, signed: true, maxAge: CONSENT_MAX_AGE_SECONDS });
}

/** Withdrawal takes effect at once: every cookie of a category the visitor has not granted is expired. */
export function expireRefusedCookies(request: FastifyRequest, reply: FastifyReply) {
  for (const name of Object.keys(request.cookies)) {
    if (!isDeclaredCookie(name)) continue;
    const { category } = COOKIES[name];
    if (category !== 'essential' && !allows(request, category)) reply.clearCookie(name, { path: '/' });
  }
}

export type ConsentRecord = {
  id: string;
  policyRevision: string;
  granted: OptionalCategory[];
  refused: OptionalCategory[];
  method: ConsentMethod;
  recordedAt: Date;
  signedIn: boolean;
};

type SealedChoice = { granted: OptionalCategory[]; refused: OptionalCategory[]; method: ConsentMethod };

/** The person's latest record: the unit all of theirs are sealed under, and the time a new one must come after. */
async function latestRecord(tx: Executor, same: SQL | undefined) {
  const [latest] = await tx
    .select({ unitId: consentRecords.unitId, visitorHash: consentRecords.visitorHash, recordedAt: consentRecords.recordedAt })
    .from(consentRecords)
    .where(same)
    .orderBy(desc(consentRecords.recordedAt))
    .limit(1);
  return latest;
}

/**
 * When a new record of the same person is made: now, or a millisecond after their latest record if that is not
 * earlier. The latest record is the choice in force, so a change made within the same millisecond (a double click,
 * a clock that does not move) must still sort after the choice it replaces.
 */
function nextRecordTime(latest: { recordedAt: Date } | undefined, now: Date): Date {
  return latest && latest.recordedAt.getTime() >= now.getTime() ? new Date(latest.recordedAt.getTime() + 1) : now;
}

/**
 * One person's records are written one at a time, until the transaction ends: two submits at once (two tabs, a
 * double click) had each read the same latest record and been timed alike, so which was in force was a toss-up.
 */
const oneAtATime = (tx: Executor, person: string) => tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`consent ${person}`}))`);

/**
 * Records a choice: a new row sealed under the visitor's consent unit (made with their first choice). A visitor
 * without a valid id gets a new one; a signed-in customer's record also names their account.
 */
export async function recordChoice(
  ctx: VaultContext,
  input: { visitorId?: string | undefined; customerId?: string | undefined; granted: readonly OptionalCategory[]; method: ConsentMethod; underGpc: boolean },
): Promise<Choice> {
  const visitorId = input.visitorId ?? newToken();
  const visitorHash = tokenHash(visitorId);
  const granted = OPTIONAL_CATEGORIES.filter((c) => input.granted.includes(c));
  const sealed: SealedChoice = { granted, refused: OPTIONAL_CATEGORIES.filter((c) => !granted.includes(c)), method: input.method };
  await inTransaction(ctx.db, async (tx) => {
    const vault = { ...ctx, db: tx };
    await oneAtATime(tx, visitorHash.toString('hex'));
    const earlier = await latestRecord(tx, eq(consentRecords.visitorHash, visitorHash));
    const recordedAt = nextRecordTime(earlier, ctx.clock.now());
    const unit = earlier ? { kind: 'consent_record' as const, id: earlier.unitId } : await createUnit(vault, 'consent_record');
    const id = randomUUID();
    await tx.insert(consentRecords).values({
      id,
      unitId: unit.id,
      visitorHash,
      customerId: input.customerId ?? null,
      policyRevision: COOKIE_POLICY_REVISION,
      choice: await sealJson(vault, unit, { table: 'consent_record', column: 'choice', rowId: id }, sealed),
      recordedAt,
    });
  });
  return { visitorId, revision: COOKIE_POLICY_REVISION, granted, method: input.method, underGpc: input.underGpc };
}

/** Every recorded choice of this visitor (and of the signed-in customer, on any device), newest first. */
export async function consentHistory(ctx: VaultContext, who: { visitorId?: string | undefined; customerId?: string | undefined }): Promise<ConsentRecord[]> {
  const conditions = [
    ...(who.visitorId ? [eq(consentRecords.visitorHash, tokenHash(who.visitorId))] : []),
    ...(who.customerId ? [eq(consentRecords.customerId, who.customerId)] : []),
  ];
  if (conditions.length === 0) return [];
  // In one transaction, so each visitor unit's key is read once however many records it sealed.
  return inTransaction(ctx.db, async (tx) => {
    const rows = await tx
      .select()
      .from(consentRecords)
      .where(and(or(...conditions), ne(consentRecords.policyRevision, MARKETING_EMAIL_REVISION)))
      .orderBy(desc(consentRecords.recordedAt), desc(consentRecords.id));
    const records: ConsentRecord[] = [];
    for (const row of rows) {
      const choice = await openJson<SealedChoice>({ ...ctx, db: tx }, row.unitId, { table: 'consent_record', column: 'choice', rowId: row.id }, row.choice);
      if (isErased(choice)) continue;
      records.push({ id: row.id, policyRevision: row.policyRevision, ...choice, recordedAt: row.recordedAt, signedIn: row.customerId !== null });
    }
    return records;
  });
}

// ── marketing e-mail (seed 000 §8: withdraw partial authorisation) ──────────────────────────────────────────────
// An account's own switch, off until the customer turns it on. Each change is a consent record like a cookie
// choice (kept apart from them by its revision), under one unit per account, so it is exported and erased with
// the account's other choices.

export const MARKETING_EMAIL_REVISION = 'marketing-email/1';

type SealedMarketing = { purpose: 'marketing_with_consent'; subscribed: boolean; method: 'privacy_center' };

const marketingOf = (customerId: string) => and(eq(consentRecords.customerId, customerId), eq(consentRecords.policyRevision, MARKETING_EMAIL_REVISION));

/** Records the customer's marketing e-mail switch, on or off. */
export async function recordMarketingChoice(ctx: VaultContext, customerId: string, subscribed: boolean): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    const vault = { ...ctx, db: tx };
    await oneAtATime(tx, customerId);
    const earlier = await latestRecord(tx, marketingOf(customerId));
    const recordedAt = nextRecordTime(earlier, ctx.clock.now());
    const unit = earlier ? { kind: 'consent_record' as const, id: earlier.unitId } : await createUnit(vault, 'consent_record');
    const id = randomUUID();
    const sealed: SealedMarketing = { purpose: 'marketing_with_consent', subscribed, method: 'privacy_center' };
    await tx.insert(consentRecords).values({
      id,
      unitId: unit.id,
      // No browser made this choice: the "visitor" is an id of its own that nothing else carries.
      visitorHash: earlier?.visitorHash ?? tokenHash(newToken()),
      customerId,
      policyRevision: MARKETING_EMAIL_REVISION,
      choice: await sealJson(vault, unit, { table: 'consent_record', column: 'choice', rowId: id }, sealed),
      recordedAt,
    });
  });
}

/**
 * Whether the customer's latest recorded choice is yes to marketing e-mail. No record, an erased one or an off
 * switch all mean no: the purpose `marketing_with_consent` needs the explicit opt-in.
 */
export async function marketingAllowed(ctx: VaultContext, customerId: string): Promise<boolean> {
  return inTransaction(ctx.db, async (tx) => {
    const [latest] = await tx.select().from(consentRecords).where(marketingOf(customerId)).orderBy(desc(consentRecords.recordedAt), desc(consentRecords.id)).limit(1);
    if (!latest) return false;
    const choice = await openJson<SealedMarketing>({ ...ctx, db: tx }, latest.unitId, { table: 'consent_record', column: 'choice', rowId: latest.id }, latest.choice);
    return !isErased(choice) && choice.subscribed;
  });
}
