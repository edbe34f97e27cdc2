import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { parseForm } from '../../platform/http/forms.ts';
import type { Html } from '../../platform/http/html.ts';
import { TOKEN_PATTERN } from '../../platform/secrets.ts';
import { signedInCustomer } from '../accounts/service.ts';
import { CheckoutDetails } from '../checkout/service.ts';
import { shopContext } from '../context.ts';
import { returnsForOrder } from '../returns/service.ts';
import { findCustomerOrder, findPassOrder, listCustomerOrders, ORDER_PASS_COOKIE, PASS_VALID_MS, requestOrderLink, spendOrderLink, type OrderDetail } from './service.ts';
import { lookupPage, lookupSentPage, orderHistoryPage, orderLinkInvalidPage, orderPage } from './views.ts';
import { ORDER_NUMBER } from './schema.ts';

// The customer's side of orders. An account holder sees their own orders; anyone else reaches one order only with
// the pass their browser got at checkout or from a mailed link. Every other way in answers the same 404 as an
// unknown number, so no one learns which numbers exist.

const NumberParams = z.object({ number: z.string().regex(/^[A-Za-z0-9]{1,20}$/).transform((n) => n.toUpperCase()) });
const TokenParams = z.object({ token: z.string().regex(TOKEN_PATTERN) });

/** Order numbers are P followed by digits; people copy them with or without the P, or with a leading #. */
const NUMBER_MESSAGE = 'Enter the order number from your confirmation, like P100001';
const OrderNumber = z
  .string({ error: NUMBER_MESSAGE })
  .trim()
  .toUpperCase()
  .transform((n) => n.replace(/^#/, '').replace(/^(?=\d)/, 'P'))
  .pipe(z.string().regex(ORDER_NUMBER, NUMBER_MESSAGE));
const LookupForm = z.object({ number: OrderNumber, email: CheckoutDetails.shape.email });

/** The browser's pass to one order (after a guest checkout, or a mailed link): essential, and only as long as the pass. */
export function rememberOrderPass(reply: FastifyReply, passToken: string, secure: boolean) {
  reply.setCookie(ORDER_PASS_COOKIE, passToken, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: PASS_VALID_MS.session / 1000 });
}

export function orderRoutes(app: FastifyInstance, platform: Platform) {
  const { layout, config } = platform;
  const ctx = shopContext(platform);
  // The look-up mails a link to whoever knows a number and its address: scripts guessing pairs get ten a minute.
  const strict = { rateLimit: { max: 10, timeWindow: '1 minute' } };
  const page = (reply: FastifyReply, title: string, body: Html, status = 200) => sendPrivatePage(reply, layout.page({ title, body }), status);
  const showOrder = async (reply: FastifyReply, detail: OrderDetail, returnHref: string) => {
    // Returns are asked for only once an order is delivered, so no other order has any to look up.
    const returns = detail.order.deliveredAt ? await returnsForOrder(ctx, detail.order.id) : [];
    return page(reply, `Order ${detail.order.number}`, orderPage(detail, { now: ctx.clock.now(), returnHref, returns }));
  };

  app.get('/account/orders', async (request, reply) => {
    const customerId = await signedInCustomer(ctx, request);
    if (!customerId) return reply.redirect('/account/login', 303);
    return page(reply, 'Your orders', orderHistoryPage(await listCustomerOrders(ctx, customerId)));
  });

  app.get('/account/orders/:number', async (request, reply) => {
    const customerId = await signedInCustomer(ctx, request);
    // Signed out: the sign-in page, for every number alike.
    if (!customerId) return reply.redirect('/account/login', 303);
    const params = NumberParams.safeParse(request.params);
    const detail = params.success ? await findCustomerOrder(ctx, customerId, params.data.number) : undefined;
    if (!detail) return reply.callNotFound();
    return showOrder(reply, detail, `/account/orders/${detail.order.number}/return`);
  });

  app.get('/orders/lookup', (request, reply) => {
    const number = (request.query as { number?: unknown }).number;
    return page(reply, 'Find an order', lookupPage(csrfField(reply), { values: { number: typeof number === 'string' ? number.slice(0, 20) : '' } }));
  });

  app.post('/orders/lookup', { config: strict }, async (request, reply) => {
    const form = parseForm(LookupForm, request.body, ['number', 'email']);
    if (!form.ok) return page(reply, 'Find an order', lookupPage(csrfField(reply), { values: form.values, errors: form.errors }), 400);
    await requestOrderLink(ctx, form.data.number, form.data.email);
    return page(reply, 'Check your inbox', lookupSentPage());
  });

  app.get('/orders/access/:token', async (request, reply) => {
    const params = TokenParams.safeParse(request.params);
    const spent = params.success ? await spendOrderLink(ctx, params.data.token) : undefined;
    if (!spent) return page(reply, 'Link not valid', orderLinkInvalidPage(), 404);
    rememberOrderPass(reply, spent.sessionToken, config.env === 'production');
    return reply.redirect(`/orders/${spent.number}`, 303);
  });

  app.get('/orders/:number', async (request, reply) => {
    const params = NumberParams.safeParse(request.params);
    const detail = params.success ? await findPassOrder(ctx, request.cookies[ORDER_PASS_COOKIE], params.data.number) : undefined;
    if (!detail) return reply.callNotFound();
    return showOrder(reply, detail, `/orders/${detail.order.number}/return`);
  });
}
