import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import type { FieldErrors } from '../../platform/http/errors.ts';
import { parseForm } from '../../platform/http/forms.ts';
import type { Html } from '../../platform/http/html.ts';
import { newToken, TOKEN_PATTERN } from '../../platform/secrets.ts';
import { defaultAddress } from '../accounts/addresses.ts';
import { profile, signedInCustomer } from '../accounts/service.ts';
import { CART_COOKIE } from '../cart/routes.ts';
import { viewCart, type CartOwner } from '../cart/service.ts';
import { shopContext } from '../context.ts';
import { rememberOrderPass } from '../orders/routes.ts';
import type { Order } from '../orders/schema.ts';
import { findCustomerOrder, findPassOrder, ORDER_PASS_COOKIE, type OrderDetail } from '../orders/service.ts';
import { CheckoutDetails, expireUnpaidOrder, payOrder, placeOrder, shippingChoices, shippingCountries } from './service.ts';
import { checkoutPage, emptyCheckoutPage, notPayablePage, payPage, reviewPage } from './views.ts';

// Checkout as plain pages: details → pay (the card form posts to the provider, which sends the browser back with a
// token) → review → paid. Each form carries what makes its repeat harmless: the details form a one-time checkout
// key, the pay form the provider's token, whose charge is idempotent.

const ADDRESS_FIELDS = ['recipientName', 'line1', 'line2', 'city', 'region', 'postcode', 'country', 'phone'] as const;
const FORM_FIELDS: readonly string[] = ['email', ...ADDRESS_FIELDS, 'shippingOption'];
const FORM_EXPIRED = 'This form has expired. Check your details and continue again.';

/**
 * The form is flat, as a browser sends it; the service takes the address as one object. A field not sent at all
 * (no delivery option ticked) counts as left empty, so it gets the same message.
 */
const CheckoutForm = z.preprocess(
  (body) => {
    const raw = (body ?? {}) as Record<string, unknown>;
    return { ...raw, email: raw.email ?? '', shippingOption: raw.shippingOption ?? '', address: Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, raw[f]])) };
  },
  CheckoutDetails.extend({
    checkoutKey: z.string({ error: FORM_EXPIRED }).regex(TOKEN_PATTERN, FORM_EXPIRED),
    expectedSubtotalCents: z.string({ error: FORM_EXPIRED }).regex(/^\d{1,9}$/, FORM_EXPIRED).transform(Number),
  }),
);

const NumberParams = z.object({ number: z.string().regex(/^[A-Za-z0-9]{1,20}$/).transform((n) => n.toUpperCase()) });
const PayForm = z.object({ token: z.string().min(1).max(1000) });
const NOT_RECOGNISED = 'The card details were not recognised. Enter the card again.';
const CANCELLED =
  'This order was cancelled, so it can no longer be paid. Orders not paid within an hour are cancelled and their items go back on sale: add them to your cart again to order them.';

/** Field errors beside their fields (the address's under their own names); the hidden fields' as a message on top. */
function placeErrors(errors: FieldErrors): { errors: FieldErrors; messages: string[] } {
  const fields: FieldErrors = {};
  const messages = new Set<string>();
  for (const [key, message] of Object.entries(errors)) {
    const name = key.replace(/^address\./, '');
    if (FORM_FIELDS.includes(name)) fields[name] = message;
    else messages.add(message);
  }
  return { errors: fields, messages: [...messages] };
}

const valuesOf = (details: CheckoutDetails): Record<string, string | undefined> => ({ email: details.email, ...details.address, shippingOption: details.shippingOption });

/** Where an order lives once paid: in the customer's account, or (for a guest) behind the browser's order pass. */
const orderPageOf = (order: Pick<Order, 'customerId' | 'number'>) => (order.customerId ? `/account/orders/${order.number}` : `/orders/${order.number}`);
const reviewPathOf = (number: string) => `/checkout/pay/${number}/review`;

export function checkoutRoutes(app: FastifyInstance, platform: Platform) {
  const { layout, config } = platform;
  const ctx = shopContext(platform);
  const page = (reply: FastifyReply, title: string, body: Html, status = 200) => sendPrivatePage(reply, layout.page({ title, body }), status);

  async function cartOwner(request: FastifyRequest): Promise<CartOwner> {
    const customerId = await signedInCustomer(ctx, request);
    return customerId ? { customerId } : { visitorToken: request.cookies[CART_COOKIE] };
  }

  type DetailsState = { checkoutKey: string; values: Record<string, string | undefined>; errors?: FieldErrors; messages?: string[] };

  async function detailsPage(reply: FastifyReply, owner: CartOwner, s: DetailsState, status = 200) {
    const cart = await viewCart(ctx, owner);
    if (cart.lines.length === 0) return page(reply, 'Checkout', emptyCheckoutPage(s.messages?.[0]), status);
    const [choices, countries] = await Promise.all([shippingChoices(ctx, cart.subtotalCents), shippingCountries(ctx)]);
    // A fresh form starts on the first delivery option; a returned one shows what was (or was not) chosen.
    const values = { ...s.values, shippingOption: s.values.shippingOption ?? choices[0]?.code };
    const body = checkoutPage(() => csrfField(reply), { cart, choices, countries, checkoutKey: s.checkoutKey, values, errors: s.errors ?? {}, messages: s.messages ?? [] });
    return page(reply, 'Checkout', body, status);
  }

  app.get('/checkout', async (request, reply) => {
    const owner = await cartOwner(request);
    // A customer starts from their account's e-mail and the default address of their address book.
    const [me, address] = 'customerId' in owner ? await Promise.all([profile(ctx, owner.customerId), defaultAddress(ctx, owner.customerId)]) : [];
    return detailsPage(reply, owner, { checkoutKey: newToken(), values: { email: me?.email, ...address } });
  });

  app.post('/checkout', async (request, reply) => {
    const owner = await cartOwner(request);
    const form = parseForm(CheckoutForm, request.body, FORM_FIELDS);
    if (!form.ok) {
      // A sound key is kept, so the corrected form is still the same one-time submit.
      const sent = (request.body as { checkoutKey?: unknown } | undefined)?.checkoutKey;
      const checkoutKey = typeof sent === 'string' && TOKEN_PATTERN.test(sent) ? sent : newToken();
      return detailsPage(reply, owner, { checkoutKey, values: form.values, ...placeErrors(form.errors) }, 400);
    }
    const { checkoutKey, expectedSubtotalCents, ...details } = form.data;
    const placed = await placeOrder(ctx, owner, details, { checkoutKey, expectedSubtotalCents });
    if (!placed.ok) {
      // Prices and stock changed under the customer (409: look again); a country or option is their input (400).
      const conflict = placed.problems.some((p) => p.code === 'price_changed' || p.code === 'stock' || p.code === 'empty_cart');
      const errors = Object.fromEntries(placed.problems.flatMap((p) => (p.field ? [[p.field, p.message]] : [])));
      const messages = placed.problems.filter((p) => !p.field).map((p) => p.message);
      return detailsPage(reply, owner, { checkoutKey, values: valuesOf(details), errors, messages }, conflict ? 409 : 400);
    }
    if (placed.passToken) rememberOrderPass(reply, placed.passToken, config.env === 'production');
    return reply.redirect(`/checkout/pay/${placed.number}`, 303);
  });

  /** The order numbered in the path, if this visitor may see it: its signed-in owner, or the browser holding its pass. */
  async function visibleOrder(request: FastifyRequest): Promise<OrderDetail | undefined> {
    const params = NumberParams.safeParse(request.params);
    if (!params.success) return undefined;
    const customerId = await signedInCustomer(ctx, request);
    const own = customerId ? await findCustomerOrder(ctx, customerId, params.data.number) : undefined;
    return own ?? findPassOrder(ctx, request.cookies[ORDER_PASS_COOKIE], params.data.number);
  }

  /** The answer for an order that is not waiting for payment (paid: its page; cancelled or overdue: why not), if it is not. */
  function notWaiting(reply: FastifyReply, order: Order, status: number) {
    const overdue = order.status === 'placed' && order.payBy <= ctx.clock.now();
    if (order.status === 'cancelled' || overdue) return page(reply, `Order ${order.number}`, notPayablePage(order.number, CANCELLED), status);
    if (order.status !== 'placed') return reply.redirect(orderPageOf(order), 303);
    return undefined;
  }

  const showPayPage = (reply: FastifyReply, detail: OrderDetail, state: { cardError?: string; message?: string }, status = 200) =>
    page(reply, `Pay for order ${detail.order.number}`, payPage(detail, { returnTo: reviewPathOf(detail.order.number), ...state }), status);

  app.get('/checkout/pay/:number', async (request, reply) => {
    const detail = await visibleOrder(request);
    if (!detail) return reply.callNotFound();
    const error = (request.query as { error?: unknown }).error;
    return notWaiting(reply, detail.order, 200) ?? showPayPage(reply, detail, typeof error === 'string' ? { cardError: error } : {});
  });

  app.get('/checkout/pay/:number/review', async (request, reply) => {
    const detail = await visibleOrder(request);
    if (!detail) return reply.callNotFound();
    const waiting = notWaiting(reply, detail.order, 200);
    if (waiting) return waiting;
    const token = PayForm.shape.token.safeParse((request.query as { token?: unknown }).token);
    const card = token.success ? ctx.payments.describeToken(token.data) : undefined;
    if (!token.success || !card) return reply.redirect(`/checkout/pay/${detail.order.number}?error=token`, 303);
    return page(reply, `Pay for order ${detail.order.number}`, reviewPage(csrfField(reply), detail, card, token.data));
  });

  app.post('/checkout/pay/:number', async (request, reply) => {
    const detail = await visibleOrder(request);
    if (!detail) return reply.callNotFound();
    const { order } = detail;
    // Past its pay-by time the order is cancelled here and now rather than charged before the job gets to it.
    const expired = order.status === 'placed' && order.payBy <= ctx.clock.now() && (await expireUnpaidOrder(ctx, order.id));
    const waiting = notWaiting(reply, expired ? { ...order, status: 'cancelled' } : order, 409);
    if (waiting) return waiting;
    const form = PayForm.safeParse(request.body ?? {});
    if (!form.success) return showPayPage(reply, detail, { message: NOT_RECOGNISED }, 400);
    const paid = await payOrder(ctx, order.id, form.data.token);
    if (paid.ok) return reply.redirect(orderPageOf(order), 303);
    if (paid.code === 'declined') return showPayPage(reply, detail, { message: paid.message }, 402);
    return page(reply, `Order ${order.number}`, notPayablePage(order.number, paid.message), 409);
  });
}
