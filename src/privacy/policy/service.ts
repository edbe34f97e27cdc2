import { asc, desc, eq, gt, lte, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.ts';
import { inTransaction, type Executor } from '../../platform/db/index.ts';
import type { Jobs } from '../../platform/jobs.ts';
import { queueMail, type MailSealer } from '../../platform/mail/service.ts';
import { changed, wordDiff } from './diff.ts';
import { factChanges, significantChanges, FACT_TOPICS, type FactChange, type PolicyFacts } from './facts.ts';
import { firstVersionSections } from './prose.ts';
import { policyAcceptances, policyDrafts, policyVersions, type PolicyKind, type PolicySection } from './schema.ts';
import { day, noticeMail } from './views.ts';

// The privacy policy as data (seed 000 §9): versions are published by the privacy officer from a draft, a minor one
// in force at once, a significant one announced to every customer and in force on a date no earlier than the notice
// period; which version is in force is decided by its effective date against the clock.

export type PolicyContext = { db: Executor; clock: Clock };

export type VersionSummary = { number: number; kind: PolicyKind; summary: string; publishedAt: Date; effectiveAt: Date };
export type PolicyVersion = VersionSummary & { sections: PolicySection[]; facts: PolicyFacts };

const summaryColumns = {
  number: policyVersions.number,
  kind: policyVersions.kind,
  summary: policyVersions.summary,
  publishedAt: policyVersions.publishedAt,
  effectiveAt: policyVersions.effectiveAt,
};

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Writes version 1 from the first-version prose and today's facts when there is no version yet. Two instances
 * starting together both try; the primary key lets one of them in. It is in force at once and announced to nobody,
 * as a minor version is, and it asks no acceptance: continued use accepts an updated policy (seed 000 §9).
 */
export async function ensureFirstVersion(ctx: PolicyContext, shopName: string, facts: PolicyFacts): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db
    .insert(policyVersions)
    .values({ number: 1, kind: 'minor', summary: 'The first version of this policy.', sections: firstVersionSections(shopName), facts, publishedAt: now, effectiveAt: now })
    .onConflictDoNothing({ target: policyVersions.number });
}

/** Every version, newest first. */
export function listVersions(ctx: PolicyContext): Promise<VersionSummary[]> {
  return ctx.db.select(summaryColumns).from(policyVersions).orderBy(desc(policyVersions.number));
}

export async function findVersion(ctx: PolicyContext, number: number): Promise<PolicyVersion | undefined> {
  const [row] = await ctx.db.select().from(policyVersions).where(eq(policyVersions.number, number));
  return row && withoutAuthor(row);
}

/** The version whose effective date is the latest one not after now. */
export async function versionInForce(ctx: PolicyContext): Promise<PolicyVersion | undefined> {
  const [row] = await ctx.db
    .select()
    .from(policyVersions)
    .where(lte(policyVersions.effectiveAt, ctx.clock.now()))
    .orderBy(desc(policyVersions.effectiveAt), desc(policyVersions.number))
    .limit(1);
  return row && withoutAuthor(row);
}

function withoutAuthor({ publishedBy: _, ...version }: typeof policyVersions.$inferSelect): PolicyVersion {
  return version;
}

/**
 * How the live facts differ from the snapshot of the version in force: empty when the published policy matches
 * the inventory, the rules and the configuration. (The conformance report calls this.)
 */
export async function policyDrift(ctx: PolicyContext, facts: PolicyFacts): Promise<FactChange[]> {
  const inForce = await versionInForce(ctx);
  return inForce ? factChanges(inForce.facts, facts) : [];
}

// --- The draft ---------------------------------------------------------------------------------------------------

export type Draft = { summary: string; sections: PolicySection[]; revision: number; saved: boolean; basedOn: PolicyVersion };

async function latestVersion(db: Executor): Promise<PolicyVersion> {
  const [row] = await db.select().from(policyVersions).orderBy(desc(policyVersions.number)).limit(1);
  if (!row) throw new Error('the privacy policy has no version: ensureFirstVersion runs at start');
  return withoutAuthor(row);
}

/** The saved draft, or a fresh one from the latest version's text. */
export async function currentDraft(ctx: PolicyContext): Promise<Draft> {
  const [basedOn, [saved]] = await Promise.all([latestVersion(ctx.db), ctx.db.select().from(policyDrafts).where(eq(policyDrafts.id, 1))]);
  if (saved) return { summary: saved.summary, sections: saved.sections, revision: saved.revision, saved: true, basedOn };
  return { summary: '', sections: basedOn.sections, revision: 0, saved: false, basedOn };
}

export async function saveDraft(ctx: PolicyContext, staffId: string, input: { summary: string; sections: PolicySection[] }): Promise<void> {
  const values = { id: 1, summary: input.summary, sections: input.sections, revision: 1, updatedAt: ctx.clock.now(), updatedBy: staffId };
  await ctx.db
    .insert(policyDrafts)
    .values(values)
    .onConflictDoUpdate({
      target: policyDrafts.id,
      set: { summary: values.summary, sections: values.sections, updatedAt: values.updatedAt, updatedBy: staffId, revision: sql`${policyDrafts.revision} + 1` },
    });
}

export async function discardDraft(ctx: PolicyContext): Promise<void> {
  await ctx.db.delete(policyDrafts).where(eq(policyDrafts.id, 1));
}

/** What a draft would change: each section's heading and prose, and the facts, against the version it follows. */
export type Redline = {
  sections: { id: string; heading: ReturnType<typeof wordDiff>; prose: ReturnType<typeof wordDiff>; changed: boolean }[];
  facts: FactChange[];
};

export function redline(before: { sections: readonly PolicySection[]; facts: PolicyFacts } | undefined, after: { sections: readonly PolicySection[]; facts: PolicyFacts }): Redline {
  const old = new Map((before?.sections ?? []).map((s) => [s.id, s]));
  const sections = after.sections.map((s) => {
    const was = old.get(s.id);
    const heading = wordDiff(was?.heading ?? '', s.heading);
    const prose = wordDiff(was?.prose ?? '', s.prose);
    return { id: s.id, heading, prose, changed: changed(heading) || changed(prose) };
  });
  return { sections, facts: before ? factChanges(before.facts, after.facts) : [] };
}

// --- Publishing --------------------------------------------------------------------------------------------------

export type PublishContext = PolicyContext & { jobs: Jobs; noticeDays: number };

export type PublishInput = { kind: PolicyKind; effectiveOn?: Date | undefined; revision: number };

export type PublishResult =
  | { ok: true; number: number; effectiveAt: Date }
  | { ok: false; status: 409 | 422; field: 'kind' | 'effectiveOn' | '_form'; message: string };

export const POLICY_NOTICE_JOB = 'policy.notices';

/** The first day a significant version published now may take effect: the notice period, rounded up to a day. */
export function earliestEffectiveDay(now: Date, noticeDays: number): Date {
  const earliest = new Date(now.getTime() + noticeDays * DAY_MS);
  const day = new Date(Date.UTC(earliest.getUTCFullYear(), earliest.getUTCMonth(), earliest.getUTCDate()));
  return day < earliest ? new Date(day.getTime() + DAY_MS) : day;
}

/**
 * Publishes the draft (the revision the officer previewed) as the next version, in one transaction: a minor version
 * takes effect now and may not change what is collected, why, who receives it or how long it is kept; a
 * significant one takes effect on the chosen day, at least the notice period ahead, and its notices are queued.
 */
export async function publishDraft(ctx: PublishContext, staffId: string, input: PublishInput, facts: PolicyFacts): Promise<PublishResult> {
  return inTransaction(ctx.db, async (tx) => {
    const now = ctx.clock.now();
    // The draft's row lock makes two publishers take turns; the second finds the draft gone.
    const [draft] = await tx.select().from(policyDrafts).where(eq(policyDrafts.id, 1)).for('update');
    if (!draft || draft.revision !== input.revision) {
      return { ok: false, status: 409, field: '_form', message: 'The draft changed since this preview was shown (or was published). Look at it again before publishing.' } as const;
    }
    const latest = await latestVersion(tx);
    if (latest.effectiveAt > now) {
      return { ok: false, status: 409, field: '_form', message: `Version ${latest.number} takes effect on ${day(latest.effectiveAt)}; publish the next version after that.` } as const;
    }
    const changes = redline(latest, { sections: draft.sections, facts });
    if (!changes.sections.some((s) => s.changed) && changes.facts.length === 0) {
      return { ok: false, status: 422, field: '_form', message: `This draft says the same as version ${latest.number}: there is nothing to publish.` } as const;
    }
    const significant = significantChanges(changes.facts);
    if (input.kind === 'minor' && significant.length > 0) {
      const topics = [...new Set(significant.map((c) => FACT_TOPICS[c.topic].toLowerCase()))].join(', ');
      return {
        ok: false,
        status: 422,
        field: 'kind',
        message: `This cannot be a minor version: ${topics} changed since version ${latest.number}. Publish it as significant, announced ${ctx.noticeDays} days ahead.`,
      } as const;
    }
    let effectiveAt = now;
    if (input.kind === 'significant') {
      const earliest = earliestEffectiveDay(now, ctx.noticeDays);
      if (!input.effectiveOn) return { ok: false, status: 422, field: 'effectiveOn', message: 'Choose the day it takes effect' } as const;
      if (input.effectiveOn < earliest) {
        return { ok: false, status: 422, field: 'effectiveOn', message: `Customers are told ${ctx.noticeDays} days ahead: choose ${day(earliest)} or later` } as const;
      }
      effectiveAt = input.effectiveOn;
    }
    const number = latest.number + 1;
    await tx.insert(policyVersions).values({ number, kind: input.kind, summary: draft.summary, sections: draft.sections, facts, publishedAt: now, effectiveAt, publishedBy: staffId });
    await tx.delete(policyDrafts).where(eq(policyDrafts.id, 1));
    if (input.kind === 'significant') await ctx.jobs.send(POLICY_NOTICE_JOB, { version: number }, { within: tx });
    return { ok: true, number, effectiveAt } as const;
  });
}

// --- Advance notice ----------------------------------------------------------------------------------------------

/** A customer account to tell about a change: its id, its unit (the mail is sealed under its key) and address. */
export type NoticeRecipient = { customerId: string; unitId: string; email: string };

/**
 * The shop's accounts in id order, `limit` at a time after the cursor `after`, with the cursor of the next batch
 * (undefined after the last); handed in by the shop, since the engine does not read the shop's tables.
 */
export type NoticeAudience = (after: string | undefined, limit: number) => Promise<{ recipients: NoticeRecipient[]; next: string | undefined }>;

export type NoticeContext = PolicyContext & { jobs: Jobs; sealer: MailSealer; baseUrl: string; shopName: string };

const NOTICE_BATCH = 200;

/**
 * Mails one batch of advance notices of `version` and queues the job for the next batch in the same transaction, so
 * a crash resumes where the last batch ended. Each notice's dedupe key names the version and the account: a batch
 * run twice mails nobody twice.
 */
export async function sendNoticeBatch(ctx: NoticeContext, audience: NoticeAudience, job: { version: number; after?: string }): Promise<number> {
  const version = await findVersion(ctx, job.version);
  if (!version) return 0;
  const { recipients, next } = await audience(job.after, NOTICE_BATCH);
  const message = noticeMail(ctx, version);
  await inTransaction(ctx.db, async (tx) => {
    for (const r of recipients) await queueMail(ctx, tx, `policy-notice:${version.number}:${r.customerId}`, { to: r.email, ...message }, r.unitId);
    if (next !== undefined) await ctx.jobs.send(POLICY_NOTICE_JOB, { version: version.number, after: next }, { within: tx });
  });
  return recipients.length;
}

// --- Acceptance --------------------------------------------------------------------------------------------------

/** Records that the customer went on using the shop after `version` took effect (seed 000 §9); once. */
export async function recordAcceptance(ctx: PolicyContext, customerId: string, version: number): Promise<void> {
  await ctx.db.insert(policyAcceptances).values({ customerId, version, acceptedAt: ctx.clock.now() }).onConflictDoNothing();
}

export async function acceptances(ctx: PolicyContext, customerId: string): Promise<{ version: number; acceptedAt: Date }[]> {
  return ctx.db
    .select({ version: policyAcceptances.version, acceptedAt: policyAcceptances.acceptedAt })
    .from(policyAcceptances)
    .where(eq(policyAcceptances.customerId, customerId))
    .orderBy(asc(policyAcceptances.version));
}

// --- The versions in memory ----------------------------------------------------------------------------------------

/**
 * Every instance keeps the list of versions (numbers and dates, not their text) in memory, so that the banner on
 * every page, cached ones included, and the acceptance check cost no query. The list is read again when this
 * instance publishes and every `refreshMs` (for versions another instance published); a version taking effect
 * needs no reading, since "in force" is worked out from the dates against the clock.
 */
export type PolicyCalendar = {
  refresh(): Promise<void>;
  inForce(): VersionSummary | undefined;
  /** The version announced to take effect later, if any. */
  upcoming(): VersionSummary | undefined;
  /** Changes whenever what every page shows about the policy changes. */
  stamp(): string;
};

export function createPolicyCalendar(ctx: PolicyContext): PolicyCalendar {
  let versions: VersionSummary[] = [];
  const inForce = () => {
    const now = ctx.clock.now();
    let found: VersionSummary | undefined;
    for (const v of versions) if (v.effectiveAt <= now && (!found || v.effectiveAt > found.effectiveAt || (v.effectiveAt.getTime() === found.effectiveAt.getTime() && v.number > found.number))) found = v;
    return found;
  };
  const upcoming = () => {
    const now = ctx.clock.now();
    return versions.filter((v) => v.effectiveAt > now).sort((a, b) => a.effectiveAt.getTime() - b.effectiveAt.getTime())[0];
  };
  return {
    async refresh() {
      versions = await listVersions(ctx);
    },
    inForce,
    upcoming,
    stamp: () => `${inForce()?.number ?? 0}:${upcoming()?.number ?? 0}`,
  };
}

/** Versions announced whose effective date is still ahead (at most one, since publishing waits for it). */
export function pendingVersions(ctx: PolicyContext): Promise<VersionSummary[]> {
  return ctx.db.select(summaryColumns).from(policyVersions).where(gt(policyVersions.effectiveAt, ctx.clock.now())).orderBy(asc(policyVersions.effectiveAt));
}
