import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { keptValues } from '../../platform/http/forms.ts';
import { html, type Html } from '../../platform/http/html.ts';
import { staffGuard } from '../staff/routes.ts';
import { actionsOf, actOnAlert, findAlert, listAlerts, rulesInForce, securityContext } from './service.ts';
import { alertPage, alertsPage } from './views.ts';

// /admin/security: the privacy officer's security alerts, each with its reasoning and threshold, acknowledged or
// dismissed with a note, or turned into an incident (the incident form comes filled in from the alert).

const IdParams = z.object({ id: z.uuid() });

export function securityRoutes(app: FastifyInstance, platform: Platform) {
  const ctx = securityContext(platform);
  const zone = ctx.settings.timeZone;
  const officer = staffGuard(ctx, { allow: ['privacy_officer'], purpose: 'legal_obligation' });
  const page = (reply: FastifyReply, title: string, body: Html, status = 200) =>
    sendPrivatePage(reply, platform.layout.page({ title, body, nav: html`<a href="/admin">Back office</a><a href="/admin/security" aria-current="page">Security alerts</a><a href="/admin/incidents">Incidents</a>` }), status);

  app.get('/admin/security', { preHandler: officer }, async (_request, reply) => page(reply, 'Security alerts', alertsPage(await listAlerts(ctx.db), rulesInForce(ctx.settings), zone)));

  async function show(request: FastifyRequest, reply: FastifyReply, s: Parameters<typeof alertPage>[4] = {}, status = 200) {
    const params = IdParams.safeParse(request.params);
    const alert = params.success ? await findAlert(ctx.db, params.data.id) : undefined;
    if (!alert) return reply.callNotFound();
    return page(reply, 'Security alert', alertPage(alert, await actionsOf(ctx.db, alert.id), zone, csrfField(reply), s), status);
  }

  app.get('/admin/security/:id', { preHandler: officer }, (request, reply) => show(request, reply));

  for (const [path, action] of [['acknowledge', 'acknowledged'], ['dismiss', 'dismissed']] as const) {
    app.post(`/admin/security/:id/${path}`, { preHandler: officer }, async (request, reply) => {
      const params = IdParams.safeParse(request.params);
      if (!params.success) return reply.callNotFound();
      const done = await actOnAlert(ctx, params.data.id, request.staff!.staffId, action, request.body);
      if (done.ok) return reply.redirect(`/admin/security/${params.data.id}`, 303);
      if (done.status === 404) return reply.callNotFound();
      return show(request, reply, { errors: done.errors, values: { ...keptValues(request.body, ['note']), action: path }, message: done.message }, done.status);
    });
  }
}
