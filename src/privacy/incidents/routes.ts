import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { findAlert, incidentDraft, openIncidentFromAlert, securityContext } from '../security/service.ts';
import { staffGuard } from '../staff/routes.ts';
import {
  advanceIncident,
  findIncident,
  listIncidents,
  noticeMail,
  noticesOf,
  OPEN_FORM_FIELDS,
  openAffectedSubject,
  openIncident,
  recordAffected,
  noticeContext,
  sendNotices,
  stepsOf,
  type RecipientOf,
  type SubjectOf,
} from './service.ts';
import { incidentPage, listPage, noticePage, reportPage, subjectPage } from './views.ts';

// /admin/incidents: the privacy officer's incident register. Finding a customer's address, and opening an affected
// subject's data, belong to the shop, which hands them in as `recipientOf` and `subjectOf` (the engine never
// imports the shop).

const IdParams = z.object({ id: z.uuid() });
const FromAlert = z.object({ alert: z.uuid() });
const AlertField = z.object({ alertId: z.uuid() });

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

export function incidentRoutes(app: FastifyInstance, platform: Platform, recipientOf: RecipientOf, subjectOf: SubjectOf) {
  const security = securityContext(platform);
  const ctx = noticeContext({ db: security.db, clock: security.clock }, platform);
  const officer = staffGuard(security, { allow: ['privacy_officer'], purpose: 'legal_obligation' });
  const staffId = (request: FastifyRequest) => request.staff!.staffId;
  const page = (reply: FastifyReply, title: string, body: Html, status = 200) =>
    sendPrivatePage(reply, platform.layout.page({ title, body, nav: html`<a href="/admin">Back office</a><a href="/admin/incidents" aria-current="page">Incidents</a>` }), status);

  async function list(reply: FastifyReply, s: Parameters<typeof listPage>[3] = {}, status = 200) {
    return page(reply, 'Incidents', listPage(await listIncidents(ctx.db), ctx.clock.now(), csrfField(reply), s), status);
  }

  // `?alert=ID`: the form filled in from a security alert, which the incident then names.
  app.get('/admin/incidents', { preHandler: officer }, async (request, reply) => {
    const from = FromAlert.safeParse(request.query);
    const alert = from.success ? await findAlert(ctx.db, from.data.alert) : undefined;
    return list(reply, alert ? { values: await incidentDraft(security, alert) } : {});
  });

  app.post('/admin/incidents', { preHandler: officer }, async (request, reply) => {
    const alert = AlertField.safeParse(request.body);
    const opened = alert.success ? await openIncidentFromAlert(ctx, alert.data.alertId, staffId(request), request.body) : await openIncident(ctx, staffId(request), request.body);
    if (!opened.ok) {
      const values = { ...keptForm(request.body, OPEN_FORM_FIELDS), ...(alert.success ? { alertId: alert.data.alertId } : {}) };
      return list(reply, { errors: opened.errors, values, message: opened.message }, opened.status);
    }
    return reply.redirect(`/admin/incidents/${opened.value.id}`, 303);
  });

  /** The incident the address names, or a 404. */
  async function incidentIn(request: FastifyRequest) {
    const params = IdParams.safeParse(request.params);
    return params.success ? findIncident(ctx.db, params.data.id) : undefined;
  }

  async function show(request: FastifyRequest, reply: FastifyReply, s: Parameters<typeof incidentPage>[5] = {}, status = 200) {
    const incident = await incidentIn(request);
    if (!incident) return reply.callNotFound();
    const body = incidentPage(incident, await stepsOf(ctx.db, incident.id), await noticesOf(ctx.db, incident.id), ctx.clock.now(), csrfField(reply), s);
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

  // One affected subject's data, opened on purpose: an audited read, its reason a step of the incident.
  app.post('/admin/incidents/:id/subjects', { preHandler: officer }, async (request, reply) => {
    const incident = await incidentIn(request);
    if (!incident) return reply.callNotFound();
    const opened = await openAffectedSubject({ ...ctx, actor: request.staff! }, subjectOf, incident.id, request.body);
    if (!opened.ok) return show(request, reply, { errors: opened.errors, values: keptForm(request.body, ['unitId', 'reason']), message: opened.message }, opened.status);
    return page(reply, 'Affected subject', subjectPage(incident, opened.value));
  });

  app.get('/admin/incidents/:id/notices', { preHandler: officer }, async (request, reply) => {
    const incident = await incidentIn(request);
    if (!incident) return reply.callNotFound();
    const mail = noticeMail(ctx, incident, await stepsOf(ctx.db, incident.id));
    return page(reply, 'Customer notice', noticePage(incident, mail, await noticesOf(ctx.db, incident.id), csrfField(reply)));
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
    return page(reply, 'Breach notification', reportPage(incident, await stepsOf(ctx.db, incident.id), platform.config.shop, ctx.clock.now()));
  });
}
