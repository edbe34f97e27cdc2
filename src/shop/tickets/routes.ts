import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { parseForm } from '../../platform/http/forms.ts';
import type { Html } from '../../platform/http/html.ts';
import { TOKEN_PATTERN } from '../../platform/secrets.ts';
import { signedInCustomer } from '../accounts/service.ts';
import { deskNav, staffGate } from '../backoffice/desk.ts';
import { privacyCenterContext } from '../privacy-center/service.ts';
import { TICKET_STATUSES } from './schema.ts';
import {
  addNote,
  assignToSelf,
  CANNED_REPLIES,
  closeTicket,
  ContactForm,
  customerReply,
  desksOf,
  findCustomerTicket,
  findDeskTicket,
  findPassTicket,
  listCustomerTickets,
  ReplyForm,
  sendContactForm,
  spendTicketLink,
  staffReply,
  TICKET_PASS_COOKIE,
  TICKET_PASS_VALID_MS,
  ticketForStaff,
  ticketQueue,
  TicketStateError,
  type StaffTicketContext,
  type Thread,
} from './service.ts';
import {
  contactCodePage,
  contactPage,
  contactSentPage,
  linkInvalidPage,
  noticePage,
  queuePage,
  staffTicketPage,
  threadPage,
  ticketListPage,
  type FormState,
  type SentNotice,
} from './views.ts';

// Customer service. Anyone writes through /contact; the sender then reaches their ticket from their account, or,
// without one, with the pass their browser got when sending or from the link in a reply. Any other way in answers
// the same 404 as an unknown reference. The desk (support; the privacy officer for privacy questions) works under
// /admin/support/tickets.

const ReferenceParams = z.object({ reference: z.string().regex(/^T-\d{1,12}$/i).transform((r) => r.toUpperCase()) });
const TokenParams = z.object({ token: z.string().regex(TOKEN_PATTERN) });
const QueueQuery = z.object({ status: z.enum(TICKET_STATUSES).catch('open') });
const TicketQuery = z.object({ canned: z.enum(Object.keys(CANNED_REPLIES) as [keyof typeof CANNED_REPLIES]).optional().catch(undefined) });
const NoteForm = z.object({ note: ReplyForm.shape.message });
// `?sent=1` thanks the sender; `copy` and `deletion` also say where a signed-in customer's privacy request went.
const SentQuery = z.object({
  sent: z.enum(['1', 'copy', 'deletion']).transform((s): SentNotice => (s === '1' ? 'answer' : s)).optional().catch(undefined),
});

const CONTACT_FIELDS = ['name', 'email', 'topic', 'privacyWish', 'orderNumber', 'message'];

/** Either way a customer reaches a ticket: as its signed-in owner, or as the browser holding its pass. */
type Side = { url: string; find: (request: FastifyRequest, reference: string) => Promise<Thread | 'sign-in' | undefined>; back?: { href: string; label: string } };

export function ticketRoutes(app: FastifyInstance, platform: Platform) {
  const { layout, config } = platform;
  const ctx = privacyCenterContext(platform);
  const secure = config.env === 'production';
  const page = (reply: FastifyReply, title: string, body: Html, status = 200) => sendPrivatePage(reply, layout.page({ title, body }), status);
  // Each message opens a ticket and sends an e-mail: five a minute per sender is plenty for people, little for scripts.
  const strict = { rateLimit: { max: 5, timeWindow: '1 minute' } };
  const contact = { email: config.shop.contactEmail, phone: config.shop.contactPhone };

  // ── the contact form ──────────────────────────────────────────────────────────────────────────────────────────

  app.get('/contact', (_request, reply) => page(reply, 'Contact us', contactPage(csrfField(reply), contact)));

  app.post('/contact', { config: strict }, async (request, reply) => {
    const honeypot = (request.body as { website?: unknown } | undefined)?.website;
    // A bot fills every field: it is thanked, and nothing is written or sent.
    if (typeof honeypot === 'string' && honeypot !== '') return page(reply, 'Thank you', contactSentPage());
    const form = parseForm(ContactForm, request.body, CONTACT_FIELDS);
    if (!form.ok) return page(reply, 'Contact us', contactPage(csrfField(reply), contact, { values: form.values, errors: form.errors }), 400);
    const customerId = await signedInCustomer(ctx, request);
    const sent = await sendContactForm(ctx, form.data, customerId, request.ip);
    const ticketUrl = customerId ? `/account/tickets/${sent.reference}` : `/tickets/${sent.reference}`;
    if (!customerId) reply.setCookie(TICKET_PASS_COOKIE, sent.sessionToken, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: TICKET_PASS_VALID_MS.session / 1000 });
    // The code is entered on this page, as after the privacy center's own guest form: its form carries the request.
    if (sent.next === 'code') return page(reply, 'Enter your code', contactCodePage(csrfField(reply), sent, ticketUrl, form.data.email));
    return reply.redirect(`${ticketUrl}?sent=${sent.next === 'answer' ? '1' : sent.next}`, 303);
  });

  // ── the customer's side ───────────────────────────────────────────────────────────────────────────────────────

  app.get('/account/tickets', async (request, reply) => {
    const customerId = await signedInCustomer(ctx, request);
    if (!customerId) return reply.redirect('/account/login', 303);
    return page(reply, 'Your messages', ticketListPage(await listCustomerTickets(ctx, customerId)));
  });

  app.get('/tickets/access/:token', async (request, reply) => {
    const params = TokenParams.safeParse(request.params);
    const spent = params.success ? await spendTicketLink(ctx, params.data.token) : undefined;
    if (!spent) return page(reply, 'Link not valid', linkInvalidPage(), 404);
    reply.setCookie(TICKET_PASS_COOKIE, spent.sessionToken, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: TICKET_PASS_VALID_MS.session / 1000 });
    return reply.redirect(`/tickets/${spent.reference}`, 303);
  });

  const sides: Side[] = [
    {
      url: '/account/tickets/:reference',
      find: async (request, reference) => {
        const customerId = await signedInCustomer(ctx, request);
        return customerId ? findCustomerTicket(ctx, customerId, reference) : 'sign-in';
      },
      back: { href: '/account/tickets', label: 'All your messages' },
    },
    { url: '/tickets/:reference', find: (request, reference) => findPassTicket(ctx, request.cookies[TICKET_PASS_COOKIE], reference) },
  ];

  for (const side of sides) {
    const load = async (request: FastifyRequest) => {
      const params = ReferenceParams.safeParse(request.params);
      return params.success ? side.find(request, params.data.reference) : undefined;
    };
    const show = (reply: FastifyReply, thread: Thread, state: FormState & { sent?: SentNotice | undefined } = {}, status = 200) => {
      const url = side.url.replace(':reference', thread.ticket.reference);
      return page(reply, `Your message ${thread.ticket.reference}`, threadPage(csrfField(reply), thread, { reply: `${url}/reply`, back: side.back }, state), status);
    };

    app.get(side.url, async (request, reply) => {
      const thread = await load(request);
      if (thread === 'sign-in') return reply.redirect('/account/login', 303);
      if (!thread) return reply.callNotFound();
      return show(reply, thread, { sent: SentQuery.parse(request.query ?? {}).sent });
    });

    app.post(`${side.url}/reply`, async (request, reply) => {
      const thread = await load(request);
      if (thread === 'sign-in') return reply.redirect('/account/login', 303);
      if (!thread) return reply.callNotFound();
      const form = parseForm(ReplyForm, request.body, ['message']);
      if (!form.ok) return show(reply, thread, { values: form.values, errors: form.errors }, 400);
      try {
        await customerReply(ctx, thread.ticket.id, form.data.message);
      } catch (error) {
        if (!(error instanceof TicketStateError)) throw error;
        return show(reply, thread, { message: error.message }, 409);
      }
      return reply.redirect(side.url.replace(':reference', thread.ticket.reference), 303);
    });
  }

  // ── the desk ──────────────────────────────────────────────────────────────────────────────────────────────────

  const { guard, staff } = staffGate(ctx);
  // Support answers customers; the privacy officer answers privacy questions. Each sees only their desk's tickets.
  const access = guard({ allow: ['support', 'privacy_officer'], purpose: 'customer_support' });
  const deskPage = (request: FastifyRequest, reply: FastifyReply, title: string, body: Html, status = 200) =>
    sendPrivatePage(reply, layout.page({ title, body, nav: deskNav(staff(request), '/admin/support/tickets') }), status);
  const staffContext = (request: FastifyRequest): StaffTicketContext => ({ ...ctx, actor: staff(request), requestId: request.id });

  const deskTicket = async (request: FastifyRequest) => {
    const params = ReferenceParams.safeParse(request.params);
    return params.success ? findDeskTicket(ctx, staff(request), params.data.reference) : undefined;
  };

  async function showTicket(request: FastifyRequest, reply: FastifyReply, options: { withContact?: boolean; state?: FormState & { canned?: string | undefined }; status?: number } = {}) {
    const ticket = await deskTicket(request);
    if (!ticket) return reply.callNotFound();
    const detail = await ticketForStaff(staffContext(request), ticket, options.withContact ?? false);
    return deskPage(request, reply, `Ticket ${ticket.reference}`, staffTicketPage(csrfField(reply), detail, staff(request).staffId, options.state), options.status);
  }

  /** Runs one change to a ticket and goes back to it; a change its state refuses gets a page saying so. */
  async function act(request: FastifyRequest, reply: FastifyReply, run: (staff: StaffTicketContext, ticketId: string) => Promise<void>) {
    const ticket = await deskTicket(request);
    if (!ticket) return reply.callNotFound();
    try {
      await run(staffContext(request), ticket.id);
    } catch (error) {
      if (!(error instanceof TicketStateError)) throw error;
      const back = { href: `/admin/support/tickets/${ticket.reference}`, label: 'Back to the ticket' };
      return deskPage(request, reply, 'Nothing changed', noticePage('Nothing was changed', error.message, back), 409);
    }
    return reply.redirect(`/admin/support/tickets/${ticket.reference}`, 303);
  }

  app.get('/admin/support/tickets', { preHandler: access }, async (request, reply) => {
    const { status } = QueueQuery.parse(request.query ?? {});
    const rows = await ticketQueue(ctx, desksOf(staff(request)), status);
    return deskPage(request, reply, 'Customer service', queuePage(rows, status, staff(request).staffId));
  });

  app.get('/admin/support/tickets/:reference', { preHandler: access }, (request, reply) =>
    showTicket(request, reply, { state: { canned: TicketQuery.parse(request.query ?? {}).canned } }),
  );

  // The answer is the ticket page itself, never a redirect that would open the details again without a record.
  app.post('/admin/support/tickets/:reference/contact', { preHandler: access }, (request, reply) => showTicket(request, reply, { withContact: true }));

  app.post('/admin/support/tickets/:reference/reply', { preHandler: access }, async (request, reply) => {
    const form = parseForm(ReplyForm, request.body, ['message']);
    if (!form.ok) return showTicket(request, reply, { state: { values: form.values, errors: form.errors }, status: 400 });
    return act(request, reply, (staffCtx, id) => staffReply(staffCtx, id, form.data.message));
  });

  app.post('/admin/support/tickets/:reference/note', { preHandler: access }, async (request, reply) => {
    const form = parseForm(NoteForm, request.body, ['note']);
    if (!form.ok) return showTicket(request, reply, { state: { values: form.values, errors: form.errors }, status: 400 });
    return act(request, reply, (staffCtx, id) => addNote(staffCtx, id, form.data.note));
  });

  app.post('/admin/support/tickets/:reference/assign', { preHandler: access }, (request, reply) => act(request, reply, assignToSelf));
  app.post('/admin/support/tickets/:reference/close', { preHandler: access }, (request, reply) => act(request, reply, (s, id) => closeTicket(s, id, true)));
  app.post('/admin/support/tickets/:reference/reopen', { preHandler: access }, (request, reply) => act(request, reply, (s, id) => closeTicket(s, id, false)));
}
