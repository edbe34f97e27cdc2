import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPage, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { keptValues, parseForm } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import type { CustomerOf } from '../consent/routes.ts';
import type { CookieName } from '../cookies.ts';
import { staffGuard } from '../staff/routes.ts';
import { keyringFrom, type VaultContext } from '../vault/service.ts';
import { factChanges, liveFacts, significantChanges } from './facts.ts';
import { SECTION_IDS } from './prose.ts';
import { POLICY_KINDS } from './schema.ts';
import {
  createPolicyCalendar,
  currentDraft,
  discardDraft,
  earliestEffectiveDay,
  ensureFirstVersion,
  findVersion,
  listVersions,
  pendingVersions,
  publishDraft,
  recordAcceptance,
  redline,
  saveDraft,
  versionInForce,
  type PolicyCalendar,
} from './service.ts';
import { editorPage, noticeBanner, policyPage, previewPage, versionPage, versionsPage, type EditorState, type PreviewState } from './views.ts';

// /privacy (the policy in force), /privacy/versions (every version and its redline), /admin/policy (the privacy
// officer's editor), the banner announcing a significant change on every page, and the record of customers'
// acceptance on their first signed-in request after a version takes effect.

/** Versions another instance published are seen within this long (this instance's own, at once). */
const REFRESH_MS = 60_000;
/** Sessions already checked for the version in force, remembered by hash; forgotten in one go past this many. */
const MAX_REMEMBERED_SESSIONS = 50_000;
const SESSION_COOKIE: CookieName = 'pledge_session';

const heading = z.string().trim().min(1, 'Give the section a heading').max(120, 'Use at most 120 characters');
// Browsers send a textarea's line breaks as CRLF; stored as LF, an unchanged section compares equal to its version.
const prose = z
  .string()
  .transform((v) => v.replace(/\r\n?/g, '\n').trim())
  .pipe(z.string().min(1, 'Write the section’s text').max(20_000, 'Use at most 20,000 characters'));
const DraftForm = z.object({
  summary: z.string().trim().min(1, 'Say in a sentence what changes').max(500, 'Use at most 500 characters'),
  ...Object.fromEntries(SECTION_IDS.flatMap((id) => [[`heading_${id}`, heading], [`prose_${id}`, prose]])),
}) as unknown as z.ZodType<{ summary: string } & Record<string, string>>;
const DRAFT_FIELDS = ['summary', ...SECTION_IDS.flatMap((id) => [`heading_${id}`, `prose_${id}`])];

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter the date as YYYY-MM-DD')
  .transform((v) => new Date(`${v}T00:00:00Z`))
  .refine((d) => !Number.isNaN(d.getTime()), 'Enter a real date');
const PublishForm = z.object({
  revision: z.coerce.number({ error: 'The form is missing its draft revision' }).int().min(0),
  kind: z.enum(POLICY_KINDS, { error: 'Choose minor or significant' }),
  effectiveOn: z.union([z.literal('').transform(() => undefined), isoDay]).optional(),
});
const VersionParams = z.object({ number: z.coerce.number().int().min(1).max(1_000_000) });
const PublishedQuery = z.object({ published: z.coerce.number().int().min(1).optional().catch(undefined) });

export async function policyRoutes(app: FastifyInstance, platform: Platform, customerOf: CustomerOf) {
  const { database, clock, config, layout, jobs, log } = platform;
  const ctx = { db: database.db, clock };
  const vault: VaultContext = { ...ctx, keys: keyringFrom(platform.masterKey) };
  const facts = liveFacts(config, config.policyNoticeDays);

  await ensureFirstVersion(ctx, config.shop.name, facts);
  const calendar = createPolicyCalendar(ctx);
  await calendar.refresh();
  const refresher = setInterval(() => calendar.refresh().catch((error: unknown) => log.warn({ err: error }, 'reading the policy versions failed')), REFRESH_MS);
  refresher.unref();
  app.addHook('onClose', () => clearInterval(refresher));

  layout.announce({
    markup: () => {
      const upcoming = calendar.upcoming();
      return upcoming ? noticeBanner(upcoming) : html``;
    },
    stamp: calendar.stamp,
  });

  recordAcceptances(app, calendar, customerOf, (customerId, version) => recordAcceptance(ctx, customerId, version));

  app.get('/privacy', async (_request, reply) => {
    const version = await versionInForce(ctx);
    if (!version) return reply.callNotFound();
    return sendPage(reply, layout.page({ title: 'Privacy policy', description: `How ${config.shop.name} handles personal information.`, body: policyPage(version, facts, calendar.upcoming()) }));
  });

  app.get('/privacy/versions', async (_request, reply) => {
    const versions = await listVersions(ctx);
    return sendPage(reply, layout.page({ title: 'Versions of the privacy policy', body: versionsPage(versions, calendar.inForce()?.number) }));
  });

  app.get('/privacy/versions/:number', async (request, reply) => {
    const params = VersionParams.safeParse(request.params);
    const version = params.success ? await findVersion(ctx, params.data.number) : undefined;
    if (!version) return reply.callNotFound();
    const previous = version.number > 1 ? await findVersion(ctx, version.number - 1) : undefined;
    const body = versionPage(version, redline(previous, version), previous?.number, calendar.inForce()?.number, clock.now());
    return sendPage(reply, layout.page({ title: `Privacy policy, version ${version.number}`, body }));
  });

  // --- The privacy officer's editor --------------------------------------------------------------------------------

  const officer = staffGuard(vault, { allow: ['privacy_officer'] });
  const staffId = (request: FastifyRequest) => request.staff!.staffId;
  const nav = html`<a href="/admin">Back office</a><a href="/admin/policy" aria-current="page">Privacy policy</a><a href="/privacy/versions">Published versions</a>`;
  const adminPage = (reply: FastifyReply, title: string, body: Html, status = 200) => sendPrivatePage(reply, layout.page({ title, body, nav }), status);

  async function editor(reply: FastifyReply, s: EditorState = {}, status = 200) {
    const [draft, inForce, pending] = await Promise.all([currentDraft(ctx), versionInForce(ctx), pendingVersions(ctx)]);
    const drift = inForce ? factChanges(inForce.facts, facts) : [];
    return adminPage(reply, 'Privacy policy', editorPage({ ...s, draft, inForce, pending, drift, csrf: csrfField(reply), noticeDays: config.policyNoticeDays }), status);
  }

  app.get('/admin/policy', { preHandler: officer }, (request, reply) => editor(reply, { published: PublishedQuery.parse(request.query ?? {}).published }));

  app.post('/admin/policy/draft', { preHandler: officer }, async (request, reply) => {
    const form = parseForm(DraftForm, request.body, DRAFT_FIELDS);
    if (!form.ok) return editor(reply, { errors: form.errors, values: form.values }, 422);
    const sections = SECTION_IDS.map((id) => ({ id, heading: form.data[`heading_${id}`]!, prose: form.data[`prose_${id}`]! }));
    await saveDraft(ctx, staffId(request), { summary: form.data.summary, sections });
    return reply.redirect('/admin/policy/preview', 303);
  });

  app.post('/admin/policy/draft/discard', { preHandler: officer }, async (_request, reply) => {
    await discardDraft(ctx);
    return reply.redirect('/admin/policy', 303);
  });

  async function preview(reply: FastifyReply, s: PreviewState = {}, status = 200) {
    const draft = await currentDraft(ctx);
    // Without a draft (another officer just published it) there is nothing to preview: the editor says why.
    if (!draft.saved) return s.message ? editor(reply, { message: s.message }, status) : reply.redirect('/admin/policy', 303);
    const changes = redline(draft.basedOn, { sections: draft.sections, facts });
    const body = previewPage({
      ...s,
      draft,
      redline: changes,
      significant: significantChanges(changes.facts),
      earliest: earliestEffectiveDay(clock.now(), config.policyNoticeDays),
      csrf: csrfField(reply),
      noticeDays: config.policyNoticeDays,
    });
    return adminPage(reply, 'Preview of the privacy policy', body, status);
  }

  app.get('/admin/policy/preview', { preHandler: officer }, (_request, reply) => preview(reply));

  app.post('/admin/policy/publish', { preHandler: officer }, async (request, reply) => {
    const form = parseForm(PublishForm, request.body, ['kind', 'effectiveOn']);
    if (!form.ok) return preview(reply, { errors: form.errors, values: form.values }, 422);
    const result = await publishDraft({ ...ctx, jobs, noticeDays: config.policyNoticeDays }, staffId(request), form.data, facts);
    if (!result.ok) {
      const values = keptValues(request.body, ['kind', 'effectiveOn']);
      return result.field === '_form' ? preview(reply, { message: result.message, values }, result.status) : preview(reply, { errors: { [result.field]: result.message }, values }, result.status);
    }
    await calendar.refresh();
    return reply.redirect(`/admin/policy?published=${result.number}`, 303);
  });
}

/**
 * Seed 000 §9: a signed-in customer's first request after a significant version takes effect records that they
 * went on using the shop under it. Visitors cost nothing (no session cookie, no query); a session already seen under
 * the version in force costs a hash and a set look-up.
 */
function recordAcceptances(app: FastifyInstance, calendar: PolicyCalendar, customerOf: CustomerOf, record: (customerId: string, version: number) => Promise<void>) {
  let seen = new Set<string>();
  let seenFor: number | undefined;
  app.addHook('onRequest', async (request) => {
    const token = request.cookies[SESSION_COOKIE];
    if (!token) return;
    const version = calendar.inForce();
    if (!version || version.kind !== 'significant') return;
    if (seenFor !== version.number) {
      seen = new Set();
      seenFor = version.number;
    }
    const key = createHash('sha256').update(token).digest('base64url');
    if (seen.has(key)) return;
    const customerId = await customerOf(request);
    if (customerId) await record(customerId, version.number);
    if (seen.size >= MAX_REMEMBERED_SESSIONS) seen = new Set();
    seen.add(key);
  });
}
