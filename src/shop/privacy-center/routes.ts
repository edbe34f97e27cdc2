import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { csrfField, sendPrivatePage, type Platform } from '../../platform/http/app.ts';
import { keptValues, parseForm } from '../../platform/http/forms.ts';
import type { Html } from '../../platform/http/html.ts';
import { TOKEN_PATTERN } from '../../platform/secrets.ts';
import { marketingAllowed, recordMarketingChoice } from '../../privacy/consent/service.ts';
import { EXPORT_SCHEMA, requestsOfCustomer } from '../../privacy/requests/service.ts';
import { SESSION_COOKIE, signedInCustomer } from '../accounts/service.ts';
import { forgetViews } from '../recommendations/service.ts';
import { csvFiles, zip } from './bundle.ts';
import { copyReady, downloadCopy, eraseAccount, privacyCenterContext, requestAsGuest, requestCopy, verifyGuest } from './service.ts';
import { CENTER_NOTICES, centerPage, copyOfferPage, copyPage, erasedPage, exportFormatPage, guestCodePage, guestStartPage, type CenterNotice } from './views.ts';

// /privacy-center: a signed-in customer's copy, corrections and erasure; a guest's requests verified by a code
// mailed to their address; the single-use download of a prepared copy.

const email = z.string().trim().pipe(z.email('Enter an e-mail address, like name@example.com').max(254, 'That address is too long'));
export const Password = z.string().min(1, 'Enter your password').max(200, 'That is too long for a password');
const EraseForm = z.object({
  password: Password,
  confirm: z.literal('yes', { error: 'Tick the box to confirm' }),
});
export const GuestForm = z.object({ email, kind: z.enum(['access', 'erasure'], { error: 'Choose a copy or deletion' }) });
export const CodeForm = z.object({ email, code: z.string().trim().regex(/^\d{6}$/, 'Enter the 6 digits from the message') });
const MarketingForm = z.object({ marketing: z.literal('yes').optional() });
const FormatForm = z.object({ format: z.enum(['json', 'html', 'csv']) });
const TokenParams = z.object({ token: z.string().regex(TOKEN_PATTERN) });
const IdParams = z.object({ id: z.uuid() });
const NoticeQuery = z.object({ done: z.enum(Object.keys(CENTER_NOTICES) as [CenterNotice, ...CenterNotice[]]) });

export function privacyCenterRoutes(app: FastifyInstance, platform: Platform) {
  const ctx = privacyCenterContext(platform);
  const { layout } = platform;
  const page = (reply: FastifyReply, title: string, body: Html, status = 200) => sendPrivatePage(reply, layout.page({ title, body }), status);
  // Codes and passwords are what scripts guess: a tight limit.
  const strict = { rateLimit: { max: 10, timeWindow: '1 minute' } };
  const linkGone = (reply: FastifyReply) =>
    page(reply, 'Link not valid', guestStartPage(csrfField(reply), { message: 'This link has been used or has expired.' }), 410);

  const center = async (reply: FastifyReply, customerId: string, s: Parameters<typeof centerPage>[3] = {}, status = 200) =>
    page(reply, 'Your privacy center', centerPage(csrfField(reply), await requestsOfCustomer(ctx.db, customerId), { marketing: await marketingAllowed(ctx, customerId) }, s), status);

  app.get('/privacy-center', async (request, reply) => {
    const customerId = await signedInCustomer(ctx, request);
    if (!customerId) return page(reply, 'Your privacy center', guestStartPage(csrfField(reply)));
    const notice = NoticeQuery.safeParse(request.query);
    return center(reply, customerId, { notice: notice.success ? notice.data.done : undefined });
  });

  app.get('/privacy-center/export-format', (_request, reply) => page(reply, 'The format of your copy', exportFormatPage(EXPORT_SCHEMA)));
  app.get('/privacy-center/export-format.json', (_request, reply) => reply.type('application/schema+json').send(EXPORT_SCHEMA));

  app.post('/privacy-center/copy', async (request, reply) => {
    const customerId = await signedInCustomer(ctx, request);
    if (!customerId || !(await requestCopy(ctx, customerId, request.ip))) return reply.redirect('/account/login', 303);
    return reply.redirect('/privacy-center?done=copy', 303);
  });

  app.post('/privacy-center/marketing', async (request, reply) => {
    const customerId = await signedInCustomer(ctx, request);
    if (!customerId) return reply.redirect('/account/login', 303);
    const form = MarketingForm.safeParse(request.body);
    if (!form.success) return center(reply, customerId, { message: 'Tick the box to receive marketing e-mail, or leave it empty not to.' }, 400);
    const subscribed = form.data.marketing === 'yes';
    await recordMarketingChoice(ctx, customerId, subscribed);
    return reply.redirect(`/privacy-center?done=${subscribed ? 'marketing_on' : 'marketing_off'}`, 303);
  });

  app.post('/privacy-center/erase', { config: strict }, async (request, reply) => {
    const customerId = await signedInCustomer(ctx, request);
    if (!customerId) return reply.redirect('/account/login', 303);
    const form = parseForm(EraseForm, request.body, []);
    if (!form.ok) return center(reply, customerId, { errors: form.errors }, 400);
    const result = await eraseAccount(ctx, customerId, form.data.password);
    if (!result.ok) return center(reply, customerId, { errors: { [result.field]: result.message } }, 400);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    forgetViews(reply);
    return page(reply, 'Your data has been deleted', erasedPage(result.outcome));
  });

  // ── guests ──

  app.post('/privacy-center/guest', { config: strict }, async (request, reply) => {
    const form = parseForm(GuestForm, request.body, ['email', 'kind']);
    if (!form.ok) return page(reply, 'Your privacy center', guestStartPage(csrfField(reply), { values: form.values, errors: form.errors }), 400);
    const requestId = await requestAsGuest(ctx, form.data.kind, form.data.email, request.ip);
    return page(reply, 'Enter your code', guestCodePage(csrfField(reply), requestId, { values: { email: form.data.email } }));
  });

  app.post('/privacy-center/guest/:id', { config: strict }, async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return reply.callNotFound();
    const form = parseForm(CodeForm, request.body, ['email', 'code']);
    if (!form.ok) return page(reply, 'Enter your code', guestCodePage(csrfField(reply), params.data.id, { values: form.values, errors: form.errors }), 400);
    const result = await verifyGuest(ctx, params.data.id, form.data.email, form.data.code, request.ip);
    if (!result.ok) return page(reply, 'Enter your code', guestCodePage(csrfField(reply), params.data.id, { values: keptValues(request.body, ['email']), message: result.message }), 400);
    if (result.kind === 'erasure') {
      forgetViews(reply);
      return page(reply, 'Your data has been deleted', erasedPage(result.outcome));
    }
    return result.token ? reply.redirect(`/privacy-center/copy/${result.token}`, 303) : linkGone(reply);
  });

  // ── the copy ──

  app.get('/privacy-center/copy/:token', async (request, reply) => {
    const params = TokenParams.safeParse(request.params);
    if (!params.success || !(await copyReady(ctx, params.data.token))) return linkGone(reply);
    return page(reply, 'Your copy is ready', copyOfferPage(csrfField(reply), params.data.token));
  });

  app.post('/privacy-center/copy/:token', async (request, reply) => {
    const params = TokenParams.safeParse(request.params);
    const form = FormatForm.safeParse(request.body);
    if (!params.success) return linkGone(reply);
    if (!form.success) return page(reply, 'Your copy is ready', copyOfferPage(csrfField(reply), params.data.token), 400);
    const document = await downloadCopy(ctx, params.data.token, request.ip);
    if (!document) return linkGone(reply);
    if (form.data.format === 'html') return page(reply, 'Your data', copyPage(document));
    const file = `pledge-data-${document.generatedAt.slice(0, 10)}`;
    reply.header('cache-control', 'no-store');
    if (form.data.format === 'csv') {
      return reply.header('content-disposition', `attachment; filename="${file}.zip"`).type('application/zip').send(zip(csvFiles(document), new Date(document.generatedAt)));
    }
    return reply.header('content-disposition', `attachment; filename="${file}.json"`).type('application/json').send(JSON.stringify(document, null, 2));
  });
}
