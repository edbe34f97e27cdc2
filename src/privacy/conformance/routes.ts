import type { FastifyInstance } from 'fastify';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { html } from '../../platform/http/html.ts';
import { staffGuard } from '../staff/routes.ts';
import { keyringFrom, type VaultContext } from '../vault/service.ts';
import type { KindCensus } from '../retention/sweep.ts';
import { conformanceContext, recentRuns, runConformance } from './service.ts';
import { conformancePage } from './views.ts';

// /admin/conformance: the privacy officer's view of the conformance report, and running it again from the page. The
// retention census counts the shop's own units, so the shop hands it in.

export function conformanceRoutes(app: FastifyInstance, platform: Platform, census: () => Promise<KindCensus[]>) {
  const vault: VaultContext = { db: platform.database.db, clock: platform.clock, keys: keyringFrom(platform.masterKey) };
  const ctx = conformanceContext(platform, census);
  const officer = staffGuard(vault, { allow: ['privacy_officer'] });
  const nav = html`<a href="/admin">Back office</a><a href="/admin/conformance" aria-current="page">Conformance report</a>`;

  app.get('/admin/conformance', { preHandler: officer }, async (_request, reply) =>
    sendPrivatePage(reply, platform.layout.page({ title: 'Conformance report', body: conformancePage(await recentRuns(platform.database.db), csrfField(reply)), nav })),
  );

  app.post('/admin/conformance/run', { preHandler: officer }, async (_request, reply) => {
    await runConformance(ctx, 'web');
    return reply.redirect('/admin/conformance', 303);
  });
}
