import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { requireAccess, type Actor } from '../access.ts';
import { staffFor } from '../staff/routes.ts';
import { keyringFrom, type VaultContext } from '../vault/service.ts';
import {
  advanceIncident,
  findIncident,
  listIncidents,
  noticeMail,
  noticesOf,
  OPEN_FORM_FIELDS,
  openIncident,
  recordAffected,
  sendNotices,
  stepsOf,
  type NoticeContext,
  type RecipientOf,
} from './service.ts';
import { incidentPage, listPage, noticePage, reportPage } from './views.ts';

// /admin/incidents: the privacy officer's incident register. Finding a customer's address belongs to the shop,
// which hands it in as `recipientOf` (the engine never imports the shop).

const IdParams = z.object({ id: z.uuid() });
const VISITOR: Actor = { kind: 'visitor' };

/** What was typed, lists kept as lists (a multiple select posts one value or several). */
function keptForm(body: unknown, fields: readonly string[]): Record<string, string | string[]> {
  const raw = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    fields.map((f) => {
      const v = raw[f];
      return [f, Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? v : ''];
    }),
  );
}

export function incidentRoutes(app: FastifyInstance, platform: Platform, recipientOf: RecipientOf) {
  const vault: VaultContext = { db: platform.database.db, clock: platform.clock, keys: keyringFrom(platform.masterKey) };
  const shop = platform.config.shop;
  const ctx: NoticeContext = { db: vault.db, clock: vault.clock, jobs: platform.jobs, sealer: platform.sealer, shopName: shop.name, contactEmail: shop.contactEmail };
  const actor = async (request: FastifyRequest): Promise<Actor> => (await staffFor(vault, request)) ?? VISITOR;
  async function signedIn(request: FastifyRequest, reply: FastifyReply) {
    if (!(await staffFor(vault, request))) return reply.redirect('/admin/login', 303);
  }
  const officer = [signedIn, requireAccess({ allow: ['privacy_officer'], purpose: 'legal_obligation' }, actor)];
  const staffId = (request: FastifyRequest) => request.staff!.staffId;
  const page = (reply: FastifyReply, title: string, body: Html, status = 200) =>
    sendPrivatePage(reply, platform.layout.page({ title, body, nav: html`<a href="/admin">Back office</a><a href="/admin/incidents" aria-current="page">Incidents</a>` }), status);

  async function list(reply: FastifyReply, s: Parameters<typeof listPage>[3] = {}, status = 200) {
    return page(reply, 'Incidents', listPage(await listIncidents(vault.db), ctx.clock.now(), csrfField(reply), s), status);
  }

  app.get('/admin/incidents', { preHandler: officer }, (_request, reply) => list(reply));

  app.post('/admin/incidents', { preHandler: officer }, async (request, reply) => {
    const opened = await openIncident(ctx, staffId(request), request.body);
    if (!opened.ok) return list(reply, { errors: opened.errors, values: keptForm(request.body, OPEN_FORM_FIELDS) }, opened.status);
    return reply.redirect(`/admin/incidents/${opened.value.id}`, 303);
  });

  /** The incident the address names, or a 404. */
  async function incidentIn(request: FastifyRequest) {
    const params = IdParams.safeParse(request.params);
    return params.success ? findIncident(vault.db, params.data.id) : undefined;
  }

  async function show(request: FastifyRequest, reply: FastifyReply, s: Parameters<typeof incidentPage>[5] = {}, status = 200) {
    const incident = await incidentIn(request);
    if (!incident) return reply.callNotFound();
    const body = incidentPage(incident, await stepsOf(vault.db, incident.id), await noticesOf(vault.db, incident.id), ctx.clock.now(), csrfField(reply), s);
    return page(reply, 'Incident', body, status);
  }

  app.get('/admin/incidents/:id', { preHandler: officer }, (request, reply) => show(request, reply));

  app.post('/admin/incidents/:id/advance', { preHandler: officer }, async (request, reply) => {
    const incident = await incidentIn(request);
    if (!incident) return reply.callNotFound();
    const result = await advanceIncident(ctx, incident.id, staffId(request), request.body);
    if (result.ok) return reply.redirect(`/admin/incidents/${incident.id}`, 303);
    return show(request, reply, { errors: result.errors, values: keptForm(request.body, ['to', 'note']), message: result.message }, result.status);
  });

  app.post('/admin/incidents/:id/affected', { preHandler: officer }, async (request, reply) => {
    const incident = await incidentIn(request);
    if (!incident) return reply.callNotFound();
    await recordAffected(ctx, incident.id, staffId(request));
    return reply.redirect(`/admin/incidents/${incident.id}`, 303);
  });

  app.get('/admin/incidents/:id/notices', { preHandler: officer }, async (request, reply) => {
    const incident = await incidentIn(request);
    if (!incident) return reply.callNotFound();
    const mail = noticeMail(ctx, incident, await stepsOf(vault.db, incident.id));
    return page(reply, 'Customer notice', noticePage(incident, mail, await noticesOf(vault.db, incident.id), csrfField(reply)));
  });

  app.post('/admin/incidents/:id/notices', { preHandler: officer }, async (request, reply) => {
    const incident = await incidentIn(request);
    if (!incident) return reply.callNotFound();
    if (!(await sendNotices(ctx, recipientOf, incident.id, staffId(request)))) return show(request, reply, { message: 'Find the affected subjects first' }, 409);
    return reply.redirect(`/admin/incidents/${incident.id}/notices`, 303);
  });

  app.get('/admin/incidents/:id/report', { preHandler: officer }, async (request, reply) => {
    const incident = await incidentIn(request);
    if (!incident) return reply.callNotFound();
    return page(reply, 'Breach notification', reportPage(incident, await stepsOf(vault.db, incident.id), shop, ctx.clock.now()));
  });
}
