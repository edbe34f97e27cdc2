import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { parseForm } from '../../platform/http/forms.ts';
import type { RouteAccess } from '../access.ts';
import { staffGuard } from '../staff/routes.ts';
import { keyringFrom, type VaultContext } from '../vault/service.ts';
import { REQUEST_KINDS } from './schema.ts';
import { actionsOf, findRequest, refuseRequest, requestQueue, type RequestAction } from './service.ts';
import { MAX_EXTENSION_DAYS, requestSla } from './sla.ts';
import { minorPage, queuePage, requestPage } from './views.ts';

// /admin/privacy: the privacy officer's queue of data-subject requests. Running an erasure and finding the person
// behind an order belong to the shop, which hands them in (the engine never imports the shop).

export type QueueActions = {
  run(requestId: string, staffId: string): Promise<RequestAction>;
  flagMinor(orderNumber: string, staffId: string, note: string): Promise<string | undefined>;
  /** Pauses for the person's identity and writes to them what is needed. */
  pause(requestId: string, staffId: string, needed: string): Promise<RequestAction>;
  resume(requestId: string, staffId: string): Promise<RequestAction>;
  /** Extends the due date once and writes to the person why, and the new date. */
  extend(requestId: string, staffId: string, extension: { days: number; reason: string }): Promise<RequestAction>;
};

const QueueQuery = z.object({ kind: z.enum(REQUEST_KINDS).optional().catch(undefined), open: z.literal('1').optional().catch(undefined) });
const IdParams = z.object({ id: z.uuid() });
const note = z.string().trim().min(1, 'Give the reason').max(500, 'Use at most 500 characters');
const RefuseForm = z.object({ note });
const PauseForm = z.object({ needed: z.string().trim().min(1, 'Say what the person must send').max(500, 'Use at most 500 characters') });
const DAYS_MESSAGE = `Enter a whole number of business days from 1 to ${MAX_EXTENSION_DAYS}`;
const ExtendForm = z.object({
  days: z.coerce.number({ error: DAYS_MESSAGE }).int(DAYS_MESSAGE).min(1, DAYS_MESSAGE).max(MAX_EXTENSION_DAYS, DAYS_MESSAGE),
  reason: note,
});
const MinorForm = z.object({ orderNumber: z.string().trim().min(1, 'Enter an order number').max(40, 'Order numbers are shorter than that'), note });

export function privacyRequestRoutes(app: FastifyInstance, platform: Platform, actions: QueueActions) {
  const vault: VaultContext = { db: platform.database.db, clock: platform.clock, keys: keyringFrom(platform.masterKey) };
  const requests = { ...vault, sla: requestSla(platform.config.dsr) };
  const guard = (access: RouteAccess) => staffGuard(vault, access);
  const officer = guard({ allow: ['privacy_officer'], purpose: 'legal_obligation' });
  const staffId = (request: FastifyRequest) => request.staff!.staffId;
  const isOfficer = (request: FastifyRequest) => request.staff!.roles.includes('privacy_officer');
  const page = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status = 200) => {
    const nav = isOfficer(request)
      ? html`<a href="/admin">Back office</a><a href="/admin/privacy" aria-current="page">Privacy requests</a>`
      : html`<a href="/admin">Back office</a><a href="/admin/privacy/minors" aria-current="page">Flag a suspected minor</a>`;
    return sendPrivatePage(reply, platform.layout.page({ title, body, nav }), status);
  };

  async function queue(request: FastifyRequest, reply: FastifyReply, s: Parameters<typeof queuePage>[4] = {}, status = 200) {
    const query = QueueQuery.parse(request.query ?? {});
    const filter = { kind: query.kind, open: query.open === '1' };
    return page(request, reply, 'Privacy requests', queuePage(await requestQueue(requests, filter), filter, requests.sla, csrfField(reply), s), status);
  }

  app.get('/admin/privacy', { preHandler: officer }, (request, reply) => queue(request, reply));

  async function showRequest(request: FastifyRequest, reply: FastifyReply, s: Parameters<typeof requestPage>[3] = {}, status = 200) {
    const params = IdParams.safeParse(request.params);
    const found = params.success ? await findRequest(requests, params.data.id) : undefined;
    if (!found) return reply.callNotFound();
    return page(request, reply, 'Privacy request', requestPage(found, await actionsOf(vault.db, found.id), csrfField(reply), s), status);
  }

  app.get('/admin/privacy/:id', { preHandler: officer }, (request, reply) => showRequest(request, reply));

  app.post('/admin/privacy/:id/run', { preHandler: officer }, async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const result = await actions.run(params.data.id, staffId(request));
    return result.ok ? reply.redirect(`/admin/privacy/${params.data.id}`, 303) : showRequest(request, reply, { message: result.message }, 409);
  });

  /** One staff action on a request: its form checked (400 with a message per field), then done or refused (409). */
  function action<T extends z.ZodObject>(name: string, form: T, keep: readonly string[], act: (id: string, staffId: string, data: z.output<T>) => Promise<RequestAction>) {
    app.post(`/admin/privacy/:id/${name}`, { preHandler: officer }, async (request, reply) => {
      const params = IdParams.safeParse(request.params);
      if (!params.success) return reply.callNotFound();
      const parsed = parseForm(form, request.body, keep);
      if (!parsed.ok) return showRequest(request, reply, { errors: parsed.errors, values: parsed.values, form: name }, 400);
      const result = await act(params.data.id, staffId(request), parsed.data);
      return result.ok ? reply.redirect(`/admin/privacy/${params.data.id}`, 303) : showRequest(request, reply, { message: result.message }, 409);
    });
  }

  action('refuse', RefuseForm, ['note'], (id, by, data) => refuseRequest(requests, id, by, data.note));
  action('pause', PauseForm, ['needed'], (id, by, data) => actions.pause(id, by, data.needed));
  action('resume', z.object({}), [], (id, by) => actions.resume(id, by));
  action('extend', ExtendForm, ['days', 'reason'], (id, by, data) => actions.extend(id, by, data));

  // Any member of support may raise the case; the privacy officer alone sees the queue and confirms.
  const flaggers = guard({ allow: ['support', 'privacy_officer'] });
  const flagForm = (request: FastifyRequest, reply: FastifyReply, s: Parameters<typeof minorPage>[1], status: number) =>
    isOfficer(request) ? queue(request, reply, s, status) : page(request, reply, 'Flag a suspected minor', minorPage(csrfField(reply), s), status);

  app.get('/admin/privacy/minors', { preHandler: flaggers }, (request, reply) => page(request, reply, 'Flag a suspected minor', minorPage(csrfField(reply))));

  app.post('/admin/privacy/minors', { preHandler: flaggers }, async (request, reply) => {
    const form = parseForm(MinorForm, request.body, ['orderNumber', 'note']);
    if (!form.ok) return flagForm(request, reply, { errors: form.errors, values: form.values }, 400);
    const id = await actions.flagMinor(form.data.orderNumber, staffId(request), form.data.note);
    if (!id) return flagForm(request, reply, { errors: { orderNumber: 'No order with that number' }, values: { orderNumber: form.data.orderNumber, note: form.data.note } }, 404);
    if (!isOfficer(request)) return page(request, reply, 'Flag a suspected minor', minorPage(csrfField(reply), { flagged: true }));
    return reply.redirect(`/admin/privacy/${id}`, 303);
  });
}
