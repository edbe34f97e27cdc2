import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { allows } from '../../privacy/consent/service.ts';
import { deskNav, staffGate } from '../backoffice/desk.ts';
import { Slug } from '../cart/routes.ts';
import { shopContext } from '../context.ts';
import { analyticsReport, createViewRecorder, type AnalyticsContext, type ViewKind } from './service.ts';
import { analyticsPage } from './views.ts';

// Views are recorded after the response has gone, only for visitors who allowed performance cookies (and never
// under GPC), and only on the shop's own pages: the back office is not counted.

function viewOf(request: FastifyRequest, reply: FastifyReply): { kind: ViewKind; productSlug?: string } | undefined {
  const route = request.routeOptions.url;
  if (!route || route.startsWith('/admin') || route.startsWith('/dev')) return undefined;
  if (request.method === 'GET') {
    if (reply.statusCode !== 200 || !String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return undefined;
    return route === '/products/:slug' ? { kind: 'product', productSlug: (request.params as { slug: string }).slug } : { kind: 'page' };
  }
  if (request.method === 'POST' && reply.statusCode === 303) {
    if (route === '/cart/items') {
      const slug = Slug.safeParse((request.body as { slug?: unknown } | undefined)?.slug);
      return slug.success ? { kind: 'cart_add', productSlug: slug.data } : undefined;
    }
    if (route === '/checkout/pay/:number') return { kind: 'order' };
  }
  return undefined;
}

export function analyticsRoutes(app: FastifyInstance, platform: Platform) {
  const shop = shopContext(platform);
  const ctx: AnalyticsContext = { db: shop.db, clock: shop.clock, jobs: shop.jobs, site: new URL(platform.config.baseUrl).host, salts: {} };
  const { guard, staff } = staffGate(shop);
  // A view that cannot be recorded is lost, not an error for a visitor who already has their page.
  const views = createViewRecorder(ctx, (error) => platform.log.warn({ error: error.name }, 'page views were not recorded'));
  app.addHook('onClose', () => views.flush());

  // Not async: counting a view is a few microseconds of work that the response has no need to wait for.
  app.addHook('onResponse', (request, reply, done) => {
    const seen = viewOf(request, reply);
    if (seen && allows(request, 'performance')) {
      views.record({ ...seen, path: request.routeOptions.url!, clientAddress: request.ip, userAgent: request.headers['user-agent'], referer: request.headers.referer, host: request.host });
    }
    done();
  });

  app.get('/admin/analytics', { preHandler: guard({ allow: ['admin'] }) }, async (request, reply) => {
    const report = await analyticsReport(ctx);
    return sendPrivatePage(reply, platform.layout.page({ title: 'Browsing analytics', body: analyticsPage(report), nav: deskNav(staff(request), '/admin/analytics') }));
  });
}
