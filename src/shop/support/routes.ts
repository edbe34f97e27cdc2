import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import type { FieldErrors } from '../../platform/http/errors.ts';
import type { Html } from '../../platform/http/html.ts';
import { parseForm } from '../../platform/http/forms.ts';
import { deskNav, orderInAddress, staffGate } from '../backoffice/desk.ts';
import { shopContext } from '../context.ts';
import { findOrderByNumber, orderForStaff } from '../orders/service.ts';
import { CONTACT_FIELDS, RevealForm } from './service.ts';
import { lookupPage, supportOrderPage } from './views.ts';

// Support's order look-up (role support, purpose customer_support). The order page shows no personal data; the
// contact details open through a POST naming the purpose, and the answer is that page itself, never a redirect to
// an address that would open them again from the browser's history without a record.

const LookupQuery = z.object({ number: z.string().trim().max(40, 'Order numbers are shorter than that').optional() });

export function supportRoutes(app: FastifyInstance, platform: Platform) {
  const shop = shopContext(platform);
  const { guard, staff } = staffGate(shop);

  const page = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status = 200) =>
    sendPrivatePage(reply, platform.layout.page({ title, body, nav: deskNav(staff(request), '/admin/orders') }), status);

  const access = { allow: ['support'], purpose: 'customer_support' } as const;

  app.get('/admin/orders', { preHandler: guard(access) }, async (request, reply) => {
    const query = LookupQuery.safeParse(request.query);
    if (!query.success) return page(request, reply, 'Order look-up', lookupPage({ error: query.error.issues[0]!.message }), 400);
    const { number } = query.data;
    if (number === undefined) return page(request, reply, 'Order look-up', lookupPage());
    if (number === '') return page(request, reply, 'Order look-up', lookupPage({ number, error: 'Enter an order number' }), 400);
    const order = await findOrderByNumber(shop.db, number);
    if (!order) return page(request, reply, 'Order look-up', lookupPage({ number, error: 'No order with that number' }), 404);
    return reply.redirect(`/admin/orders/${order.number}`, 303);
  });

  // Nothing personal is opened here (no fields asked for), so viewing the order writes no audit event.
  async function showOrder(request: FastifyRequest, reply: FastifyReply, orderId: string, errors?: FieldErrors, status = 200) {
    const detail = await orderForStaff({ ...shop, actor: staff(request), requestId: request.id }, orderId, 'customer_support', []);
    if (!detail) return reply.callNotFound();
    return page(request, reply, `Order ${detail.order.number}`, supportOrderPage(csrfField(reply), detail, undefined, errors), status);
  }

  app.get('/admin/orders/:number', { preHandler: guard(access) }, async (request, reply) => {
    const order = await orderInAddress(shop.db, request);
    return order ? showOrder(request, reply, order.id) : reply.callNotFound();
  });

  app.post('/admin/orders/:number/contact', { preHandler: guard(access) }, async (request, reply) => {
    const order = await orderInAddress(shop.db, request);
    if (!order) return reply.callNotFound();
    const form = parseForm(RevealForm, request.body, []);
    if (!form.ok) return showOrder(request, reply, order.id, form.errors, 400);
    const { purpose } = form.data;
    const detail = await orderForStaff({ ...shop, actor: staff(request), requestId: request.id }, order.id, purpose, CONTACT_FIELDS);
    if (!detail) return reply.callNotFound();
    return page(request, reply, `Order ${detail.order.number}`, supportOrderPage(csrfField(reply), detail, { details: detail.contact, purpose }));
  });
}
