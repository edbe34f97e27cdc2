import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { parseForm } from '../../platform/http/forms.ts';
import type { Html } from '../../platform/http/html.ts';
import type { RouteAccess } from '../../privacy/access.ts';
import { signedInCustomer } from '../accounts/service.ts';
import { staffGate } from '../backoffice/desk.ts';
import { shopContext } from '../context.ts';
import { ORDER_PASS_COOKIE } from '../orders/service.ts';
import {
  approveReturn,
  findReturnOptions,
  quantityName,
  receiveReturn,
  refundReturn,
  RejectForm,
  rejectReturn,
  requestReturn,
  returnForm,
  returnForStaff,
  returnQueue,
  ReturnStateError,
  type ReturnOptions,
  type StaffContext,
} from './service.ts';
import { messagePage, returnDetailPage, returnPage, returnQueuePage, type FormState } from './views.ts';
import { ORDER_NUMBER } from '../orders/schema.ts';

// Returns. Customers ask from their order: account holders under /account, guests with the order pass their
// browser holds; any other order answers the same 404 as an unknown number. Support decides, receives and refunds
// in the back office.

const NumberParams = z.object({ number: z.string().transform((n) => n.toUpperCase()).pipe(z.string().regex(ORDER_NUMBER)) });
const IdParams = z.object({ id: z.uuid() });

/** Returns are after-sales work, done by support. */
const AFTER_SALES: RouteAccess = { allow: ['support'], purpose: 'after_sales' };

type Holder = { customerId: string } | { passToken: string | undefined };

/** The two ways to a customer's order: as its signed-in owner, or as the browser holding its pass. */
type Side = { url: string; orderUrl: (number: string) => string; holder: (request: FastifyRequest) => Promise<Holder | 'sign-in'> };

export function returnRoutes(app: FastifyInstance, platform: Platform) {
  const ctx = shopContext(platform);
  const page = (reply: FastifyReply, title: string, body: Html, status = 200) => sendPrivatePage(reply, platform.layout.page({ title, body }), status);

  // ── customers ──────────────────────────────────────────────────────────────────────────────────────────────────

  const sides: Side[] = [
    {
      url: '/account/orders/:number/return',
      orderUrl: (number) => `/account/orders/${number}`,
      holder: async (request) => {
        const customerId = await signedInCustomer(ctx, request);
        return customerId ? { customerId } : 'sign-in';
      },
    },
    { url: '/orders/:number/return', orderUrl: (number) => `/orders/${number}`, holder: async (request) => ({ passToken: request.cookies[ORDER_PASS_COOKIE] }) },
  ];

  for (const side of sides) {
    const load = async (request: FastifyRequest): Promise<ReturnOptions | 'sign-in' | undefined> => {
      const holder = await side.holder(request);
      if (holder === 'sign-in') return holder;
      const params = NumberParams.safeParse(request.params);
      return params.success ? findReturnOptions(ctx, holder, params.data.number) : undefined;
    };
    const show = (reply: FastifyReply, options: ReturnOptions, state: FormState = {}, status = 200) => {
      const { number } = options.order;
      const links = { action: side.url.replace(':number', number), order: side.orderUrl(number) };
      return page(reply, `Return items from order ${number}`, returnPage(csrfField(reply), options, links, state), status);
    };

    app.get(side.url, async (request, reply) => {
      const options = await load(request);
      if (options === 'sign-in') return reply.redirect('/account/login', 303);
      return options ? show(reply, options) : reply.callNotFound();
    });

    app.post(side.url, async (request, reply) => {
      const options = await load(request);
      if (options === 'sign-in') return reply.redirect('/account/login', 303);
      if (!options) return reply.callNotFound();
      if (options.refusal) return show(reply, options, {}, 409);
      const form = parseForm(returnForm(options.lines), request.body, ['reason', 'comment', ...options.lines.map((l) => quantityName(l.position))]);
      if (!form.ok) return show(reply, options, { values: form.values, errors: form.errors }, 400);
      const result = await requestReturn(ctx, options.order.id, form.data);
      if (!result.ok) {
        // Another request (a second tab) changed what can be returned meanwhile: show the order as it is now.
        const now = await load(request);
        return now && now !== 'sign-in' ? show(reply, now, { message: result.message }, 409) : reply.callNotFound();
      }
      return reply.redirect(side.orderUrl(options.order.number), 303);
    });
  }

  // ── the back office ────────────────────────────────────────────────────────────────────────────────────────────

  // Signed out: the sign-in page, as /admin answers; signed in without the role: 403 (the back office's own gate).
  const { guard, staff } = staffGate(ctx);
  const staffRoute = (access: RouteAccess) => ({ preHandler: guard(access) });
  const staffContext = (request: FastifyRequest): StaffContext => ({ ...ctx, actor: staff(request), requestId: request.id });

  async function showReturn(request: FastifyRequest, reply: FastifyReply, state: FormState = {}, status = 200) {
    const params = IdParams.safeParse(request.params);
    const detail = params.success ? await returnForStaff(staffContext(request), params.data.id) : undefined;
    if (!detail) return reply.callNotFound();
    return page(reply, `Return for order ${detail.order.number}`, returnDetailPage(csrfField(reply), detail, state), status);
  }

  /** Runs one move; a move the return's state refuses (the second of a double click) gets a page saying so. */
  async function act(request: FastifyRequest, reply: FastifyReply, run: (staff: StaffContext, id: string) => Promise<void>) {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const { id } = params.data;
    try {
      await run(staffContext(request), id);
    } catch (error) {
      if (!(error instanceof ReturnStateError)) throw error;
      if (error.statusCode === 404) return reply.callNotFound();
      return page(reply, 'Nothing changed', messagePage('Nothing was changed', error.message, { href: `/admin/returns/${id}`, label: 'Back to the return' }), error.statusCode);
    }
    return reply.redirect(`/admin/returns/${id}`, 303);
  }

  app.get('/admin/returns', staffRoute(AFTER_SALES), async (_request, reply) => page(reply, 'Returns', returnQueuePage(await returnQueue(ctx))));

  app.get('/admin/returns/:id', staffRoute(AFTER_SALES), (request, reply) => showReturn(request, reply));

  app.post('/admin/returns/:id/approve', staffRoute(AFTER_SALES), (request, reply) => act(request, reply, approveReturn));

  app.post('/admin/returns/:id/reject', staffRoute(AFTER_SALES), async (request, reply) => {
    const form = parseForm(RejectForm, request.body, ['message']);
    if (!form.ok) return showReturn(request, reply, { values: form.values, errors: form.errors }, 400);
    return act(request, reply, (staff, id) => rejectReturn(staff, id, form.data.message));
  });

  app.post('/admin/returns/:id/receive', staffRoute(AFTER_SALES), (request, reply) => act(request, reply, receiveReturn));

  app.post('/admin/returns/:id/refund', staffRoute(AFTER_SALES), (request, reply) => act(request, reply, refundReturn));
}
