import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { parseForm } from '../../platform/http/forms.ts';
import { staffGuard } from '../staff/routes.ts';
import { keyringFrom, type VaultContext } from '../vault/service.ts';
import { listHolds, placeHold, releaseHold, type Holdable } from './holds.ts';
import { derivedCopies, recentSweeps, retentionCensus, RETENTION_SWEEP_JOB, type RetentionContext } from './sweep.ts';
import { holdsPage, retentionPage, type HoldFormState } from './views.ts';

// /admin/privacy/retention and /admin/privacy/holds, for the privacy officer. What a reference (an order number, a
// ticket reference, an e-mail) points at belongs to the shop, which hands in the look-ups.

export type HoldLookups = {
  /** The unit an officer's reference points at, or undefined. */
  find(reference: string): Promise<Holdable | undefined>;
  /** How a held unit is shown: its order number or ticket reference, never a name. */
  labels(holds: readonly { unitKind: string; rowId: string }[]): Promise<string[]>;
};

const HoldForm = z.object({
  reference: z.string().trim().min(1, 'Enter an order number, a ticket reference or an e-mail address').max(200, 'That is longer than any reference'),
  matter: z.string().trim().min(3, 'Name the matter, e.g. a case number').max(200, 'Use at most 200 characters'),
});
const IdParams = z.object({ id: z.uuid() });

export function retentionRoutes(app: FastifyInstance, platform: Platform, context: () => RetentionContext, lookups: HoldLookups) {
  const vault: VaultContext = { db: platform.database.db, clock: platform.clock, keys: keyringFrom(platform.masterKey) };
  const officer = staffGuard(vault, { allow: ['privacy_officer'], purpose: 'legal_obligation' });
  const page = (reply: FastifyReply, title: string, body: Html, current: 'retention' | 'holds', status = 200) =>
    sendPrivatePage(
      reply,
      platform.layout.page({
        title,
        body,
        nav: html`<a href="/admin">Back office</a><a href="/admin/privacy">Privacy requests</a><a href="/admin/privacy/retention"${current === 'retention' ? html` aria-current="page"` : ''}>Retention</a><a href="/admin/privacy/holds"${current === 'holds' ? html` aria-current="page"` : ''}>Legal holds</a>`,
      }),
      status,
    );

  const showRetention = async (reply: FastifyReply, queued = false) =>
    page(reply, 'Retention', retentionPage(await retentionCensus(context()), await recentSweeps(vault.db), derivedCopies(), csrfField(reply), queued), 'retention');

  app.get('/admin/privacy/retention', { preHandler: officer }, (_request, reply) => showRetention(reply));

  app.post('/admin/privacy/retention/sweep', { preHandler: officer }, async (_request, reply) => {
    await platform.jobs.send(RETENTION_SWEEP_JOB, {}, { singletonKey: 'manual' });
    return showRetention(reply, true);
  });

  async function showHolds(reply: FastifyReply, s: HoldFormState = {}, status = 200) {
    const holds = await listHolds(vault.db);
    const labels = await lookups.labels(holds);
    return page(reply, 'Legal holds', holdsPage(holds.map((h, i) => ({ ...h, label: labels[i]! })), csrfField(reply), s), 'holds', status);
  }

  app.get('/admin/privacy/holds', { preHandler: officer }, (_request, reply) => showHolds(reply));

  app.post('/admin/privacy/holds', { preHandler: officer }, async (request, reply) => {
    const form = parseForm(HoldForm, request.body, ['reference', 'matter']);
    if (!form.ok) return showHolds(reply, { errors: form.errors, values: form.values }, 400);
    const unit = await lookups.find(form.data.reference);
    if (!unit) return showHolds(reply, { errors: { reference: 'Nothing with that reference holds personal data any more' }, values: form.data }, 404);
    const { placed } = await placeHold(vault, unit, form.data.matter, request.staff!.staffId);
    if (!placed) return showHolds(reply, { message: `${unit.label} is already under a hold.`, values: form.data }, 409);
    return reply.redirect('/admin/privacy/holds', 303);
  });

  app.post('/admin/privacy/holds/:id/release', { preHandler: officer }, async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    if (!(await releaseHold(vault, params.data.id, request.staff!.staffId))) return showHolds(reply, { message: 'That hold is not active.' }, 409);
    return reply.redirect('/admin/privacy/holds', 303);
  });
}
