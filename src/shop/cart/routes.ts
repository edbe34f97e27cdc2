import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { httpError } from '../../platform/http/errors.ts';
import { parseForm } from '../../platform/http/forms.ts';
import { listCategories } from '../catalog/service.ts';
import { categoryNav } from '../catalog/views.ts';
import { signedInCustomer } from '../accounts/service.ts';
import { addItem, MAX_LINE_QUANTITY, removeItem, setQuantity, viewCart, type CartOwner, type CartProblem } from './service.ts';
import { cartView, type LineProblem } from './views.ts';

export const CART_COOKIE = 'pledge_cart';
const CART_COOKIE_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

const SLUG_MESSAGE = 'slug must name a product: lower-case letters, digits and hyphens';
export const Slug = z.string({ error: SLUG_MESSAGE }).regex(/^[a-z0-9-]{1,160}$/, SLUG_MESSAGE);

function quantity(min: number) {
  const message = `quantity must be a whole number from ${min} to ${MAX_LINE_QUANTITY}`;
  return z
    .string({ error: message })
    .trim()
    .regex(/^\d{1,3}$/, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(MAX_LINE_QUANTITY, message));
}

const AddForm = z.object({ slug: Slug, quantity: quantity(1) });
const QuantityForm = z.object({ quantity: quantity(0) });
const SlugParams = z.object({ slug: Slug });

/** A refused change: a product that is not there is a 404, a stock problem is the client's to fix (400). */
export function problemError(problem: CartProblem) {
  const status = problem.code === 'unknown_product' || problem.code === 'not_in_cart' ? 404 : 400;
  return httpError(status, problem.code, problem.message, status === 400 ? { quantity: problem.message } : undefined);
}

// The cookie is essential (it is the cart), set only once something is in the cart, and renewed by every change so
// a cart in use does not expire.
export function rememberCart(reply: FastifyReply, visitorToken: string | undefined, secure: boolean) {
  if (!visitorToken) return;
  reply.setCookie(CART_COOKIE, visitorToken, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: CART_COOKIE_MAX_AGE_SECONDS });
}

export function cartRoutes(app: FastifyInstance, { database, clock, layout, config }: Platform) {
  const ctx = { db: database.db, clock };

  // A signed-in customer's cart is their account's; anyone else's is found by the cart cookie.
  async function ownerOf(request: FastifyRequest): Promise<CartOwner> {
    const customerId = await signedInCustomer(ctx, request);
    return customerId ? { customerId } : { visitorToken: request.cookies[CART_COOKIE] };
  }

  const remember = (reply: FastifyReply, visitorToken: string | undefined) => rememberCart(reply, visitorToken, config.env === 'production');

  async function cartPage(request: FastifyRequest, reply: FastifyReply, status = 200, problem?: LineProblem) {
    const [cart, categories] = await Promise.all([viewCart(ctx, await ownerOf(request)), listCategories(ctx)]);
    const page = layout.page({ title: 'Your cart', body: cartView(cart, () => csrfField(reply), problem), nav: categoryNav(categories, undefined, 'cart') });
    return sendPrivatePage(reply, page, status);
  }

  app.get('/cart', (request, reply) => cartPage(request, reply));

  // The product page is cached for everyone and so carries no CSRF token: this form is checked by its Origin.
  app.post('/cart/items', { config: { csrf: 'origin' } }, async (request, reply) => {
    const form = AddForm.parse(request.body ?? {});
    const result = await addItem(ctx, await ownerOf(request), form);
    if (!result.ok) throw problemError(result.problem);
    remember(reply, result.visitorToken);
    return reply.redirect('/cart', 303);
  });

  // Quantity and removal forms come from the cart page: a refused quantity brings the page back with the message
  // beside that line and what was typed.
  app.post('/cart/items/:slug', async (request, reply) => {
    const params = SlugParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const { slug } = params.data;
    const form = parseForm(QuantityForm, request.body, ['quantity']);
    if (!form.ok) {
      return cartPage(request, reply, 400, { slug, message: form.errors.quantity ?? 'Enter a quantity', value: form.values.quantity ?? '' });
    }
    const result = await setQuantity(ctx, await ownerOf(request), { slug, quantity: form.data.quantity });
    if (!result.ok) {
      if (result.problem.code === 'not_in_cart') throw problemError(result.problem);
      return cartPage(request, reply, 400, { slug, message: result.problem.message, value: String(form.data.quantity) });
    }
    remember(reply, result.visitorToken);
    return reply.redirect('/cart', 303);
  });

  app.post('/cart/items/:slug/remove', async (request, reply) => {
    const params = SlugParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const result = await removeItem(ctx, await ownerOf(request), params.data.slug);
    if (!result.ok) throw problemError(result.problem);
    remember(reply, result.visitorToken);
    return reply.redirect('/cart', 303);
  });
}
