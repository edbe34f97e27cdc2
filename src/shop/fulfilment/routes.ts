import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import type { Html } from '../../platform/http/html.ts';
import { deskNav, orderInAddress, staffGate } from '../backoffice/desk.ts';
import { shopContext } from '../context.ts';
import { OrderStateError } from '../orders/service.ts';
import { testShip } from '../shipping/testship.ts';
import { cancelOrder, fulfilmentQueue, markDelivered, markPacked, orderToFulfil, QUEUE_LIMIT, RefundFailed, refundCancelledOrder, shipOrder, type FulfilmentContext } from './service.ts';
import { fulfilmentOrderPage, movedPage, queuePage } from './views.ts';

// Fulfilment's routes (role fulfilment, purpose delivery). Each move is a POST from the order's page and answers
// with a redirect back to it; a move the order can no longer make (a second click) answers 409 with a page saying so.

export function fulfilmentRoutes(app: FastifyInstance, platform: Platform) {
  const shop = shopContext(platform);
  const carrier = testShip();
  const { guard, staff } = staffGate(shop);
  const ctxFor = (request: FastifyRequest): FulfilmentContext => ({ ...shop, actor: staff(request), requestId: request.id, carrier });

  const page = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status = 200) =>
    sendPrivatePage(reply, platform.layout.page({ title, body, nav: deskNav(staff(request), '/admin/fulfilment') }), status);

  async function showOrder(request: FastifyRequest, reply: FastifyReply, orderId: string, message?: string, status = 200) {
    const detail = await orderToFulfil(ctxFor(request), orderId);
    if (!detail) return reply.callNotFound();
    return page(request, reply, `Order ${detail.order.number}`, fulfilmentOrderPage(csrfField(reply), detail, carrier.name, message), status);
  }

  /**
   * Runs one move of the order named in the URL and goes back to its page. A move the order can no longer make is a
   * 409 page, not an error; a cancellation whose refund failed stands, and its page says so with a 502.
   */
  function move(run: (ctx: FulfilmentContext, orderId: string) => Promise<unknown>) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const order = await orderInAddress(shop.db, request);
      if (!order) return reply.callNotFound();
      try {
        await run(ctxFor(request), order.id);
      } catch (error) {
        if (error instanceof OrderStateError) return page(request, reply, `Order ${order.number}`, movedPage(order.number, error.message), 409);
        if (error instanceof RefundFailed) return showOrder(request, reply, order.id, `The order is cancelled, but the refund did not go through: ${error.message}`, 502);
        throw error;
      }
      return reply.redirect(`/admin/fulfilment/${order.number}`, 303);
    };
  }

  const access = { allow: ['fulfilment'], purpose: 'delivery' } as const;

  app.get('/admin/fulfilment', { preHandler: guard(access) }, async (request, reply) => page(request, reply, 'Orders to ship', queuePage(await fulfilmentQueue(shop), QUEUE_LIMIT)));

  app.get('/admin/fulfilment/:number', { preHandler: guard(access) }, async (request, reply) => {
    const order = await orderInAddress(shop.db, request);
    return order ? showOrder(request, reply, order.id) : reply.callNotFound();
  });

  app.post('/admin/fulfilment/:number/pack', { preHandler: guard(access) }, move(markPacked));
  app.post('/admin/fulfilment/:number/ship', { preHandler: guard(access) }, move(shipOrder));
  app.post('/admin/fulfilment/:number/deliver', { preHandler: guard(access) }, move(markDelivered));
  app.post('/admin/fulfilment/:number/cancel', { preHandler: guard(access) }, move(cancelOrder));
  app.post('/admin/fulfilment/:number/refund', { preHandler: guard(access) }, move(refundCancelledOrder));
}
